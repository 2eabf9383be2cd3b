"""The analyses of a territory: travel times from one place to every stop (GET
/v1/traveltimes) and between many places (POST /v1/matrix).

Both run in the routing threads like a plan, with a routing time budget of their own
(ServiceConfig.analysis_budget_s): when it is spent they answer what they found, flagged
`partial` with the reason, rather than a 503. Both carry the `computation` block and are
recorded in the ledger under their own endpoint (the route), so the funding models see
what analyses cost beside travellers' plans. The matrix splits its origins over the
routing threads (each a metered job, so its CPU is billed to the request).
"""

from __future__ import annotations

import asyncio
import time

import orjson
from aiohttp import web

from trajet.billing.accounting import Busy
from trajet.service.errors import QueryError
from trajet.service.matrix import MAX_POINTS, MatrixJob, add_rows, empty_matrix, finish, matrix_json, parse_points
from trajet.service.matrix import run_rows as matrix_rows
from trajet.service.params import query_options, when
from trajet.service.traveltimes import (
    MATRIX_OPTIONS,
    Limits,
    parse_max_travel,
    parse_percentiles,
    parse_window,
    travel_times,
    traveltimes_geojson,
    traveltimes_json,
    work_json,
)

from .endpoints import unknown_message
from .handlers import busy, metered_response
from .keys import BACKLOG, CONFIG, EXECUTOR, NETWORK
from .middleware import METER
from .protocol import read_body
from .responses import bytes_response, error_response

GEOJSON = "application/geo+json"
MATRIX_FIELDS = ("origins", "destinations", "date", "time", "maxTravelTime", *MATRIX_OPTIONS)

MAX_MATRIX_BODY_BYTES = 1 << 20  # 500 x 500 points with their options fit in a tenth of it


def _budget(config) -> float:
    return min(config.analysis_budget_s, config.time_budget_s)


def wants_geojson(request: web.Request) -> bool:
    """format=geojson, else an Accept header asking for application/geo+json."""
    fmt = request.query.get("format", "")
    if fmt not in ("", "json", "geojson"):
        raise QueryError(f"format {fmt!r} is neither json nor geojson", "format")
    if fmt:
        return fmt == "geojson"
    return GEOJSON in request.headers.get("Accept", "")


def _traveltimes_job(network, place, date, seconds, options, window_s, percentiles, limits, geojson, to_destination):
    answer = travel_times(network, place, date, seconds, options, window_s, percentiles, limits, to_destination)
    body = (traveltimes_geojson if geojson else traveltimes_json)(network, answer)
    return body, work_json(answer.work)


async def traveltimes(request: web.Request) -> web.Response:
    app, q = request.app, request.query
    network, config = request[NETWORK], app[CONFIG]
    date, seconds = when(network, q.get("date"), q.get("time"))
    options = query_options(q, network.walking.speed_m_s)
    window_s = parse_window(q.get("window"))
    percentiles = parse_percentiles(q.get("percentiles"))
    if percentiles and not window_s:
        raise QueryError("percentiles are taken over the minutes of a window: give window too", "percentiles")
    limits = Limits(parse_max_travel(q.get("maxTravelTime")), _budget(config))
    geojson = wants_geojson(request)
    to_destination = not q.get("from") and bool(q.get("to"))  # many-to-one: from every stop to `to`
    if not (q.get("from") or q.get("to")):
        raise QueryError("give from (travel times from that place to every stop) or to (from every stop to that "
                         "place, arriving by time)", "from")
    place = q.get("to") if to_destination else q.get("from")
    network.places.parse(place, "to" if to_destination else "from")  # bad places and dates fail before a thread
    network.check_date(date)
    wall = time.perf_counter()
    try:
        body, work = await request[METER].in_thread(app[EXECUTOR], _traveltimes_job, network, place, date, seconds,
                                                    options, window_s, percentiles, limits, geojson, to_destination,
                                                    timeout=config.time_budget_s, backlog=app[BACKLOG])
    except Busy:
        return busy()
    except asyncio.TimeoutError:
        return _timeout(config)
    variant = ("one-to-all: rounds without a destination" + (", over each minute of the window, latest first, the "
                                                               "labels kept (range RAPTOR)" if window_s else "")
               + ("; on the timetable mirrored in time (to a destination)" if to_destination else ""))
    return _answer(request, body, work, time.perf_counter() - wall, GEOJSON if geojson else "application/json",
                   variant)


def _timeout(config) -> web.Response:
    return error_response(503, "timeout", f"the analysis took longer than {config.time_budget_s} s",
                          headers={"Retry-After": "5"})


def _answer(request: web.Request, body: dict, work: dict, wall_s: float, content_type: str,
            variant: str) -> web.Response:
    if not request.app[CONFIG].metering:
        return bytes_response(request, orjson.dumps(body), content_type=content_type)
    meter = request[METER]
    meter.work = work
    return metered_response(request, body, work, meter.routing_s, wall_s, content_type, variant)


def _text(name: str, value) -> str:
    """A body field as the query parameter text it stands for: true/false, a number, a list
    of modes joined by commas; QueryError naming the field for anything else."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value) and name in ("modes", "excludeModes"):
        return ",".join(value)
    raise QueryError(f"{name} must be a string, number or boolean, not {type(value).__name__}", name)


async def read_matrix_body(request: web.Request) -> dict:
    """The JSON object of a matrix request; QueryError naming `body` or the field at fault."""
    data = await read_body(request, MAX_MATRIX_BODY_BYTES, request.app[CONFIG].body_timeout_s)
    try:
        body = orjson.loads(data) if data.strip() else None
    except orjson.JSONDecodeError as e:
        raise QueryError(f"the body is not JSON: {e}", "body") from None
    if not isinstance(body, dict):
        raise QueryError("the body must be a JSON object {origins, destinations, date, time}", "body")
    for name in body:
        if name not in MATRIX_FIELDS:
            raise QueryError(unknown_message(name, MATRIX_FIELDS), name)
    for name in ("origins", "destinations"):
        if name not in body:
            raise QueryError(f"{name} is missing: a list of up to {MAX_POINTS} stop ids or \"lat,lon\"", name)
    return body


async def matrix(request: web.Request) -> web.Response:
    app = request.app
    network, config = request[NETWORK], app[CONFIG]
    body = await read_matrix_body(request)
    texts = {k: _text(k, v) for k, v in body.items() if k not in ("origins", "destinations") and v is not None}
    date, seconds = when(network, texts.get("date"), texts.get("time"))
    options = query_options(texts, network.walking.speed_m_s)
    limits = Limits(parse_max_travel(texts.get("maxTravelTime")), _budget(config))
    origins = parse_points(network, body["origins"], "origins")
    destinations = parse_points(network, body["destinations"], "destinations")
    network.check_date(date)
    wall = time.perf_counter()
    deadline = wall + limits.budget_s
    meter = request[METER]
    n_jobs = max(1, min(config.workers, len(origins)))
    try:
        job = await meter.in_thread(app[EXECUTOR], MatrixJob, network, origins, destinations, date, seconds,
                                    options, limits, timeout=config.time_budget_s, backlog=app[BACKLOG])
        parts = await asyncio.gather(*(
            meter.in_thread(app[EXECUTOR], matrix_rows, job, list(range(k, len(origins), n_jobs)), deadline,
                            timeout=config.time_budget_s, backlog=app[BACKLOG])
            for k in range(n_jobs)))
    except Busy:
        return busy()
    except asyncio.TimeoutError:
        return _timeout(config)
    result = empty_matrix(job)
    for rows in parts:
        add_rows(result, rows)
    finish(result, len(origins), len(destinations))
    return _answer(request, matrix_json(network, result), work_json(result.work), time.perf_counter() - wall,
                   "application/json", "one-to-all per origin: rounds without a destination, the destinations read out")
