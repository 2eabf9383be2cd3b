"""The OpenAPI 3.1 document of the API, served at /openapi.json.

tests/api/test_openapi.py validates the document and real responses against it, so it
stays true. Each GET path's parameters and its 400 are not written here: they come from the
endpoint's declaration (endpoints.GET_QUERIES), the one its requests are checked against.
"""

from __future__ import annotations

from trajet.feeds.footpaths import MODEL_NAMES
from trajet.feeds.modes import MODES
from trajet.service.access import BIKES_NAMES, WHEELCHAIR_NAMES
from trajet.service.matrix import MAX_POINTS
from trajet.service.params import ACCESS_PARAMETERS
from trajet.service.street_map import MAX_SEGMENTS
from trajet.service.text_answer import MAX_TEXT
from trajet.service.traveltimes import DEFAULT_MAX_TRAVEL_S, MATRIX_OPTIONS, MAX_TRAVEL_S

from .endpoints import (
    BOOLEAN,
    COMMA_SEPARATED,
    GET_QUERIES,
    INTEGER,
    NUMBER,
    OPTION_TYPES,
    PARAMETER_TYPES,
    STRING,
    openapi_path,
)

__all__ = ["OPTION_TYPES", "PARAMETER_TYPES", "document"]


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


NULLABLE_STRING = {"type": ["string", "null"]}
# a matrix body's mode families: a list of names, or their comma-separated text as /v1/plan takes it
MATRIX_OPTION_TYPES = {name: {"type": ["array", "string"], "items": STRING} for name in COMMA_SEPARATED}
TIME = {"type": "string", "format": "date-time"}

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {
            "type": "object",
            "required": ["code", "message", "field"],
            "properties": {"code": STRING, "message": STRING, "field": NULLABLE_STRING},
        }},
    },
    "Place": {
        "type": "object",
        "required": ["name", "lat", "lon"],
        "properties": {"name": STRING, "stopId": STRING, "platformCode": STRING, "lat": NUMBER, "lon": NUMBER,
                       "arrival": TIME, "departure": TIME},
    },
    "Leg": {
        "type": "object",
        "required": ["mode", "from", "to", "startTime", "endTime", "duration", "legGeometry"],
        "properties": {
            "mode": {"enum": ["WALK", "BICYCLE", *MODES]},
            "from": _ref("Place"),
            "to": _ref("Place"),
            "startTime": TIME,
            "endTime": TIME,
            "duration": INTEGER,
            "routeId": STRING,
            "routeShortName": STRING,
            "routeLongName": STRING,
            "routeColor": NULLABLE_STRING,
            "routeTextColor": NULLABLE_STRING,
            "routeType": INTEGER,
            "agencyName": STRING,
            "headsign": STRING,
            "distance": {"type": "number", "description": "metres walked (walk legs)"},
            "walkModel": {"type": "array", "items": {"enum": list(MODEL_NAMES.values())},
                          "description": "how the walk was timed: street network, crow-fly (x the detour factor), "
                                         "transfers.txt, pathways, station default"},
            "steps": {"type": "array", "items": _ref("WalkStep")},
            "pathwayModes": {"type": "array", "items": STRING,
                             "description": "the pathways.txt modes a walk inside a station takes (stairs, elevator)"},
            "tripId": STRING,
            "serviceDate": {"type": "string", "format": "date"},
            "interlineWithPreviousLeg": {"type": "boolean",
                                         "description": "transit legs: the traveller stays on board from the leg "
                                                        "before, as the vehicle goes on as this trip (block_id, "
                                                        "transfers.txt transfer_type 4); not counted as a transfer"},
            "intermediateStops": {"type": "array", "items": _ref("Place")},
            "legGeometry": {"type": "object", "required": ["points", "length"],
                            "properties": {"points": STRING, "length": INTEGER}},
        },
    },
    "WalkStep": {
        "type": "object",
        "required": ["streetName", "distance", "relativeDirection", "absoluteDirection", "lat", "lon"],
        "properties": {"streetName": STRING, "distance": NUMBER, "relativeDirection": STRING,
                       "absoluteDirection": STRING, "lat": NUMBER, "lon": NUMBER, "bogusName": BOOLEAN,
                       "stayOn": BOOLEAN, "kind": STRING},
    },
    "Walking": {
        "type": "object",
        "required": ["models", "compiledSpeed", "detourFactor", "stationChangeSeconds", "footpathRadius"],
        "properties": {"models": {"type": "array", "items": {"enum": list(MODEL_NAMES.values())}},
                       "compiledSpeed": NUMBER, "detourFactor": NUMBER, "stationChangeSeconds": INTEGER,
                       "footpathRadius": INTEGER},
        "description": "The walking model of the answer: the models its walks used, and the network's settings",
    },
    "Itinerary": {
        "type": "object",
        "required": ["startTime", "endTime", "duration", "transfers", "walkTime", "walkDistance", "transitTime",
                     "waitingTime", "legs"],
        "properties": {
            "startTime": TIME, "endTime": TIME, "duration": INTEGER, "transfers": INTEGER,
            "walkTime": INTEGER, "walkDistance": NUMBER, "transitTime": INTEGER, "waitingTime": INTEGER,
            "legs": {"type": "array", "items": _ref("Leg")},
        },
    },
    "End": {"type": "object", "properties": {"stopId": STRING, "name": STRING, "lat": NUMBER, "lon": NUMBER}},
    "Work": {
        "type": "object",
        "required": ["rounds", "patternsScanned", "tripsExamined", "stopsImproved"],
        "properties": {k: INTEGER for k in ("rounds", "patternsScanned", "tripsExamined", "stopsImproved")},
    },
    "Computation": {
        "type": "object",
        "required": ["algorithm", "cpuTimeMs", "wallTimeMs", "work", "apiKey", "responseBytes", "costEur", "costModel"],
        "properties": {
            "algorithm": {"type": "object", "required": ["name", "version"],
                          "properties": {"name": STRING, "reference": STRING, "implementation": STRING,
                                         "version": STRING,
                                         "variant": {"type": "string", "description": "how it was run: one "
                                                     "departure, a window (rRAPTOR), arrive-by (the timetable "
                                                     "mirrored in time), one-to-all"}}},
            "cpuTimeMs": NUMBER,
            "wallTimeMs": NUMBER,
            "work": _ref("Work"),
            "apiKey": STRING,
            "responseBytes": INTEGER,
            "costEur": NUMBER,
            "costModel": {"type": "object", "properties": {"eurPerCpuHour": NUMBER, "eurPerGb": NUMBER}},
        },
    },
    "RoutingError": {
        "type": "object",
        "required": ["code", "inputField", "description"],
        "properties": {"code": {"enum": ["OUTSIDE_SERVICE_PERIOD", "NO_SERVICE_ON_DATE", "NO_STOPS_IN_RANGE",
                                         "NO_TRANSIT_CONNECTION_WITHIN_LIMITS",
                                         "NO_TRANSIT_CONNECTION_IN_SEARCH_WINDOW", "NO_TRANSIT_CONNECTION"]},
                       "inputField": NULLABLE_STRING, "description": STRING},
    },
    "Finding": {
        "type": "object",
        "required": ["severity", "feed", "file", "line", "field", "reason", "count"],
        "properties": {"severity": {"enum": ["error", "warning"]}, "feed": STRING, "file": STRING,
                       "line": {"type": ["integer", "null"]}, "field": NULLABLE_STRING, "reason": STRING,
                       "count": INTEGER},
    },
    "FeedVersion": {"type": "object", "required": ["name", "publisher", "version", "sha256"],
                    "properties": {"name": STRING, "publisher": STRING, "version": NULLABLE_STRING,
                                   "sha256": {"type": "string", "description": "checksum of the feed file served"}}},
    "Reload": {
        "type": "object", "required": ["state"],
        "description": "the last replacement of the feeds while serving (POST /v1/admin/feeds, SIGHUP, trajet reload)",
        "properties": {
            "state": {"enum": ["none", "running", "served", "failed"],
                      "description": "none: no reload since start; served: its timetable is the one serving; failed: "
                                     "the previous one kept serving (error says why)"},
            "trigger": {"enum": ["reload", "upload", "signal"]},
            "feeds": {"type": "array", "items": STRING, "description": "the feeds read again or replaced"},
            "requested": TIME, "finished": {"type": ["string", "null"], "format": "date-time"},
            "error": NULLABLE_STRING, "timetable": NULLABLE_STRING}},
    "PlanResponse": {
        "type": "object",
        "required": ["from", "to", "date", "time", "itineraries", "routingErrors", "walking", "options", "feeds",
                     "computation"],
        "properties": {
            "from": _ref("End"),
            "to": _ref("End"),
            "date": {"type": "string", "format": "date"},
            "time": STRING,
            "itineraries": {"type": "array", "items": _ref("Itinerary")},
            "routingErrors": {"type": "array", "items": _ref("RoutingError"),
                              "description": "Why there is no itinerary; empty when there is one"},
            "walking": _ref("Walking"),
            "options": {"type": "object",
                        "required": [*OPTION_TYPES, "modes", "numItineraries", "arriveBy"],
                        "properties": {**OPTION_TYPES, "modes": {"type": "array", "items": {"enum": list(MODES)}},
                                       "numItineraries": INTEGER, "arriveBy": BOOLEAN}},
            "feeds": {"type": "array", "items": _ref("FeedVersion")},
            "computation": _ref("Computation"),
        },
    },
    "Feed": {
        "type": "object",
        "required": ["name", "publisher", "version", "timezone", "startDate", "endDate", "feedInfo", "counts",
                     "validationWarnings"],
        "properties": {
            "name": STRING, "publisher": STRING, "version": NULLABLE_STRING, "timezone": STRING,
            "startDate": {"type": "string", "format": "date", "description": "first service day with a trip"},
            "endDate": {"type": "string", "format": "date", "description": "last service day with a trip"},
            "feedInfo": {"type": ["object", "null"], "description": "feed_info.txt as published, shown, not routed on",
                         "properties": {k: NULLABLE_STRING for k in ("publisher", "url", "lang", "version", "startDate",
                                                                      "endDate")}},
            "sha256": STRING,
            "counts": {"type": "object", "properties": {k: INTEGER for k in ("stops", "routes", "trips", "stopTimes")}},
            "validationWarnings": {"type": "object", "required": ["kinds", "rows", "first"],
                                   "properties": {"kinds": INTEGER, "rows": INTEGER,
                                                  "first": {"type": "array", "items": _ref("Finding")}}},
            "report": {"type": "object", "properties": {"errors": {"type": "array", "items": _ref("Finding")},
                                                        "warnings": {"type": "array", "items": _ref("Finding")}}},
        },
    },
    "Stop": {
        "type": "object",
        "description": "A station (locationType 1, with its platforms), a platform (parentStation set) or a stop "
                       "without station; searches answer stations and stops without station only",
        "required": ["stopId", "name", "lat", "lon", "locationType", "platformCode", "parentStation",
                     "wheelchairBoarding", "routes"],
        "properties": {
            "stopId": STRING, "name": STRING, "lat": NUMBER, "lon": NUMBER, "locationType": INTEGER,
            "platformCode": NULLABLE_STRING, "parentStation": NULLABLE_STRING,
            "wheelchairBoarding": {"enum": [0, 1, 2], "description": "0 unknown, 1 yes, 2 no"},
            "score": NUMBER, "distance": {"type": "number", "description": "metres to the nearest platform"},
            "routes": {"type": "array", "items": _ref("StopRoute")},
            "platforms": {"type": "array", "items": _ref("Platform"), "description": "a station's, by platform code"},
        },
    },
    "StopRoute": {
        "type": "object",
        "required": ["routeId", "shortName", "mode"],
        "properties": {"routeId": STRING, "shortName": STRING, "mode": STRING},
    },
    "Platform": {
        "type": "object",
        "required": ["stopId", "platformCode", "name", "lat", "lon", "routes", "wheelchairBoarding"],
        "properties": {
            "stopId": STRING, "platformCode": NULLABLE_STRING, "name": STRING, "lat": NUMBER, "lon": NUMBER,
            "routes": {"type": "array", "items": _ref("StopRoute")},
            "wheelchairBoarding": {"enum": [0, 1, 2], "description": "0 unknown, 1 yes, 2 no"},
        },
    },
    "CostLine": {
        "type": "object",
        "required": ["requests", "cpuSeconds", "bytes", "variableEur"],
        "properties": {"name": STRING, "requests": INTEGER, "cpuSeconds": NUMBER, "bytes": INTEGER,
                       "variableEur": NUMBER},
    },
    "Costs": {
        "type": "object",
        "required": ["since", "until", "scope", "costModel", "totals", "byKey", "byTerritory", "byEndpoint", "byDay"],
        "properties": {
            "since": STRING, "until": STRING, "scope": {"enum": ["all", "own key"]}, "costModel": {"type": "object"},
            "totals": _ref("CostLine"),
            **{k: {"type": "array", "items": _ref("CostLine")}
               for k in ("byKey", "byTerritory", "byEndpoint", "byDay")},
        },
    },
    "Departure": {
        "type": "object",
        "required": ["time", "stopId", "platformCode", "routeId", "routeShortName", "mode", "headsign", "tripId",
                     "serviceDate", "wheelchairAccessible", "bikesAllowed"],
        "properties": {"time": TIME, "stopId": STRING, "platformCode": NULLABLE_STRING, "routeId": STRING,
                       "routeShortName": STRING, "routeColor": NULLABLE_STRING, "routeTextColor": NULLABLE_STRING,
                       "mode": STRING, "headsign": STRING, "tripId": STRING,
                       "serviceDate": {"type": "string", "format": "date"},
                       "wheelchairAccessible": {"enum": list(WHEELCHAIR_NAMES),
                                                "description": "the trip's GTFS wheelchair_accessible: 0 (blank) "
                                                               "NO_INFORMATION, 1 POSSIBLE, 2 NOT_POSSIBLE"},
                       "bikesAllowed": {"enum": list(BIKES_NAMES),
                                        "description": "the trip's GTFS bikes_allowed: 0 (blank) NO_INFORMATION, "
                                                       "1 ALLOWED, 2 NOT_ALLOWED"}},
    },
}

TEXT_PLACE = {"type": "object", "required": ["place", "name"], "properties": {"place": STRING, "name": STRING}}
SCHEMAS["TextReply"] = {
    "type": "object",
    "required": ["reply", "understood", "segments", "language"],
    "properties": {
        "reply": {"type": "string", "description": "at most 2 SMS segments, ending with the operator's contact"},
        "understood": {"type": "object", "required": ["kind"], "properties": {
            "kind": {"enum": ["plan", "departures", "choice", "unknown"]}, "from": TEXT_PLACE, "to": TEXT_PLACE,
            "stop": TEXT_PLACE, "date": NULLABLE_STRING, "time": NULLABLE_STRING, "arriveBy": BOOLEAN}},
        "segments": INTEGER, "language": {"enum": ["fr", "en"]},
        "choices": {"type": "array", "items": {"type": "object", "required": ["number", "place", "name"],
                                               "properties": {"number": INTEGER, "place": STRING, "name": STRING}}},
    },
}

NULLABLE_NUMBER = {"type": ["number", "null"]}
COMPUTATION = {"type": "object", "description": "what the answer cost: CPU and wall time, the kernel's work, bytes, "
                                                "euros (as a plan's)"}
ANALYSIS_FIELDS = {
    "date": STRING, "time": STRING, "maxTravelTime": INTEGER, "partial": BOOLEAN,
    "partialReason": {"type": ["string", "null"],
                      "description": "why the answer is partial: the routing time budget spent (the minutes or "
                                     "origins done are said)"},
}
SCHEMAS.update({
    "TravelTimeStop": {
        "type": "object",
        "required": ["stopId", "name", "lat", "lon", "transfers"],
        "description": "One departure: seconds and minutes to the stop. Over a window, in minutes: min, median and "
                       "p<N> (nearest rank) over the departure minutes, null when fewer minutes reach it within "
                       "maxTravelTime; transfers: of the quickest journey (a stay-seated continuation counts)",
        "properties": {"stopId": STRING, "name": STRING, "lat": NUMBER, "lon": NUMBER, "seconds": INTEGER,
                       "minutes": NUMBER, "min": NUMBER, "median": NULLABLE_NUMBER, "transfers": INTEGER,
                       "latestDeparture": {"type": "string", "description": "to a destination (many-to-one), one "
                                           "deadline: the latest departure from the stop that arrives by it, "
                                           "HH:MM:SS"}},
        "additionalProperties": NULLABLE_NUMBER,
    },
    "TravelTimes": {
        "type": "object",
        "required": ["date", "time", "arriveBy", "window", "departures", "departuresDone", "maxTravelTime",
                     "percentiles", "reached", "partial", "partialReason", "stops"],
        "description": "from the place (`from`) to every stop, or with `arriveBy` from every stop to it (`to`)",
        "properties": {**ANALYSIS_FIELDS, "from": {"type": "object"}, "to": {"type": "object"},
                       "arriveBy": BOOLEAN, "window": INTEGER, "departures": INTEGER,
                       "departuresDone": INTEGER, "percentiles": {"type": "array", "items": INTEGER},
                       "reached": INTEGER, "stops": {"type": "array", "items": _ref("TravelTimeStop")},
                       "computation": COMPUTATION},
    },
    "TravelTimesGeoJSON": {
        "type": "object",
        "required": ["type", "features", "properties"],
        "description": "A GeoJSON FeatureCollection: each stop reached a Point (lon, lat) with the properties of "
                       "TravelTimeStop but lat and lon; what was asked in the collection's properties",
        "properties": {"type": {"const": "FeatureCollection"}, "properties": {"type": "object"},
                       "features": {"type": "array", "items": {
                           "type": "object", "required": ["type", "geometry", "properties"],
                           "properties": {"type": {"const": "Feature"}, "properties": {"type": "object"},
                                          "geometry": {"type": "object", "required": ["type", "coordinates"]}}}},
                       "computation": COMPUTATION},
    },
    "MatrixRequest": {
        "type": "object",
        "required": ["origins", "destinations"],
        "additionalProperties": False,
        "properties": {
            "origins": {"type": "array", "minItems": 1, "maxItems": MAX_POINTS,
                        "items": {"oneOf": [STRING, {"type": "array", "items": NUMBER, "minItems": 2, "maxItems": 2}]},
                        "description": "stop ids, \"lat,lon\" texts or [lat, lon] pairs"},
            "destinations": {"type": "array", "minItems": 1, "maxItems": MAX_POINTS,
                             "items": {"oneOf": [STRING, {"type": "array", "items": NUMBER, "minItems": 2,
                                                          "maxItems": 2}]}},
            "date": {"type": "string", "format": "date", "description": "default: today in the feed's timezone"},
            "time": {"type": "string", "description": "HH:MM[:SS], the departure (default: now)"},
            "maxTravelTime": {"type": "integer", "minimum": 60, "maximum": MAX_TRAVEL_S,
                              "description": f"seconds; pairs beyond are null (default {DEFAULT_MAX_TRAVEL_S})"},
            **{name: {**MATRIX_OPTION_TYPES.get(name, PARAMETER_TYPES.get(name, STRING)),
                      "description": f"as /v1/plan's {name}"} for name in MATRIX_OPTIONS},
        },
    },
    "Matrix": {
        "type": "object",
        "required": ["origins", "destinations", "date", "time", "maxTravelTime", "travelTimes", "transfers",
                     "originsDone", "partial", "partialReason"],
        "properties": {
            **ANALYSIS_FIELDS,
            "origins": {"type": "array", "items": {"type": "object"}},
            "destinations": {"type": "array", "items": {"type": "object"}},
            "travelTimes": {"type": "array", "description": "per origin (null: not computed, partial) its seconds to "
                                                            "each destination (null: not within the limits)",
                            "items": {"type": ["array", "null"], "items": {"type": ["integer", "null"]}}},
            "transfers": {"type": "array",
                          "items": {"type": ["array", "null"], "items": {"type": ["integer", "null"]}}},
            "originsDone": INTEGER,
            "computation": COMPUTATION,
        },
    },
})

ERRORS = {
    "400": {"description": "A bad parameter, named in error.field",
            "content": {"application/json": {"schema": _ref("Error")}}},
    "401": {"description": "Unknown API key, or a key needed",
            "content": {"application/json": {"schema": _ref("Error")}}},
    "429": {"description": "The key's monthly quota is used up; see Retry-After",
            "content": {"application/json": {"schema": _ref("Error")}}},
    "404": {"description": "Unknown path", "content": {"application/json": {"schema": _ref("Error")}}},
    "405": {"description": "Wrong method", "content": {"application/json": {"schema": _ref("Error")}}},
}


_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_DENIED = {"401": {"description": "No or unknown admin key (X-Api-Key, or key from a browser)", **_ERROR},
           "403": {"description": "Not an admin key", **_ERROR}}
DASHBOARD_PATHS = {
    "/dashboard": {"get": {
        "summary": "The funders' dashboard: the five funding models, requests and cost per day and per endpoint, "
                   "each a plot (inline SVG) and its table; French or English. Admin keys, or everyone with "
                   "[dashboard] public = true",
        "responses": {"200": {"description": "HTML page", "content": {"text/html": {"schema": {"type": "string"}}}},
                      **_DENIED}}},
    "/dashboard/data": {"get": {
        "summary": "The dashboard's tables as a download (Content-Disposition: attachment)",
        "responses": {"200": {"description": "JSON (the funding models as /v1/funding, byDay, byEndpoint) or CSV "
                                             "(table, row, column, value)",
                              "content": {"application/json": {"schema": {"type": "object"}},
                                          "text/csv": {"schema": {"type": "string"}}}},
                      **_DENIED}}},
    "/v1/reports/usage": {"get": {
        "summary": "Open usage-and-cost report per territory, UTC day and endpoint (CC-BY-4.0, no key needed): "
                   "no API key, request id or time finer than a day; cells under 5 requests withheld",
        "security": [{}],
        "responses": {"200": {"description": "The report with its licence, data dictionary and suppression rule",
                              "content": {"application/json": {"schema": {
                                  "type": "object", "required": ["licence", "dataDictionary", "rows", "totals"],
                                  "properties": {"rows": {"type": "array"}, "totals": {"type": "array"}}}},
                                  "text/csv": {"schema": {"type": "string"}}}}}}},
}


def _ok(schema: dict, description: str) -> dict:
    return {"200": {"description": description, "content": {"application/json": {"schema": schema}}}, **ERRORS}


_HTML = {"content": {"text/html": {"schema": STRING}}}
PAGE_PATHS = {
    "/v1/streets": {"get": {
        "summary": "The street segments inside a box, to draw under a journey: each once, [lon1, lat1, lon2, lat2, "
                   f"kind] (OpenStreetMap highway kind), with an end in the box; none without streets. Past "
                   f"{MAX_SEGMENTS} segments the larger streets are kept and truncated is true",
        "responses": _ok({"type": "object", "required": ["bbox", "segments", "truncated"], "properties": {
            "bbox": {"type": "array", "items": NUMBER, "minItems": 4, "maxItems": 4},
            # each [lon1, lat1, lon2, lat2, kind]: not as prefixItems, which Schemathesis (tests/api/test_fuzz.py)
            # rewrites to a Draft 4 tuple in response schemas and then refuses as OpenAPI 3.1
            "segments": {"type": "array", "items": {"type": "array", "minItems": 5, "maxItems": 5,
                                                    "items": {"type": ["number", "string"]},
                                                    "description": "[lon1, lat1, lon2, lat2, kind]"}},
            "truncated": BOOLEAN}}, "The segments"),
    }},
    "/": {"get": {"summary": "The traveller page: a journey planner in French or English (HTML, its script "
                             "calling this API from the browser)",
                  "security": [{}], "responses": {"200": {"description": "HTML page", **_HTML}}}},
    "/stop/{stopId}": {"get": {"summary": "The departure board page of a stop or station, refreshed every 30 s",
                               "security": [{}],
                               "responses": {"200": {"description": "HTML page", **_HTML},
                                             "404": {"description": "Unknown stop: an HTML page saying so",
                                                     **_HTML}}}},
    "/static/{name}": {"get": {"summary": "The pages' script and style sheet (Cache-Control, ETag)",
                               "security": [{}],
                               "responses": {"200": {"description": "The file", "content": {
                                   "text/javascript": {"schema": STRING}, "text/css": {"schema": STRING}}},
                                   "304": {"description": "Not modified (If-None-Match)"},
                                   "404": {"description": "No such file",
                                           "content": {"application/json": {"schema": _ref("Error")}}}}}},
}


def document() -> dict:
    """The document; every GET path's parameters and its 400 come from its declaration
    (endpoints.GET_QUERIES), the one the requests are checked against."""
    spec = _document()
    for route, query in GET_QUERIES.items():
        operation = spec["paths"][openapi_path(route)]["get"]  # a KeyError: a declared route left undocumented
        operation["parameters"] = [p.openapi() for p in query.parameters]
        operation["responses"]["400"] = {"description": query.bad_request(),
                                         "content": {"application/json": {"schema": _ref("Error")}}}
    return spec


def _document() -> dict:
    obj = lambda required, props: {"type": "object", "required": required, "properties": props}  # noqa: E731
    return {
        "openapi": "3.1.0",
        "info": {"title": "Trajet", "version": "0.1.0",
                 "description": "Journey planning on GTFS timetables (RAPTOR), "
                                "with the measured cost of every answer."},
        "paths": {
            "/v1/plan": {"get": {
                "summary": "Journeys between two places",
                "responses": {**_ok(_ref("PlanResponse"), "The Pareto set over arrival and transfers"),
                              "503": {"description": "Saturated or over the time budget; see Retry-After",
                                      "content": {"application/json": {"schema": _ref("Error")}}}},
            }},
            "/v1/traveltimes": {"get": {
                "summary": "Travel times from one place (stop or coordinate) to every stop, at one departure or over "
                           "a window of departure minutes (minimum, median, percentiles, as Conveyal R5 reports "
                           "them); JSON or GeoJSON points",
                "responses": {
                    "200": {"description": "The stops reached within maxTravelTime; partial when the routing time "
                                           "budget was spent (over the latest minutes done)",
                            "content": {"application/json": {"schema": _ref("TravelTimes")},
                                        "application/geo+json": {"schema": _ref("TravelTimesGeoJSON")}}},
                    **ERRORS,
                    "503": {"description": "Saturated or over the time budget; see Retry-After",
                            "content": {"application/json": {"schema": _ref("Error")}}}},
            }},
            "/v1/matrix": {"post": {
                "summary": f"Travel times and transfers between up to {MAX_POINTS} origins and {MAX_POINTS} "
                           "destinations (stops or coordinates) at one departure",
                "requestBody": {"required": True,
                                "content": {"application/json": {"schema": _ref("MatrixRequest")}}},
                "responses": {
                    **_ok(_ref("Matrix"), "Each pair's earliest arrival as /v1/plan finds it; partial when the "
                                          "routing time budget was spent (the origins not begun are null)"),
                    "400": {"description": "A bad body (error.field names the field: body, origins, origins[3], "
                                           "an unknown field, a bad option) or too many points",
                            "content": {"application/json": {"schema": _ref("Error")}}},
                    "503": {"description": "Saturated or over the time budget; see Retry-After",
                            "content": {"application/json": {"schema": _ref("Error")}}}},
            }},
            "/v1/text": {
                "get": {"summary": "A question in French or English answered in a few words (SMS-sized): a "
                                   "journey, the next departures or numbered choices, with how it was understood "
                                   "and the operator's contact",
                        "responses": _ok(_ref("TextReply"), "The reply; understood.kind is unknown when the "
                                                            "question was not understood (still answered)")},
                "post": {"summary": "The same with a JSON body, or an SMS gateway's webhook (form-encoded: "
                                    "Twilio's From and Body, Vonage's msisdn and text; other fields ignored), "
                                    "answered in TwiML or, with Accept: text/plain, in plain text",
                         "requestBody": {"required": True, "content": {
                             "application/json": {"schema": obj(["text"], {"text": STRING, "sender": STRING,
                                                                         "lang": {"enum": ["fr", "en"]}})},
                             "application/x-www-form-urlencoded": {"schema": {
                                 "type": "object", "properties": {"From": STRING, "Body": STRING},
                                 "additionalProperties": True}}}},
                         "responses": {
                             "200": {"description": "The reply: JSON for a JSON body; TwiML or plain text for a form",
                                     "content": {"application/json": {"schema": _ref("TextReply")},
                                                 "text/xml": {"schema": STRING}, "text/plain": {"schema": STRING}}},
                             **ERRORS,
                             "400": {"description": f"An empty text, one over {MAX_TEXT} characters, an unreadable "
                                                    "body or form, an unknown JSON field",
                                     "content": {"application/json": {"schema": _ref("Error")}}}}},
            },
            "/v1/places": {"get": {
                "summary": "Stations, stops, addresses, streets and named places by name, in one ranked list "
                           "(addresses and places from the territory's OpenStreetMap extract, when it has one)",
                "responses": _ok(obj(["places", "sources"], {
                    "places": {"type": "array", "items": {"type": "object", "required": ["type", "place", "score"],
                                                          "properties": {"type": {"enum": ["stop", "osm"]},
                                                                         "place": STRING, "score": NUMBER,
                                                                         "name": STRING, "lat": NUMBER,
                                                                         "lon": NUMBER}}},
                    "sources": {"type": "array", "items": STRING}}),
                    "Best first; `place` is what /v1/plan takes as from or to"),
            }},
            "/v1/places/reverse": {"get": {
                "summary": "The nearest address of a coordinate (OpenStreetMap) and the stops around it",
                "responses": _ok(obj(["address", "stops"], {"address": {"type": ["object", "null"]},
                                                           "stops": {"type": "array", "items": _ref("Stop")}}),
                                 "The address (null beyond the radius or without an extract) and up to 5 stops"),
            }},
            "/v1/stops": {"get": {
                "summary": "Stations (with their platforms) and stops by name (typo-tolerant) or near a position",
                "responses": _ok(obj(["stops"], {"stops": {"type": "array", "items": _ref("Stop")}}),
                                 "Stops, best first"),
            }},
            "/v1/stops/{stopId}/departures": {"get": {
                "summary": "The next departures from a stop (a station: all its platforms)",
                "responses": _ok(obj(["stop", "options", "departures"],
                                     {"stop": _ref("Stop"),
                                      "options": obj(list(ACCESS_PARAMETERS),
                                                     {name: PARAMETER_TYPES[name] for name in ACCESS_PARAMETERS}),
                                      "departures": {"type": "array", "items": _ref("Departure")}}),
                                 "Departures in time order"),
            }},
            "/v1/feeds": {"get": {"summary": "The loaded feeds, their service days and validation",
                                  "responses": _ok(obj(["feeds", "timetable", "reload"], {
                                      "feeds": {"type": "array", "items": _ref("Feed")},
                                      "timetable": {"type": "string", "description": "version of the timetable "
                                                    "serving: a digest of its feeds, compiler and walking settings"},
                                      "reload": _ref("Reload")}), "Feeds")}},
            "/v1/admin/feeds": {"post": {
                "summary": "Replace the feeds while serving (admin keys): with no body the configured feeds are read "
                           "again; a GTFS zip body with feed=NAME replaces that feed. Compiled in another process and "
                           "swapped in when ready; the old timetable serves meanwhile and if it fails (GET /v1/feeds)",
                "parameters": [{"name": "feed", "in": "query", "required": False, "schema": STRING,
                                "description": "the feed the uploaded zip replaces"}],
                "requestBody": {"required": False,
                                "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}},
                "responses": {
                    "202": {"description": "Reload started",
                            "content": {"application/json": {"schema": obj(["reload"], {"reload": _ref("Reload")})}}},
                    "400": {"description": "A bad parameter or body", "content": {"application/json": {
                        "schema": _ref("Error")}}},
                    "401": {"description": "No admin key", "content": {"application/json": {"schema": _ref("Error")}}},
                    "403": {"description": "Not an admin key", "content": {"application/json": {
                        "schema": _ref("Error")}}},
                    "409": {"description": "A reload is running", "content": {"application/json": {
                        "schema": _ref("Error")}}}},
            }},
            "/v1/health": {"get": {"summary": "Alive",
                                   "responses": _ok(obj(["status"], {"status": {"const": "ok"}}), "Alive")}},
            "/v1/ready": {"get": {"summary": "Timetable loaded; the ledger's state",
                                  "responses": _ok(obj(["ready", "feeds", "ledger", "clock"], {
                                      "ready": BOOLEAN, "feeds": {"type": "array", "items": STRING},
                                      "ledger": obj(["status", "droppedRecords"], {
                                          "status": {"enum": ["ok", "degraded"]}, "reason": STRING,
                                          "droppedRecords": INTEGER}),
                                      "clock": STRING}),
                                      "Ready")}},
            "/v1/funding": {"get": {
                "summary": "Funding models side by side on the ledger's period (admin keys)",
                "responses": {**_ok({"type": "object", "required": ["since", "until", "totalEur", "models"],
                                     "properties": {"totalEur": NUMBER, "models": {"type": "object"}}},
                                    "Tables of payers"),
                              "401": {"description": "No or unknown API key",
                                      "content": {"application/json": {"schema": _ref("Error")}}},
                              "403": {"description": "Not an admin key",
                                      "content": {"application/json": {"schema": _ref("Error")}}}},
            }},
            "/v1/costs": {"get": {
                "summary": "Ledger totals by key, territory, endpoint and day "
                           "(admin keys: all; client keys: their own)",
                "responses": {**_ok(_ref("Costs"), "Totals"),
                              "401": {"description": "No or unknown API key",
                                      "content": {"application/json": {"schema": _ref("Error")}}}},
            }},
            **DASHBOARD_PATHS,
            **PAGE_PATHS,
            "/metrics": {"get": {"summary": "Prometheus metrics",
                                 "responses": {"200": {"description": "Text exposition format",
                                                       "content": {"text/plain": {"schema": STRING}}}}}},
            "/openapi.json": {"get": {"summary": "This document",
                                      "responses": {"200": {"description": "OpenAPI 3.1",
                                                            "content": {"application/json": {
                                                                "schema": {"type": "object"}}}}}}},
        },
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"apiKey": {
                "type": "apiKey", "in": "header", "name": "X-Api-Key",
                "description": "Who asks: its requests are counted against its quota and billed to its territory. "
                               "Optional where anonymous use is allowed; /v1/costs and /v1/funding need one."}},
        },
        # a key is optional: [] (anonymous) or the X-Api-Key header
        "security": [{}, {"apiKey": []}],
    }
