"""Compile time and peak memory of nyc-bus (7.4M stop_times), and loading its cache.

The compile runs in a child process so its peak resident memory is measured alone.
"""

from __future__ import annotations

import resource
import subprocess
import sys

from trajet.feeds import compiled as store

from .conftest import feeds

PEAK_MEMORY_LIMIT_GB = 4.0


def test_compile_nyc_bus(benchmark, tmp_path):
    (path,) = feeds("nyc-bus")
    out = tmp_path / "nyc-bus"

    def compile_once():
        subprocess.run([sys.executable, "-m", "trajet.cli", "compile", str(path), "--out", str(out)], check=True,
                       capture_output=True)

    benchmark.pedantic(compile_once, rounds=1, iterations=1)
    peak_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2
    benchmark.extra_info["peak_rss_gb"] = round(peak_gb, 2)
    assert peak_gb < PEAK_MEMORY_LIMIT_GB, f"compiling nyc-bus peaked at {peak_gb:.2f} GB"
    net, meta = store.load(out)
    assert net.n_trips > 200_000


def test_load_compiled_nyc_bus(benchmark, tmp_path):
    (path,) = feeds("nyc-bus")
    out = tmp_path / "nyc-bus"
    subprocess.run([sys.executable, "-m", "trajet.cli", "compile", str(path), "--out", str(out)], check=True,
                   capture_output=True)
    net, meta = benchmark(store.load, out)
    assert net.n_trips > 200_000


def test_ny_region_day_view_and_memory(benchmark):
    """Cutting the New York region's day view; the timetable must stay under 300 MB."""
    from trajet.service.dayview import build_day_view

    from .conftest import NY_DATE, NY_REGION, open_network

    network = open_network(*NY_REGION)
    tt, *_ = benchmark.pedantic(build_day_view, args=(network.net, network.meta, NY_DATE), rounds=3, iterations=1)
    compiled_mb = sum(a.nbytes for a in network.net) / 1e6
    view_mb = tt.nbytes() / 1e6
    benchmark.extra_info.update(compiled_mb=round(compiled_mb, 1), day_view_mb=round(view_mb, 1))
    assert compiled_mb + view_mb < 300, f"compiled {compiled_mb:.0f} MB + day view {view_mb:.0f} MB"
