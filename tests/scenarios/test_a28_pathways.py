"""Changes inside a station along its pathways (pathways.txt), one-way ones respected.

Station S: platforms P1 and P2 and a node N. From P1 a walkway (30 s) leads to N, from N
one-way stairs down (40 s) to P2; back from P2 only an elevator (100 s) to P1. t1 reaches
P1 at 08:10; t2 leaves P2 at 08:11:15, t3 at 08:12. The pathways time the change (70 s,
the feed's own time: no transfer slack on top), so t2 is caught; the walk says which
pathways it takes. The other way round, P2 -> P1 takes the elevator. Without pathways the
station default (120 s) applies and only t3 is caught.
"""

TRIPS = {"t1": "A 08:00, P1 08:10", "t2": "P2 08:11:15, C 08:30", "t3": "P2 08:12, C 08:40",
         "back": "C 09:00, P2 09:10", "r1": "P1 09:11:30, A 09:30", "r2": "P1 09:12:00, A 09:40"}
STOPS_TXT = (
    "stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station\n"
    "S,Station,60.1,25.0,1,\nP1,Platform 1,60.1,25.0,0,S\nP2,Platform 2,60.1001,25.0,0,S\n"
    "N,Node,60.10005,25.0,3,S\nA,A,60.0,25.0,0,\nC,C,60.2,25.0,0,\n"
)
PATHWAYS = ("pathway_id,from_stop_id,to_stop_id,pathway_mode,is_bidirectional,traversal_time\n"
            "w,P1,N,1,1,30\ns,N,P2,2,0,40\ne,P2,P1,5,0,100\n")
FILES = {"stops.txt": STOPS_TXT, "pathways.txt": PATHWAYS}


def test_the_pathways_time_the_change(plan):
    body = plan(TRIPS, "A", "C", "07:55", files=FILES, full=True)
    [it] = body["itineraries"]
    walk = it["legs"][1]
    assert (walk["from"]["stopId"], walk["to"]["stopId"], walk["duration"]) == ("P1", "P2", 70)
    assert walk["walkModel"] == ["pathways"] and walk["pathwayModes"] == ["walkway", "stairs"]
    assert it["legs"][2]["tripId"] == "t2"


def test_one_way_stairs_are_not_climbed_back(plan):
    body = plan(TRIPS, "C", "A", "08:55", files=FILES, full=True)
    [it] = body["itineraries"]
    walk = it["legs"][1]
    assert (walk["duration"], walk["pathwayModes"]) == (100, ["elevator"])
    assert it["legs"][2]["tripId"] == "r2"  # 09:10 + 100 s misses r1 at 09:11:30


def test_without_pathways_the_station_default_applies(plan):
    got = plan(TRIPS, "A", "C", "07:55", files={"stops.txt": STOPS_TXT})
    assert got == ["A 08:00 t1 P1 08:10 / P1 08:10 walk P2 08:12 / P2 08:12 t3 C 08:40"]
