"""Compile read GTFS feeds into one CompiledNetwork.

Steps, per feed: index stops, routes and services; cut stop_times into per-trip time
rows; expand frequencies.txt into trips; group trips into patterns (same route, stop
sequence and boarding rules); turn transfers.txt into same-stop change times and
footpaths (rows naming a parent station apply to all its platforms). Then the feeds are
concatenated, and footpaths are generated between stops close to each other, within
and across feeds, at a walking speed.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from .bounds import cluster_bounds
from .compiled import (
    CHANGE_FORBIDDEN,
    COMPILER_VERSION,
    DROP_OFF,
    PICKUP,
    CompiledNetwork,
    Texts,
    children_of,
    service_days,
)
from .footpaths import CROW_FLY, PATHWAYS, STATION, STREETS, TRANSFERS, WalkGraph, WalkSettings, crow_fly_pairs
from .geo import distance_m
from .modes import mode_indices
from .pathways import pathway_edges, station_of, station_walks
from .read import IN_SEAT, GtfsFeed
from .report import Report
from .step_free import step_free_rows
from .streets import NO_WHEELCHAIR, STEPS, StreetGraph, StreetSnapper, street_footpaths
from .trip_links import trip_blocks, trip_links


def _as_days(values) -> np.ndarray:
    return np.asarray(values, dtype="datetime64[D]")


def service_bitmap(feed: GtfsFeed, service_ids: np.ndarray, first: np.datetime64, n_days: int) -> np.ndarray:
    """(service, day since first) -> 1 if it runs, from calendar then calendar_dates."""
    index = pd.Index(service_ids)
    active = np.zeros((len(service_ids), n_days), dtype=np.uint8)
    days = first + np.arange(n_days)
    weekday = (days.astype("datetime64[D]").view("int64") - 4) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    cal = feed.calendar
    if len(cal):
        week = cal[["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]].to_numpy(bool)
        rows = index.get_indexer(cal["service_id"])
        start = _as_days(cal["start_date"])
        end = _as_days(cal["end_date"])
        for r, s, e, w in zip(rows, start, end, week):
            runs = (days >= s) & (days <= e) & w[weekday]
            active[r] |= runs.astype(np.uint8)
    cd = feed.calendar_dates
    if len(cd):
        rows = index.get_indexer(cd["service_id"])
        day = (_as_days(cd["date"]) - first).astype(np.int64)
        value = (cd["exception_type"].to_numpy() == 1).astype(np.uint8)
        active[rows, day] = value
    return active


def feed_date_range(feed: GtfsFeed) -> tuple[np.datetime64, np.datetime64] | None:
    dates = []
    if len(feed.calendar):
        dates += [_as_days(feed.calendar["start_date"]).min(), _as_days(feed.calendar["end_date"]).max()]
    if len(feed.calendar_dates):
        d = _as_days(feed.calendar_dates["date"])
        dates += [d.min(), d.max()]
    if not dates:
        return None
    return min(dates), max(dates)


def _trip_rows(feed: GtfsFeed, trip_ids: pd.Index, stop_ids: pd.Index):
    """stop_times cut per trip: (trip index per row group, offsets, stop, arr, dep, rules)."""
    st = feed.stop_times
    trip_of_code = trip_ids.get_indexer(st["trip_id"].cat.categories)
    stop_of_code = stop_ids.get_indexer(st["stop_id"].cat.categories)
    trip = trip_of_code[st["trip_id"].cat.codes.to_numpy()]
    stop = stop_of_code[st["stop_id"].cat.codes.to_numpy()].astype(np.int32)
    starts = np.flatnonzero(np.r_[True, trip[1:] != trip[:-1]])
    offsets = np.r_[starts, len(trip)].astype(np.int64)
    rules = np.where(st["pickup_type"].to_numpy() == 1, 0, PICKUP) | np.where(
        st["drop_off_type"].to_numpy() == 1, 0, DROP_OFF
    )
    rules = rules.astype(np.uint8)
    rules[offsets[1:] - 1] &= ~PICKUP  # nobody boards at the last stop
    rules[offsets[:-1]] &= ~DROP_OFF  # nor alights at the first
    arr = st["arrival"].to_numpy(np.int32)
    dep = st["departure"].to_numpy(np.int32)
    return trip[starts], offsets, stop, arr, dep, rules


def _expand_frequencies(feed: GtfsFeed, trip_index, offsets, stop, arr, dep, rules, trip_ids: pd.Index):
    """Replace each frequency-based template trip by one trip per departure."""
    fq = feed.frequencies
    if not len(fq):
        return trip_index, offsets, stop, arr, dep, rules
    row_of_trip = np.full(len(trip_ids), -1, np.int64)
    row_of_trip[trip_index] = np.arange(len(trip_index))
    templates = trip_ids.get_indexer(fq["trip_id"])
    new_trip, new_rows = [], []
    for t, start, end, headway in zip(templates, fq["start_time"], fq["end_time"], fq["headway_secs"]):
        r = row_of_trip[t] if t >= 0 else -1
        if r < 0:
            continue
        n = int(np.ceil((int(end) - int(start)) / int(headway)))
        for i in range(n):
            new_trip.append(t)
            new_rows.append((r, int(start) + i * int(headway)))
    keep = np.ones(len(trip_index), bool)
    keep[row_of_trip[np.unique(templates[templates >= 0])]] = False
    pieces_idx = [np.arange(offsets[r], offsets[r + 1]) for r in np.flatnonzero(keep)]
    shifts = [0] * len(pieces_idx)
    trips_out = list(trip_index[keep])
    for t, (r, first_dep) in zip(new_trip, new_rows):
        pieces_idx.append(np.arange(offsets[r], offsets[r + 1]))
        shifts.append(first_dep - int(dep[offsets[r]]))
        trips_out.append(t)
    lengths = np.array([len(p) for p in pieces_idx], np.int64)
    idx = np.concatenate(pieces_idx)
    shift = np.repeat(np.array(shifts, np.int64), lengths)
    out_offsets = np.r_[0, np.cumsum(lengths)].astype(np.int64)
    return (
        np.array(trips_out, np.int64),
        out_offsets,
        stop[idx],
        (arr[idx] + shift).astype(np.int32),
        (dep[idx] + shift).astype(np.int32),
        rules[idx],
    )


def sequence_groups(lead: np.ndarray, offsets: np.ndarray, stops: np.ndarray, rules: np.ndarray) -> np.ndarray:
    """Row -> the first row with the same `lead` value, stop sequence and rules.

    Rows are CSR: row r has stops[offsets[r]:offsets[r + 1]] and their rules. Compiling
    groups trips into patterns with the route and the trips' accessibility as lead; a day
    view groups patterns that the router can ride as one with the mode family and the
    accessibility as lead.
    """
    first: dict[tuple, int] = {}
    out = np.empty(len(lead), np.int64)
    for r in range(len(lead)):
        lo, hi = offsets[r], offsets[r + 1]
        out[r] = first.setdefault((int(lead[r]), stops[lo:hi].tobytes(), rules[lo:hi].tobytes()), r)
    return out


def _patterns(trip_route, offsets, stop, rules, trip_wheelchair, trip_bikes):
    """Trip -> pattern (same route, stops and rules, and the same wheelchair_accessible and
    bikes_allowed, so that a query leaving out some trips leaves out whole patterns), and
    the patterns' stops, rules, route, wheelchair_accessible and bikes_allowed."""
    lead = (np.asarray(trip_route, np.int64) * 3 + trip_wheelchair) * 3 + trip_bikes
    firsts, trip_pattern = np.unique(sequence_groups(lead, offsets, stop.astype(np.int32), rules),
                                     return_inverse=True)  # first trips ascend: patterns in order of appearance
    rows = [np.arange(offsets[t], offsets[t + 1]) for t in firsts]
    lengths = np.array([len(r) for r in rows], np.int64)
    take = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    return (
        trip_pattern.astype(np.int32),
        np.r_[0, np.cumsum(lengths)].astype(np.int32),
        stop[take].astype(np.int32),
        rules[take].astype(np.uint8),
        np.asarray(trip_route)[firsts].astype(np.int32),
        np.asarray(trip_wheelchair)[firsts].astype(np.int8),
        np.asarray(trip_bikes)[firsts].astype(np.int8),
    )


def _transfers(feed: GtfsFeed, stop_ids: pd.Index, parent: np.ndarray, report: Report):
    """transfers.txt -> (stop change times, footpath (from, to, seconds), forbidden pairs)."""
    change = np.full(len(stop_ids), -1, np.int32)
    links: dict[tuple[int, int], int] = {}
    forbidden: set[tuple[int, int]] = set()
    tr = feed.transfers
    stop_wide = ((tr["from_trip_id"] == "") & (tr["to_trip_id"] == "") & (tr["from_route_id"] == "")
                 & (tr["to_route_id"] == "") & (tr["transfer_type"] < IN_SEAT))
    tr = tr[stop_wide.to_numpy()]  # the rest: feeds/trip_links.py
    if not len(tr):
        return change, links, forbidden
    children = children_of(parent)
    frm = stop_ids.get_indexer(tr["from_stop_id"])
    to = stop_ids.get_indexer(tr["to_stop_id"])
    n_unused = 0
    for a, b, kind, secs in zip(frm, to, tr["transfer_type"], tr["min_transfer_time"]):
        kind, secs = int(kind), int(secs)
        pairs = [(x, y) for x in children.get(a, [a]) for y in children.get(b, [b])]
        if kind == 3:
            for x, y in pairs:
                if x == y:
                    change[x] = CHANGE_FORBIDDEN
                forbidden.add((x, y))
        elif kind == 2 and secs >= 0:
            for x, y in pairs:
                if x == y:
                    change[x] = secs if change[x] != CHANGE_FORBIDDEN else CHANGE_FORBIDDEN
                else:
                    links[(x, y)] = secs
        elif a != b:
            for x, y in pairs:
                if x != y:
                    links.setdefault((x, y), -1)  # walking time filled from the distance
        else:
            n_unused += 1
    report.warning("transfers.txt", "same-stop transfers of type 0/1 carry no time; the query's slack applies",
                   count=n_unused)
    return change, links, forbidden


def compile_feeds(feeds: list[GtfsFeed], reports: list[Report], walking: WalkSettings = WalkSettings(),
                  streets: StreetGraph | None = None) -> tuple[CompiledNetwork, dict]:
    """Merge and compile read feeds. Ids are prefixed "NAME:" when there are several. With
    `streets` (an OpenStreetMap street graph) walks between stops follow the streets."""
    prefix = len(feeds) > 1
    ranges = [feed_date_range(f) for f in feeds]
    for r, report in zip(ranges, reports):
        if r is None:
            report.fail("calendar.txt", "no service dates: calendar.txt and calendar_dates.txt have no usable rows")
    first = min(r[0] for r in ranges if r)
    last = max(r[1] for r in ranges if r)
    n_days = int((last - first).astype(int)) + 1

    parts: dict[str, list] = {name: [] for name in CompiledNetwork._fields}
    n_stops = n_routes = n_agencies = n_trips = n_services = n_patterns = 0
    n_times = n_shapes = n_points = n_blocks = 0
    links_all: dict[tuple[int, int], int] = {}
    station_paths: list[tuple] = []  # (from, to, seconds, pathway modes) of walks inside stations
    step_free_paths: list[tuple] = []  # the same without stairs nor escalators
    pathway_stations: list[np.ndarray] = []  # the stations with pathways
    forbidden_all: set[tuple[int, int]] = set()
    feeds_meta = []
    for f_index, (feed, report) in enumerate(zip(feeds, reports)):
        pre = f"{feed.name}:" if prefix else ""
        stops = feed.stops
        stop_ids = pd.Index(stops["stop_id"])
        parent = stop_ids.get_indexer(stops["parent_station"]).astype(np.int32)
        parent[stops["parent_station"].to_numpy() == ""] = -1

        agency_ids = pd.Index(feed.agency["agency_id"])
        routes = feed.routes
        route_agency = agency_ids.get_indexer(routes["agency_id"])
        route_agency[route_agency < 0] = 0  # a lone agency named by no route
        route_ids = pd.Index(routes["route_id"])
        trips = feed.trips
        trip_ids = pd.Index(trips["trip_id"])
        service_ids = feed.service_ids
        service_index = pd.Index(service_ids)

        trip_index, offsets, stop, arr, dep, rules = _trip_rows(feed, trip_ids, stop_ids)
        trip_index, offsets, stop, arr, dep, rules = _expand_frequencies(
            feed, trip_index, offsets, stop, arr, dep, rules, trip_ids
        )
        trip_route = route_ids.get_indexer(trips["route_id"].to_numpy()[trip_index]).astype(np.int32)
        trip_wheelchair = trips["wheelchair_accessible"].to_numpy(np.int8)[trip_index]
        trip_bikes = trips["bikes_allowed"].to_numpy(np.int8)[trip_index]
        trip_pattern, p_offsets, p_stops, p_rules, p_route, p_wheelchair, p_bikes = _patterns(
            trip_route, offsets, stop, rules, trip_wheelchair, trip_bikes)
        change, links, forbidden = _transfers(feed, stop_ids, parent, report)
        if len(feed.pathways):
            edges = pathway_edges(feed, stop_ids)
            for wheelchair, found in ((False, station_paths), (True, step_free_paths)):
                a, b, secs, modes = station_walks(edges, len(stops), stops["location_type"].to_numpy(), parent,
                                                  wheelchair=wheelchair)
                found.append((a + n_stops, b + n_stops, secs, modes))
            pathway_stations.append(np.unique(station_of(parent)[np.r_[edges.from_stop, edges.to_stop]]) + n_stops)

        parts["stop_id"].append(Texts.from_strings(pre + s for s in stops["stop_id"]))
        parts["stop_name"].append(Texts.from_strings(stops["stop_name"]))
        parts["stop_lat"].append(stops["stop_lat"].to_numpy(np.float64))
        parts["stop_lon"].append(stops["stop_lon"].to_numpy(np.float64))
        parts["stop_parent"].append(np.where(parent >= 0, parent + n_stops, -1).astype(np.int32))
        parts["stop_location_type"].append(stops["location_type"].to_numpy(np.int8))
        parts["stop_platform_code"].append(Texts.from_strings(stops["platform_code"]))
        wheelchair = stops["wheelchair_boarding"].to_numpy(np.int8).copy()
        inherit = (wheelchair == 0) & (parent >= 0)
        wheelchair[inherit] = wheelchair[parent[inherit]]
        parts["stop_wheelchair"].append(wheelchair)
        parts["stop_change_time"].append(change)
        parts["route_id"].append(Texts.from_strings(pre + r for r in routes["route_id"]))
        for col in ("route_short_name", "route_long_name", "route_color", "route_text_color"):
            parts[col].append(Texts.from_strings(routes[col]))
        parts["route_type"].append(routes["route_type"].to_numpy(np.int32))
        parts["route_mode"].append(mode_indices(routes["route_type"].to_numpy()))
        parts["route_agency"].append((route_agency + n_agencies).astype(np.int32))
        parts["agency_name"].append(Texts.from_strings(feed.agency["agency_name"]))
        for col in ("agency_url", "agency_phone", "agency_fare_url"):  # the operator's human contact
            parts[col].append(Texts.from_strings(feed.agency[col]))
        parts["agency_feed"].append(np.full(len(feed.agency), f_index, np.int16))
        parts["trip_id"].append(Texts.from_strings(pre + t for t in trips["trip_id"].to_numpy()[trip_index]))
        parts["trip_headsign"].append(Texts.from_strings(trips["trip_headsign"].to_numpy()[trip_index]))
        parts["trip_wheelchair"].append(trip_wheelchair)
        parts["trip_bikes"].append(trip_bikes)
        shape_codes, shape_ids = pd.factorize(feed.shapes["shape_id"])
        named_shape = trips["shape_id"].to_numpy()[trip_index]
        trip_shape = pd.Index(shape_ids).get_indexer(named_shape)
        unknown = np.flatnonzero((trip_shape < 0) & (named_shape != ""))
        if len(unknown):
            first_trip = trips["trip_id"].to_numpy()[trip_index][unknown[0]]
            report.warning("trips.txt", f"unknown shape_id {named_shape[unknown[0]]!r} (not in shapes.txt) of trip "
                           f"{first_trip!r}: its legs are drawn from stop to stop", field="shape_id",
                           count=len(unknown))
        parts["trip_shape"].append(np.where(trip_shape >= 0, trip_shape + n_shapes, -1).astype(np.int32))
        counts = np.bincount(shape_codes, minlength=len(shape_ids))
        parts["shape_point_offsets"].append(np.r_[0, np.cumsum(counts)][:-1] + n_points)
        parts["shape_lat"].append(feed.shapes["shape_pt_lat"].to_numpy(np.float32))
        parts["shape_lon"].append(feed.shapes["shape_pt_lon"].to_numpy(np.float32))
        parts["trip_route"].append(trip_route + n_routes)
        trip_service = service_index.get_indexer(trips["service_id"].to_numpy()[trip_index])
        parts["trip_service"].append((trip_service + n_services).astype(np.int32))
        parts["trip_pattern"].append(trip_pattern + n_patterns)
        blocks = trip_blocks(feed, trip_index)
        parts["trip_block"].append(np.where(blocks >= 0, blocks + n_blocks, -1).astype(np.int32))
        n_blocks += int(blocks.max(initial=-1)) + 1
        shift = {"trip": n_trips, "route": n_routes, "stop": n_stops}
        for name, values in trip_links(feed, trip_index, offsets, stop, stop_ids, route_ids, parent, report).items():
            by = shift.get(name.rsplit("_", 1)[1], 0)
            parts[name].append(np.where(values >= 0, values + by, values).astype(values.dtype) if by else values)
        parts["trip_time_offsets"].append(offsets[:-1] + n_times)
        parts["stop_time_arr"].append(arr)
        parts["stop_time_dep"].append(dep)
        parts["pattern_stop_offsets"].append(p_offsets[:-1] + sum(len(p) for p in parts["pattern_stops"]))
        parts["pattern_stops"].append(p_stops + n_stops)
        parts["pattern_stop_rules"].append(p_rules)
        parts["pattern_route"].append(p_route + n_routes)
        parts["pattern_wheelchair"].append(p_wheelchair)
        parts["pattern_bikes"].append(p_bikes)
        parts["service_id"].append(Texts.from_strings(str(s) for s in service_ids))
        parts["service_feed"].append(np.full(len(service_ids), f_index, np.int16))
        active = service_bitmap(feed, np.asarray(service_ids), first, n_days)
        parts["service_active"].append(active)
        runs = np.flatnonzero(service_days(active, trip_service))
        if not len(runs):
            report.fail("calendar.txt", "no trip runs on any day: the services of every trip are inactive in "
                        "calendar.txt and calendar_dates.txt")
        _check_validity(feed.feed_info, first + runs[0], first + runs[-1], report)
        parts["feed_timezone"].append(Texts.from_strings([str(feed.agency["agency_timezone"].iloc[0])]))
        links_all.update({(a + n_stops, b + n_stops): s for (a, b), s in links.items()})
        forbidden_all |= {(a + n_stops, b + n_stops) for a, b in forbidden}

        feeds_meta.append({
            "name": feed.name,
            "sha256": feed.sha256,
            "publisher": (feed.feed_info or {}).get("publisher_name") or ", ".join(feed.agency["agency_name"]),
            "version": (feed.feed_info or {}).get("version"),
            "timezone": str(feed.agency["agency_timezone"].iloc[0]),
            "start_date": str(first + runs[0]),  # the first and last service days with a trip
            "end_date": str(first + runs[-1]),
            "feed_info": _feed_info(feed.feed_info),
            "n_stops": len(stops), "n_routes": len(routes), "n_trips": len(trip_index),
            "n_stop_times": int(len(stop)), "n_warnings": report.n_warning_rows,
            "report": report.to_dict(),
        })
        n_stops += len(stops)
        n_routes += len(routes)
        n_agencies += len(feed.agency)
        n_trips += len(trip_index)
        n_services += len(service_ids)
        n_patterns += len(p_route)
        n_times += len(stop)
        n_shapes += len(shape_ids)
        n_points += len(feed.shapes)

    arrays = {}
    for name, pieces in parts.items():
        if name in ("trip_time_offsets", "pattern_stop_offsets", "shape_point_offsets"):
            total = {"trip_time_offsets": n_times, "shape_point_offsets": n_points,
                     "pattern_stop_offsets": sum(len(p) for p in parts["pattern_stops"])}[name]
            arrays[name] = np.r_[np.concatenate(pieces), total].astype(np.int64 if name != "pattern_stop_offsets"
                                                                       else np.int32)
        elif name == "service_active":
            arrays[name] = np.concatenate(pieces, axis=0)
        elif name.startswith(("footpath_", "step_free_", "bound_")):
            continue
        elif isinstance(pieces[0], Texts):
            arrays[name] = Texts.concat(pieces)
        else:
            arrays[name] = np.concatenate(pieces)
    stations = np.concatenate(pathway_stations) if pathway_stations else np.zeros(0, np.int64)
    footpaths, n_snapped = _walks(arrays, station_paths, step_free_paths, stations, links_all, forbidden_all, walking,
                                  streets)
    arrays.update(footpaths)
    arrays.update(cluster_bounds(arrays))
    meta = {
        "compiler_version": COMPILER_VERSION,
        "first_date": str(first),  # day 0 of service_active
        "n_days": n_days,
        "first_service_date": min(f["start_date"] for f in feeds_meta),
        "last_service_date": max(f["end_date"] for f in feeds_meta),
        "feeds": feeds_meta,
        "max_trip_seconds": int(max(arrays["stop_time_arr"].max(), arrays["stop_time_dep"].max())),
        "walking": walking.to_json(),
        "stops_on_streets": n_snapped,  # stops within snap_max_m of a street (0 without streets)
        "step_free_stops": len(arrays["step_free_footpath_stop"]),  # stops whose step-free walks differ
        "compiled_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    return CompiledNetwork(**arrays), meta


def _check_validity(info: dict, first_day: np.datetime64, last_day: np.datetime64, report: Report) -> None:
    """A warning when feed_info.txt's validity dates hold none of the days its trips run."""
    try:
        start = np.datetime64(dt.datetime.strptime(info["start_date"], "%Y%m%d").date(), "D")
        end = np.datetime64(dt.datetime.strptime(info["end_date"], "%Y%m%d").date(), "D")
    except (KeyError, TypeError, ValueError):
        return  # absent or unreadable: the trips' days are the feed's days either way
    if end < first_day or start > last_day:
        report.warning("feed_info.txt", f"the feed says it is valid from {start} to {end}, but its trips run from "
                                        f"{first_day} to {last_day} only, none in that period: the dates a query "
                                        "may name are those of its trips", field="feed_start_date")


def _feed_info(info: dict) -> dict | None:
    """feed_info.txt as shown beside the service days (dates in ISO form); None without one."""
    if not info:
        return None

    def iso(text):
        return f"{text[:4]}-{text[4:6]}-{text[6:]}" if text and len(text) == 8 and text.isdigit() else text

    return {"publisher": info.get("publisher_name"), "url": info.get("publisher_url"), "lang": info.get("lang"),
            "version": info.get("version"), "startDate": iso(info.get("start_date")),
            "endDate": iso(info.get("end_date"))}


def _walks(arrays: dict, station_paths: list, step_free_paths: list, pathway_stations: np.ndarray, links: dict,
           forbidden: set, settings: WalkSettings, streets: StreetGraph | None) -> tuple[dict, int]:
    """The closed footpaths (feeds/footpaths.py): walks along pathways, transfers.txt links,
    station changes, then walks between stops (and entrances) close to each other: on the
    streets between two stops that lie on them, else crow-fly; and the step-free ones of
    wheelchair users where they differ (feeds/step_free.py: the same sources without stairs,
    escalators or steps). Also returns how many stops lie on the streets."""
    lat, lon = arrays["stop_lat"], arrays["stop_lon"]
    location_type, parent = arrays["stop_location_type"], arrays["stop_parent"]
    n = len(lat)
    graph = WalkGraph(n, settings, arrives=location_type == 0)
    step_free = WalkGraph(n, settings, arrives=location_type == 0)
    for walks, paths in ((graph, station_paths), (step_free, step_free_paths)):
        for a, b, secs, modes in paths:
            walks.add(a, b, secs, np.zeros(len(a)), PATHWAYS, given=True, pathway_modes=modes)
    la = lb = np.zeros(0, np.int64)
    if links:
        la = np.array([k[0] for k in links], np.int64)
        lb = np.array([k[1] for k in links], np.int64)
        secs = np.array(list(links.values()), np.int64)
        unknown = secs < 0  # type 0/1 rows between two stops: the walk, but the feed's word that it exists
        secs[unknown] = settings.walk_seconds(settings.detour * distance_m(lat[la[unknown]], lon[la[unknown]],
                                                                          lat[lb[unknown]], lon[lb[unknown]]))
        for walks in (graph, step_free):
            walks.add(la, lb, secs, np.zeros(len(la)), TRANSFERS, given=True)
    bad = np.array([x * n + y for x, y in forbidden], np.int64)
    step_free_bad = bad
    platforms = np.flatnonzero((location_type == 0) & (parent >= 0))
    if len(platforms):
        order = platforms[np.argsort(parent[platforms], kind="stable")]
        starts = np.flatnonzero(np.r_[True, parent[order][1:] != parent[order][:-1]])
        sizes = np.diff(np.r_[starts, len(order)])
        a = np.concatenate([np.repeat(order[s:s + k], k) for s, k in zip(starts, sizes)])
        b = np.concatenate([np.tile(order[s:s + k], k) for s, k in zip(starts, sizes)])
        secs = np.maximum(settings.station_walk_s,
                          settings.walk_seconds(settings.detour * distance_m(lat[a], lon[a], lat[b], lon[b])))
        graph.add(a, b, secs, np.zeros(len(a)), STATION, given=True)
        # a station with pathways joins its platforms by its step-free pathways (or the feed's links) only
        inside = np.isin(station_of(parent)[a], pathway_stations) & (a != b)
        step_free.add(a[~inside], b[~inside], secs[~inside], np.zeros(int((~inside).sum())), STATION, given=True)
        joined = np.concatenate([x * n + y for x, y, _, _ in step_free_paths] + [la * n + lb])
        cut = a[inside].astype(np.int64) * n + b[inside]
        step_free_bad = np.union1d(bad, cut[~np.isin(cut, joined)])
    walkable = np.isin(location_type, (0, 2)) & np.isfinite(lat) & np.isfinite(lon)
    snapped = np.zeros(n, bool)
    if streets is not None:
        snapper = StreetSnapper(streets)
        for walks, no in ((graph, 0), (step_free, int(STEPS | NO_WHEELCHAIR))):
            a, b, metres, on_streets = street_footpaths(streets, lat, lon, walkable, settings.radius_m,
                                                        settings.snap_max_m, flags_forbidden=no, snapper=snapper)
            if walks is graph:  # on the streets: walks on them (step-free ones for a wheelchair), not crow-fly
                snapped = on_streets
            walked = np.maximum(np.round(metres), 1)
            walks.add(a, b, settings.walk_seconds(walked), walked, STREETS, given=False)
    a, b, metres = crow_fly_pairs(lat, lon, walkable, settings.radius_m / settings.detour)
    off_streets = ~(snapped[a] & snapped[b])  # two stops on the streets walk on them, or not at all
    a, b, metres = a[off_streets], b[off_streets], metres[off_streets]
    walked = np.maximum(np.round(metres * settings.detour), 1)
    for walks in (graph, step_free):
        walks.add(a, b, settings.walk_seconds(walked), walked, CROW_FLY, given=False)
    footpaths = graph.close(bad)
    footpaths.update(step_free_rows(footpaths, step_free.close(step_free_bad), n))
    return footpaths, int(snapped.sum())
