"""numba kernels of one-to-all queries: the earliest arrival at every stop, not at a target.

A one-to-all query is a range query (router/_kernels.py, rRAPTOR) without targets: the
departures run latest first, each from the labels the later ones left (`reach_step`), so
that the travel times over a window of departure minutes cost far less than one query per
minute; one departure alone is the same call after `clear`. Without targets the rounds
run until nothing improves, but for `bound`: the latest arrival worth a label
(the departure plus the longest travel time asked), which prunes as a destination time
would and keeps the work of a short maxTravelTime small.

After the rounds, `collect` reads every stop's earliest arrival out of the workspace: by a
trip (the least arrival among the stop's labels over the rounds: a later departure's labels
stay valid for an earlier one, whose traveller may wait, and are only ever replaced by
earlier ones), on foot from a stop reached by a trip (one footpath, as the kernel walks),
or on foot from the origin (round 0). The plan path is untouched: these kernels only call
the phases of _kernels.py.
"""

from __future__ import annotations

from numba import njit

from ._kernels import _walk_time, initialise, range_begin, run_rounds
from .query import Query
from .timetable import UNREACHED
from .workspace import BEST_TARGET, N_LOGGED, T_ARR


@njit(cache=True, nogil=True, _nrt=False)
def reach_step(tt, ws, origin_stops, origin_ready, max_rounds, slack, max_walk_m, walk_extra_ms, mode_mask,
               access_mask, stop_mask, bound, log, log_offsets, trip_best, trip_round, arrival, arrival_round):
    """One departure of a one-to-all query (the latest first, after `_kernels.clear`): the
    rounds from the origins ready at origin_ready (the departure plus the walk to each), no
    label arriving at or after `bound`, then `collect` into trip_best / trip_round (kept
    from the later departures) and arrival / arrival_round (this departure's answer)."""
    no_target = origin_stops[:0]  # an empty view: nothing allocated (the kernels run without reference counting)
    q = Query(origin_stops, origin_ready, no_target, no_target, max_rounds, slack, max_walk_m, walk_extra_ms,
              mode_mask, access_mask, stop_mask)
    range_begin(ws, log, log_offsets)
    initialise(ws, q)
    ws.state[BEST_TARGET] = bound  # run_rounds prunes with it as with a destination time
    run_rounds(tt, ws, q, log, log_offsets)
    collect(tt, ws, q, trip_best, trip_round, arrival, arrival_round)


@njit(cache=True, nogil=True, _nrt=False)
def collect(tt, ws, q, trip_best, trip_round, arrival, arrival_round):
    """Every stop's earliest arrival after the rounds of a departure, and the trips it takes.

    trip_best / trip_round (stop -> the least trip arrival among its labels, and the fewest
    trips that reach it then): lowered from the label log, so they hold the answer of the
    later departures too (UNREACHED / -1 before the first). arrival / arrival_round: the
    earliest arrival by trip, by one footpath after a trip (walks of at most q.max_walk_m
    walked metres, timed links always, as the kernel takes them), or on foot from the origin
    (round 0: the ready times of round 0, q.origin_ready), overwritten for every stop."""
    n_stops = ws.stop_state.shape[0]
    trip_rows = ws.trip_label.reshape((-1, ws.trip_label.shape[2]))
    for i in range(ws.state[N_LOGGED]):
        entry = ws.label_log[i]
        if entry & 1:
            continue  # a walk label: its ready time includes the change slack, not an arrival
        row = entry >> 1
        k = row // n_stops
        stop = row % n_stops
        t = trip_rows[row, T_ARR]
        if t < trip_best[stop] or (t == trip_best[stop] and k < trip_round[stop]):
            trip_best[stop] = t
            trip_round[stop] = k
    for stop in range(n_stops):
        arrival[stop] = trip_best[stop]
        arrival_round[stop] = trip_round[stop]
    for stop in range(n_stops):
        t_stop = trip_best[stop]
        if t_stop == UNREACHED:
            continue
        k = trip_round[stop]
        for f in range(tt.footpath_offsets[stop], tt.footpath_offsets[stop + 1]):
            if tt.footpath_walk_m[f] > q.max_walk_m:
                break  # sorted: every further footpath walks farther
            to = tt.footpath_to[f]
            t = t_stop + _walk_time(tt, f, q.walk_extra_ms)
            if t < arrival[to] or (t == arrival[to] and k < arrival_round[to]):
                arrival[to] = t
                arrival_round[to] = k
    for i in range(q.origin_stops.shape[0]):
        stop = q.origin_stops[i]
        t = q.origin_ready[i]
        if t <= arrival[stop]:
            arrival[stop] = t
            arrival_round[stop] = 0
