"""pyraptor 1.3.10 (pure-Python RAPTOR, PyPI) on the common ground, in its own venv.

    benchmarks/.peers/pyraptor/bin/python benchmarks/peers/pyraptor_driver.py QUERIES OUT EXPORT

pyraptor's GTFS reader is written for one national feed (it links platforms by equal stop
name with 120 s transfers), so this adapter builds its timetable from the runner's export of
Trajet's view of the date (see benchmarks.compare.export_trips), times in seconds after
midnight: its routes are Trajet's patterns (trips in order, none overtaking another), a
station is a group of stops joined by transfers.txt links, each link a transfer of its time.
Queries go from the stop itself to the stop itself, with 40 transfers at most.
Model differences: no change time at one stop (transfers.txt's same-stop times, 180 s at
most nyc-subway platforms, are not modelled); boarding and alighting rules are ignored.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from loguru import logger  # noqa: E402  (pyraptor logs every round; keep it quiet)
from pyraptor.model.raptor import RaptorAlgorithm  # noqa: E402
from pyraptor.model.structures import (  # noqa: E402
    Route,
    Routes,
    Station,
    Stations,
    Stop,
    Stops,
    Timetable,
    Transfer,
    Transfers,
    Trip,
    Trips,
    TripStopTime,
    TripStopTimes,
)
from pyraptor.util import LARGE_NUMBER  # noqa: E402

from benchmarks.peers.common import read_queries, timed, write_result  # noqa: E402

ROUNDS = 41  # as Trajet's driver: 40 transfers at most
UNLINKED = 10**7  # layover between stops of one station that transfers.txt does not link


def build(export: dict) -> Timetable:
    """pyraptor's timetable of the export: its routes are Trajet's patterns, whose trips never
    overtake one another (pyraptor's own grouping by stop sequence would mix overtaking trips,
    and its route scan needs them in order); a station is a group of stops joined by
    transfers.txt links, a link's time its layover (a pair without a link can't be walked)."""
    stop_ids = export["stops"]
    group = list(range(len(stop_ids)))  # union-find over the links

    def root(s):
        while group[s] != s:
            group[s] = group[group[s]]
            s = group[s]
        return s

    for a, b, _ in export["links"]:
        group[root(a)] = root(b)
    stations, stops, by_index = Stations(), Stops(), []
    for i, stop_id in enumerate(stop_ids):
        station = stations.add(Station(stop_ids[root(i)], stop_ids[root(i)]))
        stop = Stop(stop_id, stop_id, station, "?")
        station.add_stop(stop)
        stops.add(stop)
        by_index.append(stop)
    transfers = Transfers()
    layover = {(a, b): secs for a, b, secs in export["links"]}
    members = {}
    for i in range(len(stop_ids)):
        members.setdefault(root(i), []).append(i)
    for group_stops in members.values():
        for a in group_stops:
            for b in group_stops:
                if a != b:
                    transfers.add(Transfer(from_stop=by_index[a], to_stop=by_index[b],
                                           layovertime=layover.get((a, b), UNLINKED)))
    trips, trip_stop_times, routes = Trips(), TripStopTimes(), Routes()
    for seq, times in export["patterns"]:
        route = Route(id=routes.last_id)
        for s in seq:
            route.add_stop(by_index[s])
            routes.stop_to_routes[by_index[s]].append(route)
        routes.set_idx[route.id] = route
        routes.last_id += 1
        for arr, dep in times:
            # the id Trips.add will give it, set before its stop times are hashed by (trip, index):
            # a trip hashes by its id, and all trips with id None would share one hash bucket
            trip = Trip(id=trips.last_id)
            for i, (s, a, d) in enumerate(zip(seq, arr, dep)):
                stop_time = TripStopTime(trip, i, by_index[s], a, d, 0)
                trip_stop_times.add(stop_time)
                trip.add_stop_time(stop_time)
            trips.add(trip)
            route.add_trip(trip)
    return Timetable(stations=stations, stops=stops, trips=trips, trip_stop_times=trip_stop_times,
                     routes=routes, transfers=transfers)


def earliest(raptor: RaptorAlgorithm, timetable: Timetable, source: str, target: str, t0: int):
    """From the stop itself (not its whole station) to the target stop itself, as Trajet."""
    raptor.run([timetable.stops.get(source)], t0, ROUNDS)
    # the best over all rounds: run() stops when a round marks nothing, and the bags of the
    # rounds after that stay empty
    arrival = raptor.bag_star[timetable.stops.get(target)].earliest_arrival_time
    return arrival if arrival < LARGE_NUMBER else None


def main(queries_path: str, out: str, export_path: str) -> None:
    logger.remove()
    spec = read_queries(queries_path)
    started = time.perf_counter()
    timetable = build(json.loads(Path(export_path).read_text()))
    raptor = RaptorAlgorithm(timetable)
    load_s = time.perf_counter() - started
    arrivals, seconds = [], []
    for q in spec["queries"]:
        a, took = timed(earliest, raptor, timetable, q["from"], q["to"], q["time"])
        arrivals.append(a)
        seconds.append(took)
    write_result(out, "pyraptor 1.3.10", load_s, arrivals, seconds,
                 f"pure-Python RAPTOR, {ROUNDS} rounds; adapter: Trajet's patterns as routes, "
                 "stations of stops joined by "
                 "transfers.txt links; differs: no change time at one stop, boarding rules ignored")


if __name__ == "__main__":
    main(*sys.argv[1:4])
