"""Footpaths generated between stops close to each other, cut by max walk.

B and D stand 300 m apart: with a transfer walk of 400 m the change walks over; with 0, it
cannot. With the default detour factor 1.3 the walk is 390 m (294 s at 1.33 m/s): still
under 400 m, but not under 350 m.
"""

from trajet.feeds.footpaths import WalkSettings
from trajet.router.query import QueryOptions

TRIPS = {"t1": "A 08:00, B 08:10", "t2": "D 08:20, C 08:40"}
STOPS = {"A": (60.0, 25.0), "B": (60.1, 25.0), "D": (60.1027, 25.0), "C": (60.2, 25.0)}


def test_walks_between_close_stops(plan):
    got = plan(TRIPS, "A", "C", "07:55", stops=STOPS, options=QueryOptions(max_transfer_walk_m=400))
    assert got == ["A 08:00 t1 B 08:10 / B 08:10 walk D 08:13 / D 08:20 t2 C 08:40"]


def test_max_walk_zero_disables_generated_footpaths(plan):
    assert plan(TRIPS, "A", "C", "07:55", stops=STOPS, options=QueryOptions(max_transfer_walk_m=0)) == []


def test_walks_to_a_destination_stop_nearby(plan):
    got = plan({"t1": "A 08:00, B 08:10"}, "A", "D", "07:55", stops=STOPS,
               options=QueryOptions(max_transfer_walk_m=400))
    assert got == ["A 08:00 t1 B 08:10 / B 08:10 walk D 08:13"]


def test_the_detour_factor_lengthens_crow_fly_walks(plan):
    detoured = WalkSettings()
    got = plan(TRIPS, "A", "C", "07:55", stops=STOPS, walking=detoured, options=QueryOptions(max_transfer_walk_m=400),
               full=True)
    [it] = got["itineraries"]
    walk = it["legs"][1]
    assert (walk["duration"], walk["distance"], walk["walkModel"]) == (294, 390.0, ["crow-fly"])
    assert got["walking"]["detourFactor"] == 1.3
    assert plan(TRIPS, "A", "C", "07:55", stops=STOPS, walking=detoured,
                options=QueryOptions(max_transfer_walk_m=350)) == []
