"""The many-to-many matrix (service/matrix.py) against single plans: each pair's seconds are
the earliest arrival /v1/plan's service finds (transit or on foot alone), its transfers
the fewest at that arrival; stops and coordinates, on a pool of threads."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from trajet.feeds.load import BUNDLED_FEED
from trajet.router.query import QueryOptions
from trajet.service.errors import QueryError
from trajet.service.matrix import MAX_POINTS, NONE, MatrixJob, matrix, matrix_json, parse_points
from trajet.service.network import Network
from trajet.service.traveltimes import Limits

DAY = dt.date(2022, 2, 22)
POINTS = ["1020453", "1240118", "60.1699,24.9384", "1130446", "60.1880,24.9580", "60.2050,24.9650"]


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    return Network.open([BUNDLED_FEED], cache_dir=tmp_path_factory.mktemp("matrix"))


def test_matrix_equals_single_plans(network):
    options = QueryOptions(max_transfers=4)
    places = parse_points(network, POINTS, "origins")
    job = MatrixJob(network, places, places, DAY, 8 * 3600, options, Limits(max_travel_s=4 * 3600))
    seen = []
    result = matrix(job, workers=2, progress=seen.append)
    assert sum(seen) == len(POINTS) and result.done.all() and not result.partial
    t0 = network.local_seconds(DAY, 8 * 3600)
    n_transit = 0
    for i, a in enumerate(POINTS):
        for j, b in enumerate(POINTS):
            if i == j:
                assert result.travel_s[i, j] == 0
                continue
            answer = network.plan(a, b, DAY, 8 * 3600, options)
            if not answer.result.journeys:
                assert result.travel_s[i, j] == NONE, (a, b)
                continue
            best = min(answer.result.arrivals)
            fewest = min(jn.n_trips for jn, arr in zip(answer.result.journeys, answer.result.arrivals) if arr == best)
            arrival = best + answer.view.origin
            assert result.travel_s[i, j] == arrival - t0, (a, b)
            assert result.transfers[i, j] == max(fewest - 1, 0), (a, b)
            n_transit += fewest > 0
    assert n_transit > 15
    body = matrix_json(network, result)
    assert body["travelTimes"][0][1] == int(result.travel_s[0, 1]) and body["originsDone"] == len(POINTS)
    assert body["origins"][2] == {"lat": 60.1699, "lon": 24.9384} and body["origins"][0]["stopId"] == "1020453"


def test_limits_and_budget(network):
    places = parse_points(network, POINTS, "origins")
    short = matrix(MatrixJob(network, places, places, DAY, 8 * 3600, limits=Limits(max_travel_s=600)))
    full = matrix(MatrixJob(network, places, places, DAY, 8 * 3600))
    kept = (full.travel_s >= 0) & (full.travel_s <= 600)
    assert np.array_equal(short.travel_s[kept], full.travel_s[kept])
    assert (short.travel_s[~kept] == NONE).all() and (~kept).sum() > 0
    spent = matrix(MatrixJob(network, places, places, DAY, 8 * 3600, limits=Limits(budget_s=0.0)), workers=2)
    assert spent.partial and not spent.done.all() and "budget" in spent.partial_reason
    body = matrix_json(network, spent)
    assert body["partial"] and body["travelTimes"][-1] is None


def test_bad_points_name_their_item(network):
    for values, field in (([], "origins"), ("1020453", "origins"), (["1020453", 7], "origins[1]"),
                          (["1020453", "nope"], "origins[1]"), (["1020453"] * (MAX_POINTS + 1), "origins")):
        with pytest.raises(QueryError) as e:
            parse_points(network, values, "origins")
        assert e.value.field == field
    assert parse_points(network, [[60.17, 24.94]], "destinations") == [(60.17, 24.94)]


def test_a_coordinate_is_walked_to_from_where_a_trip_alights_as_a_plan_does(tmp_path):
    """t1 runs A -> P. S lies 300 m from P (a footpath), D 900 m beyond S: D's walk reaches
    S within maxPostTransitTime but not P. A plan from A to D walks from the stop a trip
    alights at, never a footpath and then the walk on: it finds no journey, and neither does
    the matrix, though it reaches S on foot from P."""
    from .inline_gtfs import write_feed

    stops = {"A": (59.95, 25.0), "P": (60.0, 25.0), "S": (60.0027, 25.0)}
    path = write_feed(tmp_path / "feed", {"t1": "A 08:00, P 08:10"}, stops=stops)
    network = Network.open([path], cache_dir=tmp_path / "cache")
    day, destination = dt.date(2024, 3, 12), "60.0108,25.0"
    assert not network.plan("A", destination, day, 7 * 3600 + 55 * 60).result.journeys
    places = parse_points(network, ["A", "S", destination], "destinations")
    result = matrix(MatrixJob(network, places[:1], places, day, 7 * 3600 + 55 * 60))
    to_s = network.plan("A", "S", day, 7 * 3600 + 55 * 60).result
    assert to_s.journeys and result.travel_s[0, 1] == min(to_s.arrivals) + network.day(day).origin - (
        network.local_seconds(day, 7 * 3600 + 55 * 60))
    assert result.travel_s[0].tolist()[::2] == [0, NONE]
