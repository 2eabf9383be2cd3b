"""Requests refused before they reach the application (over-long lines and headers,
malformed HTTP, headers or bodies that trickle, bodies too large): the API's JSON error
shape, nothing of the input echoed, one warning line logged and no traceback; the access
log's query strings clipped."""

from __future__ import annotations

import asyncio
import logging
import time

import orjson
import pytest

from trajet.api.app import ServiceConfig, create_app
from trajet.api.metering import MAX_LOGGED_QUERY, serving

CONFIG = ServiceConfig(workers=1, headers_timeout_s=1.0, body_timeout_s=1.0)


@pytest.fixture
async def base(network):
    async with serving(create_app(network, CONFIG)) as url:
        yield url


async def exchange(base: str, *parts: bytes, pause_s: float = 0.0) -> tuple[int, dict, bytes, float]:
    """Send raw bytes (pausing between parts), read until the server closes; status, JSON
    body, the raw answer and the seconds it took."""
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    started = time.monotonic()
    try:
        for part in parts:
            try:
                writer.write(part)
                await writer.drain()
            except ConnectionError:  # the server closed it: its answer is in the reader
                break
            await asyncio.sleep(pause_s)
        raw = await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), orjson.loads(body), raw, time.monotonic() - started


def logged_problems(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.parametrize("request_bytes, code", [
    (b"GET /v1/stops?q=" + b"a" * 10_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", "request_too_large"),
    (b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 10_000 + b"\r\n\r\n", "request_too_large"),
    (b"GET /v1/health HTTP/1.1\r\nHost: x\r\nno colon aaaa\r\n\r\n", "bad_http_request"),
    (b"GET /v1/health HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", "bad_http_request"),
])
async def test_malformed_requests_answer_json_and_log_one_line(base, caplog, request_bytes, code):
    caplog.set_level(logging.DEBUG)
    status, body, raw, _ = await exchange(base, request_bytes)
    assert status == 400 and body["error"]["code"] == code and b"aaaa" not in raw
    assert b"Content-Type: application/json" in raw
    problems = logged_problems(caplog)
    assert len(problems) == 1 and problems[0].levelno == logging.WARNING, problems
    assert problems[0].exc_info is None and "\n" not in problems[0].getMessage()
    assert len(problems[0].getMessage()) < 400


async def test_trickled_headers_are_timed_out(base, caplog):
    # a header every 0.4 s, never the blank line: the clock runs from the first byte, not the last
    parts = [b"GET /v1/health HTTP/1.1\r\n", b"Host: x\r\n", b"X-A: 1\r\n"]
    status, body, _, seconds = await exchange(base, *parts, pause_s=0.4)
    assert status == 408 and body["error"]["code"] == "headers_timeout"
    assert 0.9 < seconds < 3.0
    assert [r.levelno for r in logged_problems(caplog)] == [logging.WARNING]


async def test_a_body_that_never_ends_is_timed_out_and_one_too_large_refused(base):
    head = b"POST /v1/matrix HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    status, body, _, seconds = await exchange(base, head, b'{"origins": ')
    assert status == 408 and body["error"] == {"code": "body_timeout", "field": "body",
                                               "message": "the body did not arrive within 1 s"}
    assert 0.9 < seconds < 3.0
    text = b"x" * 20_000
    status, body, _, _ = await exchange(base, b"POST /v1/text HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                                        b"Content-Length: %d\r\n\r\n%s" % (len(text), text))
    assert status == 413 and body["error"]["code"] == "body_too_large"
    chunked = b"POST /v1/text HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    chunks = b"".join(b"%x\r\n%s\r\n" % (4000, b"y" * 4000) for _ in range(5)) + b"0\r\n\r\n"
    status, body, _, _ = await exchange(base, chunked + chunks)
    assert status == 413 and body["error"]["code"] == "body_too_large"


async def test_a_good_request_on_the_same_server_still_answers(base):
    status, body, _, _ = await exchange(base, b"GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status == 200 and body == {"status": "ok"}


async def test_access_log_clips_query_strings(base, caplog):
    caplog.set_level(logging.INFO, logger="aiohttp.access")
    query = "q=" + "b" * 1000
    await exchange(base, f"GET /v1/stops?{query} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    (line,) = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    assert f'"GET /v1/stops?q={"b" * (MAX_LOGGED_QUERY - 2)}..." 200 ' in line
