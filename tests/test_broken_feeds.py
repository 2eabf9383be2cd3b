"""The broken-feed corpus (tests/broken_feeds.py, made from ../shared/feeds/caltrain.zip):
every case is refused with a message naming the file (and line and column where there is
one), or loaded with a warning naming them; nothing else is raised. The same through the
command line: one line, exit 2, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest

from trajet.feeds.load import compile_paths
from trajet.feeds.report import FeedError

from .broken_feeds import CASES
from .conftest import shared_feed


@pytest.fixture(scope="module")
def members() -> dict[str, bytes]:
    with zipfile.ZipFile(shared_feed("caltrain")) as z:
        return {n: z.read(n) for n in z.namelist()}


def test_the_corpus_is_large_and_varied():
    assert len(CASES) >= 30 and len({c.name for c in CASES}) == len(CASES)
    assert sum(c.refused for c in CASES) >= 10 and sum(not c.refused for c in CASES) >= 10


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_broken_feed_is_refused_or_loaded_as_it_says(tmp_path, members, case):
    path = tmp_path / "caltrain.zip"
    path.write_bytes(case.make(members))
    try:
        _, _, reports = compile_paths([str(path)])
    except FeedError as e:
        assert case.refused, f"refused: {e}"
        said = "\n".join([str(e)] + ([f.describe() for f in e.report.findings] if e.report else []))
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
