"""Walking and cycling on the streets of a territory, per query: from a coordinate to the
stops around it, between two coordinates, and the geometry and directions of such a leg.

A network opened with an OpenStreetMap extract has `Streets`: its street graph (feeds/streets),
the router's arrays for a bounded search (router/streets) and their reverse, the stops
snapped onto the streets, and one search workspace per thread. A point (or stop) farther
than snap_max_m from every street goes crow-fly (times the detour factor) instead: the model
of each walk is said in the answer. A `Mode` says which edges serve: a walk takes WALK edges
(without STEPS or NO_WHEELCHAIR ones for a wheelchair), a ride BIKE edges in their
direction, so a cyclist's way to a destination is searched backwards from it on the reversed
graph (oneways). Points and stops are snapped per mode, onto the nearest segment that mode
may use: a stop beside a footway is ridden to from the nearest cyclable street.
"""

from __future__ import annotations

import threading
from typing import NamedTuple

import numpy as np

from trajet.feeds.footpaths import WalkSettings
from trajet.feeds.streets import StreetGraph, StreetSnapper
from trajet.router.streets import (
    BIKE,
    NO_WHEELCHAIR,
    STEPS,
    WALK,
    distances_to_snapped,
    new_street_workspace,
    reverse_arrays,
    route_to_snapped,
    search,
    seeds_from_snapped,
    street_arrays,
)

from .steps import leg_geometry, walk_geometry_and_steps

SNAP_CACHE = 20_000  # snapped points kept (about 3 MB)
WALK_CACHE = 4_096  # walks kept with their geometry and steps (a few MB)
MISSING = object()


class Mode(NamedTuple):
    """The street edges a leg may use: every `required` flag bit and no `forbidden` one."""

    required: int
    forbidden: int = 0

    @classmethod
    def of(cls, street_mode: str, wheelchair: bool) -> "Mode":
        if street_mode == "BICYCLE":
            return cls(BIKE)
        return cls(WALK, int(STEPS | NO_WHEELCHAIR) if wheelchair else 0)


ON_FOOT = Mode(WALK)


class Snap(NamedTuple):
    edge: int  # -1: no street within snap_max_m
    fraction: float
    metres: float  # from the point to the street


class StopSnaps(NamedTuple):
    """Every stop snapped onto the nearest segment one mode may use, within snap_max_m."""

    edge: np.ndarray  # int64, stop -> directed edge; -1: no such street near it (or no position)
    fraction: np.ndarray  # float64, how far along the edge
    metres: np.ndarray  # float64, from the stop to the street; inf without edge


class StreetWalk(NamedTuple):
    """A walk on the streets: its metres (the snaps at both ends included), its points along
    the streets, its OpenTripPlanner-like steps and its encoded legGeometry. Kept and shared
    by Streets.walk: never modified."""

    metres: float
    points: list
    steps: list
    geometry: dict  # its legGeometry (leg_geometry of the points), encoded once


class Streets:
    """The street graph of a network and the stops snapped onto it."""

    def __init__(self, graph: StreetGraph, stop_lat, stop_lon, walkable: np.ndarray, settings: WalkSettings):
        self.graph = graph
        self.settings = settings
        self.arrays = street_arrays(graph)
        self.reverse = reverse_arrays(self.arrays)
        self.snapper = StreetSnapper(graph)
        self._stop_lat, self._stop_lon = np.asarray(stop_lat, np.float64), np.asarray(stop_lon, np.float64)
        # the stops snapped: those walked to (stops, platforms, entrances) with a position
        self._snapped_stops = np.flatnonzero(walkable & np.isfinite(self._stop_lat) & np.isfinite(self._stop_lon))
        self._local = threading.local()
        self._snaps: dict[tuple, Snap] = {}
        # (a, b, limit_m, mode) -> the walk, for the next WALK_CACHE walks: a walk leg between
        # two stops is drawn anew for every journey that takes it. Shared: never modified
        self._walks: dict[tuple, StreetWalk | None] = {}  # (lat, lon, mode) -> Snap; a dict's get and set are atomic
        self._stop_snaps: dict[Mode, StopSnaps] = {}  # one per mode asked (at most three)

    def stop_snaps(self, mode: Mode = ON_FOOT) -> StopSnaps:
        """The stops snapped onto the streets `mode` may use, computed on the first call for a
        mode (a few milliseconds per thousand stops) and kept."""
        found = self._stop_snaps.get(mode)
        if found is None:
            n = len(self._stop_lat)
            found = StopSnaps(np.full(n, -1, np.int64), np.zeros(n), np.full(n, np.inf))
            stops = self._snapped_stops
            if len(stops):
                edge, fraction, metres = self.snapper.snap(self._stop_lat[stops], self._stop_lon[stops],
                                                           self.settings.snap_max_m, *mode)
                found.edge[stops], found.fraction[stops], found.metres[stops] = edge, fraction, metres
            self._stop_snaps[mode] = found  # two threads may both compute it: the same arrays
        return found

    # the stops snapped for walking (the compiled footpaths' snaps, meta["stops_on_streets"])
    @property
    def stop_edge(self) -> np.ndarray:
        return self.stop_snaps(ON_FOOT).edge

    @property
    def stop_fraction(self) -> np.ndarray:
        return self.stop_snaps(ON_FOOT).fraction

    @property
    def stop_snap_m(self) -> np.ndarray:
        return self.stop_snaps(ON_FOOT).metres

    @property
    def n_stops_on_streets(self) -> int:
        return int((self.stop_edge >= 0).sum())

    def _workspace(self):
        ws = getattr(self._local, "ws", None)
        if ws is None:
            ws = self._local.ws = new_street_workspace(self.arrays)
        return ws

    def snap(self, lat: float, lon: float, mode: Mode = ON_FOOT) -> Snap:
        """The nearest point of a street the mode may use, within snap_max_m (edge -1: none).
        Kept for the next SNAP_CACHE calls: a request snaps its ends several times (access,
        the direct walk, the legs' geometry) and stops' positions recur across requests."""
        key = (lat, lon, mode)
        found = self._snaps.get(key)
        if found is None:
            edge, fraction, metres = self.snapper.snap(np.array([lat]), np.array([lon]), self.settings.snap_max_m,
                                                       *mode)
            found = Snap(int(edge[0]), float(fraction[0]), float(metres[0]))
            if len(self._snaps) >= SNAP_CACHE:
                self._snaps.clear()
            self._snaps[key] = found
        return found

    def _search_from(self, snap: Snap, limit_m: float, mode: Mode, reverse: bool = False, until=None):
        seeds, metres = seeds_from_snapped(self.arrays, snap.edge, snap.fraction, *mode, reverse=reverse)
        ws = self._workspace()
        search(self.reverse if reverse else self.arrays, ws, seeds, metres + snap.metres, limit_m, *mode,
               until=until)
        return ws

    def stops_within(self, lat: float, lon: float, stops: np.ndarray, limit_m: float, mode: Mode = ON_FOOT,
                     reverse: bool = False) -> dict[int, float] | None:
        """Metres on the streets from (lat, lon) to each of `stops` on the streets within
        limit_m (reverse: from them to it), both ends snapped onto streets the mode may use;
        None when the point is off them (the caller goes crow-fly, as for a stop off them:
        stop_snaps(mode).edge -1)."""
        snap = self.snap(lat, lon, mode)
        if snap.edge < 0:
            return None
        snapped = self.stop_snaps(mode)
        stops = np.asarray(stops, np.int64)
        stops = stops[snapped.edge[stops] >= 0]
        if not len(stops):
            return {}
        ws = self._search_from(snap, limit_m, mode, reverse)
        metres = distances_to_snapped(ws, self.arrays, snapped.edge[stops], snapped.fraction[stops], *mode,
                                      reverse=reverse, origin=(snap.edge, snap.fraction)) + snapped.metres[stops]
        keep = metres <= limit_m
        return dict(zip(stops[keep].tolist(), metres[keep].tolist()))

    def walk(self, a: tuple[float, float], b: tuple[float, float], limit_m: float,
             mode: Mode = ON_FOOT) -> StreetWalk | None:
        """The way from point a to point b on the streets, None when either is off the streets
        or it is longer than limit_m."""
        key = (a, b, limit_m, mode)
        found = self._walks.get(key, MISSING)
        if found is not MISSING:
            return found
        found = self._walk(a, b, limit_m, mode)
        if len(self._walks) >= WALK_CACHE:
            self._walks.clear()
        self._walks[key] = found
        return found

    def _walk(self, a, b, limit_m: float, mode: Mode) -> StreetWalk | None:
        snap_a, snap_b = self.snap(*a, mode), self.snap(*b, mode)
        if snap_a.edge < 0 or snap_b.edge < 0:
            return None
        ends = (self.arrays.edge_to[self.arrays.edge_twin[snap_b.edge]], self.arrays.edge_to[snap_b.edge])
        ws = self._search_from(snap_a, limit_m, mode, until=np.array(ends, np.int32))  # to b's segment only
        route = route_to_snapped(ws, self.arrays, (snap_a.edge, snap_a.fraction), (snap_b.edge, snap_b.fraction),
                                 *mode)
        if route is None or route.metres + snap_a.metres + snap_b.metres > limit_m:
            return None
        points, steps, metres = walk_geometry_and_steps(self.graph, route.edges, a, b, route.start_fraction,
                                                        route.end_fraction)
        return StreetWalk(metres, points, steps, leg_geometry(points))


def street_leg(walk: StreetWalk) -> dict:
    """The JSON fields of a walk leg on the streets."""
    return {"distance": round(walk.metres, 1), "legGeometry": walk.geometry, "steps": walk.steps}
