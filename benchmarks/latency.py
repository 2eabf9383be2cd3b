"""Median and p99 query latency per feed, on fixed seeded queries: python -m benchmarks.latency."""

from __future__ import annotations

import platform
import time

import numpy as np

from trajet.router.query import QueryOptions

from .conftest import open_network, seeded_queries
from .test_bench_query import CASES


def main(n: int = 500) -> None:
    print(f"machine: {platform.machine()}, {platform.processor() or platform.platform()}")
    for case, (names, date, walk, _) in CASES.items():
        started = time.perf_counter()
        network = open_network(*names)
        view, queries = seeded_queries(network, date, n)
        load_s = time.perf_counter() - started
        options = QueryOptions(max_transfer_walk_m=walk)
        router = view.router
        for a, b, t in queries[:20]:
            router.plan([(a, t)], [(b, 0)], options)
        times, found = [], 0
        for a, b, t in queries:
            t0 = time.perf_counter()
            found += bool(router.plan([(a, t)], [(b, 0)], options).journeys)
            times.append(time.perf_counter() - t0)
        ms = np.array(times) * 1000
        print(
            f"{case:12s} load+view {load_s:6.2f} s  timetable {view.router.tt.nbytes() / 1e6:6.1f} MB  "
            f"median {np.median(ms):6.2f} ms  p90 {np.percentile(ms, 90):6.2f} ms  "
            f"p99 {np.percentile(ms, 99):6.2f} ms  "
            f"answered {found}/{len(queries)}"
        )


if __name__ == "__main__":
    main()
