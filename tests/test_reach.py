"""One-to-all queries (router/reach.py): the earliest arrival at every stop, at one departure
and at each minute of a window, equal to single Router.plan queries to a sample of stops."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from trajet.feeds.load import BUNDLED_FEED
from trajet.router.query import QueryOptions
from trajet.router.reach import earliest_arrivals, reach
from trajet.router.timetable import UNREACHED
from trajet.service.network import Network

from .conftest import shared_feed

DAYS = {"helsinki": dt.date(2022, 2, 22), "nyc-subway": dt.date(2026, 9, 23)}


@pytest.fixture(scope="module", params=list(DAYS))
def feed(request, tmp_path_factory):
    path = BUNDLED_FEED if request.param == "helsinki" else shared_feed(request.param)
    network = Network.open([path], cache_dir=tmp_path_factory.mktemp("reach"))
    view = network.day(DAYS[request.param])
    served = np.unique(view.tt.pattern_stops)
    return request.param, network, view, served


def single(router, origins, t, stop, options):
    """Earliest arrival at `stop` and the fewest trips then, by one plan query (None: none)."""
    result = router.plan(origins, [(stop, 0)], options)
    if not result.journeys:
        return None
    best = min(result.arrivals)
    return best, min(j.n_trips for j, a in zip(result.journeys, result.arrivals) if a == best)


@pytest.mark.parametrize("walk_m", [0, 400])
def test_one_departure_equals_single_queries(feed, walk_m):
    name, network, view, served = feed
    rng = np.random.default_rng([7, walk_m, len(name)])
    options = QueryOptions(max_transfer_walk_m=walk_m, max_transfers=4)
    t0 = network.local_seconds(DAYS[name], 8 * 3600) - view.origin
    n_checked = 0
    for origin in rng.choice(served, 3, replace=False).tolist():
        origins = [(origin, t0)] + [(w, t0 + secs) for w, secs in view.router.footpaths_from(origin, options)]
        arrival, trips, work = earliest_arrivals(view.router, [(s, t - t0) for s, t in origins], t0, options)
        assert arrival[origin] == t0 and trips[origin] == 0 and work.rounds > 0
        starts = {s for s, _ in origins}
        for stop in rng.choice(served, 25, replace=False).tolist():
            if stop in starts:
                continue
            want = single(view.router, origins, t0, stop, options)
            if want is None:
                assert arrival[stop] == UNREACHED and trips[stop] == -1, (origin, stop)
            else:
                assert (int(arrival[stop]), int(trips[stop])) == want, (origin, stop)
                n_checked += 1
    assert n_checked > 20


def test_window_minutes_equal_single_queries(feed):
    """Latest minute first, from the labels the later minutes left: each minute's arrivals are
    those of a single query at that minute (waiting at the origin counts)."""
    name, network, view, served = feed
    rng = np.random.default_rng([11, len(name)])
    options = QueryOptions(max_transfers=3)
    t0 = network.local_seconds(DAYS[name], 7 * 3600 + 50 * 60) - view.origin
    minutes = [t0 + 60 * m for m in range(12, -1, -1)]
    offsets = view.tt.stop_pattern_offsets
    origin = max(rng.choice(served, 20, replace=False).tolist(), key=lambda s: offsets[s + 1] - offsets[s])
    targets = [s for s in rng.choice(served, 12, replace=False).tolist() if s != origin]
    seen = {}

    def keep(i, t, reached):
        seen[t] = (reached.arrival[targets].copy(), reached.trips[targets].copy())
        return True

    done, _ = reach(view.router, [(origin, 0)], minutes, options, 3 * 3600, keep)
    assert done == len(minutes)
    n_reached = 0
    for t in minutes:
        for j, stop in enumerate(targets):
            want = single(view.router, [(origin, t)], t, stop, options)
            got = (int(seen[t][0][j]), int(seen[t][1][j]))
            if want is None or want[0] > t + 3 * 3600:
                assert got[0] == UNREACHED or got[0] > t + 3 * 3600, (t, stop)
            else:
                assert got == want, (t, stop)
                n_reached += 1
    assert n_reached > 20


def test_bound_leaves_out_later_arrivals_and_a_callback_stops(feed):
    name, network, view, served = feed
    t0 = network.local_seconds(DAYS[name], 8 * 3600) - view.origin
    origin = int(served[len(served) // 2])
    full, _, _ = earliest_arrivals(view.router, [(origin, 0)], t0, QueryOptions())
    short, _, _ = earliest_arrivals(view.router, [(origin, 0)], t0, QueryOptions(), max_travel_s=900)
    within = full <= t0 + 900
    assert within.sum() > 1 and (full > t0 + 900).sum() > 0
    assert np.array_equal(short[within], full[within])
    assert (short[~within] > t0 + 900).all()
    done, _ = reach(view.router, [(origin, 0)], [t0 + 120, t0 + 60, t0], QueryOptions(), 3600, lambda *a: False)
    assert done == 1
    with pytest.raises(ValueError, match="decreasing"):
        reach(view.router, [(origin, 0)], [t0, t0 + 60], QueryOptions(), 3600, lambda *a: True)
