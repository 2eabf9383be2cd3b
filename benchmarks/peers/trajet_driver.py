"""Trajet as a peer: python -m benchmarks.peers.trajet_driver QUERIES OUT [--feed F ...]."""

from __future__ import annotations

import datetime as dt
import sys
import time

from trajet.router.query import QueryOptions
from trajet.service.network import Network

from .common import read_queries, timed, write_result


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
    for q in spec["queries"]:
        result, took = timed(router.plan, [(index[q["from"]], midnight + q["time"])], [(index[q["to"]], 0)], options)
        arrivals.append(min(result.arrivals) - midnight if result.arrivals else None)
        seconds.append(took)
    write_result(out, "trajet", load_s, arrivals, seconds,
                 "RAPTOR (numba), Pareto set over arrival and trips; slack 0, transfers.txt links and change times, "
                 "no generated walking")


if __name__ == "__main__":
    args = sys.argv[1:]
    main(args[0], args[1], [a for flag, a in zip(args[2::2], args[3::2]) if flag == "--feed"])
