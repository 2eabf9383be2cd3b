"""Two trips of one route: the express leaves A later but reaches C first.

RAPTOR needs trips that never overtake; the compiler splits the pattern, and the
query leaving at 07:55 must still find the express.
"""

TRIPS = {
    "slow": "A 08:00, B 08:30, C 09:00",
    "express": "A 08:05, B 08:15, C 08:25",
}


def test_the_overtaking_express_is_found(plan):
    assert plan(TRIPS, "A", "C", "07:55") == ["A 08:05 express C 08:25"]


def test_the_slow_trip_serves_where_the_express_does_not_stop(plan):
    trips = dict(TRIPS, express="A 08:05, B/nodropoff 08:15, C 08:25")
    assert plan(trips, "A", "B", "07:55") == ["A 08:00 slow B 08:30"]


def test_routes_with_the_same_stops_ride_one_pattern_and_keep_their_names(plan, tmp_path):
    """The router sees one pattern for trips of routes with the same stops (fewer scans per
    round); each leg still names the route of the trip it rides."""
    import datetime as dt

    from trajet.service.network import Network

    from ..inline_gtfs import write_feed

    trips = {"r1": "A 08:00, B 08:10, C 08:20", "r2": "A 08:30, B 08:40, C 08:50", "r3": "A 09:00, B 09:10, C 09:20"}
    network = Network.open([write_feed(tmp_path / "shared", trips)], cache_dir=tmp_path / "cache")
    assert network.day(dt.date(2024, 3, 12)).router.tt.n_patterns == 1
    body = plan(trips, "A", "C", "08:20", full=True)
    [leg] = body["itineraries"][0]["legs"]
    assert (leg["tripId"], leg["routeId"], leg["startTime"][11:16]) == ("r2", "Rr2", "08:30")
