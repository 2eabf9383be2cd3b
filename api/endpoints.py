"""The query parameters of every GET endpoint, declared once.

`GET_QUERIES` maps each GET route to the `Query` it takes: its parameters (name, meaning,
JSON schema) and the conflicts between them. app.py registers every GET route through
`accepting`, which checks the request against its declaration before the handler runs,
so before any work and before a routing thread is taken; the OpenAPI document
(openapi.py) lists each path's parameters and its 400 from the same declaration.

A GET request is refused with 400 `bad_request`, error.field naming the parameter, when it
- has a parameter its endpoint does not take: a misspelt or unsupported option silently
  ignored would answer another question than the one asked (an `arriveBy` ignored is a
  wrong journey); the message suggests the closest known name. Names are case-sensitive
  (OpenTripPlanner's are camelCase): `arriveby` is unknown, with `arriveBy` suggested;
- gives a parameter twice (`time=08:00&time=09:00`): which one is meant cannot be known;
- gives two parameters that contradict each other (a conflict: see service.params.Exclusive).
An empty value (`date=`) is not refused: it means the parameter's default, as if absent.

Only GET routes are declared: a POST route (a gateway's webhook, later) takes its body as
its sender sends it, extra fields included, and is registered without this check.

The plan's parameters are its own (from, to, date, time, numItineraries) and every entry
of service.params.PLAN_PARAMETERS: a new entry there is accepted, documented and tested
without a change here (its schema, if not a string, goes into PARAMETER_TYPES).
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass

from trajet.billing.funding import BASES, MODELS, check_basis
from trajet.router.query import ALLOW, EXCLUDE, STREET_MODES
from trajet.service.errors import QueryError
from trajet.service.params import (
    ACCESS_PARAMETERS,
    DEFAULT_NUM_ITINERARIES,
    MAX_NUM_ITINERARIES,
    PLAN_CONFLICTS,
    PLAN_PARAMETERS,
    PLAN_RANGES,
    Exclusive,
    check_conflicts,
    describe,
)
from trajet.service.street_map import MAX_AREA_KM2
from trajet.service.traveltimes import (
    DEFAULT_MAX_TRAVEL_S,
    MAX_PERCENTILES,
    MAX_TRAVEL_S,
    MAX_WINDOW_S,
    TRAVELTIME_OPTIONS,
)

STRING, NUMBER, INTEGER, BOOLEAN = ({"type": t} for t in ("string", "number", "integer", "boolean"))
DATE = {"type": "string", "format": "date"}

# the plan options echoed in every answer, and the types of the plan's query parameters (with their ranges)
STREET_MODE, UNKNOWN = {"enum": list(STREET_MODES)}, {"enum": [ALLOW, EXCLUDE]}
OPTION_TYPES = {"maxTransfers": INTEGER, "transferSlack": INTEGER, "maxTransferWalk": INTEGER,
                "maxPreTransitTime": INTEGER, "maxPostTransitTime": INTEGER, "maxDirectTime": INTEGER,
                "walkSpeed": NUMBER, "accessMode": STREET_MODE, "egressMode": STREET_MODE, "directMode": STREET_MODE,
                "bikeSpeed": NUMBER, "bikeOnBoard": BOOLEAN, "bikeUnknown": UNKNOWN, "wheelchair": BOOLEAN,
                "wheelchairUnknown": UNKNOWN}


def _ranged(name: str, schema: dict) -> dict:
    """A plan parameter's schema with its range, if it has one (service.params.PLAN_RANGES)."""
    if name not in PLAN_RANGES:
        return schema
    lo, hi = PLAN_RANGES[name]
    return {**schema, "minimum": lo, "maximum": hi}


PARAMETER_TYPES = {name: _ranged(name, schema) for name, schema in {
    **OPTION_TYPES, "maxWalk": INTEGER, "searchWindow": {**INTEGER, "minimum": 0}, "arriveBy": BOOLEAN}.items()}
COMMA_SEPARATED = frozenset({"modes", "excludeModes"})  # lists: one parameter, values joined by commas

# names other planners use for one of ours (OpenTripPlanner's and MOTIS's fromPlace, toPlace)
OTHER_PLANNERS = {"fromPlace": "from", "toPlace": "to"}
# names under which clients send an API key in a query string; ours goes in a header
KEY_NAMES = frozenset({"apikey", "key", "xapikey", "token", "accesstoken"})


@dataclass(frozen=True)
class Parameter:
    """A query parameter: its name, its meaning and its JSON schema, as OpenAPI lists it."""

    name: str
    description: str
    schema: dict | None = None  # None: a string
    required: bool = False
    location: str = "query"  # "path": a part of the route (/v1/stops/{stopId}/...), never in the query string

    def openapi(self) -> dict:
        schema = self.schema or STRING
        if self.required and schema == STRING:
            schema = {**STRING, "minLength": 1}  # an empty value is the default, as if absent: missing
        return {"name": self.name, "in": self.location, "required": self.required or self.location == "path",
                "description": self.description, "schema": schema}


@dataclass(frozen=True)
class Query:
    """What a GET endpoint takes: its parameters; any other query parameter is refused, as is
    one given twice or two of `conflicts` (callables on the query: service.params.Exclusive,
    or a function raising QueryError whose docstring says what it refuses)."""

    parameters: tuple[Parameter, ...] = ()
    conflicts: tuple = ()

    @functools.cached_property
    def names(self) -> tuple[str, ...]:
        """The names a query string may carry (path parameters are not among them)."""
        return tuple(p.name for p in self.parameters if p.location == "query")

    def check(self, query) -> None:
        """Raises QueryError at the first unknown, repeated or conflicting parameter of a
        query string (a multidict: `getall` gives every value of a name)."""
        given = list(dict.fromkeys(query))  # each name once, in the order asked
        for name in given:
            if name not in self.names:
                raise QueryError(unknown_message(name, self.names), name)
        for name in given:
            if (n := len(query.getall(name))) > 1:
                times = "twice" if n == 2 else f"{n} times"
                listed = f"; a list is one {name}, comma-separated ({name}=BUS,TRAM)" if name in COMMA_SEPARATED else ""
                raise QueryError(f"{name} is given {times}; give it once{listed}", name)
        check_conflicts(query, self.conflicts)

    def bad_request(self) -> str:
        """The OpenAPI description of this endpoint's 400 (CommonMark)."""
        head = "A bad query (error.code `bad_request`, error.field naming the parameter): "
        if not self.names:
            return head + "any query parameter, as this endpoint takes none (refused, never ignored)."
        text = (head + "a value not understood or out of range; a parameter this endpoint does not take (refused, "
                "never ignored; the message suggests the closest known name); a parameter given twice"
                + ("; or two that conflict (the message names both and what to give instead)" if self.conflicts
                   else "") + ". An empty value is the parameter's default, as if absent.")
        if self.conflicts:
            text += "\n\nConflicts:\n" + "".join(f"\n- {describe(c)}" for c in self.conflicts)
        return text


def unknown_message(name: str, known: tuple[str, ...]) -> str:
    shown = f"unknown parameter {name!r}" if name else "a parameter without a name"
    if _fold(name) in KEY_NAMES:
        return f"{shown}: an API key goes in the X-Api-Key header, never in the query string (which servers log)"
    suggestion = closest(name, known) if name else None
    if suggestion:
        return f"{shown}; did you mean {suggestion}?"
    return f"{shown}; this endpoint takes {', '.join(known)}" if known else f"{shown}; this endpoint takes none"


def _fold(name: str) -> str:
    return re.sub(r"[-_\s]", "", name.lower())


def closest(name: str, known: tuple[str, ...]) -> str | None:
    """The known name `name` most likely meant: the same but for case, `_` or `-`; another
    planner's name for it; else the nearest spelling (difflib), if near enough."""
    folded = {_fold(k): k for k in known}
    if _fold(name) in folded:
        return folded[_fold(name)]
    if OTHER_PLANNERS.get(name) in known:
        return OTHER_PLANNERS[name]
    match = difflib.get_close_matches(_fold(name), folded, n=1, cutoff=0.6)
    return folded[match[0]] if match else None


def _q(name: str, description: str, schema: dict | None = None, required: bool = False) -> Parameter:
    return Parameter(name, description, schema, required)


def _limit(hi: int, default: int = 10) -> Parameter:
    return _q("limit", f"1..{hi} (default {default})", {"type": "integer", "minimum": 1, "maximum": hi})


PLAN = Query(
    parameters=(
        _q("from", "stop id, or lat,lon", required=True),
        _q("to", "stop id, or lat,lon", required=True),
        _q("date", "YYYY-MM-DD (default: today in the feed's timezone)", DATE),
        _q("time", "HH:MM[:SS] (default: now)"),
        *(_q(name, text, PARAMETER_TYPES.get(name)) for name, text in PLAN_PARAMETERS.items()),
        _q("numItineraries", f"1..{MAX_NUM_ITINERARIES} (default {DEFAULT_NUM_ITINERARIES})",
           {"type": "integer", "minimum": 1, "maximum": MAX_NUM_ITINERARIES}),
    ),
    conflicts=PLAN_CONFLICTS,
)

# /v1/stops searches by name or around a position, as OpenTripPlanner's stops(name) and
# stopsByRadius are two queries: a name and a position together would leave one of them
# ignored, so they are refused, pointing to /v1/places, which ranks names by distance
STOPS_CONFLICTS = (
    Exclusive("q", "near", "search by name (q) or around a position (near), not both; /v1/places?q=NAME&near=lat,lon "
                           "ranks the names found by their distance", field="near"),
    Exclusive("q", "radius", "radius is the distance around near; a search by name (q) takes none", field="radius"),
)

# /v1/traveltimes: one origin, every stop; the plan's options that bear on a journey from
# the origin to a stop (not those of the destination's walk nor of a journey on foot alone)
TRAVELTIMES = Query(
    parameters=(
        _q("from", "stop id, or lat,lon: travel times from there to every stop (one of from and to)"),
        _q("to", "stop id, or lat,lon: travel times from every stop to there, arriving by time (many-to-one, "
                 "by the backward search on the mirrored timetable; each stop with its latestDeparture)"),
        _q("date", "YYYY-MM-DD (default: today in the feed's timezone)", DATE),
        _q("time", "HH:MM[:SS]: the departure, or the first minute of the window (default: now); with to, the "
                   "deadline, or the last minute of the window"),
        _q("window", f"seconds of departure minutes from time (0..{MAX_WINDOW_S}, default 0: one departure); over "
                     "a window each stop has the minimum, median and percentiles of its travel time from each minute "
                     "(with to, of the deadlines in the window before time)",
           {"type": "integer", "minimum": 0, "maximum": MAX_WINDOW_S}),
        _q("percentiles", f"with a window, up to {MAX_PERCENTILES} whole percentiles 1..99, comma-separated "
                          "(nearest rank: the smallest time at least p % of the minutes reach)"),
        _q("maxTravelTime", f"seconds: stops reached later are left out (60..{MAX_TRAVEL_S}, default "
                            f"{DEFAULT_MAX_TRAVEL_S})", {"type": "integer", "minimum": 60, "maximum": MAX_TRAVEL_S}),
        _q("format", "json (default) or geojson: a FeatureCollection of the stops as Points (also with "
                     "Accept: application/geo+json)", {"enum": ["json", "geojson"]}),
        *(_q(name, PLAN_PARAMETERS[name], PARAMETER_TYPES.get(name)) for name in TRAVELTIME_OPTIONS),
    ),
    conflicts=(Exclusive("from", "to", "give from for the travel times from a place, or to for those to it"),
               *(c for c in PLAN_CONFLICTS if c.second in TRAVELTIME_OPTIONS)),
)

# the funders' dashboard and the open usage report (api/dashboard.py); `key` is for a browser
# opening the page, which cannot set X-Api-Key (the ledger records only the header)
_PERIOD = (_q("territory", "a declared territory (default: all)"),
           _q("since", "YYYY-MM-DD, UTC (default: the ledger's first day)", DATE),
           _q("until", "YYYY-MM-DD, UTC, inclusive (default: the ledger's last day)", DATE))
_KEY = _q("key", "an admin key, for a browser opening the page (which cannot send X-Api-Key); other clients send "
                 "the header")
_FORMAT = _q("format", "json (default) or csv", {"enum": ["json", "csv"]})
DASHBOARD_QUERIES = {
    "/dashboard": Query((*_PERIOD, _q("lang", "en or fr (default: from Accept-Language)", {"enum": ["en", "fr"]}),
                         _KEY)),
    "/dashboard/data": Query((*_PERIOD, _FORMAT, _KEY)),
    "/v1/reports/usage": Query((*_PERIOD, _FORMAT)),
}

# the traveller page, the departure boards, their static files and the streets under a journey (api/page.py)
_LANG = _q("lang", "en or fr (default: from Accept-Language)", {"enum": ["en", "fr"]})
PAGE_QUERIES = {
    "/v1/streets": Query((_q("bbox", f"minLon,minLat,maxLon,maxLat (WGS84 degrees), at most {MAX_AREA_KM2:.0f} km²",
                             required=True),)),
    "/": Query((_LANG,)),
    "/stop/{stop_id}": Query((Parameter("stopId", "the stop, or a station (all its platforms)", location="path"),
                              _LANG)),
    "/static/{name}": Query((Parameter("name", "a file of the page: page.js, page.css", location="path"),
                             _q("v", "the file's version, written by the pages so that a new one is fetched at once"))),
}

GET_QUERIES: dict[str, Query] = {
    "/v1/health": Query(),
    "/v1/ready": Query(),
    "/v1/feeds": Query((_q("report", "full: every validation finding of each feed", {"enum": ["full"]}),)),
    "/v1/plan": PLAN,
    "/v1/traveltimes": TRAVELTIMES,
    "/v1/stops": Query(
        (_q("q", "name to search (or near)"), _q("near", "lat,lon (or q)"),
         _q("radius", "metres around near (default 500)", INTEGER), _limit(100)),
        STOPS_CONFLICTS,
    ),
    "/v1/places": Query((
        _q("q", "what to search: a stop, station, address (street and number) or place name", required=True),
        _q("near", "lat,lon: breaks ties by distance"),
        _limit(100),
    )),
    "/v1/places/reverse": Query((_q("point", "lat,lon", required=True),
                                 _q("radius", "metres (default 200)", INTEGER))),
    "/v1/stops/{stop_id}/departures": Query((
        Parameter("stopId", "the stop, or a station (all its platforms)", location="path"),
        _q("date", "YYYY-MM-DD (default: today in the feed's timezone)", DATE),
        _q("time", "HH:MM[:SS] (default: now)"),
        _limit(200),
        *(_q(name, f"{PLAN_PARAMETERS[name]}; on a board: only the platforms and trips the traveller can take",
             PARAMETER_TYPES[name]) for name in ACCESS_PARAMETERS),
    )),
    "/v1/costs": Query((_q("since", "YYYY-MM-DD, UTC (default: first day of this month)", DATE),
                        _q("until", "YYYY-MM-DD, UTC, inclusive (default: today)", DATE))),
    "/v1/funding": Query(
        (_q("model", "territory, travellers, operators, pooling, metered or all (default)",
            {"enum": [*MODELS, "all"]}),
         _q("basis", "operators: legs|minutes; pooling: population|usage|equal",
            {"enum": [basis for bases in BASES.values() for basis in bases]}),
         _q("since", "YYYY-MM-DD, UTC", DATE), _q("until", "YYYY-MM-DD, UTC, inclusive", DATE)),
        (check_basis,),
    ),
    "/openapi.json": Query(),
    "/metrics": Query(),
    **DASHBOARD_QUERIES,
    **PAGE_QUERIES,
    "/v1/text": Query((_q("q", "the question, in French or English (\"de Kamppi à Pasila à 8h\")", required=True),
                       _q("lang", "fr or en (default: detected from the question)", {"enum": ["fr", "en"]}),
                       _q("sender", "who asks, to keep a pending numbered choice (kept as a hash, never logged)"))),
}


def openapi_path(route: str) -> str:
    """The OpenAPI path of a route: its variables in camelCase (/v1/stops/{stopId}/departures)."""
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), route)


def accepting(route: str, handler):
    """`handler` behind the check of its route's declaration (a KeyError: every GET route is
    declared in GET_QUERIES)."""
    query = GET_QUERIES[route]

    @functools.wraps(handler)
    async def checked(request):
        query.check(request.query)
        return await handler(request)

    return checked
