"""Latency of the analyses of issue 11 on the New York region with its default footpaths
(400 m walks between stops): one-to-all travel times at one departure (targets: under 10 ms
median), and a 100 x 100 matrix at one departure on both cores (under 2 s).

Each round of the one-to-all benchmark is one seeded origin stop at a seeded time, the
router side (rRAPTOR rounds without targets, then every stop's earliest arrival read out:
router/reach.py) with the service's default maxTravelTime (2 h); the service side (stop ids,
the origin's walks, the JSON-ready arrays) is measured beside it.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from trajet.router.query import QueryOptions
from trajet.router.reach import earliest_arrivals
from trajet.router.timetable import UNREACHED
from trajet.service.matrix import MatrixJob, matrix
from trajet.service.traveltimes import DEFAULT_MAX_TRAVEL_S, Limits, travel_times

from .conftest import NY_DATE, NY_REGION, open_network, seeded_queries


@pytest.fixture(scope="module")
def region():
    network = open_network(*NY_REGION)
    view, queries = seeded_queries(network, NY_DATE, 200)
    return network, view, queries


def test_one_to_all_latency(benchmark, region):
    network, view, queries = region
    router, options = view.router, QueryOptions()
    cycle = itertools.cycle(queries)

    def one_origin():
        a, _, t = next(cycle)
        return earliest_arrivals(router, [(a, 0)], t, options, DEFAULT_MAX_TRAVEL_S)

    one_origin()  # JIT warm-up
    benchmark.pedantic(one_origin, rounds=300, iterations=1, warmup_rounds=20)
    reached = [int((one_origin()[0] < UNREACHED).sum()) for _ in range(20)]
    assert np.median(reached) > 1000, reached


def test_one_to_all_service_latency(benchmark, region):
    """As GET /v1/traveltimes computes it (no JSON): the place parsed, its walks, the arrays."""
    network, view, queries = region
    ids = [str(network.net.stop_id[a]) for a, _, _ in queries]
    starts = [(t + view.origin - network.local_seconds(NY_DATE, 0)) for _, _, t in queries]
    cycle = itertools.cycle(zip(ids, starts))

    def one_origin():
        stop_id, seconds = next(cycle)
        return travel_times(network, stop_id, NY_DATE, seconds)

    one_origin()
    benchmark.pedantic(one_origin, rounds=200, iterations=1, warmup_rounds=10)


def test_matrix_100_by_100(benchmark, region):
    network, view, queries = region
    rng = np.random.default_rng(11)
    served = np.unique(view.tt.pattern_stops)
    points = [network.places.parse(str(network.net.stop_id[s]), "points") for s in rng.choice(served, 100, False)]
    job = MatrixJob(network, points, points, NY_DATE, 8 * 3600, QueryOptions(), Limits(budget_s=600.0))
    matrix(MatrixJob(network, points[:2], points[:2], NY_DATE, 8 * 3600))  # JIT warm-up
    result = benchmark.pedantic(lambda: matrix(job, workers=2), rounds=5, iterations=1)
    assert result.done.all() and (result.travel_s >= 0).mean() > 0.5
