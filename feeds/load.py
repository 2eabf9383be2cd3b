"""From feed files to a compiled network: read, validate and compile them, or load the
compile cache when the same feeds were compiled before.

The cache (in $TRAJET_CACHE, else ~/.cache/trajet) holds one compiled folder per set of
feeds, keyed by their names and checksums and the compiler version, so only the first
start pays for compiling.
"""

from __future__ import annotations

import os
from pathlib import Path

from tqdm import tqdm

from . import compiled as store
from .compile import compile_feeds
from .footpaths import WalkSettings
from .read import read_feed
from .report import FeedError, Report

BUNDLED_FEED = Path(__file__).resolve().parents[1] / "data" / "helsinki.zip"


def feed_name(path: str | os.PathLike) -> str:
    """A feed's name: its file name without .zip, or its folder's name."""
    p = Path(path)
    return p.stem if p.suffix.lower() == ".zip" else p.name


def _check_paths(paths: list[str | os.PathLike]) -> list[str]:
    names = [feed_name(p) for p in paths]
    if len(set(names)) != len(names):
        raise FeedError(f"two feeds share the name {sorted({n for n in names if names.count(n) > 1})[0]!r}; rename one")
    for p in paths:
        if not Path(p).exists():
            raise FeedError(f"{p}: no such feed file or folder")
    return names


def compile_paths(paths: list[str | os.PathLike], progress: bool = False, walking: WalkSettings = WalkSettings()):
    """Read and compile feeds; returns (network, meta, reports). Raises FeedError."""
    names = _check_paths(paths)
    feeds, reports = [], []
    for path, name in zip(paths, names):
        report = Report(name)
        feeds.append(read_feed(path, name, report, progress=progress))
        reports.append(report)
    if progress:
        tqdm.write(f"compiling {', '.join(names)} ...")
    net, meta = compile_feeds(feeds, reports, walking)
    return net, meta, reports


def open_compiled(paths: list[str | os.PathLike], cache_dir: str | os.PathLike | None = None,
                  progress: bool = False,
                  walking: WalkSettings = WalkSettings()) -> tuple[store.CompiledNetwork, dict]:
    """The compiled network of these feeds: from the cache, else compiled and cached.

    A cache that cannot be written (read-only, a file in the way) is not an error: the
    network is then served from memory and compiled again at the next start.
    """
    names = _check_paths(paths)
    checksums = [(name, store.file_sha256(p)) for name, p in zip(names, paths)]
    folder = Path(cache_dir or store.default_cache_dir()) / store.cache_key(checksums, {"walking": walking.to_json()})
    try:
        return store.load(folder)
    except (FileNotFoundError, ValueError, OSError):
        pass
    net, meta, _ = compile_paths(paths, progress=progress, walking=walking)
    try:
        store.save(net, meta, folder, cache_entry=True)
        return store.load(folder)
    except OSError:
        return net, meta
