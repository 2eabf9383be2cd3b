"""Where each stop of a trip lies on its shapes.txt line, to draw the ridden part of a leg.

Each stop of a pattern is matched, in order, to the nearest shape point not before the
previous stop's, so loops and returns keep their order. The match depends only on the
(shape, pattern) pair, so it is computed once per pair and kept.

A leg's line is its boarding stop, the shape's points between the two matches, and its
alighting stop, as Google's encoded polyline (precision 5). The format writes each point as
its difference from the one before, so the inner points of any leg are a slice of the
shape's own encoding, kept per shape (`_ShapeCode`): a leg costs a slice and the encoding
of its three other differences, where encoding every leg's points with `polyline` was 65 %
of turning a plan into JSON (1.65 ms a plan on helsinki). `path` and `polyline.encode` stay
the reference the tests compare with.
"""

from __future__ import annotations

import math
import threading
from typing import NamedTuple

import numpy as np
import polyline
from numba import njit

N_CACHED_SHAPES = 1 << 14  # shapes whose encoding is kept (dropped all at once past it)


class _ShapeCode(NamedTuple):
    text: str  # the encoding of the shape's points 1..n-1, each as its difference from the one before
    offsets: np.ndarray  # int64, n + 1: point k's characters are text[offsets[k]:offsets[k + 1]] (point 0: none)
    lat_e5: np.ndarray  # int64: the points rounded as the format rounds them (degrees x 1e5)
    lon_e5: np.ndarray


def _e5(degrees: float) -> int:
    """Degrees x 1e5 rounded half away from zero, as the polyline format (and library) does."""
    x = degrees * 1e5
    return int(math.copysign(math.floor(math.fabs(x) + 0.5), x))


def _chars(value: int) -> str:
    """One signed difference in the format's 5-bit chunks."""
    value = ~(value << 1) if value < 0 else value << 1
    out = []
    while value >= 0x20:
        out.append(chr((0x20 | (value & 0x1F)) + 63))
        value >>= 5
    out.append(chr(value + 63))
    return "".join(out)


def encode_segment(a: tuple[float, float], b: tuple[float, float]) -> str:
    """polyline.encode([a, b], 5) of a straight walk's two (lat, lon) points, a few times
    faster than the library's general loop (a plan's JSON draws several such walks)."""
    a_lat, a_lon, b_lat, b_lon = _e5(a[0]), _e5(a[1]), _e5(b[0]), _e5(b[1])
    return _chars(a_lat) + _chars(a_lon) + _chars(b_lat - a_lat) + _chars(b_lon - a_lon)


@njit(cache=True)
def _encode_points(lat, lon):
    """(characters, offsets, rounded lat, rounded lon) of points 1..n-1 of a line, each the
    difference from the point before (_ShapeCode)."""
    n = lat.shape[0]
    lat_e5 = np.empty(n, np.int64)
    lon_e5 = np.empty(n, np.int64)
    for k in range(n):
        for src, dst in ((lat, lat_e5), (lon, lon_e5)):
            x = src[k] * 1e5
            dst[k] = np.int64(math.copysign(math.floor(math.fabs(x) + 0.5), x))
    out = np.empty(max(n - 1, 0) * 2 * 7, np.uint8)  # a difference takes 7 chunks at most
    offsets = np.zeros(n + 1, np.int64)
    m = 0
    for k in range(1, n):
        for d in (lat_e5[k] - lat_e5[k - 1], lon_e5[k] - lon_e5[k - 1]):
            v = ~(d << 1) if d < 0 else d << 1
            while v >= 0x20:
                out[m] = (0x20 | (v & 0x1F)) + 63
                m += 1
                v >>= 5
            out[m] = v + 63
            m += 1
        offsets[k + 1] = m
    return out[:m], offsets, lat_e5, lon_e5


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
        self._codes: dict[int, _ShapeCode] = {}

    def encoded(self, trip: int, board: int, alight: int) -> tuple[str, int]:
        """The ridden line as an encoded polyline (precision 5) and its number of points:
        the same as polyline.encode(self.path(...)), from the shape's kept encoding."""
        shape, pattern = int(self.net.trip_shape[trip]), int(self.net.trip_pattern[trip])
        match = self._match(shape, pattern) if shape >= 0 else None
        if match is None:
            points = self.path(shape, pattern, board, alight)
            return polyline.encode(points, 5), len(points)
        code = self._code(shape)
        net = self.net
        stop_lo = int(net.pattern_stop_offsets[pattern])
        a, b = int(net.pattern_stops[stop_lo + board]), int(net.pattern_stops[stop_lo + alight])
        a_lat, a_lon = _e5(float(net.stop_lat[a])), _e5(float(net.stop_lon[a]))
        b_lat, b_lon = _e5(float(net.stop_lat[b])), _e5(float(net.stop_lon[b]))
        first, last = int(match[board]), int(match[alight])
        text = "".join((
            _chars(a_lat), _chars(a_lon),
            _chars(int(code.lat_e5[first]) - a_lat), _chars(int(code.lon_e5[first]) - a_lon),
            code.text[code.offsets[first + 1]:code.offsets[last + 1]],
            _chars(b_lat - int(code.lat_e5[last])), _chars(b_lon - int(code.lon_e5[last])),
        ))
        return text, last - first + 3

    def _code(self, shape: int) -> _ShapeCode:
        code = self._codes.get(shape)
        if code is None:
            chars, offsets, lat_e5, lon_e5 = _encode_points(*self._points(shape))
            code = _ShapeCode(chars.tobytes().decode("ascii"), offsets, lat_e5, lon_e5)
            with self._lock:
                if len(self._codes) >= N_CACHED_SHAPES:
                    self._codes.clear()
                self._codes[shape] = code
        return code

    def _match(self, shape: int, pattern: int) -> np.ndarray | None:
        """Shape point of each stop of the pattern (kept per pair); None for a shape of fewer
        than two points."""
        key = (shape, pattern)
        match = self._matches.get(key)
        if match is None:
            lat, lon = self._points(shape)
            if len(lat) < 2:
                return None
            net = self.net
            stops = net.pattern_stops[net.pattern_stop_offsets[pattern]:net.pattern_stop_offsets[pattern + 1]]
            match = _match(np.asarray(net.stop_lat)[stops], np.asarray(net.stop_lon)[stops], lat, lon)
            with self._lock:
                self._matches[key] = match
        return match

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
        match = self._match(shape, pattern)
        if match is None:
            return list(zip(stop_lat[board:alight + 1].tolist(), stop_lon[board:alight + 1].tolist()))
        lat, lon = self._points(shape)
        first, last = int(match[board]), int(match[alight])
        inner = list(zip(lat[first:last + 1].tolist(), lon[first:last + 1].tolist()))
        return [ends[0]] + inner + [ends[1]]
