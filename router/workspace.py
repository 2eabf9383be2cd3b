"""The per-query scratch state of the kernels, and the slots of its arrays.

A `Workspace` is allocated once per thread and timetable and reused by every query of that
thread: between queries, `_kernels.reset` clears only the entries the last query touched.
The integer constants name the columns and slots the kernels read and write; they live here,
beside the arrays they index, so that a new phase finds every field in one place.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .timetable import UNREACHED, Timetable

# Workspace.counters slots: the work the API bills
N_ROUNDS, N_PATTERNS_SCANNED, N_TRIPS_EXAMINED, N_STOPS_IMPROVED = 0, 1, 2, 3
N_COUNTERS = 4
# Workspace.state slots: list lengths, the rounds used, the best destination time so far, the
# link entries used, where the entries of the previous round begin, 1 when link_entries was full
N_TOUCHED, ROUNDS_USED, N_IMPROVED, N_MARKED, N_LOGGED, BEST_TARGET = 0, 1, 2, 3, 4, 5
N_ENTRIES, ENTRY_CURSOR, ENTRIES_FULL, N_RIDES = 6, 7, 8, 9
N_STATE = 10
# columns of Workspace.stop_state
# (S_LOWER_BOUND: the stop's lower bound to the destination, bounds.py; 0 when not pruning;
# S_FLAGS: the bits F_MARKED, F_IMPROVED and F_TOUCHED)
S_BEST_ARR, S_BEST_READY, S_READY_PREV, S_READY_ROUND, S_EGRESS, S_FLAGS, S_LOWER_BOUND = range(7)
N_STOP_FIELDS = 8  # a 32-byte row (one column spare): a stop's state never straddles two cache lines
F_MARKED, F_IMPROVED, F_TOUCHED = 1, 2, 4
# columns of Workspace.trip_label and Workspace.walk_label
T_ARR, T_TRIP, T_BOARD, T_ALIGHT = 0, 1, 2, 3
W_READY, W_FROM = 0, 1
# how the destination was reached in a round, Workspace.target_kind
BY_TRIP, BY_WALK = 1, 2
# columns of Workspace.link_entries
E_TO_TRIP, E_TO_POS, E_FROM_TRIP, E_FROM_BOARD, E_FROM_POS, E_ROUND, E_SEATED = range(7)
N_ENTRY_FIELDS = 7
MIN_ENTRIES = 1024  # Workspace.link_entries rows of a new workspace on a timetable with links
# columns of a rebuilt leg, Workspace.legs; LEG_INTERLINE is 1 for a trip the traveller
# stays seated on from the leg before
LEG_KIND, LEG_FROM, LEG_TO, LEG_TRIP, LEG_BOARD_POS, LEG_ALIGHT_POS, LEG_DEP, LEG_ARR, LEG_INTERLINE = range(9)
N_LEG_FIELDS = 9
KIND_TRIP, KIND_WALK = 0, 1


class Workspace(NamedTuple):
    """Per-query scratch state; every array is modified in place by the kernels."""

    # Stop -> what one stop visit reads, together (columns S_*): earliest arrival by a trip
    # so far, earliest time a trip may be boarded there, that time as of the previous round
    # and the round that set it (-1: none), seconds from the stop to the destination (-1:
    # not a target), the marked / improved / touched flag bits and the lower bound
    stop_state: np.ndarray  # int32 (n_stops, N_STOP_FIELDS)
    # (round, stop) -> arrival by a trip that improved in that round, the view trip, the
    # pattern positions where it was boarded and left (columns T_*): one 16-byte label, and
    # one round's labels close together
    trip_label: np.ndarray  # int32 (rounds, n_stops, 4)
    # (round, stop) -> ready time after a footpath from that round's trip (round 0: the
    # origins), and the stop the footpath came from (columns W_*)
    walk_label: np.ndarray  # int32 (rounds, n_stops, 2)
    # Entry i -> a label set this query, (round * n_stops + stop) * 2 + (0 trip, 1 walk),
    # so that reset clears only those
    label_log: np.ndarray  # int32 (2 * rounds * n_stops,)
    # Stop -> for an origin, its round-0 ready time at the previous departure of a range query
    # (a later one), UNREACHED for none: round 1 queues the origin's patterns only where a
    # trip leaves between the two ready times (_queue_patterns)
    origin_before: np.ndarray  # int32 (n_stops,)
    # Entry i -> a stop marked for the next round (its first state[N_MARKED] entries)
    marked_list: np.ndarray  # int32 (n_stops,)
    # Entry i -> a stop whose trip arrival improved this round (state[N_IMPROVED] entries)
    improved_list: np.ndarray  # int32 (n_stops,)
    # Entry i -> a stop whose stop_state this query changed (state[N_TOUCHED] entries)
    touched_list: np.ndarray  # int32 (n_stops,)
    # Pattern -> first position to scan this round, -1 when the pattern is not queued
    queue_pos: np.ndarray  # int32 (n_patterns,)
    # Pattern -> last position marked for this round
    queue_last: np.ndarray  # int32 (n_patterns,)
    # Entry i -> a pattern queued this round
    queue: np.ndarray  # int32 (n_patterns,)
    # Round -> destination time when that round improved on fewer trips, else UNREACHED
    target_arr: np.ndarray  # int32 (rounds,)
    # Round -> the destination stop it reached
    target_stop: np.ndarray  # int32 (rounds,)
    # Round -> the stop the final footpath left from, when target_kind is BY_WALK
    target_from: np.ndarray  # int32 (rounds,)
    # Round -> BY_TRIP or BY_WALK, 0 when the round did not improve
    target_kind: np.ndarray  # int8 (rounds,)
    # Slot -> list lengths and query state (N_TOUCHED ... BEST_TARGET)
    state: np.ndarray  # int64 (N_STATE,)
    # Slot -> work done this query (N_ROUNDS ... N_STOPS_IMPROVED)
    counters: np.ndarray  # int64 (N_COUNTERS,)
    # Entry i -> a trip entered by a link this query (columns E_*): the view trip and position,
    # the trip left for it, how that one was boarded (a position, or -1 - its own entry), the
    # position it was left at, the round of the ride and 1 when seated. Its last rows, from
    # the bottom up, log this round's rides of trips with links (view trip, where boarded,
    # last position ridden) until their links are entered (state[N_RIDES] rows). A query that
    # fills it sets state[ENTRIES_FULL] and is run again with more rows (Router.plan)
    link_entries: np.ndarray  # int32 (capacity, N_ENTRY_FIELDS)
    # Row -> a rebuilt leg (columns LEG_*), journeys in turn, each in travel order
    # (2 k rows for the journey of round k, more with links; a plan that fills it is run
    # again with more rows)
    legs: np.ndarray  # int32 (rows, N_LEG_FIELDS)
    # Journey -> its number of trips
    journey_rounds: np.ndarray  # int32 (rounds,)
    # Journey -> the row of `legs` where its legs end (they start where the previous end)
    journey_ends: np.ndarray  # int32 (rounds,)


def new_workspace(tt: Timetable, max_rounds: int, n_entries: int | None = None, n_legs: int | None = None) -> Workspace:
    """A cleared workspace for queries of up to max_rounds trips on `tt`, with room for
    n_entries link entries and n_legs rebuilt legs (defaults by the timetable's size)."""
    n_stops, n_patterns = tt.n_stops, tt.n_patterns
    rounds = max_rounds + 1

    trip_label = np.full((rounds, n_stops, 4), -1, dtype=np.int32)
    trip_label[:, :, T_ARR] = UNREACHED
    walk_label = np.full((rounds, n_stops, 2), -1, dtype=np.int32)
    walk_label[:, :, W_READY] = UNREACHED
    stop_state = np.zeros((n_stops, N_STOP_FIELDS), dtype=np.int32)
    stop_state[:, [S_BEST_ARR, S_BEST_READY, S_READY_PREV]] = UNREACHED
    stop_state[:, [S_READY_ROUND, S_EGRESS]] = -1
    state = np.zeros(N_STATE, np.int64)
    state[BEST_TARGET] = UNREACHED
    return Workspace(
        stop_state=stop_state,
        trip_label=trip_label,
        walk_label=walk_label,
        label_log=np.zeros(2 * rounds * n_stops, np.int32),
        origin_before=np.full(n_stops, UNREACHED, np.int32),
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
        state=state,
        counters=np.zeros(N_COUNTERS, np.int64),
        link_entries=np.zeros((n_entries if n_entries is not None else (MIN_ENTRIES if len(tt.trip_links) else 1),
                                N_ENTRY_FIELDS), np.int32),
        legs=np.zeros((n_legs or rounds * (rounds - 1) + 2, N_LEG_FIELDS), np.int32),
        journey_rounds=np.zeros(rounds, np.int32),
        journey_ends=np.zeros(rounds, np.int32),
    )
