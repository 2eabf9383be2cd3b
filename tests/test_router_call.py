"""Router.call (router/planner.py): a kernel by its compiled entry point once the dispatcher
has typed the timetable and workspace, never with arguments of other types."""

from __future__ import annotations

import datetime as dt

import numpy as np
from numba import njit

from trajet.router.planner import Router
from trajet.router.workspace import new_workspace
from trajet.service.network import Network

from .inline_gtfs import write_feed


@njit(cache=False)
def _first_stop_plus(tt, ws, x):
    return tt.pattern_stops[0] + ws.state.shape[0] * 0 + x


def test_call_uses_the_entry_point_and_keeps_argument_types_apart(tmp_path):
    feed = write_feed(tmp_path / "feed", {"t1": "A 08:00, B 08:10, C 08:20"})
    router = Network.open([feed], cache_dir=tmp_path / "cache").day(dt.date(2024, 3, 12)).router
    tt = router.tt
    ws = router._workspace(3)
    base = int(tt.pattern_stops[0])
    assert router.call(_first_stop_plus, tt, ws, 2) == base + 2  # typed by the dispatcher
    entry = router._local.entries[(_first_stop_plus, id(tt), (int,))][2]
    assert entry is not _first_stop_plus  # the compiled entry point, not the dispatcher
    assert router.call(_first_stop_plus, tt, ws, 5) == base + 5  # through the entry point
    assert router.call(_first_stop_plus, tt, ws, 0.5) == base + 0.5  # a float: its own entry, not the int one
    larger = new_workspace(tt, 8)
    assert router.call(_first_stop_plus, tt, larger, 1) == base + 1  # a new workspace: typed again
    assert router._local.entries[(_first_stop_plus, id(tt), (int,))][1] is larger  # the old one not kept
    assert isinstance(router.call(_first_stop_plus, tt, ws, np.int32(1)), (int, np.integer))


def test_a_window_whose_journeys_overflow_the_output_runs_again_with_more_room(monkeypatch):
    """Router.plan_range's one kernel call for every departure (range_fields) answers
    RANGE_OUT_FULL when its output is too small, and the window is searched again with
    twice the room: the same journeys as with room enough."""
    from trajet.router import planner
    from trajet.router.query import QueryOptions

    from .conftest import shared_feed

    router = Network.open([shared_feed("helsinki")]).day(dt.date(2022, 2, 22)).router
    rng = np.random.default_rng(8)
    served = np.unique(router.tt.pattern_stops)
    windows = [(int(a), int(b), int(t)) for (a, b), t in zip(rng.choice(served, (12, 2)),
                                                             rng.integers(7 * 3600, 19 * 3600, 12))]
    options = QueryOptions(max_transfer_walk_m=400)

    def answers():
        return [[(j.legs, a) for j, a in zip(r.journeys, r.arrivals)]
                for r in (router.plan_range([(a, 0)], t, t + 3600, [(b, 0)], options) for a, b, t in windows)]

    roomy = answers()
    monkeypatch.setattr(planner, "RANGE_ROOM", 1)
    assert answers() == roomy
    assert max(len(r) for r in roomy) >= 3  # windows of several journeys: the output overflowed


def test_plans_and_windows_grow_a_workspace_whose_legs_are_too_few():
    """A kernel that runs out of rows for legs (PLAN_LEGS_FULL, also from range_fields) makes
    Router._run search again in a workspace with twice as many: the answers are those of a
    workspace with room enough."""
    from trajet.router.query import QueryOptions

    from .conftest import shared_feed

    view = Network.open([shared_feed("helsinki")]).day(dt.date(2022, 2, 22))
    roomy, tight = view.router, Router(view.router.tt, view.router.walk_speed_m_s, bounds=view.router.bounds)
    rng = np.random.default_rng(9)
    served = np.unique(roomy.tt.pattern_stops)
    queries = [(int(a), int(b), int(t)) for (a, b), t in zip(rng.choice(served, (10, 2)),
                                                             rng.integers(7 * 3600, 19 * 3600, 10))]
    options = QueryOptions(max_transfer_walk_m=400)

    def answer(router, a, b, t):
        one, window = router.plan([(a, t)], [(b, 0)], options), router.plan_range([(a, 0)], t, t + 3600, [(b, 0)],
                                                                                 options)
        return [j.legs for j in one.journeys], [j.legs for j in window.journeys]

    grown = 0
    for a, b, t in queries:
        tight._local.ws = new_workspace(tight.tt, 21, n_legs=1)
        assert answer(tight, a, b, t) == answer(roomy, a, b, t)
        grown += len(tight._local.ws.legs) > 1
    assert grown >= 5  # most queries found journeys, so their workspace grew
