"""Router.call (router/planner.py): a kernel by its compiled entry point once the dispatcher
has typed the timetable and workspace, never with arguments of other types."""

from __future__ import annotations

import datetime as dt

import numpy as np
from numba import njit

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
