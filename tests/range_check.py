"""The range check shared by the real-feed and random-feed oracles: rRAPTOR
(Router.plan_range) against single queries at every departure that matters.

For each time a trip can be caught at an origin stop in the window, the single query's
journeys (some may leave after the window); their union, Pareto-filtered over (later
departure, earlier arrival, fewer trips), must be the range answer. A query starts from a
stop and the stops a footpath away (each with its walk's seconds); its destination is one
or two rides on from it, so that most queries find journeys.
"""

from __future__ import annotations

import numpy as np

from trajet.router._kernels import departure_times
from trajet.router.planner import Router, pareto
from trajet.router.query import QueryOptions


def reachable_pair(tt, served: np.ndarray, rng, n_rides: int) -> tuple[int, int]:
    """(a, b): a served stop, and a stop n_rides rides on from it (another stop if none is)."""
    a = b = int(rng.choice(served))
    for _ in range(n_rides):
        e = int(rng.integers(tt.stop_pattern_offsets[b], tt.stop_pattern_offsets[b + 1]))
        lo, hi = tt.pattern_stop_offsets[tt.stop_patterns[e]], tt.pattern_stop_offsets[tt.stop_patterns[e] + 1]
        if lo + tt.stop_pattern_positions[e] + 1 < hi:
            b = int(rng.choice(tt.pattern_stops[lo + tt.stop_pattern_positions[e] + 1:hi]))
    if b == a:
        b = int(rng.choice(served[served != a]))
    return a, b


def range_mismatch(router: Router, a: int, b: int, t_first: int, t_last: int,
                   options: QueryOptions) -> tuple[str | None, int]:
    """(what differs between the range answer and the Pareto union of single queries, or
    None; the number of journeys of the range answer)."""
    origins = [(a, 0)] + [(s, secs) for s, secs in router.footpaths_from(a, options) if s != b]
    targets = [(b, 0)]
    got = {(j.t_dep, j.t_arr, j.n_trips) for j in router.plan_range(origins, t_first, t_last, targets,
                                                                     options).journeys}
    stops, access_s = np.array([s for s, _ in origins], np.int32), np.array([t for _, t in origins], np.int32)
    times = departure_times(router.tt, stops, access_s, np.int32(t_first), np.int32(t_last),
                            np.int64(options.mode_mask))
    union = [j for t in times.tolist()
             for j in router.plan([(s, t + secs) for s, secs in origins], targets, options).journeys]
    want = {(j.t_dep, j.t_arr, j.n_trips) for j in pareto(union)}
    if got == want:
        return None, len(got)
    return f"missing {sorted(want - got)[:4]}, extra {sorted(got - want)[:4]}", len(got)
