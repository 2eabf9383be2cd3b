"""Our GTFS reader (feeds/read.py, pyarrow) checked against gtfs-kit (pandas) on the real feeds of
../shared (all but nyc-bus, which benchmarks/test_bench_gtfs_kit.py compares):

- the same tables: same row counts and sets of ids, except for the rows our Report says we dropped,
  each difference explained by the report's warnings and by gtfs-kit's own rows (a trip we dropped
  for having fewer than 2 stops has fewer than 2 stop_times in gtfs-kit); then the same values;
- the same active service_ids on every date of the feed's calendar range (gtfs-kit's
  get_active_services against our compiled service bitmap);
- the same stop_times of the trips active on a few seeded dates: trip, stop_sequence order,
  stop_id, arrival and departure seconds, pickup and drop-off types. gtfs-kit leaves the times
  that GTFS allows to be empty as NA where we interpolate them (cairns 65 rows, poa-eptc
  125,271): only the rows gtfs-kit has a time for are compared. Frequency-based trips are
  compared as their template trips (read_feed does not expand frequencies, the compiler does).

Two gtfs-kit 13 limits are worked around here (our reader reads both feeds as they are):
- it reads every file as UTF-8: region-nord's stops.txt is Latin-1, so such a file is rewritten
  as UTF-8 for it (our reader falls back to Latin-1 with a warning; the stop names must agree);
- it reads headway_secs, min_transfer_time and transfer_duration as Int16 (at most 32,767 s) and
  fails on helsinki, whose frequencies.txt has headways up to 71,760 s ("cannot safely cast
  non-equivalent int64 to int16"): those columns are read as Int32.

The helpers take a FeedPair and are reused by the nyc-bus benchmark.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import gtfs_kit as gk
import numpy as np
import pandas as pd
import pytest

from trajet.feeds.compile import compile_feeds
from trajet.feeds.compiled import CompiledNetwork
from trajet.feeds.read import GtfsFeed, read_feed
from trajet.feeds.report import Report

from .conftest import SHARED_FEEDS, shared_feed

# Without ../shared, one parameter whose fixture skips with shared_feed()'s reason.
NAMES = sorted(p.stem for p in SHARED_FEEDS.glob("*.zip") if p.stem != "nyc-bus") or ["gtfs-sample"]
SEED, N_SAMPLED_DATES = 20260923, 3

# gtfs-kit's rows minus ours, per table (every other table: the same rows), as check_tables
# explains them from the report: trips of a single stop_times row dropped with their
# stop_times ("trip with fewer than 2 stops dropped", "trip without usable stop_times
# dropped") and their frequencies.txt rows ("unknown id, row dropped").
GK_EXTRA_ROWS = {
    "amtrak-2021": {"trips": 8, "stop_times": 8},  # Thruway connecting buses with one stop, Emeryville
    "helsinki": {"trips": 8, "stop_times": 8, "frequencies": 21},  # ferries 19/19E and bus 201B: r5py's crop
    # kept one stop of each; 21 frequencies rows belong to 5 of the 8
}
# stop_times rows without arrival nor departure time in the file, interpolated by our reader.
UNTIMED_ROWS = {"cairns": 65, "poa-eptc": 125271}
# Values that still differ once gtfs-kit's are put in our conventions (see gk_column).
VALUE_DIFFS = {
    "amtrak-2021": {("agency", "agency_name"): 5},  # the text "null": gtfs-kit's na_values read it as NA
    "poa-eptc": {("routes", "route_text_color"): 115},  # "0": report "invalid color, treated as missing"
}
# The warnings whose rows check_tables and check_values explain; any other kind fails the test.
EXPLAINED = {
    ("stop_times.txt", "stop_sequence", "trip with fewer than 2 stops dropped"),
    ("trips.txt", "trip_id", "trip without usable stop_times dropped"),
    ("frequencies.txt", "trip_id", "unknown id, row dropped"),
    ("routes.txt", "route_text_color", "invalid color, treated as missing"),
}
LATIN_1 = "not valid UTF-8, read as Latin-1"

# table -> its id columns
IDS = {
    "agency": ["agency_id"], "stops": ["stop_id"], "routes": ["route_id", "agency_id"],
    "trips": ["trip_id", "route_id", "service_id", "shape_id"], "stop_times": ["trip_id", "stop_id"],
    "calendar": ["service_id"], "calendar_dates": ["service_id"], "frequencies": ["trip_id"],
    "transfers": ["from_stop_id", "to_stop_id"], "shapes": ["shape_id"],
}
# table -> (key columns, compared columns)
VALUES = {
    "agency": (["agency_id"], ["agency_name", "agency_url", "agency_timezone"]),
    "stops": (["stop_id"], ["stop_name", "stop_lat", "stop_lon", "location_type", "parent_station"]),
    "routes": (["route_id"], ["agency_id", "route_short_name", "route_long_name", "route_type", "route_color",
                              "route_text_color"]),
    "trips": (["trip_id"], ["route_id", "service_id", "trip_headsign", "direction_id", "shape_id"]),
    "calendar": (["service_id"], ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
                                  "start_date", "end_date"]),
    "calendar_dates": (["service_id", "date"], ["exception_type"]),
    "frequencies": (["trip_id", "start_time"], ["end_time", "headway_secs", "exact_times"]),
    "transfers": (["from_stop_id", "to_stop_id", "from_route_id", "to_route_id", "from_trip_id", "to_trip_id"],
                  ["transfer_type", "min_transfer_time"]),
    "shapes": (["shape_id", "shape_pt_sequence"], ["shape_pt_lat", "shape_pt_lon"]),
}
WIDE_INTS = {"frequencies": "headway_secs", "transfers": "min_transfer_time", "fare_attributes": "transfer_duration"}


@dataclass
class FeedPair:
    name: str
    ours: GtfsFeed
    report: Report  # the reader's
    net: CompiledNetwork
    meta: dict
    gk: gk.Feed
    transcoded: set[str] = field(default_factory=set)  # files rewritten as UTF-8 for gtfs-kit
    cache: dict = field(default_factory=dict)


def read_gtfs_kit(path: Path, workdir: Path) -> tuple[gk.Feed, set[str]]:
    """gtfs-kit's Feed (Int16 columns read as Int32), and the files transcoded to UTF-8 for it."""
    with pytest.MonkeyPatch.context() as mp:
        for table, column in WIDE_INTS.items():
            mp.setitem(gk.constants.DTYPES[table], column, "Int32")
        try:
            return gk.read_feed(path, dist_units="km"), set()
        except UnicodeDecodeError:
            transcoded = set()
            with zipfile.ZipFile(path) as z:
                for info in z.infolist():
                    if info.is_dir():
                        continue
                    data = z.read(info)
                    try:
                        data.decode("utf-8")
                    except UnicodeDecodeError:
                        data = data.decode("latin-1").encode("utf-8")
                        transcoded.add(Path(info.filename).name)
                    (workdir / Path(info.filename).name).write_bytes(data)
            return gk.read_feed(workdir, dist_units="km"), transcoded


def load_pair(path: Path, workdir: Path) -> FeedPair:
    """Both reads of a feed, and our compiled network: compile_paths' two steps, so that the
    feed is read once and the reader's report stays apart from the compiler's."""
    name = path.stem
    report = Report(name)
    ours = read_feed(path, name, report)
    net, meta = compile_feeds([ours], [Report(name)])
    feed, transcoded = read_gtfs_kit(path, workdir)
    return FeedPair(name, ours, report, net, meta, feed, transcoded)


# ---------------------------------------------------------------- gtfs-kit in our conventions
def gk_table(pair: FeedPair, table: str) -> pd.DataFrame:
    frame = getattr(pair.gk, table)
    return pd.DataFrame() if frame is None else frame


def _per_distinct(values: pd.Series, convert, missing) -> np.ndarray:
    """convert() applied to the distinct values only (a feed has far fewer distinct times or
    ids than rows), broadcast back; NA -> missing."""
    codes, uniques = pd.factorize(values)
    converted = convert(pd.Series(uniques, dtype="string"))
    return np.append(converted, np.array([missing], dtype=converted.dtype))[codes]


def gk_text(values: pd.Series) -> np.ndarray:
    """Our text convention: "" when missing, surrounding whitespace trimmed (gtfs-kit keeps it)."""
    return _per_distinct(values, lambda u: u.str.strip().to_numpy(dtype=object), "")


def _seconds(text: pd.Series) -> np.ndarray:
    if not len(text):
        return np.zeros(0)
    hms = text.str.strip().str.split(":", expand=True).astype(float).to_numpy()
    return hms[:, 0] * 3600 + hms[:, 1] * 60 + hms[:, 2]


def gk_seconds(values: pd.Series) -> np.ndarray:
    """'H:MM:SS' (hours may pass 24) -> float seconds, NaN when missing."""
    return _per_distinct(values, _seconds, np.nan)


def gk_numbers(values: pd.Series, default: float) -> np.ndarray:
    return values.astype("Float64").fillna(default).to_numpy(dtype=float)


def gk_column(pair: FeedPair, table: str, frame: pd.DataFrame, column: str) -> np.ndarray:
    """One gtfs-kit column (absent: all missing) in our dtype and conventions for it."""
    ours = getattr(pair.ours, table)[column]
    values = frame[column] if column in frame else pd.Series(pd.NA, index=frame.index, dtype="string")
    if column in ("start_time", "end_time"):
        return gk_seconds(values)
    if ours.dtype.kind == "M":
        return gk_text(values)
    if ours.dtype == object or isinstance(ours.dtype, pd.CategoricalDtype):
        text = gk_text(values)
        if column in ("route_color", "route_text_color"):
            text = np.array([t.lstrip("#").upper() for t in text], dtype=object)
        agencies = pair.ours.agency["agency_id"]
        if table == "routes" and column == "agency_id" and len(agencies) == 1:
            text[text == ""] = agencies.iloc[0]  # GTFS: agency_id may be left out when there is one agency
        return text
    default = {"direction_id": -1, "min_transfer_time": -1}.get(column, 0 if ours.dtype.kind in "iu" else np.nan)
    return gk_numbers(values, default)


def our_column(pair: FeedPair, table: str, column: str, unique: bool = False) -> np.ndarray:
    values = getattr(pair.ours, table)[column]
    if unique:
        values = values.drop_duplicates()
    if values.dtype.kind == "M":
        return values.dt.strftime("%Y%m%d").to_numpy(dtype=object)
    if values.dtype == object or isinstance(values.dtype, pd.CategoricalDtype):
        return values.astype(object).to_numpy(dtype=object)
    return values.to_numpy(dtype=float)


# ---------------------------------------------------------------- the checks
def warning_count(report: Report, file: str, field: str | None, reason: str) -> int:
    return sum(w.count for w in report.warnings if (w.file, w.field, w.reason) == (file, field, reason))


def dropped_trips(pair: FeedPair) -> set[str]:
    """gtfs-kit's trips that we do not have: exactly those with fewer than 2 stop_times rows."""
    if "dropped" in pair.cache:
        return pair.cache["dropped"]
    theirs, ours = set(gk_text(pair.gk.trips["trip_id"])), set(pair.ours.trips["trip_id"])
    assert ours <= theirs, f"{pair.name}: trips gtfs-kit does not have: {sorted(ours - theirs)[:5]}"
    rows = pair.gk.stop_times["trip_id"].value_counts()
    short = theirs - set(rows.index[rows >= 2])
    assert theirs - ours == short, f"{pair.name}: trips dropped with 2+ stop_times in gtfs-kit, or short ones kept"
    assert len(short) == warning_count(pair.report, "trips.txt", "trip_id", "trip without usable stop_times dropped")
    n_one = int((rows == 1).sum())
    reason = "trip with fewer than 2 stops dropped"
    assert n_one == warning_count(pair.report, "stop_times.txt", "stop_sequence", reason)
    pair.cache["dropped"] = short
    return short


def gk_rows(pair: FeedPair, table: str, dropped: set[str]) -> pd.DataFrame:
    """gtfs-kit's rows of a table less the ones our report says we dropped: the rows of the
    dropped trips (trips, stop_times, frequencies)."""
    theirs = gk_table(pair, table)
    if "trip_id" in theirs:
        theirs = theirs[~theirs["trip_id"].isin(dropped)]
    return theirs


def check_tables(pair: FeedPair) -> dict[str, int]:
    """Same rows and ids in every table once the rows our report says we dropped are taken out of
    gtfs-kit's; returns gtfs-kit's extra rows per table (only the tables that have some)."""
    report = pair.report
    latin_1 = {w.file for w in report.warnings if w.reason == LATIN_1}
    assert latin_1 == pair.transcoded, f"{pair.name}: files we read as Latin-1, files gtfs-kit cannot read as UTF-8"
    unexplained = [str(w) for w in report.warnings
                   if (w.file, w.field, w.reason) not in EXPLAINED and w.reason != LATIN_1]
    assert not unexplained and not report.errors, f"explain these in test_gtfs_kit: {unexplained}"
    dropped = dropped_trips(pair)
    extra = {}
    for table, ids in IDS.items():
        everything, ours = gk_table(pair, table), getattr(pair.ours, table)
        theirs = gk_rows(pair, table, dropped)
        n_extra = len(everything) - len(theirs)
        if table == "frequencies":
            assert n_extra == warning_count(report, "frequencies.txt", "trip_id", "unknown id, row dropped")
        assert len(ours) == len(theirs), f"{pair.name}/{table}: {len(ours)} rows, gtfs-kit {len(theirs)} once explained"
        for column in ids:
            ours_ids = set(our_column(pair, table, column, unique=True))
            distinct = theirs.drop_duplicates(column) if column in theirs else theirs[:1]  # absent: all ""
            their_ids = set(gk_column(pair, table, distinct, column))
            assert ours_ids == their_ids, (f"{pair.name}/{table}.{column}: only ours {sorted(ours_ids - their_ids)[:5]}"
                                           f", only gtfs-kit's {sorted(their_ids - ours_ids)[:5]}")
        if n_extra:
            extra[table] = n_extra
    return extra


def check_values(pair: FeedPair) -> dict[tuple[str, str], int]:
    """Rows matched by key (one to one), every compared column: how many differ, per (table, column)."""
    diffs = {}
    dropped = dropped_trips(pair)
    for table, (keys, columns) in VALUES.items():
        theirs, ours = gk_rows(pair, table, dropped), getattr(pair.ours, table)
        if not len(ours):
            continue
        left = pd.DataFrame({c: our_column(pair, table, c) for c in keys + columns})
        right = pd.DataFrame({c: gk_column(pair, table, theirs, c) for c in keys + columns})
        both = left.merge(right, on=keys, how="inner", suffixes=("", "_gk"), validate="one_to_one")
        assert len(both) == len(ours) == len(theirs), f"{pair.name}/{table}: rows unmatched by {keys}"
        for c in columns:
            a, b = both[c].to_numpy(), both[c + "_gk"].to_numpy()
            same = a == b
            if a.dtype.kind == "f":
                same |= np.isnan(a) & np.isnan(b)
            if (~same).any():
                diffs[(table, c)] = int((~same).sum())
    return diffs


def check_services(pair: FeedPair) -> tuple[int, int]:
    """The same active service_ids on every date of the calendar range; returns (dates, gtfs-kit calls).

    gtfs-kit's get_active_services(date) depends only on the date's weekday, the calendar.txt rows
    whose start_date..end_date holds it and the calendar_dates.txt rows of that date (its source):
    it is asked on the first and last date of each class of dates alike in these, and its answer is
    compared with our bitmap on every date of the class. A call takes 1-5 ms: spo's 4,505 dates
    take 14 calls instead of 4,505; amtrak-2021 (3,181 calendar rows, one per trip) still 631.
    """
    first = np.datetime64(pair.meta["first_date"], "D")
    dates = [(first + i).astype(dt.date).strftime("%Y%m%d") for i in range(pair.meta["n_days"])]
    assert pair.gk.get_dates() == dates, f"{pair.name}: calendar ranges differ"
    number = np.array([int(d) for d in dates])
    cal, cd = gk_table(pair, "calendar"), gk_table(pair, "calendar_dates")
    inside = np.zeros((len(dates), 0), bool)
    if len(cal):
        start, end = (pd.to_numeric(cal[c], errors="coerce").to_numpy(float) for c in ("start_date", "end_date"))
        inside = (start[None, :] <= number[:, None]) & (number[:, None] <= end[None, :])
    exceptions = set(cd["date"]) if len(cd) else set()
    weekday = [dt.datetime.strptime(d, "%Y%m%d").weekday() for d in dates]
    classes: dict[object, list[int]] = {}
    for day, date in enumerate(dates):
        key = date if date in exceptions else (weekday[day], inside[day].tobytes())
        classes.setdefault(key, []).append(day)
    index = pd.Index(np.asarray(pair.net.service_id))
    expected = np.zeros(pair.net.service_active.shape, bool)
    calls = 0
    for days in classes.values():
        answers = [set(pair.gk.get_active_services(dates[d])) for d in {days[0], days[-1]}]
        calls += len(answers)
        assert answers[0] == answers[-1], f"{pair.name}: gtfs-kit differs within a class of dates {dates[days[0]]}"
        rows = index.get_indexer(sorted(answers[0]))
        assert (rows >= 0).all(), f"{pair.name}: gtfs-kit's services we do not have: {sorted(answers[0])[:5]}"
        expected[np.ix_(rows, days)] = True
    wrong = np.flatnonzero((expected != (pair.net.service_active != 0)).any(axis=0))
    details = []
    for d in wrong[:3]:
        ours, theirs = set(index[pair.net.service_active[:, d] != 0]), set(index[expected[:, d]])
        details.append(f"{dates[d]}: only ours {sorted(ours - theirs)[:3]}, gtfs-kit's {sorted(theirs - ours)[:3]}")
    assert not len(wrong), f"{pair.name}: {len(wrong)} dates with other services, first {details}"
    return len(dates), calls


def sampled_dates(pair: FeedPair, n: int = N_SAMPLED_DATES, seed: int = SEED) -> list[str]:
    """The busiest date and n - 1 seeded dates on which some trip runs (YYYYMMDD)."""
    service = pd.Index(np.asarray(pair.net.service_id)).get_indexer(pair.ours.trips["service_id"])
    trips_per_day = np.bincount(service, minlength=len(pair.net.service_id)) @ pair.net.service_active.astype(np.int64)
    busiest = int(np.argmax(trips_per_day))
    others = np.setdiff1d(np.flatnonzero(trips_per_day), [busiest])
    days = [busiest, *np.random.default_rng(seed).choice(others, min(n - 1, len(others)), replace=False)]
    first = np.datetime64(pair.meta["first_date"], "D")
    return sorted((first + int(d)).astype(dt.date).strftime("%Y%m%d") for d in days)


def check_stop_times(pair: FeedPair, date: str) -> dict[str, int]:
    """The trips active on `date` and their stop_times agree; returns what was compared."""
    day = (dt.datetime.strptime(date, "%Y%m%d").date() - dt.date.fromisoformat(pair.meta["first_date"])).days
    active = set(np.asarray(pair.net.service_id)[pair.net.service_active[:, day] != 0])
    trips = pair.ours.trips["trip_id"][pair.ours.trips["service_id"].isin(active)]
    dropped = dropped_trips(pair)
    assert set(trips) == set(gk_text(pair.gk.get_trips(date)["trip_id"])) - dropped, f"{pair.name} {date}: trips"
    st = pair.ours.stop_times
    ours = st[st["trip_id"].isin(set(trips))]  # sorted by trip (trips order) then stop_sequence
    theirs = pair.gk.get_stop_times(date)
    theirs = theirs[~theirs["trip_id"].isin(dropped)]
    order = pd.Index(pair.ours.trips["trip_id"]).get_indexer(gk_text(theirs["trip_id"]))
    theirs = theirs.iloc[np.lexsort((gk_numbers(theirs["stop_sequence"], -1), order))]
    where = f"{pair.name} {date}"
    assert len(ours) == len(theirs), f"{where}: {len(ours)} stop_times, gtfs-kit {len(theirs)}"
    for column in ("trip_id", "stop_id"):
        assert (ours[column].astype(object).to_numpy() == gk_text(theirs[column])).all(), f"{where}: {column}"
    assert (ours["stop_sequence"].to_numpy() == gk_numbers(theirs["stop_sequence"], -1)).all(), f"{where}: order"
    arrival, departure = gk_seconds(theirs["arrival_time"]), gk_seconds(theirs["departure_time"])
    # One time given: it is both (our reader's rule). Neither: we interpolate, gtfs-kit has NA; not compared.
    arrival = np.where(np.isnan(arrival), departure, arrival)
    departure = np.where(np.isnan(departure), arrival, departure)
    timed = ~np.isnan(arrival)
    for column, values in (("arrival", arrival), ("departure", departure)):
        bad = timed & (ours[column].to_numpy() != values)
        first = ours[bad].head(3).to_dict("records")
        assert not bad.any(), f"{where}: {bad.sum()} {column} times differ, first {first}"
    for column in ("pickup_type", "drop_off_type"):
        values = gk_numbers(theirs[column], 0) if column in theirs else 0
        assert (ours[column].to_numpy() == values).all(), f"{where}: {column}"
    templates = set(pair.ours.frequencies["trip_id"]) & set(trips)
    return {"trips": len(trips), "rows": len(ours), "untimed": int((~timed).sum()),
            "frequency_templates": len(templates)}


def untimed_rows(pair: FeedPair) -> int:
    st = pair.gk.stop_times
    return int((st["arrival_time"].isna() & st["departure_time"].isna()).sum())


# ---------------------------------------------------------------- the tests
@pytest.fixture(scope="module", params=NAMES)
def pair(request, tmp_path_factory) -> FeedPair:
    path = shared_feed(request.param)
    return load_pair(path, tmp_path_factory.mktemp(request.param))


def test_same_tables(pair):
    assert check_tables(pair) == GK_EXTRA_ROWS.get(pair.name, {})
    assert untimed_rows(pair) == UNTIMED_ROWS.get(pair.name, 0)


def test_same_values(pair):
    diffs = check_values(pair)
    assert diffs == VALUE_DIFFS.get(pair.name, {})
    for (table, column), n in diffs.items():
        if (f"{table}.txt", column, "invalid color, treated as missing") in EXPLAINED:
            assert n == warning_count(pair.report, f"{table}.txt", column, "invalid color, treated as missing")
            assert (getattr(pair.ours, table)[column] == "").sum() >= n


def test_same_services_every_date(pair):
    n_dates, _ = check_services(pair)
    assert n_dates == pair.meta["n_days"]


def test_same_stop_times_on_sampled_dates(pair):
    for date in sampled_dates(pair):
        compared = check_stop_times(pair, date)
        assert compared["trips"] > 0 and compared["rows"] >= 2 * compared["trips"]
