"""Places of a query: a stop id (its platforms when it is a station) or a coordinate, and
the walks that join a coordinate to the stops around it.

A coordinate is walked to every stop where a trip can be boarded within the query's access
(or egress) time, at the walking speed: on the streets (service/walking.py) when the network
has them and both ends lie on them, else crow-fly metres times the network's detour factor
(feeds/footpaths.py). In journey legs, the coordinate origin and destination are the stop
indices ORIGIN and DESTINATION.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from scipy.spatial import cKDTree

from trajet.feeds.footpaths import CROW_FLY, STREETS
from trajet.feeds.geo import EARTH_RADIUS_M, distance_m, unit_vectors
from trajet.router.planner import Router
from trajet.router.query import QueryOptions

from .errors import QueryError
from .walking import BIKE, Mode, StreetWalk

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


class Walk(NamedTuple):
    """A walk between two points: its seconds at the query's speed, metres, walking model
    (feeds/footpaths.py bits: STREETS or CROW_FLY), and on the streets its geometry and steps."""

    seconds: int
    metres: float
    model: int
    street: StreetWalk | None


class Places:
    """Place parsing and the walks between a coordinate and the stops around it, over one network."""

    def __init__(self, network: "Network"):
        self.network = network
        net = network.net
        kind = np.asarray(net.stop_location_type)
        located = np.isfinite(net.stop_lat) & np.isfinite(net.stop_lon)
        self._points = np.flatnonzero(np.isin(kind, (0, 2)) & located)  # stops, platforms, entrances
        self._is_entrance = kind[self._points] == 2
        self._tree = cKDTree(unit_vectors(net.stop_lat[self._points], net.stop_lon[self._points]))

    def parse(self, text: str, field: str) -> Place:
        """A stop id (-> its stop indices) or "lat,lon" (-> the coordinate)."""
        coordinate = parse_coordinate(text, field)
        if coordinate is not None:
            return coordinate
        if not (text or "").strip():
            raise QueryError(f"{field} is missing: give a stop id or lat,lon", field)
        return self.network.stops_of(text.strip(), field)

    def nearby(self, lat: float, lon: float, radius_m: float, entrances: bool = False) -> list[tuple[int, float]]:
        """(stop, metres) of the stops where a trip can be boarded (and station entrances if
        asked) within radius_m crow-fly, nearest first."""
        net = self.network.net
        found = np.array(self._tree.query_ball_point(unit_vectors(np.array([lat]), np.array([lon]))[0],
                                                     radius_m / EARTH_RADIUS_M), dtype=np.int64)
        if not entrances:
            found = found[~self._is_entrance[found]]
        stops = self._points[found]
        metres = distance_m(lat, lon, np.asarray(net.stop_lat)[stops], np.asarray(net.stop_lon)[stops])
        order = np.argsort(metres, kind="stable")
        return [(int(stops[i]), float(metres[i])) for i in order if metres[i] <= radius_m]

    def speed(self, options: QueryOptions, street_mode: str = "WALK") -> float:
        """Metres per second of a walk (or a ride, BICYCLE) at the query's speeds."""
        if street_mode == "BICYCLE":
            return options.bike_speed_m_s
        return options.walk_speed_m_s or self.network.walking.speed_m_s

    def crow_fly_reach_m(self, seconds: int, options: QueryOptions) -> float:
        """Crow-fly metres within which a walk of `seconds` can end."""
        return seconds * self.speed(options) / self.network.walking.detour

    def seconds(self, metres, options: QueryOptions, street_mode: str = "WALK"):
        """Seconds to walk (or ride) so many metres at the query's speed (at least 1)."""
        speed = self.speed(options, street_mode)
        return np.maximum(np.ceil(np.asarray(metres, float) / speed), 1).astype(np.int64)

    def position(self, place: Place) -> tuple[float, float]:
        """A place's coordinate (a station's or stop's own position)."""
        if isinstance(place, tuple):
            return place
        net = self.network.net
        return float(net.stop_lat[place[-1]]), float(net.stop_lon[place[-1]])

    def walk_between(self, a: tuple[float, float], b: tuple[float, float], limit_s: int,
                     options: QueryOptions, street_mode: str = "WALK") -> Walk | None:
        """The walk (or ride) from point a to point b within limit_s: on the streets when both
        lie on them, else crow-fly times the detour factor; None when it takes longer."""
        streets = self.network.streets
        limit_m = limit_s * self.speed(options, street_mode)
        crow_fly = float(distance_m(a[0], a[1], b[0], b[1]))
        if crow_fly > limit_m:
            return None  # no way is shorter than the straight line: no search
        if streets is not None:
            mode = Mode.of(street_mode, options.wheelchair)
            on = streets.walk(a, b, limit_m, mode)
            if on is not None:
                return Walk(int(self.seconds(on.metres, options, street_mode)), on.metres, STREETS, on)
            if streets.snap(*a, mode).edge >= 0 and streets.snap(*b, mode).edge >= 0:
                return None  # both on the streets, but farther apart than the limit
        metres = crow_fly * self.network.walking.detour
        seconds = int(self.seconds(metres, options, street_mode))
        return Walk(seconds, metres, CROW_FLY, None) if seconds <= limit_s else None

    def _walks_from_point(self, lat: float, lon: float, limit_s: int, options: QueryOptions,
                          forward: bool) -> dict[int, int]:
        """Stop (or entrance) -> seconds from (lat, lon) (forward), or to it, within limit_s on
        foot or by bike (the query's access or egress mode)."""
        street_mode = options.access_mode if forward else options.egress_mode
        limit_m = limit_s * self.speed(options, street_mode)
        near = self.nearby(lat, lon, limit_m / self.network.walking.detour, entrances=True)
        streets = self.network.streets
        on_streets, stop_edge = None, None
        if streets is not None:
            mode = Mode.of(street_mode, options.wheelchair)
            reverse = not forward and mode.required == BIKE  # a ride to the destination follows its oneways
            on_streets = streets.stops_within(lat, lon, [s for s, _ in near], limit_m, mode, reverse)
            stop_edge = streets.stop_snaps(mode).edge  # -1: the stop is off the streets this mode may use
        out = {}
        for stop, crow_fly in near:
            if on_streets is not None and stop_edge[stop] >= 0:
                metres = on_streets.get(stop)  # None: on the streets, but out of reach
            else:
                metres = crow_fly * self.network.walking.detour
            if metres is not None and metres <= limit_m:
                out[stop] = int(self.seconds(metres, options, street_mode))
        return out

    def walks(self, place: Place, router: Router, options: QueryOptions, end: int, forward: bool):
        """(stop, seconds on foot) to start or end at, and stop -> (place, seconds) for the legs.

        An empty list when a coordinate has no stop within reach. A coordinate reaches a
        station's platforms through its entrances too (the entrance's walks inside the
        station). From a stop, the journey may also walk on first to the stops one footpath
        away (forward); walks into the destination stop are the kernel's own footpaths.
        """
        if isinstance(place, tuple):
            limit = options.max_access_s if forward else options.max_egress_s
            found = self._walks_from_point(place[0], place[1], limit, options, forward)
            kind = np.asarray(self.network.net.stop_location_type)
            walks: dict[int, int] = {}
            for stop, secs in found.items():
                if kind[stop] == 2:  # an entrance: on to the platforms along the station's walks
                    for platform, inside in router.footpaths_from(stop, options):
                        if platform not in walks or secs + inside < walks[platform]:
                            walks[platform] = secs + inside
                elif stop not in walks or secs < walks[stop]:
                    walks[stop] = secs
            return list(walks.items()), {stop: (end, secs) for stop, secs in walks.items()}
        ends = [(s, 0) for s in place]
        extra: dict[int, tuple[int, int]] = {}
        if forward:
            for s in place:
                for w, secs in router.footpaths_from(s, options):
                    if w not in place and (w not in extra or secs < extra[w][1]):
                        extra[w] = (s, secs)
        return ends + [(w, secs) for w, (_, secs) in extra.items()], extra
