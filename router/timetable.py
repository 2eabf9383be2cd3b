"""The routing view of a timetable: flat, read-only numpy arrays, nothing else.

A `Timetable` holds the trips that run around one service date (the "view date"): those
of that day, the trips of earlier service days still running on it, and those of the
next day. Every time is in integer seconds from the view's origin, the instant "noon
minus 12 h" of the view date in the feed's timezone (the GTFS start of a service day), so
trips of other days and DST days are exact. It is cut from the compiled network by the
service layer (service/dayview.py) and read by the kernels; routing never changes it.

Trips are grouped into route patterns: the same stop sequence with the same boarding and
alighting rules, and first-in-first-out (no trip of a pattern overtakes another), so that
the earliest trip at one stop is the earliest at every later stop.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

UNREACHED = np.int32(2**31 - 1)  # time sentinel: not reached
NO_CHANGE = np.int32(2**30)  # change time of a stop where changing is forbidden

# bits of Timetable.pattern_stop_rules
CAN_BOARD = np.uint8(1)
CAN_ALIGHT = np.uint8(2)
# (Timetable.pattern_stop_rules >> WHEELCHAIR_SHIFT) & 3: the wheelchair_boarding of the
# position's stop (0 unknown, 1 yes, 2 no), read by the kernel with the rules (Query.stop_mask)
WHEELCHAIR_SHIFT = 2
# Timetable.pattern_stop_rules >> ACCESS_SHIFT: the access class of the pattern's trips,
# 3 * wheelchair_accessible + bikes_allowed (each 0 unknown, 1 yes, 2 no), one of N_ACCESS
# (Query.access_mask); the same at every position of a pattern
ACCESS_SHIFT = 4
N_ACCESS = 9
# columns of Timetable.trip_links
L_FROM_POS, L_TO_TRIP, L_TO_POS, L_GAP = range(4)
N_LINK_FIELDS = 4
# Timetable.trip_links[:, L_GAP]: seconds from the arrival of the trip left to the departure of
# the trip entered, g >= 0 for a guaranteed change and -1 - g for a stay-seated continuation;
# REFUSED: a change from the trip to the other that transfers.txt forbids (type 3, or too
# short for its type 2 time), checked when the pattern is CONSTRAINED
REFUSED = np.int32(-2**31)
# bits of Timetable.pattern_mode: the mode family (MODE_BITS), and CONSTRAINED when a trip of
# the pattern may not be boarded after some trips (a REFUSED link to it)
MODE_BITS = np.int8(63)
CONSTRAINED = np.int8(64)

# bits of Timetable.footpath_flags
FEED_TIMED = np.uint8(1)


class Timetable(NamedTuple):
    # Pattern -> its stops: pattern_stops[pattern_stop_offsets[p]:pattern_stop_offsets[p + 1]]
    pattern_stop_offsets: np.ndarray  # int32, n_patterns + 1
    # Pattern position -> stop
    pattern_stops: np.ndarray  # int32
    # Pattern position -> CAN_BOARD | CAN_ALIGHT bits, then the stop's wheelchair boarding
    # (WHEELCHAIR_SHIFT) and the access class of the pattern's trips (ACCESS_SHIFT): carried
    # in the byte the kernel reads anyway, as each field more in this tuple costs every query
    # 1-2 % (router/README.md, Wheelchair and bikes)
    pattern_stop_rules: np.ndarray  # uint8
    # Pattern -> its trips, a contiguous range of view trips sorted by departure
    pattern_trip_offsets: np.ndarray  # int32, n_patterns + 1
    # Pattern -> start of its time block in arrivals/departures; the block is trip-major:
    # time of trip j (0-based in the pattern) at position i is block[j * n_positions + i],
    # so riding a trip reads contiguous memory (see router/README.md, Speed)
    pattern_time_offsets: np.ndarray  # int64, n_patterns + 1
    # (pattern, position, trip) -> arrival / departure, seconds from the view origin
    arrivals: np.ndarray  # int32
    departures: np.ndarray  # int32
    # Pattern -> mode family (index into the planner's list of mode families, MODE_BITS),
    # with the CONSTRAINED bit
    pattern_mode: np.ndarray  # int8
    # View trip -> its pattern (the inverse of pattern_trip_offsets)
    trip_pattern: np.ndarray  # int32
    # View trip -> the links from it to later trips, CSR: trip_links[trip_link_offsets[t]:
    # trip_link_offsets[t + 1]], sorted by the position they leave from
    trip_link_offsets: np.ndarray  # int32, n_trips + 1
    # Link -> (position of the trip it leaves, view trip it reaches, position there, gap):
    # columns L_*. A negative gap: the traveller stays on board (block_id, transfer_type 4);
    # else a guaranteed change (transfer_type 1, or 2 with its time) that holds even where
    # the stop's change time would not allow it (router/README.md, Links between trips)
    trip_links: np.ndarray  # int32 (n_links, N_LINK_FIELDS)
    # Stop -> (pattern, position) pairs calling there, CSR
    stop_pattern_offsets: np.ndarray  # int32, n_stops + 1
    stop_patterns: np.ndarray  # int32
    stop_pattern_positions: np.ndarray  # int32
    # Stop -> footpaths to other stops, CSR, each stop's shortest walk first
    footpath_offsets: np.ndarray  # int32, n_stops + 1
    footpath_to: np.ndarray  # int32, target stop
    footpath_duration: np.ndarray  # int32 seconds
    # Footpath -> metres walked (scaled by the query's walking speed, cut by its walking
    # limit); 0 for walks timed by the feed or a station's default
    footpath_walk_m: np.ndarray  # int32
    # Footpath -> FEED_TIMED bit: its time is the feed's, taken as given (no slack added)
    footpath_flags: np.ndarray  # uint8
    # Stop -> time needed to change trips there (transfers.txt); -1: use the query's slack;
    # NO_CHANGE: changing there is forbidden
    stop_change_time: np.ndarray  # int32

    @property
    def n_stops(self) -> int:
        return len(self.stop_pattern_offsets) - 1

    @property
    def n_patterns(self) -> int:
        return len(self.pattern_stop_offsets) - 1

    @property
    def n_trips(self) -> int:
        return len(self.trip_pattern)

    @property
    def pattern_access(self) -> np.ndarray:
        """Pattern -> the access class of its trips (from the rules of its first position)."""
        return self.pattern_stop_rules[self.pattern_stop_offsets[:-1]] >> ACCESS_SHIFT

    @property
    def pattern_family(self) -> np.ndarray:
        """Pattern -> its mode family (pattern_mode without the CONSTRAINED bit)."""
        return self.pattern_mode & MODE_BITS

    @property
    def position_wheelchair(self) -> np.ndarray:
        """Pattern position -> its stop's wheelchair_boarding (0 unknown, 1 yes, 2 no)."""
        return (self.pattern_stop_rules >> WHEELCHAIR_SHIFT) & 3

    def freeze(self) -> "Timetable":
        """Mark every array read-only (in place) and return self."""
        for a in self:
            a.flags.writeable = False
        return self

    def pattern_trip_times(self, pattern: int) -> tuple[np.ndarray, np.ndarray]:
        """Arrivals and departures of a pattern as (n_positions, n_trips) views."""
        n_pos = self.pattern_stop_offsets[pattern + 1] - self.pattern_stop_offsets[pattern]
        n_trips = self.pattern_trip_offsets[pattern + 1] - self.pattern_trip_offsets[pattern]
        lo, hi = self.pattern_time_offsets[pattern], self.pattern_time_offsets[pattern + 1]
        shape = (int(n_trips), int(n_pos))
        return self.arrivals[lo:hi].reshape(shape).T, self.departures[lo:hi].reshape(shape).T

    def trip_calls(self, trip: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Stops, arrivals and departures of a view trip, one per position of its pattern."""
        pattern = int(self.trip_pattern[trip])
        lo, hi = self.pattern_stop_offsets[pattern], self.pattern_stop_offsets[pattern + 1]
        n_pos = int(hi - lo)
        start = self.pattern_time_offsets[pattern] + (trip - self.pattern_trip_offsets[pattern]) * n_pos
        return self.pattern_stops[lo:hi], self.arrivals[start:start + n_pos], self.departures[start:start + n_pos]

    def nbytes(self) -> int:
        return int(sum(a.nbytes for a in self))
