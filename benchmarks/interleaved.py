"""Trajet and ferrobus in one process, query by query: python -m benchmarks.interleaved.

    python -m benchmarks.interleaved --feed hart-tampa [--queries 200] [--passes 6] [--date D]

Both planners answer the same seeded earliest-arrival queries (benchmarks.compare's, on its
common ground: no generated walking, no slack, transfers.txt's links and change times), one
query at a time and alternating: in each pass every query is asked of one planner then of
the other, and the order is swapped from one pass to the next. So the machine's drift (1.5x
within minutes here) falls on both alike. Each query's time is its median over the passes;
the report gives the median, p90 and p99 of those, the median of the per-query ratios
Trajet / ferrobus, the ratio of each pass's medians, and how many arrivals agree.

ferrobus (a Rust module from PyPI, in the bench extra) is fed by the adapter of
benchmarks/peers/ferrobus_driver.py, whose header lists where its model differs; Trajet is
called as its driver calls it (Router.plan, the Pareto set over arrival and trips).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from trajet.service.network import Network

from .compare import DATES, SHARED, agreement, timed_links
from .load import seeded_stop_pairs
from .peers.trajet_driver import COMMON_GROUND


def trajet_planner(network: Network, date: dt.date):
    """earliest(q) for Trajet: the earliest arrival of Router.plan, seconds after midnight."""
    view = network.day(date)
    midnight = network.local_seconds(date, 0) - view.origin
    router = view.router
    index = {str(s): i for i, s in enumerate(network.net.stop_id)}

    def earliest(q: dict) -> int | None:
        result = router.plan([(index[q["from"]], midnight + q["time"])], [(index[q["to"]], 0)], COMMON_GROUND)
        return min(result.arrivals) - midnight if result.arrivals else None

    return earliest


def interleave(planners: dict, queries: list[dict], passes: int) -> tuple[dict, dict]:
    """Seconds per planner, pass and query ({name: array (passes, queries)}) and each
    planner's arrivals (from the first pass); the order of the planners swaps every pass."""
    names = list(planners)
    seconds = {name: np.zeros((passes, len(queries))) for name in names}
    arrivals = {name: [] for name in names}
    clock = time.perf_counter
    for p in range(passes):
        order = names if p % 2 == 0 else names[::-1]
        for i, q in enumerate(queries):
            for name in order:
                started = clock()
                arrival = planners[name](q)
                seconds[name][p, i] = clock() - started
                if p == 0:
                    arrivals[name].append(arrival)
    return seconds, arrivals


def report(seconds: dict, arrivals: dict, reference: str = "trajet") -> dict:
    """Per planner: median, p90, p99 (ms) of each query's median over the passes; and for the
    others against `reference`: the median per-query ratio, each pass's ratio of medians and
    the agreement of arrivals."""
    out = {}
    per_query = {name: np.median(s, axis=0) for name, s in seconds.items()}
    for name, ms in ((n, q * 1000) for n, q in per_query.items()):
        out[name] = {"median_ms": float(np.median(ms)), "p90_ms": float(np.percentile(ms, 90)),
                     "p99_ms": float(np.percentile(ms, 99))}
    for name in seconds:
        if name == reference:
            continue
        mine, theirs = seconds[reference], seconds[name]
        out[name]["trajet_over_peer"] = {
            "median_of_query_ratios": float(np.median(per_query[reference] / per_query[name])),
            "pass_median_ratios": [float(np.median(a) / np.median(b)) for a, b in zip(mine, theirs)],
            "p90_ratio": out[reference]["p90_ms"] / out[name]["p90_ms"],
            "p99_ratio": out[reference]["p99_ms"] / out[name]["p99_ms"],
        }
        out[name]["agreement"] = agreement(arrivals[name], arrivals[reference])
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feed", action="append", default=None, help="a feed of ../shared/feeds; repeat to merge")
    parser.add_argument("--date", default=None)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--passes", type=int, default=6)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    args = parser.parse_args(argv)
    from .peers.ferrobus_driver import Model  # the bench extra's ferrobus and osmium

    names = args.feed or ["helsinki"]
    feeds = [SHARED / f"{name}.zip" for name in names]
    for feed in feeds:
        if not feed.exists():
            raise SystemExit(f"{feed} is absent: the comparison needs the real feeds of ../shared")
    date = dt.date.fromisoformat(args.date or DATES.get(names[0], ""))
    network = Network.open(feeds, cache_dir=os.environ.get("TRAJET_CACHE"))
    queries = [{"from": a, "to": b, "time": t} for a, b, t in seeded_stop_pairs(network, date, args.queries, args.seed)]
    print(f"{' + '.join(names)} on {date}: {len(queries)} seeded queries, {args.passes} passes, "
          f"{platform.machine()} {os.cpu_count()} cores; building ferrobus's model...", flush=True)
    ferrobus = Model([str(f) for f in feeds], date, queries, timed_links(network, date))
    planners = {"trajet": trajet_planner(network, date), "ferrobus": ferrobus.earliest}
    for q in queries[:20]:  # warm-up: JIT, caches
        for planner in planners.values():
            planner(q)
    seconds, arrivals = interleave(planners, queries, args.passes)
    figures = report(seconds, arrivals)
    for name, f in figures.items():
        line = f"{name:9s} median {f['median_ms']:7.3f} ms  p90 {f['p90_ms']:7.3f} ms  p99 {f['p99_ms']:7.3f} ms"
        if "trajet_over_peer" in f:
            r = f["trajet_over_peer"]
            line += (f"\n{'':9s} trajet / {name}: median of per-query ratios {r['median_of_query_ratios']:.2f}, "
                     f"p90 {r['p90_ratio']:.2f}, p99 {r['p99_ratio']:.2f}; per pass "
                     + " ".join(f"{x:.2f}" for x in r["pass_median_ratios"])
                     + f"\n{'':9s} same arrival {f['agreement']['same']}/{f['agreement']['n']} "
                     f"(earlier {f['agreement']['earlier']}, later {f['agreement']['later']})")
        print(line)
    if args.json:
        args.json.write_text(json.dumps({"feeds": names, "date": date.isoformat(), "passes": args.passes,
                                         "figures": figures}, indent=1))


if __name__ == "__main__":
    main()
