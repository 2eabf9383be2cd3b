"""feeds.read on tiny inline GTFS feeds written to tmp_path (a folder or a zip)."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from trajet.feeds.gtfs_time import interpolate, parse_times
from trajet.feeds.read import SCHEMA, read_feed
from trajet.feeds.report import FeedError, Report

BASE = {
    "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\nA,Agency,http://a.example,Europe/Paris\n",
    "stops.txt": (
        "stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station\n"
        "S1,Gare,48.0,2.0,,\n"
        "S2,Mairie,48.1,2.1,,\n"
        "S3,Port,48.2,2.2,,\n"
        "S4,Plage,48.3,2.3,,\n"
    ),
    "routes.txt": (
        "route_id,agency_id,route_short_name,route_long_name,route_type,route_color\n"
        "R1,A,1,Line one,3,#ff8800\n"
    ),
    "trips.txt": "route_id,service_id,trip_id,direction_id\nR1,WK,T1,0\nR1,WK,T2,1\n",
    "stop_times.txt": (
        "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
        "T1,08:00:00,08:00:00,S1,1\n"
        "T1,08:10:00,08:11:00,S2,2\n"
        "T1,08:20:00,08:20:00,S3,3\n"
        "T2,09:00:00,09:00:00,S3,1\n"
        "T2,09:10:00,09:10:00,S4,2\n"
    ),
    "calendar.txt": (
        "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
        "WK,1,1,1,1,1,0,0,20240101,20241231\n"
    ),
}

COLUMNS = {
    "agency": {"agency_id": "object", "agency_name": "object", "agency_url": "object", "agency_timezone": "object",
               "agency_phone": "object", "agency_fare_url": "object"},
    "stops": {"stop_id": "object", "stop_name": "object", "stop_lat": "float64", "stop_lon": "float64",
              "location_type": "int8", "parent_station": "object", "platform_code": "object",
              "level_id": "object", "wheelchair_boarding": "int8"},
    "routes": {"route_id": "object", "agency_id": "object", "route_short_name": "object", "route_long_name": "object",
               "route_type": "int32", "route_color": "object", "route_text_color": "object"},
    "trips": {"trip_id": "object", "route_id": "object", "service_id": "object", "trip_headsign": "object",
              "direction_id": "int8", "shape_id": "object", "block_id": "object", "wheelchair_accessible": "int8",
              "bikes_allowed": "int8"},
    "stop_times": {"trip_id": "category", "stop_id": "category", "stop_sequence": "int32", "arrival": "int32",
                   "departure": "int32", "pickup_type": "int8", "drop_off_type": "int8",
                   "shape_dist_traveled": "float64"},
    "calendar": {"service_id": "object", **{d: "int8" for d in ("monday", "tuesday", "wednesday", "thursday", "friday",
                 "saturday", "sunday")}, "start_date": "datetime64[s]", "end_date": "datetime64[s]"},
    "calendar_dates": {"service_id": "object", "date": "datetime64[s]", "exception_type": "int8"},
    "frequencies": {"trip_id": "object", "start_time": "int32", "end_time": "int32", "headway_secs": "int32",
                    "exact_times": "int8"},
    "transfers": {"from_stop_id": "object", "to_stop_id": "object", "transfer_type": "int8",
                  "min_transfer_time": "int32", "from_route_id": "object", "to_route_id": "object",
                  "from_trip_id": "object", "to_trip_id": "object", "_line": "int32"},
    "levels": {"level_id": "object", "level_index": "float64", "level_name": "object"},
    "pathways": {"pathway_id": "object", "from_stop_id": "object", "to_stop_id": "object", "pathway_mode": "int8",
                 "is_bidirectional": "int8", "length": "float64", "traversal_time": "int32", "stair_count": "int32",
                 "max_slope": "float64", "min_width": "float64", "signposted_as": "object",
                 "reversed_signposted_as": "object"},
}


def write_feed(where: Path, files: dict[str, str | bytes], *, as_zip: bool = False, folder: str = "",
               macosx: bool = False) -> Path:
    """Write {filename: text or bytes} as a folder, or as a zip (optionally in a sub-folder,
    with __MACOSX resource-fork entries); returns the path to read."""
    data = {name: text.encode() if isinstance(text, str) else text for name, text in files.items()}
    if not as_zip:
        where.mkdir(parents=True, exist_ok=True)
        for name, content in data.items():
            (where / name).write_bytes(content)
        return where
    path = where.with_suffix(".zip")
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as z:
        for name, content in data.items():
            z.writestr(folder + name, content)
            if macosx:
                z.writestr(f"__MACOSX/{folder}._{name}", b"\x00\x05\x16\x07 junk")
    return path


def load(tmp_path: Path, changes: dict[str, str | bytes | None] | None = None, **kw):
    """Read BASE with some files replaced (None removes a file); returns (feed, report)."""
    files = {**BASE, **(changes or {})}
    path = write_feed(tmp_path / "feed", {k: v for k, v in files.items() if v is not None}, **kw)
    report = Report("test")
    return read_feed(path, "test", report), report


def find(report: Report, file: str, text: str):
    hits = [f for f in report.warnings if f.file == file and text in f.reason]
    assert hits, f"no warning {text!r} for {file} in:\n{report.summary()}"
    return hits[0]


def hms(h, m, s=0):
    return h * 3600 + m * 60 + s


# ---------------------------------------------------------------- basics


def test_clean_feed_types_and_values(tmp_path):
    feed, report = load(tmp_path)
    assert report.findings == []
    for table, columns in COLUMNS.items():
        df = getattr(feed, table)
        assert {c: str(t) for c, t in df.dtypes.items()} == columns, table
    st = feed.stop_times
    assert list(st.trip_id.astype(str)) == ["T1", "T1", "T1", "T2", "T2"]
    assert list(st.trip_id.cat.categories) == list(feed.trips.trip_id)
    assert list(st.stop_id.cat.categories) == list(feed.stops.stop_id)
    assert list(st.arrival) == [hms(8, 0), hms(8, 10), hms(8, 20), hms(9, 0), hms(9, 10)]
    assert list(st.departure) == [hms(8, 0), hms(8, 11), hms(8, 20), hms(9, 0), hms(9, 10)]
    assert st.pickup_type.tolist() == [0] * 5 and np.isnan(st.shape_dist_traveled).all()
    assert feed.routes.route_color.tolist() == ["FF8800"] and feed.routes.route_text_color.tolist() == [""]
    assert feed.trips.trip_headsign.tolist() == ["", ""] and feed.trips.direction_id.tolist() == [0, 1]
    assert feed.calendar.start_date[0] == np.datetime64("2024-01-01")
    assert feed.frequencies.empty and feed.transfers.empty and feed.calendar_dates.empty
    assert feed.feed_info == {}


def test_zip_and_folder_agree_and_sha256(tmp_path):
    folder_feed, _ = load(tmp_path / "a")
    zip_feed, _ = load(tmp_path / "b", as_zip=True)
    for table in COLUMNS:
        assert getattr(folder_feed, table).equals(getattr(zip_feed, table)), table
    assert zip_feed.sha256 == hashlib.sha256(Path(zip_feed.path).read_bytes()).hexdigest()
    folder = Path(folder_feed.path)
    joined = b"".join((folder / name).read_bytes() for name in sorted(BASE))
    assert folder_feed.sha256 == hashlib.sha256(joined).hexdigest()


def test_zip_with_subfolder_and_macosx_entries(tmp_path):
    feed, report = load(tmp_path, as_zip=True, folder="gtfs/", macosx=True)
    assert len(feed.stop_times) == 5 and report.findings == []


def test_bom_whitespace_quotes_extra_columns(tmp_path):
    stops = ('\ufeff stop_id , stop_name ,zone, stop_lat,stop_lon \n'
             ' S1 ,"Gare, centre",Z1, 48.0 , 2.0\n'
             'S2,  Mairie ,Z1,48.1,2.1\n'
             'S3,"Port ""Nord""",Z2,48.2,2.2\n'
             'S4,Plage,Z2,48.3,2.3\n')
    feed, report = load(tmp_path, {"stops.txt": stops})
    assert report.findings == []
    assert feed.stops.stop_id.tolist() == ["S1", "S2", "S3", "S4"]
    assert feed.stops.stop_name.tolist() == ["Gare, centre", "Mairie", 'Port "Nord"', "Plage"]
    assert feed.stops.stop_lat.tolist() == [48.0, 48.1, 48.2, 48.3]
    assert "zone" not in feed.stops.columns and feed.stops.location_type.tolist() == [0] * 4


@pytest.mark.parametrize("short_row", [False, True], ids=["fast path", "ragged rows"])
def test_latin1_stops(tmp_path, short_row):
    stops = ("stop_id,stop_name,stop_lat,stop_lon,zone_id\nS1,Église,48,2,Z\nS2,Olsøya,48.1,2.1,Z\n"
             f"S3,Port,48.2,2.2{'' if short_row else ',Z'}\nS4,Plage,48.3,2.3,Z\n")
    feed, report = load(tmp_path, {"stops.txt": stops.encode("latin-1")})
    assert find(report, "stops.txt", "Latin-1").count == 1 and len(report.findings) == 1
    assert feed.stops.stop_name.tolist() == ["Église", "Olsøya", "Port", "Plage"]


def test_short_rows_are_padded_and_long_rows_dropped(tmp_path):
    # The GTFS reference sample omits trailing empty fields.
    stop_times = ("trip_id,arrival_time,departure_time,stop_id,stop_sequence,pickup_type\n"
                  "T1,08:00:00,08:00:00,S1,1,0\n"
                  "T1,08:10:00,08:11:00,S2,2\n"
                  "T1,08:20:00,08:20:00,S3,3,0,extra\n"
                  "T1,08:30:00,08:30:00,S4,4,1\n"
                  "T2,09:00:00,09:00:00,S3,1\n"
                  "T2,09:10:00,09:10:00,S4,2\n")
    feed, report = load(tmp_path, {"stop_times.txt": stop_times})
    hit = find(report, "stop_times.txt", "too many fields")
    assert (hit.line, hit.count) == (4, 1)
    assert feed.stop_times.stop_id.astype(str).tolist() == ["S1", "S2", "S4", "S3", "S4"]
    assert feed.stop_times.pickup_type.tolist() == [0, 0, 1, 0, 0]


def test_empty_optional_files(tmp_path):
    feed, report = load(tmp_path, {"transfers.txt": "", "frequencies.txt": "trip_id,start_time,end_time,headway_secs",
                                   "calendar_dates.txt": "service_id,date,exception_type\n", "feed_info.txt": ""})
    assert report.findings == []
    assert feed.transfers.empty and list(feed.transfers.columns) == list(COLUMNS["transfers"])
    assert {c: str(t) for c, t in feed.frequencies.dtypes.items()} == COLUMNS["frequencies"]
    assert feed.calendar_dates.empty and feed.feed_info == {}


def test_optional_tables(tmp_path):
    feed, report = load(tmp_path, {
        "calendar_dates.txt": "service_id,date,exception_type\nWK,20240501,2\nHOL,20240502,1\n",
        "frequencies.txt": "trip_id,start_time,end_time,headway_secs\nT1,6:00:00,25:00:00,600\n",
        "transfers.txt": "from_stop_id,to_stop_id,transfer_type,min_transfer_time\nS1,S2,2,120\nS2,S2,,\n",
        "feed_info.txt": "feed_publisher_name,feed_publisher_url,feed_lang,feed_version\nPub,http://p.example,fr,\n",
    })
    assert report.findings == []
    assert feed.calendar_dates.date.tolist() == [np.datetime64("2024-05-01"), np.datetime64("2024-05-02")]
    assert feed.frequencies.iloc[0].tolist() == ["T1", hms(6, 0), hms(25, 0), 600, 0]
    assert feed.transfers.values.tolist() == [["S1", "S2", 2, 120, "", "", "", "", 2],
                                              ["S2", "S2", 0, -1, "", "", "", "", 3]]
    assert feed.feed_info == {"publisher_name": "Pub", "publisher_url": "http://p.example", "lang": "fr",
                              "start_date": None, "end_date": None, "version": None}


def test_agency_without_id_and_service_only_in_calendar_dates(tmp_path):
    feed, report = load(tmp_path, {
        "agency.txt": "agency_name,agency_url,agency_timezone\nAgency,http://a.example,America/New_York\n",
        "routes.txt": "route_id,route_short_name,route_type\nR1,1,3\n",
        "calendar.txt": None,
        "calendar_dates.txt": "service_id,date,exception_type\nWK,20240501,1\n",
    })
    assert report.findings == []
    assert feed.agency.agency_id.tolist() == [""] and feed.routes.agency_id.tolist() == [""]
    assert feed.calendar.empty and len(feed.trips) == 2


def test_stop_takes_parent_coordinates(tmp_path):
    stops = BASE["stops.txt"] + "P1,Station,48.5,2.5,1,\nS5,Quai,,,0,P1\nS6,Nowhere,,,0,\n"
    stop_times = BASE["stop_times.txt"] + "T2,09:20:00,09:20:00,S5,3\n"
    feed, report = load(tmp_path, {"stops.txt": stops, "stop_times.txt": stop_times})
    s5 = feed.stops.set_index("stop_id").loc["S5"]
    assert (s5.stop_lat, s5.stop_lon, s5.parent_station) == (48.5, 2.5, "P1")
    assert find(report, "stops.txt", "parent station").line == 7
    hit = find(report, "stops.txt", "without valid coordinates")
    assert (hit.line, hit.field, hit.count) == (8, "stop_lat", 1)
    assert "S6" not in feed.stops.stop_id.tolist()


def test_progress_bar_goes_to_stderr(tmp_path, capsys):
    path = write_feed(tmp_path / "feed", BASE)
    read_feed(path, "tiny", Report("tiny"), progress=True)
    captured = capsys.readouterr()
    assert "tiny: " in captured.err and captured.out == ""


# ---------------------------------------------------------------- times


def test_time_formats(tmp_path):
    stop_times = ("trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
                  "T1,7:05:00,7:05:00,S1,1\n"
                  "T1, 23:59:59 ,24:00:00,S2,2\n"
                  "T1,30:00:00,30:00:00,S3,3\n"
                  "T2,86:00:00,86:00:00,S3,1\n"
                  "T2,100:00:00,100:00:00,S4,2\n")
    feed, report = load(tmp_path, {"stop_times.txt": stop_times})
    assert report.findings == []
    assert feed.stop_times.arrival.tolist() == [hms(7, 5), hms(23, 59, 59), hms(30, 0), hms(86, 0), hms(100, 0)]
    assert feed.stop_times.departure.tolist()[1] == hms(24, 0)


def test_parse_times_directly():
    seconds, ok = parse_times(pa.array(["7:05:00", "08:00:00", "86:00:00", "", "8:60:00", "x", "1:2:3"]))
    assert seconds.dtype == np.int32
    assert seconds.tolist() == [hms(7, 5), hms(8, 0), hms(86, 0), -1, -1, -1, -1]
    assert ok.tolist() == [True, True, True, False, False, False, False]


def stop_times_of(rows):
    head = "trip_id,arrival_time,departure_time,stop_id,stop_sequence,shape_dist_traveled\n"
    return head + "".join(",".join(map(str, r)) + "\n" for r in rows)


T2_ROWS = [("T2", "09:00:00", "09:00:00", "S3", 1, ""), ("T2", "09:10:00", "09:10:00", "S4", 2, "")]


def test_interpolation_evenly_by_position(tmp_path):
    rows = [("T1", "08:00:00", "08:00:00", "S1", 1, ""), ("T1", "", "", "S2", 2, ""), ("T1", "", "", "S3", 3, ""),
            ("T1", "08:10:00", "08:10:00", "S4", 4, "")]
    feed, report = load(tmp_path, {"stop_times.txt": stop_times_of(rows + T2_ROWS)})
    assert report.findings == []
    t1 = feed.stop_times[feed.stop_times.trip_id == "T1"]
    assert t1.arrival.tolist() == [28800, 29000, 29200, 29400]
    assert t1.departure.tolist() == t1.arrival.tolist()


def test_interpolation_by_shape_dist_traveled(tmp_path):
    rows = [("T1", "08:00:00", "08:00:00", "S1", 1, 0), ("T1", "", "", "S2", 2, 1), ("T1", "", "", "S3", 3, 4),
            ("T1", "08:10:00", "08:12:00", "S4", 4, 10)]
    more = [("T2", "09:00:00", "09:00:00", "S1", 1, 0), ("T2", "", "", "S2", 2, ""), ("T2", "", "", "S3", 3, 4),
            ("T2", "09:10:00", "09:10:00", "S4", 4, 10)]  # one distance missing: evenly
    feed, report = load(tmp_path, {"stop_times.txt": stop_times_of(rows + more)})
    assert report.findings == []
    st = feed.stop_times
    assert st.arrival.tolist() == [28800, 28860, 29040, 29400, 32400, 32600, 32800, 33000]
    assert st.departure.tolist()[3] == 29520


def test_interpolation_rounds_down_and_never_decreases():
    arrival = np.array([0, -1, -1, -1, 10, -1, 11], np.int32)
    departure = arrival.copy()
    dist = np.array([0, 1, 1, 2, 3, np.nan, 5])
    assert interpolate(arrival, departure, dist) == 4
    assert arrival.tolist() == [0, 3, 3, 6, 10, 10, 11]
    assert (np.diff(arrival) >= 0).all() and departure.tolist() == arrival.tolist()


def test_one_sided_time_is_copied(tmp_path):
    rows = [("T1", "08:00:00", "", "S1", 1, ""), ("T1", "", "08:05:00", "S2", 2, ""),
            ("T1", "08:10:00", "08:10:00", "S3", 3, "")]
    feed, report = load(tmp_path, {"stop_times.txt": stop_times_of(rows + T2_ROWS)})
    assert report.findings == []
    assert feed.stop_times.arrival.tolist()[:3] == feed.stop_times.departure.tolist()[:3] == [28800, 29100, 29400]


def test_stop_times_are_sorted_by_trip_then_sequence(tmp_path):
    rows = [T2_ROWS[1], ("T1", "08:10:00", "08:10:00", "S2", 20, ""), T2_ROWS[0],
            ("T1", "08:00:00", "08:00:00", "S1", 3, "")]
    feed, _ = load(tmp_path, {"stop_times.txt": stop_times_of(rows)})
    st = feed.stop_times
    assert list(zip(st.trip_id.astype(str), st.stop_sequence)) == [("T1", 3), ("T1", 20), ("T2", 1), ("T2", 2)]


# ---------------------------------------------------------------- broken rows


def replace_line(file: str, line: int, text: str) -> dict[str, str]:
    lines = BASE[file].splitlines()
    lines[line - 1] = text
    return {file: "\n".join(lines) + "\n"}


def add_lines(file: str, *texts: str) -> dict[str, str]:
    return {file: BASE[file] + "".join(t + "\n" for t in texts)}


# (changes, file, line, field, reason fragment, expected number of stop_times left)
BROKEN = {
    "stop bad latitude": (add_lines("stops.txt", "S5,Bad,abc,2.0,,"), "stops.txt", 6, "stop_lat", "invalid number", 5),
    "stop out of range": (add_lines("stops.txt", "S5,Bad,91,2.0,,"), "stops.txt", 6, "stop_lat", "out of range", 5),
    "stop without coords": (add_lines("stops.txt", "S5,Bad,,,,"), "stops.txt", 6, "stop_lat",
                            "without valid coordinates", 5),
    "duplicate stop": (add_lines("stops.txt", "S1,Again,1,1,,"), "stops.txt", 6, "stop_id", "duplicate stop_id", 5),
    "unknown parent": (add_lines("stops.txt", "S5,Child,1,1,0,PX"), "stops.txt", 6, "parent_station",
                       "unknown parent", 5),
    "bad location_type": (add_lines("stops.txt", "S5,X,1,1,9,"), "stops.txt", 6, "location_type", "set to 0", 5),
    "bad route_type": (add_lines("routes.txt", "R2,A,2,Two,bus,"), "routes.txt", 3, "route_type",
                       "invalid number, row dropped", 5),
    "missing route_type": (add_lines("routes.txt", "R2,A,2,Two,,"), "routes.txt", 3, "route_type", "missing value", 5),
    "bad color": (add_lines("routes.txt", "R2,A,2,Two,3,red"), "routes.txt", 3, "route_color", "invalid color", 5),
    "unknown agency": (add_lines("routes.txt", "R2,B,2,Two,3,"), "routes.txt", 3, "agency_id",
                       "set to the only agency", 5),
    "trip unknown route": (add_lines("trips.txt", "RX,WK,T3,0"), "trips.txt", 4, "route_id", "unknown id", 5),
    "trip unknown service": (add_lines("trips.txt", "R1,XX,T3,0"), "trips.txt", 4, "service_id", "unknown id", 5),
    "duplicate trip": (add_lines("trips.txt", "R1,WK,T1,1"), "trips.txt", 4, "trip_id", "duplicate trip_id", 5),
    "bad direction": (replace_line("trips.txt", 3, "R1,WK,T2,5"), "trips.txt", 3, "direction_id",
                      "out of range, treated as missing", 5),
    "trip without stop_times": (add_lines("trips.txt", "R1,WK,T3,0"), "trips.txt", 4, "trip_id",
                                "without usable stop_times", 5),
    "st unknown trip": (add_lines("stop_times.txt", "TX,10:00:00,10:00:00,S1,1"), "stop_times.txt", 7, "trip_id",
                        "unknown id", 5),
    "st unknown stop": (add_lines("stop_times.txt", "T2,09:20:00,09:20:00,SX,3"), "stop_times.txt", 7, "stop_id",
                        "unknown id", 5),
    "st bad sequence": (add_lines("stop_times.txt", "T2,09:20:00,09:20:00,S1,x"), "stop_times.txt", 7, "stop_sequence",
                        "invalid number", 5),
    "st missing sequence": (add_lines("stop_times.txt", "T2,09:20:00,09:20:00,S1,"), "stop_times.txt", 7,
                            "stop_sequence", "missing value", 5),
    "st duplicate sequence": (add_lines("stop_times.txt", "T2,09:20:00,09:20:00,S1,2"), "stop_times.txt", 7,
                              "stop_sequence", "duplicate stop_sequence", 5),
    "st bad time": (replace_line("stop_times.txt", 3, "T1,8h10,8h11,S2,2"), "stop_times.txt", 3, "arrival_time",
                    "invalid time, treated as missing", 5),
    "st bad pickup": ({"stop_times.txt": BASE["stop_times.txt"].replace(
                          "sequence\n", "sequence,pickup_type\n").replace(",S2,2\n", ",S2,2,9\n")},
                      "stop_times.txt", 3, "pickup_type", "out of range, set to 0", 5),
    "st first time missing": (replace_line("stop_times.txt", 5, "T2,,,S3,1"), "stop_times.txt", 5, "arrival_time",
                              "first or last stop has no time", 3),
    "st last time missing": (replace_line("stop_times.txt", 4, "T1,,,S3,3"), "stop_times.txt", 4, "arrival_time",
                             "first or last stop has no time", 2),
    "st one stop": ({"stop_times.txt": BASE["stop_times.txt"].rsplit("T2,09:10", 1)[0]}, "stop_times.txt", 5,
                    "stop_sequence", "fewer than 2 stops", 3),
    "st decreasing": (replace_line("stop_times.txt", 4, "T1,08:05:00,08:05:00,S3,3"), "stop_times.txt", 4,
                      "departure_time", "decrease", 2),
    "st departure before arrival": (replace_line("stop_times.txt", 3, "T1,08:10:00,08:09:00,S2,2"), "stop_times.txt", 3,
                                    "departure_time", "decrease", 2),
    "st too many fields": (add_lines("stop_times.txt", "T2,09:20:00,09:20:00,S1,3,1,2"), "stop_times.txt", 7, None,
                           "too many fields", 5),
    "calendar bad date": (add_lines("calendar.txt", "WE,0,0,0,0,0,1,1,20240231,20241231"), "calendar.txt", 3,
                          "start_date", "invalid date", 5),
    "calendar bad day": (add_lines("calendar.txt", "WE,0,0,0,0,0,2,1,20240101,20241231"), "calendar.txt", 3, "saturday",
                         "out of range", 5),
    "calendar reversed": (add_lines("calendar.txt", "WE,0,0,0,0,0,1,1,20241231,20240101"), "calendar.txt", 3,
                          "end_date", "before start_date", 5),
    "duplicate service": (add_lines("calendar.txt", "WK,0,0,0,0,0,1,1,20240101,20241231"), "calendar.txt", 3,
                          "service_id", "duplicate service_id", 5),
    "exception_type 3": ({"calendar_dates.txt": "service_id,date,exception_type\nWK,20240501,3\n"},
                         "calendar_dates.txt", 2, "exception_type", "out of range, row dropped", 5),
    "headway 0": ({"frequencies.txt": "trip_id,start_time,end_time,headway_secs\nT1,06:00:00,07:00:00,0\n"},
                  "frequencies.txt", 2, "headway_secs", "out of range", 5),
    "frequency reversed": ({"frequencies.txt": "trip_id,start_time,end_time,headway_secs\nT1,07:00:00,06:00:00,60\n"},
                           "frequencies.txt", 2, "end_time", "not after start_time", 5),
    "frequency unknown trip": ({"frequencies.txt": "trip_id,start_time,end_time,headway_secs\n"
                                                   "TX,06:00:00,07:00:00,60\n"},
                               "frequencies.txt", 2, "trip_id", "unknown id", 5),
    "transfer unknown stop": ({"transfers.txt": "from_stop_id,to_stop_id,transfer_type\nS1,S2,0\nS1,SX,0\n"},
                              "transfers.txt", 3, "to_stop_id", "unknown id", 5),
    "transfer unknown trip": ({"transfers.txt": "from_stop_id,to_stop_id,transfer_type,from_trip_id,to_trip_id\n"
                                                "S1,S2,0,,\nS1,S2,1,T1,TX\n"},
                              "transfers.txt", 3, "to_trip_id", "unknown id", 5),
    "in-seat without trips": ({"transfers.txt": "from_stop_id,to_stop_id,transfer_type,from_trip_id,to_trip_id\n"
                                                "S1,S2,0,,\n,,4,T1,\n"},
                              "transfers.txt", 3, "to_trip_id", "needed for transfer_type 4 and 5", 5),
    "stop-wide transfer without stop": ({"transfers.txt": "from_stop_id,to_stop_id,transfer_type\nS1,S2,0\n,S2,2\n"},
                                        "transfers.txt", 3, "from_stop_id", "needed for transfer_type 0-3", 5),
}


@pytest.mark.parametrize("case", list(BROKEN), ids=list(BROKEN))
def test_broken_row_is_dropped_or_repaired_with_a_warning(tmp_path, case):
    changes, file, line, field, reason, n_stop_times = BROKEN[case]
    feed, report = load(tmp_path, changes)
    assert len(feed.stop_times) == n_stop_times
    if reason is None:
        assert report.findings == []
        return
    hit = find(report, file, reason)
    assert (hit.line, hit.field) == (line, field), str(hit)
    assert not report.errors


def test_many_broken_rows_give_one_aggregated_warning(tmp_path):
    bad = [f"T2,09:{20 + i}:00,09:{20 + i}:00,SX,{3 + i}" for i in range(5)]
    feed, report = load(tmp_path, add_lines("stop_times.txt", *bad))
    hits = [f for f in report.warnings if f.file == "stop_times.txt"]
    assert len(hits) == 1 and (hits[0].line, hits[0].count) == (7, 5)
    assert len(feed.stop_times) == 5


def test_bad_time_in_the_middle_is_interpolated(tmp_path):
    feed, report = load(tmp_path, replace_line("stop_times.txt", 3, "T1,8h10,8h11,S2,2"))
    assert find(report, "stop_times.txt", "invalid time").count == 1
    assert feed.stop_times.arrival.tolist()[:3] == [hms(8, 0), hms(8, 10), hms(8, 20)]


# ---------------------------------------------------------------- unusable feeds


@pytest.mark.parametrize("file", ["agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt"])
def test_missing_required_file(tmp_path, file):
    with pytest.raises(FeedError, match=file) as error:
        load(tmp_path, {file: None})
    assert error.value.report.errors[0].file == file


def test_empty_required_file(tmp_path):
    with pytest.raises(FeedError, match="stops.txt"):
        load(tmp_path, {"stops.txt": ""})


@pytest.mark.parametrize("file,column", [("stop_times.txt", "stop_sequence"), ("trips.txt", "service_id"),
                                         ("stops.txt", "stop_id"), ("routes.txt", "route_type"),
                                         ("calendar.txt", "monday"), ("agency.txt", "agency_timezone")])
def test_missing_required_column(tmp_path, file, column):
    header, *rest = BASE[file].splitlines()
    names = header.split(",")
    keep = [i for i, name in enumerate(names) if name != column]
    text = "\n".join(",".join(line.split(",")[i] for i in keep) for line in [header, *rest]) + "\n"
    with pytest.raises(FeedError, match=column) as error:
        load(tmp_path, {file: text})
    finding = error.value.report.errors[0]
    assert (finding.file, finding.field, finding.line) == (file, column, 1)


def test_no_calendar_at_all(tmp_path):
    with pytest.raises(FeedError, match="calendar"):
        load(tmp_path, {"calendar.txt": None})


def test_no_usable_trip(tmp_path):
    stop_times = ("trip_id,arrival_time,departure_time,stop_id,stop_sequence\nT1,08:00:00,08:00:00,S1,1\n"
                  "T2,,,S3,1\nT2,,,S4,2\n")
    with pytest.raises(FeedError, match="no usable trip") as error:
        load(tmp_path, {"stop_times.txt": stop_times})
    assert error.value.report.warnings  # the reasons are in the report


def test_unknown_timezone(tmp_path):
    agency = "agency_id,agency_name,agency_url,agency_timezone\nA,Agency,http://a.example,Mars/Olympus\n"
    with pytest.raises(FeedError, match="Mars/Olympus"):
        load(tmp_path, {"agency.txt": agency})


def test_unreadable_zip(tmp_path):
    path = tmp_path / "broken.zip"
    path.write_bytes(b"this is not a zip")
    with pytest.raises(FeedError, match="broken.zip"):
        read_feed(path, "broken", Report("broken"))


def test_missing_path(tmp_path):
    with pytest.raises(FeedError):
        read_feed(tmp_path / "nowhere.zip", "nowhere", Report("nowhere"))


# ---------------------------------------------------------------- defective files: clear errors, never internal ones

REQUIRED = ("agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt")
CALENDAR_FILES = ("calendar.txt", "calendar_dates.txt")
DATES_ONLY = {"calendar.txt": None, "calendar_dates.txt": "service_id,date,exception_type\nWK,20240501,1\n"}


def with_file(file: str, text: str | bytes | None) -> dict[str, str | bytes | None]:
    """BASE with `file` replaced; calendar_dates.txt is tested as the only calendar."""
    return {**(DATES_ONLY if file == "calendar_dates.txt" else {}), file: text}


def text_of(file: str) -> str:
    return DATES_ONLY[file] if file == "calendar_dates.txt" else BASE[file]


def header_of(file: str) -> str:
    return text_of(file).splitlines()[0]


def failure(tmp_path, changes, **kw):
    """The one error of a feed that cannot be read (never an exception other than FeedError)."""
    with pytest.raises(FeedError) as error:
        load(tmp_path, changes, **kw)
    (finding,) = error.value.report.errors
    assert str(error.value) == finding.describe()
    return finding


@pytest.mark.parametrize("column", ["stop_lat", "stop_lon"])
def test_stops_without_a_coordinate_column(tmp_path, column):
    header, *rest = BASE["stops.txt"].splitlines()
    keep = [i for i, name in enumerate(header.split(",")) if name != column]
    text = "\n".join(",".join(line.split(",")[i] for i in keep) for line in [header, *rest]) + "\n"
    finding = failure(tmp_path, {"stops.txt": text})
    assert (finding.file, finding.line, finding.field) == ("stops.txt", 1, column)
    assert f"missing column {column}" in finding.reason and "location_type 0, 1, 2" in finding.reason


def test_coordinate_columns_may_be_absent_for_generic_nodes_only(tmp_path):
    # location_type 3 (generic node) needs no coordinates: the feed fails later, on stop_times, not on stop_lat
    finding = failure(tmp_path, {"stops.txt": "stop_id,stop_name,location_type\nN1,Node,3\nN2,Node,3\n"})
    assert (finding.file, finding.field) == ("stop_times.txt", "stop_id") and "no usable stop time" in finding.reason


@pytest.mark.parametrize("ending", ["\n", "", "\r\n", "\n\n\n"], ids=["newline", "no newline", "crlf", "blank lines"])
@pytest.mark.parametrize("file", [*REQUIRED, *CALENDAR_FILES])
def test_header_only_file(tmp_path, file, ending):
    finding = failure(tmp_path, with_file(file, header_of(file) + ending))
    assert finding.file == file and "header line and no rows" in finding.reason, finding.describe()


@pytest.mark.parametrize("content", ["", "\n\n\n", "\r\n  \r\n"], ids=["0 bytes", "blank lines", "blank crlf"])
@pytest.mark.parametrize("file", [*REQUIRED, *CALENDAR_FILES])
def test_empty_or_blank_file(tmp_path, file, content):
    finding = failure(tmp_path, with_file(file, content))
    assert finding.file == file and "empty" in finding.reason, finding.describe()


def test_both_calendars_header_only(tmp_path):
    finding = failure(tmp_path, {"calendar.txt": header_of("calendar.txt"),
                                 "calendar_dates.txt": header_of("calendar_dates.txt")})
    assert finding.file == "calendar.txt" and "calendar_dates.txt" in finding.reason
    assert "no rows" in finding.reason


def test_blank_first_line(tmp_path):
    finding = failure(tmp_path, {"stops.txt": "\n" + BASE["stops.txt"]})
    assert (finding.file, finding.line) == ("stops.txt", 1) and "blank" in finding.reason


@pytest.mark.parametrize("file,column", [(f, c) for f in [*REQUIRED, *CALENDAR_FILES]
                                         for c, col in SCHEMA[f].items() if col.required])
def test_every_missing_required_column(tmp_path, file, column):
    header, *rest = text_of(file).splitlines()
    keep = [i for i, name in enumerate(header.split(",")) if name != column]
    text = "\n".join(",".join(line.split(",")[i] for i in keep) for line in [header, *rest]) + "\n"
    finding = failure(tmp_path, with_file(file, text))
    assert (finding.file, finding.line, finding.field) == (file, 1, column)


def test_no_gtfs_file_at_all(tmp_path):
    finding = failure(tmp_path, {name: None for name in BASE} | {"readme.txt": "hello\n"}, as_zip=True)
    assert finding.file == "feed.zip" and "agency.txt" in finding.reason and "stop_times.txt" in finding.reason


NO_ROW_LEFT = {  # (changes, file, line, field, reason fragment)
    "all stops without coordinates": ({"stops.txt": "stop_id,stop_name,stop_lat,stop_lon\nS1,a,x,y\nS2,b,,\nS3,c,0,0\n"
                                                    "S4,d,91,2\n"}, "stops.txt", 2, "stop_lat", "no usable stop"),
    "all routes bad route_type": ({"routes.txt": BASE["routes.txt"].replace(",3,", ",bus,")}, "routes.txt", 2,
                                  "route_type", "no usable route"),
    "all trips unknown route": ({"trips.txt": BASE["trips.txt"].replace("R1,", "RX,")}, "trips.txt", 2, "route_id",
                                "no usable trip"),
    "all stop_times unknown stop": ({"stop_times.txt": BASE["stop_times.txt"].replace(",S", ",X")}, "stop_times.txt",
                                    2, "stop_id", "no usable stop time"),
    "every trip's stop_times dropped": ({"stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
                                         "T1,08:00:00,08:00:00,S1,1\nT2,,,S3,1\nT2,,,S4,2\n"}, "stop_times.txt", 2,
                                        "stop_sequence", "no usable trip"),
    "all stop_times rows too long": ({"stop_times.txt": BASE["stop_times.txt"].replace("\n", ",x,y\n").replace(
                                         "sequence,x,y", "sequence")},
                                     "stop_times.txt", 2, None, "no usable stop time"),
    "all calendar rows bad dates": ({"calendar.txt": BASE["calendar.txt"].replace("20240101", "2024")}, "calendar.txt",
                                    2, "start_date", "no usable service"),
}


@pytest.mark.parametrize("case", list(NO_ROW_LEFT))
def test_every_row_dropped(tmp_path, case):
    changes, file, line, field, reason = NO_ROW_LEFT[case]
    finding = failure(tmp_path, changes)
    assert (finding.file, finding.line, finding.field) == (file, line, field), finding.describe()
    assert reason in finding.reason and "every row was dropped" in finding.reason


UTF16 = {"UTF-16 LE": b"\xff\xfe", "UTF-16 BE": b"\xfe\xff"}


@pytest.mark.parametrize("every_file", [False, True], ids=["stops.txt", "every file"])
@pytest.mark.parametrize("label", list(UTF16))
def test_utf16_with_bom_is_converted(tmp_path, label, every_file):
    codec = label.lower().replace(" ", "-")
    stops = BASE["stops.txt"].replace("Gare", "Gare Saint-Lazare — Île")
    files = {**BASE, "stops.txt": stops}
    encoded = {k: UTF16[label] + v.encode(codec) if every_file or k == "stops.txt" else v for k, v in files.items()}
    feed, report = load(tmp_path, encoded, as_zip=True)
    assert feed.stops.stop_name.tolist()[0] == "Gare Saint-Lazare — Île"
    assert feed.stops.stop_lat.tolist() == [48.0, 48.1, 48.2, 48.3] and len(feed.stop_times) == 5
    hits = [f for f in report.warnings if label in f.reason and "converted" in f.reason]
    assert {f.file for f in hits} == (set(BASE) if every_file else {"stops.txt"})
    assert len(report.findings) == len(hits)


@pytest.mark.parametrize("codec,label", [("utf-16-le", "UTF-16 LE"), ("utf-16-be", "UTF-16 BE")])
def test_utf16_without_bom_is_converted(tmp_path, codec, label):
    stops = BASE["stops.txt"].replace("Mairie", "駅 Mairie")  # not ASCII after the header: high bytes not zero
    feed, report = load(tmp_path, {"stops.txt": stops.encode(codec)})
    assert feed.stops.stop_id.tolist() == ["S1", "S2", "S3", "S4"] and feed.stops.stop_name[1] == "駅 Mairie"
    assert label in find(report, "stops.txt", "converted").reason


def test_broken_utf16(tmp_path):
    data = b"\xff\xfe" + BASE["stops.txt"].encode("utf-16-le") + b"\x00\xd8A\x00\n\x00"  # a lone surrogate, line 6
    finding = failure(tmp_path, {"stops.txt": data})
    assert (finding.file, finding.line) == ("stops.txt", 6) and "UTF-16 LE" in finding.reason


def test_utf8_bom_in_every_file(tmp_path):
    feed, report = load(tmp_path, {k: b"\xef\xbb\xbf" + v.encode() for k, v in BASE.items()})
    assert report.findings == [] and len(feed.stop_times) == 5 and feed.agency.agency_id.tolist() == ["A"]


def test_zip_with_two_feed_folders(tmp_path):
    path = tmp_path / "two.zip"
    with zipfile.ZipFile(path, "w") as z:
        for name, text in BASE.items():
            z.writestr(f"north/{name}", text)
            z.writestr(f"south/{name}", text)
    with pytest.raises(FeedError, match=r"two.zip: no GTFS file found.*north, south") as error:
        read_feed(path, "two", Report("two"))
    assert error.value.report.errors[0].file == "two.zip"
