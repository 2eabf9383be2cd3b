"""Lower bounds on the time from every stop to a query's destination, for target pruning.

A label at stop s at time t can only lead to the destination at t + bound[s] or later, so
when that is no earlier than the best destination time found so far, the label is not kept
and the stop's patterns are not queued (MOTIS's nigiri prunes the same way). The bounds are
computed once per compiled network (feeds/bounds.py): for each cluster of neighbouring
stops, every stop's shortest time to the nearest stop of the cluster on a graph that never
overestimates. A query reads them: bound[s] is the least, over its targets, of s's time to
the target's cluster plus the target's time to the destination (router/README.md, Lower
bounds to the target).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from .timetable import L_FROM_POS, L_TO_POS, L_TO_TRIP, Timetable
from .workspace import S_LOWER_BOUND


class Bounds(NamedTuple):
    # Stop -> its cluster
    stop_cluster: np.ndarray  # int32
    # (cluster, stop) -> seconds at least from the stop to the cluster's nearest stop; a
    # query reads one cluster's row, contiguous (a stop-major matrix made filling a query's
    # bounds 5x slower)
    to_cluster: np.ndarray  # uint16 (n_clusters, n_stops)
    # (cluster, stop) -> seconds at least from the cluster's nearest stop to the stop: the
    # bounds of the mirrored timetable, whose journeys run backwards (router/mirror.py)
    from_cluster: np.ndarray  # uint16 (n_clusters, n_stops)

    def mirrored(self) -> "Bounds":
        return Bounds(self.stop_cluster, self.from_cluster, self.to_cluster)


def unfit_links(tt: Timetable, bounds: Bounds) -> int:
    """How many of the timetable's links between trips the bounds do not hold for: a link
    moves the traveller from one trip's stop to another's at no cost the bounds count, so
    each stop it leaves must have no larger bound than the stop it reaches. The compiled
    bounds take every block and transfers.txt row with its stops as such moves; a row naming
    a route with a blank stop has no stop to take, and the day view checks its links here."""
    if len(tt.trip_links) == 0:
        return 0
    from_trip = np.repeat(np.arange(tt.n_trips, dtype=np.int64), np.diff(tt.trip_link_offsets))
    links = tt.trip_links
    a = _trip_stop(tt, from_trip, links[:, L_FROM_POS])
    b = _trip_stop(tt, links[:, L_TO_TRIP], links[:, L_TO_POS])
    moved = a != b
    if not moved.any():
        return 0
    pairs = np.unique(np.c_[a[moved], b[moved]], axis=0)
    return int((bounds.to_cluster[:, pairs[:, 0]] > bounds.to_cluster[:, pairs[:, 1]]).any(axis=0).sum())


def _trip_stop(tt: Timetable, trips: np.ndarray, positions: np.ndarray) -> np.ndarray:
    patterns = tt.trip_pattern[trips]
    return tt.pattern_stops[tt.pattern_stop_offsets[patterns] + positions]


@njit(cache=True, _nrt=False)  # holding the GIL: a few us (router/README.md, The GIL)
def fill_bounds(stop_state, stop_cluster, to_cluster, target_stops, target_egress, scratch):
    """stop_state[:, S_LOWER_BOUND] <- each stop's least time to the destination through its
    targets' clusters. `scratch`: int64 (2, clusters), the least egress per cluster and the
    clusters of the targets (nothing allocated: router/README.md, No reference counting)."""
    scratch[0, :] = -1
    egress_of, clusters = scratch[0], scratch[1]
    n_clusters = 0
    for i in range(target_stops.shape[0]):  # the least egress time per target cluster
        c = stop_cluster[target_stops[i]]
        if egress_of[c] < 0:
            clusters[n_clusters] = c
            n_clusters += 1
            egress_of[c] = target_egress[i]
        elif target_egress[i] < egress_of[c]:
            egress_of[c] = target_egress[i]
    if n_clusters == 0:
        stop_state[:, S_LOWER_BOUND] = 0
        return
    for s in range(stop_state.shape[0]):
        stop_state[s, S_LOWER_BOUND] = np.int64(to_cluster[clusters[0], s]) + egress_of[clusters[0]]
    for j in range(1, n_clusters):
        c = clusters[j]
        for s in range(stop_state.shape[0]):
            t = np.int64(to_cluster[c, s]) + egress_of[c]
            if t < stop_state[s, S_LOWER_BOUND]:
                stop_state[s, S_LOWER_BOUND] = t
