"""Walking and cycling on the street graph per query: a bounded multi-source Dijkstra in numba.

The router may not import feeds, so the arrays a search reads are its own `StreetArrays`
(built from feeds.streets.StreetGraph by `street_arrays`, which copies nothing) and the flag
bits are repeated here (WALK, BIKE, STEPS, NO_WHEELCHAIR: the same values as feeds.streets).

A search starts from seed nodes with initial metres and settles nodes in order of metres
with a binary heap (lazy deletion), over the edges holding every `required` flag bit and no
`forbidden` one, up to `limit_m`. Its scratch state is a `StreetWorkspace` allocated once per
thread and graph: each search first clears only the nodes the previous one touched.

Points are snapped onto edges (edge, fraction from the node it leaves); feeds.streets does
it. The typical access search, from a coordinate snapped onto edge e at fraction f:

    seeds, metres = seeds_from_snapped(arrays, e, f, WALK)
    search(arrays, ws, seeds, metres, 1200.0, WALK)
    walk_m = distances_to_snapped(ws, arrays, stop_edge, stop_fraction, WALK, origin=(e, f))

Egress (stops -> a destination) on a graph where bikes' oneways make it asymmetric runs the
same search on `reverse_arrays(arrays)` from `seeds_from_snapped(..., reverse=True)`, and reads
it with `reverse=True`. `route_to_snapped` rebuilds the edges walked, in travel order.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

# edge flag bits, as in feeds.streets
WALK, BIKE, STEPS, NO_WHEELCHAIR = 1, 2, 4, 8
# StreetWorkspace.state slots
N_TOUCHED, N_SETTLED = 0, 1
N_STATE = 2


class StreetArrays(NamedTuple):
    """What a street search reads (feeds.streets.StreetGraph has the same fields and more)."""

    # Node -> its out-edges, CSR: edges edge_offsets[n] .. edge_offsets[n + 1] - 1 leave node n
    edge_offsets: np.ndarray  # int64, n_nodes + 1
    # Edge -> the node it reaches
    edge_to: np.ndarray  # int32
    # Edge -> the edge along the same segment the other way
    edge_twin: np.ndarray  # int32
    # Edge -> metres
    edge_length_m: np.ndarray  # float32
    # Edge -> WALK | BIKE | STEPS | NO_WHEELCHAIR bits
    edge_flags: np.ndarray  # uint8

    @property
    def n_nodes(self) -> int:
        return len(self.edge_offsets) - 1


class StreetWorkspace(NamedTuple):
    """Per-search scratch state; every array is modified in place by the kernels."""

    # Node -> metres from the nearest seed, inf when the last search did not reach it
    dist: np.ndarray  # float64 (n_nodes,)
    # Node -> the edge it was reached by and the node that edge leaves, -1 for a seed
    pred_edge: np.ndarray  # int32 (n_nodes,)
    pred_node: np.ndarray  # int32 (n_nodes,)
    # Entry i -> a node the last search reached (its first state[N_TOUCHED] entries)
    touched: np.ndarray  # int32 (n_nodes,)
    # Heap entry -> metres and node (lazy deletion: at most one entry per edge relaxed and seed)
    heap_key: np.ndarray  # float64 (n_edges + n_nodes,)
    heap_node: np.ndarray  # int32 (n_edges + n_nodes,)
    # Slot -> N_TOUCHED, N_SETTLED of the last search
    state: np.ndarray  # int64 (N_STATE,)


def street_arrays(graph) -> StreetArrays:
    """The search arrays of a feeds.streets.StreetGraph (or anything with those fields), as C arrays."""
    return StreetArrays(
        edge_offsets=np.ascontiguousarray(graph.edge_offsets, np.int64),
        edge_to=np.ascontiguousarray(graph.edge_to, np.int32),
        edge_twin=np.ascontiguousarray(graph.edge_twin, np.int32),
        edge_length_m=np.ascontiguousarray(graph.edge_length_m, np.float32),
        edge_flags=np.ascontiguousarray(graph.edge_flags, np.uint8),
    )


def reverse_arrays(arrays: StreetArrays) -> StreetArrays:
    """The reversed graph, for searches towards a destination: edge p of it leaves the node edge p
    leaves in `arrays` and reaches the same node, but carries the flags of its twin, so that it
    stands for the twin walked backwards. The CSR is shared (every edge has a twin along the same
    segment); a reversed path's edge p is edge edge_twin[p] of `arrays`."""
    return arrays._replace(edge_flags=np.ascontiguousarray(np.asarray(arrays.edge_flags)[arrays.edge_twin]))


def new_street_workspace(arrays: StreetArrays) -> StreetWorkspace:
    """A cleared workspace for searches on `arrays` (or on its reverse_arrays)."""
    n, m = arrays.n_nodes, len(arrays.edge_to)
    return StreetWorkspace(
        dist=np.full(n, np.inf), pred_edge=np.full(n, -1, np.int32), pred_node=np.full(n, -1, np.int32),
        touched=np.zeros(n, np.int32), heap_key=np.zeros(m + n + 1), heap_node=np.zeros(m + n + 1, np.int32),
        state=np.zeros(N_STATE, np.int64))


def search(arrays: StreetArrays, ws: StreetWorkspace, seed_nodes, seed_m, limit_m: float,
           required: int = WALK, forbidden: int = 0, until=None) -> int:
    """Shortest metres from the seeds to every node within limit_m; returns how many were reached.

    seed_nodes: node indices, seed_m: their initial metres (a seed beyond limit_m is ignored).
    Edges qualify when their flags hold every `required` bit and no `forbidden` one (WALK,
    STEPS | NO_WHEELCHAIR for a wheelchair). Afterwards ws.dist[node] is the metres (inf beyond
    the limit), ws.touched[:n] the nodes reached, and path_edges(ws, node) the path. With
    `until` (node indices), the search ends once all of them are settled: their metres and
    paths are final, other nodes' may not be (a walk to one point searches no farther)."""
    seed_nodes = np.ascontiguousarray(seed_nodes, np.int32)
    seed_m = np.ascontiguousarray(seed_m, np.float64)
    if seed_nodes.shape != seed_m.shape or seed_nodes.ndim != 1 or len(seed_nodes) > arrays.n_nodes:
        raise ValueError("seed_nodes and seed_m must have one entry per seed, at most one per node")
    if len(seed_nodes) and (seed_nodes.min() < 0 or seed_nodes.max() >= arrays.n_nodes):
        raise ValueError(f"seed nodes must lie in 0 .. {arrays.n_nodes - 1}")
    until = np.zeros(0, np.int32) if until is None else np.ascontiguousarray(until, np.int32)
    return _search(arrays, ws, seed_nodes, seed_m, float(limit_m), int(required), int(forbidden), until)


@njit(cache=True, nogil=True, inline="always")
def _push(keys, nodes, size, key, node):
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        if keys[parent] <= key:
            break
        keys[i] = keys[parent]
        nodes[i] = nodes[parent]
        i = parent
    keys[i] = key
    nodes[i] = node
    return size + 1


@njit(cache=True, nogil=True, inline="always")
def _pop_last_down(keys, nodes, size):
    """Remove the root of a heap of `size` entries (size >= 1); returns the new size."""
    size -= 1
    key, node = keys[size], nodes[size]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and keys[child + 1] < keys[child]:
            child += 1
        if keys[child] >= key:
            break
        keys[i] = keys[child]
        nodes[i] = nodes[child]
        i = child
    keys[i] = key
    nodes[i] = node
    return size


@njit(cache=True, nogil=True, _nrt=False)
def reset(ws):
    """Clear what the last search touched."""
    for i in range(ws.state[N_TOUCHED]):
        node = ws.touched[i]
        ws.dist[node] = np.inf
        ws.pred_edge[node] = -1
        ws.pred_node[node] = -1
    ws.state[N_TOUCHED] = 0
    ws.state[N_SETTLED] = 0


@njit(cache=True, nogil=True, _nrt=False)
def _search(g, ws, seed_nodes, seed_m, limit, required, forbidden, until):
    reset(ws)
    dist, keys, heap_nodes = ws.dist, ws.heap_key, ws.heap_node
    n_touched, size, n_settled = 0, 0, 0
    n_waiting = until.shape[0]  # nodes of `until` not settled yet
    for i in range(seed_nodes.shape[0]):
        node, d = seed_nodes[i], seed_m[i]
        if d <= limit and d < dist[node]:
            if dist[node] == np.inf:
                ws.touched[n_touched] = node
                n_touched += 1
            dist[node] = d
            size = _push(keys, heap_nodes, size, d, node)
    while size > 0:
        d, u = keys[0], heap_nodes[0]
        size = _pop_last_down(keys, heap_nodes, size)
        if d > dist[u]:
            continue  # a stale entry: u was settled nearer
        n_settled += 1
        if n_waiting:
            for t in range(until.shape[0]):
                if until[t] == u:
                    n_waiting -= 1
            if n_waiting == 0:
                break
        for e in range(g.edge_offsets[u], g.edge_offsets[u + 1]):
            f = g.edge_flags[e]
            if (f & required) != required or (f & forbidden) != 0:
                continue
            v = g.edge_to[e]
            nd = d + g.edge_length_m[e]
            if nd < dist[v] and nd <= limit:
                if dist[v] == np.inf:
                    ws.touched[n_touched] = v
                    n_touched += 1
                dist[v] = nd
                ws.pred_edge[v] = e
                ws.pred_node[v] = u
                size = _push(keys, heap_nodes, size, nd, v)
    ws.state[N_TOUCHED] = n_touched
    ws.state[N_SETTLED] = n_settled
    return n_touched


@njit(cache=True, nogil=True)
def _path(pred_edge, pred_node, node):
    n = 0
    v = node
    while pred_edge[v] >= 0:
        n += 1
        v = pred_node[v]
    out = np.empty(n, np.int32)
    v = node
    for i in range(n - 1, -1, -1):
        out[i] = pred_edge[v]
        v = pred_node[v]
    return out


def path_edges(ws: StreetWorkspace, node: int) -> np.ndarray:
    """Edges of the last search's path from its seed to `node`, in order (int32; empty for a seed
    or a node not reached). After a search on reverse_arrays the edges are those of the reversed
    graph, from the destination's seed back to `node`: edge_twin[path[::-1]] is the walk in travel
    order (route_to_snapped does it)."""
    return _path(ws.pred_edge, ws.pred_node, int(node))


@njit(cache=True, nogil=True, inline="always")
def _ok(flags, e, required, forbidden):
    f = flags[e]
    return (f & required) == required and (f & forbidden) == 0


def seeds_from_snapped(arrays: StreetArrays, edge: int, fraction: float, required: int = WALK,
                       forbidden: int = 0, reverse: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Seeds of a search from (reverse: towards) the point at `fraction` along `edge` (a -> b).

    Forward: b at (1 - fraction) x length if the edge qualifies, a at fraction x length if its
    twin does. Reverse (a search on reverse_arrays towards the point): a if the edge qualifies,
    b if its twin does, at the same metres. Returns (nodes int32, metres float64), possibly empty."""
    twin = int(arrays.edge_twin[edge])
    a, b = int(arrays.edge_to[twin]), int(arrays.edge_to[edge])
    length = float(arrays.edge_length_m[edge])
    flags = np.asarray(arrays.edge_flags)
    nodes, metres = [], []
    if _usable(flags[edge], required, forbidden):
        nodes.append(a if reverse else b)
        metres.append(fraction * length if reverse else (1.0 - fraction) * length)
    if _usable(flags[twin], required, forbidden):
        nodes.append(b if reverse else a)
        metres.append((1.0 - fraction) * length if reverse else fraction * length)
    return np.array(nodes, np.int32), np.array(metres, np.float64)


def _usable(f, required, forbidden) -> bool:
    return (int(f) & required) == required and (int(f) & forbidden) == 0


@njit(cache=True, nogil=True)
def _to_snapped(dist, g, edges, fractions, required, forbidden, reverse, o_edge, o_fraction):
    out = np.full(edges.shape[0], np.inf)
    for i in range(edges.shape[0]):
        e = edges[i]
        if e < 0:
            continue
        t = g.edge_twin[e]
        a, b = g.edge_to[t], g.edge_to[e]
        length = np.float64(g.edge_length_m[e])
        f = fractions[i]
        best = np.inf
        # forward: reach a then ride e to the point, or reach b then ride the twin back;
        # reverse: leave the point along e to b, or along the twin to a
        if _ok(g.edge_flags, e, required, forbidden):
            best = min(best, dist[b] + (1.0 - f) * length if reverse else dist[a] + f * length)
        if _ok(g.edge_flags, t, required, forbidden):
            best = min(best, dist[a] + f * length if reverse else dist[b] + (1.0 - f) * length)
        if o_edge == e or o_edge == t:  # the origin on the same segment: along it directly
            f0 = o_fraction if o_edge == e else 1.0 - o_fraction
            start, end = (f, f0) if reverse else (f0, f)
            if end >= start and _ok(g.edge_flags, e, required, forbidden):
                best = min(best, (end - start) * length)
            if end <= start and _ok(g.edge_flags, t, required, forbidden):
                best = min(best, (start - end) * length)
        out[i] = best
    return out


def distances_to_snapped(ws: StreetWorkspace, arrays: StreetArrays, edges, fractions, required: int = WALK,
                         forbidden: int = 0, reverse: bool = False, origin: tuple[int, float] | None = None):
    """Metres from the last search's origin to points snapped onto edges (reverse: from them to it).

    edges, fractions: the points (edge -1: none, gives inf); `arrays` the forward graph in both
    cases. `origin` (edge, fraction), the point the search was seeded from, also allows the
    direct walk along a segment both points lie on. Returns float64 metres, inf when out of
    reach; a point reached through a node is at most the limit plus its own segment's length."""
    edges = np.ascontiguousarray(edges, np.int64)
    fractions = np.ascontiguousarray(fractions, np.float64)
    o_edge, o_fraction = (-1, 0.0) if origin is None else (int(origin[0]), float(origin[1]))
    return _to_snapped(ws.dist, arrays, edges, fractions, int(required), int(forbidden), bool(reverse),
                       o_edge, o_fraction)


class WalkRoute(NamedTuple):
    """A walk between two snapped points: edges in travel order, the first walked from
    start_fraction, the last up to end_fraction (of the way along each edge)."""

    edges: np.ndarray  # int32 edges of the forward graph
    start_fraction: float
    end_fraction: float
    metres: float


def route_to_snapped(ws: StreetWorkspace, arrays: StreetArrays, origin: tuple[int, float],
                     point: tuple[int, float], required: int = WALK, forbidden: int = 0,
                     reverse: bool = False) -> WalkRoute | None:
    """The walk of the last search between its origin and a snapped point, None when out of reach.

    Forward: the search ran on `arrays` from seeds_from_snapped(arrays, *origin); the walk goes
    origin -> point. Reverse: it ran on reverse_arrays(arrays) from seeds_from_snapped(arrays,
    *origin, reverse=True); the walk goes point -> origin. `arrays` is the forward graph."""
    flags, twin, to = np.asarray(arrays.edge_flags), arrays.edge_twin, arrays.edge_to
    length = arrays.edge_length_m
    o_e, o_f = int(origin[0]), float(origin[1])
    p_e, p_f = int(point[0]), float(point[1])
    p_t = int(twin[p_e])

    def ok(e: int) -> bool:
        return _usable(flags[e], required, forbidden)

    options = []  # (metres, edges, start_fraction, end_fraction)
    p_len = float(length[p_e])
    if o_e in (p_e, p_t):  # both on one segment: along it
        f0 = o_f if o_e == p_e else 1.0 - o_f
        start, end = (p_f, f0) if reverse else (f0, p_f)
        if end >= start and ok(p_e):
            options.append(((end - start) * p_len, [p_e], start, end))
        if end <= start and ok(p_t):
            options.append(((start - end) * p_len, [p_t], 1.0 - start, 1.0 - end))
    o_t = int(twin[o_e])
    o_a, o_b = int(to[o_t]), int(to[o_e])  # the origin's edge runs o_a -> o_b
    p_a, p_b = int(to[p_t]), int(to[p_e])
    if not reverse:
        # reach p_a, then along p_e up to the point; or reach p_b, then along its twin
        for node, last, frac in ((p_a, p_e, p_f), (p_b, p_t, 1.0 - p_f)):
            if not ok(last) or not np.isfinite(ws.dist[node]):
                continue
            chain = path_edges(ws, node)
            root = int(to[twin[chain[0]]]) if len(chain) else node
            # the path starts at a seed: o_b, reached along the origin's edge, or o_a along its twin
            if root == o_b and ok(o_e):
                first, start = o_e, o_f
            elif root == o_a and ok(o_t):
                first, start = o_t, 1.0 - o_f
            else:
                continue
            options.append((ws.dist[node] + frac * p_len, [first, *chain.tolist(), last], start, frac))
    else:
        # leave the point along p_e to p_b, or along its twin to p_a, then the reversed path to a seed
        for node, first, frac in ((p_b, p_e, p_f), (p_a, p_t, 1.0 - p_f)):
            if not ok(first) or not np.isfinite(ws.dist[node]):
                continue
            chain = path_edges(ws, node)
            root = int(to[twin[chain[0]]]) if len(chain) else node
            walk = np.asarray(twin)[chain[::-1]].tolist()  # travel order, node -> root
            # the seeds: o_a reaches the origin along its edge, o_b along its twin
            if root == o_a and ok(o_e):
                last, end = o_e, o_f
            elif root == o_b and ok(o_t):
                last, end = o_t, 1.0 - o_f
            else:
                continue
            options.append(((1.0 - frac) * p_len + ws.dist[node], [first, *walk, last], frac, end))
    if not options:
        return None
    metres, edges, start, end = min(options, key=lambda o: o[0])
    return WalkRoute(np.array(edges, np.int32), float(start), float(end), float(metres))
