"""Walks between stops: every way a traveller changes stops on foot, closed under chaining.

The walk graph has one edge per way of walking from a stop to another that a source gives:

| model | edge | time |
|---|---|---|
| TRANSFERS | a transfers.txt row between two stops (a station's: its platforms) | min_transfer_time, else the walk |
| PATHWAYS | a walk inside a station over pathways.txt | the pathways' times |
| STATION | two platforms of one station joined by neither | max(station_walk_s, the walk below) |
| STREETS | two stops joined on the street graph within the radius | metres at walking speed |
| CROW_FLY | two stops without streets, close enough | crow-fly metres x detour at walking speed |

A pair given by the feed or the station (the first three rows, in that order of precedence)
keeps its own time; the walked edges (the last two) are for stops the feed says nothing
about. Forbidden transfers (transfer_type 3) are no edge.

The router takes one footpath after each ride and never two in a row, so the relation it
reads must be transitively closed: `close_walks` runs a bounded shortest-path search from
every stop over the walk graph and keeps, for every stop reached, the quickest walk (its
seconds, the metres of it walked on streets or crow-fly, and the models it used). Walks of
feed-given pairs keep the feed's time even where a chain would be quicker, and a forbidden
pair stays forbidden even where a chain joins it. The search stops at the radius of walked
metres and at `chain_limit_s` seconds (the radius at walking speed, or the longest single
edge when that is longer), so chains of feed links cannot run across a city.

A wheelchair user's footpaths are a second relation closed the same way from the step-free
edges only: no stairs, escalators or street steps (feeds/step_free.py, compile.py `_walks`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from numba import njit
from scipy.spatial import cKDTree

from .geo import EARTH_RADIUS_M, WALK_SPEED_M_S, distance_m, unit_vectors

# footpath_model bits: where a walk's time comes from (several when it chains)
TRANSFERS, PATHWAYS, STATION, CROW_FLY, STREETS = 1, 2, 4, 8, 16
MODEL_NAMES = {TRANSFERS: "transfers.txt", PATHWAYS: "pathways", STATION: "station default",
               CROW_FLY: "crow-fly", STREETS: "street network"}
FEED_TIMED = TRANSFERS | PATHWAYS  # walks whose time the feed gives: no walking limit or slack applies


@dataclass(frozen=True)
class WalkSettings:
    """How walks between stops are compiled; stored in meta.json under "walking"."""

    radius_m: int = 500  # longest walk stored between two stops (metres walked); queries cut shorter
    detour: float = 1.3  # crow-fly metres -> walked metres, where there is no street graph
    station_walk_s: int = 120  # change between two platforms of a station that neither pathways nor transfers time
    speed_m_s: float = WALK_SPEED_M_S
    snap_max_m: int = 100  # a stop or a point farther from every street walks crow-fly (streets only)

    def to_json(self) -> dict:
        return asdict(self)

    def walk_seconds(self, metres) -> np.ndarray:
        return np.ceil(np.asarray(metres, float) / self.speed_m_s).astype(np.int64)


def crow_fly_pairs(lat: np.ndarray, lon: np.ndarray, usable: np.ndarray, radius_m: float):
    """Pairs of distinct usable stops within radius_m crow-fly: (from, to, metres), both directions."""
    idx = np.flatnonzero(usable)
    if len(idx) < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    pairs = cKDTree(unit_vectors(lat[idx], lon[idx])).query_pairs(radius_m / EARTH_RADIUS_M, output_type="ndarray")
    a, b = idx[pairs[:, 0]], idx[pairs[:, 1]]
    metres = distance_m(lat[a], lon[a], lat[b], lon[b])
    keep = metres <= radius_m
    a, b, metres = a[keep], b[keep], metres[keep]
    return np.r_[a, b].astype(np.int64), np.r_[b, a].astype(np.int64), np.r_[metres, metres]


class WalkGraph:
    """The edges of the walk graph, added source by source; `close` gives the footpaths."""

    def __init__(self, n_stops: int, settings: WalkSettings, arrives: np.ndarray):
        """arrives: stop -> True where a footpath may end (stops and platforms: a walk through
        an entrance or a node of a station goes on to a platform)."""
        self.n_stops = n_stops
        self.settings = settings
        self._arrives = np.asarray(arrives, bool)
        self._parts: list[tuple] = []  # (from, to, seconds, walked metres, model, given)

    def add(self, frm, to, seconds, walk_m, model: int, given: bool, pathway_modes=None) -> None:
        """Edges from -> to of `seconds`, `walk_m` of them walked on streets or crow-fly. Of
        two edges joining the same pair, the one added first wins; a `given` edge (feed or
        station) also keeps its time when a chain of other walks would be quicker.
        pathway_modes: per edge, the bits 1 << pathway_mode of the pathways it takes."""
        frm = np.asarray(frm, np.int64)
        modes = np.zeros(len(frm), np.uint8) if pathway_modes is None else np.asarray(pathway_modes, np.uint8)
        self._parts.append((frm, np.asarray(to, np.int64), np.asarray(seconds, np.int64),
                            np.asarray(walk_m, np.int64), np.full(len(frm), model, np.uint8),
                            np.full(len(frm), given, bool), modes))

    def close(self, forbidden: np.ndarray) -> dict:
        """The footpath arrays of the CompiledNetwork: closed walks, sorted by from stop, then
        metres walked, then seconds (the kernel stops reading at the query's walking limit)."""
        n = self.n_stops
        if self._parts:
            frm, to, secs, walk_m, model, given, pmodes = (np.concatenate(c) for c in zip(*self._parts))
            rank = np.concatenate([np.full(len(p[0]), i) for i, p in enumerate(self._parts)])
        else:
            frm = to = secs = walk_m = rank = np.zeros(0, np.int64)
            model, pmodes, given = np.zeros(0, np.uint8), np.zeros(0, np.uint8), np.zeros(0, bool)
        keep = frm != to
        pair = frm * n + to
        keep &= ~np.isin(pair, forbidden)
        # one edge per pair: the first source added, then the quickest
        order = np.lexsort((secs, rank))
        order = order[keep[order]]
        _, first = np.unique(pair[order], return_index=True)
        edge = order[first]
        frm, to, secs, walk_m, model, given, pmodes = (x[edge] for x in (frm, to, secs, walk_m, model, given, pmodes))
        limit_s = max(int(self.settings.walk_seconds(self.settings.radius_m)), int(secs.max(initial=0)))
        by_from = np.argsort(frm, kind="stable")
        offsets = np.zeros(n + 1, np.int64)
        np.cumsum(np.bincount(frm, minlength=n), out=offsets[1:])
        c_from, c_to, c_secs, c_walk, c_model, c_pmodes = _close(
            offsets, to[by_from], secs[by_from], walk_m[by_from], model[by_from], pmodes[by_from],
            int(self.settings.radius_m), limit_s)
        # the feed's (or station's) time for its own pairs, whatever a chain gives
        c_pair = c_from * n + c_to
        g_pair = frm[given] * n + to[given]
        fixed = np.isin(c_pair, g_pair)
        g_index = np.searchsorted(np.sort(g_pair), c_pair[fixed])
        g_order = np.argsort(g_pair)
        c_secs[fixed] = secs[given][g_order][g_index]
        c_walk[fixed] = walk_m[given][g_order][g_index]
        c_model[fixed] = model[given][g_order][g_index]
        c_pmodes[fixed] = pmodes[given][g_order][g_index]
        ok = ~np.isin(c_pair, forbidden) & self._arrives[c_to]
        c_from, c_to, c_secs, c_walk, c_model, c_pmodes = (x[ok] for x in (c_from, c_to, c_secs, c_walk, c_model,
                                                                             c_pmodes))
        order = np.lexsort((c_to, c_secs, c_walk, c_from))
        return {
            "footpath_from": c_from[order].astype(np.int32),
            "footpath_to": c_to[order].astype(np.int32),
            "footpath_duration": c_secs[order].astype(np.int32),
            "footpath_walk_m": c_walk[order].astype(np.int32),
            "footpath_model": c_model[order].astype(np.uint8),
            "footpath_pathway_modes": c_pmodes[order].astype(np.uint8),
        }


METRE_BITS = 20  # a search key is seconds << METRE_BITS | metres walked: quickest, then least walked


@njit(cache=True)
def _close(offsets, to, secs, walk_m, model, pmodes, radius_m, limit_s):
    """Bounded Dijkstra from every stop, by seconds then metres walked: (from, to, seconds,
    walked metres, models) of every stop reached within radius_m walked metres and limit_s
    seconds."""
    n = len(offsets) - 1
    never = np.iinfo(np.int64).max
    mask = (1 << METRE_BITS) - 1
    best = np.full(n, never, np.int64)
    used = np.zeros(n, np.uint8)
    used_modes = np.zeros(n, np.uint8)
    done = np.zeros(n, np.bool_)
    touched = np.empty(n, np.int64)
    heap_key = np.empty(len(to) + 1, np.int64)
    heap_v = np.empty(len(to) + 1, np.int64)
    out = np.empty((max(16, len(to) + n), 6), np.int64)  # (from, to, seconds, walked m, models, pathway modes)
    n_out = 0
    for source in range(n):
        if offsets[source] == offsets[source + 1]:
            continue
        best[source] = 0
        used[source] = 0
        used_modes[source] = 0
        touched[0] = source
        n_touched = 1
        heap_key[0], heap_v[0] = 0, source
        size = 1
        while size > 0:
            key, v = heap_key[0], heap_v[0]
            size -= 1
            _sift_down(heap_key, heap_v, size)
            if done[v] or key > best[v]:
                continue
            done[v] = True
            t, m = key >> METRE_BITS, key & mask
            if v != source:
                if n_out == len(out):
                    bigger = np.empty((2 * len(out), 6), np.int64)
                    bigger[:n_out] = out
                    out = bigger
                out[n_out, 0], out[n_out, 1], out[n_out, 2] = source, v, t
                out[n_out, 3], out[n_out, 4], out[n_out, 5] = m, used[v], used_modes[v]
                n_out += 1
            for e in range(offsets[v], offsets[v + 1]):
                w = to[e]
                t_w = t + secs[e]
                m_w = m + walk_m[e]
                key_w = (t_w << METRE_BITS) | m_w
                if t_w > limit_s or m_w > radius_m or done[w] or key_w >= best[w]:
                    continue
                if best[w] == never:
                    touched[n_touched] = w
                    n_touched += 1
                best[w] = key_w
                used[w] = used[v] | model[e]
                used_modes[w] = used_modes[v] | pmodes[e]
                heap_key[size], heap_v[size] = key_w, w
                _sift_up(heap_key, heap_v, size)
                size += 1
        for i in range(n_touched):
            v = touched[i]
            best[v] = never
            done[v] = False
    out = out[:n_out]
    return (out[:, 0].copy(), out[:, 1].copy(), out[:, 2].copy(), out[:, 3].copy(), out[:, 4].astype(np.uint8),
            out[:, 5].astype(np.uint8))


@njit(cache=True, inline="always")
def _sift_up(heap_t, heap_v, i):
    while i > 0:
        parent = (i - 1) // 2
        if heap_t[parent] <= heap_t[i]:
            break
        heap_t[parent], heap_t[i] = heap_t[i], heap_t[parent]
        heap_v[parent], heap_v[i] = heap_v[i], heap_v[parent]
        i = parent


@njit(cache=True, inline="always")
def _sift_down(heap_t, heap_v, size):
    heap_t[0], heap_v[0] = heap_t[size], heap_v[size]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= size:
            break
        child = left + 1 if left + 1 < size and heap_t[left + 1] < heap_t[left] else left
        if heap_t[i] <= heap_t[child]:
            break
        heap_t[child], heap_t[i] = heap_t[i], heap_t[child]
        heap_v[child], heap_v[i] = heap_v[i], heap_v[child]
        i = child
