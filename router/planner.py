"""The thin Python side of the router: allocate once, call the kernel, build journeys.

Everything here speaks integer indices of one `Timetable` (stops, view trips) and integer
seconds from its origin; ids, names and dates belong to the service layer.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from numba import typeof

from . import _kernels as K
from . import workspace as W
from .bounds import Bounds, fill_bounds, unfit_links
from .query import DEFAULT_MAX_TRANSFERS, QueryOptions, make_query, walk_extra_ms
from .timetable import Timetable
from .workspace import Workspace, new_workspace


class Leg(NamedTuple):
    """One leg of a journey. A named tuple, not a dataclass: a range query rebuilds thousands
    of them, and a frozen dataclass took 1.7 us each to make against 0.5 us."""

    kind: str  # "trip" or "walk"
    from_stop: int
    to_stop: int
    t_dep: int
    t_arr: int
    trip: int = -1  # view trip; -1 for walks
    board_pos: int = -1
    alight_pos: int = -1
    interline: bool = False  # a trip the traveller stays seated on from the leg before


@dataclass(frozen=True)
class Journey:
    legs: tuple[Leg, ...]
    direct: bool = False  # the journey without transit (its one leg goes by the query's direct mode)

    @property
    def t_dep(self) -> int:
        return self.legs[0].t_dep

    @property
    def t_arr(self) -> int:
        return self.legs[-1].t_arr

    @property
    def n_trips(self) -> int:
        return sum(leg.kind == "trip" for leg in self.legs)

    @property
    def transfers(self) -> int:
        """Changes of vehicle: trips the traveller stays seated on do not count (the router's
        rounds, and maxTransfers, count them: router/README.md, Links between trips)."""
        return max(self.n_trips - 1 - sum(leg.interline for leg in self.legs), 0)


@dataclass
class Work:
    """What the kernel did for one query: the figures the API bills."""

    rounds: int = 0
    patterns_scanned: int = 0
    trips_examined: int = 0
    stops_improved: int = 0


@dataclass
class PlanResult:
    journeys: list[Journey]  # Pareto set: each has fewer trips or arrives earlier than the next
    arrivals: list[int] = field(default_factory=list)  # destination time, per journey
    work: Work = field(default_factory=Work)


RANGE_ROOM = 64  # journeys a range query's output holds at first (4 legs each)
FOOTPATH_FIELDS = ("footpath_offsets", "footpath_to", "footpath_duration", "footpath_walk_m", "footpath_flags")


class Router:
    """Earliest-arrival queries on one timetable; safe to share between threads.

    `step_free`: the same timetable with the footpaths of wheelchair users (no stairs,
    escalators nor steps; service/dayview.py step_free_timetable), read by every query with
    `options.wheelchair`, its journeys rebuilt and its footpaths looked up there; None when
    they are the default ones.

    `bounds`: lower bounds to the target (bounds.py), valid for both timetables; None, or a
    timetable with links they do not hold for (unfit_links), and queries prune by the best
    destination time alone."""

    def __init__(self, tt: Timetable, walk_speed_m_s: float, step_free: Timetable | None = None,
                 bounds: Bounds | None = None):
        if step_free is not None:
            other = [f for f in Timetable._fields
                     if f not in FOOTPATH_FIELDS and getattr(step_free, f) is not getattr(tt, f)]
            if other or len(step_free.footpath_offsets) != len(tt.footpath_offsets):
                raise ValueError("step_free must be the timetable with other footpath arrays only; it differs in "
                                 + (", ".join(other) or "its number of stops"))
        self.tt = tt
        self.step_free = step_free
        self.walk_speed_m_s = walk_speed_m_s  # the speed the footpath times were compiled at
        self._local = threading.local()
        if bounds is not None and (bounds.to_cluster.shape[1] != tt.n_stops or unfit_links(tt, bounds)):
            bounds = None
        self.bounds = bounds

    def timetable(self, wheelchair: bool) -> Timetable:
        """The timetable a query reads: the step-free one for a wheelchair user, when there is one."""
        return self.step_free if wheelchair and self.step_free is not None else self.tt

    def _workspace(self, max_rounds: int) -> Workspace:
        ws = getattr(self._local, "ws", None)
        if ws is None or ws.trip_label.shape[0] <= max_rounds:
            ws = new_workspace(self.tt, max(max_rounds, DEFAULT_MAX_TRANSFERS + 1))
            self._local.ws = ws
        return ws

    def call(self, kernel, tt: Timetable, ws: Workspace, *args):
        """kernel(tt, ws, *args) by its compiled entry point once numba's dispatcher has typed
        these arguments for this timetable and workspace: the dispatcher types the two named
        tuples (about 40 arrays) at every call, 4.6 us of a call that does nothing. The entry
        is looked up by the other arguments' Python types too (an int where a float was typed
        would reach compiled code that reads it as the wrong type);
        their arrays keep their dtypes (make_query's int32 arrays, the workspace's scratch).
        One entry per kernel, timetable (the default one, the step-free one) and argument
        types: a workspace replaced by a larger one is not kept alive by it."""
        entries = self._local.__dict__.setdefault("entries", {})
        key = (kernel, id(tt), tuple(map(type, args)))
        hit = entries.get(key)
        if hit is not None and hit[0] is tt and hit[1] is ws:
            return hit[2](tt, ws, *args)
        result = kernel(tt, ws, *args)
        compiled = kernel.overloads.get(tuple(typeof(a) for a in (tt, ws, *args)))
        entries[key] = (tt, ws, compiled.entry_point if compiled is not None else kernel)
        return result

    def bound(self, ws: Workspace, query) -> None:
        """Lower bounds to the query's targets into the workspace (bounds.py), or none (zeros):
        for a query without targets, without bounds, or walking faster than the footpaths
        were compiled at (the bounds count those times)."""
        if self.bounds is None or len(query.target_stops) == 0 or query.walk_extra_ms < 0:
            ws.stop_state[:, W.S_LOWER_BOUND] = 0
            return
        scratch = getattr(self._local, "bound_scratch", None)
        if scratch is None:
            scratch = self._local.bound_scratch = np.empty((2, self.bounds.to_cluster.shape[0]), np.int64)
        fill_bounds(ws.stop_state, self.bounds.stop_cluster, self.bounds.to_cluster, query.target_stops,
                    query.target_egress, scratch)

    def footpaths_from(self, stop: int, options: QueryOptions) -> list[tuple[int, int]]:
        """(stop, seconds at the query's walking speed) one footpath from `stop` under the
        query's walking limit between stops (step-free ones with options.wheelchair)."""
        tt = self.timetable(options.wheelchair)
        lo, hi = tt.footpath_offsets[stop], tt.footpath_offsets[stop + 1]
        walk_m = tt.footpath_walk_m[lo:hi].astype(np.int64)
        keep = walk_m <= options.max_transfer_walk_m
        extra = walk_extra_ms(options, self.walk_speed_m_s)
        seconds = tt.footpath_duration[lo:hi] + (walk_m * extra) // 1000
        return list(zip(tt.footpath_to[lo:hi][keep].tolist(), seconds[keep].tolist()))

    def footpath(self, from_stop: int, to_stop: int, wheelchair: bool = False) -> int:
        """Index of the footpath from_stop -> to_stop, -1 if none: in the compiled network's
        order, or with `wheelchair` in that of its step-free footpaths (service/network.py
        Network.footpaths)."""
        tt = self.timetable(wheelchair)
        lo, hi = tt.footpath_offsets[from_stop], tt.footpath_offsets[from_stop + 1]
        hits = np.flatnonzero(tt.footpath_to[lo:hi] == to_stop)
        return int(lo + hits[0]) if len(hits) else -1

    def plan(
        self,
        origins: list[tuple[int, int]],
        targets: list[tuple[int, int]],
        options: QueryOptions = QueryOptions(),
        access: dict[int, tuple[int, int]] | None = None,
        egress_walks: dict[int, tuple[int, int]] | None = None,
    ) -> PlanResult:
        """Pareto set over (arrival, trips) from the origins to the targets.

        origins: (stop, time ready to board there). targets: (stop, seconds still needed
        from it to the destination). access / egress_walks: for origins or targets that are
        footpaths of the requested stop, stop -> (requested stop, seconds), so the journey
        shows that walk as its first or last leg.
        """
        query = make_query(origins, targets, options, self.walk_speed_m_s)
        tt = self.timetable(options.wheelchair)

        def run(ws):
            self.bound(ws, query)
            return self.call(K.plan_fields, tt, ws, *query)

        ws, n_journeys = self._run(run, query.max_rounds)
        journeys, arrivals = _journeys(ws.legs, ws.journey_ends, ws.target_arr[ws.journey_rounds[:n_journeys]],
                                       n_journeys, access, egress_walks)
        return PlanResult(journeys, arrivals, Work(*ws.counters.tolist()))

    def plan_range(
        self,
        origins: list[tuple[int, int]],
        t_first: int,
        t_last: int,
        targets: list[tuple[int, int]],
        options: QueryOptions = QueryOptions(),
        access: dict[int, tuple[int, int]] | None = None,
        egress_walks: dict[int, tuple[int, int]] | None = None,
    ) -> PlanResult:
        """Every journey Pareto-optimal over (later departure, earlier arrival, fewer trips)
        that leaves the origin from t_first to t_last, by rRAPTOR (router/README.md, Range
        queries): the departures that catch a trip at an origin are scanned latest first,
        each from the labels the later ones left.

        origins: (stop, seconds from the origin to it); the journeys' first legs leave as
        late as they can. Sorted by arrival, then later departure, then fewer trips. A
        departure of the window may have its best journeys leave after the window's end (a
        journey waiting at the origin for a later trip that arrives as early): they are in
        the answer, and the journeys they beat in the window are not; which to show is the
        caller's choice (service/plan.py shows those leaving in the window)."""
        query = make_query([(s, 0) for s, _ in origins], targets, options, self.walk_speed_m_s)
        tt = self.timetable(options.wheelchair)
        access_s = np.array([secs for _, secs in origins], np.int32)
        times = K.departure_times(tt, query.origin_stops, access_s, np.int32(t_first), np.int32(t_last),
                                  np.int64(options.mode_mask))
        found: dict[tuple, tuple[Journey, int]] = {}

        n_out = [RANGE_ROOM]  # journeys the output arrays hold, twice as many when full

        def run(ws):
            found.clear()
            log = np.empty_like(ws.label_log)
            log_offsets = np.zeros(ws.trip_label.shape[0] + 1, np.int32)
            before = np.empty_like(ws.target_arr)
            while True:
                out_legs = np.empty((4 * n_out[0], ws.legs.shape[1]), np.int32)
                out_ends = np.empty(n_out[0], np.int32)
                out_arrivals = np.empty(n_out[0], np.int32)
                log_offsets[:] = 0
                self.bound(ws, query)
                K.clear(ws)
                n = self.call(K.range_fields, tt, ws, *query, log, log_offsets, before, times, access_s,
                              out_legs, out_ends, out_arrivals)
                if n != K.RANGE_OUT_FULL:
                    break
                n_out[0] *= 2
            if n < 0:
                return n
            for journey, arrival in zip(*_journeys(out_legs, out_ends, out_arrivals, n, access, egress_walks)):
                found.setdefault(journey.legs, (journey, arrival))
            return 0

        ws, _ = self._run(run, query.max_rounds)
        kept = pareto([j for j, _ in found.values()])
        arrival_of = {j.legs: a for j, a in found.values()}
        return PlanResult(kept, [arrival_of[j.legs] for j in kept], Work(*ws.counters.tolist()))

    def _run(self, job, max_rounds: int) -> tuple[Workspace, int]:
        """job(workspace) -> the kernels' answer, run again with more room in the workspace
        while its link entries or legs overflow (rare: twice the room each time)."""
        ws = self._workspace(max_rounds)
        n_journeys = job(ws)
        while n_journeys in (K.PLAN_ENTRIES_FULL, K.PLAN_LEGS_FULL):
            full = n_journeys == K.PLAN_ENTRIES_FULL
            ws = new_workspace(self.tt, ws.trip_label.shape[0] - 1,
                               n_entries=len(ws.link_entries) * (2 if full else 1),
                               n_legs=len(ws.legs) * (1 if full else 2))
            self._local.ws = ws
            n_journeys = job(ws)
        if n_journeys < 0:
            raise RuntimeError(f"router bug: journey of round {-n_journeys} cannot be reconstructed")
        return ws, n_journeys


def _journeys(legs: np.ndarray, ends: np.ndarray, arrivals: np.ndarray, n_journeys: int, access,
              egress_walks) -> tuple[list[Journey], list[int]]:
    """Journeys 0..n_journeys - 1 of the leg rows `legs` (journey j's end at row ends[j], its
    start where j - 1's end), with the walks to the first stop and from the last, and their
    destination times `arrivals`."""
    rows = legs[: ends[n_journeys - 1] if n_journeys else 0].tolist()
    journeys, start = [], 0
    for end in ends[:n_journeys].tolist():
        journeys.append(with_walks([_leg(row) for row in rows[start:end]], access, egress_walks))
        start = end
    return journeys, arrivals[:n_journeys].tolist()


def with_walks(legs: list[Leg] | tuple[Leg, ...], access: dict[int, tuple[int, int]] | None,
               egress_walks: dict[int, tuple[int, int]] | None) -> Journey:
    """The journey of `legs` with the walk from the requested place to its first stop and
    from its last stop to the requested place (Router.plan's access / egress_walks), where
    it starts or ends with a trip at such a stop."""
    legs = list(legs)
    first = legs[0].from_stop
    if access and first in access and legs[0].kind == "trip":
        src, secs = access[first]
        legs.insert(0, Leg("walk", src, first, legs[0].t_dep - secs, legs[0].t_dep))
    last = legs[-1].to_stop
    if egress_walks and last in egress_walks and legs[-1].kind == "trip":
        dst, secs = egress_walks[last]
        legs.append(Leg("walk", last, dst, legs[-1].t_arr, legs[-1].t_arr + secs))
    return Journey(tuple(legs))


def _leg(row: list[int]) -> Leg:
    kind = "trip" if row[W.LEG_KIND] == W.KIND_TRIP else "walk"
    return Leg(kind, row[W.LEG_FROM], row[W.LEG_TO], row[W.LEG_DEP], row[W.LEG_ARR], row[W.LEG_TRIP],
               row[W.LEG_BOARD_POS], row[W.LEG_ALIGHT_POS], bool(row[W.LEG_INTERLINE]))


def pareto(journeys: list[Journey]) -> list[Journey]:
    """The journeys no other beats on (later departure, earlier arrival, fewer trips), one per
    (departure, arrival, trips), sorted by arrival, then later departure, then fewer trips."""
    best: dict[tuple[int, int, int], Journey] = {}
    for j in journeys:
        best.setdefault((j.t_dep, j.t_arr, j.n_trips), j)
    keys = sorted(best, key=lambda key: (key[1], -key[0], key[2]))
    kept = []
    for dep, arr, n in keys:
        if not any(d >= dep and a <= arr and m <= n for d, a, m in kept):
            kept.append((dep, arr, n))
    return [best[key] for key in kept]
