"""Where each stop of a trip lies on its shapes.txt line, to draw the ridden part of a leg.

Each stop of a pattern is matched, in order, to the nearest shape point not before the
previous stop's, so loops and returns keep their order. The match depends only on the
(shape, pattern) pair, so it is computed once per pair and kept.
"""

from __future__ import annotations

import threading
from functools import lru_cache

import numpy as np
import polyline
from numba import njit

N_CACHED_GEOMETRIES = 1 << 16


@njit(cache=True)
def _match(stop_lat, stop_lon, lat, lon):
    """Shape point index of each stop (non-decreasing), degrees of longitude squashed."""
    squash = np.cos(np.radians(lat.mean()))
    out = np.empty(stop_lat.shape[0], np.int64)
    start = 0
    for s in range(stop_lat.shape[0]):
        best, best_d = start, np.inf
        for p in range(start, lat.shape[0]):
            d = (lat[p] - stop_lat[s]) ** 2 + ((lon[p] - stop_lon[s]) * squash) ** 2
            if d < best_d:
                best, best_d = p, d
        out[s] = best
        start = best
    return out


class ShapeCuts:
    """The ridden part of trips' shapes, with a cache of stop matches per (shape, pattern)."""

    def __init__(self, net):
        self.net = net
        self._matches: dict[tuple[int, int], np.ndarray] = {}
        self._lock = threading.Lock()
        self._encoded = lru_cache(maxsize=N_CACHED_GEOMETRIES)(self._encode)

    def encoded(self, trip: int, board: int, alight: int) -> tuple[str, int]:
        """The ridden line as an encoded polyline (precision 5) and its number of points.

        Kept per (shape, pattern, positions): encoding is the costly part of an answer, and
        popular legs repeat.
        """
        return self._encoded(int(self.net.trip_shape[trip]), int(self.net.trip_pattern[trip]), board, alight)

    def _encode(self, shape: int, pattern: int, board: int, alight: int) -> tuple[str, int]:
        points = self.path(shape, pattern, board, alight)
        return polyline.encode(points, 5), len(points)

    def _points(self, shape: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = int(self.net.shape_point_offsets[shape]), int(self.net.shape_point_offsets[shape + 1])
        return np.asarray(self.net.shape_lat[lo:hi], float), np.asarray(self.net.shape_lon[lo:hi], float)

    def path(self, shape: int, pattern: int, board: int, alight: int) -> list[tuple[float, float]]:
        """(lat, lon) of the line of `shape` (-1: none) ridden on a pattern between two positions."""
        net = self.net
        stops = net.pattern_stops[net.pattern_stop_offsets[pattern]:net.pattern_stop_offsets[pattern + 1]]
        stop_lat = np.asarray(net.stop_lat)[stops]
        stop_lon = np.asarray(net.stop_lon)[stops]
        ends = [(float(stop_lat[board]), float(stop_lon[board])), (float(stop_lat[alight]), float(stop_lon[alight]))]
        if shape < 0:
            return list(zip(stop_lat[board:alight + 1].tolist(), stop_lon[board:alight + 1].tolist()))
        lat, lon = self._points(shape)
        if len(lat) < 2:
            return list(zip(stop_lat[board:alight + 1].tolist(), stop_lon[board:alight + 1].tolist()))
        key = (shape, pattern)
        match = self._matches.get(key)
        if match is None:
            match = _match(stop_lat, stop_lon, lat, lon)
            with self._lock:
                self._matches[key] = match
        first, last = int(match[board]), int(match[alight])
        inner = list(zip(lat[first:last + 1].tolist(), lon[first:last + 1].tolist()))
        return [ends[0]] + inner + [ends[1]]
