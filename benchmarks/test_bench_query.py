"""Earliest-arrival query latency on real feeds, after JIT warm-up.

Each benchmark round answers one seeded random query between stops served that day; the
stats pytest-benchmark prints (median, and the per-round distribution) are per query.
`python -m benchmarks.latency` prints the median and p99 over a fixed query set.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from router.planner import QueryOptions

from .conftest import NY_DATE, NY_REGION, open_network, seeded_queries

# case -> (feeds, date, max walk in metres, least share of queries that must find a journey);
# without walking the four New York feeds share no stop, so most pairs across them fail
CASES = {
    "helsinki": (("helsinki",), dt.date(2022, 2, 22), 400, 0.8),
    "nyc-subway": (("nyc-subway",), NY_DATE, 0, 0.8),
    "ny-region": (NY_REGION, NY_DATE, 0, 0.35),
    "ny-region-walk400": (NY_REGION, NY_DATE, 400, 0.9),
}


@pytest.mark.parametrize("case", list(CASES))
def test_query_latency(benchmark, case):
    names, date, walk, least_answered = CASES[case]
    network = open_network(*names)
    view, queries = seeded_queries(network, date, 200)
    options = QueryOptions(max_walk_m=walk)
    router = view.router
    a, b, t = queries[0]
    router.plan([(a, t)], [(b, 0)], options)  # JIT warm-up
    cycle = itertools.cycle(queries)

    def one_query():
        a, b, t = next(cycle)
        return router.plan([(a, t)], [(b, 0)], options)

    benchmark.pedantic(one_query, rounds=400, iterations=1, warmup_rounds=20)
    answered = sum(bool(router.plan([(a, t)], [(b, 0)], options).journeys) for a, b, t in queries)
    assert answered >= least_answered * len(queries), f"{case}: only {answered} of {len(queries)} queries found a journey"
