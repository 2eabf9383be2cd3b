"""Lower bounds to the target (feeds/bounds.py, router/bounds.py) on real feeds.

- The compiled matrices are the shortest paths of the bound graph: checked against networkx.
- They never overestimate: checked edge by edge on a day view (every ride between two
  consecutive stops, footpath, step-free footpath and link between trips), forwards and on
  the mirrored timetable of arrive-by searches.
- Pruning with them changes no answer and saves work: the same Pareto sets with and without,
  on seeded queries, forwards, backwards and over departure windows.
- Bounds that do not hold for a view's links are not used.
"""

from __future__ import annotations

import datetime as dt

import networkx as nx
import numpy as np
import pytest

from trajet.feeds.bounds import CAP_SECONDS, bound_edges
from trajet.router.bounds import Bounds
from trajet.router.planner import Router
from trajet.router.query import QueryOptions
from trajet.router.timetable import L_FROM_POS, L_TO_POS, L_TO_TRIP
from trajet.service.network import Network

from .conftest import shared_feed
from .inline_gtfs import write_feed

BAY_AREA = ("caltrain", "bart")
BAY_DAY = dt.date(2018, 6, 19)
TAMPA_DAY = dt.date(2021, 11, 16)  # hart-tampa: block_id on its trips (seated links)


@pytest.fixture(scope="module")
def networks(tmp_path_factory) -> dict[str, tuple[Network, dt.date]]:
    cache = tmp_path_factory.mktemp("bounds-compiled")
    return {
        "bay": (Network.open([shared_feed(n) for n in BAY_AREA], cache_dir=cache), BAY_DAY),
        "tampa": (Network.open([shared_feed("hart-tampa")], cache_dir=cache), None),
    }


def day_of(network: Network, date: dt.date | None) -> dt.date:
    """The date, or the network's busiest service day."""
    if date is not None:
        return date
    runs = np.asarray(network._runs)
    return network.bitmap_start + dt.timedelta(days=int(np.argmax(runs)))


def test_matrices_are_the_shortest_paths_of_the_bound_graph(networks):
    """networkx's Dijkstra from every stop of a few clusters, on the graph of bound_edges."""
    network, _ = networks["bay"]
    net = network.net
    n_nodes, edge_from, edge_to, edge_secs = bound_edges(net._asdict())
    graph = nx.DiGraph()
    graph.add_nodes_from(range(n_nodes))
    for a, b, s in zip(edge_from.tolist(), edge_to.tolist(), edge_secs.tolist()):
        if a != b and (not graph.has_edge(a, b) or graph[a][b]["weight"] > s):
            graph.add_edge(a, b, weight=s)
    cluster = np.asarray(net.bound_cluster)
    n_stops = len(cluster)
    to_cluster, from_cluster = np.asarray(net.bound_to_cluster), np.asarray(net.bound_from_cluster)
    assert to_cluster.shape == from_cluster.shape == (cluster.max() + 1, n_stops)
    for c in np.random.default_rng(3).choice(cluster.max() + 1, 5, replace=False).tolist():
        members = set(np.flatnonzero(cluster == c).tolist())
        for matrix, g in ((to_cluster, graph.reverse(copy=False)), (from_cluster, graph)):
            dist = nx.multi_source_dijkstra_path_length(g, members)
            expected = np.array([min(dist.get(s, CAP_SECONDS), CAP_SECONDS) for s in range(n_stops)])
            assert np.array_equal(matrix[c], expected), f"cluster {c}"


def view_edges(tt):
    """(from stop, to stop, seconds) of every move a query of this view can make: a ride
    between consecutive stops of a trip, a footpath, a link between trips (free)."""
    rows = []
    for p in range(tt.n_patterns):
        lo, hi = tt.pattern_stop_offsets[p], tt.pattern_stop_offsets[p + 1]
        stops, n_pos = tt.pattern_stops[lo:hi], hi - lo
        n_trips = tt.pattern_trip_offsets[p + 1] - tt.pattern_trip_offsets[p]
        base = tt.pattern_time_offsets[p]
        arr = tt.arrivals[base: base + n_trips * n_pos].reshape(n_trips, n_pos)
        dep = tt.departures[base: base + n_trips * n_pos].reshape(n_trips, n_pos)
        rows.append(np.c_[stops[:-1], stops[1:], (arr[:, 1:] - dep[:, :-1]).min(axis=0)])
    walk_from = np.repeat(np.arange(tt.n_stops), np.diff(tt.footpath_offsets))
    rows.append(np.c_[walk_from, tt.footpath_to, tt.footpath_duration])
    from_trip = np.repeat(np.arange(tt.n_trips), np.diff(tt.trip_link_offsets))
    if len(from_trip):
        def stop(trips, pos):
            return tt.pattern_stops[tt.pattern_stop_offsets[tt.trip_pattern[trips]] + pos]
        links = tt.trip_links
        a, b = stop(from_trip, links[:, L_FROM_POS]), stop(links[:, L_TO_TRIP], links[:, L_TO_POS])
        rows.append(np.c_[a, b, np.zeros(len(a), np.int64)])
    return np.concatenate(rows).astype(np.int64)


@pytest.mark.parametrize("name", ["bay", "tampa"])
def test_bounds_hold_on_every_move_of_a_day_view(networks, name):
    """bound(a) <= seconds + bound(b) for every move a -> b, and 0 inside each cluster: so a
    bound is never more than the time of a journey (the kernel's pruning is exact)."""
    network, date = networks[name]
    view = network.day(day_of(network, date))
    routers = [view.router, view.mirror]
    assert all(r.bounds is not None for r in routers)
    for router in routers:
        bounds = router.bounds
        tts = [router.tt] + ([router.step_free] if router.step_free is not None else [])
        for tt in tts:
            edges = view_edges(tt)
            a, b, secs = edges[:, 0], edges[:, 1], edges[:, 2]
            lhs = bounds.to_cluster[:, a].astype(np.int64)
            rhs = secs[None, :] + bounds.to_cluster[:, b]
            bad = np.argwhere(lhs > rhs)
            assert not len(bad), f"{len(bad)} moves, first {edges[bad[0][1]]} cluster {bad[0][0]}"
        own = bounds.to_cluster[bounds.stop_cluster, np.arange(len(bounds.stop_cluster))]
        assert not own.any()


def seeded(view, n: int, seed: int):
    served = np.unique(view.router.tt.pattern_stops)
    rng = np.random.default_rng(seed)
    return [(int(a), int(b), int(t)) for (a, b), t in
            zip((rng.choice(served, 2, replace=False) for _ in range(n)), rng.integers(5 * 3600, 22 * 3600, n))]


def answers(router: Router, queries, options: QueryOptions, window: int = 0):
    out, scanned = [], 0
    for a, b, t in queries:
        if window:
            result = router.plan_range([(a, 0)], t, t + window, [(b, 0)], options)
        else:
            result = router.plan([(a, t)], [(b, 0)], options)
        out.append((result.arrivals, [j.legs for j in result.journeys]))
        scanned += result.work.patterns_scanned
    return out, scanned


@pytest.mark.parametrize("name", ["bay", "tampa"])
@pytest.mark.parametrize("direction", ["forward", "mirror", "window"])
def test_pruning_changes_no_answer_and_saves_work(networks, name, direction):
    network, date = networks[name]
    view = network.day(day_of(network, date))
    router = view.mirror if direction == "mirror" else view.router
    queries = seeded(view, 60 if direction != "window" else 20, seed=7)
    options = QueryOptions()
    window = 1800 if direction == "window" else 0
    bounds = router.bounds
    try:
        with_bounds, work_with = answers(router, queries, options, window)
        router.bounds = None
        without, work_without = answers(router, queries, options, window)
    finally:
        router.bounds = bounds
    assert sum(bool(legs) for _, legs in without) > len(queries) // 3
    for q, got, expected in zip(queries, with_bounds, without):
        assert got == expected, f"query {q}"
    assert work_with < work_without


def test_a_faster_walker_is_not_pruned_with_the_compiled_walks(networks):
    """The bounds count the footpaths at the compiled speed: a query walking faster reads none."""
    network, date = networks["bay"]
    view = network.day(date)
    queries = seeded(view, 30, seed=11)
    fast = QueryOptions(walk_speed_m_s=3.0)
    got, work = answers(view.router, queries, fast)
    bounds = view.router.bounds
    try:
        view.router.bounds = None
        expected, work_without = answers(view.router, queries, fast)
    finally:
        view.router.bounds = bounds
    # not pruned at all: the same answers for the same work (the same answers alone would
    # hold even if the bounds were read, as they rarely cut a journey that walks faster)
    assert got == expected and work == work_without


def test_bounds_that_do_not_hold_for_a_link_are_not_used(tmp_path):
    """A link moving the traveller between stops that the compiled bounds do not count as a
    free move (a route-to-route transfers.txt row with blank stops, say) disables them. Here
    a block goes on from B2, 50 m from B: the compiled bounds count it; made to look farther
    from the destination at B than at B2, they are refused."""
    trips = {"in": "A 08:00, B 08:10", "on": "B2 08:11, C 08:20"}
    files = {"trips.txt": "route_id,service_id,trip_id,block_id\nRin,ALL,in,b1\nRon,ALL,on,b1\n"}
    path = write_feed(tmp_path / "feed", trips, files=files,
                      stops={"A": (60.0, 25.0), "B": (60.01, 25.0), "B2": (60.01045, 25.0), "C": (60.02, 25.0)})
    network = Network.open([path], cache_dir=tmp_path / "cache")
    view = network.day(dt.date(2024, 3, 12))
    router = view.router
    tt = router.tt
    assert len(tt.trip_links) and router.bounds is not None  # the block, on the day and on the next
    b, b2, c = (network.stops_of(s)[0] for s in ("B", "B2", "C"))
    bounds = router.bounds
    c_cluster = bounds.stop_cluster[c]
    assert bounds.to_cluster[c_cluster, b] <= bounds.to_cluster[c_cluster, b2]
    to_cluster = np.array(bounds.to_cluster)
    to_cluster[c_cluster, b] = to_cluster[c_cluster, b2] + 60
    assert Router(tt, router.walk_speed_m_s, None, bounds._replace(to_cluster=to_cluster)).bounds is None
    assert Router(tt, router.walk_speed_m_s, None, bounds).bounds is bounds
    wrong_size = Bounds(bounds.stop_cluster[:-1], bounds.to_cluster[:, :-1], bounds.from_cluster[:, :-1])
    assert Router(tt, router.walk_speed_m_s, None, wrong_size).bounds is None
