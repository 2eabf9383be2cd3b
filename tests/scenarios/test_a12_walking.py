"""Footpaths generated between stops close to each other, cut by max walk.

B and D stand 300 m apart: with max walk 400 m the change walks over; with 0, it cannot.
"""

from trajet.router.query import QueryOptions

TRIPS = {"t1": "A 08:00, B 08:10", "t2": "D 08:20, C 08:40"}
STOPS = {"A": (60.0, 25.0), "B": (60.1, 25.0), "D": (60.1027, 25.0), "C": (60.2, 25.0)}


def test_walks_between_close_stops(plan):
    got = plan(TRIPS, "A", "C", "07:55", stops=STOPS, options=QueryOptions(max_walk_m=400))
    assert got == ["A 08:00 t1 B 08:10 / B 08:10 walk D 08:13 / D 08:20 t2 C 08:40"]


def test_max_walk_zero_disables_generated_footpaths(plan):
    assert plan(TRIPS, "A", "C", "07:55", stops=STOPS, options=QueryOptions(max_walk_m=0)) == []


def test_walks_to_a_destination_stop_nearby(plan):
    got = plan({"t1": "A 08:00, B 08:10"}, "A", "D", "07:55", stops=STOPS, options=QueryOptions(max_walk_m=400))
    assert got == ["A 08:00 t1 B 08:10 / B 08:10 walk D 08:13"]
