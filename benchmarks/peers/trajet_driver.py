"""Trajet as a peer: python -m benchmarks.peers.trajet_driver QUERIES OUT [--feed F ...]."""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from trajet.router.query import QueryOptions
from trajet.router.reach import earliest_arrivals
from trajet.router.timetable import UNREACHED
from trajet.service.network import Network

from .common import in_window_pareto, read_queries, timed, write_result

# the common ground of the comparison: no walking between stops, no change time but transfers.txt's
COMMON_GROUND = QueryOptions(max_transfer_walk_m=0, transfer_slack=0, max_transfers=40)


def main(queries_path: str, out: str, feeds: list[str]) -> None:
    spec = read_queries(queries_path)
    started = time.perf_counter()
    network = Network.open(feeds)
    date = dt.date.fromisoformat(spec["date"])
    view = network.day(date)
    load_s = time.perf_counter() - started
    midnight = network.local_seconds(date, 0) - view.origin
    options = COMMON_GROUND
    router = view.router
    index = {str(s): i for i, s in enumerate(network.net.stop_id)}
    for q in spec["queries"][:10]:  # JIT warm-up: every kernel, so until a journey is rebuilt
        if router.plan([(index[q["from"]], midnight + q["time"])], [(index[q["to"]], 0)], options).journeys:
            break
    if spec.get("matrix"):
        first = spec["queries"][0]
        earliest_arrivals(router, [(index[first["from"]], 0)], midnight + first["time"], options)  # JIT warm-up
        arrivals, took = timed(_matrix, router, index, spec["queries"], midnight, options)
        write_result(out, "trajet", load_s, arrivals, [took],
                     "a one-to-all query (router/reach.py earliest_arrivals) per origin on a thread each core; "
                     "slack 0, transfers.txt links and change times, no generated walking")
        return
    arrivals, seconds = [], []
    window = int(spec.get("window") or 0)
    for q in spec["queries"]:
        a, b, t = index[q["from"]], index[q["to"]], midnight + q["time"]
        if window:
            result, took = timed(router.plan_range, [(a, 0)], t, t + window, [(b, 0)], options)
            arrivals.append(in_window_pareto([(j.t_dep - midnight, j.t_arr - midnight, j.transfers)
                                              for j in result.journeys], q["time"] + window))
        else:
            result, took = timed(router.plan, [(a, t)], [(b, 0)], options)
            arrivals.append(min(result.arrivals) - midnight if result.arrivals else None)
        seconds.append(took)
    how = "range RAPTOR (rRAPTOR), Router.plan_range" if window else "RAPTOR (numba), Pareto set over arrival and trips"
    write_result(out, "trajet", load_s, arrivals, seconds,
                 f"{how}; slack 0, transfers.txt links and change times, no generated walking", window)


def _matrix(router, index, queries, midnight, options) -> list:
    """The earliest arrival of each (from, to) query, by one one-to-all query per origin, the
    origins on a thread per core (the kernels release the GIL)."""
    t = midnight + queries[0]["time"]
    origins = list(dict.fromkeys(q["from"] for q in queries))
    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        rows = dict(zip(origins, pool.map(lambda a: earliest_arrivals(router, [(index[a], 0)], t, options)[0],
                                          origins)))
    out = []
    for q in queries:
        arrival = int(rows[q["from"]][index[q["to"]]])
        out.append(None if arrival >= UNREACHED or q["from"] == q["to"] else arrival - midnight)
    return out


if __name__ == "__main__":
    args = sys.argv[1:]
    main(args[0], args[1], [a for flag, a in zip(args[2::2], args[3::2]) if flag == "--feed"])
