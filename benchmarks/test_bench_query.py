"""Earliest-arrival query latency on real feeds, after JIT warm-up.

Each benchmark round answers one seeded random query between stops served that day; the
stats pytest-benchmark prints (median, and the per-round distribution) are per query, at
three depths: the RAPTOR kernel alone, the router (kernel, then journeys rebuilt as legs),
and the whole planner as the API calls it (place parsing, access and egress walks).
`python -m benchmarks.latency` prints the median and p99 over a fixed query set.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from trajet.router import _kernels
from trajet.router.query import QueryOptions, make_query
from trajet.router.timetable import UNREACHED

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
    options = QueryOptions(max_transfer_walk_m=walk)
    router = view.router
    a, b, t = queries[0]
    router.plan([(a, t)], [(b, 0)], options)  # JIT warm-up
    cycle = itertools.cycle(queries)

    def one_query():
        a, b, t = next(cycle)
        return router.plan([(a, t)], [(b, 0)], options)

    benchmark.pedantic(one_query, rounds=400, iterations=1, warmup_rounds=20)
    answered = sum(bool(router.plan([(a, t)], [(b, 0)], options).journeys) for a, b, t in queries)
    assert answered >= least_answered * len(queries), (
        f"{case}: only {answered} of {len(queries)} queries found a journey")


@pytest.mark.parametrize("case", ["helsinki", "ny-region-walk400"])
def test_kernel_latency(benchmark, case):
    """The numba RAPTOR rounds alone, on a workspace the router keeps: no Python per query."""
    names, date, walk, least_answered = CASES[case]
    view, queries = seeded_queries(open_network(*names), date, 200)
    router = view.router
    options = QueryOptions(max_transfer_walk_m=walk)
    args = [make_query([(a, t)], [(b, 0)], options, router.walk_speed_m_s) for a, b, t in queries]
    ws = router._workspace(args[0].max_rounds)
    cycle = itertools.cycle(args)

    def one_query():
        _kernels.raptor(router.tt, ws, next(cycle))

    one_query()  # JIT warm-up
    benchmark.pedantic(one_query, rounds=400, iterations=1, warmup_rounds=20)
    answered = 0
    for _ in range(len(args)):
        one_query()
        answered += bool((ws.target_arr < UNREACHED).any())
    assert answered >= least_answered * len(args), f"{case}: the kernel reached only {answered} of {len(args)} targets"


def test_planner_latency(benchmark):
    """A whole plan between two coordinates on helsinki, as /v1/plan asks it: places parsed,
    nearby stops found, access and egress walks, journeys rebuilt."""
    names, date, walk, _ = CASES["helsinki"]
    network = open_network(*names)
    view, queries = seeded_queries(network, date, 200)
    lat, lon = network.net.stop_lat, network.net.stop_lon
    # a point 50 m north-east of each stop, so that every place is reached on foot
    places = [(f"{lat[a] + 0.0003:.6f},{lon[a] + 0.0006:.6f}", f"{lat[b] + 0.0003:.6f},{lon[b] + 0.0006:.6f}",
               t - (network.local_seconds(date, 0) - view.origin)) for a, b, t in queries]
    options = QueryOptions(max_transfer_walk_m=walk)
    network.plan(places[0][0], places[0][1], date, places[0][2], options)  # JIT warm-up
    cycle = itertools.cycle(places)

    def one_query():
        origin, destination, seconds = next(cycle)
        return network.plan(origin, destination, date, seconds, options)

    benchmark.pedantic(one_query, rounds=400, iterations=1, warmup_rounds=20)
    answered = sum(bool(network.plan(o, d, date, s, options).result.journeys) for o, d, s in places)
    assert answered >= 0.8 * len(places), f"only {answered} of {len(places)} coordinate queries found a journey"


RANGE_WINDOW_S = 3600


@pytest.mark.parametrize("case", ["helsinki", "ny-region-walk400"])
def test_range_latency(benchmark, case):
    """A one-hour departure window from a stop (Router.plan_range, rRAPTOR): every journey
    no other beats on (later departure, earlier arrival, fewer trips). Issue 11's target on
    the New York region with default walks: under 60 ms median."""
    names, date, walk, least_answered = CASES[case]
    view, queries = seeded_queries(open_network(*names), date, 100)
    router = view.router
    options = QueryOptions(max_transfer_walk_m=walk)
    cycle = itertools.cycle(queries)

    def one_window():
        a, b, t = next(cycle)
        return router.plan_range([(a, 0)], t, t + RANGE_WINDOW_S, [(b, 0)], options)

    benchmark.pedantic(one_window, rounds=100, iterations=1, warmup_rounds=5)
    answered = sum(bool(router.plan_range([(a, 0)], t, t + RANGE_WINDOW_S, [(b, 0)], options).journeys)
                   for a, b, t in queries)
    assert answered >= least_answered * len(queries) * 0.9, (
        f"{case}: only {answered} of {len(queries)} windows found a journey")
