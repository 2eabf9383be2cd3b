"""Excluded mode families: a tram (route_type 0) is faster, a bus (3) slower.

Excluding TRAM leaves the bus; the mode of each leg follows the route_type.
"""

from trajet.feeds.modes import mode_mask, mode_of_route_type
from trajet.router.query import QueryOptions

TRIPS = {"bus": "A 08:00, B 08:40", "tram": "A 08:05, B 08:20"}
ROUTES = "route_id,agency_id,route_short_name,route_long_name,route_type\nRbus,A,1,Bus,3\nRtram,A,2,Tram,0\n"


def test_fastest_is_the_tram(plan):
    body = plan(TRIPS, "A", "B", "07:55", full=True, files={"routes.txt": ROUTES})
    assert [leg["mode"] for it in body["itineraries"] for leg in it["legs"]] == ["TRAM"]


def test_excluding_trams_leaves_the_bus(plan):
    options = QueryOptions(mode_mask=mode_mask(None, exclude=["TRAM"]))
    assert plan(TRIPS, "A", "B", "07:55", options=options, files={"routes.txt": ROUTES}) == ["A 08:00 bus B 08:40"]


def test_extended_route_types_map_to_families():
    assert [mode_of_route_type(t) for t in (109, 700, 704, 900, 1000, 401, 0)] == [
        "RAIL", "BUS", "BUS", "TRAM", "FERRY", "SUBWAY", "TRAM",
    ]
