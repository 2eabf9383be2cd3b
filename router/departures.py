"""Departure boards: the next boardings at a set of stops, in time order."""

from __future__ import annotations

import numpy as np

from .timetable import CAN_BOARD, Timetable


def departures(tt: Timetable, stops: list[int], t_from: int, limit: int) -> list[tuple[int, int, int, int]]:
    """Next boardings at any of `stops` from t_from on: (departure, view trip, stop, position),
    sorted by departure then trip; at most `limit`."""
    found = []
    for stop in stops:
        for e in range(tt.stop_pattern_offsets[stop], tt.stop_pattern_offsets[stop + 1]):
            pattern, pos = int(tt.stop_patterns[e]), int(tt.stop_pattern_positions[e])
            if not tt.pattern_stop_rules[tt.pattern_stop_offsets[pattern] + pos] & CAN_BOARD:
                continue
            times = tt.pattern_trip_times(pattern)[1][pos]
            first = int(np.searchsorted(times, t_from, side="left"))  # FIFO: sorted at every stop
            trip_lo = int(tt.pattern_trip_offsets[pattern])
            for j in range(first, min(first + limit, len(times))):
                found.append((int(times[j]), trip_lo + j, stop, pos))
    found.sort()
    return found[:limit]
