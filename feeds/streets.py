"""Streets for walking and cycling: the graph (read in feeds/streets_read.py), snapping onto it,
and the stop-to-stop footpaths walked on it at compile time.

- `read_streets(path) -> StreetGraph`, `save_streets` / `load_streets`: see streets_read.py.
- `StreetSnapper(graph).snap(lat, lon, max_m)`: the nearest point on the nearest segment usable
  by a mode, as (edge, fraction along it, metres away), vectorised over many points.
- `street_footpaths(graph, lat, lon, usable, radius_m, snap_max_m)`: every pair of stops whose
  walk on the streets (both snap distances included) is at most radius_m.

Distances near a point are measured in its local tangent frame (east and north metres from
the point, the longitude scaled by the cosine of its latitude): over the few hundred metres of
a snap the difference from the great circle is far below a metre.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from .geo import EARTH_RADIUS_M, unit_vectors
from .streets_read import (
    BIKE,
    KINDS,
    NO_WHEELCHAIR,
    STEPS,
    WALK,
    StreetGraph,
    StreetsError,
    StreetSummary,
    graph_from_segments,
    load_streets,
    read_streets,
    read_streets_with_summary,
    save_streets,
    streets_meta,
    way_modes,
)

__all__ = [
    "BIKE", "KINDS", "NO_WHEELCHAIR", "STEPS", "WALK", "StreetGraph", "StreetSnapper", "StreetSummary",
    "StreetsError", "graph_from_segments", "load_streets", "point_on_edge", "read_streets",
    "read_streets_with_summary", "save_streets", "street_footpaths", "streets_meta", "usable_edges", "way_modes",
]

PIECE_M = 40.0  # segments are indexed by points at most this far apart: a 2 km segment is 50 points
_DEG = np.pi / 180.0


def usable_edges(flags: np.ndarray, required: int, forbidden: int = 0) -> np.ndarray:
    """Edge -> True when its flags hold every `required` bit and no `forbidden` one."""
    flags = np.asarray(flags)
    return ((flags & np.uint8(required)) == required) & ((flags & np.uint8(forbidden)) == 0)


def point_on_edge(graph: StreetGraph, edge, fraction):
    """(lat, lon) at `fraction` of the way along `edge` from the node it leaves (arrays or scalars)."""
    edge = np.asarray(edge)
    a = np.asarray(graph.edge_to)[np.asarray(graph.edge_twin)[edge]]
    b = np.asarray(graph.edge_to)[edge]
    lat, lon = np.asarray(graph.node_lat), np.asarray(graph.node_lon)
    f = np.asarray(fraction, np.float64)
    return lat[a] + f * (lat[b] - lat[a]), lon[a] + f * (lon[b] - lon[a])


class StreetSnapper:
    """Nearest points on the segments of a street graph.

    Each segment (a pair of twin edges) is indexed in a cKDTree by points along it at most
    PIECE_M apart, one tree per (required, forbidden) pair of flag masks, built on first use.
    A query finds the nearest indexed point (d metres), then every indexed point within
    min(d, max_m) + PIECE_M / 2, which holds a point of every segment that can be nearer than
    d, and projects exactly onto those segments.
    """

    def __init__(self, graph: StreetGraph):
        self.graph = graph
        twin = np.asarray(graph.edge_twin)
        self._seg = np.flatnonzero(np.arange(len(twin)) < twin)  # segment -> its lower edge
        self._seg_twin = twin[self._seg]
        to = np.asarray(graph.edge_to)
        self._a, self._b = to[self._seg_twin], to[self._seg]  # the lower edge runs a -> b
        self._trees: dict[tuple[int, int], tuple[cKDTree | None, np.ndarray]] = {}

    def _tree(self, required: int, forbidden: int):
        key = (int(required), int(forbidden))
        if key not in self._trees:
            g = self.graph
            usable = usable_edges(g.edge_flags, required, forbidden)
            ok = usable[self._seg] | usable[self._seg_twin]
            segs = np.flatnonzero(ok)
            length = np.asarray(g.edge_length_m, np.float64)[self._seg[segs]]
            pieces = np.maximum(1, np.ceil(length / PIECE_M)).astype(np.int64)
            piece_seg = np.repeat(segs, pieces)
            start = np.repeat(np.cumsum(pieces) - pieces, pieces)
            t = (np.arange(len(piece_seg)) - start + 0.5) / np.repeat(pieces, pieces)
            lat, lon = np.asarray(g.node_lat), np.asarray(g.node_lon)
            a, b = self._a[piece_seg], self._b[piece_seg]
            xyz = unit_vectors(lat[a] + t * (lat[b] - lat[a]), lon[a] + t * (lon[b] - lon[a])) * EARTH_RADIUS_M
            self._trees[key] = (cKDTree(xyz) if len(xyz) else None, piece_seg)
        return self._trees[key]

    def snap(self, lat, lon, max_m: float, flags_required: int = WALK, flags_forbidden: int = 0):
        """Points (degrees, arrays) -> (edge int64, fraction float64, distance_m float64) arrays.

        `edge` is a directed edge with the required flags and none of the forbidden ones (the
        segment's lower edge when both twins qualify), `fraction` how far along it from the node
        it leaves the nearest point lies (0..1), `distance_m` the metres from the point to it.
        Points with no such segment within max_m get edge -1, fraction 0 and distance inf.
        """
        lat = np.atleast_1d(np.asarray(lat, np.float64))
        lon = np.atleast_1d(np.asarray(lon, np.float64))
        n = len(lat)
        edge = np.full(n, -1, np.int64)
        fraction = np.zeros(n)
        dist = np.full(n, np.inf)
        tree, piece_seg = self._tree(flags_required, flags_forbidden)
        finite = np.isfinite(lat) & np.isfinite(lon)
        if tree is None or n == 0 or not finite.any():
            return edge, fraction, dist
        q = np.flatnonzero(finite)
        xyz = unit_vectors(lat[q], lon[q]) * EARTH_RADIUS_M
        d_near, _ = tree.query(xyz, k=1)
        margin = PIECE_M / 2 + 1.0  # chord vs arc and the local frame: far below the metre added
        q_ok = d_near <= max_m + margin
        q, xyz, d_near = q[q_ok], xyz[q_ok], d_near[q_ok]
        if len(q) == 0:
            return edge, fraction, dist
        hits = tree.query_ball_point(xyz, np.minimum(d_near, max_m) + margin, return_sorted=False)
        counts = np.fromiter((len(h) for h in hits), np.int64, len(hits))
        point = np.repeat(q, counts)
        seg = piece_seg[np.concatenate([np.asarray(h, np.int64) for h in hits])]
        t, d = self._project(lat[point], lon[point], seg)
        order = np.lexsort((seg, d, point))
        point, seg, t, d = point[order], seg[order], t[order], d[order]
        first = np.flatnonzero(np.r_[True, point[1:] != point[:-1]])
        point, seg, t, d = point[first], seg[first], t[first], d[first]
        within = d <= max_m
        point, seg, t, d = point[within], seg[within], t[within], d[within]
        flags = np.asarray(self.graph.edge_flags)
        lower_ok = usable_edges(flags[self._seg[seg]], flags_required, flags_forbidden)
        edge[point] = np.where(lower_ok, self._seg[seg], self._seg_twin[seg])
        fraction[point] = np.where(lower_ok, t, 1.0 - t)
        dist[point] = d
        return edge, fraction, dist

    def _project(self, lat, lon, seg):
        """Fraction along segment seg (from a to b) of the nearest point to (lat, lon), and its metres."""
        g = self.graph
        nlat, nlon = np.asarray(g.node_lat), np.asarray(g.node_lon)
        a, b = self._a[seg], self._b[seg]
        kx, ky = EARTH_RADIUS_M * _DEG * np.cos(lat * _DEG), EARTH_RADIUS_M * _DEG
        ax, ay = (nlon[a] - lon) * kx, (nlat[a] - lat) * ky
        dx, dy = (nlon[b] - nlon[a]) * kx, (nlat[b] - nlat[a]) * ky
        dd = dx * dx + dy * dy
        t = np.where(dd > 0, -(ax * dx + ay * dy) / np.where(dd > 0, dd, 1.0), 0.0)
        t = np.clip(t, 0.0, 1.0)
        return t, np.hypot(ax + t * dx, ay + t * dy)


def street_footpaths(graph: StreetGraph, lat, lon, usable, radius_m: float, snap_max_m: float,
                     flags_forbidden: int = 0, snapper: StreetSnapper | None = None):
    """Walks on the streets between stops -> (from, to, metres, snapped).

    lat, lon: stops' positions (degrees); usable: bool mask of the stops to join. Each usable
    stop is snapped onto the nearest walkable segment (without `flags_forbidden` bits) within
    snap_max_m; `snapped[s]` says it was (the others need another model, e.g. crow-fly). For
    every ordered pair of distinct snapped stops whose walk (snap metres at both ends, plus the
    shortest path on the streets between the two snapped points) is at most radius_m, one row:
    from and to are stop indices (int64, into lat), metres float64; rows sorted by from, then
    metres. The graph searched is the walkable segments, each segment carrying snapped points
    cut at them, and every stop joined to its snapped point.
    """
    lat, lon = np.asarray(lat, np.float64), np.asarray(lon, np.float64)
    usable = np.asarray(usable, bool)
    snapped = np.zeros(len(lat), bool)
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    stops = np.flatnonzero(usable)
    if len(stops) == 0:
        return (*empty, snapped)
    snapper = snapper or StreetSnapper(graph)
    edge, fraction, snap_m = snapper.snap(lat[stops], lon[stops], snap_max_m, WALK, flags_forbidden)
    hit = edge >= 0
    stops, edge, fraction, snap_m = stops[hit], edge[hit], fraction[hit], snap_m[hit]
    snapped[stops] = True
    m = len(stops)
    if m < 2:
        return (*empty, snapped)

    twin = np.asarray(graph.edge_twin)
    to = np.asarray(graph.edge_to)
    length = np.asarray(graph.edge_length_m, np.float64)
    n = graph.n_nodes
    # the walkable segments, as their lower edge a -> b
    walk = usable_edges(graph.edge_flags, WALK, flags_forbidden)
    lower = np.flatnonzero(walk & (np.arange(len(twin)) < twin))
    seg_a, seg_b, seg_len = to[twin[lower]], to[lower], length[lower]
    # the snapped points (nodes n .. n + m - 1) cut their segment's lower edge into a chain
    low = np.minimum(edge, twin[edge])
    t = np.where(edge == low, fraction, 1.0 - fraction)
    order = np.lexsort((t, low))
    p_node = n + order
    p_low, p_t = low[order], t[order]
    first = np.r_[True, p_low[1:] != p_low[:-1]]
    last = np.r_[p_low[1:] != p_low[:-1], True]
    chain_u = np.where(first, to[twin[p_low]], np.r_[0, p_node[:-1]])  # previous point, or node a
    chain_len = np.where(first, p_t, p_t - np.r_[0.0, p_t[:-1]]) * length[p_low]
    end_u, end_len = p_node[last], (1.0 - p_t[last]) * length[p_low[last]]
    end_v = to[p_low[last]]
    # the stops (nodes n + m .. n + 2m - 1) hang on their snapped points
    stop_node = n + m + np.arange(m)
    rows = np.r_[seg_a, chain_u, end_u, stop_node]
    cols = np.r_[seg_b, p_node, end_v, n + np.arange(m)]
    # explicit zeros would be no edge: a point at a node, or a stop on the street, weighs 1 um
    weights = np.maximum(np.r_[seg_len, chain_len, end_len, snap_m], 1e-6)
    size = n + 2 * m
    # parallel segments (two ways over the same nodes): the shorter counts; csr would add them
    key = np.minimum(rows, cols) * size + np.maximum(rows, cols)
    pick = np.lexsort((weights, key))
    pick = pick[np.r_[True, key[pick][1:] != key[pick][:-1]]]
    matrix = coo_matrix((weights[pick], (rows[pick], cols[pick])), shape=(size, size)).tocsr()

    out_from, out_to, out_m = [], [], []
    chunk = max(1, (1 << 24) // size)
    for start in range(0, m, chunk):
        src = np.arange(start, min(m, start + chunk))
        d = dijkstra(matrix, directed=False, indices=stop_node[src], limit=radius_m)[:, n + m:]
        i, j = np.nonzero(d <= radius_m)
        keep = src[i] != j
        i, j = i[keep], j[keep]
        out_from.append(stops[src[i]])
        out_to.append(stops[j])
        out_m.append(d[i, j])
    frm, dst, metres = np.concatenate(out_from), np.concatenate(out_to), np.concatenate(out_m)
    order = np.lexsort((dst, metres, frm))
    return frm[order].astype(np.int64), dst[order].astype(np.int64), metres[order], snapped

