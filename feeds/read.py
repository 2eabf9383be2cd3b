"""Read a GTFS feed (a .zip or a folder of .txt files) into typed pandas tables: `read_feed`.

Each file is read by pyarrow.csv with every column as a dictionary-encoded string (no type
inference; feeds/source.py: the zip or folder, encodings, ragged rows), then converted column
by column according to SCHEMA (column -> Col kind). A
conversion works on the distinct values of a column and is broadcast to the rows through the
dictionary codes, so even the 7.4M stop_times of nyc-bus convert in a few seconds.

Problems go to a Report: dropped or repaired rows give one warning per kind of problem (first
line, count; the header is line 1), a feed that cannot be used raises FeedError (report.fail).
Line numbers assume one line per record (a quoted value spanning lines shifts them).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from tqdm import tqdm

from .gtfs_time import MISSING, interpolate, parse_times
from .limits import FeedLimits
from .pathways import MODE_NAMES, ONE_WAY_MODES, station_of
from .report import Report
from .source import Source, read_csv

DROP = "<drop>"  # Col.default: an empty or invalid value drops the row


@dataclass(frozen=True)
class Col:
    """How to convert one column. Empty values become `default`; invalid ones too (with a
    warning), unless default is DROP: then the row is dropped. Numbers outside [lo, hi] are
    invalid. A `ref` column holds the int32 row index of the id in another table (-1: none)."""

    kind: str  # text | color | ref | int8 | int32 | float | date | time
    required: bool = False  # the column must be present in the file
    default: object = ""
    lo: float = -np.inf
    hi: float = np.inf


ID, TEXT, REF = Col("text", True, DROP), Col("text"), Col("ref", True, DROP)
DATE, COLOR = Col("date", True, DROP), Col("color")
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
FEED_INFO = ("publisher_name", "publisher_url", "lang", "start_date", "end_date", "version")
SCHEMA: dict[str, dict[str, Col]] = {
    "agency.txt": {"agency_id": TEXT, "agency_name": Col("text", True), "agency_url": Col("text", True),
                   "agency_timezone": Col("text", True), "agency_phone": TEXT, "agency_fare_url": TEXT},
    "stops.txt": {"stop_id": ID, "stop_name": TEXT, "stop_lat": Col("float", False, np.nan, -90, 90),
                  "stop_lon": Col("float", False, np.nan, -180, 180), "location_type": Col("int8", False, 0, 0, 4),
                  "parent_station": TEXT, "platform_code": TEXT, "level_id": TEXT,
                  "wheelchair_boarding": Col("int8", False, 0, 0, 2)},
    "routes.txt": {"route_id": ID, "agency_id": TEXT, "route_short_name": TEXT, "route_long_name": TEXT,
                   "route_type": Col("int32", True, DROP, 0, 1799), "route_color": COLOR, "route_text_color": COLOR},
    "calendar.txt": {"service_id": ID, **{d: Col("int8", True, DROP, 0, 1) for d in DAYS},
                     "start_date": DATE, "end_date": DATE},
    "calendar_dates.txt": {"service_id": ID, "date": DATE, "exception_type": Col("int8", True, DROP, 1, 2)},
    "trips.txt": {"trip_id": ID, "route_id": REF, "service_id": REF, "trip_headsign": TEXT,
                  "direction_id": Col("int8", False, -1, 0, 1), "shape_id": TEXT, "block_id": TEXT,
                  "wheelchair_accessible": Col("int8", False, 0, 0, 2), "bikes_allowed": Col("int8", False, 0, 0, 2)},
    "stop_times.txt": {"trip_id": REF, "stop_id": REF, "stop_sequence": Col("int32", True, DROP, 0),
                       "arrival_time": Col("time", True, MISSING), "departure_time": Col("time", True, MISSING),
                       "pickup_type": Col("int8", False, 0, 0, 3), "drop_off_type": Col("int8", False, 0, 0, 3),
                       "shape_dist_traveled": Col("float", False, np.nan, 0)},
    "frequencies.txt": {"trip_id": REF, "start_time": Col("time", True, DROP), "end_time": Col("time", True, DROP),
                        "headway_secs": Col("int32", True, DROP, 1), "exact_times": Col("int8", False, 0, 0, 1)},
    "transfers.txt": {"from_stop_id": Col("ref", False, -1), "to_stop_id": Col("ref", False, -1),
                      "transfer_type": Col("int8", True, 0, 0, 5),
                      "min_transfer_time": Col("int32", False, -1, 0),
                      **{c: TEXT for c in ("from_route_id", "to_route_id", "from_trip_id", "to_trip_id")}},
    "feed_info.txt": {f"feed_{k}": TEXT for k in FEED_INFO},
    "shapes.txt": {"shape_id": ID, "shape_pt_lat": Col("float", True, DROP, -90, 90),
                   "shape_pt_lon": Col("float", True, DROP, -180, 180),
                   "shape_pt_sequence": Col("int32", True, DROP, 0)},
    "levels.txt": {"level_id": ID, "level_index": Col("float", True, DROP), "level_name": TEXT},
    "pathways.txt": {"pathway_id": ID, "from_stop_id": REF, "to_stop_id": REF,
                     "pathway_mode": Col("int8", True, DROP, 1, 7), "is_bidirectional": Col("int8", True, DROP, 0, 1),
                     "length": Col("float", False, np.nan, 0), "traversal_time": Col("int32", False, -1, 1),
                     "stair_count": Col("int32", False, 0), "max_slope": Col("float", False, np.nan),
                     "min_width": Col("float", False, np.nan, 0), "signposted_as": TEXT,
                     "reversed_signposted_as": TEXT},
}
REQUIRED_FILES = ("agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt")
DTYPES = {"text": object, "color": object, "ref": np.int32, "int8": np.int8, "int32": np.int32,
          "float": np.float64, "date": "datetime64[s]", "time": np.int32}

Rows = dict[str, np.ndarray]  # a table being cleaned: column -> array, plus "_line" (file line)


@dataclass
class GtfsFeed:
    """A cleaned GTFS feed; every table is a DataFrame with a RangeIndex and exactly these columns.

    Text: object dtype of str, "" when missing (never NaN). Times: int32 seconds since "noon
    minus 12 h" of the service day (may pass 24 h). Dates: datetime64[s] at midnight (pandas
    has no datetime64[D]; use .to_numpy().astype("datetime64[D]")).
    - agency: agency_id, agency_name, agency_url, agency_timezone (valid IANA zone)
    - stops: stop_id, stop_name, stop_lat, stop_lon (float64 degrees), location_type (int8),
      parent_station, platform_code, level_id, wheelchair_boarding (int8: 0 unknown, 1 yes, 2 no)
    - routes: route_id, agency_id, route_short_name, route_long_name, route_type (int32),
      route_color, route_text_color (uppercase hex without '#')
    - trips: trip_id, route_id, service_id, trip_headsign, direction_id (int8, -1 missing), shape_id,
      block_id, wheelchair_accessible, bikes_allowed (int8: 0 unknown, 1 yes, 2 no)
    - stop_times: trip_id (Categorical, categories = trips.trip_id in order), stop_id (Categorical,
      categories = stops.stop_id), stop_sequence (int32), arrival, departure (int32 s, none
      missing: interpolated), pickup_type, drop_off_type (int8), shape_dist_traveled (float64,
      NaN missing). Sorted by trip (trips order) then stop_sequence; times never decrease.
    - calendar: service_id, monday..sunday (int8 0/1), start_date, end_date
    - calendar_dates: service_id, date, exception_type (int8: 1 added, 2 removed)
    - frequencies: trip_id, start_time, end_time (int32 s), headway_secs (int32 > 0), exact_times (int8)
    - transfers: from_stop_id, to_stop_id ("" blank: only for types 4 and 5), transfer_type (int8),
      min_transfer_time (int32 s, -1 missing), from_route_id, to_route_id, from_trip_id, to_trip_id
      (known ids or ""; both trips given for types 4 and 5), _line (int32, the row's line in the
      file: feeds/trip_links.py names it when it drops a row)
    - feed_info: publisher_name, publisher_url, lang, start_date, end_date, version (str or None); {} if absent
    - shapes: shape_id, shape_pt_lat, shape_pt_lon (float64 degrees), shape_pt_sequence (int32);
      sorted by shape_id then sequence; empty when shapes.txt is absent
    - levels: level_id (unique), level_index (float64), level_name; empty when levels.txt is absent
    - pathways: pathway_id (unique), from_stop_id, to_stop_id (known stops, never a station),
      pathway_mode (int8 1..7, feeds/pathways.py: MODE_NAMES), is_bidirectional (int8 0/1; always 0
      for escalators, moving walkways and exit gates), length (float64 m, >= 0, NaN missing),
      traversal_time (int32 s, > 0, -1 missing), stair_count (int32, < 0 going down, 0 unknown),
      max_slope, min_width (float64, NaN missing), signposted_as, reversed_signposted_as; in file
      order; empty when pathways.txt is absent (feeds/pathways.py turns them into walks)
    """

    name: str
    path: str
    sha256: str
    agency: pd.DataFrame
    stops: pd.DataFrame
    routes: pd.DataFrame
    trips: pd.DataFrame
    stop_times: pd.DataFrame
    calendar: pd.DataFrame
    calendar_dates: pd.DataFrame
    frequencies: pd.DataFrame
    transfers: pd.DataFrame
    shapes: pd.DataFrame
    levels: pd.DataFrame
    pathways: pd.DataFrame
    service_ids: np.ndarray  # object array of str: every service_id of calendar then calendar_dates, once
    feed_info: dict = field(default_factory=dict)


def read_feed(path: str | os.PathLike, name: str, report: Report, progress: bool = False,
              limits: FeedLimits = FeedLimits()) -> GtfsFeed:
    """Read and clean the GTFS feed at `path` (.zip, possibly with one sub-folder, or a folder).

    Findings go to `report`; raises FeedError (via report.fail) when the feed cannot be used,
    or costs more than `limits` (feeds/limits.py). With progress=True a tqdm bar over the
    files goes to stderr.
    """
    path = Path(path)
    source = Source(path, report, limits)
    bar = tqdm(total=len(SCHEMA), desc=name, unit="file", file=sys.stderr, disable=not progress)
    absent: set[str] = set()
    n_read: dict[str, int] = {}  # data rows read per file, before any was dropped
    columns: dict[str, list[str]] = {}  # the SCHEMA columns present in each file

    def load(fname: str, refs: dict[str, pd.Index] | None = None) -> Rows:
        bar.set_description(f"{name}: {fname}")
        table, lines = read_csv(source, fname, SCHEMA[fname], report)
        bar.update()
        if table is None:
            if fname in REQUIRED_FILES:
                report.fail(fname, "required file is empty (0 bytes or only blank lines)" if fname in source.files
                            else "required file missing")
            absent.add(fname)
        n_read[fname], columns[fname] = len(lines), [] if table is None else table.column_names
        return _convert(fname, table, lines, report, refs or {})

    def need_rows(rows: Rows, fname: str, what: str, files: tuple[str, ...] = ()) -> None:
        """Fail when no row of `fname` is left: it had none, or every one was dropped."""
        if not len(rows["_line"]):
            _fail_no_rows(report, fname, what, files or (fname,), n_read)

    try:
        if not source.files.keys() & set(REQUIRED_FILES):
            several = f"; several folders hold a stops.txt ({', '.join(source.folders)}): give one feed per zip"
            report.fail(path.name, f"no GTFS file found: none of {', '.join(REQUIRED_FILES)} (at the top or in "
                                   f"one sub-folder){several if len(source.folders) > 1 else ''}")
        agency = load("agency.txt")
        need_rows(agency, "agency.txt", "agency")
        agency = _agency(agency, report)
        stops = _stops(load("stops.txt"), report, columns["stops.txt"])
        need_rows(stops, "stops.txt", "stop")
        routes = _routes(load("routes.txt"), agency, report)
        need_rows(routes, "routes.txt", "route")
        calendar, dates = load("calendar.txt"), load("calendar_dates.txt")
        if {"calendar.txt", "calendar_dates.txt"} <= absent:
            empty = [f for f in ("calendar.txt", "calendar_dates.txt") if f in source.files]
            report.fail(empty[0] if empty else "calendar.txt",
                        f"{' and '.join(empty)} {'is' if len(empty) == 1 else 'are'} empty (0 bytes or only blank "
                        "lines): no service calendar" if empty else
                        "neither calendar.txt nor calendar_dates.txt is present")
        calendar, dates, services = _services(calendar, dates, report)
        if not len(services):
            present = tuple(f for f in ("calendar.txt", "calendar_dates.txt") if f not in absent)
            _fail_no_rows(report, present[0], "service", present, n_read)
        trips = load("trips.txt", {"route_id": pd.Index(routes["route_id"]), "service_id": services})
        trips = _dedupe(trips, "trip_id", report, "trips.txt")
        need_rows(trips, "trips.txt", "trip")
        trips["route_id"] = routes["route_id"][trips["route_id"]]
        trips["service_id"] = services.to_numpy(dtype=object)[trips["service_id"]]
        stop_index = pd.Index(stops["stop_id"])
        stop_times = load("stop_times.txt", {"trip_id": pd.Index(trips["trip_id"]), "stop_id": stop_index})
        need_rows(stop_times, "stop_times.txt", "stop time")
        stop_times = _stop_times(stop_times, report)
        need_rows(stop_times, "stop_times.txt", "trip")  # every trip's stop_times were dropped
        used = np.zeros(len(trips["trip_id"]), dtype=bool)
        used[stop_times["trip_id"]] = True
        trips = _drop(trips, ~used, report, "trips.txt", "trip without usable stop_times dropped", "trip_id")
        stop_times["trip_id"] = (np.cumsum(used) - 1).astype(np.int32)[stop_times["trip_id"]]
        frequencies = _frequencies(load("frequencies.txt", {"trip_id": pd.Index(trips["trip_id"])}), trips, report)
        transfers = _transfers(load("transfers.txt", {"from_stop_id": stop_index, "to_stop_id": stop_index}), stops,
                               trips, report)
        shapes = _shapes(load("shapes.txt"), report)
        levels = _levels(load("levels.txt"), stops, report)
        pathways = _pathways(load("pathways.txt", {"from_stop_id": stop_index, "to_stop_id": stop_index}), stops,
                             report)
        info = load("feed_info.txt")
        feed_info = {k: (info[f"feed_{k}"][0] or None) for k in FEED_INFO} if len(info["_line"]) else {}
    finally:
        bar.close()
        source.close()
    stop_times["trip_id"] = pd.Categorical.from_codes(stop_times["trip_id"], pd.Index(trips["trip_id"], dtype=object))
    stop_times["stop_id"] = pd.Categorical.from_codes(stop_times["stop_id"], pd.Index(stops["stop_id"], dtype=object))
    stop_times["arrival"], stop_times["departure"] = stop_times.pop("arrival_time"), stop_times.pop("departure_time")
    columns = {"stop_times": ["trip_id", "stop_id", "stop_sequence", "arrival", "departure", "pickup_type",
                              "drop_off_type", "shape_dist_traveled"], "transfers": list(SCHEMA["transfers.txt"])}
    tables = {"agency": agency, "stops": stops, "routes": routes, "trips": trips, "stop_times": stop_times,
              "calendar": calendar, "calendar_dates": dates, "frequencies": frequencies, "transfers": transfers,
              "shapes": shapes, "levels": levels, "pathways": pathways}
    frames = {k: _frame(rows, columns.get(k, list(SCHEMA[f"{k}.txt"]))) for k, rows in tables.items()}
    frames["transfers"]["_line"] = transfers["_line"]  # feeds/trip_links.py names the line of a row it drops
    return GtfsFeed(name=name, path=str(path), sha256=source.sha256, feed_info=feed_info,
                    service_ids=services.to_numpy(dtype=object), **frames)


# ---------------------------------------------------------------- conversion
def _text(u: pa.Array, ref=None):
    return u.to_numpy(zero_copy_only=False), np.ones(len(u), bool)


def _color(u: pa.Array, ref=None):
    ok = pc.match_substring_regex(u, r"^#?[0-9A-Fa-f]{6}$").to_numpy(zero_copy_only=False)
    return pc.utf8_upper(pc.utf8_ltrim(u, "#")).to_numpy(zero_copy_only=False), ok


def _ref(u: pa.Array, ref: pd.Index):
    index = ref.get_indexer(u.to_numpy(zero_copy_only=False)).astype(np.int32)
    return index, index >= 0


def _int(u: pa.Array, ref=None):
    ok = pc.match_substring_regex(u, r"^[+-]?\d{1,18}(\.0*)?$")
    digits = pc.if_else(ok, pc.replace_substring_regex(u, r"\.0*$", ""), "0")
    return pc.cast(digits, pa.int64()).to_numpy(), ok.to_numpy(zero_copy_only=False)


def _float(u: pa.Array, ref=None):
    ok = pc.match_substring_regex(u, r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
    values = pc.cast(pc.if_else(ok, u, "nan"), pa.float64()).to_numpy()
    return values, np.isfinite(values)  # 1e999 is not a number either


def _date(u: pa.Array, ref=None):
    text = pd.Series(u.to_numpy(zero_copy_only=False), dtype=object).where(
        pc.match_substring_regex(u, r"^\d{8}$").to_numpy(zero_copy_only=False))
    days = pd.to_datetime(text, format="%Y%m%d", errors="coerce").to_numpy().astype("datetime64[s]")
    return days, ~np.isnat(days)


CONVERTERS = {"text": _text, "color": _color, "ref": _ref, "int8": _int, "int32": _int, "float": _float,
              "date": _date, "time": lambda u, ref=None: parse_times(u)}
INVALID = {"ref": "unknown id", "date": "invalid date", "time": "invalid time", "color": "invalid color"}


def _convert(fname: str, table: pa.Table | None, lines: np.ndarray, report: Report,
             refs: dict[str, pd.Index]) -> Rows:
    """Convert the SCHEMA[fname] columns of `table` (absent ones get their default). Each value
    is parsed once per distinct string, then broadcast to the rows through the dictionary codes.
    Empty or invalid values of a DROP column drop the row; elsewhere they become the default
    (invalid ones with a warning)."""
    rows: Rows = {"_line": lines}
    dropped = np.zeros(len(lines), bool)
    for name, col in SCHEMA[fname].items():
        dtype, drop = DTYPES[col.kind], col.default == DROP
        fill = np.array(0 if drop else col.default).astype(dtype)
        if table is None or name not in table.column_names:
            rows[name] = np.full(len(lines), fill, dtype=dtype)
            continue
        chunks = table.column(name).chunks  # one shared dictionary (unified)
        codes = np.concatenate([c.indices.to_numpy() for c in chunks]) if chunks else np.zeros(0, np.int32)
        uniques = pc.utf8_trim_whitespace(chunks[0].dictionary) if chunks else pa.array([], pa.string())
        values, ok = CONVERTERS[col.kind](uniques, refs.get(name))
        empty = pc.utf8_length(uniques).to_numpy(zero_copy_only=False) == 0
        lo, hi = col.lo, col.hi
        if col.kind in ("int8", "int32"):
            lo, hi = max(lo, np.iinfo(dtype).min), min(hi, np.iinfo(dtype).max)
        in_range = (values >= lo) & (values <= hi) if col.kind in ("int8", "int32", "float") else ok
        problems = {INVALID.get(col.kind, "invalid number"): ~empty & ~ok,
                    "value out of range": ~empty & ok & ~in_range}
        if drop:
            problems["missing value"] = empty
        missing = col.default in ("", -1) or pd.isna(col.default)
        action = "row dropped" if drop else "treated as missing" if missing else f"set to {col.default}"
        for reason, bad in problems.items():
            if bad.any():
                bad = bad[codes]
                _warn(report, fname, lines, bad & ~dropped, f"{reason}, {action}", name)
                if drop:
                    dropped |= bad
        rows[name] = np.where(empty | ~ok | ~in_range, fill, values).astype(dtype)[codes]
    return _take(rows, ~dropped) if dropped.any() else rows


# ---------------------------------------------------------------- helpers
def _take(rows: Rows, keep: np.ndarray) -> Rows:
    return {k: v[keep] for k, v in rows.items()}


def _warn(report: Report, fname: str, lines: np.ndarray, mask: np.ndarray, reason: str, field: str | None,
          count: int | None = None) -> None:
    if mask.any():
        report.warning(fname, reason, line=int(lines[mask].min()), field=field,
                       count=int(mask.sum()) if count is None else count)


def _fail_no_rows(report: Report, fname: str, what: str, files: tuple[str, ...], n_read: dict[str, int]) -> None:
    """Fail: no usable row is left in `files` (reported as `fname`), either because they have a
    header and no rows, or because every row was dropped: then the error points at the first
    line of the most frequent reason a row was dropped."""
    drops = [w for w in report.warnings if w.file in files and "dropped" in w.reason]
    main = max(drops, key=lambda w: w.count, default=None)
    if main is None:
        if not any(n_read.get(f) for f in files):
            names = " and ".join(files)
            report.fail(fname, f"no {what}: {names} {'has' if len(files) == 1 else 'have'} a header line and no rows")
        report.fail(fname, f"no usable {what}: every row was dropped")
    report.fail(main.file, f"no usable {what}: every row was dropped (main reason: {main.reason})",
                line=main.line, field=main.field)


def _drop(rows: Rows, mask: np.ndarray, report: Report, fname: str, reason: str, field: str | None = None,
          count: int | None = None) -> Rows:
    """Drop the rows where mask is True, with one aggregated warning."""
    if not mask.any():
        return rows
    _warn(report, fname, rows["_line"], mask, reason, field, count)
    return _take(rows, ~mask)


def _dedupe(rows: Rows, keys: str | list[str], report: Report, fname: str) -> Rows:
    keys = [keys] if isinstance(keys, str) else keys
    dup = pd.DataFrame({k: rows[k] for k in keys}).duplicated().to_numpy()
    return _drop(rows, dup, report, fname, f"duplicate {'/'.join(keys)}, first kept", keys[-1])


def _frame(rows: Rows, columns: list[str]) -> pd.DataFrame:
    """A DataFrame of these columns keeping the arrays' dtypes (pandas would turn object into str)."""
    return pd.DataFrame({c: rows[c] if isinstance(rows[c], pd.Categorical)
                         else pd.Series(rows[c], dtype=rows[c].dtype, copy=False) for c in columns}, copy=False)


# ---------------------------------------------------------------- table rules
def _agency(rows: Rows, report: Report) -> Rows:
    """Every agency_timezone must be a known IANA zone; agency_id "" is fine for one agency."""
    for tz in pd.unique(rows["agency_timezone"]):
        try:
            ZoneInfo(tz)
        except (ValueError, KeyError, OSError):
            line = rows["_line"][rows["agency_timezone"] == tz][0]
            report.fail("agency.txt", f"unknown timezone {tz!r}", line=line, field="agency_timezone")
    return _dedupe(rows, "agency_id", report, "agency.txt")


def _stops(rows: Rows, report: Report, columns: list[str]) -> Rows:
    """Stops and stations (location_type 0/1) need coordinates: taken from the parent station
    when missing, else the stop is dropped. (0, 0) counts as missing. The stop_lat and stop_lon
    columns may be absent only when every stop is a generic node or boarding area (3, 4)."""
    f = "stops.txt"
    located = rows["location_type"] <= 2
    for column in ("stop_lat", "stop_lon"):
        if column not in columns and located.any():
            report.fail(f, f"missing column {column}, required for stops, stations and entrances (location_type "
                           f"0, 1, 2; first at line {int(rows['_line'][located][0])})", line=1, field=column)
    rows = _dedupe(rows, "stop_id", report, f)
    lat, lon = rows["stop_lat"], rows["stop_lon"]
    has_xy = np.isfinite(lat) & np.isfinite(lon) & ((lat != 0) | (lon != 0))
    parent = pd.Index(rows["stop_id"]).get_indexer(rows["parent_station"])
    fill = ~has_xy & (parent >= 0) & has_xy[parent]
    lat[fill], lon[fill] = lat[parent[fill]], lon[parent[fill]]
    _warn(report, f, rows["_line"], fill, "no valid coordinates, parent station's used", "stop_lat")
    rows = _drop(rows, ~(has_xy | fill) & (rows["location_type"] <= 1), report, f,
                 "stop without valid coordinates dropped", "stop_lat")
    unknown = (rows["parent_station"] != "") & (pd.Index(rows["stop_id"]).get_indexer(rows["parent_station"]) < 0)
    _warn(report, f, rows["_line"], unknown, "unknown parent_station, cleared", "parent_station")
    rows["parent_station"][unknown] = ""
    return rows


def _routes(rows: Rows, agency: Rows, report: Report) -> Rows:
    """Routes without agency_id go to the only agency (or, with several, the first one, with a
    warning); routes naming an unknown agency go to the only agency or are dropped."""
    f, ids = "routes.txt", agency["agency_id"]
    rows = _dedupe(rows, "route_id", report, f)
    aid = rows["agency_id"]
    unknown = (pd.Index(ids).get_indexer(aid) < 0) & (aid != "")
    if len(ids) == 1:
        _warn(report, f, rows["_line"], unknown, "unknown agency_id, set to the only agency", "agency_id")
        aid[:] = ids[0]
        return rows
    _warn(report, f, rows["_line"], aid == "", "missing agency_id, set to the first agency", "agency_id")
    aid[aid == ""] = ids[0]
    return _drop(rows, unknown, report, f, "unknown id, row dropped", "agency_id")


def _services(calendar: Rows, dates: Rows, report: Report) -> tuple[Rows, Rows, pd.Index]:
    """Clean calendar and calendar_dates; returns them and the index of all service_ids."""
    calendar = _dedupe(calendar, "service_id", report, "calendar.txt")
    calendar = _drop(calendar, calendar["start_date"] > calendar["end_date"], report, "calendar.txt",
                     "end_date before start_date, row dropped", "end_date")
    dates = _dedupe(dates, ["service_id", "date"], report, "calendar_dates.txt")
    services = pd.unique(np.concatenate([calendar["service_id"], dates["service_id"]]))
    return calendar, dates, pd.Index(services, dtype=object)


def _stop_times(rows: Rows, report: Report) -> Rows:
    """Sort by (trip, stop_sequence), drop duplicates, fill missing times, drop unusable trips.
    trip_id and stop_id are int32 row indexes into trips and stops."""
    f = "stop_times.txt"
    key = (rows["trip_id"].astype(np.int64) << 32) | rows["stop_sequence"]
    order = np.argsort(key, kind="stable")  # fast on the usual, already sorted, file
    if (np.diff(order) != 1).any():
        rows, key = _take(rows, order), key[order]
    rows = _drop(rows, np.r_[False, key[1:] == key[:-1]], report, f,
                 "duplicate stop_sequence in trip, row dropped", "stop_sequence")
    arr, dep = rows["arrival_time"], rows["departure_time"]
    arr[arr < 0] = dep[arr < 0]  # one time given: it is both
    dep[dep < 0] = arr[dep < 0]

    def drop_trips(rows, bad_row, reason, field):  # one warning: first offending line, count of trips
        trip = rows["trip_id"]
        bad_trip = np.zeros(int(trip.max(initial=-1)) + 1, bool)
        bad_trip[trip[bad_row]] = True
        _warn(report, f, rows["_line"], bad_row, reason, field, count=int(bad_trip.sum()))
        return _take(rows, ~bad_trip[trip]) if bad_row.any() else rows

    def ends(trip):  # first and last row of each trip (also for no rows at all)
        first, last = np.ones(len(trip), bool), np.ones(len(trip), bool)
        first[1:] = last[:-1] = trip[1:] != trip[:-1]
        return first, last

    first, last = ends(rows["trip_id"])
    rows = drop_trips(rows, first & last, "trip with fewer than 2 stops dropped", "stop_sequence")
    first, last = ends(rows["trip_id"])
    rows = drop_trips(rows, (first | last) & (rows["arrival_time"] < 0),
                      "trip dropped: first or last stop has no time", "arrival_time")
    arr, dep = rows["arrival_time"], rows["departure_time"]
    interpolate(arr, dep, rows["shape_dist_traveled"])
    first, _ = ends(rows["trip_id"])
    decreasing = (dep < arr) | np.r_[False, (arr[1:] < dep[:-1]) & ~first[1:]]
    return drop_trips(rows, decreasing, "trip dropped: times decrease along the trip", "departure_time")


def _frequencies(rows: Rows, trips: Rows, report: Report) -> Rows:
    rows = _drop(rows, rows["end_time"] <= rows["start_time"], report, "frequencies.txt",
                 "end_time not after start_time, row dropped", "end_time")
    rows["trip_id"] = trips["trip_id"][rows["trip_id"]]
    return rows


def _shapes(rows: Rows, report: Report) -> Rows:
    """Points sorted by (shape_id, shape_pt_sequence); a repeated sequence number is dropped."""
    if not len(rows["_line"]):
        return rows
    codes, _ = pd.factorize(rows["shape_id"])
    order = np.lexsort((rows["shape_pt_sequence"], codes))
    rows, codes = _take(rows, order), codes[order]
    repeated = np.r_[False, (codes[1:] == codes[:-1])
                     & (rows["shape_pt_sequence"][1:] == rows["shape_pt_sequence"][:-1])]
    return _drop(rows, repeated, report, "shapes.txt", "duplicate shape_pt_sequence, row dropped", "shape_pt_sequence")


IN_SEAT, IN_SEAT_NOT_ALLOWED = 4, 5  # transfers.txt transfer_type between two trips of one vehicle


def _transfers(rows: Rows, stops: Rows, trips: Rows, report: Report) -> Rows:
    """Stop ids back to strings ("" when blank); a row naming an unknown trip or route, or
    lacking what its type needs (stops for types 0-3; both trips for types 4 and 5), is
    dropped. Route- and trip-specific rows are kept for feeds/trip_links.py."""
    f = "transfers.txt"
    for end in ("from_stop_id", "to_stop_id"):
        rows = _drop(rows, (rows[end] < 0) & (rows["transfer_type"] < IN_SEAT), report, f,
                     "missing value (needed for transfer_type 0-3), row dropped", end)
    for end in ("from_trip_id", "to_trip_id"):
        rows = _drop(rows, (rows[end] == "") & (rows["transfer_type"] >= IN_SEAT), report, f,
                     "missing value (needed for transfer_type 4 and 5), row dropped", end)
    trip_ids = pd.Index(trips["trip_id"])
    route_ids = pd.Index(np.unique(trips["route_id"]))
    for end, ids in (("from_trip_id", trip_ids), ("to_trip_id", trip_ids), ("from_route_id", route_ids),
                     ("to_route_id", route_ids)):
        unknown = (rows[end] != "") & (ids.get_indexer(rows[end]) < 0)
        rows = _drop(rows, unknown, report, f, "unknown id, row dropped", end)
    names = np.r_[stops["stop_id"], np.array([""], object)]  # -1: blank
    rows["from_stop_id"] = names[rows["from_stop_id"]]
    rows["to_stop_id"] = names[rows["to_stop_id"]]
    return rows


def _levels(rows: Rows, stops: Rows, report: Report) -> Rows:
    """Unique level_ids; a stop naming a level that levels.txt lacks keeps it, with a warning."""
    rows = _dedupe(rows, "level_id", report, "levels.txt")
    level = stops["level_id"]
    unknown = (level != "") & (pd.Index(rows["level_id"]).get_indexer(level) < 0)
    _warn(report, "stops.txt", stops["_line"], unknown, "unknown level_id (not in levels.txt), kept", "level_id")
    return rows


def _pathways(rows: Rows, stops: Rows, report: Report) -> Rows:
    """Drop pathways from or to a station (location_type 1) and from a stop to itself, then
    repeated pathway_ids; escalators, moving walkways and exit gates are made one-way. A
    pathway between two stations (ends whose topmost parent_station differs) is kept, with a
    warning: feeds/pathways.station_walks does not use it."""
    f = "pathways.txt"
    kind = stops["location_type"]
    for end in ("from_stop_id", "to_stop_id"):
        rows = _drop(rows, kind[rows[end]] == 1, report, f, "a station (location_type 1) as an end, row dropped", end)
    rows = _drop(rows, rows["from_stop_id"] == rows["to_stop_id"], report, f,
                 "from_stop_id and to_stop_id are the same stop, row dropped", "to_stop_id")
    rows = _dedupe(rows, "pathway_id", report, f)
    for mode in ONE_WAY_MODES:
        both = (rows["pathway_mode"] == mode) & (rows["is_bidirectional"] == 1)
        _warn(report, f, rows["_line"], both, f"bidirectional {MODE_NAMES[mode]}, stored as one-way",
              "is_bidirectional")
        rows["is_bidirectional"][both] = 0
    parent = pd.Index(stops["stop_id"]).get_indexer(stops["parent_station"]).astype(np.int32)
    station = station_of(parent)
    _warn(report, f, rows["_line"], station[rows["from_stop_id"]] != station[rows["to_stop_id"]],
          "pathway between two stations (parent_station differs), not used for walks", "to_stop_id")
    rows["from_stop_id"] = stops["stop_id"][rows["from_stop_id"]]
    rows["to_stop_id"] = stops["stop_id"][rows["to_stop_id"]]
    return rows
