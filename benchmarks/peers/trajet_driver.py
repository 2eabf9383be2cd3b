"""Trajet as a peer: python -m benchmarks.peers.trajet_driver QUERIES OUT [--feed F ...]."""

from __future__ import annotations

import datetime as dt
import sys
import time

from trajet.router.query import QueryOptions
from trajet.service.network import Network

from .common import in_window_pareto, read_queries, timed, write_result


def main(queries_path: str, out: str, feeds: list[str]) -> None:
    spec = read_queries(queries_path)
    started = time.perf_counter()
    network = Network.open(feeds)
    date = dt.date.fromisoformat(spec["date"])
    view = network.day(date)
    load_s = time.perf_counter() - started
    midnight = network.local_seconds(date, 0) - view.origin
    # the common ground of the comparison: no walking between stops, no change time
    options = QueryOptions(max_transfer_walk_m=0, transfer_slack=0, max_transfers=40)
    router = view.router
    index = {str(s): i for i, s in enumerate(network.net.stop_id)}
    for q in spec["queries"][:10]:  # JIT warm-up: every kernel, so until a journey is rebuilt
        if router.plan([(index[q["from"]], midnight + q["time"])], [(index[q["to"]], 0)], options).journeys:
            break
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


if __name__ == "__main__":
    args = sys.argv[1:]
    main(args[0], args[1], [a for flag, a in zip(args[2::2], args[3::2]) if flag == "--feed"])
