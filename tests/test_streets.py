"""Streets from OpenStreetMap: reading, snapping, stop-to-stop footpaths, per-query searches, steps.

The oracle is networkx, on graphs built here from the arrays with plain loops; snapping is
checked against a projection onto every segment. Real extracts come from ../shared/osm
(tests that need them skip when it is absent); tag rules and steps use tiny inline graphs.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import polyline
import pytest

from trajet.feeds import streets as fs
from trajet.feeds.compiled import Texts
from trajet.feeds.geo import distance_m
from trajet.feeds.streets import (
    BIKE,
    KINDS,
    NO_WHEELCHAIR,
    STEPS,
    WALK,
    StreetsError,
    StreetSnapper,
    graph_from_segments,
    load_streets,
    read_streets,
    read_streets_with_summary,
    save_streets,
    street_footpaths,
    way_modes,
)
from trajet.router import streets as rs
from trajet.service.steps import (
    encoded_polyline,
    relative_direction,
    walk_geometry_and_steps,
)

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
OSM = SHARED / "osm"
FEEDS = SHARED / "feeds"


def osm(name: str) -> Path:
    path = OSM / name
    if not path.exists():
        pytest.skip(f"{path} is absent: the OSM extracts of ../shared are not next to this checkout")
    return path


@pytest.fixture(scope="module")
def poa():
    return read_streets_with_summary(osm("poa-osm.pbf"))


@pytest.fixture(scope="module")
def helsinki():
    return read_streets_with_summary(osm("helsinki-central.osm.pbf"))


@pytest.fixture(scope="module", params=["poa", "helsinki"])
def graph(request, poa, helsinki):
    return (poa if request.param == "poa" else helsinki)[0]


def nx_graph(g, required=WALK, forbidden=0, reverse=False) -> nx.DiGraph:
    """The directed graph of the edges holding `required` and not `forbidden`, from the CSR arrays
    with a plain loop; parallel edges keep the shortest; `reverse` turns every edge around."""
    G = nx.DiGraph()
    G.add_nodes_from(range(g.n_nodes))
    offsets, to, length, flags = (np.asarray(a).tolist() for a in (g.edge_offsets, g.edge_to, g.edge_length_m,
                                                                     g.edge_flags))
    for u in range(g.n_nodes):
        for e in range(offsets[u], offsets[u + 1]):
            if flags[e] & required != required or flags[e] & forbidden:
                continue
            a, b = (to[e], u) if reverse else (u, to[e])
            w = float(length[e])
            if not G.has_edge(a, b) or G[a][b]["weight"] > w:
                G.add_edge(a, b, weight=w)
    return G


def nx_from_seeds(G, seeds, metres, limit):
    """networkx metres from a super-source joined to the seeds by their initial metres (G is restored)."""
    for s, m in zip(seeds, metres):
        if not G.has_edge("S", int(s)) or G["S"][int(s)]["weight"] > m:
            G.add_edge("S", int(s), weight=float(m))
    try:
        d = nx.single_source_dijkstra_path_length(G, "S", cutoff=limit)
    finally:
        G.remove_node("S")
    d.pop("S")
    return d


# ---------------------------------------------------------------- tag rules


@pytest.mark.parametrize("tags, expected", [
    ({"highway": "residential"}, ("residential", WALK | BIKE, WALK | BIKE)),
    ({"highway": "residential", "oneway": "yes"}, ("residential", WALK | BIKE, WALK)),
    ({"highway": "residential", "oneway": "-1"}, ("residential", WALK, WALK | BIKE)),
    ({"highway": "residential", "oneway": "yes", "oneway:bicycle": "no"}, ("residential", WALK | BIKE, WALK | BIKE)),
    ({"highway": "residential", "oneway": "yes", "cycleway": "opposite_lane"},
     ("residential", WALK | BIKE, WALK | BIKE)),
    ({"highway": "primary", "junction": "roundabout"}, ("primary", WALK | BIKE, WALK)),
    ({"highway": "footway"}, ("footway", WALK, WALK)),
    ({"highway": "footway", "oneway": "yes"}, ("footway", WALK, WALK)),
    ({"highway": "footway", "bicycle": "yes"}, ("footway", WALK | BIKE, WALK | BIKE)),
    ({"highway": "footway", "footway": "sidewalk"}, ("sidewalk", WALK, WALK)),
    ({"highway": "footway", "footway": "crossing"}, ("crossing", WALK, WALK)),
    ({"highway": "pedestrian", "bicycle": "designated"}, ("pedestrian", WALK | BIKE, WALK | BIKE)),
    ({"highway": "steps"}, ("steps", WALK | STEPS, WALK | STEPS)),
    ({"highway": "path"}, ("path", WALK | BIKE, WALK | BIKE)),
    ({"highway": "path", "bicycle": "no"}, ("path", WALK, WALK)),
    ({"highway": "cycleway"}, ("cycleway", WALK | BIKE, WALK | BIKE)),
    ({"highway": "cycleway", "foot": "no"}, ("cycleway", BIKE, BIKE)),
    ({"highway": "cycleway", "foot": "no", "oneway": "yes"}, ("cycleway", BIKE, 0)),
    ({"highway": "trunk"}, ("trunk", WALK | BIKE, WALK | BIKE)),
    ({"highway": "trunk", "foot": "no", "bicycle": "no"}, None),
    ({"highway": "service", "access": "private"}, None),
    ({"highway": "service", "access": "no", "foot": "yes"}, ("service", WALK, WALK)),
    ({"highway": "service", "access": "private", "bicycle": "permissive"}, ("service", BIKE, BIKE)),
    ({"highway": "residential", "bicycle": "dismount"}, ("residential", WALK, WALK)),
    ({"highway": "residential", "foot": "no"}, ("residential", BIKE, BIKE)),
    ({"highway": "residential", "wheelchair": "no"}, ("residential", WALK | BIKE | NO_WHEELCHAIR,
                                                      WALK | BIKE | NO_WHEELCHAIR)),
    ({"highway": "bridleway"}, None),
    ({"highway": "bridleway", "foot": "yes"}, ("bridleway", WALK, WALK)),
    ({"highway": "track"}, ("track", WALK | BIKE, WALK | BIKE)),
    ({"highway": "corridor"}, ("corridor", WALK, WALK)),
    ({"highway": "platform"}, ("platform", WALK, WALK)),
    ({"highway": "living_street"}, ("living_street", WALK | BIKE, WALK | BIKE)),
    ({"highway": "motorway"}, None),
    ({"highway": "motorway_link", "foot": "yes"}, None),
    ({"highway": "construction"}, None),
    ({"highway": "proposed"}, None),
    ({"highway": "raceway"}, None),
    ({"highway": "bus_guideway"}, None),
    ({"highway": "abandoned"}, None),
])
def test_way_modes(tags, expected):
    got = way_modes(tags)
    if expected is None:
        assert got is None
    else:
        kind, fwd, bwd = expected
        assert got == (KINDS.index(kind), int(fwd), int(bwd))


def test_flag_bits_agree_between_feeds_and_router():
    assert (rs.WALK, rs.BIKE, rs.STEPS, rs.NO_WHEELCHAIR) == (WALK, BIKE, STEPS, NO_WHEELCHAIR)
    assert set(rs.StreetArrays._fields) <= set(fs.StreetGraph._fields)


# ---------------------------------------------------------------- reading


def _osm_xml(path: Path, nodes: dict[int, tuple[float, float]], ways: list[tuple[list[int], dict]]) -> Path:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    lines += [f'<node id="{i}" version="1" lat="{la}" lon="{lo}"/>' for i, (la, lo) in nodes.items()]
    for wid, (refs, tags) in enumerate(ways, start=1):
        lines.append(f'<way id="{wid}" version="1">')
        lines += [f'<nd ref="{r}"/>' for r in refs]
        lines += [f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("</way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines))
    return path


def test_read_inline_extract(tmp_path):
    # a grid street 1-2-3 (oneway for bikes), a footway 3-4 and steps 4-5, a private lane 2-6,
    # a motorway 1-7, a bike-only cycleway 5-8, a footway island 9-10 far away, and a footway to a
    # node missing from the extract
    nodes = {1: (0.0, 0.0), 2: (0.0, 0.001), 3: (0.0, 0.002), 4: (0.001, 0.002), 5: (0.002, 0.002),
             6: (-0.001, 0.001), 7: (0.0, -0.001), 8: (0.003, 0.002), 9: (0.01, 0.01), 10: (0.01, 0.011)}
    ways = [([1, 2, 3], {"highway": "residential", "name": "Rua A", "oneway": "yes"}),
            ([3, 4], {"highway": "footway"}),
            ([4, 5], {"highway": "steps", "ref": "S1"}),
            ([2, 6], {"highway": "service", "access": "private"}),
            ([1, 7], {"highway": "motorway"}),
            ([5, 8], {"highway": "cycleway", "foot": "no"}),
            ([9, 10], {"highway": "footway"}),
            ([4, 99], {"highway": "footway"})]  # node 99 is not in the extract: no segment
    g, summary = read_streets_with_summary(_osm_xml(tmp_path / "x.osm", nodes, ways))
    assert (g.n_nodes, g.n_edges) == (6, 10)  # 1 2 3 4 5 8, five segments
    assert summary.n_walk_components == 2 and summary.n_nodes_dropped == 2 and summary.n_edges_dropped == 2
    assert summary.n_highways == 8 and summary.n_ways == 6
    frm = g.edge_from()
    assert (g.edge_twin[g.edge_twin] == np.arange(g.n_edges)).all() and (frm[g.edge_twin] == g.edge_to).all()
    assert (np.diff(frm) >= 0).all(), "CSR: edges grouped by the node they leave"
    node = {(round(la, 6), round(lo, 6)): i for i, (la, lo) in enumerate(zip(g.node_lat, g.node_lon))}
    n = {k: node[(round(v[0], 6), round(v[1], 6))] for k, v in nodes.items() if k in (1, 2, 3, 4, 5, 8)}
    edge = {(int(frm[e]), int(g.edge_to[e])): e for e in range(g.n_edges)}

    def at(a, b):
        e = edge[(n[a], n[b])]
        return int(g.edge_flags[e]), KINDS[g.edge_kind[e]], g.names[g.edge_name[e]] if g.edge_name[e] >= 0 else ""

    assert at(1, 2) == (WALK | BIKE, "residential", "Rua A") and at(2, 1) == (WALK, "residential", "Rua A")
    assert at(3, 4) == (WALK, "footway", "") and at(4, 5) == (WALK | STEPS, "steps", "S1")
    assert at(5, 8) == (BIKE, "cycleway", "") and at(8, 5) == (BIKE, "cycleway", "")
    e12 = edge[(n[1], n[2])]
    assert g.edge_length_m[e12] == pytest.approx(distance_m(0, 0, 0, 0.001), rel=1e-6)


def test_read_poa(poa):
    g, s = poa
    assert 30_000 < g.n_nodes < 45_000 and 80_000 < g.n_edges < 100_000
    assert s.n_highways == 15_886 and s.n_nodes == g.n_nodes and s.n_edges == g.n_edges
    assert s.n_walk_components > 1 and s.n_nodes_dropped > 0
    flags = np.asarray(g.edge_flags)
    for bit in (WALK, BIKE, STEPS, NO_WHEELCHAIR):
        assert (flags & bit).any()
    oneway = (flags & BIKE != 0) & (flags[g.edge_twin] & BIKE == 0)
    assert oneway.sum() > 1000, "one-way streets for bikes"
    assert ((flags & WALK) == (flags[g.edge_twin] & WALK)).all(), "walking ignores oneway"
    assert len(g.names) > 1000 and "Avenida Ipiranga" in {g.names[i] for i in range(len(g.names))}
    assert ((np.asarray(g.edge_length_m) > 0) & (np.asarray(g.edge_length_m) < 5000)).all()


def test_read_helsinki(helsinki):
    g, s = helsinki
    flags = np.asarray(g.edge_flags)
    assert 5_000 < g.n_nodes < 8_000 and (flags & STEPS).sum() > 100, "central Helsinki has steps"
    steps_kind = np.asarray(g.edge_kind) == KINDS.index("steps")
    assert (steps_kind == ((flags & STEPS) != 0)).all()
    assert (np.asarray(g.edge_kind) == KINDS.index("sidewalk")).any()
    assert (np.asarray(g.edge_kind) == KINDS.index("crossing")).any()


def test_one_walkable_component(graph):
    walk = nx_graph(graph, WALK).to_undirected()
    walk.remove_nodes_from([v for v in list(walk) if walk.degree(v) == 0])
    assert nx.number_connected_components(walk) == 1
    everything = nx_graph(graph, 0).to_undirected()
    assert nx.number_connected_components(everything) == 1, "bike-only edges hang on the walkable component"


def test_save_and_load(tmp_path, helsinki):
    g = helsinki[0]
    out = save_streets(g, tmp_path / "streets", meta={"source": "helsinki"})
    back = load_streets(out)
    for name in fs.StreetGraph._fields:
        a, b = getattr(g, name), getattr(back, name)
        if isinstance(a, Texts):
            assert [a[i] for i in range(len(a))] == [b[i] for i in range(len(b))]
        else:
            assert isinstance(b.base, np.memmap) and b.dtype == a.dtype and np.array_equal(a, b)  # mapped
    assert fs.streets_meta(out)["meta"] == {"source": "helsinki"}
    save_streets(g, out)  # a previous output is replaced
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(StreetsError, match="other"):
        save_streets(g, tmp_path / "other")
    with pytest.raises(StreetsError, match="nowhere"):
        load_streets(tmp_path / "nowhere")


def test_bad_files(tmp_path):
    garbage = tmp_path / "garbage.osm.pbf"
    garbage.write_bytes(b"not an OSM file at all")
    empty = tmp_path / "empty.osm.pbf"
    empty.write_bytes(b"")
    xml = tmp_path / "broken.osm"
    xml.write_text("<osm><way")
    no_streets = _osm_xml(tmp_path / "none.osm", {1: (0, 0), 2: (0, 1e-3)}, [([1, 2], {"highway": "motorway"})])
    for path in (tmp_path / "missing.osm.pbf", garbage, empty, xml, no_streets, tmp_path):
        with pytest.raises(StreetsError, match=str(path)):
            read_streets(path)
    truncated = tmp_path / "truncated.osm.pbf"
    truncated.write_bytes(osm("helsinki-central.osm.pbf").read_bytes()[:5000])
    with pytest.raises(StreetsError, match="truncated"):
        read_streets(truncated)


# ---------------------------------------------------------------- snapping


def _brute_snap(g, lat, lon, max_m, required, forbidden):
    """Every point against every segment (twin pairs whose lower edge or twin qualifies)."""
    frm, to, twin = g.edge_from(), np.asarray(g.edge_to), np.asarray(g.edge_twin)
    flags = np.asarray(g.edge_flags)
    ok = ((flags & required) == required) & ((flags & forbidden) == 0)
    lower = np.flatnonzero((np.arange(g.n_edges) < twin) & (ok | ok[twin]))
    la, lo = np.asarray(g.node_lat), np.asarray(g.node_lon)
    out = []
    for p_lat, p_lon in zip(lat, lon):
        kx, ky = 6_371_000.0 * np.pi / 180 * np.cos(np.radians(p_lat)), 6_371_000.0 * np.pi / 180
        ax, ay = (lo[frm[lower]] - p_lon) * kx, (la[frm[lower]] - p_lat) * ky
        bx, by = (lo[to[lower]] - p_lon) * kx, (la[to[lower]] - p_lat) * ky
        dx, dy = bx - ax, by - ay
        t = np.clip(-(ax * dx + ay * dy) / np.maximum(dx * dx + dy * dy, 1e-300), 0, 1)
        d = np.hypot(ax + t * dx, ay + t * dy)
        i = int(np.argmin(d))
        out.append((lower[i], t[i], d[i]) if d[i] <= max_m else (-1, 0.0, np.inf))
    return out


@pytest.mark.parametrize("required, forbidden", [(WALK, 0), (BIKE, 0), (WALK, STEPS | NO_WHEELCHAIR)])
def test_snap_against_brute_force(graph, required, forbidden):
    rng = np.random.default_rng(7)
    la, lo = np.asarray(graph.node_lat), np.asarray(graph.node_lon)
    lat = rng.uniform(la.min() - 0.002, la.max() + 0.002, 300)
    lon = rng.uniform(lo.min() - 0.002, lo.max() + 0.002, 300)
    snapper = StreetSnapper(graph)
    edge, fraction, dist = snapper.snap(lat, lon, 150.0, required, forbidden)
    twin, flags = np.asarray(graph.edge_twin), np.asarray(graph.edge_flags)
    for i, (b_seg, b_t, b_d) in enumerate(_brute_snap(graph, lat, lon, 150.0, required, forbidden)):
        if b_seg < 0:
            assert edge[i] == -1 and dist[i] == np.inf
            continue
        assert edge[i] >= 0 and dist[i] == pytest.approx(b_d, abs=1e-6)
        e = int(edge[i])
        assert flags[e] & required == required and not flags[e] & forbidden
        if min(e, twin[e]) == b_seg:  # the same segment (else an exact tie)
            t = fraction[i] if e == b_seg else 1 - fraction[i]
            assert t == pytest.approx(b_t, abs=1e-9)
        # the snapped point is where the distance says
        p_lat, p_lon = fs.point_on_edge(graph, e, fraction[i])
        assert distance_m(lat[i], lon[i], p_lat, p_lon) == pytest.approx(dist[i], rel=1e-3, abs=0.01)
    assert (edge >= 0).sum() > 50


def test_snap_far_and_nan(helsinki):
    snapper = StreetSnapper(helsinki[0])
    edge, fraction, dist = snapper.snap([0.0, np.nan, 60.17], [0.0, 24.94, np.nan], 500.0)
    assert (edge == -1).all() and (dist == np.inf).all()
    e, f, d = snapper.snap([], [], 10.0)
    assert len(e) == len(f) == len(d) == 0


# ---------------------------------------------------------------- per-query searches


@pytest.fixture(scope="module")
def arrays(graph):
    return rs.street_arrays(graph)


@pytest.mark.parametrize("required, forbidden", [(WALK, 0), (WALK, STEPS), (WALK, STEPS | NO_WHEELCHAIR), (BIKE, 0)])
def test_search_against_networkx(graph, arrays, required, forbidden):
    rng = np.random.default_rng(11)
    G = nx_graph(graph, required, forbidden)
    ws = rs.new_street_workspace(arrays)
    frm = graph.edge_from()
    limit = 1200.0
    for _ in range(20):
        seeds = rng.integers(0, graph.n_nodes, rng.integers(1, 3))
        metres = rng.uniform(0, 100, len(seeds))
        n = rs.search(arrays, ws, seeds, metres, limit, required, forbidden)
        want = nx_from_seeds(G, seeds, metres, limit)
        got = {int(v): ws.dist[v] for v in ws.touched[:n]}
        assert got.keys() == want.keys()
        assert np.allclose([got[v] for v in want], [want[v] for v in want], rtol=0, atol=1e-6)
        assert np.isinf(np.delete(ws.dist, list(got))).all(), "untouched nodes stay unreached"
        v = max(got, key=got.get)
        path = rs.path_edges(ws, v)
        root = frm[path[0]] if len(path) else v
        walked = sum(float(graph.edge_length_m[e]) for e in path)
        assert walked + metres[seeds == root].min() == pytest.approx(got[v], abs=1e-6)
        assert all(graph.edge_to[a] == frm[b] for a, b in zip(path[:-1], path[1:]))
        assert len(path) == 0 or graph.edge_to[path[-1]] == v


def test_a_search_until_some_nodes_ends_with_their_final_metres(graph, arrays):
    """search(until=...) stops once those nodes are settled: their metres and paths are the
    full search's (networkx agrees), and it settles fewer nodes."""
    rng = np.random.default_rng(12)
    G = nx_graph(graph, WALK, 0)
    ws = rs.new_street_workspace(arrays)
    fewer = 0
    for _ in range(20):
        seeds = rng.integers(0, graph.n_nodes, 1)
        n_all = rs.search(arrays, ws, seeds, [0.0], 1200.0, WALK)
        reached = ws.touched[:n_all].copy()
        until = rng.choice(reached, min(2, len(reached)), replace=False)
        want = nx_from_seeds(G, seeds, [0.0], 1200.0)
        n = rs.search(arrays, ws, seeds, [0.0], 1200.0, WALK, until=until)
        assert [ws.dist[v] for v in until] == pytest.approx([want[int(v)] for v in until], abs=1e-6)
        fewer += n < n_all
    assert fewer >= 10, "the search rarely ended early"


def test_reverse_search_against_networkx(poa):
    g = poa[0]
    arrays = rs.street_arrays(g)
    rev = rs.reverse_arrays(arrays)
    G = nx_graph(g, BIKE, reverse=True)
    ws = rs.new_street_workspace(arrays)
    rng = np.random.default_rng(5)
    G_forward = nx_graph(g, BIKE)
    frm = g.edge_from()
    asymmetric = 0
    for _ in range(20):
        seed = rng.integers(0, g.n_nodes, 1)
        n = rs.search(rev, ws, seed, [0.0], 1500.0, BIKE)
        want = nx_from_seeds(G, seed, [0.0], 1500.0)
        got = {int(v): ws.dist[v] for v in ws.touched[:n]}
        assert got.keys() == want.keys()
        assert np.allclose([got[v] for v in want], [want[v] for v in want], rtol=0, atol=1e-6)
        forward = nx_from_seeds(G_forward, seed, [0.0], 1500.0)
        asymmetric += forward != want
        # the travel-order walk from the farthest node to the seed, on the forward graph
        v = max(got, key=got.get)
        walk = g.edge_twin[rs.path_edges(ws, v)[::-1]]
        assert len(walk) == 0 or (frm[walk[0]] == v and g.edge_to[walk[-1]] == seed[0])
        assert all(g.edge_flags[e] & BIKE for e in walk)
    assert asymmetric > 0, "bike oneways make some searches differ from their reverse"


def test_workspace_reset_is_complete(helsinki):
    g = helsinki[0]
    arrays = rs.street_arrays(g)
    ws, fresh = rs.new_street_workspace(arrays), rs.new_street_workspace(arrays)
    rs.search(arrays, ws, [0], [0.0], 5000.0)
    n = rs.search(arrays, ws, [g.n_nodes - 1], [0.0], 300.0)
    m = rs.search(arrays, fresh, [g.n_nodes - 1], [0.0], 300.0)
    assert n == m and np.array_equal(ws.dist, fresh.dist) and np.array_equal(ws.pred_edge, fresh.pred_edge)
    with pytest.raises(ValueError):
        rs.search(arrays, ws, [0, 1], [0.0], 10.0)
    with pytest.raises(ValueError):
        rs.search(arrays, ws, [g.n_nodes], [0.0], 10.0)


def _nx_point_to_point(G, g, o_e, o_f, p_e, p_f, limit=np.inf):
    """Walk metres between two snapped points (walking: symmetric), with networkx between nodes."""
    frm, to, length = g.edge_from(), np.asarray(g.edge_to), np.asarray(g.edge_length_m, np.float64)
    o_ends = {int(frm[o_e]): o_f * length[o_e], int(to[o_e]): (1 - o_f) * length[o_e]}
    p_ends = {int(frm[p_e]): p_f * length[p_e], int(to[p_e]): (1 - p_f) * length[p_e]}
    best = np.inf
    if min(o_e, g.edge_twin[o_e]) == min(p_e, g.edge_twin[p_e]):  # one segment: along it
        f0 = o_f if o_e == p_e else 1 - o_f
        best = abs(p_f - f0) * length[p_e]
    for a, am in o_ends.items():
        d = nx.single_source_dijkstra_path_length(G, a, cutoff=limit)
        for b, bm in p_ends.items():
            if b in d:
                best = min(best, am + d[b] + bm)
    return best


def test_distances_to_snapped_stops_against_networkx(poa):
    g = poa[0]
    arrays = rs.street_arrays(g)
    ws = rs.new_street_workspace(arrays)
    G = nx_graph(g, WALK).to_undirected()
    snapper = StreetSnapper(g)
    rng = np.random.default_rng(3)
    nodes = rng.integers(0, g.n_nodes, 12)
    lat = np.asarray(g.node_lat)[nodes] + rng.normal(0, 3e-4, 12)
    lon = np.asarray(g.node_lon)[nodes] + rng.normal(0, 3e-4, 12)
    origins = snapper.snap(lat, lon, 200.0)
    n_checked = n_same_segment = 0
    for o_e, o_f in zip(*origins[:2]):
        if o_e < 0:
            continue
        seeds, metres = rs.seeds_from_snapped(arrays, o_e, o_f, WALK)
        rs.search(arrays, ws, seeds, metres, 1200.0, WALK)
        # "stops" near the origin, one on its own segment
        o_lat, o_lon = fs.point_on_edge(g, o_e, o_f)
        s_lat, s_lon = fs.point_on_edge(g, o_e, 0.9 if o_f < 0.5 else 0.1)
        t_lat = np.r_[o_lat + rng.normal(0, 4e-3, 12), s_lat + 2e-5]
        t_lon = np.r_[o_lon + rng.normal(0, 4e-3, 12), s_lon]
        t_e, t_f, _ = snapper.snap(t_lat, t_lon, 100.0)
        got = rs.distances_to_snapped(ws, arrays, t_e, t_f, WALK, origin=(o_e, o_f))
        for e, f, d in zip(t_e, t_f, got):
            if e < 0:
                assert d == np.inf
                continue
            want = _nx_point_to_point(G, g, o_e, o_f, e, f, limit=1300.0)
            assert d >= want - 1e-6
            if want <= 1200.0:
                assert d == pytest.approx(want, abs=1e-6)
                n_checked += 1
                n_same_segment += min(e, g.edge_twin[e]) == min(o_e, g.edge_twin[o_e])
            route = rs.route_to_snapped(ws, arrays, (o_e, o_f), (e, f), WALK)
            if np.isfinite(d):
                assert route is not None and route.metres == pytest.approx(d, abs=1e-6)
                _check_route(g, route, (o_e, o_f), (e, f))
    assert n_checked >= 40 and n_same_segment >= 5


def _check_route(g, route, start, end):
    """The route's edges chain, start and end at the two snapped points and add up to its metres."""
    frm, to, twin = g.edge_from(), np.asarray(g.edge_to), np.asarray(g.edge_twin)
    edges = route.edges
    assert all(to[a] == frm[b] for a, b in zip(edges[:-1], edges[1:]))
    first = start[1] if edges[0] == start[0] else 1 - start[1]
    assert edges[0] in (start[0], twin[start[0]]) and route.start_fraction == pytest.approx(first)
    last = end[1] if edges[-1] == end[0] else 1 - end[1]
    assert edges[-1] in (end[0], twin[end[0]]) and route.end_fraction == pytest.approx(last)
    length = np.asarray(g.edge_length_m, np.float64)[edges]
    if len(edges) == 1:
        metres = (route.end_fraction - route.start_fraction) * length[0]
    else:
        metres = (1 - route.start_fraction) * length[0] + length[1:-1].sum() + route.end_fraction * length[-1]
    assert metres == pytest.approx(route.metres, abs=1e-4)


def test_bike_egress_on_the_reversed_graph(poa):
    """Stops -> a destination by bike: a reverse search, checked against forward searches from each stop."""
    g = poa[0]
    arrays = rs.street_arrays(g)
    rev = rs.reverse_arrays(arrays)
    ws, fwd = rs.new_street_workspace(arrays), rs.new_street_workspace(arrays)
    snapper = StreetSnapper(g)
    rng = np.random.default_rng(9)
    checked = 0
    for node in rng.integers(0, g.n_nodes, 8):
        lat, lon = g.node_lat[node] + 2e-4, g.node_lon[node] + 1e-4
        (d_e,), (d_f,), _ = snapper.snap([lat], [lon], 200.0, BIKE)
        if d_e < 0:
            continue
        seeds, metres = rs.seeds_from_snapped(arrays, d_e, d_f, BIKE, reverse=True)
        rs.search(rev, ws, seeds, metres, 1500.0, BIKE)
        s_lat = lat + rng.normal(0, 2e-3, 10)
        s_lon = lon + rng.normal(0, 2e-3, 10)
        s_e, s_f, _ = snapper.snap(s_lat, s_lon, 100.0, BIKE)
        got = rs.distances_to_snapped(ws, arrays, s_e, s_f, BIKE, reverse=True, origin=(d_e, d_f))
        for e, f, d in zip(s_e, s_f, got):
            if e < 0:
                continue
            f_seeds, f_metres = rs.seeds_from_snapped(arrays, e, f, BIKE)
            rs.search(arrays, fwd, f_seeds, f_metres, 3000.0, BIKE)
            want = rs.distances_to_snapped(fwd, arrays, [d_e], [d_f], BIKE, origin=(e, f))[0]
            if d <= 1500.0 or want <= 1500.0:
                assert d == pytest.approx(want, abs=1e-6)
                route = rs.route_to_snapped(ws, arrays, (d_e, d_f), (e, f), BIKE, reverse=True)
                assert route.metres == pytest.approx(d, abs=1e-6)
                _check_route(g, route, (e, f), (d_e, d_f))
                assert all(g.edge_flags[x] & BIKE for x in route.edges)
                checked += 1
    assert checked > 5


# ---------------------------------------------------------------- stop-to-stop footpaths


def _stops(*names):
    lat, lon, kind = [], [], []
    for name in names:
        path = FEEDS / f"{name}.zip"
        if not path.exists():
            pytest.skip(f"{path} is absent")
        with zipfile.ZipFile(path) as z:
            stops = pd.read_csv(z.open("stops.txt"))
        lat.append(stops.stop_lat.to_numpy())
        lon.append(stops.stop_lon.to_numpy())
        kind.append(stops.location_type.fillna(0).to_numpy() if "location_type" in stops else np.zeros(len(stops)))
    return np.concatenate(lat), np.concatenate(lon), np.concatenate(kind)


def test_street_footpaths_porto_alegre(poa):
    g = poa[0]
    lat, lon, kind = _stops("poa-eptc", "poa-trensurb")
    usable = kind == 0
    frm, to, metres, snapped = street_footpaths(g, lat, lon, usable, 500.0, 100.0)
    assert 2000 < snapped.sum() < usable.sum() and not snapped[~usable].any()
    assert len(frm) > 10_000 and (metres <= 500.0).all() and (frm != to).all()
    assert snapped[frm].all() and snapped[to].all()
    crow = distance_m(lat[frm], lon[frm], lat[to], lon[to])
    assert (metres >= crow - 0.5).all(), "a street walk is never shorter than the crow flies"
    pairs = dict(zip(zip(frm.tolist(), to.tolist()), metres.tolist()))
    assert all(pairs.get((b, a)) == pytest.approx(m) for (a, b), m in list(pairs.items())[::97])
    assert (np.diff(frm) >= 0).all()
    # sampled sources against networkx: every stop within 500 m walked is found, at the same metres
    snapper = StreetSnapper(g)
    e, f, d = snapper.snap(lat, lon, 100.0)
    G = nx_graph(g, WALK).to_undirected()
    rng = np.random.default_rng(1)
    candidates = np.flatnonzero(snapped)
    n_equal = n_beyond = 0
    for s in rng.choice(candidates, 6, replace=False):
        near = candidates[distance_m(lat[s], lon[s], lat[candidates], lon[candidates]) <= 500.0]
        for t in near[near != s][:15]:
            walk = d[s] + _nx_point_to_point(G, g, e[s], f[s], e[t], f[t], limit=600.0) + d[t]
            if walk <= 500.0 - 1e-3:
                assert pairs[(s, t)] == pytest.approx(walk, abs=1e-3)
                n_equal += 1
            elif walk > 500.0 + 1e-3:
                assert (s, t) not in pairs
                n_beyond += 1
    assert n_equal >= 30 and n_beyond >= 5


def test_street_footpaths_small_cases(helsinki):
    g = helsinki[0]
    lat, lon = np.array([g.node_lat[0], 0.0]), np.array([g.node_lon[0], 0.0])
    frm, to, metres, snapped = street_footpaths(g, lat, lon, np.array([True, True]), 500.0, 50.0)
    assert len(frm) == 0 and snapped.tolist() == [True, False]
    # two stops on the longest walkable segment, at 40% and 45% of it
    e = int(np.argmax(np.where(np.asarray(g.edge_flags) & WALK, g.edge_length_m, 0)))
    (a_lat, a_lon), (b_lat, b_lon) = (fs.point_on_edge(g, e, x) for x in (0.4, 0.45))
    frm, to, metres, _ = street_footpaths(g, np.array([a_lat, b_lat]), np.array([a_lon, b_lon]), np.ones(2, bool),
                                          500.0, 50.0)
    assert frm.tolist() == [0, 1] and metres[0] == pytest.approx(0.05 * g.edge_length_m[e], abs=1e-3)


# ---------------------------------------------------------------- walking directions


def _grid(segments, names):
    """A graph from [(lat, lon)] nodes and (u, v, name index, kind) segments, all walkable."""
    def make(nodes):
        lat, lon = zip(*nodes)
        u, v, nm, kind = zip(*segments)
        flags = np.full(len(u), WALK | BIKE, np.uint8)
        flags[np.array(kind) == KINDS.index("steps")] |= STEPS
        return graph_from_segments(lat, lon, u, v, flags, flags, nm, kind, Texts.from_strings(names))[0]
    return make


def _node(g, lat, lon):
    return int(np.argmin(np.hypot(np.asarray(g.node_lat) - lat, np.asarray(g.node_lon) - lon)))


def _edge(g, a, b):
    frm = g.edge_from()
    return int(np.flatnonzero((frm == a) & (np.asarray(g.edge_to) == b))[0])


RES, FOOT, STEP = KINDS.index("residential"), KINDS.index("footway"), KINDS.index("steps")


@pytest.mark.parametrize("east, turn, heading", [(1, "RIGHT", "EAST"), (-1, "LEFT", "WEST")])
def test_steps_l_shape(east, turn, heading):
    # A -> B -> C north along Rua Norte (two segments), then at C (a crossing with a stub to the
    # south-west) east or west along Rua Leste to D
    d = 0.001  # ~111 m of latitude
    nodes = [(0.0, 0.0), (d, 0.0), (2 * d, 0.0), (2 * d, east * d), (2 * d - d / 2, -east * d / 2)]
    g = _grid([(0, 1, 0, RES), (1, 2, 0, RES), (2, 3, 1, RES), (2, 4, -1, FOOT)], ["Rua Norte", "Rua Leste"])(nodes)
    A, B, C, D = (_node(g, *p) for p in nodes[:4])
    edges = [_edge(g, A, B), _edge(g, B, C), _edge(g, C, D)]
    start, end = (0.0, -0.0001), (2 * d + 0.0001, east * d)
    points, steps, metres = walk_geometry_and_steps(g, edges, start=start, end=end)
    assert [s["relativeDirection"] for s in steps] == ["DEPART", turn]
    assert [s["absoluteDirection"] for s in steps] == ["NORTH", heading]
    assert [s["streetName"] for s in steps] == ["Rua Norte", "Rua Leste"]
    assert not steps[0]["bogusName"] and steps[0]["kind"] == "residential"
    lead, tail = distance_m(*start, 0, 0), distance_m(2 * d, east * d, *end)
    street = [float(sum(g.edge_length_m[e] for e in edges[:2])), float(g.edge_length_m[edges[2]])]
    assert steps[0]["distance"] == pytest.approx(street[0] + lead, abs=0.051)
    assert steps[1]["distance"] == pytest.approx(street[1] + tail, abs=0.051)
    assert metres == pytest.approx(sum(street) + lead + tail)
    assert (steps[1]["lat"], steps[1]["lon"]) == pytest.approx((2 * d, 0.0))
    assert points[0] == start and points[-1] == end and len(points) == 6
    assert polyline.decode(encoded_polyline(points)) == [(round(a, 5), round(b, 5)) for a, b in points]


def test_steps_partial_edges_unnamed_ways_and_stairs():
    # along an unnamed footway, up steps, then a sharp turn back along the same footway kind
    d = 0.0005
    nodes = [(0.0, 0.0), (0.0, d), (d, d), (d, 0.0), (d, 2 * d)]
    g = _grid([(0, 1, -1, FOOT), (1, 2, -1, STEP), (2, 3, -1, FOOT), (2, 4, -1, FOOT)], [])(nodes)
    P = [_node(g, *p) for p in nodes]
    edges = [_edge(g, P[0], P[1]), _edge(g, P[1], P[2]), _edge(g, P[2], P[3])]
    points, steps, metres = walk_geometry_and_steps(g, edges, start_fraction=0.5, end_fraction=0.5)
    assert [(s["streetName"], s["kind"], s["bogusName"]) for s in steps] == [
        ("footway", "footway", True), ("steps", "steps", True), ("footway", "footway", True)]
    assert [s["relativeDirection"] for s in steps] == ["DEPART", "LEFT", "LEFT"]
    assert [s["absoluteDirection"] for s in steps] == ["EAST", "NORTH", "WEST"]
    length = [float(g.edge_length_m[e]) for e in edges]
    assert metres == pytest.approx(0.5 * length[0] + length[1] + 0.5 * length[2])
    assert points[0] == pytest.approx((0.0, d / 2)) and points[-1] == pytest.approx((d, 0.5 * d))
    # 14 m of the last footway only: a step under SHORT_STEP_M, folded into the stairs before it
    _, steps, metres = walk_geometry_and_steps(g, edges, start_fraction=0.5, end_fraction=0.25)
    assert [s["streetName"] for s in steps] == ["footway", "steps"]
    assert sum(s["distance"] for s in steps) == pytest.approx(metres, abs=0.1)


def test_same_street_merges_but_a_sharp_turn_at_a_crossing_splits():
    d = 0.001
    # Rua Um goes straight east over a crossing (node 1), then turns north at node 2 where a side street meets it
    nodes = [(0.0, 0.0), (0.0, d), (0.0, 2 * d), (d, 2 * d), (-d, d), (0.0, 3 * d)]
    g = _grid([(0, 1, 0, RES), (1, 2, 0, RES), (2, 3, 0, RES), (1, 4, 1, RES), (2, 5, 1, RES)],
              ["Rua Um", "Rua Dois"])(nodes)
    P = [_node(g, *p) for p in nodes]
    edges = [_edge(g, P[0], P[1]), _edge(g, P[1], P[2]), _edge(g, P[2], P[3])]
    _, steps, _ = walk_geometry_and_steps(g, edges)
    assert [(s["relativeDirection"], s["streetName"], s["stayOn"]) for s in steps] == [
        ("DEPART", "Rua Um", False), ("LEFT", "Rua Um", True)]


@pytest.mark.parametrize("angle, expected", [
    (0, "CONTINUE"), (16.9, "CONTINUE"), (-16.9, "CONTINUE"), (20, "SLIGHTLY_RIGHT"), (-39, "SLIGHTLY_LEFT"),
    (40, "RIGHT"), (-90, "LEFT"), (114, "RIGHT"), (120, "HARD_RIGHT"), (-150, "HARD_LEFT"), (170, "UTURN_RIGHT"),
    (-170, "UTURN_LEFT"), (180, "UTURN_LEFT"), (-180, "UTURN_LEFT"),
])
def test_relative_direction_thresholds(angle, expected):
    assert relative_direction(angle) == expected


def test_walk_on_real_streets(poa):
    """Routes found on Porto Alegre's streets give polylines along them and steps that add up."""
    g = poa[0]
    arrays = rs.street_arrays(g)
    ws = rs.new_street_workspace(arrays)
    snapper = StreetSnapper(g)
    rng = np.random.default_rng(2)
    n_routes = 0
    for node in rng.integers(0, g.n_nodes, 10):
        start = (g.node_lat[node] + 1e-4, g.node_lon[node] - 1e-4)
        (o_e,), (o_f,), (o_d,) = snapper.snap([start[0]], [start[1]], 200.0)
        rs.search(arrays, ws, *rs.seeds_from_snapped(arrays, o_e, o_f), 1500.0)
        far = [v for v in ws.touched[:ws.state[rs.N_TOUCHED]] if 600 < ws.dist[v] < 1000]
        if not far:
            continue
        end = (g.node_lat[far[0]] - 1e-4, g.node_lon[far[0]])
        (p_e,), (p_f,), (p_d,) = snapper.snap([end[0]], [end[1]], 200.0)
        route = rs.route_to_snapped(ws, arrays, (o_e, o_f), (p_e, p_f))
        points, steps, metres = walk_geometry_and_steps(g, route.edges, start, end, route.start_fraction,
                                                        route.end_fraction)
        n_routes += 1
        assert metres == pytest.approx(route.metres + o_d + p_d, abs=0.01)
        assert sum(s["distance"] for s in steps) == pytest.approx(metres, abs=0.05 * len(steps) + 0.01)
        assert steps[0]["relativeDirection"] == "DEPART" and not any(s["relativeDirection"] == "DEPART"
                                                                    for s in steps[1:])
        for a, b in zip(steps, steps[1:]):  # a step on the same street again: a turn, or stairs
            if a["streetName"] == b["streetName"]:
                assert b["stayOn"] and (b["relativeDirection"] not in ("CONTINUE", "SLIGHTLY_LEFT", "SLIGHTLY_RIGHT")
                                        or (a["kind"] == "steps") != (b["kind"] == "steps"))
        assert len(points) >= len(route.edges) + 1
        assert sum(distance_m(*a, *b) for a, b in zip(points, points[1:])) == pytest.approx(metres, rel=1e-3)
    assert n_routes >= 5
