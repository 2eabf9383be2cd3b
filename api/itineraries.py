"""Journeys as the JSON the API serves (OpenTripPlanner-like field names).

Shared by `trajet plan --json`, `trajet batch` and, later, GET /v1/plan.
"""

from __future__ import annotations

import datetime as dt

from feeds.modes import MODES
from router.planner import Journey, PlanResult


def iso(network, origin: int, t: int) -> str:
    """ISO 8601 local time with the UTC offset of the network's timezone."""
    return dt.datetime.fromtimestamp(origin + t, network.timezone).isoformat()


def _place(network, stop: int) -> dict:
    net = network.net
    return {
        "stopId": str(net.stop_id[stop]),
        "name": str(net.stop_name[stop]),
        "lat": float(net.stop_lat[stop]),
        "lon": float(net.stop_lon[stop]),
    }


def leg_json(network, view, leg) -> dict:
    net = network.net
    out = {
        "mode": "WALK",
        "from": _place(network, leg.from_stop),
        "to": _place(network, leg.to_stop),
        "startTime": iso(network, view.origin, leg.t_dep),
        "endTime": iso(network, view.origin, leg.t_arr),
        "duration": leg.t_arr - leg.t_dep,
    }
    if leg.kind == "trip":
        trip = int(view.router.tt.trip_source[leg.trip])
        route = int(net.trip_route[trip])
        service_date = view.date + dt.timedelta(days=int(view.router.tt.trip_day[leg.trip]))
        out.update(
            mode=MODES[int(net.route_mode[route])],
            tripId=str(net.trip_id[trip]),
            routeId=str(net.route_id[route]),
            routeShortName=str(net.route_short_name[route]),
            routeLongName=str(net.route_long_name[route]),
            routeType=int(net.route_type[route]),
            agencyName=str(net.agency_name[int(net.route_agency[route])]),
            headsign=str(net.trip_headsign[trip]),
            serviceDate=service_date.isoformat(),
        )
    return out


def journey_json(network, view, journey: Journey) -> dict:
    legs = [leg_json(network, view, leg) for leg in journey.legs]
    return {
        "startTime": legs[0]["startTime"],
        "endTime": legs[-1]["endTime"],
        "duration": journey.t_arr - journey.t_dep,
        "transfers": journey.transfers,
        "walkTime": sum(l.t_arr - l.t_dep for l in journey.legs if l.kind == "walk"),
        "legs": legs,
    }


def plan_json(network, view, result: PlanResult) -> dict:
    """view: the feeds.network.DayView the result was computed on."""
    return {
        "itineraries": [journey_json(network, view, j) for j in result.journeys],
        "work": vars(result.work),
    }
