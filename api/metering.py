"""The server that meters every request from the first byte read to the last byte written.

aiohttp's public hooks see a request only from the middlewares on, and the answer only
until the handler returns; parsing the request, starting its task and writing the answer
happen outside them. This server adds the rest:

- `MeteredRequestHandler`, the protocol of each connection, times every read it parses and
  sets the connection's ConnectionAccount in the context of the connection's tasks;
- the loop's task factory (billing.accounting.metered_task_factory) times every step of
  those tasks and bills it to that account, that is to the request being served;
- the access logger, which aiohttp calls once the last byte is written, closes the
  request's meter and records it in the ledger.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import time

from aiohttp import web
from aiohttp.web_log import AccessLogger
from aiohttp.web_protocol import RequestHandler

from trajet.billing.accounting import ACCOUNT, ConnectionAccount, metered_task_factory

from .keys import CONFIG, LEDGER
from .middleware import METER
from .protocol import GuardedProtocol

# after answering a request whose body was not read (refused: too large, too slow), the
# rest is read and dropped this long so that the client sees the answer (aiohttp: 10 s)
LINGERING_S = 1.0
MAX_LOGGED_QUERY = 120  # characters of a query string in the access log (travellers' places: no more)


class MeteredRequestHandler(GuardedProtocol, RequestHandler):
    """aiohttp's protocol for one connection, with its loop CPU billed per request."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = ConnectionAccount()

    def data_received(self, data: bytes) -> None:
        started = time.thread_time()
        try:
            super().data_received(data)
        finally:
            self.account.bill(time.thread_time() - started)

    async def start(self) -> None:
        ACCOUNT.set(self.account)  # in this task's context, inherited by its request tasks
        await super().start()


class MeteredServer(web.Server):
    def __call__(self) -> RequestHandler:
        return MeteredRequestHandler(self, loop=self._loop, **self._kwargs)


class MeteringAccessLogger(AccessLogger):
    """Called by aiohttp after the last byte of an answer is written: the request's meter
    records it; then the access line, when the aiohttp.access logger is enabled."""

    @property
    def enabled(self) -> bool:
        return True

    def log(self, request, response, time: float) -> None:
        meter = request.get(METER)
        if meter is not None:
            meter.written()
        if self.logger.isEnabledFor(logging.INFO):
            query = request.query_string
            if len(query) > MAX_LOGGED_QUERY:
                query = query[:MAX_LOGGED_QUERY] + "..."
            self.logger.info('%s "%s %s%s" %s %s %.6f s request_id=%s', request.remote, request.method, request.path,
                             "?" + query if query else "", response.status, response.body_length, time,
                             response.headers.get("X-Request-Id", "-"))


class MeteredAppRunner(web.AppRunner):
    """An AppRunner whose connections are metered (see the module's docstring)."""

    def __init__(self, app: web.Application, **kwargs):
        kwargs.setdefault("keepalive_timeout", app[CONFIG].keepalive_timeout_s)
        kwargs.setdefault("lingering_time", LINGERING_S)
        # the access logger is what records each request, so there always is one; its
        # lines are written only when the aiohttp.access logger is enabled for INFO
        kwargs["access_log"] = kwargs.get("access_log") or logging.getLogger("aiohttp.access")
        super().__init__(app, access_log_class=MeteringAccessLogger, **kwargs)

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        server.__class__ = MeteredServer  # the same server, making metered protocols
        server.headers_timeout_s = self._app[CONFIG].headers_timeout_s  # read by GuardedProtocol
        asyncio.get_running_loop().set_task_factory(metered_task_factory)
        self._app[LEDGER].track_event_loop(threading.get_ident())
        return server


def run(app: web.Application, host: str, port: int, on_ready=None) -> None:
    """Serve `app` until SIGINT or SIGTERM, then clean up (the ledger is flushed by the app's
    cleanup)."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    runner = MeteredAppRunner(app, handle_signals=True)
    try:
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, host, port).start())
        if on_ready is not None:
            on_ready()
        loop.run_forever()
    except (web.GracefulExit, KeyboardInterrupt):
        pass
    finally:
        loop.run_until_complete(runner.cleanup())
        loop.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def serving(app: web.Application):
    """Serve `app` metered on a free loopback port for the duration of the block; yields its base URL."""
    runner = MeteredAppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
