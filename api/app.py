"""The HTTP API: `create_app(network, config, setup, ledger)` builds the aiohttp application.

Handlers are in handlers.py, the query parameters each GET route takes in endpoints.py
(checked before its handler runs), the middlewares (errors and ids outermost, then accounting) in
middleware.py; `trajet serve` runs the app with the metering server of metering.py.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from aiohttp import web

from trajet.billing.accounting import Backlog, NullLedger, Quotas, timed
from trajet.billing.config import Config, default_config
from trajet.billing.ledger import Ledger
from trajet.service.conversations import Conversations
from trajet.service.network import Network
from trajet.service.plan import warm_up
from trajet.service.reload import LiveNetwork

from . import admin, analyses, dashboard, page, text
from . import handlers as h
from .endpoints import accepting
from .keys import BACKLOG, CONFIG, EXECUTOR, LEDGER, LIVE, METRICS, SETUP, ServiceConfig
from .metrics import Metrics
from .middleware import make_accounting, make_errors_and_ids
from .responses import GZIP_MIN_BYTES, use_fast_gzip

__all__ = ["ServiceConfig", "create_app"]

# every GET route and its handler; each takes the query parameters endpoints.GET_QUERIES
# declares for it (a route not declared there fails create_app); a POST route takes a JSON
# body, checked by its handler
GET_HANDLERS = {
    "/v1/health": h.health,
    "/v1/ready": h.ready,
    "/v1/feeds": h.feeds,
    "/v1/plan": h.plan,
    "/v1/traveltimes": analyses.traveltimes,
    "/v1/stops": h.stops_search,
    "/v1/places": h.places_search,
    "/v1/places/reverse": h.places_reverse,
    "/v1/stops/{stop_id}/departures": h.stops_departures,
    "/v1/costs": h.costs,
    "/v1/funding": h.funding,
    "/openapi.json": h.openapi,
    "/metrics": h.metrics,
    "/dashboard": dashboard.dashboard,
    "/dashboard/data": dashboard.dashboard_download,
    "/v1/reports/usage": dashboard.reports_usage,
    "/v1/text": text.text_get,
    "/v1/streets": page.streets,
    "/": page.traveller_page,
    "/stop/{stop_id}": page.board_page,
    "/static/{name}": page.static_file,
}

POST_HANDLERS = {
    "/v1/matrix": analyses.matrix,
    "/v1/text": text.text_post,
    "/v1/admin/feeds": admin.reload_feeds,
}


def create_app(network: Network | LiveNetwork, config: ServiceConfig = ServiceConfig(), setup: Config | None = None,
               ledger: Ledger | None = None) -> web.Application:
    """The API on a network (a LiveNetwork with its source can be reloaded while serving:
    POST /v1/admin/feeds); `setup` (territories, keys, costs) defaults to one territory and
    anonymous access, `ledger` to none. The caller owns the ledger and closes it."""
    use_fast_gzip()
    live = network if isinstance(network, LiveNetwork) else LiveNetwork(network)
    network = live.network
    setup = setup or default_config(network.feed_names)
    ledger = ledger or NullLedger()
    metrics = Metrics()
    app = web.Application(middlewares=[make_errors_and_ids(metrics, live, setup.cors_origins),
                                       make_accounting(setup, ledger, Quotas(ledger))])
    app[LIVE] = live
    app[CONFIG] = config
    app[SETUP] = setup
    app[LEDGER] = ledger
    app[BACKLOG] = Backlog(config.max_pending, config.workers, config.max_queue_wait_s)
    app[METRICS] = metrics
    metrics.watch(app[BACKLOG], live)
    app[GZIP_MIN_BYTES] = config.gzip_min_bytes
    app[text.CONVERSATIONS] = Conversations()  # the text channel's pending choices, kept across reloads

    async def executor_ctx(app: web.Application):
        app[EXECUTOR] = ThreadPoolExecutor(max_workers=config.workers, thread_name_prefix="routing")
        # compile or load the kernels before the first request, so no answer waits for the JIT
        ok, error, cpu_s = await asyncio.get_running_loop().run_in_executor(app[EXECUTOR], timed, warm_up, network)
        ledger.add_shared_cpu(cpu_s, "warm-up")
        if not ok:
            raise error
        yield
        app[EXECUTOR].shutdown(wait=True, cancel_futures=True)

    app.cleanup_ctx.append(executor_ctx)
    for route, handler in GET_HANDLERS.items():  # each behind the check of its declared query
        app.router.add_get(route, accepting(route, handler))
    for route, handler in POST_HANDLERS.items():
        app.router.add_post(route, handler)
    return app
