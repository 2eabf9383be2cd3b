"""`trajet traveltimes` (--out csv / geojson, --plot png) and `trajet matrix` end to end, on
a hand-made feed whose times are known: A 08:00 -> B 08:10 on t1, B 08:20 -> C 08:40 on t2."""

from __future__ import annotations

import csv

import orjson

from .test_cli import feed, trajet  # noqa: F401 (the feed fixture)

WHEN = ["--date", "2024-03-12", "--time", "07:55"]


def test_traveltimes_csv_and_png(tmp_path, feed):  # noqa: F811
    out, png = tmp_path / "tt.csv", tmp_path / "tt.png"
    run = trajet("traveltimes", "--feed", feed, "--from", "A", *WHEN, "--out", str(out), "--plot", str(png),
                 tmp_path=tmp_path)
    assert "3 stops reached" in run.stderr
    rows = {r["stopId"]: r for r in csv.DictReader(out.open())}
    assert {k: (r["seconds"], r["minutes"], r["transfers"]) for k, r in rows.items()} == {
        "A": ("0", "0.0", "0"), "B": ("900", "15.0", "0"), "C": ("2700", "45.0", "1")}
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_traveltimes_window_geojson(tmp_path, feed):  # noqa: F811
    """Departing each minute 07:55..08:04: C is 45 min away at 07:55, 40 at 08:00, and out of
    reach from 08:01 on (t1 is the day's only trip from A)."""
    out = tmp_path / "tt.geojson"
    trajet("traveltimes", "--feed", feed, "--from", "A", *WHEN, "--window", "600", "--percentiles", "10,90",
           "--out", str(out), tmp_path=tmp_path)
    body = orjson.loads(out.read_bytes())
    assert body["type"] == "FeatureCollection" and body["properties"]["departures"] == 10
    props = {f["properties"]["stopId"]: f["properties"] for f in body["features"]}
    # sorted over the 10 minutes: 40, 41, 42, 43, 44, 45, then 4 unreached; nearest rank: the
    # median is the 5th (44), p10 the 1st, p90 the 9th (unreached: null)
    assert (props["C"]["min"], props["C"]["median"], props["C"]["p10"], props["C"]["p90"]) == (40.0, 44.0, 40.0, None)
    assert all(f["geometry"]["type"] == "Point" for f in body["features"])


def test_matrix_csv(tmp_path, feed):  # noqa: F811
    points = tmp_path / "points.csv"
    points.write_text("id,stop_id\na,A\nb,B\nc,C\n")
    out = tmp_path / "m.csv"
    run = trajet("matrix", "--feed", feed, "--points", str(points), "--out", str(out), *WHEN, "--workers", "2",
                 "--max-direct-time", "0", tmp_path=tmp_path)
    pairs = {(r["from_id"], r["to_id"]): (r["seconds"], r["transfers"]) for r in csv.DictReader(out.open())}
    assert pairs == {("a", "a"): ("0", "0"), ("a", "b"): ("900", "0"), ("a", "c"): ("2700", "1"),
                     ("b", "b"): ("0", "0"), ("b", "c"): ("2700", "0"), ("c", "c"): ("0", "0")}
    assert "6 of 9 pairs connected" in run.stderr
    trajet("matrix", "--feed", feed, "--points", str(points), "--out", str(out), *WHEN, tmp_path=tmp_path)
    walked = {(r["from_id"], r["to_id"]): r["seconds"] for r in csv.DictReader(out.open())}
    assert walked[("b", "c")] == walked[("b", "a")] == "1087"  # 1 km on foot beats waiting for t2
    bad = tmp_path / "bad.csv"
    bad.write_text("name\nA\n")
    run = trajet("matrix", "--feed", feed, "--points", str(bad), "--out", str(out), tmp_path=tmp_path, check=False)
    assert run.returncode == 2 and "the header needs id" in run.stderr
