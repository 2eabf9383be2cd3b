"""The broken-feed corpus (tests/broken_feeds.py, made from ../shared/feeds/caltrain.zip):
every case is refused with a message naming the file (and line and column where there is
one), or loaded with a warning naming them; nothing else is raised; none takes more memory
than a bound relative to its input. The same through the command line: one line, exit 2,
no traceback."""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from trajet.feeds.load import compile_paths
from trajet.feeds.report import FeedError

from .broken_feeds import CASES, zipped
from .conftest import shared_feed

MIB = 1 << 20
PEAK_FLOOR_MIB = 32  # what any case may take above a warm process, however small its input
PEAK_PER_INPUT = 20  # and per byte of its uncompressed input beyond that


@pytest.fixture(scope="module")
def members() -> dict[str, bytes]:
    with zipfile.ZipFile(shared_feed("caltrain")) as z:
        return {n: z.read(n) for n in z.namelist()}


@pytest.fixture(scope="module")
def warm(members, tmp_path_factory):
    """The real feed compiled once in this process, so that a case's peak is its own and not
    the first import's or JIT's."""
    path = tmp_path_factory.mktemp("warm") / "caltrain.zip"
    path.write_bytes(zipped(members))
    compile_paths([str(path)])


def _status_mib(field: str) -> float:
    return int(re.search(rf"{field}:\s+(\d+) kB", Path("/proc/self/status").read_text()).group(1)) / 1024


@contextlib.contextmanager
def peak_above_now():
    """Yields a list that receives the peak resident memory (MiB) reached in the block above
    the resident memory at its start (Linux: the peak is reset through /proc/self/clear_refs)."""
    measured: list[float] = []
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        yield measured  # no measure on this system
        return
    start = _status_mib("VmRSS")
    yield measured
    measured.append(_status_mib("VmHWM") - start)


def uncompressed_size(data: bytes) -> int:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return sum(i.file_size for i in z.infolist())
    except zipfile.BadZipFile:
        return len(data)


def test_the_corpus_is_large_and_varied():
    assert len(CASES) >= 30 and len({c.name for c in CASES}) == len(CASES)
    assert sum(c.refused for c in CASES) >= 10 and sum(not c.refused for c in CASES) >= 10


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_broken_feed_is_refused_or_loaded_as_it_says(tmp_path, members, warm, case):
    data = case.make(members)
    path = tmp_path / "caltrain.zip"
    path.write_bytes(data)
    with peak_above_now() as peak:
        try:
            _, _, reports = compile_paths([str(path)])
        except FeedError as error:
            refusal = error
        else:
            refusal = None
    bound = PEAK_FLOOR_MIB + PEAK_PER_INPUT * uncompressed_size(data) / MIB
    assert not peak or peak[0] < bound, f"peak {peak[0]:.0f} MiB above the warm process (bound {bound:.0f} MiB)"
    if refusal is not None:
        assert case.refused, f"refused: {refusal}"
        findings = refusal.report.findings if refusal.report else []
        said = "\n".join([str(refusal)] + [f.describe() for f in findings])
    else:
        assert not case.refused, "loaded"
        said = "\n".join(f.describe() for f in reports[0].warnings)
    for words in case.says:
        assert words in said, f"{words!r} not in:\n{said}"


@pytest.mark.parametrize("case", [c for c in CASES if c.refused][:4], ids=lambda c: c.name)
def test_the_command_line_says_it_in_one_line(tmp_path, members, case):
    path = tmp_path / "caltrain.zip"
    path.write_bytes(case.make(members))
    env = dict(os.environ, TRAJET_CACHE=str(tmp_path / "cache"))
    run = subprocess.run([sys.executable, "-m", "trajet.cli", "compile", str(path), "--out", str(tmp_path / "out")],
                         capture_output=True, text=True, env=env)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and run.stderr.startswith("error: ")
    assert not (tmp_path / "out").exists()
