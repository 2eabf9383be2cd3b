"""Trip-Based routing (Witt 2015) on a Trajet day view, measured against the RAPTOR kernel.

    python -m benchmarks.trip_based --case hart-tampa [--queries 200] [--passes 5]
    python -m benchmarks.trip_based --case ny-region-walk400 --queries 150

An experiment for issue 14, not an algorithm of the router: it answers the earliest-arrival
Pareto set over (arrival, trips) of a query from stops to stops with Trajet's rules (a stop's
change time, one footpath after a ride, the slack on short walks), and the runner checks
every answer against `Router.plan`'s kernel on the same queries, alternated query by query.
Not modelled, so not to be served: links between trips (stay seated, guaranteed changes),
refused transfers, the wheelchair, bike and mode filters, walking limits or slacks other than
the ones the transfers were computed for, journeys (only arrivals), range and arrive-by.

Transfers: from every (trip, position) a traveller may leave, to the earliest trip of every
pattern at the stop (after its change time) or at a footpath's end (after the walk), except a
later trip of the same pattern further on; then reduced (`_reduce`): a transfer is kept only
if the trip it reaches lowers the earliest arrival by trip at some stop for a traveller on the
first trip, over staying on and the transfers from later positions. Walks dominate nothing
there: a traveller who walked may not walk again before a ride.

Query: the trips reached, each from the earliest position ("reached", as in the paper: a trip
reached at position j makes every later trip of its pattern useless from j on), round by
round, each round's segments relaxing their transfers into the next round's queue.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import numpy as np
from numba import njit

from trajet.router import _kernels as K
from trajet.router.query import QueryOptions, make_query
from trajet.router.timetable import CAN_ALIGHT, CAN_BOARD, FEED_TIMED, NO_CHANGE, UNREACHED, Timetable

NOT_REACHED = np.iinfo(np.int16).max  # TripBased.reached: the trip is not reached


@njit(cache=True)
def _first_trip(departures, at, n_pos, n_trips, t):
    """The first trip of a pattern leaving at t or later from position `at` (trip-major times)."""
    lo, hi = 0, n_trips
    while lo < hi:
        mid = (lo + hi) >> 1
        if departures[at + mid * n_pos] < t:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True)
def _boarding(tt, x, t):
    """Entry x of stop_patterns: (pattern, position, index in the pattern of the first trip
    boardable there at t or later); index -1 where the pattern cannot be boarded there (its
    last stop, or pickup forbidden) or no trip leaves after t."""
    q, j = tt.stop_patterns[x], tt.stop_pattern_positions[x]
    q_lo = tt.pattern_stop_offsets[q]
    q_pos = tt.pattern_stop_offsets[q + 1] - q_lo
    if j >= q_pos - 1 or not (tt.pattern_stop_rules[q_lo + j] & CAN_BOARD):
        return q, j, -1
    q_trips = tt.pattern_trip_offsets[q + 1] - tt.pattern_trip_offsets[q]
    u = _first_trip(tt.departures, tt.pattern_time_offsets[q] + j, q_pos, q_trips, t)
    return q, j, (u if u < q_trips else -1)


@njit(cache=True)
def _transfers(tt, max_walk_m, slack, offsets, to_trip, to_pos, fill):
    """Count the transfers of every event (a trip at a position, index into tt.arrivals) into
    offsets[e + 1] (fill False), or write them from offsets[e] (fill True)."""
    for p in range(tt.pattern_stop_offsets.shape[0] - 1):
        stop_lo = tt.pattern_stop_offsets[p]
        n_pos = tt.pattern_stop_offsets[p + 1] - stop_lo
        n_trips = tt.pattern_trip_offsets[p + 1] - tt.pattern_trip_offsets[p]
        for trip in range(n_trips):
            base = tt.pattern_time_offsets[p] + trip * n_pos
            for i in range(1, n_pos):
                if not (tt.pattern_stop_rules[stop_lo + i] & CAN_ALIGHT):
                    continue
                stop = tt.pattern_stops[stop_lo + i]
                t_arr = tt.arrivals[base + i]
                w = offsets[base + i]
                n = 0
                change = tt.stop_change_time[stop]
                if change < 0:
                    change = slack
                f_lo, f_hi = tt.footpath_offsets[stop], tt.footpath_offsets[stop + 1]
                for c in range(-1, f_hi - f_lo):  # the stop itself, then its footpaths
                    if c < 0:
                        if change >= NO_CHANGE:
                            continue
                        to, ready = stop, t_arr + change
                    else:
                        f = f_lo + c
                        if tt.footpath_walk_m[f] > max_walk_m:
                            break
                        to, d = tt.footpath_to[f], tt.footpath_duration[f]
                        ready = t_arr + d if (tt.footpath_flags[f] & FEED_TIMED or d >= slack) else t_arr + slack
                    for x in range(tt.stop_pattern_offsets[to], tt.stop_pattern_offsets[to + 1]):
                        q, j, u = _boarding(tt, x, ready)
                        if u < 0 or (q == p and j >= i and u >= trip):
                            continue  # none, or staying on is as good
                        if fill:
                            to_trip[w + n] = tt.pattern_trip_offsets[q] + u
                            to_pos[w + n] = j
                        n += 1
                if not fill:
                    offsets[base + i + 1] = n


@njit(cache=True)
def _lower(earliest, touched, n_touched, s, t):
    """earliest[s] <- t when earlier, s listed in `touched` the first time; (lowered, n_touched)."""
    if t >= earliest[s]:
        return False, n_touched
    if earliest[s] == UNREACHED:
        touched[n_touched] = s
        n_touched += 1
    earliest[s] = t
    return True, n_touched


@njit(cache=True)
def _reduce(tt, offsets, to_trip, to_pos, keep):
    """keep[x] <- transfer x lowers the earliest arrival by trip at some stop (module docstring)."""
    n_stops = tt.stop_pattern_offsets.shape[0] - 1
    earliest = np.full(n_stops, UNREACHED, np.int32)
    touched = np.zeros(n_stops, np.int32)
    for p in range(tt.pattern_stop_offsets.shape[0] - 1):
        stop_lo = tt.pattern_stop_offsets[p]
        n_pos = tt.pattern_stop_offsets[p + 1] - stop_lo
        for trip in range(tt.pattern_trip_offsets[p + 1] - tt.pattern_trip_offsets[p]):
            base = tt.pattern_time_offsets[p] + trip * n_pos
            n_touched = 0
            for i in range(n_pos - 1, 0, -1):  # later positions first: their transfers, then staying on
                for x in range(offsets[base + i], offsets[base + i + 1]):
                    u = to_trip[x]
                    q = tt.trip_pattern[u]
                    q_lo = tt.pattern_stop_offsets[q]
                    q_pos = tt.pattern_stop_offsets[q + 1] - q_lo
                    u_base = tt.pattern_time_offsets[q] + (u - tt.pattern_trip_offsets[q]) * q_pos
                    for r in range(to_pos[x] + 1, q_pos):
                        if tt.pattern_stop_rules[q_lo + r] & CAN_ALIGHT:
                            lowered, n_touched = _lower(earliest, touched, n_touched, tt.pattern_stops[q_lo + r],
                                                        tt.arrivals[u_base + r])
                            if lowered:
                                keep[x] = True
                if tt.pattern_stop_rules[stop_lo + i] & CAN_ALIGHT:
                    _, n_touched = _lower(earliest, touched, n_touched, tt.pattern_stops[stop_lo + i],
                                          tt.arrivals[base + i])
            for m in range(n_touched):
                earliest[touched[m]] = UNREACHED


class TripBased:
    """The transfers of a day view for one walking limit and slack, and the query's scratch."""

    def __init__(self, tt: Timetable, max_walk_m: int, slack: int, reduce: bool = True):
        self.tt = tt
        offsets = np.zeros(len(tt.arrivals) + 1, np.int64)
        none = np.zeros(0, np.int32)
        _transfers(tt, max_walk_m, slack, offsets, none, none.astype(np.int16), False)
        np.cumsum(offsets, out=offsets)
        to_trip, to_pos = np.empty(offsets[-1], np.int32), np.empty(offsets[-1], np.int16)
        _transfers(tt, max_walk_m, slack, offsets, to_trip, to_pos, True)
        self.n_unreduced = len(to_trip)
        if reduce:
            keep = np.zeros(len(to_trip), np.bool_)
            _reduce(tt, offsets, to_trip, to_pos, keep)
            kept = np.zeros(len(keep) + 1, np.int64)
            np.cumsum(keep, out=kept[1:])
            offsets, to_trip, to_pos = kept[offsets], to_trip[keep], to_pos[keep]
        self.offsets, self.to_trip, self.to_pos = offsets, to_trip, to_pos
        self.reached = np.full(tt.n_trips, NOT_REACHED, np.int16)
        self.reached_log = np.zeros(tt.n_trips, np.int32)
        # two queues of segments (trip, from position, to position): each entry lowers a trip's
        # reached position, so a query makes at most one entry per event
        self.queues = np.zeros((2, 3, len(tt.arrivals) + 1), np.int32)

    def nbytes(self) -> int:
        return self.offsets.nbytes + self.to_trip.nbytes + self.to_pos.nbytes

    def query(self, origin_stops, origin_ready, egress_s, max_rounds, target_arr) -> tuple[int, int]:
        """target_arr[k] <- the destination time with k trips where it improves on fewer
        (UNREACHED elsewhere); egress_s: stop -> seconds from it to the destination, -1 none.
        Returns the positions scanned and the transfers relaxed."""
        return _query(self.tt, self.offsets, self.to_trip, self.to_pos, origin_stops, origin_ready, egress_s,
                      max_rounds, self.reached, self.reached_log, self.queues, target_arr)


@njit(cache=True)
def _enqueue(tt, reached, reached_log, n_log, queue, n_queue, u, j):
    """Queue trip u from position j unless it is reached there or before; mark it and the later
    trips of its pattern reached at j. Returns the queue length and the log's."""
    if j >= reached[u]:
        return n_queue, n_log
    queue[0, n_queue], queue[1, n_queue], queue[2, n_queue] = u, j, reached[u]
    v, last = u, tt.pattern_trip_offsets[tt.trip_pattern[u] + 1]
    while v < last and reached[v] > j:
        if reached[v] == NOT_REACHED:
            reached_log[n_log] = v
            n_log += 1
        reached[v] = j
        v += 1
    return n_queue + 1, n_log


@njit(cache=True)
def _query(tt, offsets, to_trip, to_pos, origin_stops, origin_ready, egress_s, max_rounds, reached, reached_log,
           queues, target_arr):
    target_arr[:] = UNREACHED
    n_log, n_queue = 0, 0
    for o in range(origin_stops.shape[0]):
        s = origin_stops[o]
        for x in range(tt.stop_pattern_offsets[s], tt.stop_pattern_offsets[s + 1]):
            q, j, u = _boarding(tt, x, origin_ready[o])
            if u >= 0:
                n_queue, n_log = _enqueue(tt, reached, reached_log, n_log, queues[0], n_queue,
                                          tt.pattern_trip_offsets[q] + u, j)
    best, scanned, relaxed = UNREACHED, 0, 0
    for k in range(1, max_rounds + 1):
        if n_queue == 0:
            break
        now, later = queues[(k - 1) & 1], queues[k & 1]
        n_later = 0
        for e in range(n_queue):
            u = now[0, e]
            q = tt.trip_pattern[u]
            q_lo = tt.pattern_stop_offsets[q]
            q_pos = tt.pattern_stop_offsets[q + 1] - q_lo
            base = tt.pattern_time_offsets[q] + (u - tt.pattern_trip_offsets[q]) * q_pos
            for r in range(now[1, e] + 1, min(now[2, e], q_pos - 1) + 1):
                t = tt.arrivals[base + r]
                if t >= best:
                    break
                scanned += 1
                if tt.pattern_stop_rules[q_lo + r] & CAN_ALIGHT:
                    egress = egress_s[tt.pattern_stops[q_lo + r]]
                    if egress >= 0 and t + egress < best:
                        best = t + egress
                        target_arr[k] = best
                for x in range(offsets[base + r], offsets[base + r + 1]):
                    relaxed += 1
                    n_later, n_log = _enqueue(tt, reached, reached_log, n_log, later, n_later, to_trip[x], to_pos[x])
        n_queue = n_later
    for i in range(n_log):
        reached[reached_log[i]] = NOT_REACHED
    return scanned, relaxed


def egress_seconds(tt: Timetable, target: int, max_walk_m: int) -> np.ndarray:
    """Stop -> seconds to the target stop: 0 there, a footpath's time from the stops within
    max_walk_m of it (as the kernel walks to a target after a ride), -1 elsewhere."""
    out = np.full(tt.n_stops, -1, np.int32)
    frm = np.repeat(np.arange(tt.n_stops, dtype=np.int32), np.diff(tt.footpath_offsets))
    for f in np.flatnonzero((tt.footpath_to == target) & (tt.footpath_walk_m <= max_walk_m)):
        if out[frm[f]] < 0 or tt.footpath_duration[f] < out[frm[f]]:
            out[frm[f]] = tt.footpath_duration[f]
    out[target] = 0
    return out


def case_queries(case: str, n: int):
    """(router, [(origin stop, target stop, view time)], QueryOptions) of a benchmark case:
    test_bench_query's CASES, or a feed of benchmarks.compare on its common ground."""
    from .conftest import open_network, seeded_queries
    from .test_bench_query import CASES

    if case in CASES:
        names, date, walk, _ = CASES[case]
        view, queries = seeded_queries(open_network(*names), date, n)
        return view.router, queries, QueryOptions(max_transfer_walk_m=walk)
    from .compare import DATES
    from .peers.trajet_driver import COMMON_GROUND

    date = dt.date.fromisoformat(DATES[case])
    network = open_network(case)
    view, queries = seeded_queries(network, date, n)
    return view.router, queries, COMMON_GROUND


def pareto(target_arr: np.ndarray, max_rounds: int) -> list[tuple[int, int]]:
    """(trips, destination time) of every round that improved on fewer trips."""
    return [(k, int(target_arr[k])) for k in range(1, max_rounds + 1) if target_arr[k] < UNREACHED]


def compare(router, queries, options: QueryOptions, passes: int, reduce: bool = True) -> dict:
    """The Pareto sets of both on every query, and their times alternated query by query."""
    tt = router.tt
    started = time.perf_counter()
    tb = TripBased(tt, options.max_transfer_walk_m, options.transfer_slack, reduce)
    built_s = time.perf_counter() - started
    max_rounds = options.max_transfers + 1
    ws = router._workspace(max_rounds)
    target_arr = np.zeros(max_rounds + 1, np.int32)
    args = [(make_query([(a, t)], [(b, 0)], options, router.walk_speed_m_s),
             egress_seconds(tt, b, options.max_transfer_walk_m)) for a, b, t in queries]

    def raptor(query, _):
        router.bound(ws, query)
        router.call(K.plan_fields, tt, ws, *query)

    def trip_based(query, egress):
        return tb.query(query.origin_stops, query.origin_ready, egress, max_rounds, target_arr)

    for query, egress in args[:10]:
        raptor(query, egress)
        trip_based(query, egress)
    seconds = np.zeros((2, passes, len(args)))
    same, work = 0, []
    for p in range(passes):
        for i, (query, egress) in enumerate(args):
            for side in ((0, 1) if (i + p) % 2 == 0 else (1, 0)):
                began = time.perf_counter()
                done = (raptor, trip_based)[side](query, egress)
                seconds[side, p, i] = time.perf_counter() - began
                if p == 0 and side == 1:
                    work.append(done)
            if p == 0:  # the workspace holds RAPTOR's answer, target_arr Trip-Based's
                same += pareto(ws.target_arr, max_rounds) == pareto(target_arr, max_rounds)
    per_query = np.median(seconds, axis=1)
    ratio = per_query[1] / per_query[0]
    return {"same": same, "queries": len(args), "built_s": built_s, "transfers": len(tb.to_trip),
            "unreduced": tb.n_unreduced, "events": len(tt.arrivals), "mbytes": tb.nbytes() / 1e6,
            "ratio": ratio, "raptor_ms": per_query[0] * 1e3, "tb_ms": per_query[1] * 1e3,
            "work": np.median(np.array(work), axis=0)}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", default="hart-tampa",
                        help="a case of test_bench_query, or a feed of benchmarks.compare")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--unreduced", action="store_true", help="keep every transfer")
    args = parser.parse_args(argv)
    router, queries, options = case_queries(args.case, args.queries)
    r = compare(router, queries, options, args.passes, not args.unreduced)
    pct = lambda a, q: np.percentile(a, q)  # noqa: E731
    print(f"{args.case}: {r['transfers']:,} transfers ({r['unreduced']:,} before the reduction) for "
          f"{r['events']:,} events, {r['mbytes']:.0f} MB, built in {r['built_s']:.1f} s (with numba's compile "
          f"the first time); Pareto sets equal to the RAPTOR kernel's: {r['same']}/{r['queries']}")
    print(f"  Trip-Based / RAPTOR per query: median {np.median(r['ratio']):.2f}, p90 {pct(r['ratio'], 90):.2f}; "
          f"RAPTOR {np.median(r['raptor_ms']):.3f} / {pct(r['raptor_ms'], 90):.3f} / {pct(r['raptor_ms'], 99):.3f} ms, "
          f"Trip-Based {np.median(r['tb_ms']):.3f} / {pct(r['tb_ms'], 90):.3f} / {pct(r['tb_ms'], 99):.3f} ms "
          f"(median / p90 / p99); median work: {r['work'][0]:.0f} positions, {r['work'][1]:.0f} transfers")


if __name__ == "__main__":
    main()
