"""An independent, slow reference for the router: a connection scan (CSA) over trip counts.

It answers the same question as RAPTOR (router/_kernels.py through trajet.service.network.Network.plan):
for every k = 1..max_transfers + 1, the earliest arrival at the destination with at most k
trips. It shares no code with router/_kernels.py nor service/dayview.py: it builds its own
elementary connections for a query date straight from the CompiledNetwork (trip instances
of the service days around the query date, shifted to seconds from the view origin with zoneinfo),
then scans them in time order. Only the compiled arrays and their documented meaning are
shared.

The routing model (see tests/test_oracle.py for the statement both algorithms implement):
- origins: the query's stops with ready time t0, plus one footpath from them (walk_m <=
  max_walk_m) with ready time t0 + duration;
- a trip instance is boarded at position p if ready(stop) <= departure and CAN_BOARD there, and
  left at a later position with CAN_ALIGHT;
- after leaving a trip at stop s at time a: ready at s at a + change(s) (stop_change_time[s] if
  >= 0, else the slack; never when it is FORBIDDEN_CHANGE), and for each footpath s -> w (walk_m <=
  max_walk_m): ready at w at a + d if (timed by the feed or d >= slack) else a + slack; never two
  footpaths in a row;
- links between trip instances (restated from feeds/compiled.py and router/README.md): seated
  ones (consecutive trips of one trip_block on one service day, the next leaving no earlier
  than the first arrives and at most 300 s later, at the same station or within 200 m,
  unless link_type 3 or 5 names the pair; and link_type 4) let a traveller riding the first
  trip at its link position ride the second from its position, counted as one trip more
  (a boarding, as the router counts it); guaranteed ones (link_type 1, and 2 with
  link_secs) let one who may alight there board the second (if boarding is allowed) with
  one trip more. A link joins each instance of its first trip to the instance of the
  second, of the same service day or the next, leaving first at or after the arrival (plus
  link_secs);
  (changes transfers.txt refuses between two trips or routes are not restated: no feed the
  oracle runs on has one; scenario a30 tests them);
- destination: its stop and child platforms, reached by a trip or by one footpath after a trip;
- a wheelchair user boards and alights only at stops whose stop_wheelchair is allowed (1, and
  0 unless unknown is excluded) and rides only trips whose trip_wheelchair is; a bike on
  board rides only trips whose trip_bikes is allowed (1, and 0 if unknown is allowed). These
  read the compiled stops and trips, not the patterns (which the router reads).

Labels: ready[stop, k], the earliest time a trip can be boarded at the stop with at most k
trips taken before (monotone in k), and trip_k[instance], the fewest trips (this one
included) of a journey riding that instance. Connections are scanned by (departure, arrival,
instance, position); a run of zero-duration connections at the same instant is iterated to
a fixpoint, so chains of 0 s connections and 0 s changes at one instant are exact (each pass
restarts the run's trips from their counts before it: a trip boarded at one position is
never left at an earlier one).
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple
from zoneinfo import ZoneInfo

import numpy as np
from numba import njit

from trajet.feeds.geo import distance_m

# The meaning of the compiled arrays (feeds/compiled.py), restated here.
BOARD_BIT = 1  # pattern_stop_rules: boarding allowed
ALIGHT_BIT = 2  # pattern_stop_rules: alighting allowed
FORBIDDEN_CHANGE = -2  # stop_change_time: changing there is forbidden (-1: the slack applies)
FEED_TIMED_MODELS = 1 | 2  # footpath_model: transfers.txt, pathways
NEVER = np.int64(2**62)  # time sentinel of this module: not reached
# service days taken around the query date: after it, one; before it, as many as the longest
# trip lasts plus DAYS_BEFORE_MARGIN: one for a DST change in between (a 23 h day), one for
# feeds in timezones up to a day behind the first feed's
DAYS_BEFORE_MARGIN, DAYS_AFTER = 2, 1


def day_start(day: dt.date, timezone: str) -> int:
    """Unix seconds of the GTFS service-day origin: 12:00 local time minus 12 hours."""
    local_noon = dt.datetime.combine(day, dt.time(12, 0), tzinfo=ZoneInfo(timezone))
    return int(local_noon.timestamp()) - 43200


def wall_clock(day: dt.date, seconds: int, timezone: str) -> int:
    """Unix seconds of the local wall-clock time `seconds` after midnight of `day`."""
    naive = dt.datetime.combine(day, dt.time(0, 0)) + dt.timedelta(seconds=int(seconds))
    return int(naive.replace(tzinfo=ZoneInfo(timezone)).timestamp())


class Connections(NamedTuple):
    """Elementary connections of one query date, sorted by (dep, arr, instance, position)."""

    dep: np.ndarray  # int64, seconds from the view origin
    arr: np.ndarray  # int64
    from_stop: np.ndarray  # int32
    to_stop: np.ndarray  # int32
    instance: np.ndarray  # int32
    position: np.ndarray  # int32, pattern position of from_stop
    can_board: np.ndarray  # uint8 (1: boarding allowed at from_stop)
    can_alight: np.ndarray  # uint8 (1: alighting allowed at to_stop)
    inst_trip: np.ndarray  # int64, instance -> compiled trip
    inst_day: np.ndarray  # int64, instance -> service day relative to the date
    inst_shift: np.ndarray  # int64, instance -> seconds added to the trip's times
    inst_n_pos: np.ndarray  # int64, instance -> positions of its trip
    # the connection leaving position p of instance i is rank[inst_first[i] + p]
    inst_first: np.ndarray  # int64
    rank: np.ndarray  # int64
    origin: int  # unix seconds of the view origin


class Answer(NamedTuple):
    best: np.ndarray  # int64 (max_trips + 1,): best[k] earliest arrival with <= k trips (best[0] unused)
    t0: int  # departure time, seconds from the view origin
    origin: int  # unix seconds of the view origin
    origins: list  # (stop, ready) the scan started from
    targets: list  # target stops

    def pareto(self) -> list[tuple[int, int]]:
        """(n_trips, arrival) pairs: each with more trips and a strictly earlier arrival."""
        out = []
        for k in range(1, len(self.best)):
            if self.best[k] < NEVER and (not out or self.best[k] < out[-1][1]):
                out.append((k, int(self.best[k])))
        return out


@njit(cache=True)
def _relax(labels, row, n_trips, max_trips, t):
    """labels[row, n_trips..max_trips] = min(., t), keeping them monotone; True if improved."""
    improved = False
    for m in range(n_trips, max_trips + 1):
        if t < labels[row, m]:
            labels[row, m] = t
            improved = True
        else:
            break  # monotone in m: later entries are already <= t
    return improved


@njit(cache=True)
def _connection(c, dep, arr, from_stop, to_stop, instance, position, can_board, can_alight,
                fp_offsets, fp_to, fp_duration, fp_walk_m, fp_timed, change_time, is_target,
                ready, trip_k, best, max_trips, slack, max_walk_m, links, entered):
    """Scan one connection; True if a ready time or a best arrival changed (trip_k changes
    are not reported: the fixpoint of a zero-duration run recomputes them every pass)."""
    changed = False
    i = instance[c]
    d = dep[c]
    link_offsets, link_from_pos, link_to_conn, link_seated, link_ok = links
    if entered[c] < trip_k[i]:  # a link enters the instance here (its later connections follow)
        trip_k[i] = entered[c]
    if can_board[c]:
        u = from_stop[c]
        if ready[u, max_trips - 1] <= d:  # reachable in time with fewer than max_trips trips
            k = 0
            while ready[u, k] > d:
                k += 1
            if k + 1 < trip_k[i]:
                trip_k[i] = k + 1
    n = trip_k[i]
    if n > max_trips:
        return changed
    a = arr[c]
    if a >= best[0, n]:
        return changed  # nothing continuing from here beats what n trips already reach
    for e in range(link_offsets[i], link_offsets[i + 1]):
        if link_from_pos[e] == position[c] + 1 and link_ok[e]:
            if (link_seated[e] or can_alight[c]) and n + 1 <= max_trips:
                entered[link_to_conn[e]] = min(entered[link_to_conn[e]], n + 1)
    if not can_alight[c]:
        return changed
    v = to_stop[c]
    if is_target[v]:
        changed |= _relax(best, 0, n, max_trips, a)
    change = change_time[v]
    if change != FORBIDDEN_CHANGE:
        changed |= _relax(ready, v, n, max_trips, a + (slack if change < 0 else change))
    for f in range(fp_offsets[v], fp_offsets[v + 1]):
        walk_m = fp_walk_m[f]
        if walk_m > max_walk_m:
            continue
        w = fp_to[f]
        duration = fp_duration[f]
        if is_target[w]:
            changed |= _relax(best, 0, n, max_trips, a + duration)
        if fp_timed[f] or duration >= slack:
            t_ready = a + duration
        else:
            t_ready = a + slack
        changed |= _relax(ready, w, n, max_trips, t_ready)
    return changed


@njit(cache=True)
def _scan(dep, arr, from_stop, to_stop, instance, position, can_board, can_alight, n_instances,
          fp_offsets, fp_to, fp_duration, fp_walk_m, fp_timed, change_time,
          start_stops, start_ready, is_target, t0, max_trips, slack, max_walk_m, links):
    n_stops = is_target.shape[0]
    entered = np.full(dep.shape[0], max_trips + 1, np.int64)  # connection -> fewest trips of a link entering there
    ready = np.full((n_stops, max_trips + 1), NEVER, np.int64)
    for i in range(start_stops.shape[0]):
        _relax(ready, start_stops[i], 0, max_trips, start_ready[i])
    trip_k = np.full(n_instances, max_trips + 1, np.int64)
    best = np.full((1, max_trips + 1), NEVER, np.int64)  # best[0, k]: arrival with <= k trips
    n = dep.shape[0]
    c = np.searchsorted(dep, t0)  # nothing departing before t0 can be caught
    while c < n:
        d = dep[c]
        if d >= best[0, 1]:
            break  # best[0, 1] is the latest of the bests: no later connection improves any
        if arr[c] != d:
            _connection(c, dep, arr, from_stop, to_stop, instance, position, can_board, can_alight,
                        fp_offsets, fp_to, fp_duration, fp_walk_m, fp_timed, change_time, is_target,
                        ready, trip_k, best, max_trips, slack, max_walk_m, links, entered)
            c += 1
            continue
        # a run of zero-duration connections at instant d (they sort first among those
        # departing at d): iterate until no label changes. Each instance's connections in
        # the run are consecutive and in position order; every pass starts them again from
        # the trip counts they had before the run, so that a boarding found in one pass
        # serves only the later positions of its instance, never an earlier one.
        end = c
        while end < n and dep[end] == d and arr[end] == d:
            end += 1
        before = np.empty(end - c, np.int64)
        for e in range(c, end):
            before[e - c] = trip_k[instance[e]]
        changed = True
        while changed:
            changed = False
            for e in range(c, end):
                trip_k[instance[e]] = before[e - c]
            for e in range(c, end):
                changed |= _connection(e, dep, arr, from_stop, to_stop, instance, position, can_board,
                                       can_alight, fp_offsets, fp_to, fp_duration, fp_walk_m, fp_timed, change_time,
                                       is_target, ready, trip_k, best, max_trips, slack, max_walk_m, links, entered)
        c = end
    return best[0]


class Reference:
    """The reference planner over one CompiledNetwork (queries name stops by GTFS id)."""

    def __init__(self, net, meta: dict):
        self.net = net
        self.meta = meta
        self.first_date = dt.date.fromisoformat(str(meta["first_date"]))
        self.n_days = int(meta["n_days"])
        self.timezone = str(net.feed_timezone[0])  # the view origin's timezone
        self.stop_ids = [str(s) for s in net.stop_id]
        self.index = {s: i for i, s in enumerate(self.stop_ids)}
        parent = np.asarray(net.stop_parent)
        self.children: dict[int, list[int]] = {}
        for child, p in enumerate(parent.tolist()):
            if p >= 0:
                self.children.setdefault(p, []).append(child)
        n_stops = len(self.stop_ids)
        # own footpath CSR (sorted by from stop, stable)
        frm = np.asarray(net.footpath_from, np.int64)
        order = np.argsort(frm, kind="stable")
        self.fp_to = np.asarray(net.footpath_to, np.int64)[order]
        self.fp_duration = np.asarray(net.footpath_duration, np.int64)[order]
        self.fp_walk_m = np.asarray(net.footpath_walk_m, np.int64)[order]
        # a walk timed by transfers.txt or pathways alone (footpath_model bits 1 and 2) takes its time as given
        self.fp_timed = (np.asarray(net.footpath_model, np.int64)[order] & ~FEED_TIMED_MODELS) == 0
        self.fp_offsets = np.zeros(n_stops + 1, np.int64)
        np.cumsum(np.bincount(frm, minlength=n_stops), out=self.fp_offsets[1:])
        self.change_time = np.asarray(net.stop_change_time, np.int64)
        self._connections: dict[dt.date, Connections] = {}
        self._links: dict[dt.date, list] = {}

    # --- ids -------------------------------------------------------------------------
    def stops_of(self, stop_id: str) -> list[int]:
        """The stop and, if it is a station, its child platforms."""
        s = self.index[stop_id]
        return [s] + self.children.get(s, [])

    def footpaths(self, stop: int, max_walk_m: int) -> list[tuple[int, int, int]]:
        """(to, seconds, walk_m) of the footpaths from `stop` under the walking limit."""
        lo, hi = self.fp_offsets[stop], self.fp_offsets[stop + 1]
        return [(int(self.fp_to[f]), int(self.fp_duration[f]), int(self.fp_walk_m[f]))
                for f in range(lo, hi) if self.fp_walk_m[f] <= max_walk_m]

    # --- trip instances ----------------------------------------------------------------
    def instances(self, date: dt.date):
        """(trip, day relative to date, shift seconds) of every trip instance around `date`."""
        net = self.net
        origin = day_start(date, self.timezone)
        d0 = (date - self.first_date).days
        trip_service = np.asarray(net.trip_service, np.int64)
        trip_feed = np.asarray(net.service_feed, np.int64)[trip_service]
        active = np.asarray(net.service_active)
        trips, days, shifts = [], [], []
        days_before = int(self.meta["max_trip_seconds"]) // 86400 + DAYS_BEFORE_MARGIN
        for rel in range(-days_before, DAYS_AFTER + 1):
            d = d0 + rel
            if not 0 <= d < self.n_days:
                continue
            day = self.first_date + dt.timedelta(days=d)
            feed_shift = np.array([day_start(day, str(tz)) - origin for tz in net.feed_timezone], np.int64)
            runs = np.flatnonzero(active[trip_service, d] != 0)
            trips.append(runs)
            days.append(np.full(len(runs), rel, np.int64))
            shifts.append(feed_shift[trip_feed[runs]])
        cat = lambda parts: np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)  # noqa: E731
        return cat(trips), cat(days), cat(shifts), origin

    def connections(self, date: dt.date) -> Connections:
        """The connections of `date`'s trip instances, built once per date."""
        cached = self._connections.get(date)
        if cached is not None:
            return cached
        net = self.net
        inst_trip, inst_day, inst_shift, origin = self.instances(date)
        time_lo = np.asarray(net.trip_time_offsets, np.int64)
        pattern = np.asarray(net.trip_pattern, np.int64)[inst_trip]
        p_lo = np.asarray(net.pattern_stop_offsets, np.int64)
        n_pos = p_lo[pattern + 1] - p_lo[pattern]
        n_times = time_lo[inst_trip + 1] - time_lo[inst_trip]
        if not np.array_equal(n_pos, n_times):
            raise AssertionError("compiled network: a trip has not one time per position of its pattern")
        n_conn = np.maximum(n_pos - 1, 0)
        inst = np.repeat(np.arange(len(inst_trip), dtype=np.int64), n_conn)
        first_conn = np.cumsum(n_conn) - n_conn
        position = np.arange(len(inst), dtype=np.int64) - np.repeat(first_conn, n_conn)
        t_idx = time_lo[inst_trip][inst] + position  # time row of the connection's from position
        s_idx = p_lo[pattern][inst] + position  # pattern row of the from position
        t_arr = np.asarray(net.stop_time_arr, np.int64)
        t_dep = np.asarray(net.stop_time_dep, np.int64)
        stops = np.asarray(net.pattern_stops, np.int64)
        rules = np.asarray(net.pattern_stop_rules, np.int64)
        shift = inst_shift[inst]
        dep = t_dep[t_idx] + shift
        arr = t_arr[t_idx + 1] + shift
        if np.any(arr < dep):
            raise AssertionError("compiled network: a trip arrives at a stop before leaving the previous one")
        if np.any(t_dep[t_idx] < t_arr[t_idx]):
            raise AssertionError("compiled network: a trip leaves a stop before arriving there")
        order = np.lexsort((position, inst, arr, dep))
        conn = Connections(
            dep=np.ascontiguousarray(dep[order]),
            arr=np.ascontiguousarray(arr[order]),
            from_stop=stops[s_idx][order].astype(np.int32),
            to_stop=stops[s_idx + 1][order].astype(np.int32),
            instance=inst[order].astype(np.int32),
            position=position[order].astype(np.int32),
            can_board=((rules[s_idx] & BOARD_BIT) != 0)[order].astype(np.uint8),
            can_alight=((rules[s_idx + 1] & ALIGHT_BIT) != 0)[order].astype(np.uint8),
            inst_trip=inst_trip,
            inst_day=inst_day,
            inst_shift=inst_shift,
            inst_n_pos=n_pos,
            inst_first=first_conn,
            rank=np.argsort(order),
            origin=origin,
        )
        self._connections[date] = conn
        return conn

    def instance_links(self, date: dt.date):
        """(from instance, from position, to instance, to position, seated) of the date's links."""
        cached = self._links.get(date)
        if cached is not None:
            return cached
        net, conn = self.net, self.connections(date)
        trips, day, shift = conn.inst_trip, conn.inst_day, conn.inst_shift
        time_lo = np.asarray(net.trip_time_offsets, np.int64)
        arr_at = lambda inst, pos: np.asarray(net.stop_time_arr, np.int64)[time_lo[trips[inst]] + pos] + shift[inst]  # noqa: E731
        dep_at = lambda inst, pos: np.asarray(net.stop_time_dep, np.int64)[time_lo[trips[inst]] + pos] + shift[inst]  # noqa: E731
        n_pos = time_lo[trips + 1] - time_lo[trips]
        out = []
        kind = np.asarray(net.link_type)
        refused = {(int(a), int(b)) for a, b, t in zip(net.link_from_trip, net.link_to_trip, kind) if t in (3, 5)}
        block = np.asarray(net.trip_block)[trips]
        groups: dict[tuple[int, int], list[int]] = {}
        for inst in np.flatnonzero(block >= 0).tolist():
            groups.setdefault((int(block[inst]), int(day[inst])), []).append(inst)
        lat, lon, parent = np.asarray(net.stop_lat), np.asarray(net.stop_lon), np.asarray(net.stop_parent)
        stops = np.asarray(net.pattern_stops)
        p_lo = np.asarray(net.pattern_stop_offsets)
        pattern = np.asarray(net.trip_pattern)
        for members in groups.values():
            members.sort(key=lambda x: (dep_at(x, 0), arr_at(x, n_pos[x] - 1)))
            for a, b in zip(members, members[1:]):
                x = int(stops[p_lo[pattern[trips[a]]] + n_pos[a] - 1])
                y = int(stops[p_lo[pattern[trips[b]]]])
                station = (parent[x] if parent[x] >= 0 else x) == (parent[y] if parent[y] >= 0 else y)
                near = station or distance_m(lat[x], lon[x], lat[y], lon[y]) <= 200.0
                if (near and 0 <= dep_at(b, 0) - arr_at(a, n_pos[a] - 1) <= 300
                        and (int(trips[a]), int(trips[b])) not in refused):
                    out.append((a, int(n_pos[a] - 1), b, 0, True))
        by_trip: dict[int, list[int]] = {}
        for inst, trip in enumerate(trips.tolist()):
            by_trip.setdefault(trip, []).append(inst)
        for a_trip, b_trip, pos_a, pos_b, t, secs in zip(net.link_from_trip, net.link_to_trip, net.link_from_pos,
                                                          net.link_to_pos, kind, net.link_secs):
            if t not in (1, 2, 4):
                continue
            for a in by_trip.get(int(a_trip), []):
                need = arr_at(a, pos_a) + (secs if t == 2 else 0)
                later = [(dep_at(b, pos_b), b) for b in by_trip.get(int(b_trip), [])
                         if day[b] in (day[a], day[a] + 1) and dep_at(b, pos_b) >= need]
                if later:
                    out.append((a, int(pos_a), min(later)[1], int(pos_b), t == 4))
        self._links[date] = out
        return out

    def _link_arrays(self, date: dt.date, ok_trip, ok_stop):
        """The date's links as CSR arrays for _scan, with link_ok: the trip entered may be
        ridden (and, for a guaranteed change, boarded at its position)."""
        net, conn = self.net, self.connections(date)
        rows = [r for r in sorted(self.instance_links(date)) if r[3] < conn.inst_n_pos[r[2]] - 1]
        n_inst = len(conn.inst_trip)
        frm = np.array([r[0] for r in rows], np.int64)
        offsets = np.zeros(n_inst + 1, np.int64)
        np.cumsum(np.bincount(frm, minlength=n_inst), out=offsets[1:])
        to = np.array([r[2] for r in rows], np.int64)
        to_pos = np.array([r[3] for r in rows], np.int64)
        seated = np.array([r[4] for r in rows], np.bool_)
        pattern = np.asarray(net.trip_pattern)[conn.inst_trip[to]] if len(to) else np.zeros(0, np.int64)
        row = np.asarray(net.pattern_stop_offsets)[pattern] + to_pos
        boardable = ((np.asarray(net.pattern_stop_rules)[row] & BOARD_BIT) != 0) & ok_stop[
            np.asarray(net.pattern_stops)[row]]
        ok = ok_trip[to] & (seated | boardable) if len(to) else np.zeros(0, np.bool_)
        to_conn = conn.rank[conn.inst_first[to] + to_pos] if len(to) else np.zeros(0, np.int64)
        return (offsets, np.array([r[1] for r in rows], np.int64), to_conn, seated, ok)

    # --- queries -----------------------------------------------------------------------
    def plan(self, from_id: str, to_id: str, date: dt.date, seconds: int,
             max_transfers: int = 20, transfer_slack: int = 120, max_walk_m: int = 0,
             wheelchair: bool = False, wheelchair_unknown: str = "allow", bike_on_board: bool = False,
             bike_unknown: str = "exclude") -> Answer:
        conn = self.connections(date)
        can_board, can_alight = conn.can_board, conn.can_alight
        ok_trip = np.ones(len(conn.inst_trip), bool)
        ok_stop = np.ones(len(self.stop_ids), bool)
        if wheelchair or bike_on_board:
            net = self.net
            if wheelchair:
                accepted = [1] if wheelchair_unknown == "exclude" else [0, 1]
                ok_trip &= np.isin(np.asarray(net.trip_wheelchair)[conn.inst_trip], accepted)
                ok_stop &= np.isin(np.asarray(net.stop_wheelchair), accepted)
            if bike_on_board:
                ok_trip &= np.isin(np.asarray(net.trip_bikes)[conn.inst_trip], [0, 1] if bike_unknown == "allow"
                                   else [1])
            ok = ok_trip[conn.instance]
            can_board = (can_board.astype(bool) & ok & ok_stop[conn.from_stop]).astype(np.uint8)
            can_alight = (can_alight.astype(bool) & ok & ok_stop[conn.to_stop]).astype(np.uint8)
        t0 = wall_clock(date, seconds, self.timezone) - conn.origin
        origins = self.stops_of(from_id)
        targets = self.stops_of(to_id)
        start = {s: t0 for s in origins}
        for s in origins:
            for w, duration, _ in self.footpaths(s, max_walk_m):
                start[w] = min(start.get(w, t0 + duration), t0 + duration)
        is_target = np.zeros(len(self.stop_ids), np.uint8)
        is_target[targets] = 1
        max_trips = max_transfers + 1
        best = _scan(
            conn.dep, conn.arr, conn.from_stop, conn.to_stop, conn.instance, conn.position, can_board, can_alight,
            len(conn.inst_trip), self.fp_offsets, self.fp_to, self.fp_duration, self.fp_walk_m, self.fp_timed,
            self.change_time,
            np.array(list(start), np.int64), np.array(list(start.values()), np.int64), is_target,
            np.int64(t0), max_trips, np.int64(transfer_slack), np.int64(max_walk_m),
            self._link_arrays(date, ok_trip, ok_stop),
        )
        return Answer(best.copy(), t0, conn.origin, sorted(start.items()), targets)
