"""Query time and memory against network size: python -m benchmarks.scaling [--peers P,Q,...].

Over a series of real feeds, from a city to the New York region:
- Trajet alone, default options with and without 400 m of walking: median and p99
  earliest-arrival query time (200 seeded queries, after JIT warm-up) and the day view's
  size, against the number of stop times of the day view -> results/scaling.png;
- with --peers, every planner of benchmarks.compare on its common ground (100 seeded
  queries, 10 for the slow pyraptor; see benchmarks.compare), each in its own process:
  median query time and peak memory of those that can load each size
  -> results/scaling-peers.png.
The figures go to results/scaling.json and results/scaling-peers.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from pathlib import Path

import numpy as np

from trajet.router.query import QueryOptions

from .compare import SHARED, SLOW, compare, error_line
from .conftest import NY_DATE, NY_REGION, open_network, seeded_queries

SERIES = [
    ("helsinki", ("helsinki",), "2022-02-22"),
    ("hart-tampa", ("hart-tampa",), "2018-07-06"),
    ("nyc-subway", ("nyc-subway",), NY_DATE.isoformat()),
    ("New York region", NY_REGION, NY_DATE.isoformat()),
]
RESULTS = Path(__file__).resolve().parent / "results"


def measure(names, date: str, walk: int, n: int = 200) -> dict:
    network = open_network(*names)
    view, queries = seeded_queries(network, dt.date.fromisoformat(date), n)
    router, options = view.router, QueryOptions(max_transfer_walk_m=walk)
    for a, b, t in queries[:10]:
        router.plan([(a, t)], [(b, 0)], options)
    times = []
    for a, b, t in queries:
        started = time.perf_counter()
        router.plan([(a, t)], [(b, 0)], options)
        times.append(time.perf_counter() - started)
    ms = np.array(times) * 1000
    tt = router.tt
    return {"stop_times": int(len(tt.arrivals)), "stops": int(tt.n_stops), "day_view_mb": tt.nbytes() / 1e6,
            "median_ms": float(np.median(ms)), "p99_ms": float(np.percentile(ms, 99))}


def _log_axes(ax, xlabel: str, ylabel: str) -> None:
    from matplotlib.ticker import NullFormatter

    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, which="both", alpha=0.3)
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.yaxis.set_minor_formatter(NullFormatter())


def trajet_series(plt) -> dict:
    rows = {}
    for label, names, date in SERIES:
        for walk in (0, 400):
            rows[f"{label}, walk {walk} m"] = dict(measure(names, date, walk), network=label, walk=walk)
            print(f"{label:16s} walk {walk:3d} m: {rows[f'{label}, walk {walk} m']}")
    (RESULTS / "scaling.json").write_text(json.dumps(rows, indent=1))
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for walk, marker in ((0, "o"), (400, "s")):
        series = sorted((r for r in rows.values() if r["walk"] == walk), key=lambda r: r["stop_times"])
        x = [r["stop_times"] for r in series]
        left.plot(x, [r["median_ms"] for r in series], marker=marker, label=f"median, walk {walk} m")
        left.plot(x, [r["p99_ms"] for r in series], marker=marker, linestyle="--", label=f"p99, walk {walk} m")
    for r in (r for r in rows.values() if r["walk"] == 0):
        left.annotate(r["network"], (r["stop_times"], r["median_ms"]), fontsize=8, xytext=(4, -10),
                      textcoords="offset points")
    series = sorted((r for r in rows.values() if r["walk"] == 0), key=lambda r: r["stop_times"])
    right.plot([r["stop_times"] for r in series], [r["day_view_mb"] for r in series], marker="o")
    _log_axes(left, "stop times in the day view", "query time (ms)")
    _log_axes(right, "stop times in the day view", "day view in memory (MB)")
    left.legend(fontsize=8)
    fig.suptitle("Trajet: earliest-arrival query time and memory against network size (2-core VM)")
    fig.tight_layout()
    fig.savefig(RESULTS / "scaling.png", dpi=110)
    print(f"wrote {RESULTS / 'scaling.png'}")
    return rows


def peer_series(plt, peers: list[str], n: int, sizes: dict) -> None:
    """Every planner on each network of the series; a peer that fails or times out is left out
    of the plot and listed with its reason in the JSON. Rows of peers not run this time are
    kept from the last results/scaling-peers.json, so one peer can be measured again alone."""
    saved = RESULTS / "scaling-peers.json"
    kept = [r for r in (json.loads(saved.read_text()) if saved.exists() else []) if r.get("peer") not in peers]
    rows = []
    for label, names, date in SERIES:
        feeds = [SHARED / f"{name}.zip" for name in names]
        results = compare(feeds, dt.date.fromisoformat(date), n, 42, peers, {name: 10 for name in SLOW}, timeout_s=1800)
        reference = results.get("trajet", {}).get("arrivals")
        for name, result in results.items():
            row = {"network": label, "stop_times": sizes[label], "peer": name, "planner": result["planner"]}
            if "error" in result:
                row["error"] = error_line(result["error"])
            else:
                ms = np.array(result["seconds"]) * 1000
                row.update(load_s=result["load_s"], peak_rss_mb=result["max_rss_mb"], n_queries=len(ms),
                           median_ms=float(np.median(ms)), p99_ms=float(np.percentile(ms, 99)))
                if reference is not None and name != "trajet":
                    row["same_arrival"] = sum(a == b for a, b in zip(result["arrivals"], reference))
            rows.append(row)
            print(row)
    rows = sorted(kept + rows, key=lambda r: (r["stop_times"], r["peer"]))
    saved.write_text(json.dumps(rows, indent=1))
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.4))
    for planner in dict.fromkeys(r["planner"] for r in rows):
        done = sorted((r for r in rows if r["planner"] == planner and "error" not in r), key=lambda r: r["stop_times"])
        if done:
            x = [r["stop_times"] for r in done]
            left.plot(x, [r["median_ms"] for r in done], marker="o", label=planner)
            right.plot(x, [r["peak_rss_mb"] for r in done], marker="o", label=planner)
    _log_axes(left, "stop times in the day view", "median query time (ms)")
    _log_axes(right, "stop times in the day view", "peak memory of the process (MB)")
    left.legend(fontsize=8)
    fig.suptitle(f"Side by side, {n} seeded queries per network (pyraptor 10), earliest arrival, "
                 "no generated walking (2-core VM)")
    fig.tight_layout()
    fig.savefig(RESULTS / "scaling-peers.png", dpi=110)
    print(f"wrote {RESULTS / 'scaling-peers.png'}")


def main(argv=None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peers", default="", help="planners of benchmarks.compare to run on each network too")
    parser.add_argument("--queries", type=int, default=100, help="seeded queries per network for the peers")
    parser.add_argument("--peers-only", action="store_true", help="skip Trajet's own series (sizes from its last JSON)")
    args = parser.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    rows = json.loads((RESULTS / "scaling.json").read_text()) if args.peers_only else trajet_series(plt)
    if args.peers:
        sizes = {r["network"]: r["stop_times"] for r in rows.values()}
        peer_series(plt, args.peers.split(","), args.queries, sizes)


if __name__ == "__main__":
    main()
