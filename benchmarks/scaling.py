"""Query time and memory against network size: python -m benchmarks.scaling.

Over a series of real feeds, from a city to the New York region, Trajet's median and p99
earliest-arrival query time (200 seeded queries, after JIT warm-up) and its day view's
size, plotted against the number of stop times of the day view into
benchmarks/results/scaling.png, with the figures in benchmarks/results/scaling.json.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from router.planner import QueryOptions

from .conftest import NY_DATE, NY_REGION, open_network, seeded_queries

SERIES = [
    ("helsinki", ("helsinki",), "2022-02-22"),
    ("hart-tampa", ("hart-tampa",), "2018-07-06"),
    ("nyc-subway", ("nyc-subway",), NY_DATE.isoformat()),
    ("New York region", NY_REGION, NY_DATE.isoformat()),
]
RESULTS = Path(__file__).resolve().parent / "results"


def measure(names, date: str, walk: int, n: int = 200) -> dict:
    import datetime as dt

    network = open_network(*names)
    view, queries = seeded_queries(network, dt.date.fromisoformat(date), n)
    router, options = view.router, QueryOptions(max_walk_m=walk)
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


def main() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    RESULTS.mkdir(exist_ok=True)
    rows = {}
    for label, names, date in SERIES:
        for walk in (0, 400):
            rows[f"{label}, walk {walk} m"] = dict(measure(names, date, walk), network=label, walk=walk)
            print(f"{label:16s} walk {walk:3d} m: {rows[f'{label}, walk {walk} m']}")
    (RESULTS / "scaling.json").write_text(json.dumps(rows, indent=1))
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    from matplotlib.ticker import NullFormatter

    for walk, marker in ((0, "o"), (400, "s")):
        series = sorted((r for r in rows.values() if r["walk"] == walk), key=lambda r: r["stop_times"])
        x = [r["stop_times"] for r in series]
        left.plot(x, [r["median_ms"] for r in series], marker=marker, label=f"median, walk {walk} m")
        left.plot(x, [r["p99_ms"] for r in series], marker=marker, linestyle="--", label=f"p99, walk {walk} m")
    for r in (r for r in rows.values() if r["walk"] == 0):
        left.annotate(r["network"], (r["stop_times"], r["median_ms"]), fontsize=8, xytext=(4, -10), textcoords="offset points")
    series = sorted((r for r in rows.values() if r["walk"] == 0), key=lambda r: r["stop_times"])
    right.plot([r["stop_times"] for r in series], [r["day_view_mb"] for r in series], marker="o")
    for ax, ylabel in ((left, "query time (ms)"), (right, "day view in memory (MB)")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("stop times in the day view")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.3)
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.yaxis.set_minor_formatter(NullFormatter())
    left.legend(fontsize=8)
    fig.suptitle("Trajet: earliest-arrival query time and memory against network size (2-core VM)")
    fig.tight_layout()
    fig.savefig(RESULTS / "scaling.png", dpi=110)
    print(f"wrote {RESULTS / 'scaling.png'}")


if __name__ == "__main__":
    main()
