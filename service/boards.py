"""Departure boards: the next trips leaving a stop or station, as the API shows them."""

from __future__ import annotations

import datetime as dt

from trajet.feeds.modes import MODES
from trajet.router.departures import departures

from .itineraries import headsign, iso
from .stops import stop_json


def departure_board(network, stop_id: str, date: dt.date, seconds: int, limit: int) -> dict:
    """The next `limit` departures from `stop_id` (a station: all its platforms) from a clock
    time on a service date. Raises QueryError for an unknown stop or a date outside the
    service days."""
    stops = network.stops_of(stop_id, "stopId")
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
            "routeId": str(net.route_id[route]),
            "routeShortName": str(net.route_short_name[route]),
            "mode": MODES[int(net.route_mode[route])],
            "headsign": headsign(network, source),
            "tripId": net.trip_id[source],
            "serviceDate": view.service_date(trip).isoformat(),
        })
    return {"stop": stop_json(network, stops[-1]), "departures": rows}
