"""Stop endpoints: search by name or position, and a stop's next departures."""

from __future__ import annotations

import datetime as dt

from feeds.modes import MODES
from feeds.network import COORDINATE, Network, QueryError
from feeds.stops import departures

from .itineraries import iso
from .params import parse_date, parse_int, parse_time


def stop_json(network: Network, stop: int) -> dict:
    net = network.net
    return {
        "stopId": str(net.stop_id[stop]),
        "name": str(net.stop_name[stop]),
        "lat": float(net.stop_lat[stop]),
        "lon": float(net.stop_lon[stop]),
        "locationType": int(net.stop_location_type[stop]),
        "routes": [
            {"routeId": str(net.route_id[r]), "shortName": str(net.route_short_name[r]), "mode": MODES[int(net.route_mode[r])]}
            for r in network.stop_routes[stop]
        ],
    }


def search_stops(network: Network, query) -> dict:
    limit = parse_int(query.get("limit"), "limit", 10, 1, 100)
    if query.get("q"):
        hits = network.stop_names.search(query["q"], limit)
        return {"stops": [dict(stop_json(network, s), score=round(score, 1)) for s, score in hits]}
    if query.get("near"):
        match = COORDINATE.match(query["near"])
        if not match:
            raise QueryError(f"near {query['near']!r} is not lat,lon", "near")
        radius = parse_int(query.get("radius"), "radius", 500, 1, 5000, " m")
        hits = network.nearby(float(match.group(1)), float(match.group(2)), radius)[:limit]
        return {"stops": [dict(stop_json(network, s), distance=round(m, 1)) for s, m in hits]}
    raise QueryError("give q=NAME or near=lat,lon", "q")


def stop_departures(network: Network, stop_id: str, query) -> dict:
    stops = network.stops_of(stop_id, "stopId")
    now = dt.datetime.now(network.timezone)
    date = parse_date(query["date"]) if "date" in query else now.date()
    seconds = parse_time(query["time"]) if "time" in query else now.hour * 3600 + now.minute * 60 + now.second
    limit = parse_int(query.get("limit"), "limit", 10, 1, 200)
    view = network.day(date)
    t_from = network.local_seconds(date, seconds) - view.origin
    net, tt = network.net, view.router.tt
    rows = []
    for t_dep, trip, stop, _ in departures(tt, stops, t_from, limit):
        source = int(tt.trip_source[trip])
        route = int(net.trip_route[source])
        rows.append({
            "time": iso(network, view.origin, t_dep),
            "stopId": str(net.stop_id[stop]),
            "routeId": str(net.route_id[route]),
            "routeShortName": str(net.route_short_name[route]),
            "mode": MODES[int(net.route_mode[route])],
            "headsign": net.trip_headsign[source],
            "tripId": net.trip_id[source],
            "serviceDate": (view.date + dt.timedelta(days=int(tt.trip_day[trip]))).isoformat(),
        })
    return {"stop": stop_json(network, stops[-1]), "departures": rows}
