"""What the server does before a request reaches the application, or when one cannot.

aiohttp answers a malformed or over-long request line or header itself, in plain text
echoing part of the input, and logs a traceback for each; it never times out a connection
that trickles its headers, nor a body that never ends. `GuardedProtocol` (mixed into the
server's connection protocol, api/metering.py) answers those in the API's JSON error shape,
logs one line at warning level, and closes a connection whose headers are not complete
`headers_timeout_s` after their first byte; `read_body` bounds a body's size and the time
its reading may take.
"""

from __future__ import annotations

import asyncio
import logging

import orjson
from aiohttp import web
from aiohttp.http_exceptions import BadHttpMethod, HttpProcessingError, LineTooLong

from trajet.service.errors import QueryError

log = logging.getLogger("trajet.api")
MAX_LOGGED_TEXT = 200  # characters of a client's input written to a log line


def error_body(code: str, message: str, field: str | None = None) -> bytes:
    return orjson.dumps({"error": {"code": code, "message": message, "field": field}})


def clipped(text: str, n: int = MAX_LOGGED_TEXT) -> str:
    """A client's text for a log line: on one line, at most n characters."""
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n] + f"... ({len(text)} characters)"


class GuardedProtocol:
    """Mixed into aiohttp's RequestHandler (before it in the bases)."""

    _headers_timer: asyncio.TimerHandle | None = None
    _body = None  # the payload of the last request parsed, while its body is being read

    def data_received(self, data: bytes) -> None:
        n_messages = len(self._messages)
        super().data_received(data)
        if len(self._messages) > n_messages:  # a request's headers are complete
            self._stop_headers_timer()
            self._body = self._messages[-1][1]
        elif self._headers_timer is None and (self._body is None or self._body.is_eof()):
            timeout_s = getattr(self._manager, "headers_timeout_s", None)
            if timeout_s and self.transport is not None:
                self._headers_timer = self._loop.call_later(timeout_s, self._headers_timed_out, timeout_s)

    def connection_lost(self, exc: BaseException | None) -> None:
        self._stop_headers_timer()
        super().connection_lost(exc)

    def _stop_headers_timer(self) -> None:
        if self._headers_timer is not None:
            self._headers_timer.cancel()
            self._headers_timer = None

    def _headers_timed_out(self, timeout_s: float) -> None:
        self._headers_timer = None
        if self.transport is None or self.transport.is_closing():
            return
        peer = self.transport.get_extra_info("peername")
        log.warning("closed the connection of %s: its request headers were not complete after %g s", peer, timeout_s)
        body = error_body("headers_timeout", f"the request headers were not complete after {timeout_s:g} s")
        self.transport.write(b"HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\nConnection: close\r\n"
                             b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        self.transport.close()  # connection_lost follows, which ends the connection's task

    def handle_error(self, request, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        """aiohttp's answer to a request it could not parse (400), or that failed outside the
        application (500, 504): JSON, one log line, the connection closed."""
        if request.writer.output_size > 0:  # some of the answer went out: nothing else can
            raise ConnectionError("the answer was partly sent; the connection is closed")
        if status == 400 and isinstance(exc, LineTooLong):
            code, text = "request_too_large", (f"the request line or a header is longer than {self.max_line_size} "
                                               "bytes")
        elif status == 400:
            what = type(exc).__name__ if isinstance(exc, HttpProcessingError) else "request"
            code, text = "bad_http_request", f"malformed HTTP request ({what})"
        elif status == 504:
            code, text = "timeout", "the request took too long"
        else:
            code, text = "internal_error", "internal error"
        why = clipped(str(getattr(exc, "message", None) or exc or message))
        if status >= 500:
            log.error("%s from %s", code, request.remote, exc_info=exc)
        elif isinstance(exc, BadHttpMethod) and self._request_count == 1:  # not HTTP at all: scanners, TLS
            log.debug("%s from %s: %s", code, request.remote, why)
        else:
            log.warning("%s from %s: %s", code, request.remote, why)
        response = web.Response(status=status, body=error_body(code, text), content_type="application/json")
        response.force_close()
        return response


async def read_body(request: web.Request, max_bytes: int, timeout_s: float) -> bytes:
    """The whole body, refused (413) past `max_bytes` and (408) when it takes longer than
    `timeout_s` to arrive; both close the connection."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise BodyError(413, "body_too_large", f"the body is {request.content_length} bytes; at most {max_bytes}")
    chunks, size = [], 0
    try:
        async with asyncio.timeout(timeout_s):
            async for chunk in request.content.iter_any():
                size += len(chunk)
                if size > max_bytes:
                    raise BodyError(413, "body_too_large", f"the body is over {max_bytes} bytes")
                chunks.append(chunk)
    except TimeoutError:
        raise BodyError(408, "body_timeout", f"the body did not arrive within {timeout_s:g} s") from None
    return b"".join(chunks)


class BodyError(QueryError):
    """A body too large or too slow: answered with its status, the connection closed."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message, "body")
        self.status, self.code = status, code
