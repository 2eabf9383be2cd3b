"""Places of a query: a stop id (its platforms when it is a station) or a coordinate, and
the walks that join a coordinate to the stops around it.

A coordinate is walked crow-fly to every stop where a trip can be boarded within reach:
the query's max walk, else DEFAULT_ACCESS_M. In journey legs, the coordinate origin and
destination are the stop indices ORIGIN and DESTINATION.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
from scipy.spatial import cKDTree

from trajet.feeds.geo import EARTH_RADIUS_M, distance_m, unit_vectors, walk_seconds
from trajet.router.planner import Router
from trajet.router.query import QueryOptions

from .errors import QueryError

if TYPE_CHECKING:
    from .network import Network

DEFAULT_ACCESS_M = 800  # walk to or from a coordinate when the query sets no max walk
COORDINATE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")
ORIGIN, DESTINATION = -1, -2  # stop index of a coordinate origin / destination in journey legs

Place = list[int] | tuple[float, float]  # stop indices, or (lat, lon)


def parse_coordinate(text: str, field: str) -> tuple[float, float] | None:
    """(lat, lon) of "lat,lon", None when the text is not two numbers; QueryError out of range."""
    match = COORDINATE.match(text or "")
    if not match:
        return None
    lat, lon = float(match.group(1)), float(match.group(2))
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise QueryError(f"{field} {text!r} is not a latitude,longitude", field)
    return lat, lon


class Places:
    """Place parsing and the stops near a coordinate, over one network."""

    def __init__(self, network: "Network"):
        self.network = network
        net = network.net
        self._usable = np.flatnonzero(np.asarray(net.stop_location_type) == 0)
        self._tree = cKDTree(unit_vectors(net.stop_lat[self._usable], net.stop_lon[self._usable]))

    def parse(self, text: str, field: str) -> Place:
        """A stop id (-> its stop indices) or "lat,lon" (-> the coordinate)."""
        coordinate = parse_coordinate(text, field)
        if coordinate is not None:
            return coordinate
        if not (text or "").strip():
            raise QueryError(f"{field} is missing: give a stop id or lat,lon", field)
        return self.network.stops_of(text.strip(), field)

    def nearby(self, lat: float, lon: float, radius_m: float) -> list[tuple[int, float]]:
        """(stop, metres) of the stops where a trip can be boarded within radius_m, nearest first."""
        net = self.network.net
        found = self._tree.query_ball_point(unit_vectors(np.array([lat]), np.array([lon]))[0],
                                            radius_m / EARTH_RADIUS_M)
        stops = self._usable[np.array(found, dtype=np.int64)]
        metres = distance_m(lat, lon, np.asarray(net.stop_lat)[stops], np.asarray(net.stop_lon)[stops])
        order = np.argsort(metres, kind="stable")
        return [(int(stops[i]), float(metres[i])) for i in order if metres[i] <= radius_m]

    @staticmethod
    def access_radius(options: QueryOptions) -> int:
        return options.max_walk_m or DEFAULT_ACCESS_M

    def walks(self, place: Place, router: Router, options: QueryOptions, end: int, forward: bool):
        """(stop, seconds on foot) to start or end at, and stop -> (place, seconds) for the legs.

        An empty list when a coordinate has no stop within reach. From a stop, the journey
        may also walk on first to the stops one footpath away (forward); walks into the
        destination stop are the kernel's own footpaths.
        """
        if isinstance(place, tuple):
            near = self.nearby(place[0], place[1], self.access_radius(options))
            walks = {stop: max(1, walk_seconds(m)) for stop, m in near}
            return list(walks.items()), {stop: (end, secs) for stop, secs in walks.items()}
        ends = [(s, 0) for s in place]
        extra: dict[int, tuple[int, int]] = {}
        if forward:
            for s in place:
                for w, secs in router.footpaths_from(s, options.max_walk_m):
                    if w not in place and (w not in extra or secs < extra[w][1]):
                        extra[w] = (s, secs)
        return ends + [(w, secs) for w, (_, secs) in extra.items()], extra
