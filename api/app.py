"""The HTTP API: aiohttp handlers that parse, route off the event loop, and serialise.

`create_app(network, config)` builds the application; `trajet serve` runs it. Routing runs
in a bounded thread pool (the kernels release the GIL), so a slow request never blocks the
others; past `max_pending` jobs the API answers 503 with Retry-After. Every plan answer
carries a `computation` block: what it cost (thread CPU time, wall time, the kernel's work,
bytes sent, euros from the cost model) and how it was computed (algorithm, feeds, options).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import orjson
from aiohttp import web

from feeds.network import Network, QueryError

from .accounting import KEY, METER, NullLedger, Quotas, make_accounting, operator_shares
from .config import Config, default_config
from .costs import costs_json
from .funding import funding_json
from .itineraries import plan_json
from .ledger import Ledger
from .metrics import Metrics
from .openapi import document
from .stops import search_stops, stop_departures
from .params import (
    DEFAULT_NUM_ITINERARIES,
    MAX_NUM_ITINERARIES,
    options_json,
    parse_date,
    parse_int,
    parse_time,
    query_options,
)

log = logging.getLogger("trajet.api")
ALGORITHM = {"name": "RAPTOR", "reference": "Delling, Pajor, Werneck 2012", "implementation": "trajet", "version": "0.1.0"}


@dataclass(frozen=True)
class ServiceConfig:
    workers: int = 2  # routing threads
    max_pending: int = 32  # routing jobs running or waiting before 503
    time_budget_s: float = 10.0  # a plan request answers 503 past this
    gzip_min_bytes: int = 1024
    metering: bool = True  # off only to measure what metering itself costs (benchmarks)


NETWORK = web.AppKey("network", Network)
CONFIG = web.AppKey("config", ServiceConfig)
EXECUTOR = web.AppKey("executor", ThreadPoolExecutor)
PENDING = web.AppKey("pending", list)  # [number of routing jobs in flight]
METRICS = web.AppKey("metrics", Metrics)
SETUP = web.AppKey("setup", Config)  # territories, keys, cost model
LEDGER = web.AppKey("ledger", Ledger)


def error_response(status: int, code: str, message: str, field: str | None = None, headers=None) -> web.Response:
    body = {"error": {"code": code, "message": message, "field": field}}
    return web.Response(status=status, body=orjson.dumps(body), content_type="application/json", headers=headers)


def json_response(request: web.Request, body: dict, headers: dict | None = None) -> web.Response:
    return bytes_response(request, orjson.dumps(body), headers)


def bytes_response(request: web.Request, data: bytes, headers: dict | None = None) -> web.Response:
    """Serialised JSON, gzipped when large and the client accepts it."""
    response = web.Response(body=data, content_type="application/json", headers=headers)
    if len(data) >= request.app[CONFIG].gzip_min_bytes:
        response.enable_compression()
    return response


@web.middleware
async def errors_and_ids(request: web.Request, handler):
    """Request id, CORS, and every error as JSON: 400 for bad input, never a traceback."""
    request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex[:16]
    started = time.perf_counter()
    if request.method == "OPTIONS":
        response = web.Response(status=204)
    else:
        try:
            response = await handler(request)
        except QueryError as e:
            response = error_response(400, "bad_request", str(e), e.field)
        except web.HTTPMethodNotAllowed as e:
            response = error_response(405, "method_not_allowed", f"{request.method} is not allowed on {request.path}",
                                      headers={"Allow": ",".join(sorted(e.allowed_methods))})
        except web.HTTPNotFound:
            response = error_response(404, "not_found", f"no such endpoint: {request.path}")
        except web.HTTPException as e:
            response = error_response(e.status, e.reason.lower().replace(" ", "_"), e.text or e.reason)
        except Exception:
            log.exception("request %s failed", request_id)
            response = error_response(500, "internal_error", f"internal error; request id {request_id}")
    response.headers["X-Request-Id"] = request_id
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Headers"] = "X-Api-Key, X-Request-Id, Content-Type"
    response.headers["Access-Control-Expose-Headers"] = "X-Request-Id, X-Trajet-Cpu-Ms, X-Trajet-Cost-Eur"
    elapsed = time.perf_counter() - started
    response.headers["X-Trajet-Duration-Ms"] = f"{elapsed * 1000:.2f}"
    resource = request.match_info.route.resource
    endpoint = resource.canonical if resource is not None else "unmatched"
    request.app[METRICS].observe_request(endpoint, response.status, elapsed)
    return response


async def health(request: web.Request) -> web.Response:
    return json_response(request, {"status": "ok"})


async def ready(request: web.Request) -> web.Response:
    network, ledger = request.app[NETWORK], request.app[LEDGER]
    status = {"status": "degraded", "reason": ledger.degraded} if ledger.degraded else {"status": "ok"}
    return json_response(request, {"ready": True, "feeds": [f["name"] for f in network.meta["feeds"]], "ledger": status})


def feeds_json(network: Network) -> list[dict]:
    return [
        {
            "name": f["name"],
            "publisher": f["publisher"],
            "version": f["version"],
            "timezone": f["timezone"],
            "startDate": f["start_date"],
            "endDate": f["end_date"],
            "counts": {"stops": f["n_stops"], "routes": f["n_routes"], "trips": f["n_trips"], "stopTimes": f["n_stop_times"]},
            "validationWarnings": f["n_warnings"],
            "sha256": f["sha256"],
        }
        for f in network.meta["feeds"]
    ]


async def feeds(request: web.Request) -> web.Response:
    return json_response(request, {"feeds": feeds_json(request.app[NETWORK])})


def _plan_job(network: Network, origin, destination, date, seconds, options, limit: int, metering: bool):
    """Runs in a routing thread: the plan (its first `limit` journeys) and the operators whose trips it uses."""
    result, view, places = network.plan(origin, destination, date, seconds, options)
    del result.journeys[limit:], result.arrivals[limit:]
    body = plan_json(network, view, result, places)
    return body, operator_shares(network, view, result.journeys) if metering else []


async def plan(request: web.Request) -> web.Response:
    app, q = request.app, request.query
    network, config = app[NETWORK], app[CONFIG]
    now = dt.datetime.now(network.timezone)
    date = parse_date(q["date"]) if "date" in q else now.date()
    seconds = parse_time(q["time"]) if "time" in q else now.hour * 3600 + now.minute * 60 + now.second
    network.check_date(date)
    options = query_options(q.get("maxTransfers"), q.get("transferSlack"), q.get("maxWalk"), q.get("modes"), q.get("excludeModes"))
    limit = parse_int(q.get("numItineraries"), "numItineraries", DEFAULT_NUM_ITINERARIES, 1, MAX_NUM_ITINERARIES)
    origin, destination = q.get("from", ""), q.get("to", "")
    # bad places fail here, before a thread is taken
    ends = {"from": network.parse_place(origin, "from"), "to": network.parse_place(destination, "to")}

    pending = app[PENDING]
    if pending[0] >= config.max_pending:
        return error_response(503, "busy", "too many journeys being planned; retry shortly", headers={"Retry-After": "1"})
    pending[0] += 1
    wall = time.perf_counter()
    meter = request[METER]
    try:
        body, operators = await meter.in_thread(app[EXECUTOR], _plan_job, network, origin, destination, date, seconds,
                                                options, limit, config.metering, timeout=config.time_budget_s)
    except asyncio.TimeoutError:
        body = None
    finally:
        pending[0] -= 1
    wall_s = time.perf_counter() - wall
    # a job can end before the event loop gets the GIL back to see its deadline pass: the
    # budget is judged on the time the answer took, not on which thread ran first
    if body is None or wall_s > config.time_budget_s:
        return error_response(503, "timeout", f"planning took longer than {config.time_budget_s} s", headers={"Retry-After": "5"})

    work = body.pop("work")
    body = {
        **{key: _end(network, place) for key, place in ends.items()},
        "date": date.isoformat(),
        "time": f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}",
        **body,
        "options": {**options_json(options), "numItineraries": limit},
        "feeds": [{"name": f["name"], "publisher": f["publisher"], "version": f["version"]} for f in network.meta["feeds"]],
    }
    if not config.metering:
        return json_response(request, body)
    meter.work, meter.operators = work, operators
    return metered_response(request, body, work, meter.routing_s, wall_s)


def metered_response(request: web.Request, body: dict, work: dict, cpu_s: float, wall_s: float) -> web.Response:
    """The answer with its computation block, whose size and cost fields are spliced into the
    serialised JSON so that the answer is serialised once and its size is exact."""
    model = request.app[SETUP].costs
    request.app[METRICS].observe_plan(work, cpu_s)
    body["computation"] = {
        "algorithm": ALGORITHM,
        "cpuTimeMs": round(cpu_s * 1000, 3),
        "wallTimeMs": round(wall_s * 1000, 3),
        "work": work,
        "apiKey": request[KEY].key if request.get(KEY) else "anonymous",
    }
    data = orjson.dumps(body)  # ends with the computation block's closing "}}"
    size, pad = len(data), b""
    while True:  # the size counts its own digits and those of the cost: settle it
        cost = model.variable_eur(cpu_s, size)
        tail = orjson.dumps({"responseBytes": size, "costEur": cost,
                             "costModel": {"eurPerCpuHour": model.eur_per_cpu_hour, "eurPerGb": model.eur_per_gb}})
        total = len(data) + len(tail) - 1  # the tail's "{" becomes ","
        if total <= size:
            pad = b" " * (size - total)  # JSON white space keeps the stated size exact
            break
        size = total
    data = data[:-2] + b"," + tail[1:] + pad + b"}"
    headers = {"X-Trajet-Cpu-Ms": f"{cpu_s * 1000:.3f}", "X-Trajet-Cost-Eur": f"{cost:.3e}"}
    return bytes_response(request, data, headers)


def _end(network: Network, place) -> dict:
    """The origin or destination as asked: a coordinate, or a stop id with its name."""
    if isinstance(place, tuple):
        return {"lat": place[0], "lon": place[1]}
    stop = place[-1]  # the stop itself (a station comes after its platforms)
    return {"stopId": str(network.net.stop_id[stop]), "name": str(network.net.stop_name[stop])}


async def openapi(request: web.Request) -> web.Response:
    return json_response(request, document())


async def metrics(request: web.Request) -> web.Response:
    body, content_type = request.app[METRICS].exposition()
    return web.Response(body=body, headers={"Content-Type": content_type})


async def costs(request: web.Request) -> web.Response:
    key = request.get(KEY)
    if key is None:
        return error_response(401, "key_required", "costs are shown to API keys only (X-Api-Key)", "X-Api-Key")
    only = None if key.role == "admin" else key.key
    try:
        body = await request[METER].in_thread(request.app[EXECUTOR], costs_json, request.app[LEDGER], request.app[SETUP],
                                              request.query, only)
    except sqlite3.Error as e:
        return _ledger_unavailable(e)
    return json_response(request, body)


def _ledger_unavailable(error: Exception) -> web.Response:
    return error_response(503, "ledger_unavailable", f"the ledger cannot be read: {error}", headers={"Retry-After": "30"})


async def funding(request: web.Request) -> web.Response:
    key = request.get(KEY)
    if key is None:
        return error_response(401, "key_required", "funding models are shown to admin keys (X-Api-Key)", "X-Api-Key")
    if key.role != "admin":
        return error_response(403, "admin_only", "funding models are shown to admin keys only", "X-Api-Key")
    try:
        body = await request[METER].in_thread(request.app[EXECUTOR], funding_json, request.app[LEDGER], request.app[SETUP],
                                              request.query)
    except sqlite3.Error as e:
        return _ledger_unavailable(e)
    return json_response(request, body)


async def stops_search(request: web.Request) -> web.Response:
    return json_response(request, search_stops(request.app[NETWORK], request.query))


async def stops_departures(request: web.Request) -> web.Response:
    network = request.app[NETWORK]
    body = await request[METER].in_thread(request.app[EXECUTOR], stop_departures, network, request.match_info["stop_id"],
                                          request.query)
    return json_response(request, body)


def create_app(
    network: Network, config: ServiceConfig = ServiceConfig(), setup: Config | None = None, ledger: Ledger | None = None
) -> web.Application:
    """The API on a network; `setup` (territories, keys, costs) defaults to one territory and
    anonymous access, `ledger` to none. The caller owns the ledger and closes it."""
    setup = setup or default_config([f["name"] for f in network.meta["feeds"]])
    ledger = ledger or NullLedger()
    app = web.Application(middlewares=[make_accounting(setup, ledger, Quotas(ledger), error_response), errors_and_ids])
    app[NETWORK] = network
    app[CONFIG] = config
    app[SETUP] = setup
    app[LEDGER] = ledger
    app[PENDING] = [0]
    app[METRICS] = Metrics()

    async def executor_ctx(app: web.Application):
        app[EXECUTOR] = ThreadPoolExecutor(max_workers=config.workers, thread_name_prefix="routing")
        yield
        app[EXECUTOR].shutdown(wait=True, cancel_futures=True)

    app.cleanup_ctx.append(executor_ctx)
    app.router.add_get("/v1/health", health)
    app.router.add_get("/v1/ready", ready)
    app.router.add_get("/v1/feeds", feeds)
    app.router.add_get("/v1/plan", plan)
    app.router.add_get("/v1/stops", stops_search)
    app.router.add_get("/v1/stops/{stop_id}/departures", stops_departures)
    app.router.add_get("/v1/costs", costs)
    app.router.add_get("/v1/funding", funding)
    app.router.add_get("/openapi.json", openapi)
    app.router.add_get("/metrics", metrics)
    return app
