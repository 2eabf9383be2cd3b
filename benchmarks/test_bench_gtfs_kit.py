"""Reading nyc-bus (62 MB zip, 7.4M stop_times) with our reader, against gtfs-kit (pandas).

The benchmark is our read time in this process. Beside it, each reader reads the feed once more
in a child process of its own, so that its peak resident memory (VmHWM, taken right after the
read, before anything else runs) is measured alone; the gtfs-kit child then runs the comparison of
tests/test_gtfs_kit.py on nyc-bus (same tables, services on every date, stop_times on seeded
dates), which the suite leaves out for its size. Figures go to the JSON's extra_info.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from trajet.feeds.read import read_feed
from trajet.feeds.report import Report

from .conftest import feeds

ROOT = Path(__file__).resolve().parents[1]
PEAK_MEMORY_LIMIT_GB = 4.0  # our read's; gtfs-kit 13 on pandas 3 peaks at about the same as ours (1.0-1.3 GB)
# gtfs-kit's rows minus ours (see tests/test_gtfs_kit.py): none, the feed has no row we drop.
NYC_BUS_EXTRA_ROWS: dict[str, int] = {}
NYC_BUS_VALUE_DIFFS: dict[tuple[str, str], int] = {}

CHILD = r"""
import json, sys, time
from pathlib import Path

def status(key):  # GB, from /proc/self/status
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024**2

path, reader = Path(sys.argv[1]), sys.argv[2]
if reader == "trajet":
    from trajet.feeds.read import read_feed
    from trajet.feeds.report import Report
    read = lambda: read_feed(path, "nyc-bus", Report("nyc-bus"))
else:  # as tests/test_gtfs_kit.py reads it (nyc-bus is UTF-8), importing no more than gtfs-kit
    import gtfs_kit as gk
    for table, column in (("frequencies", "headway_secs"), ("transfers", "min_transfer_time"),
                          ("fare_attributes", "transfer_duration")):
        gk.constants.DTYPES[table][column] = "Int32"
    read = lambda: gk.read_feed(path, dist_units="km")
out = {"rss_before_gb": status("VmRSS")}
started = time.perf_counter()
feed = read()
out["read_s"] = time.perf_counter() - started
out["peak_rss_gb"] = status("VmHWM")
if reader == "gtfs-kit":
    from tests import test_gtfs_kit as t
    from trajet.feeds.compile import compile_feeds
    from trajet.feeds.read import read_feed
    from trajet.feeds.report import Report
    report = Report("nyc-bus")
    ours = read_feed(path, "nyc-bus", report)
    net, meta = compile_feeds([ours], [Report("nyc-bus")])
    pair = t.FeedPair("nyc-bus", ours, report, net, meta, feed)
    out["extra_rows"] = t.check_tables(pair)
    out["value_diffs"] = [[list(k), n] for k, n in t.check_values(pair).items()]
    out["untimed_rows"] = t.untimed_rows(pair)
    out["dates"], out["gtfs_kit_calls"] = t.check_services(pair)
    out["stop_times"] = {d: t.check_stop_times(pair, d) for d in t.sampled_dates(pair)}
print(json.dumps(out))
"""


def _child(path: Path, reader: str) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, str(path), reader], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, f"{reader} child failed:\n{done.stderr[-3000:]}"
    return json.loads(done.stdout.splitlines()[-1])


def test_read_nyc_bus_vs_gtfs_kit(benchmark):
    (path,) = feeds("nyc-bus")
    reports = []

    def read():
        reports.append(Report("nyc-bus"))
        return read_feed(path, "nyc-bus", reports[-1])

    feed = benchmark.pedantic(read, rounds=1, iterations=1)
    assert len(feed.stop_times) > 7_000_000 and not reports[-1].findings  # nothing to drop or repair
    ours = _child(path, "trajet")
    theirs = _child(path, "gtfs-kit")
    benchmark.extra_info.update(
        trajet_read_s=round(ours["read_s"], 1), trajet_peak_rss_gb=round(ours["peak_rss_gb"], 2),
        trajet_rss_before_gb=round(ours["rss_before_gb"], 2),
        gtfs_kit_read_s=round(theirs["read_s"], 1), gtfs_kit_peak_rss_gb=round(theirs["peak_rss_gb"], 2),
        gtfs_kit_rss_before_gb=round(theirs["rss_before_gb"], 2),
        dates_compared=theirs["dates"], stop_times_compared=theirs["stop_times"],
    )
    assert theirs["extra_rows"] == NYC_BUS_EXTRA_ROWS
    assert {tuple(k): n for k, n in theirs["value_diffs"]} == NYC_BUS_VALUE_DIFFS
    assert theirs["untimed_rows"] == 0
    assert ours["peak_rss_gb"] < PEAK_MEMORY_LIMIT_GB, f"our read of nyc-bus peaked at {ours['peak_rss_gb']:.2f} GB"
