"""A wheelchair user changes platforms over step-free pathways only (feeds/step_free.py).

Station S: platforms P1 and P2 11 m apart, joined by a walkway (30 s) to a node N and stairs
(40 s) down to P2, and by an elevator (100 s). t1 reaches P1 at 08:10; t2 leaves P2 at
08:11:15, t3 at 08:12. Everybody takes the stairs (70 s) and catches t2; a wheelchair user
takes the elevator and catches t3, not the 11 m crow-fly walk (9 s) nor the stairs.

Station Q: platforms Q1 and Q2, joined by an escalator (one-way, Q1 -> M) and a walkway, and
back by stairs. A wheelchair user has no way from Q1 to Q2: neither the station default (120
s) nor crow-fly joins two platforms of a station with pathways, and the answer says why.

Station R has no pathways: its platforms are joined by the station default for everybody.
"""

import datetime as dt

import numpy as np
import pytest

from trajet.feeds.pathways import ELEVATOR
from trajet.feeds.step_free import step_free_footpaths
from trajet.router.planner import Router
from trajet.router.query import QueryOptions
from trajet.service.network import Network

from ..inline_gtfs import write_feed

WHEELCHAIR = QueryOptions(wheelchair=True)
TRIPS = {"t1": "A 08:00, P1 08:10", "t2": "P2 08:11:15, C 08:30", "t3": "P2 08:12, C 08:40",
         "u1": "B 08:00, Q1 08:10", "u2": "Q2 08:15, D 08:30",
         "v1": "E 08:00, R1 08:10", "v2": "R2 08:12:30, F 08:30"}
STOPS_TXT = (
    "stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station\n"
    "S,Station S,60.1,25.0,1,\nP1,Platform P1,60.1,25.0,0,S\nP2,Platform P2,60.1001,25.0,0,S\n"
    "N,Node N,60.10005,25.0,3,S\n"
    "Q,Station Q,60.3,25.0,1,\nQ1,Platform Q1,60.3,25.0,0,Q\nQ2,Platform Q2,60.3001,25.0,0,Q\n"
    "M,Node M,60.30005,25.0,3,Q\n"
    "R,Station R,60.5,25.0,1,\nR1,Platform R1,60.5,25.0,0,R\nR2,Platform R2,60.5001,25.0,0,R\n"
    "A,A,60.0,25.0,0,\nC,C,60.2,25.0,0,\nB,B,60.25,25.0,0,\nD,D,60.4,25.0,0,\nE,E,60.45,25.0,0,\n"
    "F,F,60.6,25.0,0,\n"
)
PATHWAYS = ("pathway_id,from_stop_id,to_stop_id,pathway_mode,is_bidirectional,traversal_time\n"
            "w,P1,N,1,1,30\ns,N,P2,2,1,40\ne,P1,P2,5,1,100\n"
            "x,Q1,M,4,0,20\ny,M,Q2,1,1,10\nz,Q2,Q1,2,1,40\n")
FILES = {"stops.txt": STOPS_TXT, "pathways.txt": PATHWAYS}


def test_a_wheelchair_user_takes_the_elevator(plan):
    everybody = plan(TRIPS, "A", "C", "07:55", files=FILES, full=True)
    [it] = everybody["itineraries"]
    assert (it["legs"][1]["duration"], it["legs"][1]["pathwayModes"]) == (70, ["walkway", "stairs"])
    assert it["legs"][2]["tripId"] == "t2"
    body = plan(TRIPS, "A", "C", "07:55", files=FILES, options=WHEELCHAIR, full=True)
    [it] = body["itineraries"]
    walk = it["legs"][1]
    assert (walk["from"]["stopId"], walk["to"]["stopId"], walk["duration"]) == ("P1", "P2", 100)
    assert walk["walkModel"] == ["pathways"] and walk["pathwayModes"] == ["elevator"]
    assert it["legs"][2]["tripId"] == "t3"


def test_only_stairs_and_escalators_join_the_platforms(plan):
    assert plan(TRIPS, "B", "D", "07:55", files=FILES) == ["B 08:00 u1 Q1 08:10 / Q1 08:10 walk Q2 08:10 / "
                                                           "Q2 08:15 u2 D 08:30"]
    body = plan(TRIPS, "B", "D", "07:55", files=FILES, options=WHEELCHAIR, full=True)
    assert body["itineraries"] == []
    [error] = body["routingErrors"]
    assert (error["code"], error["inputField"]) == ("NO_TRANSIT_CONNECTION_WITHIN_LIMITS", "wheelchair")
    assert "Platform Q1 (Q1) to Platform Q2 (Q2) over escalator" in error["description"]


def test_a_station_without_pathways_keeps_its_default_change(plan):
    body = plan(TRIPS, "E", "F", "07:55", files=FILES, options=WHEELCHAIR, full=True)
    [it] = body["itineraries"]
    assert (it["legs"][1]["duration"], it["legs"][1]["walkModel"]) == (120, ["station default"])


def test_only_the_stops_whose_walks_differ_are_stored(tmp_path):
    network = Network.open([write_feed(tmp_path / "f", TRIPS, files=FILES)], cache_dir=tmp_path / "c")
    net = network.net
    ids = [str(s) for s in net.stop_id]
    assert sorted(ids[s] for s in net.step_free_footpath_stop) == ["P1", "P2", "Q1", "Q2"]
    assert network.meta["step_free_stops"] == 4
    paths = step_free_footpaths(net)
    walks = {(ids[a], ids[b]): (int(t), int(m)) for a, b, t, m in
             zip(paths.from_stop, paths.to_stop, paths.duration, paths.pathway_modes)}
    assert walks[("P1", "P2")] == walks[("P2", "P1")] == (100, 1 << ELEVATOR)
    assert walks[("R1", "R2")] == (120, 0)  # the default, kept from the footpath_* arrays
    assert not {("Q1", "Q2"), ("Q2", "Q1")} & set(walks)
    router = network.day(dt.date(2024, 3, 12)).router
    assert router.step_free is not None and router.step_free.pattern_stops is router.tt.pattern_stops
    p1, p2 = ids.index("P1"), ids.index("P2")
    assert int(network.footpaths(True).duration[router.footpath(p1, p2, wheelchair=True)]) == 100
    assert int(network.footpaths(False).duration[router.footpath(p1, p2)]) == 70


def test_without_pathways_nothing_is_stored(tmp_path):
    network = Network.open([write_feed(tmp_path / "f", TRIPS, files={"stops.txt": STOPS_TXT})],
                           cache_dir=tmp_path / "c")
    assert len(network.net.step_free_footpath_stop) == 0 and step_free_footpaths(network.net) is None
    assert network.day(dt.date(2024, 3, 12)).router.step_free is None


def test_bad_step_free_arrays_are_refused(tmp_path):
    network = Network.open([write_feed(tmp_path / "f", TRIPS, files=FILES)], cache_dir=tmp_path / "c")
    router = network.day(dt.date(2024, 3, 12)).router
    other = router.step_free._replace(pattern_stops=router.tt.pattern_stops.copy())
    with pytest.raises(ValueError, match="differs in pattern_stops"):
        Router(router.tt, 1.33, other)
    stops = np.asarray(network.net.step_free_footpath_stop)
    with pytest.raises(ValueError, match="increasing"):
        step_free_footpaths(network.net._replace(step_free_footpath_stop=stops[::-1].copy()))
    with pytest.raises(ValueError, match="not a CSR"):
        step_free_footpaths(network.net._replace(step_free_footpath_offsets=np.zeros(2, np.int64)))
