"""A change between two platforms of a station that neither pathways nor transfers.txt time.

Station S has platforms S1 and S2 at one point. t1 reaches S1 at 08:10; t2 leaves S2 at
08:11, t3 at 08:13. A change inside a station always works, at the station's default walk
(120 s, WalkSettings.station_walk_s, documented in feeds/footpaths.py), even when walks
between stops are turned off; the query's transfer slack still applies on top of it (it
is not the feed's time), so a shorter default only helps with a shorter slack.
"""

from trajet.feeds.footpaths import WalkSettings
from trajet.router.query import QueryOptions

TRIPS = {"t1": "A 08:00, S1 08:10", "t2": "S2 08:11, C 08:30", "t3": "S2 08:13, C 08:40"}
STOPS_TXT = (
    "stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station\n"
    "S,Station,60.1,25.0,1,\nS1,Platform 1,60.1,25.0,0,S\nS2,Platform 2,60.1,25.0,0,S\n"
    "A,A,60.0,25.0,0,\nC,C,60.2,25.0,0,\n"
)
FILES = {"stops.txt": STOPS_TXT}
VIA_T3 = "A 08:00 t1 S1 08:10 / S1 08:10 walk S2 08:12 / S2 08:13 t3 C 08:40"


def test_platforms_of_a_station_change_at_the_default_walk(plan):
    body = plan(TRIPS, "A", "C", "07:55", files=FILES, full=True)
    [it] = body["itineraries"]
    walk = it["legs"][1]
    assert (walk["duration"], walk["walkModel"]) == (120, ["station default"])
    assert plan(TRIPS, "A", "C", "07:55", files=FILES, options=QueryOptions(max_transfer_walk_m=0)) == [VIA_T3]


def test_the_default_is_configurable(plan):
    quick = WalkSettings(detour=1.0, station_walk_s=45)
    assert plan(TRIPS, "A", "C", "07:55", files=FILES, walking=quick) == [
        "A 08:00 t1 S1 08:10 / S1 08:10 walk S2 08:10 / S2 08:13 t3 C 08:40"]  # the slack of 120 s still applies
    got = plan(TRIPS, "A", "C", "07:55", files=FILES, walking=quick, options=QueryOptions(transfer_slack=30))
    assert got == ["A 08:00 t1 S1 08:10 / S1 08:10 walk S2 08:10 / S2 08:11 t2 C 08:30"]
