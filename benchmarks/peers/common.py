"""What every planner driver shares: the query file, the result file, and timing.

A driver is a small program run in its own process (and, for peers from PyPI or npm, its
own environment) by benchmarks.compare: it loads a feed, answers every query of a JSON
query file, and writes a JSON result: load seconds, and per query the earliest arrival
(seconds after midnight of the query date, or null) and the seconds the query took.
"""

from __future__ import annotations

import json
import time
from pathlib import Path


def read_queries(path: str | Path) -> dict:
    """{"feed", "feeds", "date", "queries": [{"from", "to", "time"}, ...]}: the first feed and all of them
    (a driver also gets them as --feed arguments), times in seconds after midnight."""
    return json.loads(Path(path).read_text())


def peak_rss_mb() -> float | None:
    """This process's peak resident memory since it started its program (VmHWM; Linux).

    Not ru_maxrss: a child forked from a large runner inherits the runner's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def write_result(path: str | Path, planner: str, load_s: float, arrivals: list, seconds: list[float],
                 notes: str = "", window: int = 0) -> None:
    """arrivals: per query the earliest arrival (or null); for range queries (window > 0) the
    [departure, arrival] pairs of the journeys leaving in the window."""
    Path(path).write_text(json.dumps({"planner": planner, "load_s": load_s, "arrivals": arrivals,
                                      "seconds": seconds, "notes": notes, "peak_rss_mb": peak_rss_mb(),
                                      "window": window}))


def in_window_pareto(pairs, t_last: int) -> list[list[int]]:
    """(departure, arrival, transfers) journeys -> the [departure, arrival] of those leaving by
    t_last that no other of them beats (later or same departure, earlier or same arrival,
    no more transfers), once each: the common ground of range answers."""
    kept = {(d, a) for d, a, n in pairs
            if d <= t_last and not any((d2, a2, n2) != (d, a, n) and d2 >= d and a2 <= a and n2 <= n
                                       for d2, a2, n2 in pairs if d2 <= t_last)}
    return sorted([d, a] for d, a in kept)


def timed(fn, *args):
    started = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - started
