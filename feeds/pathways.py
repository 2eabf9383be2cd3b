"""Walks inside a station along its pathways (GTFS pathways.txt): `pathway_edges`, `station_walks`.

A pathway joins two locations of one station (platforms, entrances, generic nodes, boarding
areas; never the station itself) by a walkway, stairs, a moving walkway, an escalator, an
elevator or a gate. `pathway_edges` turns feed.pathways into directed, timed edges: a
bidirectional pathway gives two, a one-way pathway one (escalators, moving walkways and exit
gates are one-way: feeds/read.py made them so). `station_walks` finds the quickest walks
through those edges between the places a passenger boards or enters: from every platform to
every other platform of its station, and between each entrance and each platform both ways.

The times of an edge, first that applies:
- the pathway's traversal_time;
- an elevator's ELEVATOR_S (its length is horizontal, says GTFS: the wait and the ride count);
- its length at WALK_SPEED_M_S (feeds/geo.py), for every other mode;
- stairs without a length: STAIR_STEP_S per step of |stair_count|;
- else DEFAULT_S of its mode.
Every edge takes at least 1 s, so that a walk's time grows at every step.

A station is the topmost parent_station of a stop (a boarding area -> its platform -> the
station); an edge whose two ends lie in different stations (never valid GTFS; feeds/read.py
warns about it) is not used: walks never leave their station through the pathway graph.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from .geo import WALK_SPEED_M_S

if TYPE_CHECKING:
    from .read import GtfsFeed

WALKWAY, STAIRS, MOVING_WALKWAY, ESCALATOR, ELEVATOR, FARE_GATE, EXIT_GATE = range(1, 8)  # GTFS pathway_mode
MODE_NAMES = {WALKWAY: "walkway", STAIRS: "stairs", MOVING_WALKWAY: "moving walkway", ESCALATOR: "escalator",
              ELEVATOR: "elevator", FARE_GATE: "fare gate", EXIT_GATE: "exit gate"}
ONE_WAY_MODES = (MOVING_WALKWAY, ESCALATOR, EXIT_GATE)  # GTFS: is_bidirectional must be 0
NOT_WHEELCHAIR = (STAIRS, ESCALATOR)  # modes a wheelchair walk never takes

STAIR_STEP_S = 0.6  # seconds per step, climbing or going down at an ordinary pace
ELEVATOR_S = 60  # an elevator without traversal_time: waiting for it, then the ride
DEFAULT_S = {  # a pathway with neither traversal_time nor length (nor stair_count, for stairs)
    WALKWAY: 30,  # about 40 m of corridor
    STAIRS: 30,  # about 50 steps
    MOVING_WALKWAY: 30,
    ESCALATOR: 30,  # about 15 m up or down at 0.5 m/s
    ELEVATOR: ELEVATOR_S,
    FARE_GATE: 10,  # finding the ticket, passing the gate
    EXIT_GATE: 5,
}

# Stop location_type values (GTFS stops.txt)
PLATFORM, STATION, ENTRANCE, GENERIC_NODE, BOARDING_AREA = range(5)
MAX_PARENT_DEPTH = 4  # boarding area -> platform -> station is 2; a parent_station cycle stops here


class PathwayEdges(NamedTuple):
    """Directed pathway edges, in feed.pathways order (a bidirectional pathway: forward, then
    its reverse right after)."""

    from_stop: np.ndarray  # int32 index into stop_ids
    to_stop: np.ndarray  # int32
    seconds: np.ndarray  # int32 >= 1
    metres: np.ndarray  # float64, the pathway's length; NaN when unknown
    mode: np.ndarray  # int8 GTFS pathway_mode (1..7)


def edge_seconds(mode: np.ndarray, length_m: np.ndarray, traversal_time: np.ndarray,
                 stair_count: np.ndarray) -> np.ndarray:
    """Seconds to take each pathway (int32 >= 1), by the rules of the module docstring.

    length_m: NaN when unknown; traversal_time: <= 0 when unknown; stair_count: 0 unknown."""
    mode = np.asarray(mode)
    default = np.zeros(8, np.float64)
    default[list(DEFAULT_S)] = list(DEFAULT_S.values())
    seconds = default[mode]
    stairs = (mode == STAIRS) & (np.asarray(stair_count) != 0)
    seconds[stairs] = np.ceil(np.abs(stair_count[stairs]) * STAIR_STEP_S)
    known = np.isfinite(length_m) & (mode != ELEVATOR)
    seconds[known] = np.ceil(length_m[known] / WALK_SPEED_M_S)
    timed = np.asarray(traversal_time) > 0
    seconds[timed] = traversal_time[timed]
    return np.maximum(seconds, 1).astype(np.int32)


def pathway_edges(feed: GtfsFeed, stop_ids: pd.Index) -> PathwayEdges:
    """The directed edges of feed.pathways; stop_ids gives the stop order (the feed's stops,
    pd.Index(feed.stops.stop_id)). A pathway whose end is not in stop_ids is left out."""
    pw = feed.pathways
    frm = stop_ids.get_indexer(pw["from_stop_id"]).astype(np.int32)
    to = stop_ids.get_indexer(pw["to_stop_id"]).astype(np.int32)
    mode = pw["pathway_mode"].to_numpy(np.int8)
    metres = pw["length"].to_numpy(np.float64)
    seconds = edge_seconds(mode, metres, pw["traversal_time"].to_numpy(np.int64), pw["stair_count"].to_numpy(np.int64))
    keep = (frm >= 0) & (to >= 0)
    both = keep & (pw["is_bidirectional"].to_numpy() == 1)
    # forward edge of row i at 2i, its reverse at 2i + 1, then the rows left out
    order = np.argsort(np.r_[np.flatnonzero(keep) * 2, np.flatnonzero(both) * 2 + 1], kind="stable")
    rows = np.r_[np.flatnonzero(keep), np.flatnonzero(both)][order]
    reverse = np.r_[np.zeros(keep.sum(), bool), np.ones(both.sum(), bool)][order]
    return PathwayEdges(from_stop=np.where(reverse, to[rows], frm[rows]).astype(np.int32),
                        to_stop=np.where(reverse, frm[rows], to[rows]).astype(np.int32),
                        seconds=seconds[rows], metres=metres[rows], mode=mode[rows])


def station_of(parent: np.ndarray) -> np.ndarray:
    """Each stop's topmost parent (int32): follow parent (int index, -1 none) up to
    MAX_PARENT_DEPTH steps; a stop without parent is its own."""
    parent = np.asarray(parent)
    root = np.arange(len(parent), dtype=np.int32)
    for _ in range(MAX_PARENT_DEPTH):
        up = parent[root]
        if not (up >= 0).any():
            break
        root = np.where(up >= 0, up, root).astype(np.int32)
    return root


def station_walks(edges: PathwayEdges, n_stops: int, location_type: np.ndarray, parent: np.ndarray,
                  wheelchair: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The quickest walks along pathways inside each station: (from_stop, to_stop, seconds,
    modes), sorted by (from_stop, to_stop).

    Pairs: platform -> other platform of the station, entrance -> platform, platform ->
    entrance (never entrance -> entrance, nor a platform to itself). A boarding area stands for
    its parent platform (the walk's best boarding area counts); one whose parent is not a
    platform is only a node on the way. A pair missing means no pathway walk: the pathways do
    not join them (in that direction; or, with wheelchair, not without stairs or escalators).

    location_type: int per stop (GTFS, 0..4); parent: int index of each stop's parent_station,
    -1 none (stop_ids.get_indexer(stops.parent_station)); edges from pathway_edges over the same
    n_stops stops. wheelchair=True leaves out stairs and escalators. Returns int32, int32, int32
    and uint8 arrays; modes is a bitmask of the pathway modes walked (bit 1 << pathway_mode,
    describe_modes reads it); of several walks equally quick, any one.
    """
    from scipy.sparse import csr_matrix  # here: feeds/read.py imports this module, scipy.sparse takes 0.5 s
    from scipy.sparse.csgraph import dijkstra

    location_type, parent = np.asarray(location_type), np.asarray(parent)
    station = station_of(parent)
    point = np.full(n_stops, -1, np.int64)  # the boarding or entering point a stop stands for
    is_platform = location_type == PLATFORM
    point[is_platform | (location_type == ENTRANCE)] = np.flatnonzero(is_platform | (location_type == ENTRANCE))
    area = np.flatnonzero((location_type == BOARDING_AREA) & (parent >= 0))
    area = area[location_type[parent[area]] == PLATFORM]
    point[area] = parent[area]

    frm, to = edges.from_stop.astype(np.int64), edges.to_stop.astype(np.int64)
    keep = station[frm] == station[to]
    if wheelchair:
        keep &= ~np.isin(edges.mode, NOT_WHEELCHAIR)
    frm, to, secs, bit = frm[keep], to[keep], edges.seconds[keep], (1 << edges.mode[keep].astype(np.int64))
    # the quickest of parallel edges, for the graph and the modes bitmask
    best = np.lexsort((secs, to, frm))
    best = best[_first_of_runs(frm[best], to[best])]
    frm, to, secs, bit = frm[best], to[best], secs[best], bit[best]

    found = []
    edge_station = station[frm]
    order = np.argsort(edge_station, kind="stable")
    bounds = np.r_[np.flatnonzero(_first_of_runs(edge_station[order], edge_station[order])), len(order)]
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        e = order[lo:hi]
        nodes = np.unique(np.r_[frm[e], to[e]])  # stops of this station with a pathway
        sources = np.flatnonzero(point[nodes] >= 0)
        if len(np.unique(point[nodes[sources]])) < 2:
            continue
        a, b = np.searchsorted(nodes, frm[e]), np.searchsorted(nodes, to[e])
        graph = csr_matrix((secs[e].astype(np.float64), (a, b)), shape=(len(nodes), len(nodes)))
        dist, pred = dijkstra(graph, indices=sources, return_predecessors=True)
        modes = _path_modes(pred, a * len(nodes) + b, bit[e], len(nodes))
        src_point = point[nodes[sources]][:, None]
        dst_point = point[nodes[sources]][None, :]
        d = dist[:, sources]
        ok = np.isfinite(d) & (src_point != dst_point)
        ok &= (location_type[src_point] == PLATFORM) | (location_type[dst_point] == PLATFORM)
        i, j = np.nonzero(ok)
        found.append((src_point[i, 0], dst_point[0, j], d[i, j], modes[:, sources][i, j]))
    if not found:
        return (np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.uint8))
    f, t, s, m = (np.concatenate(x) for x in zip(*found))
    best = np.lexsort((s, t, f))  # several boarding areas of a platform: the quickest walk
    best = best[_first_of_runs(f[best], t[best])]
    return f[best].astype(np.int32), t[best].astype(np.int32), s[best].astype(np.int32), m[best].astype(np.uint8)


def _first_of_runs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """True at the first row of each run of equal (a, b) pairs."""
    first = np.ones(len(a), bool)
    first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    return first


def _path_modes(pred: np.ndarray, edge_keys: np.ndarray, edge_bits: np.ndarray, n: int) -> np.ndarray:
    """OR of the edges' bits along each shortest path of a dijkstra predecessor matrix
    (sources x n, < 0 none), by pointer jumping: log2(path length) numpy steps."""
    rows = np.arange(pred.shape[0])[:, None]
    has = pred >= 0
    keys = np.where(has, pred, 0).astype(np.int64) * n + np.arange(n)
    sort = np.argsort(edge_keys)
    at = np.minimum(np.searchsorted(edge_keys[sort], keys), len(sort) - 1)
    bits = np.where(has, edge_bits[sort][at], 0)
    up = np.where(has, pred, -1)
    while (up >= 0).any():
        safe = np.maximum(up, 0)
        bits = np.where(up >= 0, bits | bits[rows, safe], bits)
        up = np.where(up >= 0, up[rows, safe], -1)
    return bits


def describe_modes(modes: int) -> list[str]:
    """The names of the pathway modes in a station_walks bitmask, in pathway_mode order."""
    return [name for mode, name in MODE_NAMES.items() if int(modes) >> mode & 1]
