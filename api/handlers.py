"""The API's handlers: parse the query, run the work off the event loop, serialise.

Routing runs in a bounded thread pool (the kernels release the GIL), so a slow request
never blocks the others; a job is queued when the jobs ahead of it (running, waiting or
abandoned but still computing) are expected to be done within `max_queue_wait_s`, else
the API answers 503 with Retry-After (billing.accounting.Backlog). Every plan answer
carries a `computation` block: what it cost (CPU time, wall time, the kernel's work, bytes
sent, euros from the cost model) and how it was computed (algorithm, feeds, options).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time

import orjson
from aiohttp import web

from trajet.billing.accounting import Busy
from trajet.billing.costs import costs_json
from trajet.billing.funding import funding_json
from trajet.service.boards import departure_board
from trajet.service.errors import QueryError
from trajet.service.geocode import reverse_place, search_places
from trajet.service.itineraries import plan_json
from trajet.service.network import Network
from trajet.service.operators import operator_shares
from trajet.service.paging import Page, page_cursors, page_of
from trajet.service.params import (
    DEFAULT_NUM_ITINERARIES,
    MAX_NUM_ITINERARIES,
    access_options,
    clock_text,
    options_json,
    parse_int,
    query_options,
    when,
)
from trajet.service.places import parse_coordinate
from trajet.service.stops import search_by_name, search_near

from .keys import BACKLOG, CONFIG, EXECUTOR, LEDGER, LIVE, METRICS, NETWORK, SETUP
from .middleware import KEY, METER
from .openapi import document
from .responses import bytes_response, error_response, json_response

ALGORITHM = {"name": "RAPTOR", "reference": "Delling, Pajor, Werneck 2012", "implementation": "trajet",
             "version": "0.1.0"}
FIRST_WARNINGS = 5  # validation warnings shown per feed in /v1/feeds; ?report=full for all


def busy() -> web.Response:
    return error_response(503, "busy", "too many journeys being planned; retry shortly", headers={"Retry-After": "1"})


async def health(request: web.Request) -> web.Response:
    return json_response(request, {"status": "ok"})


async def ready(request: web.Request) -> web.Response:
    network, ledger = request[NETWORK], request.app[LEDGER]
    status = {"status": "degraded", "reason": ledger.degraded} if ledger.degraded else {"status": "ok"}
    status["droppedRecords"] = ledger.n_dropped
    return json_response(request, {"ready": True, "feeds": network.feed_names, "ledger": status,
                                   "clock": network.clock.describe()})


def feeds_json(network: Network, full_report: bool = False) -> list[dict]:
    out = []
    for f in network.meta["feeds"]:
        warnings = f["report"]["warnings"]
        item = {
            "name": f["name"],
            "publisher": f["publisher"],
            "version": f["version"],
            "timezone": f["timezone"],
            "startDate": f["start_date"],
            "endDate": f["end_date"],
            "feedInfo": f["feed_info"],
            "counts": {"stops": f["n_stops"], "routes": f["n_routes"], "trips": f["n_trips"],
                       "stopTimes": f["n_stop_times"]},
            "validationWarnings": {"kinds": len(warnings), "rows": f["n_warnings"], "first": warnings[:FIRST_WARNINGS]},
            "sha256": f["sha256"],
        }
        if full_report:
            item["report"] = f["report"]
        out.append(item)
    return out


async def feeds(request: web.Request) -> web.Response:
    report = request.query.get("report", "")
    if report not in ("", "full"):
        raise QueryError(f"report {report!r} is not 'full'", "report")
    network = request[NETWORK]
    return json_response(request, {"feeds": feeds_json(network, report == "full"), "timetable": network.version,
                                   "reload": request.app[LIVE].status})


def _plan_job(network: Network, origin, destination, page: Page, options, limit: int, metering: bool,
              arrive_by: bool = False):
    """Runs in a routing thread: the plan's JSON (its first `limit` journeys) and the
    operators whose trips it uses."""
    answer = network.plan(origin, destination, page.date, page.seconds, options, page.window_s, arrive_by)
    del answer.result.journeys[limit:], answer.result.arrivals[limit:]
    body = plan_json(network, answer)
    return body, operator_shares(network, answer.view, answer.result.journeys) if metering else []


async def plan(request: web.Request) -> web.Response:
    app, q = request.app, request.query
    network, config = request[NETWORK], app[CONFIG]
    page = page_of(network, q, config.max_search_window_s)
    options = query_options(q, network.walking.speed_m_s)
    by = page.arrive_by
    limit = parse_int(q.get("numItineraries"), "numItineraries", DEFAULT_NUM_ITINERARIES, 1, MAX_NUM_ITINERARIES)
    origin, destination = q.get("from", ""), q.get("to", "")
    # bad places fail here, before a thread is taken
    ends = {"from": network.places.parse(origin, "from"), "to": network.places.parse(destination, "to")}

    wall = time.perf_counter()
    meter = request[METER]
    try:
        body, operators = await meter.in_thread(app[EXECUTOR], _plan_job, network, origin, destination, page,
                                                options, limit, config.metering, by, timeout=config.time_budget_s,
                                                backlog=app[BACKLOG])
    except Busy:
        return busy()
    except asyncio.TimeoutError:
        body = None
    wall_s = time.perf_counter() - wall
    # a job can end before the event loop gets the GIL back to see its deadline pass: the
    # budget is judged on the time the answer took, not on which thread ran first
    if body is None or wall_s > config.time_budget_s:
        return error_response(503, "timeout", f"planning took longer than {config.time_budget_s} s",
                              headers={"Retry-After": "5"})

    work = body.pop("work")
    body = {
        **{key: _end(network, place) for key, place in ends.items()},
        "date": page.date.isoformat(),
        "time": clock_text(page.seconds),
        **body,
        **page_cursors(network, q, page),
        "options": {**options_json(options, network.walking.speed_m_s), "numItineraries": limit,
                    "searchWindow": page.window_s, "arriveBy": by},
        "feeds": [{"name": f["name"], "publisher": f["publisher"], "version": f["version"], "sha256": f["sha256"]}
                  for f in network.meta["feeds"]],
    }
    if not config.metering:
        return json_response(request, body)
    meter.work, meter.operators = work, operators
    return metered_response(request, body, work, meter.routing_s, wall_s,
                            variant=search_variant(page.window_s, page.arrive_by))


def search_variant(window_s: int, arrive_by: bool) -> str:
    """How a plan was searched, for the computation block's algorithm."""
    what = ("rRAPTOR (range RAPTOR): every departure of the window, latest first, the labels kept"
            if window_s else "RAPTOR rounds from one departure")
    return what + ("; on the timetable mirrored in time (arrive-by)" if arrive_by else "")


def metered_response(request: web.Request, body: dict, work: dict, cpu_s: float, wall_s: float,
                     content_type: str = "application/json", variant: str | None = None) -> web.Response:
    """The answer with its computation block, whose size and cost fields are spliced into the
    serialised JSON so that the answer is serialised once and its size is exact. `variant`:
    how the algorithm was run (a window, arrive-by, one-to-all)."""
    model = request.app[SETUP].costs
    request.app[METRICS].observe_plan(work, cpu_s)
    body["computation"] = {
        "algorithm": {**ALGORITHM, "variant": variant} if variant else ALGORITHM,
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
    return bytes_response(request, data, headers, content_type)


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


def ledger_unavailable(error: Exception) -> web.Response:
    return error_response(503, "ledger_unavailable", f"the ledger cannot be read: {error}",
                          headers={"Retry-After": "30"})


async def _report(request: web.Request, fn, *args) -> web.Response:
    try:
        body = await request[METER].in_thread(request.app[EXECUTOR], fn, request.app[LEDGER], request.app[SETUP],
                                              request.query, *args)
    except sqlite3.Error as e:
        return ledger_unavailable(e)
    return json_response(request, body)


async def costs(request: web.Request) -> web.Response:
    key = request.get(KEY)
    if key is None:
        return error_response(401, "key_required", "costs are shown to API keys only (X-Api-Key)", "X-Api-Key")
    return await _report(request, costs_json, None if key.role == "admin" else key.key)


async def funding(request: web.Request) -> web.Response:
    key = request.get(KEY)
    if key is None:
        return error_response(401, "key_required", "funding models are shown to admin keys (X-Api-Key)", "X-Api-Key")
    if key.role != "admin":
        return error_response(403, "admin_only", "funding models are shown to admin keys only", "X-Api-Key")
    return await _report(request, funding_json)


async def stops_search(request: web.Request) -> web.Response:
    network, query = request[NETWORK], request.query
    limit = parse_int(query.get("limit"), "limit", 10, 1, 100)
    if query.get("q"):
        return json_response(request, search_by_name(network, query["q"], limit))
    if query.get("near"):
        near = parse_coordinate(query["near"], "near")
        if near is None:
            raise QueryError(f"near {query['near']!r} is not lat,lon", "near")
        radius = parse_int(query.get("radius"), "radius", 500, 1, 5000, " m")
        return json_response(request, search_near(network, near[0], near[1], radius, limit))
    raise QueryError("give q=NAME or near=lat,lon", "q")


async def places_search(request: web.Request) -> web.Response:
    """Stops, stations, addresses and places by name, in one ranked list."""
    network, query = request[NETWORK], request.query
    limit = parse_int(query.get("limit"), "limit", 10, 1, 100)
    text = (query.get("q") or "").strip()
    if not text:
        raise QueryError("give q=TEXT: a stop, station, address or place name", "q")
    near = None
    if query.get("near"):
        near = parse_coordinate(query["near"], "near")
        if near is None:
            raise QueryError(f"near {query['near']!r} is not lat,lon", "near")
    return json_response(request, search_places(network, text, limit, near))


async def places_reverse(request: web.Request) -> web.Response:
    """The nearest address of a coordinate, and the stops around it."""
    network, query = request[NETWORK], request.query
    point = parse_coordinate(query.get("point", ""), "point")
    if point is None:
        raise QueryError("give point=lat,lon", "point")
    radius = parse_int(query.get("radius"), "radius", 200, 1, 2000, " m")
    return json_response(request, reverse_place(network, point[0], point[1], radius))


async def stops_departures(request: web.Request) -> web.Response:
    network, query = request[NETWORK], request.query
    date, seconds = when(network, query.get("date"), query.get("time"))
    limit = parse_int(query.get("limit"), "limit", 10, 1, 200)
    options = access_options(query)  # wheelchair, bikeOnBoard and their unknowns, as a plan takes them
    try:
        body = await request[METER].in_thread(request.app[EXECUTOR], departure_board, network,
                                              request.match_info["stop_id"], date, seconds, limit, options,
                                              backlog=request.app[BACKLOG])
    except Busy:
        return busy()
    return json_response(request, body)
