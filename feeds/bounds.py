"""Lower bounds on the travel time between every stop and every cluster of stops, for target pruning.

A query keeps a label at stop s at time t only when t + bound(s) is earlier than the best
time at the destination found so far (router/README.md, Lower bounds to the target). The
bounds are shortest paths on a graph that never overestimates a journey: each hop between
consecutive stops of a pattern at its fastest trip of any day, each footpath (and step-free
footpath) at its compiled time, a change of vehicle as free, a stay-seated continuation
within a block and a transfers.txt link between trips as free moves from stop to stop.

The stops are split into clusters of neighbours (CLUSTERS of them at most, each about the
same number of stops: finer where the network is denser) and, for each cluster, one
backward and one forward Dijkstra from all of its stops gives every stop's time to the
nearest of them and from it. A query's bound at s is then the time from s to its
destination's cluster, read, not searched: a search per query cost more than it saved
(benchmarks/README.md, the third session of issue 10).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numba import njit
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from .geo import distance_m
from .trip_links import INTERLINE_MAX_M

CLUSTERS = 256  # clusters at most; fewer for a network whose matrices would pass MAX_BYTES
MAX_BYTES = 64_000_000  # the two matrices of uint16 seconds, at most
CAP_SECONDS = 65535  # a bound at least this long (or none: no path) is stored as it


def cluster_bounds(arrays: dict) -> dict[str, np.ndarray]:
    """The compiled network's bound_* arrays (feeds/compiled.py) from its other arrays."""
    n_stops = len(arrays["stop_lat"])
    n_clusters = int(min(CLUSTERS, n_stops, max(1, MAX_BYTES // (4 * max(n_stops, 1)))))
    cluster = spatial_clusters(np.asarray(arrays["stop_lat"]), np.asarray(arrays["stop_lon"]), n_clusters)
    n_nodes, edge_from, edge_to, edge_secs = bound_edges(arrays)
    members = np.argsort(cluster, kind="stable").astype(np.int32)
    member_offsets = np.zeros(n_clusters + 1, np.int64)
    member_offsets[1:] = np.cumsum(np.bincount(cluster, minlength=n_clusters))
    # to a cluster: searched backwards, over the edges reversed; from it: forwards
    to_cluster = _searches(n_nodes, edge_to, edge_from, edge_secs, members, member_offsets, n_stops)
    from_cluster = _searches(n_nodes, edge_from, edge_to, edge_secs, members, member_offsets, n_stops)
    return {"bound_cluster": cluster, "bound_to_cluster": to_cluster, "bound_from_cluster": from_cluster}


def spatial_clusters(lat: np.ndarray, lon: np.ndarray, n_clusters: int) -> np.ndarray:
    """Stop -> cluster: the stops split at the median of their longer side, recursively, into
    n_clusters groups of nearly equal count (stops without coordinates go with (0, 0))."""
    n = len(lat)
    x = np.nan_to_num(lon * np.cos(np.radians(np.nanmedian(lat) if n and np.isfinite(lat).any() else 0.0)))
    y = np.nan_to_num(lat)
    cluster = np.zeros(n, np.int32)
    groups = [(np.arange(n), 0, n_clusters)]  # (stops, first cluster, number of clusters)
    while groups:
        stops, first, count = groups.pop()
        if count <= 1 or len(stops) <= 1:
            cluster[stops] = first
            continue
        axis = x if np.ptp(x[stops]) >= np.ptp(y[stops]) else y
        order = stops[np.argsort(axis[stops], kind="stable")]
        left = count // 2
        cut = len(order) * left // count
        groups += [(order[:cut], first, left), (order[cut:], first + left, count - left)]
    return cluster


def bound_edges(arrays: dict) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """(number of nodes, from, to, seconds) of the bound graph: the stops, then one node per
    transfers.txt row between trips or routes, through which its moves are free."""
    n_stops = len(arrays["stop_lat"])
    hop_from, hop_to, hop_secs = _pattern_hops(
        arrays["pattern_stop_offsets"], arrays["pattern_stops"], np.asarray(arrays["trip_pattern"]),
        arrays["trip_time_offsets"], arrays["stop_time_arr"], arrays["stop_time_dep"])
    pieces = [(hop_from, hop_to, hop_secs),
              (arrays["footpath_from"], arrays["footpath_to"], arrays["footpath_duration"])]
    step_free_from = np.repeat(arrays["step_free_footpath_stop"], np.diff(arrays["step_free_footpath_offsets"]))
    pieces.append((step_free_from, arrays["step_free_footpath_to"], arrays["step_free_footpath_duration"]))
    first, last = _trip_ends(arrays)
    # a block: from a trip's last stop to another trip's first stop, when the day view may
    # let the traveller stay on board between them (service/view_links.py)
    pieces.append(_block_moves(arrays, first, last))
    # a transfers.txt row between trips or routes (types 1, 2, 4): from its stop (the trip's
    # last one when blank) to its other stop (the next trip's first one), or any platform of
    # a station named, through a node of its own; a side named by a route with a blank stop
    # has no one stop: the day view checks its links against the bounds (router/bounds.py)
    from_stop = _link_stop(np.asarray(arrays["link_from_stop"]), np.asarray(arrays["link_from_trip"]), last)
    to_stop = _link_stop(np.asarray(arrays["link_to_stop"]), np.asarray(arrays["link_to_trip"]), first)
    kept = (from_stop >= 0) & (to_stop >= 0) & np.isin(np.asarray(arrays["link_type"]), (1, 2, 4))
    link_node = n_stops + np.arange(int(kept.sum()), dtype=np.int32)
    parent = np.asarray(arrays["stop_parent"])
    for stops, leaves in ((from_stop[kept], True), (to_stop[kept], False)):
        stop, node = _with_platforms(stops, link_node, parent)
        zeros = np.zeros(len(stop), np.int32)
        pieces.append((stop, node, zeros) if leaves else (node, stop, zeros))
    edge_from, edge_to, edge_secs = (np.concatenate([np.asarray(p[i], np.int32) for p in pieces]) for i in range(3))
    n_nodes = n_stops + len(link_node)
    # one edge per pair of nodes, its fastest
    key = edge_from.astype(np.int64) * n_nodes + edge_to
    order = np.lexsort((edge_secs, key))
    first = np.r_[True, key[order][1:] != key[order][:-1]]
    kept = order[first]
    return n_nodes, edge_from[kept], edge_to[kept], np.maximum(edge_secs[kept], 0)


def _block_moves(arrays: dict, first: np.ndarray, last: np.ndarray):
    """(from, to, 0 seconds) between the stops where one trip of a block ends and another
    begins, at the same station or within INTERLINE_MAX_M of each other."""
    block = np.asarray(arrays["trip_block"])
    trips = np.flatnonzero(block >= 0)
    ends = pd.DataFrame({"block": block[trips], "stop": last[trips]}).drop_duplicates()
    starts = pd.DataFrame({"block": block[trips], "next": first[trips]}).drop_duplicates()
    pairs = ends.merge(starts, on="block")
    a, b = pairs["stop"].to_numpy(np.int64), pairs["next"].to_numpy(np.int64)
    parent = np.asarray(arrays["stop_parent"])
    station = np.where(parent >= 0, parent, np.arange(len(parent)))
    lat, lon = np.asarray(arrays["stop_lat"]), np.asarray(arrays["stop_lon"])
    close = (station[a] == station[b]) | (distance_m(lat[a], lon[a], lat[b], lon[b]) <= INTERLINE_MAX_M)
    keep = close & (a != b)
    return a[keep], b[keep], np.zeros(int(keep.sum()), np.int32)


def _with_platforms(stops: np.ndarray, nodes: np.ndarray, parent: np.ndarray):
    """(stop, node) pairs: each stop with its node, and each platform of a station with it."""
    rows = pd.DataFrame({"stop": stops, "node": nodes})
    platforms = pd.DataFrame({"station": parent, "platform": np.arange(len(parent))})
    inside = rows.merge(platforms[platforms["station"] >= 0], left_on="stop", right_on="station")
    return (np.r_[stops, inside["platform"].to_numpy()].astype(np.int32),
            np.r_[nodes, inside["node"].to_numpy()].astype(np.int32))


def _trip_ends(arrays: dict) -> tuple[np.ndarray, np.ndarray]:
    """Trip -> its first stop and its last stop."""
    offsets = np.asarray(arrays["pattern_stop_offsets"])
    pattern = np.asarray(arrays["trip_pattern"])
    stops = np.asarray(arrays["pattern_stops"])
    return stops[offsets[pattern]], stops[offsets[pattern + 1] - 1]


def _link_stop(stop: np.ndarray, trip: np.ndarray, trip_end: np.ndarray) -> np.ndarray:
    out = stop.astype(np.int32).copy()
    blank = (out < 0) & (trip >= 0)
    out[blank] = trip_end[trip[blank]]
    return out


@njit(cache=True)
def _pattern_hops(pattern_stop_offsets, pattern_stops, trip_pattern, trip_time_offsets, arr, dep):
    """(from stop, to stop, fastest seconds over the pattern's trips) of every hop between
    consecutive positions of a pattern."""
    n_positions = pattern_stops.shape[0]
    fastest = np.full(n_positions, np.iinfo(np.int32).max, np.int32)
    for trip in range(trip_pattern.shape[0]):
        lo = pattern_stop_offsets[trip_pattern[trip]]
        n_pos = pattern_stop_offsets[trip_pattern[trip] + 1] - lo
        row = trip_time_offsets[trip]
        for i in range(n_pos - 1):
            seconds = arr[row + i + 1] - dep[row + i]
            if seconds < fastest[lo + i]:
                fastest[lo + i] = seconds
    n_hops = 0
    for i in range(n_positions):
        n_hops += fastest[i] != np.iinfo(np.int32).max
    hop_from = np.empty(n_hops, np.int32)
    hop_to = np.empty(n_hops, np.int32)
    hop_secs = np.empty(n_hops, np.int32)
    h = 0
    for p in range(pattern_stop_offsets.shape[0] - 1):
        for i in range(pattern_stop_offsets[p], pattern_stop_offsets[p + 1] - 1):
            if fastest[i] != np.iinfo(np.int32).max:
                hop_from[h], hop_to[h], hop_secs[h] = pattern_stops[i], pattern_stops[i + 1], fastest[i]
                h += 1
    return hop_from, hop_to, hop_secs


def _searches(n_nodes: int, tail: np.ndarray, head: np.ndarray, secs: np.ndarray, members: np.ndarray,
              member_offsets: np.ndarray, n_stops: int) -> np.ndarray:
    """(cluster, stop) -> the shortest time from the cluster's nearest stop to the stop over
    the edges tail -> head (capped at CAP_SECONDS), by scipy's Dijkstra from all of the
    cluster's stops at once. scipy reads a weight of 0 as no edge: every weight gets epsilon,
    which over the longest path (fewer edges than nodes) adds under half a second, cut off."""
    epsilon = min(1e-6, 0.5 / max(n_nodes, 1))
    graph = csr_array((secs.astype(np.float64) + epsilon, (tail, head)), shape=(n_nodes, n_nodes))
    out = np.empty((len(member_offsets) - 1, n_stops), np.uint16)
    for c in range(len(out)):
        dist = dijkstra(graph, indices=members[member_offsets[c]:member_offsets[c + 1]], min_only=True,
                        limit=CAP_SECONDS)
        out[c] = np.minimum(np.floor(dist[:n_stops]), CAP_SECONDS)
    return out
