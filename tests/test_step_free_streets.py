"""Step-free footpaths on the streets (feeds/step_free.py): a wheelchair user never takes
highway=steps between two stops, on a hand-made extract checked against networkx, and on
the bundled central Helsinki extract.

The extract: stops X and Y at both ends of 56 m of steps, also joined by a 278 m footway
round them; stops Z and W at both ends of steps with no other street within snap_max_m. Everybody
walks the steps; a wheelchair user walks round (the networkx shortest path without steps)
from X to Y, and from Z to W not at all: both lie on the streets, so no crow-fly walk joins
them either.
"""

from __future__ import annotations

import datetime as dt
import math

import networkx as nx
import numpy as np
import pytest

from trajet.feeds.footpaths import STREETS, WalkSettings
from trajet.feeds.geo import distance_m
from trajet.feeds.load import BUNDLED_FEED, BUNDLED_OSM
from trajet.feeds.step_free import Footpaths
from trajet.feeds.streets import NO_WHEELCHAIR, STEPS, WALK
from trajet.router.query import QueryOptions
from trajet.service.itineraries import plan_json
from trajet.service.network import Network
from trajet.service.params import parse_time
from trajet.service.walking import Mode

from .inline_gtfs import write_feed

D = 0.0005  # degrees of latitude, ~56 m
NODES = {1: (60.0, 25.0), 2: (60.0 + D, 25.0), 3: (60.0, 25.002), 4: (60.0 + D, 25.002),
         5: (60.01, 25.0), 6: (60.01 + D, 25.0), 8: (60.01 + 5 * D, 25.0), 9: (60.01 + 5 * D, 25.01),
         10: (60.0, 25.01)}
# the steps from Z (node 5) by W (6) lead on to a footway more than snap_max_m from both
# (the street graph keeps its largest walkable component only)
WAYS = [([1, 2], {"highway": "steps"}), ([1, 3, 4, 2], {"highway": "footway"}), ([5, 6, 8], {"highway": "steps"}),
        ([8, 9, 10, 3], {"highway": "footway"})]
STOPS = {"X": NODES[1], "Y": NODES[2], "Z": NODES[5], "W": NODES[6], "K": (60.1, 25.0), "L": (60.2, 25.0),
         "K2": (60.3, 25.0), "L2": (60.4, 25.0)}
# everybody walks 56 m (ready after the 120 s slack, 08:12); round the steps, 278 m take 210 s
TRIPS = {"t1": "K 08:00, X 08:10", "t2": "Y 08:12:30, L 08:30", "t3": "Y 08:20, L 08:40",
         "u1": "K2 08:00, Z 08:10", "u2": "W 08:15, L2 08:30"}
DAY = dt.date(2024, 3, 12)
WHEELCHAIR = QueryOptions(wheelchair=True, max_direct_s=0)


def osm_xml(path, nodes, ways):
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    lines += [f'<node id="{i}" version="1" lat="{la}" lon="{lo}"/>' for i, (la, lo) in nodes.items()]
    for wid, (refs, tags) in enumerate(ways, start=1):
        lines += [f'<way id="{wid}" version="1">'] + [f'<nd ref="{r}"/>' for r in refs]
        lines += [f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()] + ["</way>"]
    path.write_text("\n".join(lines + ["</osm>"]))
    return path


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("stepfree")
    feed = write_feed(tmp / "feed", TRIPS, stops=STOPS)
    return Network.open([feed], cache_dir=tmp / "cache", walking=WalkSettings(),
                        osm=osm_xml(tmp / "steps.osm", NODES, WAYS))


def walks(paths: Footpaths, ids: list[str]) -> dict:
    return {(ids[a], ids[b]): (int(m), int(model)) for a, b, m, model in
            zip(paths.from_stop, paths.to_stop, paths.walk_m, paths.model)}


def step_free_metres(graph, a: int, b: int) -> float:
    """networkx: the shortest walk from street node a to b over walkable edges that are
    neither steps nor wheelchair=no."""
    G = nx.DiGraph()
    frm, flags = graph.edge_from(), np.asarray(graph.edge_flags)
    for e in range(graph.n_edges):
        if flags[e] & WALK and not flags[e] & (STEPS | NO_WHEELCHAIR):
            G.add_edge(int(frm[e]), int(graph.edge_to[e]), weight=float(graph.edge_length_m[e]))
    return nx.shortest_path_length(G, a, b, weight="weight")


def node_at(graph, lat, lon) -> int:
    return int(np.argmin(np.hypot(np.asarray(graph.node_lat) - lat, np.asarray(graph.node_lon) - lon)))


def test_the_step_free_walk_goes_round_the_steps(network):
    ids = [str(s) for s in network.net.stop_id]
    everybody, step_free = walks(network.footpaths(False), ids), walks(network.footpaths(True), ids)
    graph = network.osm.streets
    steps_m = float(distance_m(*NODES[1], *NODES[2]))
    round_m = step_free_metres(graph, node_at(graph, *NODES[1]), node_at(graph, *NODES[2]))
    assert 250 < round_m < 300 and 50 < steps_m < 60
    assert everybody[("X", "Y")] == everybody[("Y", "X")] == (round(steps_m), STREETS)
    assert step_free[("X", "Y")] == step_free[("Y", "X")] == (round(round_m), STREETS)
    assert everybody[("Z", "W")] == (round(steps_m), STREETS)
    assert ("Z", "W") not in step_free and ("W", "Z") not in step_free
    assert sorted(ids[s] for s in network.net.step_free_footpath_stop) == ["W", "X", "Y", "Z"]


def plan(network, frm, to, options):
    return plan_json(network, network.plan(frm, to, DAY, parse_time("07:55"), options))


def test_a_wheelchair_journey_walks_round_the_steps(network):
    [it] = plan(network, "K", "L", QueryOptions(max_direct_s=0))["itineraries"]
    walk = it["legs"][1]
    assert it["legs"][2]["tripId"] == "t2" and walk["walkModel"] == ["street network"]
    assert "steps" in [s["kind"] for s in walk["steps"]]
    [it] = plan(network, "K", "L", WHEELCHAIR)["itineraries"]
    walk = it["legs"][1]
    assert it["legs"][2]["tripId"] == "t3" and walk["walkModel"] == ["street network"]
    graph = network.osm.streets
    round_m = step_free_metres(graph, node_at(graph, *NODES[1]), node_at(graph, *NODES[2]))
    assert walk["duration"] == math.ceil(round(round_m) / WalkSettings().speed_m_s)
    assert walk["distance"] == pytest.approx(round_m, abs=0.5)
    assert "steps" not in [s["kind"] for s in walk["steps"]]


def test_no_wheelchair_journey_where_only_steps_join_the_stops(network):
    assert plan(network, "K2", "L2", QueryOptions(max_direct_s=0))["itineraries"]
    body = plan(network, "K2", "L2", WHEELCHAIR)
    assert body["itineraries"] == []
    [error] = body["routingErrors"]
    assert error["inputField"] == "wheelchair"
    assert "from Stop Z (Z) to Stop W (W), which no step-free" in error["description"]


def test_helsinki_step_free_walks_take_no_steps(tmp_path):
    """On the bundled central Helsinki extract some stops walk longer step-free; each such walk
    is the one the query-time search finds in the wheelchair mode (service/walking.py, another
    search than the compiler's), and takes no steps."""
    network = Network.open([BUNDLED_FEED], cache_dir=tmp_path / "cache", osm=BUNDLED_OSM)
    net = network.net
    ids = [str(s) for s in net.stop_id]
    everybody, step_free = walks(network.footpaths(False), ids), walks(network.footpaths(True), ids)
    longer = [(pair, m) for pair, (m, model) in step_free.items()
              if model == STREETS and pair in everybody and m > everybody[pair][0]]
    assert len(longer) > 20, "walks between stops of central Helsinki that go round steps"
    index = {s: i for i, s in enumerate(ids)}
    for (a, b), metres in longer:
        ends = [(float(net.stop_lat[index[s]]), float(net.stop_lon[index[s]])) for s in (a, b)]
        walk = network.streets.walk(*ends, 600.0, Mode.of("WALK", wheelchair=True))
        assert walk is not None and walk.metres == pytest.approx(metres, abs=1.0), (a, b)
        assert "steps" not in [step["kind"] for step in walk.steps], (a, b)
