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
