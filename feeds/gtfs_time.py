"""GTFS stop times: parsing "H:MM:SS" strings and filling the times GTFS leaves empty.

Times are int32 seconds since "noon minus 12 h" of the service day, as GTFS defines them, so
they may exceed 24 h (86:00:00 = 309600). -1 marks a missing time. Everything is vectorised:
no Python loop runs per value.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

MISSING = -1
# One to three hour digits (7:05:00, 30:00:00, 120:00:00); minutes and seconds 00-59.
_TIME = r"^(?P<h>\d{1,3}):(?P<m>[0-5]\d):(?P<s>[0-5]\d)$"


def parse_times(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Parse GTFS times (strings, whitespace already trimmed).

    Returns (seconds, ok): seconds is int32 with -1 where the value is not a valid time
    (empty strings included); ok is a bool array, False where the value is not a valid time.
    """
    parts = pc.extract_regex(values, _TIME)  # null where the pattern does not match
    ok = pc.is_valid(parts).to_numpy(zero_copy_only=False)
    seconds = np.zeros(len(values), dtype=np.int64)
    for field, unit in (("h", 3600), ("m", 60), ("s", 1)):
        part = pc.fill_null(pc.cast(pc.struct_field(parts, field), pa.int64()), 0)
        seconds += part.to_numpy(zero_copy_only=False) * unit
    return np.where(ok, seconds, MISSING).astype(np.int32), ok


def interpolate(arrival: np.ndarray, departure: np.ndarray, dist: np.ndarray) -> int:
    """Fill the missing (-1) stop times in place; returns the number of rows filled.

    arrival and departure are int32 seconds (-1 = missing), dist is float64 shape_dist_traveled
    (NaN = missing). Rows must be sorted by trip then stop_sequence, the first and last rows of
    every trip must be timed, and a row has either both times or none. A missing row gets
    arrival = departure = floor(t0 + f * (t1 - t0)), where t0 is the departure at the previous
    timed row, t1 the arrival at the next timed row and f the fraction of the way between them:
    by shape_dist_traveled when every row of the gap has a distance and the distances do not
    decrease, else evenly by stop position. f never decreases along a gap, so the filled times
    never decrease when t0 <= t1.
    """
    n = len(arrival)
    timed = arrival >= 0
    missing = np.flatnonzero(~timed)
    if missing.size == 0:
        return 0
    rows = np.arange(n)
    # Previous / next timed row: a running max / min of the timed row numbers. First and
    # last rows of every trip are timed, so the fill never crosses a trip boundary.
    prev = np.maximum.accumulate(np.where(timed, rows, -1))[missing]
    nxt = np.minimum.accumulate(np.where(timed, rows, n)[::-1])[::-1][missing]
    # Fraction of the way as numerator / denominator, multiplied before dividing so that
    # round values stay exact (1/3 of 600 s is 200 s, not 199.99...).
    num, den = (missing - prev).astype(np.float64), (nxt - prev).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        d_num, d_den = dist[missing] - dist[prev], dist[nxt] - dist[prev]
        usable = (d_num >= 0) & (d_num <= d_den) & (d_den > 0) & (dist[missing] >= dist[missing - 1])
    gap_unusable = np.zeros(n, dtype=bool)
    gap_unusable[prev[~usable]] = True  # a gap is identified by its previous timed row
    by_dist = ~gap_unusable[prev]
    num[by_dist], den[by_dist] = d_num[by_dist], d_den[by_dist]
    t0 = departure[prev].astype(np.float64)
    t1 = arrival[nxt].astype(np.float64)
    filled = np.floor(t0 + num * (t1 - t0) / den).astype(np.int32)
    arrival[missing] = filled
    departure[missing] = filled
    return int(missing.size)
