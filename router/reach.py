"""One-to-all queries: the earliest arrival at every stop from one origin, at one departure
or at each of several (the minutes of a window), for travel-time maps and matrices.

The Python side of router/_reach.py: a workspace of the router's thread, the departures
latest first (rRAPTOR: each starts from the labels the later ones left), and after each the
arrivals handed to the caller, who keeps what it needs (the travel times of that minute).
Many-to-one (from every stop to one place) is the same query on the mirrored timetable
(router/mirror.py), run by service/traveltimes.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from . import _kernels as K
from ._reach import reach_step
from .planner import Router, Work
from .query import QueryOptions, make_query
from .timetable import UNREACHED
from .workspace import ENTRIES_FULL


class Reached(NamedTuple):
    """What one departure reaches (int32 arrays indexed by stop, reused by the next departure)."""

    # Stop -> earliest arrival by any means (UNREACHED: none within the bound): by a trip, by
    # one footpath after a trip, or on foot from the origin
    arrival: np.ndarray
    # Stop -> trips taken then (the fewest at that arrival; 0: on foot from the origin; -1 unreached)
    trips: np.ndarray
    # Stop -> earliest arrival alighting there from a trip (what a walk on to a coordinate
    # destination leaves from, as Router.plan's targets with egress seconds take it)
    trip_arrival: np.ndarray
    # Stop -> trips taken then
    trip_trips: np.ndarray


# on_departure(i, t_dep, reached) -> False to stop: called after departure i (at t_dep)
OnDeparture = Callable[[int, int, Reached], bool]


def reach(router: Router, origins: Sequence[tuple[int, int]], departures: Sequence[int], options: QueryOptions,
          max_travel_s: int, on_departure: OnDeparture) -> tuple[int, Work]:
    """Run a one-to-all query from `origins` ((stop, seconds on foot from the origin to it))
    at each of `departures` (view seconds, in decreasing order), calling on_departure after
    each. Arrivals later than max_travel_s after a departure may be left out (pruned).

    Returns the number of departures done (fewer than asked when on_departure said stop)
    and the kernel's work over all of them."""
    times = [int(t) for t in departures]
    if any(a <= b for a, b in zip(times, times[1:])):
        raise ValueError("departures must be in decreasing order (the latest first)")
    query = make_query([(s, 0) for s, _ in origins], [], options, router.walk_speed_m_s)
    tt = router.timetable(options.wheelchair)
    access_s = np.array([secs for _, secs in origins], np.int32)
    n_stops = tt.n_stops
    reached = Reached(np.empty(n_stops, np.int32), np.empty(n_stops, np.int32),
                      np.empty(n_stops, np.int32), np.empty(n_stops, np.int32))
    done = 0

    def run(ws):
        nonlocal done
        done = 0
        log = np.empty_like(ws.label_log)
        log_offsets = np.zeros(ws.trip_label.shape[0] + 1, np.int32)
        reached.trip_arrival[:] = UNREACHED
        reached.trip_trips[:] = -1
        router.bound(ws, query)  # no targets: no lower bounds
        K.clear(ws)
        for i, t in enumerate(times):
            query.origin_ready[:] = access_s + t
            bound = min(t + max_travel_s + 1, int(UNREACHED))
            router.call(reach_step, tt, ws, query.origin_stops, query.origin_ready, query.max_rounds, query.slack,
                        query.max_walk_m, query.walk_extra_ms, query.mode_mask, query.access_mask,
                        query.stop_mask, np.int32(bound), log, log_offsets, reached.trip_arrival, reached.trip_trips,
                        reached.arrival, reached.trips)
            if ws.state[ENTRIES_FULL]:
                return K.PLAN_ENTRIES_FULL  # Router._run grows the link entries and runs it all again
            done = i + 1
            if not on_departure(i, t, reached):
                break
        return 0

    ws, _ = router._run(run, query.max_rounds)
    return done, Work(*ws.counters.tolist())


def earliest_arrivals(router: Router, origins: Sequence[tuple[int, int]], t_dep: int, options: QueryOptions,
                      max_travel_s: int = int(UNREACHED)) -> tuple[np.ndarray, np.ndarray, Work]:
    """Stop -> earliest arrival leaving the origin at t_dep (UNREACHED: none, or none within
    max_travel_s), stop -> trips it takes (-1 unreached, 0 on foot), and the work done."""
    kept = {}

    def keep(i, t, reached):
        kept["arrival"], kept["trips"] = reached.arrival.copy(), reached.trips.copy()
        return True

    _, work = reach(router, origins, [t_dep], options, max_travel_s, keep)
    return kept["arrival"], kept["trips"], work
