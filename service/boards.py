"""Departure boards: the next trips leaving a stop or station, as the API shows them."""

from __future__ import annotations

import datetime as dt

from trajet.feeds.modes import MODES
from trajet.router.departures import departures

from .itineraries import headsign, iso
from .stops import platform_code, row_json


def departure_board(network, stop_id: str, date: dt.date, seconds: int, limit: int) -> dict:
    """The next `limit` departures from `stop_id` (a station: all its platforms) from a clock
    time on a service date, each with the platform it leaves from and its headsign; the
    board's stop is the one asked (a station with its platforms). Raises QueryError for an
    unknown stop or a date outside the service days."""
    stops = network.stops_of(stop_id, "stopId")
    asked = stops[-1]  # stops_of lists a station's platforms first, the station itself last
    network.check_date(date)
    view = network.day(date)
    t_from = network.local_seconds(date, seconds) - view.origin
    net = network.net
    rows = []
    for t_dep, trip, stop, _ in departures(view.tt, stops, t_from, limit):
        source = view.source_trip(trip)
        route = int(net.trip_route[source])
        rows.append({
            "time": iso(network, view.origin, t_dep),
            "stopId": str(net.stop_id[stop]),
            "platformCode": platform_code(net, stop),
            "routeId": str(net.route_id[route]),
            "routeShortName": str(net.route_short_name[route]),
            "mode": MODES[int(net.route_mode[route])],
            "headsign": headsign(network, source),
            "tripId": net.trip_id[source],
            "serviceDate": view.service_date(trip).isoformat(),
        })
    return {"stop": row_json(network, asked), "departures": rows}
