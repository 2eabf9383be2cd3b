"""Side by side: the same feed, the same seeded queries, each planner in its own process.

    python -m benchmarks.compare [--feed NAME] [--queries N] [--peers trajet,networkx]

Writes the queries (stops served on the day, departures spread over 05:00-22:00) to a
JSON file, runs each planner's driver (benchmarks/peers/) as a child process, and reports
its load time, peak memory (VmHWM of the child's program), median, p90 and p99 query
time, and how many earliest arrivals agree with Trajet's. The common ground is earliest
arrival with no generated walking (transfers.txt's links only) and no change time except the
ones transfers.txt sets at a stop; where a peer's model differs it says so in its notes, and
disagreements are counted, not hidden.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np

from trajet.service.network import Network

from .load import seeded_stop_pairs
from .peers import envs

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "feeds"
PEERS_DIR = ROOT / "benchmarks" / "peers"
# each driver: its command line, run with QUERIES OUT and then --feed FEED or the EXPORT path;
# a peer in its own environment finds it in $TRAJET_PEER_ENV
DRIVERS = {
    "trajet": lambda: [sys.executable, "-m", "benchmarks.peers.trajet_driver"],
    "networkx": lambda: [sys.executable, "-m", "benchmarks.peers.networkx_driver"],
    "pyraptor": lambda: [str(envs.python_of("pyraptor")), str(PEERS_DIR / "pyraptor_driver.py")],
    "ferrobus": lambda: [str(envs.python_of("ferrobus")), str(PEERS_DIR / "ferrobus_driver.py")],
    "raptor-journey-planner": lambda: ["node", str(PEERS_DIR / "rjp_driver.mjs")],
    "minotor": lambda: ["node", str(PEERS_DIR / "minotor_driver.mjs")],
}
RANGE_PEERS = {"trajet", "ferrobus"}  # the drivers that answer range queries (--window) and matrices (--matrix)
SLOW = {"pyraptor": 30}  # peers that take seconds a query answer only the first N queries (--limit)
NEEDS_EXPORT = {"pyraptor"}  # peers that read the day's trips from a plain export, not the feed
DATES = {"helsinki": "2022-02-22", "nyc-subway": "2026-09-23", "hart-tampa": "2018-07-06", "bart": "2018-05-29",
         "caltrain": "2018-06-20", "poa-eptc": "2019-04-15"}


def write_queries(feeds: list[Path], date: dt.date, n: int, seed: int, out: Path, window_s: int = 0,
                  matrix: int = 0) -> None:
    """The seeded queries; with window_s, each asks every journey leaving in that many
    seconds from its time (range queries: a driver answers them as [departure, arrival] pairs);
    with `matrix`, the matrix * matrix pairs of that many seeded stops at the first query's
    time, in rows (a driver may answer them as one travel-time matrix, timed as a whole)."""
    network = Network.open(feeds, cache_dir=os.environ.get("TRAJET_CACHE"))
    pairs = seeded_stop_pairs(network, date, max(n, matrix), seed)
    queries = [{"from": a, "to": b, "time": t} for a, b, t in pairs]
    if matrix:
        points = list(dict.fromkeys(a for a, _, _ in pairs))[:matrix]
        queries = [{"from": a, "to": b, "time": pairs[0][2]} for a in points for b in points]
    out.write_text(json.dumps({"feed": str(feeds[0]), "feeds": [str(f) for f in feeds], "date": date.isoformat(),
                               "queries": queries, "window": window_s, "matrix": matrix,
                               "timed_links": timed_links(network, date)}))


def timed_footpaths(tt) -> list[tuple[int, int, int]]:
    """(from stop, to stop, seconds): the walks between stops Trajet takes with no walking
    allowed (0 metres walked: timed by transfers.txt, pathways or a station's default change
    between its platforms; closed chains of them too)."""
    linked = np.flatnonzero(tt.footpath_walk_m == 0)
    origin_of = np.repeat(np.arange(tt.n_stops), np.diff(tt.footpath_offsets))
    return [(int(origin_of[f]), int(tt.footpath_to[f]), int(tt.footpath_duration[f])) for f in linked]


def timed_links(network: Network, date: dt.date) -> list[list]:
    """timed_footpaths by stop_id, for the peers whose adapters take links (ferrobus)."""
    ids = network.net.stop_id
    return [[str(ids[a]), str(ids[b]), secs] for a, b, secs in timed_footpaths(network.day(date).router.tt)]


def agreement(theirs: list, ours: list) -> dict:
    """How a peer's earliest arrivals (None: no journey) compare with Trajet's, query by query:
    same, earlier (the peer arrives before Trajet, or only it finds one) and later."""
    pairs = list(zip(theirs, ours))
    return {"same": sum(a == b for a, b in pairs),
            "earlier": sum(a is not None and (b is None or a < b) for a, b in pairs),
            "later": sum(b is not None and (a is None or a > b) for a, b in pairs),
            "n": len(pairs)}


def export_trips(feeds: list[Path], date: dt.date, out: Path) -> None:
    """The day's trips as plain JSON for peers in other environments: stop ids; per pattern
    (stops in order, trips that never overtake one another) its stop indices and per trip its
    arrivals and departures in seconds after midnight of the date; transfers.txt's links
    between stops (from, to, seconds) and its change times at one stop (stop, seconds)."""
    network = Network.open(feeds)
    view = network.day(date)
    tt = view.router.tt
    midnight = network.local_seconds(date, 0) - view.origin
    patterns = []
    for p in range(tt.n_patterns):
        stops = tt.pattern_stops[tt.pattern_stop_offsets[p]:tt.pattern_stop_offsets[p + 1]].tolist()
        arrivals, departures = tt.pattern_trip_times(p)
        patterns.append([stops, [[(arrivals[:, j] - midnight).tolist(), (departures[:, j] - midnight).tolist()]
                                 for j in range(arrivals.shape[1])]])
    links = [list(link) for link in timed_footpaths(tt)]
    changes = [[int(s), int(c)] for s, c in enumerate(tt.stop_change_time) if c > 0]
    out.write_text(json.dumps({"stops": [str(s) for s in network.net.stop_id], "patterns": patterns,
                               "links": links, "changes": changes}))


def run_driver(name: str, queries: Path, feeds: list[Path], out: Path, export: Path, limit: int | None = None,
               timeout_s: float = 1800) -> dict:
    """Run one driver on the first `limit` queries (all when None); its result with its peak RSS
    in MB, or {"error"} when it fails or takes longer than timeout_s (then it is killed)."""
    if limit is not None:
        spec = json.loads(queries.read_text())
        spec["queries"] = spec["queries"][:limit]
        queries = out.with_suffix(".queries.json")
        queries.write_text(json.dumps(spec))
    extra = [str(export)] if name in NEEDS_EXPORT else [x for f in feeds for x in ("--feed", str(f))]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if name in envs.NODE_PEERS:
        env.update(TRAJET_PEER_ENV=str(envs.node_env(name)), TZ="UTC")
    elif name in envs.PYTHON_PEERS:
        env["TRAJET_PEER_ENV"] = str(envs.PEERS_DIR / name)
    log = out.with_suffix(".log")  # a file, not a pipe: a chatty peer must not fill a pipe and stall
    with log.open("wb") as stderr:
        child = subprocess.Popen(DRIVERS[name]() + [str(queries), str(out)] + extra, cwd=ROOT,
                                 env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        timed_out = threading.Event()
        killer = threading.Timer(timeout_s, lambda: (timed_out.set(), child.kill()))
        killer.start()
        _, status, usage = os.wait4(child.pid, 0)
        killer.cancel()
    if timed_out.is_set():
        return {"planner": name, "error": f"did not finish in {timeout_s:.0f} s: stopped"}
    if status != 0:
        return {"planner": name, "error": log.read_bytes().decode(errors="replace")[-400:]}
    result = json.loads(out.read_text())
    result["max_rss_mb"] = result.get("peak_rss_mb") or usage.ru_maxrss / 1024
    return result


def error_line(text: str) -> str:
    """The line of a failed driver's stderr that names the error (Node.js ends with its version)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    named = [line for line in lines if "Error" in line or "error" in line]
    return (named or lines or ["failed, nothing on stderr"])[-1]


def summary(result: dict, reference: dict | None) -> str:
    if "error" in result:
        return f"{result['planner']:18s} failed: {error_line(result['error'])}"
    ms = np.array(result["seconds"]) * 1000
    line = (f"{result['planner']:18s} load {result['load_s']:7.2f} s  peak {result['max_rss_mb']:7.0f} MB  "
            f"median {np.median(ms):9.3f} ms  p90 {np.percentile(ms, 90):9.3f} ms  p99 {np.percentile(ms, 99):9.3f} ms")
    if reference is not None and result.get("window"):
        pairs = list(zip(result["arrivals"], reference["arrivals"]))
        same = sum(sorted(map(tuple, a or [])) == sorted(map(tuple, b or [])) for a, b in pairs)
        n_theirs, n_ours = (sum(len(x or []) for x in side) for side in zip(*pairs))
        line += (f"  same (departure, arrival) set as trajet {same}/{len(pairs)} (journeys: {n_theirs}, trajet "
                 f"{n_ours})")
    elif reference is not None:
        agree = agreement(result["arrivals"], reference["arrivals"])
        line += (f"  same arrival as trajet {agree['same']}/{agree['n']} (earlier {agree['earlier']}, "
                 f"later {agree['later']})")
    return line


def compare(feeds: list[Path], date: dt.date, n: int, seed: int, peers: list[str], limits: dict,
            timeout_s: float = 1800, window_s: int = 0, matrix: int = 0) -> dict:
    """Each planner's result on the same seeded queries: name -> result (see run_driver)."""
    with tempfile.TemporaryDirectory() as tmp:
        queries = Path(tmp) / "queries.json"
        write_queries(feeds, date, n, seed, queries, window_s, matrix)
        export = Path(tmp) / "trips.json"
        if NEEDS_EXPORT & set(peers):
            export_trips(feeds, date, export)
        return {name: run_driver(name, queries, feeds, Path(tmp) / f"{name}.json", export, limits.get(name), timeout_s)
                for name in peers}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feed", action="append", default=None,
                        help="a feed of ../shared/feeds (name without .zip); "
                             "repeat to merge several (default helsinki)")
    parser.add_argument("--date", default=None)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--peers", default="trajet,networkx")
    parser.add_argument("--limit", action="append", default=[], metavar="PEER=N",
                        help=f"answer only the first N queries with that peer (default {SLOW})")
    parser.add_argument("--timeout", type=float, default=1800,
                        help="seconds a peer may take in all before it is stopped")
    parser.add_argument("--matrix", type=int, default=0, metavar="N",
                        help="a travel-time matrix of N seeded stops at one departure, timed as a whole, for the "
                             "peers that answer one (trajet: a one-to-all query per origin on every core; ferrobus: "
                             "travel_time_matrix)")
    parser.add_argument("--window", type=int, default=0, metavar="SECONDS",
                        help="range queries: every journey leaving in that window that no other beats on (later "
                             "departure, earlier arrival, fewer transfers), for the peers that answer them "
                             "(trajet, ferrobus)")
    args = parser.parse_args(argv)
    limits = dict(SLOW, **{k: int(v) for k, v in (item.split("=", 1) for item in args.limit)})
    names = args.feed or ["helsinki"]
    feeds = [SHARED / f"{name}.zip" for name in names]
    for feed in feeds:
        if not feed.exists():
            raise SystemExit(f"{feed} is absent: the comparison needs the real feeds of ../shared")
    if (args.window or args.matrix) and set(args.peers.split(",")) - RANGE_PEERS:
        raise SystemExit(f"--window: only {', '.join(sorted(RANGE_PEERS))} answer range queries, not "
                         f"{', '.join(sorted(set(args.peers.split(',')) - RANGE_PEERS))}")
    date = dt.date.fromisoformat(args.date or DATES.get(names[0], ""))
    results = compare(feeds, date, args.queries, args.seed, args.peers.split(","), limits, args.timeout, args.window,
                      args.matrix)
    reference = results.get("trajet")
    what = (f"range queries of {args.window} s (the journeys leaving in the window that no other found beats)"
            if args.window else f"a {args.matrix} x {args.matrix} travel-time matrix at one departure (the time is "
            "the whole matrix's)" if args.matrix else "earliest arrival")
    print(f"{' + '.join(names)} on {date}, {args.queries} seeded queries (seed {args.seed}), {what}, "
          "no generated walking (transfers.txt links only), no change time but transfers.txt's")
    for name, result in results.items():
        print(summary(result, None if name == "trajet" else reference))
        if result.get("notes"):
            print(f"{'':18s} model: {result['notes']}")


if __name__ == "__main__":
    main()
