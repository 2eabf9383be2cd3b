"""The plain-graph baseline: a time-dependent Dijkstra over a networkx graph of stops.

Every edge u -> v holds the sorted (departure, arrival) pairs of the trips that run from
u to v without a stop between them; the earliest arrival at v leaving u at time t is the
best arrival among the pairs departing at or after t (bisect, then a suffix minimum).
transfers.txt links between stops are edges of a fixed duration. The model is the
simplest there is: a change at one stop takes no time (transfers.txt times at one stop
are not modelled), no generated walking, and boarding / alighting rules are ignored.
Reads the feed with Trajet's own reader and compiler, so parsing is the same; the graph
and the search are its own. python -m benchmarks.peers.networkx_driver QUERIES OUT --feed F
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import sys
import time
from collections import defaultdict

import networkx as nx
import numpy as np

from trajet.service.network import Network

from .common import read_queries, timed, write_result


def build_graph(network: Network, date: dt.date) -> tuple[nx.DiGraph, int]:
    view = network.day(date)
    tt = view.router.tt
    pairs: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    for p in range(tt.n_patterns):
        stops = tt.pattern_stops[tt.pattern_stop_offsets[p]:tt.pattern_stop_offsets[p + 1]]
        arrivals, departures = tt.pattern_trip_times(p)
        for i in range(len(stops) - 1):
            key = (int(stops[i]), int(stops[i + 1]))
            pairs[key].extend(zip(departures[i].tolist(), arrivals[i + 1].tolist()))
    graph = nx.DiGraph()
    for u in range(tt.n_stops):  # transfers.txt links (walk_m 0); generated footpaths are not part of it
        for f in range(tt.footpath_offsets[u], tt.footpath_offsets[u + 1]):
            if tt.footpath_walk_m[f] == 0:
                graph.add_edge(u, int(tt.footpath_to[f]), walk=int(tt.footpath_duration[f]))
    for (u, v), conns in pairs.items():
        conns.sort()
        arrs = np.minimum.accumulate(np.array([a for _, a in conns])[::-1])[::-1]  # best arrival from k on
        graph.add_edge(u, v, deps=[d for d, _ in conns], arr_from=arrs.tolist())
    return graph, network.local_seconds(date, 0) - view.origin


def earliest_arrival(graph: nx.DiGraph, source: int, target: int, t0: int) -> int | None:
    best = {source: t0}
    heap = [(t0, source)]
    while heap:
        t, u = heapq.heappop(heap)
        if u == target:
            return t
        if t > best.get(u, t):
            continue
        for v, edge in graph[u].items():
            if "deps" not in edge:
                a = t + edge["walk"]
                if a < best.get(v, 1 << 62):
                    best[v] = a
                    heapq.heappush(heap, (a, v))
                continue
            k = bisect.bisect_left(edge["deps"], t)
            if k == len(edge["deps"]):
                continue
            a = edge["arr_from"][k]  # a later departure may arrive earlier (overtaking)
            if a < best.get(v, 1 << 62):
                best[v] = a
                heapq.heappush(heap, (a, v))
    return None


def main(queries_path: str, out: str, feeds: list[str]) -> None:
    spec = read_queries(queries_path)
    started = time.perf_counter()
    network = Network.open(feeds)
    graph, midnight = build_graph(network, dt.date.fromisoformat(spec["date"]))
    load_s = time.perf_counter() - started
    index = {str(s): i for i, s in enumerate(network.net.stop_id)}
    arrivals, seconds = [], []
    for q in spec["queries"]:
        source, target = index[q["from"]], index[q["to"]]
        a, took = (timed(earliest_arrival, graph, source, target, midnight + q["time"]) if source in graph
                   else (None, 0.0))
        arrivals.append(a - midnight if a is not None else None)
        seconds.append(took)
    write_result(out, "networkx-dijkstra", load_s, arrivals, seconds,
                 "time-dependent Dijkstra on a stop graph; transfers.txt links as walks, "
                 "no change time at one stop, pickup rules ignored")


if __name__ == "__main__":
    args = sys.argv[1:]
    main(args[0], args[1], [a for flag, a in zip(args[2::2], args[3::2]) if flag == "--feed"])
