"""ferrobus 0.2.1 (Rust RAPTOR, PyPI) on the common ground, in its own venv (ferrobus, osmium).

    benchmarks/.peers/ferrobus/bin/python benchmarks/peers/ferrobus_driver.py QUERIES OUT --feed F.zip [--feed G.zip]

ferrobus routes between coordinates: it snaps them to the nodes of an OSM street graph (the
largest connected part of it) and adds street walks between stops; it reads GTFS folders,
applying calendar.txt by weekday only (no start/end date), ignoring frequencies.txt, and it
groups trips into routes by route_id and length only. So the adapter writes (all load time):
- the date's timetable as one plain GTFS folder, as Trajet's view of the date: the trips of
  the services active on it, of earlier days still running (times past 24:00, cut at 00:00) and
  of the next day (times + 24:00); frequencies expanded as Trajet does; trips whose times
  decrease dropped, as Trajet does; one route per stop sequence and chain of trips that do not
  overtake each other; ids "NAME:id" when there are several feeds;
- a street graph with no usable walk: every stop alone on a grid node 0.01 degree from the next,
  joined only by a footway to a hub ~550 km away (one connected part); queries start and end at
  those nodes (max_walking_time 0: the stop itself; points made before timing);
- transfers.txt as Trajet reads it (a parent station stands for its platforms; type 2: its
  min_transfer_time, type 0/1 between stops: walk at 1.33 m/s), which ferrobus takes as walks.
Two ferrobus habits are worked around to stay on the common ground: a rider who gets off is
ready only when the trip leaves the stop (so a stop where a trip dwells is written twice,
arrival then departure); it walks the origin's links before the first trip, Trajet does not
(so a query leaves from a boarding copy of its stop, see main). It asks find_routes_one_to_many
with one target: find_route prunes early and misses the earliest arrival in about 1 query in 5
on nyc-subway (its docs warn of it). Still different: ferrobus changes trips at one stop in
0 s where transfers.txt gives the stop a time (nyc-subway: 180 s at most platforms, which
Trajet applies even with slack 0), and it ignores pickup_type/drop_off_type. Service days are
taken as 24 h from midnight (no DST shift; one timezone).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
import math
import sys
import tempfile
import time
import zipfile
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import ferrobus  # noqa: E402
import osmium  # noqa: E402

from benchmarks.peers.common import in_window_pareto, read_queries, timed, write_result  # noqa: E402

DAY = 86400
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_TRANSFERS = 40  # as the Trajet driver
OFFSETS = range(-3, 2)  # Trajet's view of a date: its trips, earlier days' still running (to 96:00), next day's


def table(z: zipfile.ZipFile, name: str):
    """A GTFS file as (column -> index, iterator of rows); no rows when the file is absent."""
    if name not in z.namelist():
        return {}, iter(())
    rows = csv.reader(io.TextIOWrapper(z.open(name), "utf-8-sig"))
    col = {c.strip(): i for i, c in enumerate(next(rows, []))}
    return col, (r + [""] * (len(col) - len(r)) for r in rows if r)  # short rows padded, blank ones skipped


def hms(text: str) -> int:
    h, m, s = text.strip().split(":")
    return int(h) * 3600 + int(m) * 60 + int(s)


def services_on(z: zipfile.ZipFile, day: dt.date) -> set[str]:
    col, rows = table(z, "calendar.txt")
    ymd = day.strftime("%Y%m%d")
    active = {r[col["service_id"]] for r in rows
              if r[col[DAYS[day.weekday()]]].strip() == "1" and r[col["start_date"]] <= ymd <= r[col["end_date"]]}
    col, rows = table(z, "calendar_dates.txt")
    for r in rows:
        if r[col["date"]].strip() == ymd:
            (active.add if r[col["exception_type"]].strip() == "1" else active.discard)(r[col["service_id"]])
    return active


def day_trips(z: zipfile.ZipFile, date: dt.date, pre: str) -> tuple[list, int]:
    """The trips that may run on the date: (stops, arrivals, departures) in seconds after its
    midnight, cut at 00:00; stop ids prefixed with `pre`. And how many trips were dropped."""
    days = {offset: services_on(z, date + dt.timedelta(days=offset)) for offset in OFFSETS}
    col, rows = table(z, "trips.txt")
    service_of = {r[col["trip_id"]]: r[col["service_id"]] for r in rows
                  if any(r[col["service_id"]] in active for active in days.values())}
    col, rows = table(z, "stop_times.txt")
    c_trip, c_seq, c_stop, c_arr, c_dep = (col[c] for c in ("trip_id", "stop_sequence", "stop_id",
                                                            "arrival_time", "departure_time"))
    c_dist = col.get("shape_dist_traveled")
    by_trip = defaultdict(list)
    for r in rows:
        if r[c_trip] in service_of:
            a, d = r[c_arr].strip() or r[c_dep].strip(), r[c_dep].strip() or r[c_arr].strip()  # "": untimed
            km = r[c_dist].strip() if c_dist is not None else ""
            by_trip[r[c_trip]].append((int(r[c_seq]), pre + r[c_stop], a and hms(a), d and hms(d),
                                       float(km) if km else None))
    templates, dropped = {}, 0
    for trip, st in by_trip.items():
        st.sort()
        arr, dep, km = [x[2] for x in st], [x[3] for x in st], [x[4] for x in st]
        if len(st) < 2 or arr[0] == "" or arr[-1] == "":  # as Trajet: one stop, or an untimed end
            dropped += 1
            continue
        timed = [i for i, t in enumerate(arr) if t != ""]
        for p, n in zip(timed, timed[1:]):  # untimed stops filled as Trajet does (feeds/gtfs_time.py)
            gap = range(p + 1, n)
            by_km = all(None not in (km[p], km[n], km[m], km[m - 1]) and 0 <= km[m] - km[p] <= km[n] - km[p]
                        and km[n] > km[p] and km[m] >= km[m - 1] for m in gap)
            for m in gap:
                num, den = (km[m] - km[p], km[n] - km[p]) if by_km else (m - p, n - p)
                arr[m] = dep[m] = math.floor(dep[p] + num * (arr[n] - dep[p]) / den)
        if any(d < a for a, d in zip(arr, dep)) or any(a < d for a, d in zip(arr[1:], dep)):
            dropped += 1  # times decrease: Trajet drops these too
            continue
        templates[trip] = (tuple(x[1] for x in st), arr, dep)
    del by_trip
    col, rows = table(z, "frequencies.txt")
    runs = []  # (trip, shift of its times): a frequency template runs once per headway, not as itself
    for r in rows:
        if r[col["trip_id"]] in templates:
            trip, headway = r[col["trip_id"]], int(r[col["headway_secs"]])
            start, end = hms(r[col["start_time"]]), hms(r[col["end_time"]])
            runs += [(trip, start + i * headway - templates[trip][2][0])
                     for i in range(math.ceil((end - start) / headway))]
    expanded = {trip for trip, _ in runs}
    runs += [(trip, 0) for trip in templates if trip not in expanded]
    trips = []
    for offset, active in days.items():
        for trip, shift in runs:
            if service_of.get(trip) in active:
                stops, arr, dep = templates[trip]
                shift += offset * DAY
                keep = [i for i in range(len(stops)) if dep[i] + shift >= 0]
                if len(keep) >= 2:
                    trips.append((tuple(stops[i] for i in keep), [max(arr[i] + shift, 0) for i in keep],
                                  [dep[i] + shift for i in keep]))
    return trips, dropped


def chains(trips: list) -> list[tuple]:
    """Routes for ferrobus: (stops, [(departures, arrivals)]), trips sorted, none overtaking another."""
    by_stops = defaultdict(list)
    for stops, arr, dep in trips:
        by_stops[stops].append((dep, arr))
    routes = []
    for stops, runs in by_stops.items():
        mine = []
        for dep, arr in sorted(runs):
            for chain in mine:  # ferrobus sorts a route's trips by first departure, ties in any order
                d0, a0 = chain[-1]
                if ((dep[0] > d0[0] or (dep, arr) == (d0, a0)) and all(map(int.__ge__, dep, d0))
                        and all(map(int.__ge__, arr, a0))):
                    chain.append((dep, arr))
                    break
            else:
                mine.append([(dep, arr)])
        routes += [(stops, chain) for chain in mine]
    return routes


def links(z: zipfile.ZipFile, pre: str) -> tuple[dict, int]:
    """transfers.txt as Trajet reads it: {(a, b): seconds} between distinct stops (ids prefixed
    with `pre`), and how many stops it gives a change time (that ferrobus cannot apply)."""
    col, rows = table(z, "stops.txt")
    children, where = defaultdict(list), {}
    for r in rows:
        if r[col["stop_lat"]].strip() and r[col["stop_lon"]].strip():
            where[r[col["stop_id"]]] = (math.radians(float(r[col["stop_lat"]])),
                                        math.radians(float(r[col["stop_lon"]])))
        if "parent_station" in col and r[col["parent_station"]].strip():
            children[r[col["parent_station"]]].append(r[col["stop_id"]])
    col, rows = table(z, "transfers.txt")
    out, forbidden, change = {}, set(), set()
    for r in rows:
        a, b, kind = r[col["from_stop_id"]], r[col["to_stop_id"]], int(r[col["transfer_type"]].strip() or 0)
        secs = (int(r[col["min_transfer_time"]]) if "min_transfer_time" in col and r[col["min_transfer_time"]].strip()
                else -1)
        for x in children.get(a, [a]):
            for y in children.get(b, [b]):
                if kind == 3:
                    forbidden.add((x, y))
                elif kind == 2 and secs >= 0:
                    if x != y:
                        out[x, y] = secs
                    elif secs > 0:
                        change.add(x)
                elif a != b and x != y and x in where and y in where:  # Trajet's walk: haversine, 1.33 m/s
                    (p1, l1), (p2, l2) = where[x], where[y]
                    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin((l2 - l1) / 2) ** 2
                    out.setdefault((x, y), math.ceil(2 * 6_371_000 * math.asin(math.sqrt(min(h, 1.0))) / 1.33))
    return {(pre + a, pre + b): v for (a, b), v in out.items() if (a, b) not in forbidden}, len(change)


def write_model_inputs(folder: Path, routes: list, stops: set, pairs: dict, board: dict) -> dict:
    """streets.osm.pbf and the gtfs folder; returns stop -> (lat, lon) of its node.
    board: stop -> its boarding copy, written right after it in every trip."""
    side = math.ceil(math.sqrt(len(stops)))  # in 1e-7 degrees, as .pbf stores them: exact
    where = {s: (450_000_000 + i // side * 100_000, 100_000_000 + i % side * 100_000)
             for i, s in enumerate(sorted(stops))}
    writer = osmium.SimpleWriter(str(folder / "streets.osm.pbf"))
    hub = len(where) + 1
    writer.add_node(osmium.osm.mutable.Node(id=hub, location=(10.0, 40.0)))
    for i, s in enumerate(sorted(stops), 1):
        writer.add_node(osmium.osm.mutable.Node(id=i, location=(where[s][1] / 1e7, where[s][0] / 1e7)))
        writer.add_way(osmium.osm.mutable.Way(id=i, nodes=[i, hub], tags={"highway": "footway"}))
    writer.close()
    (folder / "gtfs").mkdir()
    files = {
        "stops.txt": [["stop_id", "stop_name", "stop_lat", "stop_lon"]]
        + [[s, s, f"{where[s][0] / 1e7:.7f}", f"{where[s][1] / 1e7:.7f}"] for s in sorted(stops)],
        "routes.txt": [["route_id", "route_short_name", "route_type"]]
        + [[f"r{i}", f"r{i}", "3"] for i in range(len(routes))],
        "calendar.txt": [["service_id", *DAYS, "start_date", "end_date"], ["day", *"1111111", "19000101", "22001231"]],
        "calendar_dates.txt": [["service_id", "date", "exception_type"]],
        "transfers.txt": [["from_stop_id", "to_stop_id", "transfer_type", "min_transfer_time"]]
        + [[a, b, "2", str(secs)] for (a, b), secs in sorted(pairs.items())],
        "feed_info.txt": [["feed_publisher_name", "feed_publisher_url", "feed_lang"],
                          ["trajet", "http://localhost", "en"]],
    }
    for name, rows in files.items():
        with open(folder / "gtfs" / name, "w", newline="") as f:
            csv.writer(f).writerows(rows)
    clock = functools.lru_cache(maxsize=None)(lambda t: f"{t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}")
    with open(folder / "gtfs" / "trips.txt", "w", newline="") as f, \
            open(folder / "gtfs" / "stop_times.txt", "w", newline="") as g:
        trips, times, n = csv.writer(f), csv.writer(g), 0
        trips.writerow(["route_id", "service_id", "trip_id"])
        times.writerow(["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"])
        for r, (route_stops, chain) in enumerate(routes):
            dwell = {i for dep, arr in chain for i in range(len(dep)) if dep[i] > arr[i]}
            for dep, arr in chain:
                n, rows = n + 1, []
                trips.writerow([f"r{r}", "day", f"t{n}"])
                for i, (s, a, d) in enumerate(zip(route_stops, arr, dep)):
                    rows += [(s, a, a), (board.get(s, s), d, d)] if i in dwell or s in board else [(s, a, d)]
                times.writerows([f"t{n}", clock(a), clock(d), s, i] for i, (s, a, d) in enumerate(rows))
    # the very doubles the .pbf reader makes (nanodegrees * 1e-9): a query there snaps in 0 s
    # (ferrobus rounds the walk to the nearest node up to whole seconds)
    return {s: (where[s][0] * 100 * 1e-9, where[s][1] * 100 * 1e-9) for s in stops}


class Model:
    """ferrobus's model of the date for a set of queries, built by the adapter above: the
    transit model, a point per query stop, and `earliest(q)` / `journeys(q, window)`."""

    def __init__(self, feeds: list[str], date: dt.date, queries: list[dict], timed_links: list | None = None):
        """timed_links: [from stop_id, to stop_id, seconds], Trajet's walks between stops timed
        by the feed or a station (benchmarks.compare writes them into the query file); they
        replace the adapter's own reading of transfers.txt, which knows no station changes."""
        started = time.perf_counter()
        trips, dropped, pairs, n_change = [], 0, {}, 0
        for feed in feeds:  # ids "NAME:id" when there are several, as Trajet names them
            with zipfile.ZipFile(feed) as z:
                pre = f"{Path(feed).stem}:" if len(feeds) > 1 else ""
                feed_trips, feed_dropped = day_trips(z, date, pre)
                feed_pairs, feed_change = links(z, pre)
            trips, dropped, pairs, n_change = (trips + feed_trips, dropped + feed_dropped, pairs | feed_pairs,
                                               n_change + feed_change)
        if timed_links is not None:
            pairs = {(a, b): int(secs) for a, b, secs in timed_links}
        with tempfile.TemporaryDirectory() as tmp:
            stops = {s for t in trips for s in t[0]} | {q[k] for q in queries for k in ("from", "to")}
            pairs = {(a, b): secs for (a, b), secs in pairs.items() if a in stops and b in stops}
            self.n_links = len(pairs)
            # a query leaves from a boarding copy of its stop: written after the stop in every trip,
            # no link out of it, the stop's links into it, and a 0 s link to it from the stop
            self.board = {q["from"]: f"{q['from']}~board" for q in queries if any(a == q["from"] for a, _ in pairs)}
            pairs |= ({(a, self.board[b]): secs for (a, b), secs in pairs.items() if b in self.board}
                      | {(s, c): 0 for s, c in self.board.items()})
            routes = chains(trips)
            self.n_trips, self.n_routes, self.dropped, self.n_change = len(trips), len(routes), dropped, n_change
            self.node = write_model_inputs(Path(tmp), routes, stops | set(self.board.values()), pairs, self.board)
            del trips, routes
            self.adapter_s = time.perf_counter() - started
            self.model = ferrobus.create_transit_model(str(Path(tmp) / "streets.osm.pbf"), [str(Path(tmp) / "gtfs")],
                                                       None, max([1, *pairs.values()]))
        self.load_s = time.perf_counter() - started
        self.points = {s: ferrobus.create_transit_point(*self.node[s], self.model, 0, 1)
                       for s in {self.board.get(q["from"], q["from"]) for q in queries} | {q["to"] for q in queries}}

    def earliest(self, q: dict) -> int | None:
        """The earliest arrival (seconds after midnight) of find_routes_one_to_many, or None."""
        start = self.points[self.board.get(q["from"], q["from"])]
        route = ferrobus.find_routes_one_to_many(self.model, start, [self.points[q["to"]]], q["time"],
                                                 MAX_TRANSFERS)[0]
        return q["time"] + route["travel_time_seconds"] if route else None

    def journeys(self, q: dict, window: int) -> list[tuple]:
        """pareto_range_multimodal_routing over the window: (departure, arrival, transfers)."""
        result = ferrobus.pareto_range_multimodal_routing(self.model, self.points[self.board.get(q["from"], q["from"])],
                                                          self.points[q["to"]], (q["time"], q["time"] + window),
                                                          MAX_TRANSFERS)
        return [(j["departure_time"], j["arrival_time"], j["transfers"])
                for j in json.loads(result.as_json())["journeys"]]

    def notes(self, how: str) -> str:
        return (f"load {self.adapter_s:.2f} s adapter + {self.load_s - self.adapter_s:.2f} s ferrobus model; {how}; "
                f"adapter: the day as plain GTFS ({self.n_trips} trips, {self.n_routes} routes without "
                f"overtaking{f', {self.dropped} unusable trips dropped as by Trajet' if self.dropped else ''}), "
                "streets with no usable walk, "
                f"{self.n_links} timed links; differs: changes at one stop in 0 s"
                f"{f' ({self.n_change} stops have a transfers.txt change time)' if self.n_change else ''}, "
                "ignores pickup/drop-off types")


def main(queries_path: str, out: str, feeds: list[str]) -> None:
    spec = read_queries(queries_path)
    queries = spec["queries"]
    m = Model(feeds, dt.date.fromisoformat(spec["date"]), queries, spec.get("timed_links"))
    model, node = m.model, m.node
    window = int(spec.get("window") or 0)
    if spec.get("matrix"):  # travel_time_matrix over the query stops, timed as a whole
        stops_of = list(dict.fromkeys(q["from"] for q in queries))
        at = {s: ferrobus.create_transit_point(*node[s], model, 0, 1) for s in stops_of}
        ferrobus.travel_time_matrix(model, [at[s] for s in stops_of[:2]], queries[0]["time"], MAX_TRANSFERS)
        rows, took = timed(ferrobus.travel_time_matrix, model, [at[s] for s in stops_of], queries[0]["time"],
                           MAX_TRANSFERS)
        where = {s: i for i, s in enumerate(stops_of)}
        arrivals = [None if q["from"] == q["to"] or rows[where[q["from"]]][where[q["to"]]] is None
                    else q["time"] + rows[where[q["from"]]][where[q["to"]]] for q in queries]
        write_result(out, "ferrobus 0.2.1", m.load_s, arrivals, [took],
                     f"load {m.adapter_s:.2f} s adapter + {m.load_s - m.adapter_s:.2f} s ferrobus model; "
                     "travel_time_matrix (its own threads); the points are the stops themselves (no boarding copy)")
        return
    (m.journeys(queries[0], window) if window else m.earliest(queries[0]))  # warm-up
    arrivals, seconds = [], []
    for q in queries:
        if window:
            found, took = timed(m.journeys, q, window)
            arrivals.append(in_window_pareto(found, q["time"] + window))
        else:
            arrival, took = timed(m.earliest, q)
            arrivals.append(arrival)
        seconds.append(took)
    how = "pareto_range_multimodal_routing" if window else "find_routes_one_to_many"
    write_result(out, "ferrobus 0.2.1", m.load_s, arrivals, seconds, m.notes(how), window)


if __name__ == "__main__":
    args = sys.argv[1:]
    main(args[0], args[1], [a for flag, a in zip(args[2::2], args[3::2]) if flag == "--feed"])
