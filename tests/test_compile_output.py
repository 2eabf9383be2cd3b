"""`trajet compile --out DIR` never deletes what it did not write.

A new or empty folder receives the compiled network; a previous compile output is replaced
in one atomic swap; any other folder (a working directory, a folder of the user's files) is
refused with a clear message, and nothing in it is touched.
"""

from __future__ import annotations

import os
import subprocess
import sys

from trajet.feeds import compiled as store
from trajet.feeds.load import compile_paths

from .inline_gtfs import write_feed

TRIPS = {"t1": "A 08:00, B 08:10"}


def compile_cli(*args, cwd=None, tmp_path):
    env = dict(os.environ, TRAJET_CACHE=str(tmp_path / "cache"))
    return subprocess.run([sys.executable, "-m", "trajet.cli", "compile", *args], capture_output=True, text=True,
                          env=env, cwd=cwd)


def test_out_dot_in_a_working_directory_is_refused_and_nothing_is_deleted(tmp_path):
    feed = write_feed(tmp_path / "f", TRIPS)
    work = tmp_path / "work"
    (work / "src").mkdir(parents=True)
    (work / "src" / "main.py").write_text("print('mine')\n")
    (work / "notes.txt").write_text("mine too\n")
    run = compile_cli(str(feed), "--out", ".", cwd=work, tmp_path=tmp_path)
    assert run.returncode == 2, run.stderr
    assert "is not a Trajet compile output" in run.stderr and "nothing was written" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in work.iterdir()) == ["notes.txt", "src"]
    assert (work / "src" / "main.py").read_text() == "print('mine')\n"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".work")], "a temporary folder was left behind"


def test_a_folder_with_one_foreign_file_is_refused(tmp_path):
    feed = write_feed(tmp_path / "f", TRIPS)
    out = tmp_path / "out"
    assert compile_cli(str(feed), "--out", str(out), tmp_path=tmp_path).returncode == 0
    (out / "README").write_text("a file the user put there\n")
    run = compile_cli(str(feed), "--out", str(out), tmp_path=tmp_path)
    assert run.returncode == 2 and "is not a Trajet compile output" in run.stderr
    assert (out / "README").exists() and (out / "meta.json").exists()


def test_a_file_in_the_way_is_refused(tmp_path):
    feed = write_feed(tmp_path / "f", TRIPS)
    target = tmp_path / "out"
    target.write_text("not a folder\n")
    run = compile_cli(str(feed), "--out", str(target), tmp_path=tmp_path)
    assert run.returncode == 2 and target.read_text() == "not a folder\n"


def test_an_empty_folder_and_a_previous_output_are_written(tmp_path):
    one = write_feed(tmp_path / "1", TRIPS)
    two = write_feed(tmp_path / "2", {"t1": "A 08:00, B 08:10", "t2": "B 09:00, C 09:30"})
    out = tmp_path / "out"
    out.mkdir()
    assert compile_cli(str(one), "--out", str(out), tmp_path=tmp_path).returncode == 0
    assert store.load(out)[0].n_trips == 1
    run = compile_cli(str(two), "--out", str(out), tmp_path=tmp_path)
    assert run.returncode == 0, run.stderr
    assert store.load(out)[0].n_trips == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["1", "2", "out"]  # no temporary left


def test_replacing_a_previous_output_never_leaves_it_missing(tmp_path, monkeypatch):
    """The swap is one rename: were it to fail half-way, the old output would still be whole."""
    net, meta, _ = compile_paths([write_feed(tmp_path / "f", TRIPS)])
    out = store.save(net, meta, tmp_path / "out")
    before = sorted(p.name for p in out.iterdir())

    def broken(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(store, "_exchange", lambda a, b: False)
    monkeypatch.setattr(store.os, "replace", broken)
    try:
        store.save(net, meta, out)
    except OSError:
        pass
    assert sorted(p.name for p in out.iterdir()) == before
    assert [p.name for p in tmp_path.iterdir()].count("out") == 1
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name or ".old-" in p.name]


def test_without_an_atomic_exchange_two_renames_replace_the_output(tmp_path, monkeypatch):
    one = write_feed(tmp_path / "1", TRIPS)
    two = write_feed(tmp_path / "2", {"t1": "A 08:00, B 08:10", "t2": "B 09:00, C 09:30"})
    monkeypatch.setattr(store, "_exchange", lambda a, b: False)  # a system without renameat2
    out = store.save(*compile_paths([one])[:2], tmp_path / "out")
    store.save(*compile_paths([two])[:2], out)
    assert store.load(out)[0].n_trips == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["1", "2", "out"]


def test_is_compiled_output_knows_its_own_folders(tmp_path):
    net, meta, _ = compile_paths([write_feed(tmp_path / "f", TRIPS)])
    out = store.save(net, meta, tmp_path / "out")
    assert store.is_compiled_output(out)
    (out / "sub").mkdir()
    assert not store.is_compiled_output(out)
    assert not store.is_compiled_output(tmp_path / "f")
