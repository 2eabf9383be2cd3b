"""A walk from the origin stop: the journey may first walk one footpath to a nearby stop.

The origin O is served only by a slow trip (08:30, arriving at C at 09:00); P, 200 m away
(rounded walk_m 200, 151 s at 1.33 m/s), has a fast one (08:00, at C at 08:20). The origins
of a query are its stop ready at the query time plus the stops one footpath away within max
walk, ready after the walk: with max_walk_m >= 200 the journey walks O -> P first, leaving O
151 s before the fast trip (at 07:57:29); with a smaller max walk, or 0 (generated footpaths
off), the only journey is the slow trip from O itself.
"""

import pytest

from trajet.router.query import QueryOptions

TRIPS = {"slow": "O 08:30, C 09:00", "fast": "P 08:00, C 08:20"}
STOPS = {"O": (60.0, 25.0), "P": (60.0018, 25.0), "C": (60.1, 25.0)}  # O-P: 200 m


@pytest.mark.parametrize("max_walk_m", [200, 400])
def test_walks_from_the_origin_stop_to_the_better_departure(plan, max_walk_m):
    body = plan(TRIPS, "O", "C", "07:50", stops=STOPS, options=QueryOptions(max_transfer_walk_m=max_walk_m), full=True)
    [it] = body["itineraries"]
    walk, ride = it["legs"]
    assert (walk["mode"], walk["from"]["stopId"], walk["to"]["stopId"]) == ("WALK", "O", "P")
    assert (walk["startTime"], walk["endTime"], walk["duration"]) == (
        "2024-03-12T07:57:29+02:00", "2024-03-12T08:00:00+02:00", 151)
    assert (ride["tripId"], ride["from"]["stopId"], ride["endTime"]) == ("fast", "P", "2024-03-12T08:20:00+02:00")
    assert (it["startTime"], it["walkTime"], it["transfers"]) == ("2024-03-12T07:57:29+02:00", 151, 0)


def test_the_walk_must_be_ready_before_the_departure(plan):
    # leaving O at 07:58 the walk reaches P at 08:00:31, after the fast trip has gone
    got = plan(TRIPS, "O", "C", "07:58", stops=STOPS, options=QueryOptions(max_transfer_walk_m=400))
    assert got == ["O 08:30 slow C 09:00"]


@pytest.mark.parametrize("max_walk_m", [0, 199])
def test_without_the_walk_the_journey_leaves_from_the_origin_stop(plan, max_walk_m):
    got = plan(TRIPS, "O", "C", "07:50", stops=STOPS, options=QueryOptions(max_transfer_walk_m=max_walk_m))
    assert got == ["O 08:30 slow C 09:00"]
