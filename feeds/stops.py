"""Stops as travellers look for them: by name (typo-tolerant), the routes serving them, and
their next departures.

Built lazily from a CompiledNetwork (names) and a day view (departures), so the service
starts without paying for an index nobody asked for.
"""

from __future__ import annotations

import unicodedata

import numpy as np
from rapidfuzz import fuzz, process

from router.timetable import CAN_BOARD


def fold(text: str) -> str:
    """Lower case without accents or punctuation runs: 'Sörnäinen (M)' -> 'sornainen m'."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join("".join(c if c.isalnum() else " " for c in plain).split())


class StopNames:
    """Fuzzy search over stop names; stations and stops alike, platforms of a station folded."""

    def __init__(self, net):
        self.names = [fold(str(n)) for n in net.stop_name]

    def search(self, query: str, limit: int) -> list[tuple[int, float]]:
        """(stop, score 0..100) best first; exact and prefix matches outrank fuzzy ones."""
        q = fold(query)
        if not q:
            return []
        hits = process.extract(q, self.names, scorer=fuzz.WRatio, limit=max(limit * 8, 50), score_cutoff=60)
        ranked = []
        for _, score, stop in hits:
            name = self.names[stop]
            bonus = 30 if name == q else 15 if name.startswith(q) else 5 if q in name else 0
            ranked.append((stop, min(100.0, score * 0.7 + bonus)))
        ranked.sort(key=lambda x: (-x[1], len(self.names[x[0]]), x[0]))
        return ranked[:limit]


def routes_by_stop(net) -> list[list[int]]:
    """Stop -> sorted route indices of the patterns calling there (platforms lend theirs to stations)."""
    offsets = np.asarray(net.pattern_stop_offsets)
    pattern_of_position = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    route = np.asarray(net.pattern_route)[pattern_of_position]
    stops = np.asarray(net.pattern_stops)
    pairs = np.unique(np.c_[stops, route], axis=0)
    out: list[set[int]] = [set() for _ in range(len(net.stop_id))]
    for stop, r in pairs:
        out[int(stop)].add(int(r))
    parent = np.asarray(net.stop_parent)
    for child in np.flatnonzero(parent >= 0):
        out[int(parent[child])] |= out[int(child)]
    return [sorted(s) for s in out]


def departures(tt, stops: list[int], t_from: int, limit: int) -> list[tuple[int, int, int, int]]:
    """Next boardings at any of `stops` from t_from on: (departure, view trip, stop, position), sorted."""
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
