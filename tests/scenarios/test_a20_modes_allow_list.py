"""The modes allow-list: only the families asked for are ridden.

A bus (route_type 3) runs A -> B in 20 minutes, a tram (route_type 0) in 35. With every
mode, or BUS only, the answer is the bus; a mask allowing only TRAM gives the slower tram
and never the bus. A mask allowing neither leaves no journey, and since the bus would
connect the places, the answer says the modes are the limit that cut it:
NO_TRANSIT_CONNECTION_WITHIN_LIMITS on inputField "modes".
"""

import pytest

from trajet.feeds.modes import mode_mask
from trajet.router.query import QueryOptions

TRIPS = {"bus": "A 08:00, B 08:20", "tram": "A 08:05, B 08:40"}
ROUTES = "route_id,agency_id,route_short_name,route_long_name,route_type\nRbus,A,1,Bus,3\nRtram,A,2,Tram,0\n"
FILES = {"routes.txt": ROUTES}


@pytest.mark.parametrize("modes", [None, ["BUS"], ["BUS", "TRAM"]])
def test_the_bus_when_buses_are_allowed(plan, modes):
    body = plan(TRIPS, "A", "B", "07:55", files=FILES, full=True, options=QueryOptions(mode_mask=mode_mask(modes)))
    assert [(leg["tripId"], leg["mode"]) for it in body["itineraries"] for leg in it["legs"]] == [("bus", "BUS")]


def test_tram_only_gives_the_slower_tram(plan):
    body = plan(TRIPS, "A", "B", "07:55", files=FILES, full=True, options=QueryOptions(mode_mask=mode_mask(["TRAM"])))
    assert [(leg["tripId"], leg["mode"]) for it in body["itineraries"] for leg in it["legs"]] == [("tram", "TRAM")]
    assert body["itineraries"][0]["endTime"] == "2024-03-12T08:40:00+02:00"


@pytest.mark.parametrize("mask", [
    pytest.param(mode_mask(None, exclude=["BUS", "TRAM"]), id="all-but-bus-and-tram"),
    pytest.param(mode_mask(["RAIL"]), id="rail-only"),
])
def test_no_allowed_mode_says_the_modes_are_the_limit(plan, mask):
    body = plan(TRIPS, "A", "B", "07:55", files=FILES, full=True, options=QueryOptions(mode_mask=mask))
    assert body["itineraries"] == []
    [error] = body["routingErrors"]
    assert (error["code"], error["inputField"]) == ("NO_TRANSIT_CONNECTION_WITHIN_LIMITS", "modes")
