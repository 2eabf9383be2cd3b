"""Station pathways: pathways.txt and levels.txt read and cleaned (feeds/read.py), turned into
timed edges and into the quickest walks between a station's platforms and entrances
(feeds/pathways.py).

The hand-made station S (levels L0 street, L1 and L2 below):

    E  (entrance, L0) --walkway 40 m (31 s)-- N (concourse node, L1) --walkway 20 s-- P1 (L1)
    E2 (entrance, L0) --fare gate (10 s)--> N,  N --exit gate (5 s)--> E2
    N --stairs, 30 steps down (18 s)--> B2 (boarding area of P2, L2), one-way
    B2 --escalator 40 s--> N, one-way;  N <--elevator (60 s)--> B2
    P1 <--stairs 12 m (10 s)--> P3 (L2): P3 has no step-free way
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trajet.feeds.geo import WALK_SPEED_M_S
from trajet.feeds.pathways import (
    DEFAULT_S,
    ELEVATOR,
    ELEVATOR_S,
    ESCALATOR,
    EXIT_GATE,
    FARE_GATE,
    STAIR_STEP_S,
    STAIRS,
    WALKWAY,
    PathwayEdges,
    describe_modes,
    edge_seconds,
    pathway_edges,
    station_walks,
)
from trajet.feeds.read import read_feed
from trajet.feeds.report import FeedError, Report

from .inline_gtfs import write_feed

STOPS = (
    "stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station,level_id\n"
    "S,Central,60.0,25.0,1,,\n"
    "E,Entrance,60.0004,25.0,2,S,L0\n"
    "E2,Side entrance,60.0,25.0004,2,S,L0\n"
    "N,Concourse,60.0,25.0,3,S,L1\n"
    "P1,Platform 1,60.0,25.0001,0,S,L1\n"
    "P2,Platform 2,60.0,25.0002,0,S,L2\n"
    "B2,Platform 2 front,60.0,25.0002,4,P2,L2\n"
    "P3,Platform 3,60.0,25.0003,0,S,L2\n"
    "T,Town,60.01,25.0,0,,\n"
)
LEVELS = "level_id,level_index,level_name\nL0,0,Street\nL1,-1,Concourse\nL2,-2.5,Tracks\n"
PATHWAYS = (
    "pathway_id,from_stop_id,to_stop_id,pathway_mode,is_bidirectional,length,traversal_time,stair_count\n"
    "W1,E,N,1,1,40,,\n"
    "W2,N,P1,1,1,100,20,\n"
    "ST,N,B2,2,0,,,-30\n"
    "ES,B2,N,4,0,15,40,\n"
    "EL,N,B2,5,1,,,\n"
    "S3,P1,P3,2,1,12,,\n"
    "FG,E2,N,6,1,,,\n"
    "XG,N,E2,7,0,,,\n"
)
TRIPS = {"t1": "P1 08:00, T 08:10", "t2": "P2 08:00, T 08:10", "t3": "P3 08:00, T 08:10"}
PATHWAY_IDS = [line.split(",")[0] for line in PATHWAYS.splitlines()[1:]]
N_PATHWAYS = len(PATHWAY_IDS)
BIT = {mode: 1 << mode for mode in range(1, 8)}

COLUMNS_LEVELS = {"level_id": "object", "level_index": "float64", "level_name": "object"}
COLUMNS_PATHWAYS = {"pathway_id": "object", "from_stop_id": "object", "to_stop_id": "object", "pathway_mode": "int8",
                    "is_bidirectional": "int8", "length": "float64", "traversal_time": "int32",
                    "stair_count": "int32", "max_slope": "float64", "min_width": "float64",
                    "signposted_as": "object", "reversed_signposted_as": "object"}


def load(tmp_path: Path, **files: str | None):
    """The station feed with some files replaced (None: absent); returns (feed, report)."""
    content = {"stops.txt": STOPS, "levels.txt": LEVELS, "pathways.txt": PATHWAYS}
    content.update({f"{name}.txt": text for name, text in files.items()})
    path = write_feed(tmp_path, TRIPS, files=content)
    report = Report("station")
    return read_feed(path, "station", report), report


def walks(feed, wheelchair: bool = False) -> dict[tuple[str, str], tuple[int, list[str]]]:
    """(from stop_id, to stop_id) -> (seconds, mode names) of feed's station walks."""
    stops = feed.stops
    stop_ids = pd.Index(stops.stop_id)
    parent = stop_ids.get_indexer(stops.parent_station)
    edges = pathway_edges(feed, stop_ids)
    frm, to, seconds, modes = station_walks(edges, len(stops), stops.location_type.to_numpy(), parent, wheelchair)
    assert frm.dtype == to.dtype == seconds.dtype == np.int32 and modes.dtype == np.uint8
    keys = list(zip(frm.tolist(), to.tolist()))
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    return {(stop_ids[a], stop_ids[b]): (int(s), describe_modes(m)) for a, b, s, m in zip(frm, to, seconds, modes)}


@pytest.fixture
def station(tmp_path):
    return load(tmp_path)


# ---------------------------------------------------------------- reading


def test_station_feed_reads_cleanly(station):
    feed, report = station
    assert report.findings == [], report.summary()
    assert feed.levels.values.tolist() == [["L0", 0.0, "Street"], ["L1", -1.0, "Concourse"], ["L2", -2.5, "Tracks"]]
    pw = feed.pathways
    assert pw.pathway_id.tolist() == PATHWAY_IDS == ["W1", "W2", "ST", "ES", "EL", "S3", "FG", "XG"]
    assert pw.pathway_mode.tolist() == [1, 1, 2, 4, 5, 2, 6, 7]
    assert pw.is_bidirectional.tolist() == [1, 1, 0, 0, 1, 1, 1, 0]
    assert pw.traversal_time.tolist() == [-1, 20, -1, 40, -1, -1, -1, -1]
    assert pw.stair_count.tolist() == [0, 0, -30, 0, 0, 0, 0, 0]
    assert np.isnan(pw.length[2]) and pw.length[0] == 40.0
    assert pw.signposted_as.tolist() == [""] * N_PATHWAYS and pw.max_slope.isna().all()
    assert feed.stops.set_index("stop_id").level_id["B2"] == "L2"


def test_a_feed_without_pathways_or_levels_gives_empty_tables(tmp_path):
    feed, report = load(tmp_path, pathways=None, levels=None, stops=STOPS.replace("L0", "").replace("L1", "")
                        .replace("L2", ""))
    assert report.findings == [], report.summary()
    for table, columns in {"pathways": COLUMNS_PATHWAYS, "levels": COLUMNS_LEVELS}.items():
        df = getattr(feed, table)
        assert df.empty and {c: str(t) for c, t in df.dtypes.items()} == columns, table
    edges = pathway_edges(feed, pd.Index(feed.stops.stop_id))
    assert all(len(a) == 0 for a in edges)
    assert walks(feed) == {}


def test_column_types(station):
    feed, _ = station
    assert {c: str(t) for c, t in feed.pathways.dtypes.items()} == COLUMNS_PATHWAYS
    assert {c: str(t) for c, t in feed.levels.dtypes.items()} == COLUMNS_LEVELS


BAD_LINE = N_PATHWAYS + 2  # the line a bad row is added at
# row added to PATHWAYS -> (field, reason fragment, row kept)
BAD_PATHWAYS = {
    "unknown from stop": ("BAD,X,P1,1,1,,,", "from_stop_id", "unknown id, row dropped", False),
    "unknown to stop": ("BAD,P1,X,1,1,,,", "to_stop_id", "unknown id, row dropped", False),
    "station as from": ("BAD,S,P1,1,1,,,", "from_stop_id", "a station (location_type 1) as an end, row dropped", False),
    "station as to": ("BAD,P1,S,1,1,,,", "to_stop_id", "a station (location_type 1) as an end, row dropped", False),
    "unknown mode": ("BAD,P1,P2,9,1,,,", "pathway_mode", "value out of range, row dropped", False),
    "mode 0": ("BAD,P1,P2,0,1,,,", "pathway_mode", "value out of range, row dropped", False),
    "mode not a number": ("BAD,P1,P2,lift,1,,,", "pathway_mode", "invalid number, row dropped", False),
    "mode missing": ("BAD,P1,P2,,1,,,", "pathway_mode", "missing value, row dropped", False),
    "is_bidirectional 2": ("BAD,P1,P2,1,2,,,", "is_bidirectional", "value out of range, row dropped", False),
    "is_bidirectional missing": ("BAD,P1,P2,1,,,,", "is_bidirectional", "missing value, row dropped", False),
    "pathway_id missing": (",P1,P2,1,1,,,", "pathway_id", "missing value, row dropped", False),
    "duplicate pathway_id": ("W1,P1,P2,1,1,,,", "pathway_id", "duplicate pathway_id, first kept", False),
    "to itself": ("BAD,P1,P1,1,1,,,", "to_stop_id", "same stop, row dropped", False),
    "bidirectional escalator": ("BAD,P1,P2,4,1,,,", "is_bidirectional", "bidirectional escalator, stored as one-way",
                                True),
    "bidirectional moving walkway": ("BAD,P1,P2,3,1,,,", "is_bidirectional",
                                     "bidirectional moving walkway, stored as one-way", True),
    "bidirectional exit gate": ("BAD,P1,P2,7,1,,,", "is_bidirectional", "bidirectional exit gate, stored as one-way",
                                True),
    "negative length": ("BAD,P1,P2,1,1,-5,,", "length", "value out of range, treated as missing", True),
    "length not a number": ("BAD,P1,P2,1,1,5m,,", "length", "invalid number, treated as missing", True),
    "negative traversal_time": ("BAD,P1,P2,1,1,,-5,", "traversal_time", "value out of range, treated as missing",
                                True),
    "zero traversal_time": ("BAD,P1,P2,1,1,,0,", "traversal_time", "value out of range, treated as missing", True),
    "between two stations": ("BAD,P1,T,1,1,50,,", "to_stop_id", "between two stations", True),
}


@pytest.mark.parametrize("case", list(BAD_PATHWAYS))
def test_bad_pathway_row_warns_and_the_rest_loads(tmp_path, case):
    row, field, reason, kept = BAD_PATHWAYS[case]
    feed, report = load(tmp_path, pathways=PATHWAYS + row + "\n")
    hits = [f for f in report.warnings if reason in f.reason]
    assert len(hits) == 1 and len(report.findings) == 1, report.summary()
    assert (hits[0].file, hits[0].line, hits[0].field, hits[0].count) == ("pathways.txt", BAD_LINE, field, 1)
    assert not report.errors and len(feed.stop_times) == 6
    ids = feed.pathways.pathway_id.tolist()
    assert ids[:N_PATHWAYS] == PATHWAY_IDS and len(ids) == N_PATHWAYS + kept
    if kept:
        bad = feed.pathways.iloc[-1]
        assert bad.traversal_time == -1 and bad.is_bidirectional == (0 if "bidirectional " in case else 1)
        assert np.isnan(bad.length) == (case != "between two stations")
    if case == "between two stations":  # kept in the table, never walked
        good, _ = load(tmp_path / "good")
        assert walks(feed) == walks(good) and not any("T" in pair for pair in walks(feed))


def test_bad_rows_of_one_kind_give_one_warning_with_a_count(tmp_path):
    rows = "".join(f"BAD{i},X{i},P1,1,1,,,\n" for i in range(4))
    feed, report = load(tmp_path, pathways=PATHWAYS + "OK,P1,P2,1,1,,,\n" + rows)
    (hit,) = report.warnings
    assert (hit.line, hit.count, hit.field) == (BAD_LINE + 1, 4, "from_stop_id")
    assert feed.pathways.pathway_id.tolist()[-1] == "OK"


@pytest.mark.parametrize("column", ["pathway_id", "from_stop_id", "to_stop_id", "pathway_mode", "is_bidirectional"])
def test_missing_required_pathways_column_fails_the_feed(tmp_path, column):
    header, *rows = PATHWAYS.splitlines()
    keep = [i for i, name in enumerate(header.split(",")) if name != column]
    text = "\n".join(",".join(line.split(",")[i] for i in keep) for line in [header, *rows]) + "\n"
    with pytest.raises(FeedError, match=column) as error:
        load(tmp_path, pathways=text)
    finding = error.value.report.errors[0]
    assert (finding.file, finding.line, finding.field) == ("pathways.txt", 1, column)


BAD_LEVELS = {  # levels.txt text -> (file, line, field, reason fragment)
    "duplicate level_id": (LEVELS + "L1,-7,Again\n", "levels.txt", 5, "level_id", "duplicate level_id, first kept"),
    "level_index missing": (LEVELS + "L9,,Nine\n", "levels.txt", 5, "level_index", "missing value, row dropped"),
    "level_index not a number": (LEVELS + "L9,minus one,\n", "levels.txt", 5, "level_index", "invalid number"),
    "level_id missing": (LEVELS + ",3,Roof\n", "levels.txt", 5, "level_id", "missing value, row dropped"),
    "a stop's level unknown": (LEVELS.replace("L2,-2.5,Tracks\n", ""), "stops.txt", 7, "level_id",
                               "unknown level_id (not in levels.txt), kept"),
}


@pytest.mark.parametrize("case", list(BAD_LEVELS))
def test_bad_level_warns_and_the_rest_loads(tmp_path, case):
    text, file, line, field, reason = BAD_LEVELS[case]
    feed, report = load(tmp_path, levels=text)
    (hit,) = report.warnings
    assert (hit.file, hit.line, hit.field, reason in hit.reason) == (file, line, field, True), str(hit)
    assert feed.levels.level_id.tolist()[:2] == ["L0", "L1"] and len(feed.pathways) == N_PATHWAYS
    if file == "stops.txt":
        assert hit.count == 3 and feed.stops.set_index("stop_id").level_id["P3"] == "L2"  # kept


def test_levels_absent_but_named_by_stops(tmp_path):
    feed, report = load(tmp_path, levels=None)
    (hit,) = report.warnings
    assert (hit.file, hit.line, hit.field, hit.count) == ("stops.txt", 3, "level_id", 7)
    assert feed.levels.empty and len(feed.pathways) == N_PATHWAYS


# ---------------------------------------------------------------- edges


def test_edge_times_from_traversal_time_length_steps_or_default(station):
    feed, _ = station
    stop_ids = pd.Index(feed.stops.stop_id)
    edges = pathway_edges(feed, stop_ids)
    assert isinstance(edges, PathwayEdges)
    assert [a.dtype for a in edges] == [np.int32, np.int32, np.int32, np.float64, np.int8]
    got = [(stop_ids[a], stop_ids[b], int(s), int(m)) for a, b, s, m in
           zip(edges.from_stop, edges.to_stop, edges.seconds, edges.mode)]
    walk_40m = int(np.ceil(40 / WALK_SPEED_M_S))
    walk_12m = int(np.ceil(12 / WALK_SPEED_M_S))
    steps = int(np.ceil(30 * STAIR_STEP_S))
    assert got == [
        ("E", "N", walk_40m, WALKWAY), ("N", "E", walk_40m, WALKWAY),  # length at walking speed
        ("N", "P1", 20, WALKWAY), ("P1", "N", 20, WALKWAY),  # traversal_time wins over length (100 m)
        ("N", "B2", steps, STAIRS),  # one-way, by stair_count: no length
        ("B2", "N", 40, ESCALATOR),  # one-way
        ("N", "B2", ELEVATOR_S, ELEVATOR), ("B2", "N", ELEVATOR_S, ELEVATOR),
        ("P1", "P3", walk_12m, STAIRS), ("P3", "P1", walk_12m, STAIRS),  # stairs with a length: the length
        ("E2", "N", DEFAULT_S[FARE_GATE], FARE_GATE), ("N", "E2", DEFAULT_S[FARE_GATE], FARE_GATE),
        ("N", "E2", DEFAULT_S[EXIT_GATE], EXIT_GATE),
    ]
    assert (walk_40m, walk_12m, steps) == (31, 10, 18)
    assert edges.metres[:2].tolist() == [40.0, 40.0] and np.isnan(edges.metres[4])


def test_edge_seconds_rules():
    mode = np.array([WALKWAY, WALKWAY, STAIRS, STAIRS, STAIRS, ELEVATOR, ELEVATOR, ESCALATOR, WALKWAY])
    length = np.array([0.0, np.nan, np.nan, np.nan, 6.65, 30.0, np.nan, np.nan, 2.0])
    traversal = np.array([-1, -1, -1, -1, -1, -1, 45, -1, 7])
    steps = np.array([0, 0, 10, 0, -100, 0, 0, 0, 0])
    assert edge_seconds(mode, length, traversal, steps).tolist() == [
        1,  # 0 m: at least 1 s
        DEFAULT_S[WALKWAY], int(np.ceil(10 * STAIR_STEP_S)), DEFAULT_S[STAIRS], 5,  # 6.65 m at 1.33 m/s
        ELEVATOR_S,  # an elevator's length is not walked
        45, DEFAULT_S[ESCALATOR], 7]


def test_a_pathway_to_a_stop_missing_from_stop_ids_is_left_out(station):
    feed, _ = station
    stop_ids = pd.Index([s for s in feed.stops.stop_id if s != "E2"])
    edges = pathway_edges(feed, stop_ids)
    assert len(edges.from_stop) == 10 and "E2" not in set(stop_ids[np.r_[edges.from_stop, edges.to_stop]])


# ---------------------------------------------------------------- walks


def test_walks_between_platforms_and_entrances(station):
    feed, _ = station
    got = walks(feed)
    expected = {
        ("P1", "P2"): (20 + 18, ["walkway", "stairs"]),  # down the one-way stairs
        ("P2", "P1"): (40 + 20, ["walkway", "escalator"]),  # back up by the escalator, not the stairs
        ("P1", "P3"): (10, ["stairs"]), ("P3", "P1"): (10, ["stairs"]),
        ("P2", "P3"): (40 + 20 + 10, ["walkway", "stairs", "escalator"]),
        ("P3", "P2"): (10 + 20 + 18, ["walkway", "stairs"]),
        ("E", "P1"): (31 + 20, ["walkway"]), ("P1", "E"): (20 + 31, ["walkway"]),
        ("E", "P2"): (31 + 18, ["walkway", "stairs"]), ("P2", "E"): (40 + 31, ["walkway", "escalator"]),
        ("E", "P3"): (31 + 20 + 10, ["walkway", "stairs"]), ("P3", "E"): (10 + 20 + 31, ["walkway", "stairs"]),
        ("E2", "P1"): (10 + 20, ["walkway", "fare gate"]),
        ("P1", "E2"): (20 + 5, ["walkway", "exit gate"]),  # out by the exit gate, quicker than the fare gate
        ("E2", "P2"): (10 + 18, ["stairs", "fare gate"]), ("P2", "E2"): (40 + 5, ["escalator", "exit gate"]),
        ("E2", "P3"): (10 + 20 + 10, ["walkway", "stairs", "fare gate"]),
        ("P3", "E2"): (10 + 20 + 5, ["walkway", "stairs", "exit gate"]),
    }
    assert got == expected  # never entrance -> entrance, never the boarding area B2 itself, nor the town T


def test_wheelchair_walks_take_the_elevator_and_skip_platforms_with_stairs_only(station):
    feed, _ = station
    got = walks(feed, wheelchair=True)
    assert got == {
        ("P1", "P2"): (20 + 60, ["walkway", "elevator"]), ("P2", "P1"): (60 + 20, ["walkway", "elevator"]),
        ("E", "P1"): (51, ["walkway"]), ("P1", "E"): (51, ["walkway"]),
        ("E", "P2"): (31 + 60, ["walkway", "elevator"]), ("P2", "E"): (60 + 31, ["walkway", "elevator"]),
        ("E2", "P1"): (30, ["walkway", "fare gate"]), ("P1", "E2"): (25, ["walkway", "exit gate"]),
        ("E2", "P2"): (70, ["elevator", "fare gate"]), ("P2", "E2"): (65, ["elevator", "exit gate"]),
    }  # P3 is reached by stairs only: no wheelchair walk at all
    plain = walks(feed)
    assert all(got[k][0] >= plain[k][0] for k in got)


def test_one_way_pathways_are_respected(tmp_path):
    # without the escalator and the elevator, the stairs N -> B2 are the only way between P1 and P2
    rows = "".join(line + "\n" for line in PATHWAYS.splitlines() if not line.startswith(("ES,", "EL,")))
    feed, report = load(tmp_path, pathways=rows)
    got = walks(feed)
    assert got[("P1", "P2")] == (38, ["walkway", "stairs"]) and ("P2", "P1") not in got
    assert ("P2", "E") not in got and ("E", "P2") in got
    # a one-way walkway the other way round closes the loop: P2 -> P1 goes round by it
    feed, _ = load(tmp_path / "loop", pathways=rows + "UP,B2,P3,1,0,,99,\n")
    got = walks(feed)
    assert got[("P2", "P1")] == (99 + 10, ["walkway", "stairs"]) and got[("P1", "P2")] == (38, ["walkway", "stairs"])
    assert ("P3", "P2") in got and got[("P2", "P3")] == (99, ["walkway"])


def test_the_quickest_boarding_area_stands_for_its_platform(tmp_path):
    stops = STOPS + "B2b,Platform 2 back,60.0,25.0002,4,P2,L2\n"
    feed, report = load(tmp_path, stops=stops, pathways=PATHWAYS + "BK,P1,B2b,1,1,,5,\n")
    assert report.findings == [], report.summary()
    got = walks(feed)
    assert got[("P1", "P2")] == (5, ["walkway"]) and got[("P2", "P1")] == (5, ["walkway"])
    assert not any("B2" in pair for pair in got)


def test_walks_stay_inside_their_station():
    # two stations: 0 (platforms 1, 2) and 3 (platform 4); an edge 2 -> 4 joins them and is not used
    location_type = np.array([1, 0, 0, 1, 0])
    parent = np.array([-1, 0, 0, -1, 3])
    edges = PathwayEdges(np.array([1, 2, 2], np.int32), np.array([2, 1, 4], np.int32), np.array([5, 6, 7], np.int32),
                         np.full(3, np.nan), np.array([1, 1, 1], np.int8))
    frm, to, seconds, modes = station_walks(edges, 5, location_type, parent)
    assert (frm.tolist(), to.tolist(), seconds.tolist(), modes.tolist()) == ([1, 2], [2, 1], [5, 6], [2, 2])


def test_describe_modes():
    assert describe_modes(0) == []
    assert describe_modes(BIT[STAIRS] | BIT[ELEVATOR] | BIT[WALKWAY]) == ["walkway", "stairs", "elevator"]
    assert describe_modes(np.uint8(sum(BIT.values()))) == [
        "walkway", "stairs", "moving walkway", "escalator", "elevator", "fare gate", "exit gate"]


# ---------------------------------------------------------------- real feeds

FEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "feeds"
REAL = sorted(p.stem for p in FEEDS.glob("*.zip") if p.stem != "nyc-bus")  # nyc-bus: ~1 min, checked by hand


@pytest.mark.parametrize("name", REAL or ["absent"])
def test_real_feeds_still_load_with_their_pathways_and_levels(name):
    if not REAL:
        pytest.skip(f"real GTFS feeds not found at {FEEDS}")
    path = FEEDS / f"{name}.zip"
    with zipfile.ZipFile(path) as z:
        files = {Path(n).name for n in z.namelist() if not n.startswith("__MACOSX/")}
    report = Report(name)
    feed = read_feed(path, name, report)
    assert not report.errors
    assert {c: str(t) for c, t in feed.pathways.dtypes.items()} == COLUMNS_PATHWAYS
    assert {c: str(t) for c, t in feed.levels.dtypes.items()} == COLUMNS_LEVELS
    if "pathways.txt" not in files:
        assert feed.pathways.empty
    if "levels.txt" not in files:
        assert feed.levels.empty
    print(f"{name}: pathways.txt {'present' if 'pathways.txt' in files else 'absent'} ({len(feed.pathways)} rows), "
          f"levels.txt {'present' if 'levels.txt' in files else 'absent'} ({len(feed.levels)} rows)")
    stops = feed.stops
    stop_ids = pd.Index(stops.stop_id)
    parent = stop_ids.get_indexer(stops.parent_station)
    frm, to, _, _ = station_walks(pathway_edges(feed, stop_ids), len(stops), stops.location_type.to_numpy(), parent)
    assert len(frm) == 0 or (frm != to).all()


def reference_walks(edges: PathwayEdges, location_type, parent, allowed_bits: int = 0xFE) -> dict:
    """(from, to) -> seconds by a plain heap Dijkstra from every stop, for the same pairs."""
    import heapq

    out: dict[tuple[int, int], int] = {}
    graph: dict[int, list[tuple[int, int]]] = {}
    root = {}
    for s in range(len(parent)):
        r = s
        while parent[r] >= 0:
            r = parent[r]
        root[s] = r
    for a, b, sec, mode in zip(edges.from_stop, edges.to_stop, edges.seconds, edges.mode):
        if root[int(a)] == root[int(b)] and allowed_bits >> int(mode) & 1:
            graph.setdefault(int(a), []).append((int(b), int(sec)))

    def point(s):
        if location_type[s] in (0, 2):
            return s
        return parent[s] if location_type[s] == 4 and parent[s] >= 0 and location_type[parent[s]] == 0 else -1

    for src in graph:
        if point(src) < 0:
            continue
        dist, heap = {src: 0}, [(0, src)]
        while heap:
            d, v = heapq.heappop(heap)
            if d > dist[v]:
                continue
            for w, sec in graph.get(v, []):
                if d + sec < dist.get(w, 1 << 30):
                    dist[w] = d + sec
                    heapq.heappush(heap, (d + sec, w))
        for dst, d in dist.items():
            a, b = point(src), point(dst)
            if b >= 0 and a != b and 0 in (location_type[a], location_type[b]):
                out[(a, b)] = min(out.get((a, b), 1 << 30), d)
    return out


@pytest.mark.parametrize("seed", range(5))
def test_random_stations_match_a_plain_dijkstra(seed):
    rng = np.random.default_rng(seed)
    location_type, parent, frm, to, modes = [], [], [], [], []
    for _ in range(12):  # stations of 1 station stop + 12 locations, random one-way and two-way pathways
        station = len(location_type)
        kinds = rng.choice([0, 0, 0, 2, 3, 3, 4], size=12)
        location_type += [1, *kinds.tolist()]
        platforms = [station + 1 + i for i, k in enumerate(kinds) if k == 0]
        parent += [-1] + [int(rng.choice(platforms)) if k == 4 and platforms else station for k in kinds]
        nodes = np.arange(station + 1, station + 13)
        for _ in range(25):
            a, b = rng.choice(nodes, 2, replace=False)
            frm.append(a), to.append(b), modes.append(rng.integers(1, 8))
    n = len(frm)
    edges = PathwayEdges(np.array(frm, np.int32), np.array(to, np.int32), rng.integers(1, 60, n).astype(np.int32),
                         np.full(n, np.nan), np.array(modes, np.int8))
    location_type, parent = np.array(location_type), np.array(parent)
    for wheelchair in (False, True):
        allowed = 0xFE & ~(BIT[STAIRS] | BIT[ESCALATOR]) if wheelchair else 0xFE
        a, b, seconds, bits = station_walks(edges, len(parent), location_type, parent, wheelchair)
        got = {(int(x), int(y)): int(s) for x, y, s in zip(a, b, seconds)}
        assert got == reference_walks(edges, location_type, parent, allowed) and len(got) > 50
        by_modes: dict[int, dict] = {}
        for x, y, s, m in zip(a, b, seconds, bits.tolist()):  # the modes named are enough to walk it that quickly
            assert m != 0 and m & ~allowed == 0
            if m not in by_modes:
                by_modes[m] = reference_walks(edges, location_type, parent, m)
            assert by_modes[m][(int(x), int(y))] == s
