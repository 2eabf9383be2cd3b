"""A journey on foot alone, offered beside transit when walking is possible within maxDirectTime.

Two coordinates 15 m apart get a walk of 15 s, never a tram ride. Between two stops 200 m
apart a walk of 151 s arrives before the trip (which leaves in 5 minutes), so the walk comes
alone: a journey with a trip that arrives later is beaten. 2 km apart, the trip arrives
first and the walk (1504 s) follows it; with maxDirectTime under the walk, no walk.
"""

from trajet.router.query import QueryOptions

TRIPS = {"t1": "A 08:00, B 08:05, F 08:10"}
STOPS = {"A": (60.0, 25.0), "B": (60.0018, 25.0), "F": (60.018, 25.0)}  # A-B 200 m, A-F 2 km


def kinds(body):
    return [[leg.get("tripId", "walk") for leg in it["legs"]] for it in body["itineraries"]]


def test_two_points_15_m_apart_walk(plan):
    body = plan(TRIPS, "60.0,25.0", "60.000135,25.0", "07:55", stops=STOPS, direct=True, full=True)
    assert kinds(body) == [["walk"]]
    [walk] = body["itineraries"][0]["legs"]
    assert walk["duration"] == 12 and walk["distance"] == 15.0 and body["routingErrors"] == []
    assert body["itineraries"][0]["walkDistance"] == 15.0


def test_a_short_walk_beats_the_trip(plan):
    assert plan(TRIPS, "A", "B", "07:55", stops=STOPS, direct=True) == ["A 07:55 walk B 07:57"]


def test_a_long_walk_comes_after_the_quicker_trip(plan):
    assert plan(TRIPS, "A", "F", "07:55", stops=STOPS, direct=True) == [
        "A 08:00 t1 F 08:10", "A 07:55 walk F 08:20"]
    assert plan(TRIPS, "A", "F", "07:55", stops=STOPS, direct=True, options=QueryOptions(max_direct_s=1500)) == [
        "A 08:00 t1 F 08:10"]


def test_a_walk_answers_where_no_stop_is_in_reach(plan):
    body = plan(TRIPS, "61.0,25.0", "61.001,25.0", "07:55", stops=STOPS, direct=True, full=True)
    assert kinds(body) == [["walk"]] and body["routingErrors"] == []
