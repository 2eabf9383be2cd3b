"""Old build against new, query by query: python -m benchmarks.ab OLD_CHECKOUT [--case C] [--mode M].

Two worker processes, one per checkout (OLD_CHECKOUT with its own .venv, for instance a `git
worktree` of the commit before, and this one), load the same benchmark case and answer the same
seeded queries; the runner sends each query to one then the other, the order swapped every
query and pass, so that the machine's slow and fast minutes fall on both alike. Each worker
times its own call (`Router.plan`; with --mode range `Router.plan_range` over the hour from
the query's time; with --mode one-to-all `earliest_arrivals` with a 2 h bound) and returns a
hash of its answer: the report says how many answers were the same, the median and
percentiles of the per-query ratios new / old (each query's time is its median over the
passes), and each pass's ratio of medians.

Run against itself (OLD_CHECKOUT this checkout) it measures the harness: on the 2-core VM,
per-query ratios of 1.02 (New York region, 400 m) and 1.09 (nyc-subway, queries of 0.15 ms)
were seen, so a change is only told apart from noise beyond that.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parents[1]


def worker(case: str, n: int, mode: str) -> None:
    """Answer query indices read from stdin with 'seconds hash' lines (run in a checkout)."""
    from benchmarks.conftest import open_network, seeded_queries
    from benchmarks.test_bench_query import CASES
    from trajet.router.query import QueryOptions
    from trajet.router.reach import earliest_arrivals

    names, date, walk, _ = CASES[case]
    view, queries = seeded_queries(open_network(*names), date, n)
    router, options = view.router, QueryOptions(max_transfer_walk_m=walk)

    def answer(i: int) -> tuple[float, bytes]:
        a, b, t = queries[i]
        began = time.perf_counter()
        if mode == "one-to-all":
            arrival, trips, _ = earliest_arrivals(router, [(a, 0)], t, QueryOptions(), 7200)
            return time.perf_counter() - began, arrival.tobytes() + trips.tobytes()
        if mode == "range":
            result = router.plan_range([(a, 0)], t, t + 3600, [(b, 0)], options)
        else:
            result = router.plan([(a, t)], [(b, 0)], options)
        took = time.perf_counter() - began
        return took, repr([(leg.kind, leg.from_stop, leg.to_stop, leg.t_dep, leg.t_arr, leg.trip)
                           for journey in result.journeys for leg in journey.legs]).encode()

    for i in range(min(30, n)):
        answer(i)
    print("ready", flush=True)
    for line in sys.stdin:
        took, what = answer(int(line))
        print(took, hashlib.sha256(what).hexdigest()[:12], flush=True)


def start(checkout: Path, args, cache_suffix: str) -> subprocess.Popen:
    python = checkout / ".venv" / "bin" / "python"
    env = dict(os.environ, PYTHONPATH=str(checkout))
    if env.get("TRAJET_CACHE"):  # compiled networks apart: the two builds may compile them differently
        env["TRAJET_CACHE"] += cache_suffix
    process = subprocess.Popen([str(python), str(HERE / "benchmarks" / "ab.py"), "--worker", "--case", args.case,
                                "--queries", str(args.queries), "--mode", args.mode], cwd=checkout, env=env,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    if process.stdout.readline().strip() != "ready":
        raise SystemExit(f"error: the worker of {checkout} did not start (see its output above)")
    return process


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", nargs="?", type=Path, help="the old checkout, with its .venv")
    parser.add_argument("--case", default="ny-region-walk400", help="a case of benchmarks/test_bench_query.py")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--mode", choices=("plan", "range", "one-to-all"), default="plan")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.case, args.queries, args.mode)
    if args.old is None or not (args.old / ".venv" / "bin" / "python").exists():
        raise SystemExit("error: OLD_CHECKOUT must be a checkout with its own .venv (make .venv/.installed there)")
    workers = [start(args.old.resolve(), args, "-old"), start(HERE, args, "")]
    seconds = np.zeros((2, args.passes, args.queries))
    same = 0
    for p in range(args.passes):
        for i in range(args.queries):
            hashes = [None, None]
            for side in ((0, 1) if (i + p) % 2 == 0 else (1, 0)):
                workers[side].stdin.write(f"{i}\n")
                workers[side].stdin.flush()
                took, hashes[side] = workers[side].stdout.readline().split()
                seconds[side, p, i] = float(took)
            same += p == 0 and hashes[0] == hashes[1]
    for w in workers:
        w.stdin.close()
        w.wait()
    per_query = np.median(seconds, axis=1) * 1e3
    ratio = per_query[1] / per_query[0]
    print(f"{args.case} ({args.mode}): same answers {same}/{args.queries}; new / old per query: median "
          f"{np.median(ratio):.3f} (p10 {np.percentile(ratio, 10):.3f}, p90 {np.percentile(ratio, 90):.3f}); old "
          f"median {np.median(per_query[0]):.3f} ms, p99 {np.percentile(per_query[0], 99):.3f}; new median "
          f"{np.median(per_query[1]):.3f} ms, p99 {np.percentile(per_query[1], 99):.3f}; each pass "
          + " ".join(f"{np.median(seconds[1, p]) / np.median(seconds[0, p]):.3f}" for p in range(args.passes)))


if __name__ == "__main__":
    main()
