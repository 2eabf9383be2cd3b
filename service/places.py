"""Places of a query: a stop id (its platforms when it is a station) or a coordinate, and
the walks that join a coordinate to the stops around it.

A coordinate is walked to every stop where a trip can be boarded within the query's access
(or egress) time: crow-fly metres times the network's detour factor, at the walking speed
(the model of walks without a street graph, feeds/footpaths.py). In journey legs, the
coordinate origin and destination are the stop indices ORIGIN and DESTINATION.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
from scipy.spatial import cKDTree

from trajet.feeds.geo import EARTH_RADIUS_M, distance_m, unit_vectors
from trajet.router.planner import Router
from trajet.router.query import QueryOptions

from .errors import QueryError

if TYPE_CHECKING:
    from .network import Network

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

    def speed(self, options: QueryOptions) -> float:
        return options.walk_speed_m_s or self.network.walking.speed_m_s

    def crow_fly_reach_m(self, seconds: int, options: QueryOptions) -> float:
        """Crow-fly metres within which a walk of `seconds` can end."""
        return seconds * self.speed(options) / self.network.walking.detour

    def walk(self, metres_crow_fly, options: QueryOptions):
        """(seconds, metres walked) of a walk between two points so many metres apart crow-fly."""
        walked = np.asarray(metres_crow_fly) * self.network.walking.detour
        return np.maximum(np.ceil(walked / self.speed(options)), 1).astype(np.int64), walked

    def position(self, place: Place) -> tuple[float, float]:
        """A place's coordinate (a station's or stop's own position)."""
        if isinstance(place, tuple):
            return place
        net = self.network.net
        return float(net.stop_lat[place[-1]]), float(net.stop_lon[place[-1]])

    def walks(self, place: Place, router: Router, options: QueryOptions, end: int, forward: bool):
        """(stop, seconds on foot) to start or end at, and stop -> (place, seconds) for the legs.

        An empty list when a coordinate has no stop within reach. From a stop, the journey
        may also walk on first to the stops one footpath away (forward); walks into the
        destination stop are the kernel's own footpaths.
        """
        if isinstance(place, tuple):
            limit = options.max_access_s if forward else options.max_egress_s
            near = self.nearby(place[0], place[1], self.crow_fly_reach_m(limit, options))
            seconds, _ = self.walk([m for _, m in near], options)
            walks = {stop: int(secs) for (stop, _), secs in zip(near, seconds)}
            return list(walks.items()), {stop: (end, secs) for stop, secs in walks.items()}
        ends = [(s, 0) for s in place]
        extra: dict[int, tuple[int, int]] = {}
        if forward:
            for s in place:
                for w, secs in router.footpaths_from(s, options):
                    if w not in place and (w not in extra or secs < extra[w][1]):
                        extra[w] = (s, secs)
        return ends + [(w, secs) for w, (_, secs) in extra.items()], extra
