"""A parent station (location_type 1) as origin and as destination.

Station S has two platforms, S1 and S2 (location_type 0, parent_station S). A query from S
starts at every platform, ready at the query time: trips from both are candidates, and the
earliest arrival wins whichever platform it leaves from. A query to S ends at any platform:
arriving at S1 or S2 counts. The legs name the platforms, never the station (no trip calls
there).
"""

import pytest

from trajet.router.query import QueryOptions

TRIPS = {
    # from the station: a leaves S1 and b leaves S2
    "a": "S1 08:00, X 08:30",
    "b": "S2 08:05, X 08:20",
    "c": "S1 08:40, X 09:00",
    # to the station: d reaches S1, e reaches S2
    "d": "Y 10:00, S1 10:30",
    "e": "Y 10:05, S2 10:20",
    "f": "Y 10:40, S1 11:00",
}
STOPS_TXT = (
    "stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station\n"
    "S,Station,60.1,25.0,1,\nS1,Platform 1,60.1,25.0,0,S\nS2,Platform 2,60.1,25.0,0,S\n"
    "X,X,60.2,25.0,0,\nY,Y,60.0,25.0,0,\n"
)
FILES = {"stops.txt": STOPS_TXT}


@pytest.mark.parametrize(("time", "expected"), [
    ("07:55", "S2 08:05 b X 08:20"),  # b from S2 arrives before a from S1
    ("08:06", "S1 08:40 c X 09:00"),  # only S1 has a trip left
])
def test_from_a_station_every_platform_is_a_candidate(plan, time, expected):
    assert plan(TRIPS, "S", "X", time, files=FILES) == [expected]
    # with walking on, the platforms are origins themselves: no walk between them first
    assert plan(TRIPS, "S", "X", time, files=FILES, options=QueryOptions(max_transfer_walk_m=400)) == [expected]


@pytest.mark.parametrize(("time", "expected"), [
    ("09:55", "Y 10:05 e S2 10:20"),  # e reaches S2 before d reaches S1
    ("10:06", "Y 10:40 f S1 11:00"),  # only a trip to S1 is left
])
def test_to_a_station_any_platform_counts(plan, time, expected):
    assert plan(TRIPS, "Y", "S", time, files=FILES) == [expected]


def test_the_legs_name_platforms(plan):
    body = plan(TRIPS, "S", "X", "07:55", files=FILES, full=True)
    [leg] = body["itineraries"][0]["legs"]
    assert (leg["from"]["stopId"], leg["from"]["name"], leg["to"]["stopId"]) == ("S2", "Platform 2", "X")
    body = plan(TRIPS, "Y", "S", "09:55", files=FILES, full=True)
    [leg] = body["itineraries"][0]["legs"]
    assert (leg["from"]["stopId"], leg["to"]["stopId"], leg["to"]["name"]) == ("Y", "S2", "Platform 2")
