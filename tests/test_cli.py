"""The `trajet` command end to end: compile, plan, batch, and one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys

import orjson
import pytest

from .inline_gtfs import write_feed

TRIPS = {"t1": "A 08:00, B 08:10", "t2": "B 08:20, C 08:40"}


def trajet(*args, tmp_path, check=True):
    env = dict(os.environ, TRAJET_CACHE=str(tmp_path / "cache"))
    run = subprocess.run([sys.executable, "-m", "trajet.cli", *args], capture_output=True, text=True, env=env)
    if check:
        assert run.returncode == 0, run.stderr
    return run


@pytest.fixture
def feed(tmp_path):
    return str(write_feed(tmp_path / "f", TRIPS))


def test_compile_prints_the_validation_summary(tmp_path, feed):
    run = trajet("compile", feed, "--out", str(tmp_path / "out"), tmp_path=tmp_path)
    assert "feed: 0 error(s)" in run.stdout
    assert "compiled 3 stops" in run.stdout
    assert (tmp_path / "out" / "meta.json").exists()


def test_plan_json_has_the_api_shape(tmp_path, feed):
    run = trajet("plan", "--feed", feed, "--from", "A", "--to", "C", "--date", "2024-03-12", "--time", "07:50",
                 "--json", tmp_path=tmp_path)
    body = orjson.loads(run.stdout)
    (it,) = body["itineraries"]
    assert (it["startTime"], it["endTime"], it["transfers"]) == ("2024-03-12T08:00:00+02:00",
                                                                  "2024-03-12T08:40:00+02:00", 1)
    assert [(leg["from"]["stopId"], leg["to"]["stopId"], leg["tripId"], leg["routeShortName"])
            for leg in it["legs"]] == [
        ("A", "B", "t1", "t1"),
        ("B", "C", "t2", "t2"),
    ]


def test_plan_prints_readably(tmp_path, feed):
    run = trajet("plan", "--feed", feed, "--from", "A", "--to", "C", "--date", "2024-03-12", "--time", "07:50",
                 tmp_path=tmp_path)
    assert "journey 1: 08:00:00 -> 08:40:00, 40 min, 1 transfer(s)" in run.stdout


def test_plan_arrive_by(tmp_path, feed):
    """--arrive-by: --time is the latest arrival; nothing arrives by 08:39, and the error says when."""
    run = trajet("plan", "--feed", feed, "--from", "A", "--to", "C", "--date", "2024-03-12", "--time", "09:00",
                 "--arrive-by", "--json", tmp_path=tmp_path)
    (it,) = orjson.loads(run.stdout)["itineraries"]
    assert (it["startTime"], it["endTime"]) == ("2024-03-12T08:00:00+02:00", "2024-03-12T08:40:00+02:00")
    run = trajet("plan", "--feed", feed, "--from", "A", "--to", "C", "--date", "2024-03-12", "--time", "08:39",
                 "--arrive-by", tmp_path=tmp_path, check=False)
    assert run.returncode == 3
    assert "no journey arrives by 08:39 on 2024-03-12; on that day journeys arrive later (the first at 08:40)" in (
        run.stderr)
    queries = tmp_path / "q.csv"
    queries.write_text("from,to,date,time\nA,C,2024-03-12,09:00\nA,B,2024-03-12,08:09\n")
    trajet("batch", "--feed", feed, "--queries", str(queries), "--out", str(tmp_path / "o.jsonl"), "--arrive-by",
           "--max-direct-time", "0", tmp_path=tmp_path)
    lines = [orjson.loads(x) for x in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert [x["itineraries"][0]["startTime"][11:16] for x in lines[:1]] == ["08:00"]
    assert lines[1]["itineraries"] == [] and lines[1]["routingErrors"][0]["inputField"] == "time"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--from", "X"], "unknown stop id 'X'"),
        (["--date", "2024-13-01"], "is not a date"),
        (["--time", "8h"], "is not a time"),
        (["--max-transfers", "-1"], "maxTransfers -1 is out of range"),
        (["--to", "A"], "same place"),
    ],
)
def test_bad_queries_end_in_one_line(tmp_path, feed, args, message):
    base = {"--from": "A", "--to": "C", "--date": "2024-03-12", "--time": "07:50", "--max-direct-time": "0"}
    base.update(dict(zip(args[::2], args[1::2])))
    run = trajet("plan", "--feed", feed, *[x for kv in base.items() for x in kv], tmp_path=tmp_path, check=False)
    assert run.returncode == 2
    assert message in run.stderr
    assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args, reason",
    [
        (["--date", "2030-01-01"], "2030-01-01 is outside the feeds' service days, 2024-01-01 to 2024-12-31 "
                                   "(OUTSIDE_SERVICE_PERIOD)"),
        (["--from", "C", "--to", "A"], "(NO_TRANSIT_CONNECTION)"),
        # the last service day, after its last trip: no next day's trip answers
        (["--date", "2024-12-31", "--time", "08:30", "--to", "B"],
         "no journey leaves after 08:30 on 2024-12-31; on that day journeys run earlier (one leaves at 08:00) "
         "(NO_TRANSIT_CONNECTION_IN_SEARCH_WINDOW)"),
        (["--max-transfers", "0"], "needs 1 transfers; maxTransfers is 0 (NO_TRANSIT_CONNECTION_WITHIN_LIMITS)"),
    ],
)
def test_a_plan_without_a_journey_says_why_and_exits_3(tmp_path, feed, args, reason):
    base = {"--from": "A", "--to": "C", "--date": "2024-03-12", "--time": "07:50", "--max-direct-time": "0"}
    base.update(dict(zip(args[::2], args[1::2])))
    run = trajet("plan", "--feed", feed, *[x for kv in base.items() for x in kv], tmp_path=tmp_path, check=False)
    assert run.returncode == 3, run.stderr
    assert reason in run.stderr and len(run.stderr.strip().splitlines()) == 1
    assert run.stdout == ""


BOARD_TRIPS = {"bus": "A 08:00, B 08:10", "bikes": "A 08:05, B 08:15", "blank": "A 08:10, B 08:20",
               "c": "C 08:00, B 08:10"}
BOARD_FILES = {  # bus: wheelchair yes, no bikes; bikes: no wheelchair, bikes; blank: unknown both; C: no
    # wheelchair boarding
    "routes.txt": "route_id,agency_id,route_short_name,route_long_name,route_type\nR,A,7,Route,3\n",
    "trips.txt": "route_id,service_id,trip_id,wheelchair_accessible,bikes_allowed\n"
                 "R,ALL,bus,1,2\nR,ALL,bikes,2,1\nR,ALL,blank,,\nR,ALL,c,1,1\n",
    "stops.txt": "stop_id,stop_name,stop_lat,stop_lon,wheelchair_boarding\nA,Stop A,60.0,25.0,1\n"
                 "B,Stop B,60.01,25.0,1\nC,Stop C,60.0,25.001,2\n",
}


@pytest.mark.parametrize(("flags", "trips"), [
    ([], ["bus", "bikes", "blank"]),
    (["--wheelchair", "true"], ["bus", "blank"]),
    (["--wheelchair", "true", "--wheelchair-unknown", "exclude"], ["bus"]),
    (["--wheelchair", "true", "--stop", "C"], []),  # C: boarding not possible
    (["--bike-on-board", "true"], ["bikes"]),
    (["--bike-on-board", "true", "--wheelchair", "true", "--bike-unknown", "allow"], ["blank"]),
])
def test_departures_for_a_wheelchair_or_a_bike(tmp_path, flags, trips):
    feed = str(write_feed(tmp_path / "f", BOARD_TRIPS, files=BOARD_FILES))
    args = ["departures", "--feed", feed, "--stop", "A", "--date", "2024-03-12", "--time", "07:55", *flags,
            "--limit", str(max(len(trips), 1))]  # the next day's come after
    body = orjson.loads(trajet(*args, "--json", tmp_path=tmp_path).stdout)
    assert [d["tripId"] for d in body["departures"]] == trips
    named = {"bus": ("POSSIBLE", "NOT_ALLOWED"), "bikes": ("NOT_POSSIBLE", "ALLOWED"),
             "blank": ("NO_INFORMATION", "NO_INFORMATION")}
    assert all((d["wheelchairAccessible"], d["bikesAllowed"]) == named[d["tripId"]] for d in body["departures"])


def test_departures_print_readably(tmp_path):
    feed = str(write_feed(tmp_path / "f", BOARD_TRIPS, files=BOARD_FILES))
    run = trajet("departures", "--feed", feed, "--stop", "A", "--date", "2024-03-12", "--time", "07:55", "--limit",
                 "2", "--wheelchair", "true", tmp_path=tmp_path)
    assert run.stdout.splitlines() == [
        "departures from Stop A (A) on 2024-03-12 from 07:55:",
        "  08:00 7 towards Stop B (A; wheelchair POSSIBLE, bikes NOT_ALLOWED)",
        "  08:10 7 towards Stop B (A; wheelchair NO_INFORMATION, bikes NO_INFORMATION)",
    ]


@pytest.mark.parametrize(("flags", "message"), [
    (["--wheelchair", "yes"], "wheelchair 'yes' is not true or false"),
    (["--bike-unknown", "never"], "bikeUnknown 'never' is not one of allow, exclude"),
    (["--limit", "0"], "limit 0 is out of range 1..200"),
    (["--stop", "Z"], "unknown stop id 'Z'"),
])
def test_bad_departures_flags_end_in_one_line(tmp_path, feed, flags, message):
    base = {"--stop": "A", "--date": "2024-03-12", "--time": "07:55"}
    base.update(dict(zip(flags[::2], flags[1::2])))
    run = trajet("departures", "--feed", feed, *[x for kv in base.items() for x in kv], tmp_path=tmp_path,
                 check=False)
    assert run.returncode == 2 and message in run.stderr, run.stderr
    assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1


def test_broken_feed_ends_in_one_line(tmp_path):
    broken = write_feed(tmp_path / "b", TRIPS, files={"stop_times.txt": None})
    run = trajet("compile", str(broken), "--out", str(tmp_path / "o"), tmp_path=tmp_path, check=False)
    assert run.returncode == 2
    assert "stop_times.txt" in run.stderr and "Traceback" not in run.stderr


def test_errors_say_error_once(tmp_path):
    broken = write_feed(tmp_path / "b", TRIPS, files={"stop_times.txt": None})
    run = trajet("compile", str(broken), "--out", str(tmp_path / "o"), tmp_path=tmp_path, check=False)
    assert run.stderr.startswith("error: feed/stop_times.txt") and run.stderr.count("error") == 1, run.stderr


def test_missing_feed_file(tmp_path):
    run = trajet("plan", "--feed", str(tmp_path / "nope.zip"), "--from", "A", "--to", "B", "--date", "2024-03-12",
                 "--time", "08:00", tmp_path=tmp_path, check=False)
    assert run.returncode == 2 and "no such feed" in run.stderr


def test_batch_answers_in_order_and_reports_bad_lines(tmp_path, feed):
    queries = tmp_path / "q.csv"
    queries.write_text("from,to,date,time,note\nA,C,2024-03-12,07:50,ok\nA,Z,2024-03-12,07:50,bad stop\n"
                       "B,C,2024-03-12,25:99,bad time\nA,B,2024-03-12,08:00,ok\n")
    out = tmp_path / "out.jsonl"
    trajet("batch", "--feed", feed, "--queries", str(queries), "--out", str(out), tmp_path=tmp_path)
    lines = [orjson.loads(x) for x in out.read_text().splitlines()]
    assert [x["line"] for x in lines] == [2, 3, 4, 5]
    assert lines[0]["itineraries"][0]["endTime"] == "2024-03-12T08:40:00+02:00"
    assert "unknown stop id 'Z'" in lines[1]["error"]["message"] and lines[1]["error"]["field"] == "to"
    assert "is not a time" in lines[2]["error"]["message"]
    assert lines[3]["itineraries"][0]["legs"][0]["tripId"] == "t1"
    assert all(x["seconds"] >= 0 for x in lines)


def test_batch_needs_the_header(tmp_path, feed):
    queries = tmp_path / "q.csv"
    queries.write_text("a,b\n1,2\n")
    run = trajet("batch", "--feed", feed, "--queries", str(queries), "--out", str(tmp_path / "o.jsonl"),
                 tmp_path=tmp_path, check=False)
    assert run.returncode == 2 and "header lacks" in run.stderr


@pytest.mark.parametrize("column", ["maxTransfers", "max_transfers"])
def test_batch_refuses_a_column_named_as_a_plan_option(tmp_path, feed, column):
    """A plan option applies to the whole batch (a flag): as a column it would be ignored."""
    queries = tmp_path / "q.csv"
    queries.write_text(f"from,to,date,time,{column}\nA,C,2024-03-12,07:50,0\n")
    run = trajet("batch", "--feed", feed, "--queries", str(queries), "--out", str(tmp_path / "o.jsonl"),
                 tmp_path=tmp_path, check=False)
    assert run.returncode == 2 and f"column '{column}' is the plan option maxTransfers" in run.stderr
    assert "give --max-transfers instead" in run.stderr


def test_several_feeds_prefix_their_ids(tmp_path):
    one = write_feed(tmp_path / "1", {"t1": "A 08:00, B 08:10"}, name="north")
    two = write_feed(tmp_path / "2", {"t1": "A 09:00, C 09:10"}, name="south")
    args = ["plan", "--feed", str(one), "--feed", str(two), "--date", "2024-03-12", "--time", "07:00", "--json",
            "--max-direct-time", "0"]
    run = trajet(*args, "--from", "north:A", "--to", "B", tmp_path=tmp_path)
    assert orjson.loads(run.stdout)["itineraries"][0]["legs"][0]["tripId"] == "north:t1"
    ambiguous = trajet(*args, "--from", "A", "--to", "B", tmp_path=tmp_path, check=False)
    assert ambiguous.returncode == 2 and "several feeds" in ambiguous.stderr


def test_unknown_mode_is_a_clear_error(tmp_path, feed):
    args = ["plan", "--feed", feed, "--from", "A", "--to", "C", "--date", "2024-03-12", "--time", "07:50"]
    run = trajet(*args, "--exclude-modes", "HOVERCRAFT", tmp_path=tmp_path, check=False)
    assert run.returncode == 2 and "unknown mode HOVERCRAFT" in run.stderr


def test_serve_answers_on_loopback(tmp_path, feed):
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, TRAJET_CACHE=str(tmp_path / "cache"), TRAJET_LEDGER=str(tmp_path / "ledger.sqlite"))
    server = subprocess.Popen([sys.executable, "-m", "trajet.cli", "serve", "--feed", feed, "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    try:
        deadline = time.time() + 240  # a fresh checkout compiles the kernels before it listens
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/plan?from=A&to=C&date=2024-03-12&time=07:50",
                                            timeout=5) as r:
                    body = orjson.loads(r.read())
                break
            except OSError:
                assert server.poll() is None and time.time() < deadline, "the server did not start"
                time.sleep(0.2)
        assert body["itineraries"][0]["endTime"] == "2024-03-12T08:40:00+02:00"
    finally:
        server.terminate()  # a clean stop writes the ledger's last batch
        server.wait(timeout=30)
    import sqlite3

    rows = sqlite3.connect(tmp_path / "ledger.sqlite").execute("SELECT endpoint, status FROM requests").fetchall()
    assert ("/v1/plan", 200) in rows


def committed(ledger) -> int:
    import sqlite3

    try:
        with sqlite3.connect(f"file:{ledger}?mode=ro", uri=True) as db:
            return db.execute("SELECT COUNT(*) FROM requests WHERE endpoint = '/v1/plan'").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_kill_9_loses_at_most_the_last_batch(tmp_path, feed):
    import signal
    import socket
    import sqlite3
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ledger = tmp_path / "ledger.sqlite"
    env = dict(os.environ, TRAJET_CACHE=str(tmp_path / "cache"), TRAJET_LEDGER=str(ledger))
    server = subprocess.Popen([sys.executable, "-m", "trajet.cli", "serve", "--feed", feed, "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    url = f"http://127.0.0.1:{port}/v1/plan?from=A&to=C&date=2024-03-12&time=07:50"
    try:
        deadline = time.time() + 240  # a fresh checkout compiles the kernels before it listens
        while True:
            try:
                urllib.request.urlopen(url, timeout=5).read()
                break
            except OSError:
                assert server.poll() is None and time.time() < deadline, "the server did not start"
                time.sleep(0.2)
        for _ in range(5):
            urllib.request.urlopen(url, timeout=5).read()
        while committed(ledger) < 6:  # the writer commits within flush_seconds (1 s); wait for it
            assert time.time() < deadline + 60, "the ledger never committed"
            time.sleep(0.1)
        for _ in range(3):
            urllib.request.urlopen(url, timeout=5).read()
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
    db = sqlite3.connect(ledger)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    n = db.execute("SELECT COUNT(*) FROM requests WHERE endpoint = '/v1/plan'").fetchone()[0]
    assert 6 <= n <= 9  # the first 6 were committed; the last 3 may be the lost batch


def test_compile_of_defective_feeds_ends_in_one_clear_line(tmp_path):
    # UTF-16 (as Excel writes "Unicode text"): read, with a warning naming the conversion
    stops = "stop_id,stop_name,stop_lat,stop_lon\nA,Gare,60.0,25.0\nB,Île,60.01,25.0\nC,C,60.02,25.0\n"
    utf16 = write_feed(tmp_path / "u", TRIPS, name="utf16",
                       files={"stops.txt": b"\xff\xfe" + stops.encode("utf-16-le")})
    run = trajet("compile", str(utf16), "--out", str(tmp_path / "out16"), tmp_path=tmp_path, check=False)
    assert run.returncode == 0 and run.stderr == "", run.stderr
    assert "warning: utf16/stops.txt: UTF-16 LE (with byte order mark) text, not UTF-8: converted" in run.stdout
    assert "compiled 3 stops" in run.stdout
    # stops.txt without stop_lat: one line naming file, line and field; nothing written
    no_lat = write_feed(tmp_path / "n", TRIPS, name="nolat",
                        files={"stops.txt": "stop_id,stop_lon\nA,25\nB,25\nC,25\n"})
    run = trajet("compile", str(no_lat), "--out", str(tmp_path / "out"), tmp_path=tmp_path, check=False)
    assert run.returncode == 2, run.stderr
    assert (run.stderr.startswith("error: nolat/stops.txt:1 [stop_lat]: missing column stop_lat")
            and run.stderr.count("\n") == 1)
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr
    assert not (tmp_path / "out").exists()


def test_chat_runs_the_text_conversation_until_quit():
    from click.testing import CliRunner

    from trajet.cli.main import cli as trajet
    questions = "de Kamppi à Pasila à 8h\nfrom Haaga to Kamppi\n2\n\nquit\nnever asked\n"
    result = CliRunner().invoke(trajet, ["chat", "--date", "2022-02-22", "--time", "07:30"], input=questions)
    assert result.exit_code == 0, result.output
    assert "J'ai compris : de Kampin metroasema à Pasila, départ 08:00." in result.output
    assert "1) Haagan tori 2) Haagan ammattikoulu" in result.output
    assert "Understood: from Haagan ammattikoulu to Kampin metroasema, leaving 07:30." in result.output
    assert "never asked" not in result.output and result.output.count("Info Helsingin seudun liikenne") == 3


def test_serve_refuses_the_examples_public_keys_without_dev(tmp_path):
    example = os.path.join(os.path.dirname(__file__), "..", "data", "trajet.example.toml")
    run = trajet("serve", "--config", example, "--port", "1", tmp_path=tmp_path, check=False)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "are examples" in run.stderr and "--dev" in run.stderr and "key-hash" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_key_hash_prints_the_declaration(tmp_path):
    import hashlib

    run = trajet("key-hash", "my-secret-key", tmp_path=tmp_path)
    assert run.stdout.strip() == "sha256:" + hashlib.sha256(b"my-secret-key").hexdigest()
    assert trajet("key-hash", "short", tmp_path=tmp_path, check=False).returncode == 2
