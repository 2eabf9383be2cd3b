"""numba kernels of the router: RAPTOR rounds in named phases, and journey reconstruction.

Only @njit code lives here. Every function takes the `Timetable`, a `Workspace` and a
`Query` as arguments (named tuples of flat arrays and integers), never globals, so that
the on-disk cache works and one compiled function serves every timetable. A query is
`reset`, `initialise`, then `run_rounds`; each round is four phases, inlined into the loop:
queue the patterns through marked stops, scan them, relax the footpaths, promote the marks.
Range queries keep the labels between departures by calling `initialise` and `run_rounds`
again without `reset`. The three are inlined into `raptor`, which compiles to one function as
before the phases were split out, and each stays callable on its own. See router/README.md.
"""

from __future__ import annotations

from numba import njit

from .query import Query
from .timetable import ACCESS_SHIFT, CAN_ALIGHT, CAN_BOARD, FEED_TIMED, NO_CHANGE, UNREACHED, WHEELCHAIR_SHIFT
from .workspace import (
    BEST_TARGET,
    BY_TRIP,
    BY_WALK,
    KIND_TRIP,
    KIND_WALK,
    LEG_ALIGHT_POS,
    LEG_ARR,
    LEG_BOARD_POS,
    LEG_DEP,
    LEG_FROM,
    LEG_KIND,
    LEG_TO,
    LEG_TRIP,
    N_IMPROVED,
    N_LEG_FIELDS,
    N_LOGGED,
    N_MARKED,
    N_PATTERNS_SCANNED,
    N_ROUNDS,
    N_STOPS_IMPROVED,
    N_TOUCHED,
    N_TRIPS_EXAMINED,
    ROUNDS_USED,
    S_BEST_ARR,
    S_BEST_READY,
    S_EGRESS,
    S_IMPROVED,
    S_MARKED,
    S_READY_PREV,
    S_READY_ROUND,
    S_TOUCHED,
    T_ALIGHT,
    T_ARR,
    T_BOARD,
    T_TRIP,
    W_FROM,
    W_READY,
)


@njit(cache=True, nogil=True, inline="always")
def _flag(ws, stop, field, members, n):
    """Set flag `field` of `stop`; if it was not set, append the stop to `members`, a list of
    length n. Returns the new length. Callers keep the lengths in local variables while they
    work and store them in ws.state after: LLVM cannot tell the workspace arrays apart, and
    lengths read and written through memory at every label measured 3-8% slower."""
    if ws.stop_state[stop, field] == 0:
        ws.stop_state[stop, field] = 1
        members[n] = stop
        return n + 1
    return n


@njit(cache=True, nogil=True, inline="always")
def _label_entry(ws, k, stop, kind):
    """Remember that label (k, stop) of kind 0 (trip) or 1 (walk) is set, for the reset;
    returns the entry for ws.label_log."""
    return (k * ws.stop_state.shape[0] + stop) * 2 + kind


@njit(cache=True, nogil=True, inline="always")
def reset(ws):
    """Clear the labels the previous query touched (only those), in place."""
    rounds_used = ws.state[ROUNDS_USED]
    trip_rows = ws.trip_label.reshape((-1, ws.trip_label.shape[2]))  # row round * n_stops + stop
    walk_rows = ws.walk_label.reshape((-1, ws.walk_label.shape[2]))
    for i in range(ws.state[N_LOGGED]):
        entry = ws.label_log[i]
        if entry & 1:
            walk_rows[entry >> 1, W_READY] = UNREACHED
        else:
            trip_rows[entry >> 1, T_ARR] = UNREACHED
    ws.state[N_LOGGED] = 0
    for i in range(ws.state[N_TOUCHED]):
        stop = ws.touched_list[i]
        ws.stop_state[stop, S_TOUCHED] = 0
        ws.stop_state[stop, S_BEST_ARR] = UNREACHED
        ws.stop_state[stop, S_BEST_READY] = UNREACHED
        ws.stop_state[stop, S_READY_PREV] = UNREACHED
        ws.stop_state[stop, S_READY_ROUND] = -1
        ws.stop_state[stop, S_EGRESS] = -1
    for k in range(rounds_used + 1):
        ws.target_arr[k] = UNREACHED
        ws.target_stop[k] = -1
        ws.target_from[k] = -1
        ws.target_kind[k] = 0
    for m in range(ws.state[N_MARKED]):
        ws.stop_state[ws.marked_list[m], S_MARKED] = 0
    ws.state[N_TOUCHED] = 0
    ws.state[ROUNDS_USED] = 0
    ws.state[N_MARKED] = 0
    ws.state[BEST_TARGET] = UNREACHED
    for i in range(ws.counters.shape[0]):
        ws.counters[i] = 0


@njit(cache=True, nogil=True, inline="always")
def _scan_pattern(tt, ws, k, pattern, start, last, slack, stop_mask, best_target):
    """Ride the pattern from position `start` in round k; return the new best target time.

    `last` is the last position marked by round k - 1: past it nothing can be boarded, so
    the scan ends there unless a trip is ridden, and ends when that trip gets too late.
    Where the rules allow it, a trip is boarded or left only at a stop whose accessibility
    (the rules' bits at WHEELCHAIR_SHIFT) is in `stop_mask` (Query.stop_mask); the test
    comes after the cheap ones, so only a label that would improve or a boarding pays it.
    """
    stop_lo = tt.pattern_stop_offsets[pattern]
    n_pos = tt.pattern_stop_offsets[pattern + 1] - stop_lo
    trip_lo = tt.pattern_trip_offsets[pattern]
    n_trips = tt.pattern_trip_offsets[pattern + 1] - trip_lo
    base = tt.pattern_time_offsets[pattern]
    trip = -1  # boarded trip, 0-based within the pattern
    board = -1  # position where it was boarded
    examined = 0
    improved = 0
    n_touched, n_logged = ws.state[N_TOUCHED], ws.state[N_LOGGED]  # stored back at the end (_flag)
    n_improved, n_marked = ws.state[N_IMPROVED], ws.state[N_MARKED]
    for i in range(start, n_pos):
        if i > last and (trip < 0 or tt.arrivals[base + trip * n_pos + i] >= best_target):
            break
        stop = tt.pattern_stops[stop_lo + i]
        rules = tt.pattern_stop_rules[stop_lo + i]
        if trip >= 0 and (rules & CAN_ALIGHT):
            t_arr = tt.arrivals[base + trip * n_pos + i]
            if (t_arr < ws.stop_state[stop, S_BEST_ARR] and t_arr < best_target
                    and (stop_mask >> ((rules >> WHEELCHAIR_SHIFT) & 3)) & 1):
                n_touched = _flag(ws, stop, S_TOUCHED, ws.touched_list, n_touched)
                ws.stop_state[stop, S_BEST_ARR] = t_arr
                if ws.trip_label[k, stop, T_ARR] == UNREACHED:
                    ws.label_log[n_logged] = _label_entry(ws, k, stop, 0)
                    n_logged += 1
                ws.trip_label[k, stop, T_ARR] = t_arr
                ws.trip_label[k, stop, T_TRIP] = trip_lo + trip
                ws.trip_label[k, stop, T_BOARD] = board
                ws.trip_label[k, stop, T_ALIGHT] = i
                improved += 1
                n_improved = _flag(ws, stop, S_IMPROVED, ws.improved_list, n_improved)
                change = tt.stop_change_time[stop]
                if change < 0:
                    change = slack
                if change < NO_CHANGE and t_arr + change < ws.stop_state[stop, S_BEST_READY]:
                    ws.stop_state[stop, S_BEST_READY] = t_arr + change
                    n_marked = _flag(ws, stop, S_MARKED, ws.marked_list, n_marked)
                egress = ws.stop_state[stop, S_EGRESS]
                if egress >= 0 and t_arr + egress < best_target:
                    best_target = t_arr + egress
                    ws.target_arr[k] = best_target
                    ws.target_stop[k] = stop
                    ws.target_kind[k] = BY_TRIP
        # board only where the last round improved the ready time: elsewhere the same
        # trips were tried in an earlier round, with fewer trips
        if ((rules & CAN_BOARD) and ws.stop_state[stop, S_READY_ROUND] == k - 1
                and (stop_mask >> ((rules >> WHEELCHAIR_SHIFT) & 3)) & 1):
            t_ready = ws.stop_state[stop, S_READY_PREV]
            if t_ready >= best_target:
                continue
            if trip < 0:
                lo, hi = 0, n_trips  # first trip with departure >= t_ready
                while lo < hi:
                    mid = (lo + hi) >> 1
                    examined += 1
                    if tt.departures[base + mid * n_pos + i] < t_ready:
                        lo = mid + 1
                    else:
                        hi = mid
                if lo < n_trips:
                    trip = lo
                    board = i
            elif t_ready < tt.departures[base + trip * n_pos + i]:
                earlier = trip  # FIFO: scan back from the boarded trip
                while earlier > 0 and tt.departures[base + (earlier - 1) * n_pos + i] >= t_ready:
                    earlier -= 1
                    examined += 1
                if earlier < trip:
                    trip = earlier
                    board = i
    ws.state[N_TOUCHED], ws.state[N_LOGGED] = n_touched, n_logged
    ws.state[N_IMPROVED], ws.state[N_MARKED] = n_improved, n_marked
    ws.counters[N_TRIPS_EXAMINED] += examined
    ws.counters[N_STOPS_IMPROVED] += improved
    return best_target


@njit(cache=True, nogil=True, inline="always")
def initialise(ws, q):
    """Round 0: each origin ready at its time (marked), each target with its egress seconds."""
    for i in range(q.origin_stops.shape[0]):
        stop = q.origin_stops[i]
        t = q.origin_ready[i]
        ws.state[N_TOUCHED] = _flag(ws, stop, S_TOUCHED, ws.touched_list, ws.state[N_TOUCHED])
        if t < ws.walk_label[0, stop, W_READY]:
            if ws.walk_label[0, stop, W_READY] == UNREACHED:
                ws.label_log[ws.state[N_LOGGED]] = _label_entry(ws, 0, stop, 1)
                ws.state[N_LOGGED] += 1
            ws.walk_label[0, stop, W_READY] = t
            ws.walk_label[0, stop, W_FROM] = -1
            ws.stop_state[stop, S_BEST_READY] = t
            ws.stop_state[stop, S_READY_PREV] = t
            ws.stop_state[stop, S_READY_ROUND] = 0
            ws.state[N_MARKED] = _flag(ws, stop, S_MARKED, ws.marked_list, ws.state[N_MARKED])
    for i in range(q.target_stops.shape[0]):
        stop = q.target_stops[i]
        ws.state[N_TOUCHED] = _flag(ws, stop, S_TOUCHED, ws.touched_list, ws.state[N_TOUCHED])
        if ws.stop_state[stop, S_EGRESS] < 0 or q.target_egress[i] < ws.stop_state[stop, S_EGRESS]:
            ws.stop_state[stop, S_EGRESS] = q.target_egress[i]


@njit(cache=True, nogil=True, inline="always")
def _queue_patterns(tt, ws, mode_mask, access_mask, best_target):
    """Queue each allowed pattern (its mode in mode_mask, its trips' access class, in the
    rules byte of its positions, in access_mask) through a stop marked last round, from its
    first marked position to its last; unmark the stops. Returns the number of patterns queued."""
    n_queue = 0
    for m in range(ws.state[N_MARKED]):
        stop = ws.marked_list[m]
        ws.stop_state[stop, S_MARKED] = 0
        if ws.stop_state[stop, S_READY_PREV] >= best_target:
            continue  # target pruning: any trip from here arrives too late
        for e in range(tt.stop_pattern_offsets[stop], tt.stop_pattern_offsets[stop + 1]):
            pattern = tt.stop_patterns[e]
            pos = tt.stop_pattern_positions[e]
            if ws.queue_pos[pattern] < 0:
                # the masks are read only for a pattern not yet queued: a queued one passed them
                access = tt.pattern_stop_rules[tt.pattern_stop_offsets[pattern] + pos] >> ACCESS_SHIFT
                if (mode_mask >> tt.pattern_mode[pattern]) & (access_mask >> access) & 1 == 0:
                    continue
                ws.queue[n_queue] = pattern
                n_queue += 1
                ws.queue_pos[pattern] = pos
                ws.queue_last[pattern] = pos
            elif pos < ws.queue_pos[pattern]:
                ws.queue_pos[pattern] = pos
            elif pos > ws.queue_last[pattern]:
                ws.queue_last[pattern] = pos
    ws.state[N_MARKED] = 0
    return n_queue


@njit(cache=True, nogil=True, inline="always")
def _scan_queue(tt, ws, k, n_queue, slack, stop_mask, best_target):
    """Scan every queued pattern in round k (and dequeue it); returns the best target time."""
    for i in range(n_queue):
        pattern = ws.queue[i]
        start = ws.queue_pos[pattern]
        ws.queue_pos[pattern] = -1
        best_target = _scan_pattern(tt, ws, k, pattern, start, ws.queue_last[pattern], slack, stop_mask, best_target)
    return best_target


@njit(cache=True, nogil=True, inline="always")
def _relax_footpaths(tt, ws, k, slack, max_walk_m, walk_extra_ms, best_target):
    """One footpath after each ride (the relation is closed, so one is enough): from every
    stop a trip of round k improved, walk to the stops within max_walk_m walked metres
    (walks timed by the feed always) and mark those now ready earlier. Returns the best
    target time."""
    n_touched, n_logged, n_marked = ws.state[N_TOUCHED], ws.state[N_LOGGED], ws.state[N_MARKED]
    for m in range(ws.state[N_IMPROVED]):
        stop = ws.improved_list[m]
        ws.stop_state[stop, S_IMPROVED] = 0
        t_stop = ws.trip_label[k, stop, T_ARR]
        for f in range(tt.footpath_offsets[stop], tt.footpath_offsets[stop + 1]):
            if tt.footpath_walk_m[f] > max_walk_m:
                break  # sorted: every further footpath walks farther
            to = tt.footpath_to[f]
            duration = _walk_time(tt, f, walk_extra_ms)
            t_arr = t_stop + duration
            if t_arr >= best_target:
                continue
            if ws.stop_state[to, S_EGRESS] == 0:
                best_target = t_arr
                ws.target_arr[k] = t_arr
                ws.target_stop[k] = to
                ws.target_from[k] = stop
                ws.target_kind[k] = BY_WALK
            # a change needs the slack at least, unless the feed times this walk
            t_ready = t_arr if (tt.footpath_flags[f] & FEED_TIMED or duration >= slack) else t_stop + slack
            if t_ready < ws.stop_state[to, S_BEST_READY]:
                n_touched = _flag(ws, to, S_TOUCHED, ws.touched_list, n_touched)
                ws.stop_state[to, S_BEST_READY] = t_ready
                if ws.walk_label[k, to, W_READY] == UNREACHED:
                    ws.label_log[n_logged] = _label_entry(ws, k, to, 1)
                    n_logged += 1
                ws.walk_label[k, to, W_READY] = t_ready
                ws.walk_label[k, to, W_FROM] = stop
                n_marked = _flag(ws, to, S_MARKED, ws.marked_list, n_marked)
    ws.state[N_TOUCHED], ws.state[N_LOGGED], ws.state[N_MARKED] = n_touched, n_logged, n_marked
    ws.state[N_IMPROVED] = 0
    return best_target


@njit(cache=True, nogil=True, inline="always")
def _promote_marks(ws, k):
    """What round k reached becomes boardable in round k + 1."""
    for m in range(ws.state[N_MARKED]):
        stop = ws.marked_list[m]
        ws.stop_state[stop, S_READY_PREV] = ws.stop_state[stop, S_BEST_READY]
        ws.stop_state[stop, S_READY_ROUND] = k


@njit(cache=True, nogil=True, inline="always")
def run_rounds(tt, ws, q):
    """Rounds 1 .. q.max_rounds from the marked stops, until no stop improves; labels, targets
    and counters of the workspace are updated in place."""
    best_target = ws.state[BEST_TARGET]
    for k in range(1, q.max_rounds + 1):
        n_queue = _queue_patterns(tt, ws, q.mode_mask, q.access_mask, best_target)
        if n_queue == 0:
            break
        if k > ws.state[ROUNDS_USED]:
            ws.state[ROUNDS_USED] = k
        ws.counters[N_ROUNDS] += 1
        ws.counters[N_PATTERNS_SCANNED] += n_queue
        best_target = _scan_queue(tt, ws, k, n_queue, q.slack, q.stop_mask, best_target)
        best_target = _relax_footpaths(tt, ws, k, q.slack, q.max_walk_m, q.walk_extra_ms, best_target)
        _promote_marks(ws, k)
    ws.state[BEST_TARGET] = best_target


@njit(cache=True, nogil=True)
def raptor(tt, ws, q):
    """Earliest arrival by RAPTOR rounds for one Query; fills the workspace in place.

    Results: ws.target_arr[k] is the destination time reached with k trips when it improves
    on fewer trips (UNREACHED otherwise); ws.counters the work done.
    """
    reset(ws)
    initialise(ws, q)
    run_rounds(tt, ws, q)


@njit(cache=True, nogil=True)
def footpath_duration(tt, from_stop, to_stop, walk_extra_ms):
    """Seconds of the footpath from_stop -> to_stop at the query's walking speed, -1 if there is none."""
    for f in range(tt.footpath_offsets[from_stop], tt.footpath_offsets[from_stop + 1]):
        if tt.footpath_to[f] == to_stop:
            return _walk_time(tt, f, walk_extra_ms)
    return -1


@njit(cache=True, nogil=True, inline="always")
def _walk_time(tt, f, walk_extra_ms):
    """Seconds of footpath f at the query's walking speed (its walked metres scaled)."""
    return tt.footpath_duration[f] + (tt.footpath_walk_m[f] * walk_extra_ms) // 1000


@njit(cache=True, nogil=True)
def reconstruct(tt, ws, k, slack, walk_extra_ms, legs):
    """Write the legs of the journey that reaches the destination in round k into `legs`.

    legs: int32 (at least 2 * k, N_LEG_FIELDS) array, modified in place, filled in
    travel order. Returns the number of legs, or 0 when round k reached nothing.
    """
    if ws.target_arr[k] == UNREACHED:
        return 0
    n = 0
    stop = ws.target_stop[k]
    kind = ws.target_kind[k]
    at_target = True
    while k > 0:
        if kind == BY_WALK:
            prev = ws.target_from[k] if at_target else ws.walk_label[k, stop, W_FROM]
            t_dep = ws.trip_label[k, prev, T_ARR]
            legs[n, LEG_KIND] = KIND_WALK
            legs[n, LEG_FROM] = prev
            legs[n, LEG_TO] = stop
            legs[n, LEG_TRIP] = -1
            legs[n, LEG_BOARD_POS] = -1
            legs[n, LEG_ALIGHT_POS] = -1
            legs[n, LEG_DEP] = t_dep
            legs[n, LEG_ARR] = t_dep + footpath_duration(tt, prev, stop, walk_extra_ms)
            n += 1
            stop = prev
        at_target = False
        trip = ws.trip_label[k, stop, T_TRIP]
        pattern = tt.trip_pattern[trip]
        stop_lo = tt.pattern_stop_offsets[pattern]
        n_pos = tt.pattern_stop_offsets[pattern + 1] - stop_lo
        j = trip - tt.pattern_trip_offsets[pattern]
        base = tt.pattern_time_offsets[pattern]
        board = ws.trip_label[k, stop, T_BOARD]
        board_stop = tt.pattern_stops[stop_lo + board]
        t_dep = tt.departures[base + j * n_pos + board]
        legs[n, LEG_KIND] = KIND_TRIP
        legs[n, LEG_FROM] = board_stop
        legs[n, LEG_TO] = stop
        legs[n, LEG_TRIP] = trip
        legs[n, LEG_BOARD_POS] = board
        legs[n, LEG_ALIGHT_POS] = ws.trip_label[k, stop, T_ALIGHT]
        legs[n, LEG_DEP] = t_dep
        legs[n, LEG_ARR] = ws.trip_label[k, stop, T_ARR]
        n += 1
        # the label, with fewer trips, that was ready at the boarding stop in time
        stop = board_stop
        found = False
        for j_round in range(k):
            if ws.walk_label[j_round, stop, W_READY] <= t_dep:
                kind = BY_WALK
                k = j_round
                found = True
                break
            if j_round > 0 and ws.trip_label[j_round, stop, T_ARR] != UNREACHED:
                change = tt.stop_change_time[stop]
                if change < 0:
                    change = slack
                if change < NO_CHANGE and ws.trip_label[j_round, stop, T_ARR] + change <= t_dep:
                    kind = BY_TRIP
                    k = j_round
                    found = True
                    break
        if not found:
            return -1  # labels inconsistent: a bug, reported by the caller
        if k == 0:
            break
    # reverse into travel order
    for i in range(n // 2):
        for f in range(N_LEG_FIELDS):
            tmp = legs[i, f]
            legs[i, f] = legs[n - 1 - i, f]
            legs[n - 1 - i, f] = tmp
    return n


@njit(cache=True, nogil=True)
def plan(tt, ws, q):
    """`raptor`, then the legs of every journey of its Pareto set, in one call from Python.

    Journey j took ws.journey_rounds[j] trips and its legs end at row ws.journey_ends[j] of
    ws.legs (they start where journey j - 1's end). Returns the number of journeys, or -k
    when the journey of round k cannot be rebuilt (a bug).
    """
    raptor(tt, ws, q)
    n_journeys = 0
    row = 0
    for k in range(1, ws.state[ROUNDS_USED] + 1):
        if ws.target_arr[k] == UNREACHED:
            continue
        n = reconstruct(tt, ws, k, q.slack, q.walk_extra_ms, ws.legs[row:])
        if n <= 0:
            return -k
        row += n
        ws.journey_rounds[n_journeys] = k
        ws.journey_ends[n_journeys] = row
        n_journeys += 1
    return n_journeys


@njit(cache=True, nogil=True)
def plan_fields(tt, ws, origin_stops, origin_ready, target_stops, target_egress, max_rounds, slack, max_walk_m,
                walk_extra_ms, mode_mask, access_mask, stop_mask):
    """`plan` with the Query's fields as arguments, in Query's order (Router.plan calls
    plan_fields(tt, ws, *query)): a Query built in Python costs numba 3-4 us of typing per
    call, one built here nothing."""
    return plan(tt, ws, Query(origin_stops, origin_ready, target_stops, target_egress, max_rounds, slack, max_walk_m,
                              walk_extra_ms, mode_mask, access_mask, stop_mask))
