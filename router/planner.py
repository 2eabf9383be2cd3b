"""The thin Python side of the router: allocate once, call the kernel, build journeys.

Everything here speaks integer indices of one `Timetable` (stops, view trips) and integer
seconds from its origin; ids, names and dates belong to `feeds/` and `api/`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from . import _kernels as K
from .timetable import UNREACHED, Timetable

DEFAULT_MAX_TRANSFERS = 20
MAX_TRANSFERS_LIMIT = 40
DEFAULT_TRANSFER_SLACK = 120  # seconds to change trips at one stop
DEFAULT_MAX_WALK_M = 0  # generated footpaths off by default; transfers.txt links always on
ALL_MODES = (1 << 62) - 1


class Workspace(NamedTuple):
    """Per-query scratch state, reused across queries of one thread; see _kernels."""

    # stop -> what one stop visit reads, together (fields S_*, see _kernels): earliest
    # arrival by a trip so far, earliest time a trip may be boarded there, that time with
    # fewer trips than this round and the round that set it (-1 none), seconds from it to
    # the destination (-1 not a target), and the marked / improved / touched flags
    stop_state: np.ndarray  # int32 (n_stops, 8)
    # (round, stop) -> arrival by a trip improved in that round, the view trip, the pattern
    # positions where it was boarded and left (fields T_ARR, T_TRIP, T_BOARD, T_ALIGHT):
    # one cache line per label, and one round's labels close together
    trip_label: np.ndarray  # int32 (rounds, n_stops, 4)
    # (round, stop) -> ready time after a footpath from that round's trip (round 0: the
    # origins), and the stop it came from (fields W_READY, W_FROM)
    walk_label: np.ndarray  # int32 (rounds, n_stops, 2)
    label_log: np.ndarray  # labels set this query, (round * n_stops + stop) * 2 + (0 trip, 1 walk)
    marked_list: np.ndarray
    improved_list: np.ndarray
    touched_list: np.ndarray
    queue_pos: np.ndarray  # pattern -> first position to scan this round, -1 if not queued
    queue_last: np.ndarray  # pattern -> last position marked for this round
    queue: np.ndarray
    target_arr: np.ndarray  # round -> destination time when improved in that round
    target_stop: np.ndarray  # round -> the destination stop reached
    target_from: np.ndarray  # round -> stop of the final footpath, if BY_WALK
    target_kind: np.ndarray  # round -> BY_TRIP or BY_WALK
    state: np.ndarray  # int64: N_TOUCHED, ROUNDS_USED, N_IMPROVED, N_MARKED, N_LOGGED
    counters: np.ndarray  # int64: rounds, patterns scanned, trips examined, stops improved
    # the journeys K.plan rebuilds: legs in travel order (at most 2 k rows for round k), and
    # per journey its number of trips and the row where its legs end
    legs: np.ndarray  # int32 (sum over rounds k of 2 k, N_LEG_FIELDS)
    journey_rounds: np.ndarray  # int32 (rounds,)
    journey_ends: np.ndarray  # int32 (rounds,)


def new_workspace(tt: Timetable, max_rounds: int) -> Workspace:
    n_stops, n_patterns = tt.n_stops, tt.n_patterns
    rounds = max_rounds + 1

    trip_label = np.full((rounds, n_stops, 4), -1, dtype=np.int32)
    trip_label[:, :, K.T_ARR] = UNREACHED
    walk_label = np.full((rounds, n_stops, 2), -1, dtype=np.int32)
    walk_label[:, :, K.W_READY] = UNREACHED
    stop_state = np.zeros((n_stops, 8), dtype=np.int32)
    stop_state[:, [K.S_BEST_ARR, K.S_BEST_READY, K.S_READY_PREV]] = UNREACHED
    stop_state[:, [K.S_READY_ROUND, K.S_EGRESS]] = -1
    return Workspace(
        stop_state=stop_state,
        trip_label=trip_label,
        walk_label=walk_label,
        label_log=np.zeros(2 * rounds * n_stops, np.int32),
        marked_list=np.zeros(n_stops, np.int32),
        improved_list=np.zeros(n_stops, np.int32),
        touched_list=np.zeros(n_stops, np.int32),
        queue_pos=np.full(n_patterns, -1, np.int32),
        queue_last=np.full(n_patterns, -1, np.int32),
        queue=np.zeros(n_patterns, np.int32),
        target_arr=np.full(rounds, UNREACHED, np.int32),
        target_stop=np.full(rounds, -1, np.int32),
        target_from=np.full(rounds, -1, np.int32),
        target_kind=np.zeros(rounds, np.int8),
        state=np.zeros(5, np.int64),
        counters=np.zeros(4, np.int64),
        legs=np.zeros((rounds * (rounds - 1) + 2, K.N_LEG_FIELDS), np.int32),
        journey_rounds=np.zeros(rounds, np.int32),
        journey_ends=np.zeros(rounds, np.int32),
    )


@dataclass(frozen=True)
class QueryOptions:
    max_transfers: int = DEFAULT_MAX_TRANSFERS
    transfer_slack: int = DEFAULT_TRANSFER_SLACK  # seconds
    max_walk_m: int = DEFAULT_MAX_WALK_M  # metres of generated footpath; 0 disables them
    mode_mask: int = ALL_MODES  # bit m set: mode family m allowed


@dataclass(frozen=True)
class Leg:
    kind: str  # "trip" or "walk"
    from_stop: int
    to_stop: int
    t_dep: int
    t_arr: int
    trip: int = -1  # view trip; -1 for walks
    board_pos: int = -1
    alight_pos: int = -1


@dataclass(frozen=True)
class Journey:
    legs: tuple[Leg, ...]

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
        return max(self.n_trips - 1, 0)


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


class Router:
    """Earliest-arrival queries on one timetable; safe to share between threads."""

    def __init__(self, tt: Timetable):
        self.tt = tt
        self._local = threading.local()

    def _workspace(self, max_rounds: int) -> Workspace:
        ws = getattr(self._local, "ws", None)
        if ws is None or ws.trip_label.shape[0] <= max_rounds:
            ws = new_workspace(self.tt, max(max_rounds, DEFAULT_MAX_TRANSFERS + 1))
            self._local.ws = ws
        return ws

    def footpaths_from(self, stop: int, max_walk_m: int) -> list[tuple[int, int]]:
        """(stop, seconds) reachable on foot from `stop` under the walking limit."""
        tt = self.tt
        lo, hi = tt.footpath_offsets[stop], tt.footpath_offsets[stop + 1]
        keep = tt.footpath_walk_m[lo:hi] <= max_walk_m
        return list(zip(tt.footpath_to[lo:hi][keep].tolist(), tt.footpath_duration[lo:hi][keep].tolist()))

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
        if not 0 <= options.max_transfers <= MAX_TRANSFERS_LIMIT:
            raise ValueError(f"max_transfers must be between 0 and {MAX_TRANSFERS_LIMIT}")
        max_rounds = options.max_transfers + 1
        ws = self._workspace(max_rounds)
        n_journeys = K.plan(
            self.tt,
            ws,
            np.array([o[0] for o in origins], dtype=np.int32),
            np.array([o[1] for o in origins], dtype=np.int32),
            np.array([t[0] for t in targets], dtype=np.int32),
            np.array([t[1] for t in targets], dtype=np.int32),
            max_rounds,
            options.transfer_slack,
            options.max_walk_m,
            options.mode_mask,
        )
        if n_journeys < 0:
            raise RuntimeError(f"router bug: journey of round {-n_journeys} cannot be reconstructed")
        work = Work(*ws.counters.tolist())
        journeys, arrivals = [], []
        rows = ws.legs[: ws.journey_ends[n_journeys - 1] if n_journeys else 0].tolist()
        start = 0
        for end, k in zip(ws.journey_ends[:n_journeys].tolist(), ws.journey_rounds[:n_journeys].tolist()):
            legs_of = [_leg(row) for row in rows[start:end]]
            start = end
            first = legs_of[0].from_stop
            if access and first in access and legs_of[0].kind == "trip":
                src, secs = access[first]
                legs_of.insert(0, Leg("walk", src, first, legs_of[0].t_dep - secs, legs_of[0].t_dep))
            last = legs_of[-1].to_stop
            if egress_walks and last in egress_walks and legs_of[-1].kind == "trip":
                dst, secs = egress_walks[last]
                legs_of.append(Leg("walk", last, dst, legs_of[-1].t_arr, legs_of[-1].t_arr + secs))
            journeys.append(Journey(tuple(legs_of)))
            arrivals.append(int(ws.target_arr[k]))
        return PlanResult(journeys, arrivals, work)


def _leg(row: list[int]) -> Leg:
    kind = "trip" if row[K.LEG_KIND] == K.KIND_TRIP else "walk"
    return Leg(kind, row[K.LEG_FROM], row[K.LEG_TO], row[K.LEG_DEP], row[K.LEG_ARR], row[K.LEG_TRIP],
               row[K.LEG_BOARD_POS], row[K.LEG_ALIGHT_POS])
