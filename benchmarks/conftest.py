"""Benchmark fixtures: real feeds from ../shared, compiled once into a cache outside the repo."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import numpy as np
import pytest

from trajet.router.query import QueryOptions
from trajet.service.network import Network

SHARED_FEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "feeds"
NY_REGION = ("nyc-bus", "nyc-subway", "nyc-lirr", "nyc-mnr")
NY_DATE = dt.date(2026, 9, 23)  # a Wednesday in the four feeds' common range


def feeds(*names: str) -> list[Path]:
    paths = [SHARED_FEEDS / f"{n}.zip" for n in names]
    missing = [p for p in paths if not p.exists()]
    if missing:
        pytest.skip(f"{missing[0]} is absent: benchmarks need the real feeds of ../shared")
    return paths


def open_network(*names: str) -> Network:
    cache = os.environ.get("TRAJET_CACHE")
    return Network.open(feeds(*names), cache_dir=cache)


def seeded_queries(network: Network, date: dt.date, n: int, seed: int = 42):
    """(origin stop, destination stop, seconds from the view origin) between served stops."""
    view = network.day(date)
    served = np.unique(view.router.tt.pattern_stops)
    rng = np.random.default_rng(seed)
    pairs = [rng.choice(served, 2, replace=False) for _ in range(n)]
    starts = rng.integers(5 * 3600, 22 * 3600, n)
    return view, [(int(a), int(b), int(t)) for (a, b), t in zip(pairs, starts)]


def run_queries(view, queries, options: QueryOptions):
    """Answer every query; returns how many found a journey (the benchmark's check)."""
    router = view.router
    found = 0
    for a, b, t in queries:
        found += bool(router.plan([(a, t)], [(b, 0)], options).journeys)
    return found
