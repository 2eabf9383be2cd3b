"""A loaded network: compiled arrays, id look-ups, and one router per service date.

`Network.open(paths)` reads and compiles the feeds once, then reuses the compiled folder
from the cache (keyed by the feeds' checksums and the compiler version) on every later
start. Queries name stops by GTFS id and times by date and clock time; the router below
only ever sees indices and seconds.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
from scipy.spatial import cKDTree
from tqdm import tqdm

from router.planner import PlanResult, QueryOptions, Router

from . import compiled as store
from .compile import EARTH_RADIUS_M, compile_feeds, distance_m, unit_vectors, walk_seconds
from .dayview import build_day_view
from .read import read_feed
from .report import FeedError, Report
from .shapes import ShapeCuts
from .stops import StopNames, routes_by_stop

BUNDLED_FEED = Path(__file__).resolve().parents[1] / "data" / "helsinki.zip"
N_CACHED_DAYS = 4
DEFAULT_ACCESS_M = 800  # walk to or from a coordinate when the query sets no max walk
COORDINATE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")
ORIGIN, DESTINATION = -1, -2  # stop index of a coordinate origin / destination in journey legs


class QueryError(ValueError):
    """A query that cannot be answered as asked; `field` names the offending parameter."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def feed_name(path: str | os.PathLike) -> str:
    p = Path(path)
    return p.stem if p.suffix.lower() == ".zip" else p.name


def compile_paths(paths: list[str | os.PathLike], progress: bool = False):
    """Read and compile feeds; returns (network, meta, reports). Raises FeedError."""
    names = [feed_name(p) for p in paths]
    if len(set(names)) != len(names):
        raise FeedError(f"two feeds share the name {sorted({n for n in names if names.count(n) > 1})[0]!r}; rename one")
    feeds, reports = [], []
    for path, name in zip(paths, names):
        if not Path(path).exists():
            raise FeedError(f"{path}: no such feed file or folder")
        report = Report(name)
        feeds.append(read_feed(path, name, report, progress=progress))
        reports.append(report)
    if progress:
        tqdm.write(f"compiling {', '.join(names)} ...")
    net, meta = compile_feeds(feeds, reports)
    return net, meta, reports


@dataclass(frozen=True)
class DayView:
    """The router of one service date; times are seconds from `origin` (unix seconds)."""

    date: dt.date
    router: Router
    origin: int


class Network:
    def __init__(self, net: store.CompiledNetwork, meta: dict):
        self.net = net
        self.meta = meta
        self.first_date = dt.date.fromisoformat(meta["first_date"])
        # the last service day's trips may run on for days (times past 24:00)
        spill = int(meta["max_trip_seconds"]) // 86400
        self.last_date = self.first_date + dt.timedelta(days=int(meta["n_days"]) - 1 + spill)
        self.timezone = ZoneInfo(str(net.feed_timezone[0]))
        ids = [str(s) for s in net.stop_id]
        self._stop_index = {s: i for i, s in enumerate(ids)}
        self._bare: dict[str, list[int]] = {}
        if len(meta["feeds"]) > 1:
            for i, s in enumerate(ids):
                self._bare.setdefault(s.split(":", 1)[1], []).append(i)
        parent = np.asarray(net.stop_parent)
        self._children: dict[int, list[int]] = {}
        for child in np.flatnonzero(parent >= 0):
            self._children.setdefault(int(parent[child]), []).append(int(child))
        self._views: OrderedDict[dt.date, DayView] = OrderedDict()
        self._lock = threading.Lock()
        self._stop_tree = None

    @classmethod
    def open(cls, paths: list[str | os.PathLike], cache_dir: str | os.PathLike | None = None, progress: bool = False) -> "Network":
        """Load feeds from the compile cache, compiling them first when needed."""
        for p in paths:
            if not Path(p).exists():
                raise FeedError(f"{p}: no such feed file or folder")
        checksums = [(feed_name(p), store.file_sha256(p)) for p in paths]
        folder = Path(cache_dir or store.default_cache_dir()) / store.cache_key(checksums, {})
        try:
            return cls(*store.load(folder))
        except (FileNotFoundError, ValueError, OSError):
            pass
        net, meta, _ = compile_paths(paths, progress=progress)
        try:
            store.save(net, meta, folder)
            return cls(*store.load(folder))
        except OSError:
            return cls(net, meta)  # cache not writable: serve from memory

    @classmethod
    def load_compiled(cls, folder: str | os.PathLike) -> "Network":
        return cls(*store.load(folder))

    # --- ids ---------------------------------------------------------------------------
    def stops_of(self, stop_id: str, field: str = "stop") -> list[int]:
        """Stop indices for a GTFS stop id (a station stands for all its platforms)."""
        stop = self._stop_index.get(stop_id)
        if stop is None:
            matches = self._bare.get(stop_id, [])
            if len(matches) > 1:
                feeds = ", ".join(str(self.net.stop_id[m]) for m in matches)
                raise QueryError(f"stop id {stop_id!r} is in several feeds ({feeds}); write FEED:id", field)
            if not matches:
                raise QueryError(f"unknown stop id {stop_id!r}", field)
            stop = matches[0]
        return self._children.get(stop, []) + [stop]

    # --- time --------------------------------------------------------------------------
    def check_date(self, date: dt.date, field: str = "date") -> None:
        if not self.first_date <= date <= self.last_date:
            raise QueryError(f"date {date} is outside the feeds' service ({self.first_date} to {self.last_date})", field)

    def day(self, date: dt.date) -> DayView:
        """The router on the day view of `date`; the last few are kept."""
        self.check_date(date)
        with self._lock:
            view = self._views.get(date)
            if view is not None:
                self._views.move_to_end(date)
                return view
            tt, origin = build_day_view(self.net, self.meta, date)
            view = DayView(date, Router(tt), origin)
            self._views[date] = view
            while len(self._views) > N_CACHED_DAYS:
                self._views.popitem(last=False)
            return view

    def local_seconds(self, date: dt.date, seconds: int) -> int:
        """Unix seconds of a clock time on a date in the network's timezone."""
        wall = dt.datetime(date.year, date.month, date.day, tzinfo=self.timezone) + dt.timedelta(seconds=seconds)
        return int(wall.timestamp())

    @cached_property
    def stop_names(self) -> StopNames:
        return StopNames(self.net)

    @cached_property
    def shape_cuts(self) -> ShapeCuts:
        return ShapeCuts(self.net)

    @cached_property
    def stop_routes(self) -> list[list[int]]:
        """Stop -> route indices serving it."""
        return routes_by_stop(self.net)

    # --- places ------------------------------------------------------------------------
    def parse_place(self, text: str, field: str) -> list[int] | tuple[float, float]:
        """A stop id (-> its stop indices) or "lat,lon" (-> the coordinate)."""
        match = COORDINATE.match(text or "")
        if match:
            lat, lon = float(match.group(1)), float(match.group(2))
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise QueryError(f"{field} {text!r} is not a latitude,longitude", field)
            return lat, lon
        if not (text or "").strip():
            raise QueryError(f"{field} is missing: give a stop id or lat,lon", field)
        return self.stops_of(text.strip(), field)

    def nearby(self, lat: float, lon: float, radius_m: float) -> list[tuple[int, float]]:
        """(stop, metres) of the stops where a trip can be boarded within radius_m, nearest first."""
        if self._stop_tree is None:
            usable = np.flatnonzero(np.asarray(self.net.stop_location_type) == 0)
            self._stop_tree = (cKDTree(unit_vectors(self.net.stop_lat[usable], self.net.stop_lon[usable])), usable)
        tree, usable = self._stop_tree
        found = tree.query_ball_point(unit_vectors(np.array([lat]), np.array([lon]))[0], radius_m / EARTH_RADIUS_M)
        stops = usable[np.array(found, dtype=np.int64)]
        metres = distance_m(lat, lon, np.asarray(self.net.stop_lat)[stops], np.asarray(self.net.stop_lon)[stops])
        order = np.argsort(metres, kind="stable")
        return [(int(stops[i]), float(metres[i])) for i in order if metres[i] <= radius_m]

    def _walks(self, place, router: Router, options: QueryOptions, end: int, field: str, forward: bool):
        """(stop, seconds on foot) to start or end at, and stop -> (place, seconds) for the legs."""
        if isinstance(place, tuple):
            radius = options.max_walk_m or DEFAULT_ACCESS_M
            near = self.nearby(place[0], place[1], radius)
            if not near:
                raise QueryError(f"no stop within {radius} m of {field} {place[0]},{place[1]}", field)
            walks = {stop: max(1, walk_seconds(m)) for stop, m in near}
            return list(walks.items()), {stop: (end, secs) for stop, secs in walks.items()}
        ends = [(s, 0) for s in place]
        extra: dict[int, tuple[int, int]] = {}
        if forward:  # walking on from the asked stop; walks into the destination are the kernel's
            for s in place:
                for w, secs in router.footpaths_from(s, options.max_walk_m):
                    if w not in place and (w not in extra or secs < extra[w][1]):
                        extra[w] = (s, secs)
        return ends + [(w, secs) for w, (_, secs) in extra.items()], extra

    def plan(self, origin: str, destination: str, date: dt.date, seconds: int, options: QueryOptions = QueryOptions()):
        """Journeys between two places (stop id or "lat,lon") leaving at a clock time.

        Returns (result, day view, places): places maps ORIGIN and DESTINATION, the stop
        indices of coordinate ends in the journeys' legs, to their (lat, lon).
        """
        start = self.parse_place(origin, "from")
        end = self.parse_place(destination, "to")
        if start == end or (isinstance(start, list) and isinstance(end, list) and set(start) & set(end)):
            raise QueryError("from and to are the same place", "to")
        view = self.day(date)
        t0 = self.local_seconds(date, seconds) - view.origin
        starts, access = self._walks(start, view.router, options, ORIGIN, "from", forward=True)
        targets, egress = self._walks(end, view.router, options, DESTINATION, "to", forward=False)
        result: PlanResult = view.router.plan(
            [(s, t0 + secs) for s, secs in starts], targets, options, access=access, egress_walks=egress
        )
        places = {ORIGIN: start, DESTINATION: end}
        return result, view, {k: v for k, v in places.items() if isinstance(v, tuple)}

