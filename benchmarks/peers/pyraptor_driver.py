"""pyraptor 1.3.10 (pure-Python RAPTOR, PyPI) on the common ground, in its own venv.

pyraptor's GTFS reader is written for one national feed (it links platforms by equal
stop name with 120 s transfers), so this adapter builds its timetable from the runner's
export of the day's trips instead: every stop its own station (no transfers, so no
walking; a change at one stop takes no time), times in seconds after midnight.
python benchmarks/peers/pyraptor_driver.py QUERIES OUT EXPORT
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from loguru import logger  # noqa: E402  (pyraptor logs every round; keep it quiet)
from pyraptor.model.raptor import RaptorAlgorithm, best_stop_at_target_station  # noqa: E402
from pyraptor.model.structures import (  # noqa: E402
    Routes, Station, Stations, Stop, Stops, Timetable, Transfers, Trip, Trips, TripStopTime, TripStopTimes,
)

from benchmarks.peers.common import read_queries, timed, write_result  # noqa: E402

ROUNDS = 12


def build(export: dict) -> Timetable:
    stations, stops = Stations(), Stops()
    by_index = []
    for stop_id in export["stops"]:
        station = stations.add(Station(stop_id, stop_id))
        stop = Stop(stop_id, stop_id, station, "?")
        station.add_stop(stop)
        stops.add(stop)
        by_index.append(stop)
    trips, trip_stop_times = Trips(), TripStopTimes()
    for seq, arr, dep in export["trips"]:
        trip = Trip()
        for i, (s, a, d) in enumerate(zip(seq, arr, dep)):
            stop_time = TripStopTime(trip, i, by_index[s], a, d, 0)
            trip_stop_times.add(stop_time)
            trip.add_stop_time(stop_time)
        trips.add(trip)
    routes = Routes()
    for trip in trips:
        routes.add(trip)
    return Timetable(stations=stations, stops=stops, trips=trips, trip_stop_times=trip_stop_times,
                     routes=routes, transfers=Transfers())


def cached_timetable(export_path: str) -> tuple[Timetable, float, float | None]:
    """The timetable, its build seconds, and the seconds its pickle took to load (None when
    built now). Building takes minutes (about 6 on helsinki), so it is pickled once per export
    in the peer's environment."""
    text = Path(export_path).read_bytes()
    cache = Path(os.environ.get("TRAJET_PEER_ENV", "/tmp")) / "cache" / f"{hashlib.sha256(text).hexdigest()[:20]}.pickle"
    started = time.perf_counter()
    if cache.exists():
        with cache.open("rb") as f:
            timetable, build_s = pickle.load(f)
        return timetable, build_s, time.perf_counter() - started
    timetable = build(json.loads(text))
    build_s = time.perf_counter() - started
    cache.parent.mkdir(parents=True, exist_ok=True)
    sys.setrecursionlimit(100_000)
    with cache.with_suffix(".tmp").open("wb") as f:
        pickle.dump((timetable, build_s), f, protocol=pickle.HIGHEST_PROTOCOL)
    cache.with_suffix(".tmp").rename(cache)
    return timetable, build_s, None


def earliest(raptor: RaptorAlgorithm, timetable: Timetable, source: str, target: str, t0: int):
    bags = raptor.run(timetable.stations.get(source).stops, t0, ROUNDS)
    labels = bags[ROUNDS]
    stop = best_stop_at_target_station(timetable.stations.get(target).stops, labels)
    return labels[stop].earliest_arrival_time if stop != 0 else None


def main(queries_path: str, out: str, export_path: str) -> None:
    logger.remove()
    spec = read_queries(queries_path)
    timetable, build_s, pickle_s = cached_timetable(export_path)
    started = time.perf_counter()
    raptor = RaptorAlgorithm(timetable)
    load_s = build_s + time.perf_counter() - started  # the build, cached or not, is its preprocessing
    arrivals, seconds = [], []
    for q in spec["queries"]:
        a, took = timed(earliest, raptor, timetable, q["from"], q["to"], q["time"])
        arrivals.append(a if a is not None and a < 10**9 else None)
        seconds.append(took)
    cached = f"; timetable from its pickle in {pickle_s:.1f} s" if pickle_s is not None else ""
    write_result(out, "pyraptor 1.3.10", load_s, arrivals, seconds,
                 f"pure-Python RAPTOR, {ROUNDS} rounds; adapter from the day's trips, each stop its own station{cached}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
