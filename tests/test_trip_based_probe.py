"""benchmarks/trip_based.py, the Trip-Based experiment of issue 14: its answers are RAPTOR's.

Its measurements (benchmarks/README.md) compare it with the RAPTOR kernel; they mean
something only if both answer the same Pareto sets over (arrival, trips), which the runner
counts and this test requires, on helsinki (400 m walks, stations) and on
hart-tampa (no walking, no slack: the common ground of benchmarks.compare).
"""

from __future__ import annotations

import pytest

from benchmarks.trip_based import case_queries, compare

from .conftest import shared_feed


@pytest.mark.parametrize("case", ["helsinki", "hart-tampa"])
def test_trip_based_answers_the_kernels_pareto_sets(case):
    shared_feed(case)  # skips without ../shared
    router, queries, options = case_queries(case, 60)
    result = compare(router, queries, options, passes=1)
    assert result["same"] == result["queries"] == 60
    assert result["transfers"] < result["unreduced"]  # the reduction dropped some
