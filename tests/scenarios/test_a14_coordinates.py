"""Coordinate origin and destination: walked from / to the stops within reach, crow-fly.

A stands 200 m south of the origin, C 300 m north of the destination; B between them is an
intermediate stop of the trip, listed with its times.
"""

from trajet.router.query import QueryOptions

TRIPS = {"t1": "A 08:00, B 08:10-08:11, C 08:20"}
STOPS = {"A": (60.0, 25.0), "B": (60.05, 25.0), "C": (60.1, 25.0)}
ORIGIN = "60.0018,25.0"  # 200 m north of A
DESTINATION = "60.1027,25.0"  # 300 m north of C


def test_walks_from_the_origin_and_to_the_destination(plan):
    body = plan(TRIPS, ORIGIN, DESTINATION, "07:50", stops=STOPS, full=True)
    (it,) = body["itineraries"]
    modes = [(leg["mode"], leg["from"]["name"], leg["to"]["name"]) for leg in it["legs"]]
    assert modes == [("WALK", "Origin", "Stop A"), ("BUS", "Stop A", "Stop C"), ("WALK", "Stop C", "Destination")]
    walk_in, ride, walk_out = it["legs"]
    assert walk_in["endTime"] == "2024-03-12T08:00:00+02:00" and walk_in["duration"] == 151  # 200 m at 1.33 m/s
    assert walk_out["duration"] == 226
    assert it["walkTime"] == 151 + 226 and it["transfers"] == 0
    assert [(s["stopId"], s["arrival"][11:16], s["departure"][11:16])
            for s in ride["intermediateStops"]] == [("B", "08:10", "08:11")]
    assert ride["legGeometry"]["length"] == 3


def test_a_coordinate_with_no_stop_within_reach_says_so(plan):
    body = plan(TRIPS, "59.0,25.0", "C", "07:50", stops=STOPS, options=QueryOptions(max_access_s=100), full=True)
    assert body["itineraries"] == []
    [error] = body["routingErrors"]
    assert (error["code"], error["inputField"]) == ("NO_STOPS_IN_RANGE", "from")
    assert "no stop within 100 s on foot (133 m crow-fly) of from 59.0,25.0" in error["description"]


def test_the_access_limit_is_seconds_on_foot(plan):
    # A is 200 m (151 s) from the origin: a limit of 150 s does not reach it, 151 s does
    def legs(seconds):
        body = plan(TRIPS, ORIGIN, "C", "07:50", stops=STOPS, options=QueryOptions(max_access_s=seconds), full=True)
        return [[leg["mode"] for leg in it["legs"]] for it in body["itineraries"]]

    assert legs(150) == []
    assert legs(151) == [["WALK", "BUS"]]
