"""Journeys as the JSON the API serves (OpenTripPlanner-like field names).

Shared by `trajet plan --json`, `trajet batch` and GET /v1/plan. Places are stops, or the
coordinate origin / destination of the query (stop index ORIGIN / DESTINATION in legs).
"""

from __future__ import annotations

import datetime as dt

from trajet.feeds.footpaths import CROW_FLY, MODEL_NAMES, STREETS, TRANSFERS
from trajet.feeds.geo import distance_m
from trajet.feeds.modes import MODES
from trajet.feeds.pathways import describe_modes
from trajet.router.planner import Journey
from trajet.router.query import QueryOptions

from .dayview import DayView
from .places import DESTINATION, ORIGIN
from .shapes import encode_segment
from .walking import street_leg

PLACE_NAMES = {ORIGIN: "Origin", DESTINATION: "Destination"}


ISO_CACHE = 50_000  # instants kept formatted (about 5 MB): the same trips' times recur


def iso(network, origin: int, t: int) -> str:
    """ISO 8601 local time with the UTC offset of the network's timezone (kept for the next
    ISO_CACHE instants asked: formatting was a tenth of the time of a plan's JSON)."""
    key = (network.timezone, origin + t)
    text = _ISO.get(key)
    if text is None:
        text = dt.datetime.fromtimestamp(origin + t, network.timezone).isoformat()
        if len(_ISO) >= ISO_CACHE:
            _ISO.clear()
        _ISO[key] = text  # a dict's get and set are atomic: safe from the routing threads
    return text


_ISO: dict[tuple, str] = {}


def _position(network, places: dict, stop: int) -> tuple[float, float]:
    if stop < 0:
        return places[stop]
    return float(network.net.stop_lat[stop]), float(network.net.stop_lon[stop])


def _place(network, places: dict, stop: int) -> dict:
    """A place of a leg (a new dict: the caller adds its times)."""
    if stop < 0:
        lat, lon = _position(network, places, stop)
        return {"name": PLACE_NAMES[stop], "lat": lat, "lon": lon}
    place = network.json_cache.get(("stop", stop))
    if place is None:
        net = network.net
        lat, lon = _position(network, places, stop)
        place = {"name": str(net.stop_name[stop]), "stopId": str(net.stop_id[stop]), "lat": lat, "lon": lon}
        if net.stop_platform_code[stop]:  # GTFS platform_code, as OpenTripPlanner's platformCode
            place["platformCode"] = str(net.stop_platform_code[stop])
        network.json_cache[("stop", stop)] = place
    return dict(place)


def _route_fields(network, route: int) -> dict:
    """The fields of a trip leg that are its route's."""
    fields = network.json_cache.get(("route", route))
    if fields is None:
        net = network.net
        fields = network.json_cache[("route", route)] = dict(
            mode=MODES[int(net.route_mode[route])],
            routeId=str(net.route_id[route]),
            routeShortName=str(net.route_short_name[route]),
            routeLongName=str(net.route_long_name[route]),
            routeColor=str(net.route_color[route]) or None,
            routeTextColor=str(net.route_text_color[route]) or None,
            routeType=int(net.route_type[route]),
            agencyName=str(net.agency_name[int(net.route_agency[route])]),
        )
    return fields


def headsign(network, trip: int) -> str:
    """trips.txt's headsign of a compiled trip, else the name of its last stop."""
    text = network.net.trip_headsign[trip]
    if text:
        return text
    net = network.net
    last = net.pattern_stops[net.pattern_stop_offsets[int(net.trip_pattern[trip]) + 1] - 1]
    return str(net.stop_name[last])


def _trip_leg(network, view: DayView, leg, out: dict) -> None:
    """Route, trip and stops between boarding and alighting of a trip leg, into `out`."""
    net = network.net
    trip = view.source_trip(leg.trip)
    route = int(net.trip_route[trip])
    stops, arrivals, departures = view.tt.trip_calls(leg.trip)
    intermediate = []
    for pos in range(leg.board_pos + 1, leg.alight_pos):
        place = _place(network, {}, int(stops[pos]))
        place.update(arrival=iso(network, view.origin, int(arrivals[pos])),
                     departure=iso(network, view.origin, int(departures[pos])))
        intermediate.append(place)
    points, n_points = network.shape_cuts.encoded(trip, leg.board_pos, leg.alight_pos)
    out.update(_route_fields(network, route))
    out.update(
        headsign=headsign(network, trip),
        tripId=net.trip_id[trip],
        serviceDate=view.service_date(leg.trip).isoformat(),
        interlineWithPreviousLeg=leg.interline,
        intermediateStops=intermediate,
        legGeometry={"points": points, "length": n_points},
    )


def street_mode(leg, options: QueryOptions, direct: bool = False) -> str:
    """WALK or BICYCLE: how a leg that is not a trip goes (the query's direct mode on the
    journey without transit, its access or egress mode at the ends; between two stops of a
    journey with transit always on foot)."""
    if direct:
        return options.direct_mode
    if leg.from_stop == ORIGIN:
        return options.direct_mode if leg.to_stop == DESTINATION else options.access_mode
    return options.egress_mode if leg.to_stop == DESTINATION else "WALK"


def leg_json(network, view, leg, places: dict | None = None, options: QueryOptions = QueryOptions(),
             direct: bool = False) -> dict:
    places = places or {}
    start, end = _place(network, places, leg.from_stop), _place(network, places, leg.to_stop)
    start["departure"] = iso(network, view.origin, leg.t_dep)
    end["arrival"] = iso(network, view.origin, leg.t_arr)
    mode = "WALK" if leg.kind == "trip" else street_mode(leg, options, direct)
    out = {
        "mode": mode,
        "from": start,
        "to": end,
        "startTime": start["departure"],
        "endTime": end["arrival"],
        "duration": leg.t_arr - leg.t_dep,
    }
    if leg.kind == "trip":
        _trip_leg(network, view, leg, out)
    else:
        _walk_leg(network, view, leg, places, out, options)
    return out


def _walk_leg(network, view: DayView, leg, places: dict, out: dict, options: QueryOptions) -> None:
    """Distance, model, geometry and steps of a walk: a compiled footpath between two stops
    (redrawn on the streets when it was walked on them), else a walk to or from a coordinate
    (on the streets, or crow-fly times the detour factor: Places.walk_between). A wheelchair
    user's walk is the step-free footpath, its pathwayModes those it takes (an elevator, ...)."""
    a, b = _position(network, places, leg.from_stop), _position(network, places, leg.to_stop)
    between_stops = leg.from_stop >= 0 and leg.to_stop >= 0
    f = view.router.footpath(leg.from_stop, leg.to_stop, options.wheelchair) if between_stops else -1
    paths = network.footpaths(options.wheelchair)  # the step-free ones for a wheelchair user
    out.update(legGeometry=None, steps=[])  # in this order in the answer; a straight line unless on the streets
    if f < 0 or paths.model[f] == STREETS:
        # seconds at the query's speed of a walk of this leg's length: at least its duration
        walk = network.places.walk_between(a, b, 2 * (leg.t_arr - leg.t_dep) + 60, options, out["mode"])
        if walk is not None:
            out.update(distance=round(walk.metres, 1), walkModel=model_names(walk.model))
            out.update(street_leg(walk.street) if walk.street is not None else _straight(a, b))
            return
    out.update(_straight(a, b))
    crow_fly = float(distance_m(a[0], a[1], b[0], b[1]))
    model = int(paths.model[f]) if f >= 0 else CROW_FLY
    walked = int(paths.walk_m[f]) if f >= 0 else 0
    distance = walked or crow_fly * (network.walking.detour if model & (CROW_FLY | TRANSFERS) else 1.0)
    modes = int(paths.pathway_modes[f]) if f >= 0 else 0
    if modes:
        out["pathwayModes"] = describe_modes(modes)  # stairs, elevator, ... of the station walk
    out.update(distance=round(distance, 1), walkModel=model_names(model))


def _straight(a: tuple[float, float], b: tuple[float, float]) -> dict:
    """The legGeometry of a walk drawn as a straight line from a to b."""
    return {"legGeometry": {"points": encode_segment(a, b), "length": 2}}


def model_names(model: int) -> list[str]:
    """The names of the walking models in a footpath_model bit set."""
    return [name for bit, name in MODEL_NAMES.items() if model & bit]


def journey_json(network, view, journey: Journey, places: dict | None = None,
                 options: QueryOptions = QueryOptions()) -> dict:
    legs = [leg_json(network, view, leg, places, options, journey.direct) for leg in journey.legs]
    walk = sum(leg.t_arr - leg.t_dep for leg in journey.legs if leg.kind == "walk")  # on foot or by bike
    walk_m = sum(leg["distance"] for leg in legs if leg["mode"] in ("WALK", "BICYCLE"))
    ride = sum(leg.t_arr - leg.t_dep for leg in journey.legs if leg.kind == "trip")
    duration = journey.t_arr - journey.t_dep
    return {
        "startTime": legs[0]["startTime"],
        "endTime": legs[-1]["endTime"],
        "duration": duration,
        "transfers": journey.transfers,
        "walkTime": walk,
        "walkDistance": round(walk_m, 1),
        "transitTime": ride,
        "waitingTime": duration - walk - ride,
        "legs": legs,
    }


def plan_json(network, answer) -> dict:
    """The itineraries of a service.plan.Answer, why there are none (routingErrors), and the
    kernel's work."""
    result = answer.result
    itineraries = [journey_json(network, answer.view, j, answer.places, answer.options) for j in result.journeys]
    models = sorted({m for it in itineraries for leg in it["legs"] for m in leg.get("walkModel", [])})
    walking = network.walking
    return {
        "itineraries": itineraries,
        "searchWindowUsed": answer.window_s,
        "routingErrors": [e.to_json() for e in answer.errors],
        "walking": {"models": models, "compiledSpeed": walking.speed_m_s, "detourFactor": walking.detour,
                    "stationChangeSeconds": walking.station_walk_s, "footpathRadius": walking.radius_m},
        "work": {
            "rounds": result.work.rounds,
            "patternsScanned": result.work.patterns_scanned,
            "tripsExamined": result.work.trips_examined,
            "stopsImproved": result.work.stops_improved,
        },
    }
