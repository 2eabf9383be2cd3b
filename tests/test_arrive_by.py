"""Arrive-by answers on real feeds, checked against forward searches (the issue's test).

For seeded random queries on a busy day, every journey of the mirrored search is a journey
of the forward timetable, leg by leg, and is the latest with its number of trips: a forward
query leaving at its departure arrives by the deadline, one leaving a second later (so at
any later departure) does not, with no more trips; and with fewer trips than the fewest it
returns, nothing arrives by the deadline (tests/arrive_by_check.py states the property).
helsinki has stops where only boarding or alighting is allowed, nyc-subway times past
midnight and station changes, hart-tampa blocks (block_id: seated continuations), the Bay
Area two feeds joined at Millbrae on foot.

Then through the service, on the bundled Helsinki with its streets: a plan between two
coordinates, whose walks to and from the stops (on the streets) must be those of the forward
plan leaving at the arrive-by plan's departure, leg for leg.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from trajet.feeds.load import BUNDLED_FEED, BUNDLED_OSM
from trajet.router.query import QueryOptions
from trajet.service.itineraries import plan_json
from trajet.service.network import Network

from .arrive_by_check import pareto_problems
from .conftest import shared_feed
from .test_oracle import Feed

FEEDS = {"helsinki": 60, "nyc-subway": 40, "hart-tampa": 40, "caltrain+bart": 40}
SEED = 20261102


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("arrive-by-compiled")


@pytest.fixture(scope="module", params=list(FEEDS))
def feed(request, cache_dir) -> Feed:
    paths = [shared_feed(name) for name in request.param.split("+")]
    return Feed(request.param, Network.open(paths, cache_dir=cache_dir))


def test_arrive_by_is_the_latest_forward_departure(feed):
    view = feed.network.day(feed.date)
    router, mirror = view.router, view.mirror
    rng = np.random.default_rng([SEED, sum(feed.name.encode())])
    day = feed.network.local_seconds(feed.date, 0) - view.origin
    n_journeys = 0
    failures = []
    for i in range(FEEDS[feed.name]):
        a, b = (int(s) for s in rng.choice(feed.served, 2, replace=False))
        deadline = day + int(rng.integers(7 * 3600, 23 * 3600))
        options = QueryOptions(transfer_slack=60 if i % 3 == 0 else 120, max_transfer_walk_m=400 if i % 2 else 0,
                               max_transfers=int(rng.integers(0, 3)) if i % 7 == 0 else QueryOptions().max_transfers)
        problems, n = pareto_problems(router, mirror, [a], [b], deadline, options)
        failures += [f"{feed.name} {a} -> {b} by {deadline}, {options}: {p}" for p in problems]
        n_journeys += n
    assert failures == []
    assert n_journeys >= FEEDS[feed.name] // 2  # most random pairs are connected
    if feed.name == "hart-tampa":  # blocks: the mirror has their links, reversed
        assert len(mirror.tt.trip_links) == len(view.tt.trip_links) > 0


def test_the_mirror_keeps_fifo(feed):
    """No trip of a mirrored pattern overtakes another: ties kept in order."""
    mirror = feed.network.day(feed.date).mirror.tt
    for p in range(mirror.n_patterns):
        arr, dep = mirror.pattern_trip_times(p)
        assert (np.diff(arr, axis=1) >= 0).all() and (np.diff(dep, axis=1) >= 0).all(), p


def legs_summary(itinerary: dict) -> list[tuple]:
    return [(leg["mode"], leg["from"].get("stopId"), leg["to"].get("stopId"), leg["startTime"], leg["endTime"],
             leg.get("tripId"), leg.get("distance"), leg.get("legGeometry")) for leg in itinerary["legs"]]


@pytest.fixture(scope="module")
def streets(cache_dir) -> Network:
    """The bundled central Helsinki with its streets: walks to and from coordinates on them."""
    return Network.open([BUNDLED_FEED], cache_dir=cache_dir / "streets", osm=BUNDLED_OSM)


@pytest.mark.parametrize(("frm", "to", "deadline"), [
    ("60.1699,24.9384", "60.2055,24.9630", "09:30"),  # Helsinki centre -> Pasila area
    ("60.1632,24.9140", "60.1876,24.9546", "17:45"),
])
def test_the_walks_are_those_of_the_forward_plan(streets, frm, to, deadline):
    network = streets
    date = dt.date(2022, 2, 22)
    seconds = int(deadline[:2]) * 3600 + int(deadline[3:]) * 60
    options = QueryOptions(max_direct_s=0)
    body = plan_json(network, network.plan(frm, to, date, seconds, options, arrive_by=True))
    assert body["itineraries"]
    for itinerary in body["itineraries"]:
        assert itinerary["endTime"] <= f"2022-02-22T{deadline}:00+02:00"
        start = dt.datetime.fromisoformat(itinerary["startTime"])
        forward = plan_json(network, network.plan(frm, to, date, start.hour * 3600 + start.minute * 60 + start.second,
                                                  options))
        assert legs_summary(itinerary) in [legs_summary(it) for it in forward["itineraries"]]
        first, last = itinerary["legs"][0], itinerary["legs"][-1]
        assert first["mode"] == last["mode"] == "WALK"
