"""Feeds that cost more than feeds/limits.py allows are refused with a message naming what
passed which limit, before they cost it: a zip bomb made from the bundled feed, too many
members, a huge field, too many rows, too large in all; the real feeds stay within the
defaults (tests/test_read_real_feeds.py compiles them all)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from trajet.feeds.limits import MIB, FeedLimits
from trajet.feeds.load import BUNDLED_FEED, compile_paths
from trajet.feeds.report import FeedError

from .inline_gtfs import write_feed


def copy_with(path: Path, src: Path = BUNDLED_FEED, extra=()) -> Path:
    """The bundled feed's members, with `extra` ((name, bytes or a writer), ...) added or
    in place of the member of that name."""
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        replaced = {name for name, _ in extra}
        for info in z.infolist():
            if info.filename not in replaced:
                out.writestr(info.filename, z.read(info))
        for name, data in extra:
            if callable(data):
                with out.open(name, "w") as f:
                    data(f)
            else:
                out.writestr(name, data)
    return path


def refused(paths, limits=FeedLimits()) -> str:
    with pytest.raises(FeedError) as e:
        compile_paths([str(p) for p in paths], limits=limits)
    return str(e.value)


def zeros(n_mib: int):
    def write(f):
        block = b" " * MIB
        for _ in range(n_mib):
            f.write(block)
    return write


def trajet_with_peak(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, float]:
    """`trajet ARGS` in a child that writes its own peak resident memory (MiB) as it exits."""
    env = dict(os.environ, TRAJET_CACHE=str(tmp_path / "cache"), PEAK_FILE=str(tmp_path / "peak"))
    # VmHWM, the peak of this process's own memory (ru_maxrss would count the pytest process
    # it was forked from: Linux keeps the peak across exec)
    wrapper = ("import os, re, runpy\n"
               "try:\n    runpy.run_module('trajet.cli', run_name='__main__')\n"
               "finally:\n    status = open('/proc/self/status').read()\n"
               "    peak = re.search(r'VmHWM:\\s+(\\d+) kB', status).group(1)\n"
               "    open(os.environ['PEAK_FILE'], 'w').write(peak)")
    run = subprocess.run([sys.executable, "-c", wrapper, *args], capture_output=True, text=True, env=env)
    return run, int((tmp_path / "peak").read_text()) / 1024


def test_a_zip_bomb_is_refused_before_it_is_read(tmp_path):
    """shapes.txt of 1 GiB of spaces (about 1 MB compressed): refused by its compression
    ratio, in a compile whose whole process stays far below what reading it would take."""
    bomb = copy_with(tmp_path / "bomb.zip", extra=[("shapes.txt", zeros(1024))])
    assert bomb.stat().st_size < 20 * MIB
    message = refused([bomb])
    assert "shapes.txt" in message and "zip bomb" in message and "max_ratio" in message
    run, peak_mib = trajet_with_peak(tmp_path, "compile", str(bomb), "--out", str(tmp_path / "out"))
    assert run.returncode == 2 and "Traceback" not in run.stderr and "zip bomb" in run.stderr, run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert peak_mib < 512, f"compile of the refused bomb peaked at {peak_mib:.0f} MiB"  # 205 MiB here
    assert not (tmp_path / "out").exists()


def test_a_large_member_that_compresses_like_text_is_not_a_bomb(tmp_path):
    big = copy_with(tmp_path / "f.zip")  # the bundled feed: 11.5 MB, ratio 17 at most
    compile_paths([str(big)])


def test_too_many_members(tmp_path):
    many = copy_with(tmp_path / "many.zip", extra=[(f"junk/{i}.txt", b"x") for i in range(1001)])
    assert "1,013 members, more than the limit of 1,000" in refused([many])
    compile_paths([str(many)], limits=FeedLimits(max_members=2000))


def test_too_large_in_all(tmp_path):
    assert "max_total_bytes" in refused([BUNDLED_FEED], FeedLimits(max_total_bytes=5 * MIB))
    folder = tmp_path / "folder"
    folder.mkdir()
    with zipfile.ZipFile(BUNDLED_FEED) as z:
        z.extractall(folder)
    assert "max_total_bytes" in refused([folder], FeedLimits(max_total_bytes=5 * MIB))


def test_a_huge_field_is_named_by_file_line_and_column(tmp_path):
    trips = {"t1": "A 08:00, B 08:10"}
    stops = "stop_id,stop_name,stop_lat,stop_lon\nA,Stop A,60.0,25.0\nB," + "x" * 100_000 + ",60.01,25.0\n"
    path = write_feed(tmp_path / "f", trips, files={"stops.txt": stops})
    message = refused([path])
    assert "stops.txt:3 [stop_name]" in message, message
    assert "100,000 bytes" in message and "max_field_bytes" in message
    compile_paths([str(path)], limits=FeedLimits(max_field_bytes=200_000))


def test_too_many_rows(tmp_path):
    message = refused([BUNDLED_FEED], FeedLimits(max_rows=100))
    assert "rows, more than the limit of 100 (max_rows)" in message


@pytest.mark.parametrize("pairs, error", [
    (["max_rows"], "NAME=VALUE"), (["rows=3"], "NAME=VALUE"), (["max_rows=many"], "not a number"),
    (["max_ratio=0"], "more than 0"),
])
def test_bad_limits_are_named(pairs, error):
    with pytest.raises(ValueError, match=error):
        FeedLimits.parse(pairs)


def test_limits_from_the_command_line(tmp_path):
    assert FeedLimits.parse(["max-rows=5", "max_ratio=2.5"]) == FeedLimits(max_rows=5, max_ratio=2.5)
    env = dict(os.environ, TRAJET_CACHE=str(tmp_path / "cache"))
    run = subprocess.run([sys.executable, "-m", "trajet.cli", "compile", str(BUNDLED_FEED), "--out",
                          str(tmp_path / "out"), "--feed-limit", "max_rows=100"],
                         capture_output=True, text=True, env=env)
    assert run.returncode == 2 and "max_rows" in run.stderr and "Traceback" not in run.stderr
    run = subprocess.run([sys.executable, "-m", "trajet.cli", "plan", "--from", "A", "--to", "B", "--feed-limit",
                          "bogus=1"], capture_output=True, text=True, env=env)
    assert run.returncode == 2 and "--feed-limit" in run.stderr and "max_total_bytes" in run.stderr


def test_a_long_name_costs_its_length_not_its_length_times_the_stops(tmp_path):
    """One stop name of 10 MB in a feed of 64 stops (allowed by a raised field limit): every
    string table is stored as one buffer and offsets, so the compiled folder holds the name
    about once, and compiling it takes far less than the 5.6 GB of fixed-width strings (64
    names x 10 M characters x 4 bytes) it took before."""
    stop_ids = [f"S{i}" for i in range(64)]
    trips = {f"t{i}": f"{a} 08:{i % 50:02d}, {b} 08:{i % 50 + 5:02d}"
             for i, (a, b) in enumerate(zip(stop_ids, stop_ids[1:]))}
    stops = "stop_id,stop_name,stop_lat,stop_lon\n" + "".join(
        f"{s},{'N' * 10_000_000 if i == 5 else 'Stop ' + s},{60 + i * 0.001},25.0\n" for i, s in enumerate(stop_ids))
    feed = write_feed(tmp_path / "f", trips, files={"stops.txt": stops})
    run, peak_mib = trajet_with_peak(tmp_path, "compile", str(feed), "--out", str(tmp_path / "out"),
                                     "--feed-limit", "max_field_bytes=20000000")
    assert run.returncode == 0, run.stderr
    size_mib = sum(p.stat().st_size for p in (tmp_path / "out").iterdir()) / MIB
    assert size_mib < 25, f"compiled folder {size_mib:.0f} MiB"
    assert peak_mib < 1500, f"compile peaked at {peak_mib:.0f} MiB"
    from trajet.feeds.compiled import load
    net, _ = load(tmp_path / "out")
    assert len(net.stop_name[5]) == 10_000_000 and net.stop_name[6] == "Stop S6"
