"""Cut the router's Timetable for one service date out of a CompiledNetwork.

The view holds every trip instance (trip, service day) that may matter for journeys
departing on the view date: the trips of that day, those of earlier days still running
(amtrak-2021 has trips of 86 h), and those of the next day. Each instance's times are
shifted to seconds from the view origin, "noon minus 12 h" of the view date in the first
feed's timezone, using each feed's own service-day origin, so DST days and feeds in other
timezones are exact. Instances are grouped by pattern and each group is split until no
trip overtakes another (FIFO), which RAPTOR needs; overtaking can also appear between
trips of consecutive days, which is why the split is done per view.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np
from numba import njit

from trajet.feeds.compile import sequence_groups
from trajet.feeds.compiled import CHANGE_FORBIDDEN, DROP_OFF, PICKUP, CompiledNetwork
from trajet.feeds.footpaths import FEED_TIMED as FEED_TIMED_MODELS
from trajet.feeds.step_free import Footpaths
from trajet.router.mirror import mirror_router
from trajet.router.planner import Router
from trajet.router.timetable import (
    ACCESS_SHIFT,
    CAN_ALIGHT,
    CAN_BOARD,
    CONSTRAINED,
    FEED_TIMED,
    N_ACCESS,
    N_LINK_FIELDS,
    NO_CHANGE,
    WHEELCHAIR_SHIFT,
    Timetable,
)

from .view_links import view_links

EARLIER_DAY_MARGIN_S = 4 * 3600  # keep earlier days' trips still running this long before the origin
# compiled PICKUP | DROP_OFF bits -> the router's CAN_BOARD | CAN_ALIGHT bits
_RULES = np.array([(CAN_BOARD if bits & PICKUP else 0) | (CAN_ALIGHT if bits & DROP_OFF else 0) for bits in range(4)],
                  np.uint8)


@dataclass(frozen=True)
class DayView:
    """The router of one service date; its times are seconds from `origin` (unix seconds)."""

    date: dt.date
    router: Router
    origin: int
    # View trip -> trip of the compiled network (its ids, route, headsign); kept out of the
    # Timetable, which the kernels read (a field more there costs every query)
    trip_source: np.ndarray  # int32
    # View trip -> service day, in days relative to the view date (-3 .. +1)
    trip_day: np.ndarray  # int8
    # the Router on the mirrored timetable (arrive-by), built by the first query that needs it
    _mirror: list = field(default_factory=list, compare=False, repr=False)
    _mirror_lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    @property
    def tt(self) -> Timetable:
        return self.router.tt

    @property
    def mirror(self) -> Router:
        """The Router of arrive-by queries: `router`'s timetable mirrored in time
        (router/mirror.py), with its step-free footpaths. Built once, on first use: most
        day views never answer an arrive-by query, and the mirror holds about as much
        memory as the view (benchmarks/README.md)."""
        with self._mirror_lock:
            if not self._mirror:
                self._mirror.append(mirror_router(self.router))
            return self._mirror[0]

    def source_trip(self, trip: int) -> int:
        """The compiled network's trip of a view trip (its ids, route, headsign)."""
        return int(self.trip_source[trip])

    def service_date(self, trip: int) -> dt.date:
        """The service day a view trip runs on (a trip past midnight belongs to the day before)."""
        return self.date + dt.timedelta(days=int(self.trip_day[trip]))


def service_day_origin(day: dt.date, timezone: str) -> int:
    """Unix seconds of "noon minus 12 h" of a service day in a timezone."""
    noon = dt.datetime(day.year, day.month, day.day, 12, tzinfo=ZoneInfo(timezone))
    return int(noon.timestamp()) - 12 * 3600


@njit(cache=True)
def _split_fifo(order, inst_trip, inst_shift, pattern_of, time_offsets, arr, dep):
    """Sub-pattern of each instance (in `order`, sorted by pattern then departure).

    An instance joins the first sub-pattern whose last trip it never overtakes (arrives
    and departs no earlier at every stop), else opens a new one.
    """
    n = order.shape[0]
    sub = np.zeros(n, np.int32)
    last = np.empty(n, np.int64)  # sub-pattern -> its last instance, within the current pattern
    i = 0
    while i < n:
        pattern = pattern_of[inst_trip[order[i]]]
        j = i
        while j < n and pattern_of[inst_trip[order[j]]] == pattern:
            j += 1
        n_sub = 0
        for a in range(i, j):
            inst = order[a]
            lo = time_offsets[inst_trip[inst]]
            n_pos = time_offsets[inst_trip[inst] + 1] - lo
            chosen = -1
            for s in range(n_sub):
                other = last[s]
                olo = time_offsets[inst_trip[other]]
                ok = True
                for p in range(n_pos):
                    if (arr[lo + p] + inst_shift[inst] < arr[olo + p] + inst_shift[other]
                            or dep[lo + p] + inst_shift[inst] < dep[olo + p] + inst_shift[other]):
                        ok = False
                        break
                if ok:
                    chosen = s
                    break
            if chosen < 0:
                chosen = n_sub
                n_sub += 1
            last[chosen] = inst
            sub[a] = chosen
        i = j
    return sub


@njit(cache=True)
def _fill_times(order, inst_trip, inst_shift, vp_trip_offsets, vp_time_offsets, time_offsets, arr, dep, out_arr,
                out_dep):
    """Write each view pattern's trip-major time block (out_* modified in place)."""
    for vp in range(vp_trip_offsets.shape[0] - 1):
        t_lo = vp_trip_offsets[vp]
        n_trips = vp_trip_offsets[vp + 1] - t_lo
        base = vp_time_offsets[vp]
        for j in range(n_trips):
            inst = order[t_lo + j]
            lo = time_offsets[inst_trip[inst]]
            n_pos = time_offsets[inst_trip[inst] + 1] - lo
            shift = inst_shift[inst]
            for p in range(n_pos):
                out_arr[base + j * n_pos + p] = arr[lo + p] + shift
                out_dep[base + j * n_pos + p] = dep[lo + p] + shift


def _csr(keys: np.ndarray, n: int, *values: np.ndarray):
    order = np.argsort(keys, kind="stable")
    offsets = np.zeros(n + 1, np.int32)
    np.cumsum(np.bincount(keys, minlength=n), out=offsets[1:])
    return (offsets,) + tuple(v[order] for v in values)


def pattern_access(net: CompiledNetwork) -> np.ndarray:
    """Compiled pattern -> the router's access class, 3 * wheelchair_accessible + bikes_allowed."""
    return (3 * np.asarray(net.pattern_wheelchair, np.int64) + np.asarray(net.pattern_bikes)).astype(np.uint8)


def shared_patterns(net: CompiledNetwork) -> np.ndarray:
    """Pattern -> the first pattern with the same stops, boarding rules, mode and access class.

    Compiled patterns belong to one route (for names, shapes, departures); the router
    needs only the stop sequence, so trips of routes that share one ride one pattern of
    the view and each round scans it once (helsinki: 412 compiled patterns, 260 shared).
    Trips of different wheelchair or bike access stay apart: a query skips whole patterns.
    """
    mode = np.asarray(net.route_mode)[np.asarray(net.pattern_route)].astype(np.int64)
    return sequence_groups(mode * N_ACCESS + pattern_access(net), np.asarray(net.pattern_stop_offsets),
                           np.asarray(net.pattern_stops), np.asarray(net.pattern_stop_rules))


def build_day_view(net: CompiledNetwork, meta: dict, date: dt.date) -> tuple[Timetable, int, np.ndarray, np.ndarray]:
    """The Timetable of one service date, its origin in unix seconds, and its trips' compiled
    trips and service days (DayView.trip_source, .trip_day)."""
    first = dt.date.fromisoformat(meta["first_date"])
    n_days = int(meta["n_days"])
    d0 = (date - first).days
    origin = service_day_origin(date, str(net.feed_timezone[0]))
    longest = int(meta["max_trip_seconds"])

    def shifts(d: int) -> np.ndarray:
        """Feed -> seconds from the view origin to the origin of service day d in its timezone."""
        day = first + dt.timedelta(days=d)
        return np.array([service_day_origin(day, str(tz)) - origin for tz in net.feed_timezone], np.int64)

    # earlier days, back to the last one whose longest trip may still run: not longest // 24 h
    # days, as a DST change in between (a 23 h day brings a trip of 47:20 two days before past
    # midnight) and feeds in timezones behind the first one reach further
    start = d0
    while start > 0 and longest + shifts(start - 1).max() >= -EARLIER_DAY_MARGIN_S:
        start -= 1
    days = [d for d in range(start, d0 + 2) if 0 <= d < n_days]

    trip_service = np.asarray(net.trip_service)
    trip_feed = np.asarray(net.service_feed)[trip_service]
    time_offsets = np.asarray(net.trip_time_offsets)
    arr = np.asarray(net.stop_time_arr)
    dep = np.asarray(net.stop_time_dep)
    last_arr = arr[time_offsets[1:] - 1]
    inst_trip, inst_shift, inst_day = [], [], []
    for d in days:
        shift_of_feed = shifts(d)
        runs = np.flatnonzero(np.asarray(net.service_active[:, d])[trip_service])
        shift = shift_of_feed[trip_feed[runs]]
        if d < d0:
            still = last_arr[runs] + shift >= -EARLIER_DAY_MARGIN_S
            runs, shift = runs[still], shift[still]
        inst_trip.append(runs)
        inst_shift.append(shift)
        inst_day.append(np.full(len(runs), d - d0, np.int8))
    inst_trip = np.concatenate(inst_trip).astype(np.int64) if inst_trip else np.zeros(0, np.int64)
    inst_shift = np.concatenate(inst_shift).astype(np.int32) if inst_shift else np.zeros(0, np.int32)
    inst_day = np.concatenate(inst_day) if inst_day else np.zeros(0, np.int8)

    trip_pattern = shared_patterns(net)[np.asarray(net.trip_pattern)]
    first_dep = dep[time_offsets[inst_trip]] + inst_shift
    last_of_inst = last_arr[inst_trip] + inst_shift
    pattern = trip_pattern[inst_trip]
    order = np.lexsort((last_of_inst, first_dep, pattern))
    sub = _split_fifo(order, inst_trip, inst_shift, trip_pattern, time_offsets, arr, dep)
    # regroup: by pattern, then sub-pattern, keeping departure order
    regroup = np.lexsort((np.arange(len(order)), sub, pattern[order]))
    order, sub = order[regroup], sub[regroup]
    vp_key = pattern[order].astype(np.int64) * (int(sub.max(initial=0)) + 1) + sub
    starts = np.flatnonzero(np.r_[True, vp_key[1:] != vp_key[:-1]]) if len(order) else np.zeros(0, np.int64)
    vp_trip_offsets = np.r_[starts, len(order)].astype(np.int32)
    vp_pattern = pattern[order[starts]]

    p_offsets = np.asarray(net.pattern_stop_offsets)
    vp_len = (p_offsets[vp_pattern + 1] - p_offsets[vp_pattern]).astype(np.int64)
    vp_stop_offsets = np.r_[0, np.cumsum(vp_len)].astype(np.int32)
    pos_source = (np.concatenate([np.arange(p_offsets[p], p_offsets[p + 1]) for p in vp_pattern]) if len(vp_pattern)
                  else np.zeros(0, np.int64))
    pattern_stops = np.asarray(net.pattern_stops)[pos_source].astype(np.int32)
    # the rules byte also carries the stop's wheelchair boarding and the pattern's access class
    stop_wheelchair = np.asarray(net.stop_wheelchair).astype(np.uint8)
    pattern_stop_rules = (_RULES[np.asarray(net.pattern_stop_rules)[pos_source]]
                          | (stop_wheelchair[pattern_stops] << WHEELCHAIR_SHIFT)
                          | (np.repeat(pattern_access(net)[vp_pattern], vp_len) << ACCESS_SHIFT)).astype(np.uint8)
    vp_n_trips = np.diff(vp_trip_offsets).astype(np.int64)
    vp_time_offsets = np.r_[0, np.cumsum(vp_len * vp_n_trips)].astype(np.int64)
    out_arr = np.empty(vp_time_offsets[-1], np.int32)
    out_dep = np.empty(vp_time_offsets[-1], np.int32)
    _fill_times(order, inst_trip, inst_shift, vp_trip_offsets, vp_time_offsets, time_offsets, arr, dep, out_arr,
                out_dep)

    n_stops = len(net.stop_id)
    position = (np.arange(len(pattern_stops)) - np.repeat(vp_stop_offsets[:-1], vp_len)).astype(np.int32)
    owner = np.repeat(np.arange(len(vp_pattern), dtype=np.int32), vp_len)
    stop_pattern_offsets, stop_patterns, stop_pattern_positions = _csr(pattern_stops, n_stops, owner, position)
    footpath_from = np.asarray(net.footpath_from)
    footpath_offsets = np.zeros(n_stops + 1, np.int32)
    np.cumsum(np.bincount(footpath_from, minlength=n_stops), out=footpath_offsets[1:])
    route_of_pattern = np.asarray(net.pattern_route)[vp_pattern]
    change = np.array(net.stop_change_time, np.int32)
    change[change == CHANGE_FORBIDDEN] = NO_CHANGE

    tt = Timetable(
        pattern_stop_offsets=vp_stop_offsets,
        pattern_stops=pattern_stops,
        pattern_stop_rules=pattern_stop_rules,
        pattern_trip_offsets=vp_trip_offsets,
        pattern_time_offsets=vp_time_offsets,
        arrivals=out_arr,
        departures=out_dep,
        pattern_mode=np.asarray(net.route_mode)[route_of_pattern].astype(np.int8),
        trip_pattern=np.repeat(np.arange(len(vp_pattern), dtype=np.int32), vp_n_trips),
        trip_link_offsets=np.zeros(len(order) + 1, np.int32),
        trip_links=np.zeros((0, N_LINK_FIELDS), np.int32),
        stop_pattern_offsets=stop_pattern_offsets,
        stop_patterns=stop_patterns.astype(np.int32),
        stop_pattern_positions=stop_pattern_positions,
        footpath_offsets=footpath_offsets,
        footpath_to=np.array(net.footpath_to, np.int32),
        footpath_duration=np.array(net.footpath_duration, np.int32),
        footpath_walk_m=np.array(net.footpath_walk_m, np.int32),
        footpath_flags=footpath_flags(net.footpath_model),
        stop_change_time=change,
    )
    trip_source, trip_day = inst_trip[order].astype(np.int32), inst_day[order]
    link_offsets, links, constrained = view_links(net, tt, trip_source, trip_day)
    tt.pattern_mode[constrained] |= CONSTRAINED
    tt = tt._replace(trip_link_offsets=link_offsets, trip_links=links)
    return tt.freeze(), origin, trip_source, trip_day


def footpath_flags(footpath_model: np.ndarray) -> np.ndarray:
    """The router's footpath flags from the compiled walking models: FEED_TIMED for walks
    timed by transfers.txt or pathways alone."""
    model = np.asarray(footpath_model)
    timed = (model & ~np.uint8(FEED_TIMED_MODELS)) == 0
    return np.where(timed, FEED_TIMED, 0).astype(np.uint8)


def step_free_timetable(tt: Timetable, footpaths: Footpaths | None) -> Timetable | None:
    """The day view for wheelchair users: `tt` with the step-free footpaths of the compiled
    network (feeds/step_free.py), every other array shared; None when there are none that
    differ (the Router then reads `tt` for them too). The kernel reads whatever footpaths its
    Timetable holds, so no field is added for it."""
    if footpaths is None:
        return None
    return tt._replace(
        footpath_offsets=footpaths.offsets(tt.n_stops),
        footpath_to=np.array(footpaths.to_stop, np.int32),
        footpath_duration=np.array(footpaths.duration, np.int32),
        footpath_walk_m=np.array(footpaths.walk_m, np.int32),
        footpath_flags=footpath_flags(footpaths.model),
    ).freeze()
