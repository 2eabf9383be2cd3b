"""numba kernels of the router: RAPTOR rounds in named phases, and journey reconstruction.

Only @njit code lives here, compiled without numba's reference counting (`_nrt=False`: the
arrays belong to the Python caller for the whole call; router/README.md, No reference
counting), so no kernel allocates: scratch comes from the Workspace or the caller. Every
function takes the `Timetable`, a `Workspace` and a `Query` as arguments (named tuples of
flat arrays and integers), never globals, so that the on-disk cache works and one compiled
function serves every timetable. A query is `reset`, `initialise`, then `run_rounds`; each
round is four phases, inlined into the loop: queue the patterns through marked stops, scan
them, relax the footpaths, promote the marks. Range queries (`range_step_fields`, one call
per departure, the latest first) keep the labels between departures and start each round
from the later departures' labels of that round (`range_begin`, `_round_bounds`). The three
are inlined into `raptor`, which compiles to one function as before the phases were split
out. See router/README.md.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .query import Query
from .timetable import (
    ACCESS_SHIFT,
    CAN_ALIGHT,
    CAN_BOARD,
    CONSTRAINED,
    FEED_TIMED,
    L_FROM_POS,
    L_GAP,
    L_TO_POS,
    L_TO_TRIP,
    MODE_BITS,
    NO_CHANGE,
    REFUSED,
    UNREACHED,
    WHEELCHAIR_SHIFT,
)
from .workspace import (
    BEST_TARGET,
    BY_TRIP,
    BY_WALK,
    E_FROM_BOARD,
    E_FROM_POS,
    E_FROM_TRIP,
    E_ROUND,
    E_SEATED,
    E_TO_POS,
    E_TO_TRIP,
    ENTRIES_FULL,
    ENTRY_CURSOR,
    F_IMPROVED,
    F_MARKED,
    F_TOUCHED,
    KIND_TRIP,
    KIND_WALK,
    LEG_ALIGHT_POS,
    LEG_ARR,
    LEG_BOARD_POS,
    LEG_DEP,
    LEG_FROM,
    LEG_INTERLINE,
    LEG_KIND,
    LEG_TO,
    LEG_TRIP,
    N_ENTRIES,
    N_IMPROVED,
    N_LEG_FIELDS,
    N_LOGGED,
    N_MARKED,
    N_PATTERNS_SCANNED,
    N_RIDES,
    N_ROUNDS,
    N_STOPS_IMPROVED,
    N_TOUCHED,
    N_TRIPS_EXAMINED,
    ROUNDS_USED,
    S_BEST_ARR,
    S_BEST_READY,
    S_EGRESS,
    S_FLAGS,
    S_LOWER_BOUND,
    S_READY_PREV,
    S_READY_ROUND,
    T_ALIGHT,
    T_ARR,
    T_BOARD,
    T_TRIP,
    W_FROM,
    W_READY,
)


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def _u(i):
    """An index known to be >= 0, as unsigned: numba then skips the wraparound of negative
    indices (a shift, an and with the array's length and an add at every access)."""
    return np.uint64(i)


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def _flag(ws, stop, bit, members, n):
    """Set flag `bit` of `stop`; if it was not set, append the stop to `members`, a list of
    length n. Returns the new length. Callers keep the lengths in local variables while they
    work and store them in ws.state after: LLVM cannot tell the workspace arrays apart, and
    lengths read and written through memory at every label measured 3-8% slower."""
    flags = ws.stop_state[_u(stop), S_FLAGS]
    if (flags & bit) == 0:
        ws.stop_state[_u(stop), S_FLAGS] = flags | bit
        members[_u(n)] = stop
        return n + 1
    return n


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def _label_entry(ws, k, stop, kind):
    """Remember that label (k, stop) of kind 0 (trip) or 1 (walk) is set, for the reset;
    returns the entry for ws.label_log."""
    return (k * ws.stop_state.shape[0] + stop) * 2 + kind


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def reset(ws):
    """Clear the labels the previous query touched (only those), in place."""
    rounds_used = ws.state[ROUNDS_USED]
    trip_rows = ws.trip_label.reshape((-1, ws.trip_label.shape[2]))  # row round * n_stops + stop
    walk_rows = ws.walk_label.reshape((-1, ws.walk_label.shape[2]))
    n_stops = ws.stop_state.shape[0]
    for i in range(ws.state[N_LOGGED]):
        entry = ws.label_log[i]
        if entry & 1:
            walk_rows[entry >> 1, W_READY] = UNREACHED
            if (entry >> 1) < n_stops:  # round 0: an origin
                ws.origin_before[entry >> 1] = UNREACHED
        else:
            trip_rows[entry >> 1, T_ARR] = UNREACHED
    ws.state[N_LOGGED] = 0
    for i in range(ws.state[N_TOUCHED]):
        stop = ws.touched_list[i]
        ws.stop_state[stop, S_FLAGS] &= ~F_TOUCHED
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
        ws.stop_state[ws.marked_list[m], S_FLAGS] &= ~F_MARKED
    ws.state[N_ENTRIES] = 0
    ws.state[N_RIDES] = 0
    ws.state[ENTRY_CURSOR] = 0
    ws.state[ENTRIES_FULL] = 0
    ws.state[N_TOUCHED] = 0
    ws.state[ROUNDS_USED] = 0
    ws.state[N_MARKED] = 0
    ws.state[BEST_TARGET] = UNREACHED
    for i in range(ws.counters.shape[0]):
        ws.counters[i] = 0


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def _alight(tt, ws, k, stop, t_arr, trip, board, pos, slack, best_target, n_touched, n_logged, n_improved, n_marked):
    """Leave `trip` (boarded at `board`: a position, or -1 - its link entry) at position `pos`,
    stop `stop`, at t_arr, which improves the stop's best arrival and the best target time:
    set the label of round k, mark the stop ready after its change time, and lower the best
    target time when the stop is one. Returns the best target time and the list lengths
    (kept in the caller's locals, see _flag)."""
    n_touched = _flag(ws, stop, F_TOUCHED, ws.touched_list, n_touched)
    ws.stop_state[stop, S_BEST_ARR] = t_arr
    if ws.trip_label[k, stop, T_ARR] == UNREACHED:
        ws.label_log[n_logged] = _label_entry(ws, k, stop, 0)
        n_logged += 1
    ws.trip_label[k, stop, T_ARR] = t_arr
    ws.trip_label[k, stop, T_TRIP] = trip
    ws.trip_label[k, stop, T_BOARD] = board
    ws.trip_label[k, stop, T_ALIGHT] = pos
    n_improved = _flag(ws, stop, F_IMPROVED, ws.improved_list, n_improved)
    change = tt.stop_change_time[stop]
    if change < 0:
        change = slack
    if change < NO_CHANGE and t_arr + change < ws.stop_state[stop, S_BEST_READY]:
        ws.stop_state[stop, S_BEST_READY] = t_arr + change
        n_marked = _flag(ws, stop, F_MARKED, ws.marked_list, n_marked)
    egress = ws.stop_state[stop, S_EGRESS]
    if egress >= 0 and t_arr + egress < best_target:
        best_target = t_arr + egress
        ws.target_arr[k] = best_target
        ws.target_stop[k] = stop
        ws.target_kind[k] = BY_TRIP
    return best_target, n_touched, n_logged, n_improved, n_marked


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def _enter_link(tt, ws, q, k, link, from_trip, from_board, from_pos, stop, rules, t_arr, best_target):
    """Remember that link `link`, leaving view trip `from_trip` (boarded at `from_board`) at
    position `from_pos` at t_arr, enters its trip in round k + 1 (a guaranteed change needs
    leaving allowed here and boarding there; a seated one neither). The entry is ridden by
    _ride_entries. A trip the masks refuse is not entered.

    A seated continuation takes a round, as a change does (OpenTripPlanner 2 counts it so
    too): in the same round, a later trip of the pattern than the one ridden could continue
    as a trip of another route with fewer rounds, and only scanning every later trip's links
    would find it. One round more keeps the earliest trip's arrival dominant (router/README.md)."""
    gap = tt.trip_links[link, L_GAP]
    if t_arr >= best_target or k + 1 > q.max_rounds or gap == REFUSED:
        return
    seated = gap < 0
    if seated:
        gap = -1 - gap
    ride_round = k + 1
    to_trip = tt.trip_links[link, L_TO_TRIP]
    to_pos = tt.trip_links[link, L_TO_POS]
    pattern = tt.trip_pattern[to_trip]
    to_row = tt.pattern_stop_offsets[pattern] + to_pos
    to_rules = tt.pattern_stop_rules[to_row]
    if ((rules & CAN_ALIGHT) and (to_rules & CAN_BOARD)
            and (q.stop_mask >> ((rules >> WHEELCHAIR_SHIFT) & 3)) & 1
            and (q.stop_mask >> ((to_rules >> WHEELCHAIR_SHIFT) & 3)) & 1):
        # an ordinary change at the stop catches the trip (or an earlier one of its pattern)
        # next round: the link adds nothing (most blocks wait longer at the terminus)
        change = tt.stop_change_time[stop]
        if change < 0:
            change = q.slack
        if change < NO_CHANGE and change <= gap and tt.pattern_stops[to_row] == stop:
            return
    elif not seated:
        return
    if (q.mode_mask >> (tt.pattern_mode[pattern] & MODE_BITS)) & (q.access_mask >> (to_rules >> ACCESS_SHIFT)) & 1 == 0:
        return
    n = ws.state[N_ENTRIES]
    if n + ws.state[N_RIDES] == ws.link_entries.shape[0]:
        ws.state[ENTRIES_FULL] = 1  # Router.plan runs the query again with more room
        return
    ws.link_entries[n, E_TO_TRIP] = to_trip
    ws.link_entries[n, E_TO_POS] = to_pos
    ws.link_entries[n, E_FROM_TRIP] = from_trip
    ws.link_entries[n, E_FROM_BOARD] = from_board
    ws.link_entries[n, E_FROM_POS] = from_pos
    ws.link_entries[n, E_ROUND] = ride_round
    ws.link_entries[n, E_SEATED] = 1 if seated else 0
    ws.state[N_ENTRIES] = n + 1


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def _enter_ride_links(tt, ws, q, k, trip, board, upto, best_target):
    """Enter the links of view trip `trip`, ridden in round k from position `board` (or link
    entry -1 - board) to position `upto`, that leave it after where it was boarded and no later
    than `upto`. Called once a ride ends, not at each position: the entries are for round
    k + 1, and the pattern scan's loop stays as tight as without links."""
    pattern = tt.trip_pattern[trip]
    stop_lo = tt.pattern_stop_offsets[pattern]
    n_pos = tt.pattern_stop_offsets[pattern + 1] - stop_lo
    base = tt.pattern_time_offsets[pattern] + (trip - tt.pattern_trip_offsets[pattern]) * n_pos
    first = board if board >= 0 else ws.link_entries[-1 - board, E_TO_POS]
    for link in range(tt.trip_link_offsets[trip], tt.trip_link_offsets[trip + 1]):
        pos = tt.trip_links[link, L_FROM_POS]
        if pos > upto:
            break  # sorted by the position they leave from
        if pos > first:
            _enter_link(tt, ws, q, k, link, trip, board, pos, tt.pattern_stops[stop_lo + pos],
                        tt.pattern_stop_rules[stop_lo + pos], tt.arrivals[base + pos], best_target)


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def _log_ride(ws, trip, board, upto):
    """Note that view trip `trip`, which has links, was ridden from `board` to position `upto`
    (its links are entered after the scans of the round, _enter_logged_links)."""
    n = ws.state[N_RIDES]
    if ws.state[N_ENTRIES] + n == ws.link_entries.shape[0]:
        ws.state[ENTRIES_FULL] = 1  # Router.plan runs the query again with more room
        return
    row = ws.link_entries.shape[0] - 1 - n  # rides fill link_entries from its last row up
    ws.link_entries[row, 0], ws.link_entries[row, 1], ws.link_entries[row, 2] = trip, board, upto
    ws.state[N_RIDES] = n + 1


@njit(cache=True, nogil=True, _nrt=False)
def _enter_logged_links(tt, ws, q, k, best_target):
    """Enter the links of the rides the scans of round k logged. Its own function, not
    inlined into the round loop: the link code inlined there made every query 1.5x slower
    (New York region), though most never enter a link."""
    last = ws.link_entries.shape[0] - 1
    for r in range(ws.state[N_RIDES] - 1, -1, -1):  # the lowest row first: it is free once read
        row = last - r
        trip, board, upto = ws.link_entries[row, 0], ws.link_entries[row, 1], ws.link_entries[row, 2]
        ws.state[N_RIDES] = r
        _enter_ride_links(tt, ws, q, k, trip, board, upto, best_target)


@njit(cache=True, nogil=True, _nrt=False)
def _arriving_trip(ws, k, stop, t_ready):
    """The view trip whose arrival made `stop` ready at t_ready in round k - 1 (walked from
    the stop it was left at, or left there), -1 for an origin."""
    if k == 1:
        return -1
    if ws.walk_label[k - 1, stop, W_READY] == t_ready:
        walked_from = ws.walk_label[k - 1, stop, W_FROM]
        return ws.trip_label[k - 1, walked_from, T_TRIP] if walked_from >= 0 else -1
    return ws.trip_label[k - 1, stop, T_TRIP]


@njit(cache=True, nogil=True, _nrt=False)
def _refused(tt, arriving, trip, pos):
    """True when transfers.txt forbids boarding view trip `trip` at position `pos` after
    view trip `arriving` (a REFUSED link)."""
    if arriving < 0:
        return False
    for link in range(tt.trip_link_offsets[arriving], tt.trip_link_offsets[arriving + 1]):
        if (tt.trip_links[link, L_GAP] == REFUSED and tt.trip_links[link, L_TO_TRIP] == trip
                and tt.trip_links[link, L_TO_POS] == pos):
            return True
    return False


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def _scan_pattern(tt, ws, q, k, pattern, start, last, best_target):
    """Ride the pattern from position `start` in round k; return the new best target time.

    `last` is the last position marked by round k - 1: past it nothing can be boarded, so
    the scan ends there unless a trip is ridden, and ends when that trip gets too late.
    Where the rules allow it, a trip is boarded or left only at a stop whose accessibility
    (the rules' bits at WHEELCHAIR_SHIFT) is in `stop_mask` (Query.stop_mask); the test
    comes after the cheap ones, so only a label that would improve or a boarding pays it.
    A ridden trip's links (Timetable.trip_links) are entered when its ride ends.
    """
    slack, stop_mask = q.slack, q.stop_mask
    stop_lo = tt.pattern_stop_offsets[pattern]
    n_pos = tt.pattern_stop_offsets[pattern + 1] - stop_lo
    trip_lo = tt.pattern_trip_offsets[pattern]
    n_trips = tt.pattern_trip_offsets[pattern + 1] - trip_lo
    base = tt.pattern_time_offsets[pattern]
    trip = -1  # boarded trip, 0-based within the pattern
    board = -1  # position where it was boarded
    linked = False  # the boarded trip has links (Timetable.trip_links), entered when its ride ends
    constrained = tt.pattern_mode[pattern] & CONSTRAINED  # some boardings refused after some trips
    reached = start  # the last position scanned
    examined = 0
    improved = 0
    n_touched, n_logged = ws.state[N_TOUCHED], ws.state[N_LOGGED]  # stored back at the end (_flag)
    n_improved, n_marked = ws.state[N_IMPROVED], ws.state[N_MARKED]
    for i in range(start, n_pos):
        if i > last and (trip < 0 or tt.arrivals[_u(base + trip * n_pos + i)] >= best_target):
            break
        reached = i
        stop = tt.pattern_stops[_u(stop_lo + i)]
        row = _u(stop)  # the stop as an index (unsigned: _u); `stop` stays signed for arithmetic
        rules = tt.pattern_stop_rules[_u(stop_lo + i)]
        if trip >= 0 and (rules & CAN_ALIGHT):
            t_arr = tt.arrivals[_u(base + trip * n_pos + i)]
            if (t_arr < ws.stop_state[row, S_BEST_ARR] and t_arr + ws.stop_state[row, S_LOWER_BOUND] < best_target
                    and (stop_mask >> ((rules >> WHEELCHAIR_SHIFT) & 3)) & 1):
                # what _alight does, written out: called here, its tuple of lengths made the
                # New York region's queries 3x slower (router/README.md, Links between trips)
                n_touched = _flag(ws, stop, F_TOUCHED, ws.touched_list, n_touched)
                ws.stop_state[row, S_BEST_ARR] = t_arr
                if ws.trip_label[_u(k), row, T_ARR] == UNREACHED:
                    ws.label_log[n_logged] = _label_entry(ws, k, stop, 0)
                    n_logged += 1
                ws.trip_label[_u(k), row, T_ARR] = t_arr
                ws.trip_label[_u(k), row, T_TRIP] = trip_lo + trip
                ws.trip_label[_u(k), row, T_BOARD] = board
                ws.trip_label[_u(k), row, T_ALIGHT] = i
                improved += 1
                n_improved = _flag(ws, stop, F_IMPROVED, ws.improved_list, n_improved)
                change = tt.stop_change_time[row]
                if change < 0:
                    change = slack
                if change < NO_CHANGE and t_arr + change < ws.stop_state[row, S_BEST_READY]:
                    ws.stop_state[row, S_BEST_READY] = t_arr + change
                    n_marked = _flag(ws, stop, F_MARKED, ws.marked_list, n_marked)
                egress = ws.stop_state[row, S_EGRESS]
                if egress >= 0 and t_arr + egress < best_target:
                    best_target = t_arr + egress
                    ws.target_arr[k] = best_target
                    ws.target_stop[k] = stop
                    ws.target_kind[k] = BY_TRIP
        # board only where the last round improved the ready time: elsewhere the same
        # trips were tried in an earlier round, with fewer trips
        if ((rules & CAN_BOARD) and ws.stop_state[row, S_READY_ROUND] == k - 1
                and (stop_mask >> ((rules >> WHEELCHAIR_SHIFT) & 3)) & 1):
            t_ready = ws.stop_state[row, S_READY_PREV]
            if t_ready + ws.stop_state[row, S_LOWER_BOUND] >= best_target:
                continue
            if trip < 0:
                lo, probes = _first_trip(tt.departures, base + i, n_pos, n_trips, t_ready)
                examined += probes
                if constrained:  # the first later trip transfers.txt does not refuse
                    arriving = _arriving_trip(ws, k, stop, t_ready)
                    while lo < n_trips and _refused(tt, arriving, trip_lo + lo, i):
                        lo += 1
                if lo < n_trips:
                    trip = lo
                    board = i
                    linked = tt.trip_link_offsets[trip_lo + trip] < tt.trip_link_offsets[trip_lo + trip + 1]
            elif t_ready < tt.departures[_u(base + trip * n_pos + i)]:
                earlier = trip  # FIFO: scan back from the boarded trip
                while earlier > 0 and tt.departures[_u(base + (earlier - 1) * n_pos + i)] >= t_ready:
                    earlier -= 1
                    examined += 1
                if constrained and earlier < trip:
                    arriving = _arriving_trip(ws, k, stop, t_ready)
                    while earlier < trip and _refused(tt, arriving, trip_lo + earlier, i):
                        earlier += 1
                if earlier < trip:
                    if linked:
                        _log_ride(ws, trip_lo + trip, board, i)
                    trip = earlier
                    board = i
                    linked = tt.trip_link_offsets[trip_lo + trip] < tt.trip_link_offsets[trip_lo + trip + 1]
    ws.state[N_TOUCHED], ws.state[N_LOGGED] = n_touched, n_logged
    ws.state[N_IMPROVED], ws.state[N_MARKED] = n_improved, n_marked
    ws.counters[N_TRIPS_EXAMINED] += examined
    ws.counters[N_STOPS_IMPROVED] += improved
    if linked:
        _log_ride(ws, trip_lo + trip, board, reached)
    return best_target


@njit(cache=True, nogil=True, _nrt=False)
def _ride_entries(tt, ws, q, k, first, best_target):
    """Ride every trip entered by a link for round k (the entries from `first` on, made in
    round k - 1): from the position entered, leave it where it improves, enter its own links
    (for round k + 1). Returns the best target time."""
    n_touched, n_logged = ws.state[N_TOUCHED], ws.state[N_LOGGED]
    n_improved, n_marked = ws.state[N_IMPROVED], ws.state[N_MARKED]
    improved = 0
    e = first
    while e < ws.state[N_ENTRIES]:
        if ws.link_entries[e, E_ROUND] != k:
            e += 1
            continue
        trip = ws.link_entries[e, E_TO_TRIP]
        entered = ws.link_entries[e, E_TO_POS]
        pattern = tt.trip_pattern[trip]
        stop_lo = tt.pattern_stop_offsets[pattern]
        n_pos = tt.pattern_stop_offsets[pattern + 1] - stop_lo
        base = tt.pattern_time_offsets[pattern] + (trip - tt.pattern_trip_offsets[pattern]) * n_pos
        reached = entered
        for i in range(entered + 1, n_pos):
            t_arr = tt.arrivals[base + i]
            if t_arr >= best_target:
                break
            reached = i
            stop = tt.pattern_stops[stop_lo + i]
            rules = tt.pattern_stop_rules[stop_lo + i]
            if ((rules & CAN_ALIGHT) and t_arr < ws.stop_state[stop, S_BEST_ARR]
                    and t_arr + ws.stop_state[stop, S_LOWER_BOUND] < best_target
                    and (q.stop_mask >> ((rules >> WHEELCHAIR_SHIFT) & 3)) & 1):
                best_target, n_touched, n_logged, n_improved, n_marked = _alight(
                    tt, ws, k, stop, t_arr, trip, -1 - e, i, q.slack, best_target,
                    n_touched, n_logged, n_improved, n_marked)
                improved += 1
        _enter_ride_links(tt, ws, q, k, trip, -1 - e, reached, best_target)
        e += 1
    ws.state[N_TOUCHED], ws.state[N_LOGGED] = n_touched, n_logged
    ws.state[N_IMPROVED], ws.state[N_MARKED] = n_improved, n_marked
    ws.counters[N_STOPS_IMPROVED] += improved
    return best_target


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def initialise(ws, q):
    """Round 0: each origin ready at its time (marked), each target with its egress seconds.
    Each origin's ready time before (at the later departure of a range query, else
    UNREACHED) is kept in ws.origin_before for round 1 (_queue_patterns)."""
    for i in range(q.origin_stops.shape[0]):
        ws.origin_before[q.origin_stops[i]] = ws.walk_label[0, q.origin_stops[i], W_READY]
    for i in range(q.origin_stops.shape[0]):
        stop = q.origin_stops[i]
        t = q.origin_ready[i]
        ws.state[N_TOUCHED] = _flag(ws, stop, F_TOUCHED, ws.touched_list, ws.state[N_TOUCHED])
        if t < ws.walk_label[0, stop, W_READY]:
            if ws.walk_label[0, stop, W_READY] == UNREACHED:
                ws.label_log[ws.state[N_LOGGED]] = _label_entry(ws, 0, stop, 1)
                ws.state[N_LOGGED] += 1
            ws.walk_label[0, stop, W_READY] = t
            ws.walk_label[0, stop, W_FROM] = -1
            ws.stop_state[stop, S_BEST_READY] = t
            ws.stop_state[stop, S_READY_PREV] = t
            ws.stop_state[stop, S_READY_ROUND] = 0
            ws.state[N_MARKED] = _flag(ws, stop, F_MARKED, ws.marked_list, ws.state[N_MARKED])
    for i in range(q.target_stops.shape[0]):
        stop = q.target_stops[i]
        ws.state[N_TOUCHED] = _flag(ws, stop, F_TOUCHED, ws.touched_list, ws.state[N_TOUCHED])
        if ws.stop_state[stop, S_EGRESS] < 0 or q.target_egress[i] < ws.stop_state[stop, S_EGRESS]:
            ws.stop_state[stop, S_EGRESS] = q.target_egress[i]


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def _queue_patterns(tt, ws, k, mode_mask, access_mask, best_target):
    """Queue each allowed pattern (its mode in mode_mask, its trips' access class, in the
    rules byte of its positions, in access_mask) through a stop marked last round, from its
    first marked position to its last; unmark the stops. Returns the number of patterns queued.

    Round 1 of a departure of a range query (an origin with ws.origin_before): a pattern is
    queued at the origin only if one of its trips leaves there from the new ready time and
    before the one of the later departure. Otherwise the first trip it could board is the one
    the later departure boarded, whose ride labelled every stop after as early, with fewer
    trips or as many: scanning it again improves nothing (most of a window's departures, as
    every origin's ready time moves at each and only one of its patterns has a new trip)."""
    n_queue = 0
    for m in range(ws.state[N_MARKED]):
        stop = ws.marked_list[_u(m)]
        ws.stop_state[_u(stop), S_FLAGS] &= ~F_MARKED
        t_ready = ws.stop_state[_u(stop), S_READY_PREV]
        if t_ready + ws.stop_state[_u(stop), S_LOWER_BOUND] >= best_target:
            continue  # target pruning: any trip from here arrives too late (bounds.py)
        t_before = ws.origin_before[_u(stop)] if k == 1 else UNREACHED
        for e in range(tt.stop_pattern_offsets[_u(stop)], tt.stop_pattern_offsets[_u(stop + 1)]):
            pattern = tt.stop_patterns[_u(e)]
            pos = tt.stop_pattern_positions[_u(e)]
            if t_before < UNREACHED and not _leaves_between(tt, pattern, pos, t_ready, t_before):
                continue
            if ws.queue_pos[_u(pattern)] < 0:
                # the masks are read only for a pattern not yet queued: a queued one passed them
                access = tt.pattern_stop_rules[tt.pattern_stop_offsets[pattern] + pos] >> ACCESS_SHIFT
                if (mode_mask >> (tt.pattern_mode[pattern] & MODE_BITS)) & (access_mask >> access) & 1 == 0:
                    continue
                ws.queue[_u(n_queue)] = pattern
                n_queue += 1
                ws.queue_pos[_u(pattern)] = pos
                ws.queue_last[_u(pattern)] = pos
            elif pos < ws.queue_pos[_u(pattern)]:
                ws.queue_pos[_u(pattern)] = pos
            elif pos > ws.queue_last[_u(pattern)]:
                ws.queue_last[_u(pattern)] = pos
    ws.state[N_MARKED] = 0
    return n_queue


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def _first_trip(departures, at, n_pos, n_trips, t):
    """The first trip of a pattern leaving at t or later from the position whose first trip's
    time is departures[at] (trip j's is at + j * n_pos), n_trips if none; and the number of
    trips looked at (the binary search's probes)."""
    lo, hi, probes = 0, n_trips, 0
    while lo < hi:
        mid = (lo + hi) >> 1
        probes += 1
        if departures[_u(at + mid * n_pos)] < t:
            lo = mid + 1
        else:
            hi = mid
    return lo, probes


@njit(cache=True, nogil=True, _nrt=False)
def _leaves_between(tt, pattern, pos, t_from, t_before):
    """True when a trip of the pattern leaves position `pos` at t_from or later and before
    t_before (trips are FIFO: the first one leaving at t_from or later decides)."""
    n_pos = tt.pattern_stop_offsets[pattern + 1] - tt.pattern_stop_offsets[pattern]
    at = tt.pattern_time_offsets[pattern] + pos
    n_trips = tt.pattern_trip_offsets[pattern + 1] - tt.pattern_trip_offsets[pattern]
    first, _ = _first_trip(tt.departures, at, n_pos, n_trips, t_from)
    return first < n_trips and tt.departures[at + first * n_pos] < t_before


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def _scan_queue(tt, ws, q, k, n_queue, best_target):
    """Scan every queued pattern in round k (and dequeue it); returns the best target time."""
    for i in range(n_queue):
        pattern = ws.queue[_u(i)]
        start = ws.queue_pos[_u(pattern)]
        ws.queue_pos[_u(pattern)] = -1
        best_target = _scan_pattern(tt, ws, q, k, pattern, start, ws.queue_last[_u(pattern)], best_target)
    return best_target


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def _relax_footpaths(tt, ws, k, slack, max_walk_m, walk_extra_ms, best_target):
    """One footpath after each ride (the relation is closed, so one is enough): from every
    stop a trip of round k improved, walk to the stops within max_walk_m walked metres
    (walks timed by the feed always) and mark those now ready earlier. Returns the best
    target time."""
    n_touched, n_logged, n_marked = ws.state[N_TOUCHED], ws.state[N_LOGGED], ws.state[N_MARKED]
    for m in range(ws.state[N_IMPROVED]):
        stop = ws.improved_list[_u(m)]
        ws.stop_state[_u(stop), S_FLAGS] &= ~F_IMPROVED
        t_stop = ws.trip_label[_u(k), _u(stop), T_ARR]
        if t_stop + ws.stop_state[_u(stop), S_LOWER_BOUND] >= best_target:
            continue  # a later scan of the round found the destination earlier: no walk from here helps
        for f in range(tt.footpath_offsets[_u(stop)], tt.footpath_offsets[_u(stop + 1)]):
            if tt.footpath_walk_m[_u(f)] > max_walk_m:
                break  # sorted: every further footpath walks farther
            to = tt.footpath_to[_u(f)]
            duration = _walk_time(tt, f, walk_extra_ms)
            t_arr = t_stop + duration
            if t_arr + ws.stop_state[_u(to), S_LOWER_BOUND] >= best_target:
                continue
            if ws.stop_state[_u(to), S_EGRESS] == 0:
                best_target = t_arr
                ws.target_arr[k] = t_arr
                ws.target_stop[k] = to
                ws.target_from[k] = stop
                ws.target_kind[k] = BY_WALK
            # a change needs the slack at least, unless the feed times this walk
            t_ready = t_arr if (tt.footpath_flags[_u(f)] & FEED_TIMED or duration >= slack) else t_stop + slack
            if t_ready < ws.stop_state[_u(to), S_BEST_READY]:
                n_touched = _flag(ws, to, F_TOUCHED, ws.touched_list, n_touched)
                ws.stop_state[_u(to), S_BEST_READY] = t_ready
                if ws.walk_label[_u(k), _u(to), W_READY] == UNREACHED:
                    ws.label_log[n_logged] = _label_entry(ws, k, to, 1)
                    n_logged += 1
                ws.walk_label[_u(k), _u(to), W_READY] = t_ready
                ws.walk_label[_u(k), _u(to), W_FROM] = stop
                n_marked = _flag(ws, to, F_MARKED, ws.marked_list, n_marked)
    ws.state[N_TOUCHED], ws.state[N_LOGGED], ws.state[N_MARKED] = n_touched, n_logged, n_marked
    ws.state[N_IMPROVED] = 0
    return best_target


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def _promote_marks(ws, k):
    """What round k reached becomes boardable in round k + 1."""
    for m in range(ws.state[N_MARKED]):
        stop = ws.marked_list[_u(m)]
        ws.stop_state[_u(stop), S_READY_PREV] = ws.stop_state[_u(stop), S_BEST_READY]
        ws.stop_state[_u(stop), S_READY_ROUND] = k


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def run_rounds(tt, ws, q, log, log_offsets):
    """Rounds 1 .. q.max_rounds from the marked stops, until no stop improves; labels, targets
    and counters of the workspace are updated in place. For a departure of a range query,
    `log` holds the labels of the later departures by round (range_begin); else it is empty."""
    best_target = ws.state[BEST_TARGET]
    for k in range(1, q.max_rounds + 1):
        if k + 1 < log_offsets.shape[0]:
            best_target = _round_bounds(tt, ws, q, k, log, log_offsets, best_target)
        # the entries for round k were made in round k - 1
        first_entry = ws.state[ENTRY_CURSOR]
        ws.state[ENTRY_CURSOR] = ws.state[N_ENTRIES]
        n_queue = _queue_patterns(tt, ws, k, q.mode_mask, q.access_mask, best_target)
        if n_queue == 0 and first_entry == ws.state[N_ENTRIES]:
            break
        if k > ws.state[ROUNDS_USED]:
            ws.state[ROUNDS_USED] = k
        ws.counters[N_ROUNDS] += 1
        ws.counters[N_PATTERNS_SCANNED] += n_queue
        best_target = _scan_queue(tt, ws, q, k, n_queue, best_target)
        if ws.state[N_ENTRIES] > first_entry:
            best_target = _ride_entries(tt, ws, q, k, first_entry, best_target)
        if ws.state[N_RIDES]:
            _enter_logged_links(tt, ws, q, k, best_target)
        best_target = _relax_footpaths(tt, ws, k, q.slack, q.max_walk_m, q.walk_extra_ms, best_target)
        _promote_marks(ws, k)
    ws.state[BEST_TARGET] = best_target


@njit(cache=True, _nrt=False)  # holding the GIL: a few us (router/README.md, The GIL)
def clear(ws):
    """`reset` on its own: before the first departure of a range query."""
    reset(ws)


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def _log_block(k, n_stops):
    """Where round k's block of a range query's filed log begins: 2 * n_stops entries a round,
    room for a trip label and a walk label of every stop (range_begin)."""
    return k * 2 * n_stops


@njit(cache=True, nogil=True, _nrt=False)
def range_begin(ws, log, log_offsets):
    """Before one departure of a range query (rRAPTOR: departures scanned latest first, the
    labels kept): forget the bounds that belong to the later departure (best arrival and
    ready time over every round, the best target time, the marks), and file the labels the
    later departure set into `log` by round, so that each round starts from the labels the
    later departures set in that round and fewer (_round_bounds). `log` holds a block of
    2 * n_stops entries per round (a label of a round, stop and kind is set once per range
    query), log_offsets[r] how many block r holds and log_offsets[-1] how many entries of
    the label log are filed: each departure files only the labels new since the last (the
    whole log sorted again at each departure was a sixth of a window's time).

    Labels of the later departures stay valid for an earlier one (its traveller may wait),
    but only round by round: a stop reached at 9:00 with three trips after a later
    departure must not hide from this departure a 9:05 arrival there with one trip."""
    n_stops = ws.stop_state.shape[0]
    for i in range(ws.state[N_TOUCHED]):
        stop = ws.touched_list[i]
        ws.stop_state[stop, S_BEST_ARR] = UNREACHED
        ws.stop_state[stop, S_BEST_READY] = UNREACHED
        ws.stop_state[stop, S_READY_PREV] = UNREACHED
        ws.stop_state[stop, S_READY_ROUND] = -1
    for m in range(ws.state[N_MARKED]):
        ws.stop_state[ws.marked_list[m], S_FLAGS] &= ~F_MARKED
    ws.state[N_MARKED] = 0
    ws.state[BEST_TARGET] = UNREACHED
    ws.state[ENTRY_CURSOR] = ws.state[N_ENTRIES]  # entries stay: older labels name them
    ws.state[N_RIDES] = 0
    n_rounds = log_offsets.shape[0] - 1
    for i in range(log_offsets[n_rounds], ws.state[N_LOGGED]):
        entry = ws.label_log[i]
        r = (entry >> 1) // n_stops
        log[_log_block(r, n_stops) + log_offsets[r]] = entry
        log_offsets[r] += 1
    log_offsets[n_rounds] = ws.state[N_LOGGED]


@njit(cache=True, nogil=True, _nrt=False)
def _round_bounds(tt, ws, q, k, log, log_offsets, best_target):
    """Range queries, before round k: lower the best arrivals, ready times and target time to
    the labels of round k of the later departures (those of rounds before k are in already).
    Returns the best target time."""
    n_stops = ws.stop_state.shape[0]
    for i in range(_log_block(k, n_stops), _log_block(k, n_stops) + log_offsets[k]):
        entry = log[i]
        stop = (entry >> 1) % n_stops
        if entry & 1:
            ready = ws.walk_label[k, stop, W_READY]
            if ready < ws.stop_state[stop, S_BEST_READY]:
                ws.stop_state[stop, S_BEST_READY] = ready
            continue
        t_arr = ws.trip_label[k, stop, T_ARR]
        if t_arr < ws.stop_state[stop, S_BEST_ARR]:
            ws.stop_state[stop, S_BEST_ARR] = t_arr
        change = tt.stop_change_time[stop]
        if change < 0:
            change = q.slack
        if change < NO_CHANGE and t_arr + change < ws.stop_state[stop, S_BEST_READY]:
            ws.stop_state[stop, S_BEST_READY] = t_arr + change
    if ws.target_arr[k] < best_target:
        best_target = ws.target_arr[k]
    return best_target


@njit(cache=True, nogil=True, _nrt=False)
def raptor(tt, ws, q):
    """Earliest arrival by RAPTOR rounds for one Query; fills the workspace in place.

    Results: ws.target_arr[k] is the destination time reached with k trips when it improves
    on fewer trips (UNREACHED otherwise); ws.counters the work done.
    """
    reset(ws)
    initialise(ws, q)
    run_rounds(tt, ws, q, ws.label_log[:0], ws.label_log[:0])  # no later departures: no round bounds


@njit(cache=True, nogil=True, _nrt=False)
def footpath_duration(tt, from_stop, to_stop, walk_extra_ms):
    """Seconds of the footpath from_stop -> to_stop at the query's walking speed, -1 if there is none."""
    for f in range(tt.footpath_offsets[from_stop], tt.footpath_offsets[from_stop + 1]):
        if tt.footpath_to[f] == to_stop:
            return _walk_time(tt, f, walk_extra_ms)
    return -1


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def _walk_time(tt, f, walk_extra_ms):
    """Seconds of footpath f at the query's walking speed (its walked metres scaled); at the
    compiled speed (most queries) without the division, which is in every footpath relaxed."""
    if walk_extra_ms == 0:
        return tt.footpath_duration[_u(f)]
    return tt.footpath_duration[_u(f)] + (tt.footpath_walk_m[_u(f)] * walk_extra_ms) // 1000


LEGS_FULL = -2  # reconstruct: the legs array has no room left
PLAN_ENTRIES_FULL = -(1 << 20)  # plan: Workspace.link_entries was full, the query must run again
PLAN_LEGS_FULL = -(1 << 21)  # plan: Workspace.legs was full
RANGE_OUT_FULL = -(1 << 22)  # range_fields: its output arrays were full


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def _put_leg(legs, n, kind, frm, to, trip, board_pos, alight_pos, t_dep, t_arr, interline):
    legs[n, LEG_KIND] = kind
    legs[n, LEG_FROM] = frm
    legs[n, LEG_TO] = to
    legs[n, LEG_TRIP] = trip
    legs[n, LEG_BOARD_POS] = board_pos
    legs[n, LEG_ALIGHT_POS] = alight_pos
    legs[n, LEG_DEP] = t_dep
    legs[n, LEG_ARR] = t_arr
    legs[n, LEG_INTERLINE] = interline


@njit(cache=True, nogil=True, _nrt=False)
def reconstruct(tt, ws, k, slack, walk_extra_ms, legs):
    """Write the legs of the journey that reaches the destination in round k into `legs`.

    legs: int32 (rows, N_LEG_FIELDS) array, modified in place, filled in travel order.
    Returns the number of legs, 0 when round k reached nothing, LEGS_FULL when `legs` has
    too few rows, -1 when the labels are inconsistent (a bug).
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
            if n == legs.shape[0]:
                return LEGS_FULL
            _put_leg(legs, n, KIND_WALK, prev, stop, -1, -1, -1, t_dep,
                     t_dep + footpath_duration(tt, prev, stop, walk_extra_ms), 0)
            n += 1
            stop = prev
        at_target = False
        trip = ws.trip_label[k, stop, T_TRIP]
        board = ws.trip_label[k, stop, T_BOARD]
        alight = ws.trip_label[k, stop, T_ALIGHT]
        # the rides of this round back to the first, through the links that entered them
        while True:
            pattern = tt.trip_pattern[trip]
            stop_lo = tt.pattern_stop_offsets[pattern]
            n_pos = tt.pattern_stop_offsets[pattern + 1] - stop_lo
            times = tt.pattern_time_offsets[pattern] + (trip - tt.pattern_trip_offsets[pattern]) * n_pos
            entry = -1 - board if board < 0 else -1
            board_pos = ws.link_entries[entry, E_TO_POS] if entry >= 0 else board
            seated = entry >= 0 and ws.link_entries[entry, E_SEATED] == 1
            board_stop = tt.pattern_stops[stop_lo + board_pos]
            t_dep = tt.departures[times + board_pos]
            if n == legs.shape[0]:
                return LEGS_FULL
            _put_leg(legs, n, KIND_TRIP, board_stop, tt.pattern_stops[stop_lo + alight], trip, board_pos, alight,
                     t_dep, tt.arrivals[times + alight], 1 if seated else 0)
            n += 1
            stop = board_stop
            if entry < 0:
                break
            # the trip the link left, where it left it
            trip = ws.link_entries[entry, E_FROM_TRIP]
            board = ws.link_entries[entry, E_FROM_BOARD]
            alight = ws.link_entries[entry, E_FROM_POS]
            pattern = tt.trip_pattern[trip]
            stop_lo = tt.pattern_stop_offsets[pattern]
            left_stop = tt.pattern_stops[stop_lo + alight]
            k -= 1  # the trip left was ridden a round before
            if not seated:
                if left_stop != board_stop:
                    n_pos = tt.pattern_stop_offsets[pattern + 1] - stop_lo
                    t_left = tt.arrivals[tt.pattern_time_offsets[pattern]
                                         + (trip - tt.pattern_trip_offsets[pattern]) * n_pos + alight]
                    walk = footpath_duration(tt, left_stop, board_stop, walk_extra_ms)
                    if n == legs.shape[0]:
                        return LEGS_FULL
                    _put_leg(legs, n, KIND_WALK, left_stop, board_stop, -1, -1, -1, t_left,
                             t_left + max(walk, 0), 0)
                    n += 1
            stop = left_stop
        # the label, with fewer trips, that was ready at the boarding stop in time
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


@njit(cache=True, nogil=True, _nrt=False)
def plan(tt, ws, q):
    """`raptor`, then the legs of every journey of its Pareto set, in one call from Python.

    Journey j took ws.journey_rounds[j] trips and its legs end at row ws.journey_ends[j] of
    ws.legs (they start where journey j - 1's end). Returns the number of journeys, -k when
    the journey of round k cannot be rebuilt (a bug), or PLAN_ENTRIES_FULL / PLAN_LEGS_FULL
    when ws.link_entries / ws.legs had too few rows (Router.plan runs it again with more).
    """
    raptor(tt, ws, q)
    return _rebuild(tt, ws, q, ws.target_arr[:0])


@njit(cache=True, nogil=True, _nrt=False)
def _rebuild(tt, ws, q, before):
    """The legs of the journey of every round that reached the destination (that improved on
    `before`, the target times of the later departures of a range query, when given), into
    ws.legs and ws.journey_*; the number of journeys, or `plan`'s error codes."""
    if ws.state[ENTRIES_FULL]:
        return PLAN_ENTRIES_FULL
    n_journeys = 0
    row = 0
    for k in range(1, ws.state[ROUNDS_USED] + 1):
        if ws.target_arr[k] == UNREACHED or (before.shape[0] and ws.target_arr[k] >= before[k]):
            continue
        n = reconstruct(tt, ws, k, q.slack, q.walk_extra_ms, ws.legs[row:])
        if n == LEGS_FULL:
            return PLAN_LEGS_FULL
        if n <= 0:
            return -k
        row += n
        ws.journey_rounds[n_journeys] = k
        ws.journey_ends[n_journeys] = row
        n_journeys += 1
    return n_journeys


@njit(cache=True, nogil=True, _nrt=False)
def plan_fields(tt, ws, origin_stops, origin_ready, target_stops, target_egress, max_rounds, slack, max_walk_m,
                walk_extra_ms, mode_mask, access_mask, stop_mask):
    """`plan` with the Query's fields as arguments, in Query's order (Router.plan calls
    plan_fields(tt, ws, *query)): a Query built in Python costs numba 3-4 us of typing per
    call, one built here nothing."""
    return plan(tt, ws, Query(origin_stops, origin_ready, target_stops, target_egress, max_rounds, slack, max_walk_m,
                              walk_extra_ms, mode_mask, access_mask, stop_mask))


@njit(cache=True, nogil=True, _nrt=False)
def range_step_fields(tt, ws, origin_stops, origin_ready, target_stops, target_egress, max_rounds, slack, max_walk_m,
                      walk_extra_ms, mode_mask, access_mask, stop_mask, log, log_offsets, before):
    """One departure of a range query (the latest first, after `clear`): `range_begin`, round 0
    at these origin times, the rounds, then the journeys of the rounds whose target time
    improved on the later departures' (`before`, a scratch array of rounds + 1). Returns as
    `plan`."""
    q = Query(origin_stops, origin_ready, target_stops, target_egress, max_rounds, slack, max_walk_m, walk_extra_ms,
              mode_mask, access_mask, stop_mask)
    range_begin(ws, log, log_offsets)
    for k in range(before.shape[0]):
        before[k] = ws.target_arr[k]
    initialise(ws, q)
    run_rounds(tt, ws, q, log, log_offsets)
    return _rebuild(tt, ws, q, before)


@njit(cache=True, nogil=True, _nrt=False)
def range_fields(tt, ws, origin_stops, origin_ready, target_stops, target_egress, max_rounds, slack, max_walk_m,
                 walk_extra_ms, mode_mask, access_mask, stop_mask, log, log_offsets, before, times, access_s,
                 out_legs, out_ends, out_arrivals):
    """Every departure of a range query (`times`, latest first, after `clear`), each as
    range_step_fields with the origins ready at access_s + its time, the journeys each finds
    appended to out_legs (their legs), out_ends (where each journey's legs end) and
    out_arrivals (its destination time). One call for the whole window: a call per
    departure let go of the GIL and took it back each time, and under load the routing
    thread then waited for the others to hand it over (router/README.md, Range queries).
    Returns the number of journeys, range_step_fields's error codes, or RANGE_OUT_FULL when
    an output array had too few rows (Router.plan_range runs it again with more)."""
    n_out = 0
    row = 0
    for d in range(times.shape[0]):
        for i in range(origin_ready.shape[0]):
            origin_ready[i] = access_s[i] + times[d]
        n = range_step_fields(tt, ws, origin_stops, origin_ready, target_stops, target_egress, max_rounds, slack,
                              max_walk_m, walk_extra_ms, mode_mask, access_mask, stop_mask, log, log_offsets, before)
        if n < 0:
            return n
        if n > 0 and (n_out + n > out_ends.shape[0] or row + ws.journey_ends[n - 1] > out_legs.shape[0]):
            return RANGE_OUT_FULL
        start = 0
        for j in range(n):
            for r in range(start, ws.journey_ends[j]):
                for c in range(out_legs.shape[1]):
                    out_legs[row, c] = ws.legs[r, c]
                row += 1
            start = ws.journey_ends[j]
            out_ends[n_out] = row
            out_arrivals[n_out] = ws.target_arr[ws.journey_rounds[j]]
            n_out += 1
    return n_out


@njit(cache=True)  # holding the GIL: a few us (router/README.md, The GIL)
def departure_times(tt, stops, access_s, t_first, t_last, mode_mask):
    """The distinct times, latest first, at which leaving the origin catches a trip at one of
    `stops` (reached access_s[i] seconds after leaving): the departures of a range query from
    t_first to t_last. Trips of modes outside mode_mask, and positions where boarding is
    not allowed, give none."""
    n = 0
    for i in range(stops.shape[0]):
        stop = stops[i]
        for e in range(tt.stop_pattern_offsets[stop], tt.stop_pattern_offsets[stop + 1]):
            n += tt.pattern_trip_offsets[tt.stop_patterns[e] + 1] - tt.pattern_trip_offsets[tt.stop_patterns[e]]
    out = np.empty(n, np.int32)
    n = 0
    for i in range(stops.shape[0]):
        stop = stops[i]
        for e in range(tt.stop_pattern_offsets[stop], tt.stop_pattern_offsets[stop + 1]):
            pattern = tt.stop_patterns[e]
            pos = tt.stop_pattern_positions[e]
            stop_lo = tt.pattern_stop_offsets[pattern]
            if not tt.pattern_stop_rules[stop_lo + pos] & CAN_BOARD:
                continue
            if not (mode_mask >> (tt.pattern_mode[pattern] & MODE_BITS)) & 1:
                continue
            n_pos = tt.pattern_stop_offsets[pattern + 1] - stop_lo
            base = tt.pattern_time_offsets[pattern] + pos
            for j in range(tt.pattern_trip_offsets[pattern + 1] - tt.pattern_trip_offsets[pattern]):
                t = tt.departures[base + j * n_pos] - access_s[i]
                if t_first <= t <= t_last:
                    out[n] = t
                    n += 1
    return np.unique(out[:n])[::-1].copy()
