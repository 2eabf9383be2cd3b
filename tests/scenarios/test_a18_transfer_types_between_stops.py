"""transfers.txt rows between two distinct stops (from_stop_id != to_stop_id), types 0, 1, 3.

B and D stand 300 m apart: a walk of 226 s at 1.33 m/s. t1 reaches B at 08:10; t2 leaves D
at 08:13, t3 at 08:14. A row of type 0 (recommended) or 1 (timed) carries no time: it makes
a walking link whose time comes from the distance, so the journey is ready at D at
08:13:46 and takes t3, not t2. transfers.txt links are always on, so this holds with
max_walk_m 0, which turns off the generated footpaths only. A row of type 3 forbids the
change B -> D: no journey, even though a generated footpath would join the stops and
max_walk_m 400 allows it (without the row the same query walks over).
"""

import pytest

from trajet.router.query import QueryOptions

TRIPS = {"t1": "A 08:00, B 08:10", "t2": "D 08:13, C 08:30", "t3": "D 08:14, C 08:40"}
STOPS = {"A": (60.0, 25.0), "B": (60.1, 25.0), "D": (60.1027, 25.0), "C": (60.2, 25.0)}  # B-D: 300 m
HEADER = "from_stop_id,to_stop_id,transfer_type,min_transfer_time\n"
WALKED = "A 08:00 t1 B 08:10 / B 08:10 walk D 08:13 / D 08:14 t3 C 08:40"


@pytest.mark.parametrize("kind", [0, 1])
def test_types_0_and_1_link_the_stops_with_the_walking_time(plan, kind):
    files = {"transfers.txt": HEADER + f"B,D,{kind},\n"}
    no_walks = QueryOptions(max_transfer_walk_m=0)
    body = plan(TRIPS, "A", "C", "07:55", stops=STOPS, files=files, options=no_walks, full=True)
    [it] = body["itineraries"]
    walk = it["legs"][1]
    assert (walk["mode"], walk["from"]["stopId"], walk["to"]["stopId"], walk["duration"]) == ("WALK", "B", "D", 226)
    assert plan(TRIPS, "A", "C", "07:55", stops=STOPS, files=files, options=no_walks) == [WALKED]


def test_without_the_row_max_walk_zero_has_no_way_over(plan):
    assert plan(TRIPS, "A", "C", "07:55", stops=STOPS, options=QueryOptions(max_transfer_walk_m=0)) == []


def test_type_3_forbids_the_change_between_the_stops(plan):
    options = QueryOptions(max_transfer_walk_m=400)
    assert plan(TRIPS, "A", "C", "07:55", stops=STOPS, options=options) == [WALKED]  # the generated footpath
    files = {"transfers.txt": HEADER + "B,D,3,\n"}
    body = plan(TRIPS, "A", "C", "07:55", stops=STOPS, files=files, options=options, full=True)
    assert body["itineraries"] == []
    assert [e["code"] for e in body["routingErrors"]] == ["NO_TRANSIT_CONNECTION"]
