"""One route A -> B -> C with two trips: the query takes the first one it can catch."""

TRIPS = {
    "t1": "A 08:00, B 08:10, C 08:20",
    "t2": "A 09:00, B 09:10, C 09:20",
}


def test_takes_the_first_trip_after_the_query_time(plan):
    assert plan(TRIPS, "A", "C", "08:30") == ["A 09:00 t2 C 09:20"]


def test_boards_a_trip_leaving_exactly_at_the_query_time(plan):
    assert plan(TRIPS, "A", "B", "08:00") == ["A 08:00 t1 B 08:10"]


def test_never_rides_backwards(plan):
    assert plan(TRIPS, "C", "A", "07:00") == []
