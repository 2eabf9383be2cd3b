"""Departure boards: the next trips leaving a stop or station, as the API shows them.

For a wheelchair user (or a bike on board) a board keeps only the platforms the traveller can
board at and the trips the traveller can ride, by the plan's rules (service/access.py), and
every row says whether its trip takes wheelchairs and bikes (OpenTripPlanner's names).
"""

from __future__ import annotations

import datetime as dt

from trajet.feeds.modes import MODES
from trajet.router.departures import departures
from trajet.router.query import QueryOptions

from .access import BIKES_NAMES, WHEELCHAIR_NAMES, usable_stops, usable_trips
from .itineraries import headsign, iso
from .params import access_json
from .stops import platform_code, row_json

WIDEN = 4  # how much more to look ahead each time the restrictions leave a board short


def departure_board(network, stop_id: str, date: dt.date, seconds: int, limit: int,
                    options: QueryOptions = QueryOptions()) -> dict:
    """The next `limit` departures from `stop_id` (a station: all its platforms) from a clock
    time on a service date, each with the platform it leaves from, its headsign and its
    trip's wheelchair and bike access; with options.wheelchair / bike_on_board only those the
    traveller can take. The board's stop is the one asked (a station with its platforms).
    Raises QueryError for an unknown stop or a date outside the service days."""
    stops = network.stops_of(stop_id, "stopId")
    asked = stops[-1]  # stops_of lists a station's platforms first, the station itself last
    network.check_date(date)
    view = network.day(date)
    t_from = network.local_seconds(date, seconds) - view.origin
    net = network.net
    boarding = [s for s, ok in zip(stops, usable_stops(network, stops, options)) if ok]
    rows = []
    for t_dep, trip, stop, _ in _usable_departures(network, view, boarding, t_from, limit, options):
        source = view.source_trip(trip)
        route = int(net.trip_route[source])
        rows.append({
            "time": iso(network, view.origin, t_dep),
            "stopId": str(net.stop_id[stop]),
            "platformCode": platform_code(net, stop),
            "routeId": str(net.route_id[route]),
            "routeShortName": str(net.route_short_name[route]),
            "routeColor": str(net.route_color[route]) or None,
            "routeTextColor": str(net.route_text_color[route]) or None,
            "mode": MODES[int(net.route_mode[route])],
            "headsign": headsign(network, source),
            "tripId": net.trip_id[source],
            "serviceDate": view.service_date(trip).isoformat(),
            "wheelchairAccessible": WHEELCHAIR_NAMES[int(net.trip_wheelchair[source])],
            "bikesAllowed": BIKES_NAMES[int(net.trip_bikes[source])],
        })
    return {"stop": row_json(network, asked), "options": access_json(options), "departures": rows}


def _usable_departures(network, view, stops: list[int], t_from: int, limit: int, options: QueryOptions):
    """The first `limit` departures of trips the traveller may ride: looking WIDEN times further
    ahead while the restrictions leave fewer and more remain."""
    ask = limit
    while True:
        found = departures(view.tt, stops, t_from, ask)
        if not found:
            return []
        keep = usable_trips(network, view, [trip for _, trip, _, _ in found], options)
        kept = [d for d, ok in zip(found, keep) if ok]
        if len(kept) >= limit or len(found) < ask:  # enough, or every departure of the day seen
            return kept[:limit]
        ask *= WIDEN
