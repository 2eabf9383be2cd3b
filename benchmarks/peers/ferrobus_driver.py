"""ferrobus 0.2.1 (Rust RAPTOR, PyPI) on the common ground, in its own venv.

    benchmarks/.peers/ferrobus/bin/python benchmarks/peers/ferrobus_driver.py QUERIES OUT --feed FEED.zip

ferrobus routes between coordinates over an OSM street graph (walking 1.4 m/s; transfers are
the street walks between stops within max_transfer_time; only the largest connected street
component is kept) and reads a GTFS folder whose calendar it applies by weekday only (no
start/end dates) and whose frequencies.txt it ignores. So the adapter (all of it load time):
- writes the day's timetable as a plain GTFS folder: services active on the date (calendar
  with its date range, calendar_dates), frequencies expanded as Trajet does, trips of earlier
  days still running after midnight (times >= 24:00, shifted, cut to what runs after 00:00),
  trips whose times decrease dropped; one route per stop sequence split into chains without
  overtaking, since ferrobus groups trips by route_id and length and takes the stop order of
  one of them;
- gives each stop synthetic coordinates (stops sharing coordinates would share one street node
  and get a free walk between them) and writes an .osm.pbf with pyosmium: every stop a node,
  each joined by a footway to one hub node ~500 km away (one connected component, no walk ever
  short enough to use), plus one footway per transfers.txt link (Trajet's reading: parent
  stations expanded to their platforms, type 2 min_transfer_time, type 0/1 walk at 1.33 m/s),
  bent to the length that ferrobus turns into that many seconds; linked stops sit a few cm apart;
- makes each query stop a transit point at its node with max_walking_time 0, so access and
  egress are that stop only, and asks find_route with max_transfers 40 (Trajet's).
Where the models still differ (see notes): ferrobus changes trips at one stop in 0 s, where
transfers.txt sets a same-stop time (nyc-subway: 180 s at most platforms; Trajet applies it even
with slack 0); it ignores pickup_type/drop_off_type; after alighting it is ready only at the
trip's departure from that stop (dwell); it may walk a transfers.txt link before the first trip,
and chains links (walks are street paths; Trajet takes one link after a trip).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
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

from benchmarks.peers.common import read_queries, timed, write_result  # noqa: E402

DAY = 86400
E7 = 10**7  # OSM stores coordinates in 1e-7 degrees; synthetic ones are exact there
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def table(z: zipfile.ZipFile, name: str) -> tuple[dict, list[list[str]]]:
    """A GTFS file as (column -> index, rows); empty when the file is absent."""
    if name not in z.namelist():
        return {}, []
    rows = list(csv.reader(io.TextIOWrapper(z.open(name), "utf-8-sig")))
    return ({c.strip(): i for i, c in enumerate(rows[0])}, rows[1:]) if rows else ({}, [])


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


def day_trips(z: zipfile.ZipFile, date: dt.date) -> tuple[list, int]:
    """The trips running on the date, (stops, arrivals, departures) in seconds after its midnight."""
    col, rows = table(z, "trips.txt")
    service_of = {r[col["trip_id"]]: r[col["service_id"]] for r in rows}
    col, rows = table(z, "stop_times.txt")
    c_trip, c_seq, c_stop, c_arr, c_dep = (col[c] for c in ("trip_id", "stop_sequence", "stop_id", "arrival_time", "departure_time"))
    by_trip = defaultdict(list)
    for r in rows:
        by_trip[r[c_trip]].append((int(r[c_seq]), r[c_stop], r[c_arr], r[c_dep]))
    del rows
    templates, dropped = {}, 0
    for trip, st in by_trip.items():
        st.sort()
        try:
            arr, dep = [hms(a or d) for _, _, a, d in st], [hms(d or a) for _, _, a, d in st]
        except ValueError:  # times left empty (to interpolate): not supported here
            dropped += 1
            continue
        if any(d < a for a, d in zip(arr, dep)) or any(a < d for a, d in zip(arr[1:], dep)):
            dropped += 1  # Trajet drops these too
            continue
        templates[trip] = (tuple(s for _, s, _, _ in st), arr, dep)
    col, rows = table(z, "frequencies.txt")
    runs = []  # (trip, shift of its times): a frequency template runs once per headway, not as itself
    for r in rows:
        trip = r[col["trip_id"]]
        if trip in templates:
            start, end, headway = hms(r[col["start_time"]]), hms(r[col["end_time"]]), int(r[col["headway_secs"]])
            first = templates[trip][2][0]
            runs += [(trip, start + i * headway - first) for i in range(math.ceil((end - start) / headway))]
    expanded = {trip for trip, _ in runs}
    runs += [(trip, 0) for trip in templates if trip not in expanded]
    latest = max((templates[trip][2][-1] + shift for trip, shift in runs), default=0)
    trips = []
    for back in range(latest // DAY + 1):  # the date itself, then earlier days still running
        active = services_on(z, date - dt.timedelta(days=back))
        for trip, shift in runs:
            if service_of.get(trip) not in active:
                continue
            stops, arr, dep = templates[trip]
            shift -= back * DAY
            keep = [i for i in range(len(stops)) if dep[i] + shift >= 0]
            if len(keep) >= 2:
                trips.append((tuple(stops[i] for i in keep), [max(arr[i] + shift, 0) for i in keep],
                              [dep[i] + shift for i in keep]))
    return trips, dropped


def chains(trips: list) -> list[list]:
    """Routes for ferrobus: one stop sequence each, trips sorted, none overtaking another."""
    by_stops = defaultdict(list)
    for stops, arr, dep in trips:
        by_stops[stops].append((dep, arr))
    routes = []
    for stops, runs in by_stops.items():
        runs.sort()
        mine = []
        for dep, arr in runs:
            for chain in mine:  # ferrobus sorts a route's trips by first departure, ties in any order
                d0, a0 = chain[-1]
                if (dep[0] > d0[0] or (dep, arr) == (d0, a0)) and all(map(int.__ge__, dep, d0)) and all(map(int.__ge__, arr, a0)):
                    chain.append((dep, arr))
                    break
            else:
                mine.append([(dep, arr)])
        routes += [(stops, chain) for chain in mine]
    return routes


def links(z: zipfile.ZipFile, coords: dict) -> tuple[dict, int]:
    """transfers.txt as Trajet reads it: {(a, b): seconds} between distinct platforms, and how
    many platforms get a same-stop change time ferrobus cannot apply."""
    col, rows = table(z, "stops.txt")
    children = defaultdict(list)
    for r in rows:
        if "parent_station" in col and r[col["parent_station"]].strip():
            children[r[col["parent_station"]]].append(r[col["stop_id"]])
    col, rows = table(z, "transfers.txt")
    out, forbidden, change = {}, set(), set()
    for r in rows:
        a, b = r[col["from_stop_id"]], r[col["to_stop_id"]]
        kind = int(r[col["transfer_type"]] or 0)
        secs = int(r[col["min_transfer_time"]]) if "min_transfer_time" in col and r[col["min_transfer_time"]].strip() else -1
        pairs = [(x, y) for x in children.get(a, [a]) for y in children.get(b, [b])]
        for x, y in pairs:
            if kind == 3:
                forbidden.add((x, y))
            elif kind == 2 and secs >= 0:
                if x == y:
                    change.add(x) if secs > 0 else None
                else:
                    out[(x, y)] = secs
            elif a != b and x != y and x in coords and y in coords:
                (la, lo), (lb, lob) = coords[x], coords[y]
                metres = 6_371_000 * math.acos(min(1.0, math.sin(math.radians(la)) * math.sin(math.radians(lb)) + math.cos(
                    math.radians(la)) * math.cos(math.radians(lb)) * math.cos(math.radians(lob - lo))))
                out.setdefault((x, y), math.ceil(metres / 1.33))
    return {k: v for k, v in out.items() if k not in forbidden}, len(change)


def write_model_inputs(folder: Path, routes: list, stops: set, pairs: dict) -> dict:
    """The GTFS folder and streets.osm.pbf; returns stop -> (lat, lon) of its synthetic node."""
    side = math.ceil(math.sqrt(len(stops)))  # stops on a grid 0.01 degrees apart around 45 N, 10 E
    where = {s: (45 * E7 + (i // side) * 10**5, 10 * E7 + (i % side) * 10**5) for i, s in enumerate(sorted(stops))}
    writer = osmium.SimpleWriter(str(folder / "streets.osm.pbf"))
    hub = len(where) + 1  # ~500 km south: every walk between two stops takes days
    writer.add_node(osmium.osm.mutable.Node(id=hub, location=(10.0, 40.0)))
    for i, s in enumerate(sorted(stops), 1):
        writer.add_node(osmium.osm.mutable.Node(id=i, location=(where[s][1] / E7, where[s][0] / E7)))
        writer.add_way(osmium.osm.mutable.Way(id=i, nodes=[i, hub], tags={"highway": "footway"}))
    writer.close()
    gtfs = folder / "gtfs"
    gtfs.mkdir()
    files = {
        "stops.txt": [["stop_id", "stop_name", "stop_lat", "stop_lon"]]
        + [[s, s, f"{where[s][0] / E7:.7f}", f"{where[s][1] / E7:.7f}"] for s in sorted(stops)],
        "routes.txt": [["route_id", "route_short_name", "route_type"]] + [[f"r{i}", f"r{i}", "3"] for i in range(len(routes))],
        "trips.txt": [["route_id", "service_id", "trip_id"]],
        "stop_times.txt": [["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"]],
        "calendar.txt": [["service_id", *DAYS, "start_date", "end_date"], ["day", *"1111111", "19000101", "22001231"]],
        "calendar_dates.txt": [["service_id", "date", "exception_type"]],
        "transfers.txt": [["from_stop_id", "to_stop_id", "transfer_type", "min_transfer_time"]]
        + [[a, b, "2", str(secs)] for (a, b), secs in sorted(pairs.items())],
        "feed_info.txt": [["feed_publisher_name", "feed_publisher_url", "feed_lang"], ["trajet", "http://localhost", "en"]],
    }
    clock = lambda t: f"{t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}"  # noqa: E731
    for r, (route_stops, chain) in enumerate(routes):
        # where a trip of the route dwells, the stop is written twice (arrival, then departure):
        # ferrobus makes a rider who gets off wait until the trip leaves the stop
        dwell = {i for dep, arr in chain for i in range(len(dep)) if dep[i] > arr[i]}
        for dep, arr in chain:
            trip, rows = f"t{len(files['trips.txt'])}", []
            files["trips.txt"].append([f"r{r}", "day", trip])
            for i, (s, a, d) in enumerate(zip(route_stops, arr, dep)):
                rows += [(s, a, a), (s, d, d)] if i in dwell else [(s, a, d)]
            files["stop_times.txt"] += [[trip, clock(a), clock(d), s, str(i)] for i, (s, a, d) in enumerate(rows)]
    for name, rows in files.items():
        with open(gtfs / name, "w", newline="") as f:
            csv.writer(f).writerows(rows)
    # the very doubles the .pbf reader makes of them (nanodegrees * 1e-9), so that a query there
    # snaps to the stop's node at 0 s (ferrobus rounds the snapping walk up to whole seconds)
    return {s: (where[s][0] * 100 * 1e-9, where[s][1] * 100 * 1e-9) for s in stops}


def main(queries_path: str, out: str, feed: str) -> None:
    spec = read_queries(queries_path)
    date = dt.date.fromisoformat(spec["date"])
    started = time.perf_counter()
    with zipfile.ZipFile(feed) as z, tempfile.TemporaryDirectory() as tmp:
        trips, dropped = day_trips(z, date)
        col, rows = table(z, "stops.txt")
        coords = {r[col["stop_id"]]: (float(r[col["stop_lat"]] or 0), float(r[col["stop_lon"]] or 0)) for r in rows}
        stops = {s for t in trips for s in t[0]} | {q[k] for q in spec["queries"] for k in ("from", "to")}
        pairs, n_change = links(z, coords)
        pairs = {(a, b): secs for (a, b), secs in pairs.items() if a in stops and b in stops}
        routes = chains(trips)
        node = write_model_inputs(Path(tmp), routes, stops, pairs)
        model = ferrobus.create_transit_model(str(Path(tmp) / "streets.osm.pbf"), [str(Path(tmp) / "gtfs")], None,
                                              max([1, *pairs.values()]))
    load_s = time.perf_counter() - started
    points = {s: ferrobus.create_transit_point(*node[s], model, 0, 1) for s in {q[k] for q in spec["queries"] for k in ("from", "to")}}

    def earliest(q):  # find_route prunes early and may miss the earliest arrival (its docs say so)
        return ferrobus.find_routes_one_to_many(model, points[q["from"]], [points[q["to"]]], q["time"], 40)[0]

    earliest(spec["queries"][0])  # warm-up
    arrivals, seconds = [], []
    for q in spec["queries"]:
        route, took = timed(earliest, q)
        arrivals.append(q["time"] + route["travel_time_seconds"] if route else None)
        seconds.append(took)
    notes = (f"adapter: day's trips as plain GTFS ({len(trips)} trips, {len(routes)} non-overtaking routes"
             f"{f', {dropped} trips with bad times dropped' if dropped else ''}), synthetic street graph: "
             f"no walks but {len(pairs)} transfers.txt links; differs: change at one stop in 0 s"
             f"{f' ({n_change} platforms have a transfers.txt change time)' if n_change else ''}, no pickup/drop-off rules, "
             "ready only at the alighted trip's departure, may walk a link before the first trip")
    write_result(out, "ferrobus 0.2.1", load_s, arrivals, seconds, notes)


if __name__ == "__main__":
    args = sys.argv[1:]
    main(args[0], args[1], args[args.index("--feed") + 1])
