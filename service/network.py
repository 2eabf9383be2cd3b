"""A loaded network: the compiled arrays, id look-ups, service days and one router per date.

`Network.open(paths)` loads the feeds' compiled folder from the cache, compiling them the
first time (trajet.feeds.load). Queries name stops by GTFS id and times by date and clock
time; the router below only ever sees indices and seconds.

The dates a query may ask for are the service days: the days on which the calendar runs at
least one trip (a trip past midnight belongs to its service day). feed_info.txt's validity
is shown beside them, and never used to route.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import threading
from collections import OrderedDict
from functools import cached_property
from zoneinfo import ZoneInfo

import numpy as np

from trajet.feeds.compiled import CompiledNetwork, children_of, service_days
from trajet.feeds.footpaths import WalkSettings
from trajet.feeds.limits import FeedLimits
from trajet.feeds.load import OsmData, open_compiled, open_osm
from trajet.feeds.step_free import Footpaths, step_free_footpaths
from trajet.router.bounds import Bounds
from trajet.router.planner import Router
from trajet.router.query import QueryOptions

from .clock import Clock
from .dayview import DayView, build_day_view, step_free_timetable
from .errors import QueryError
from .geocode import Geocoder
from .places import Places
from .plan import Answer, plan
from .shapes import ShapeCuts
from .stops import StopNames, routes_by_stop
from .walking import Streets

N_CACHED_DAYS = 4


class Network:
    def __init__(self, net: CompiledNetwork, meta: dict, clock: Clock | None = None, osm: OsmData | None = None):
        self.net = net
        self.meta = meta
        self.osm = osm
        self.clock = clock or Clock.from_env()
        self.timezone = ZoneInfo(str(net.feed_timezone[0]))
        self.bitmap_start = dt.date.fromisoformat(meta["first_date"])  # day 0 of service_active
        self._runs = service_days(net.service_active, net.trip_service)
        days = np.flatnonzero(self._runs)
        span = (days[0], days[-1]) if len(days) else (0, -1)
        self.first_date = self.bitmap_start + dt.timedelta(days=int(span[0]))
        self.last_date = self.bitmap_start + dt.timedelta(days=int(span[1]))  # before first_date: no service day
        ids = [str(s) for s in net.stop_id]
        self._stop_index = {s: i for i, s in enumerate(ids)}
        self._bare: dict[str, list[int]] = {}
        if len(meta["feeds"]) > 1:
            for i, s in enumerate(ids):
                self._bare.setdefault(s.split(":", 1)[1], []).append(i)
        self.children = children_of(net.stop_parent)
        self.walking = WalkSettings(**meta["walking"])  # how the walks between stops were compiled
        walkable = np.isin(np.asarray(net.stop_location_type), (0, 2))
        self.streets = Streets(osm.streets, net.stop_lat, net.stop_lon, walkable, self.walking) if osm else None
        # lower bounds to the target, for every day view (the compiled ones hold for all)
        self.bounds = Bounds(np.asarray(net.bound_cluster), np.asarray(net.bound_to_cluster),
                             np.asarray(net.bound_from_cluster))
        self._views: OrderedDict[dt.date, DayView] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def open(cls, paths: list[str | os.PathLike], cache_dir: str | os.PathLike | None = None, progress: bool = False,
             clock: Clock | None = None, walking: WalkSettings = WalkSettings(),
             osm: str | os.PathLike | None = None, limits: FeedLimits = FeedLimits()) -> "Network":
        """Load feeds from the compile cache, compiling them first when needed; with `osm` (an
        OpenStreetMap .pbf) walks follow its streets. Raises FeedError, also for a feed that
        costs more than `limits` to compile (feeds/limits.py)."""
        data = open_osm(osm, cache_dir, progress) if osm else None
        return cls(*open_compiled(paths, cache_dir, progress, walking, data, limits), clock=clock, osm=data)

    @property
    def feed_names(self) -> list[str]:
        return [f["name"] for f in self.meta["feeds"]]

    # --- ids ---------------------------------------------------------------------------
    def stops_of(self, stop_id: str, field: str = "stop") -> list[int]:
        """Stop indices for a GTFS stop id: a station stands for its platforms, which come
        first, the station itself last."""
        stop = self._stop_index.get(stop_id)
        if stop is None:
            matches = self._bare.get(stop_id, [])
            if len(matches) > 1:
                feeds = ", ".join(str(self.net.stop_id[m]) for m in matches)
                raise QueryError(f"stop id {stop_id!r} is in several feeds ({feeds}); write FEED:id", field)
            if not matches:
                raise QueryError(f"unknown stop id {stop_id!r}", field)
            stop = matches[0]
        return self.children.get(stop, []) + [stop]

    # --- time --------------------------------------------------------------------------
    def in_service_period(self, date: dt.date) -> bool:
        """True from the first to the last service day of the feeds."""
        return self.first_date <= date <= self.last_date

    def runs_on(self, date: dt.date) -> bool:
        """True when at least one trip runs on this service day."""
        d = (date - self.bitmap_start).days
        return 0 <= d < len(self._runs) and bool(self._runs[d])

    def service_period(self) -> str:
        return f"{self.first_date} to {self.last_date}"

    def check_date(self, date: dt.date, field: str = "date") -> None:
        """QueryError unless the date is within the service period."""
        if not self.in_service_period(date):
            raise QueryError(f"date {date} is outside the feeds' service days ({self.service_period()})", field)

    def now(self) -> dt.datetime:
        """The clock's now in the network's timezone."""
        return self.clock.now(self.timezone)

    def day(self, date: dt.date) -> DayView:
        """The router on the day view of `date`; the last few are kept."""
        with self._lock:
            view = self._views.get(date)
            if view is not None:
                self._views.move_to_end(date)
                return view
            tt, origin, trip_source, trip_day = build_day_view(self.net, self.meta, date)
            step_free = step_free_timetable(tt, self._step_free)
            router = Router(tt, self.walking.speed_m_s, step_free, self.bounds)
            view = DayView(date, router, origin, trip_source, trip_day)
            self._views[date] = view
            while len(self._views) > N_CACHED_DAYS:
                self._views.popitem(last=False)
            return view

    def local_seconds(self, date: dt.date, seconds: int) -> int:
        """Unix seconds of a clock time on a date in the network's timezone."""
        wall = dt.datetime(date.year, date.month, date.day, tzinfo=self.timezone) + dt.timedelta(seconds=seconds)
        return int(wall.timestamp())

    # --- footpaths ----------------------------------------------------------------------
    @cached_property
    def _step_free(self) -> Footpaths | None:
        return step_free_footpaths(self.net)

    def footpaths(self, wheelchair: bool) -> Footpaths:
        """The footpaths a query walks (Router.footpath indexes them): a wheelchair user's are
        step-free (feeds/step_free.py), everybody else's the compiled footpath_* arrays."""
        step_free = self._step_free if wheelchair else None
        return step_free if step_free is not None else Footpaths.default(self.net)

    # --- lazily built indexes ------------------------------------------------------------
    @cached_property
    def version(self) -> str:
        """The timetable's version: a digest of what it was compiled from (each feed's
        checksum, the compiler, the walking settings and the streets), which page cursors
        carry (service/paging.py)."""
        meta = self.meta
        made_of = [meta["compiler_version"], [f.get("sha256") for f in meta["feeds"]], meta["walking"],
                   (meta.get("osm") or {}).get("sha256")]
        return hashlib.sha256(json.dumps(made_of, sort_keys=True).encode()).hexdigest()[:12]

    @cached_property
    def places(self) -> Places:
        return Places(self)

    @cached_property
    def geocoder(self) -> Geocoder | None:
        """Address and place search in the OpenStreetMap extract; None without one."""
        return Geocoder(self.osm.places) if self.osm else None

    @cached_property
    def stop_names(self) -> StopNames:
        return StopNames(self.net)

    @cached_property
    def json_cache(self) -> dict:
        """("stop", stop) / ("route", route) -> the fields of an answer's place or trip leg
        that depend on that stop or route alone (service/itineraries.py): built once each,
        not from the string tables at every leg (a one-hour window's JSON read them about
        350 times a plan). Filled as answers need them; at most one entry a stop and a route."""
        return {}

    @cached_property
    def shape_cuts(self) -> ShapeCuts:
        return ShapeCuts(self.net)

    @cached_property
    def stop_routes(self) -> list[list[int]]:
        """Stop -> route indices serving it (a station: those of its platforms)."""
        return routes_by_stop(self.net, self.children)

    def plan(self, origin: str, destination: str, date: dt.date, seconds: int,
             options: QueryOptions = QueryOptions(), window_s: int = 0, arrive_by: bool = False) -> Answer:
        """Journeys between two places leaving at a clock time (with `arrive_by`, arriving by
        it), or in a window of departures from it (arrivals before it) (service.plan.plan)."""
        return plan(self, origin, destination, date, seconds, options, window_s, arrive_by)
