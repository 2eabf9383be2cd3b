"""The links of a day view: where a traveller goes on from one view trip to a later one.

Two kinds (router/README.md, Links between trips):
- **seated**: the vehicle goes on as the next trip and the traveller stays on board. From
  consecutive trips of one block (trips.txt block_id) on one service day, the next starting
  no earlier than the first ends and at most INTERLINE_MAX_WAIT_S later, at the same stop,
  the same station or within INTERLINE_MAX_M (OpenTripPlanner 2's default interlining
  distance), unless transfers.txt says transfer_type 5 (in-seat not allowed) or 3 for the
  pair; and from transfer_type 4, whatever the wait. A longer layover is taken as one that
  lets its passengers off (the driver's break): a change at the stop, or a short walk to the
  next trip's first stop, then serves the traveller as well. On the New York region (nyc-bus
  gives a block_id to nearly every trip; median layover 12 minutes) every layover kept made
  the median query 1.4x slower; with the cap, 300 seeded queries with the default walks
  between stops (400 m) found the same journeys as without it, while without walks (0 m) 182
  of 300 differed: there a continuation across the street is the only way to change.
- **guaranteed**: transfer_type 1 (timed) or 2 (with its minimum time) between two trips, a
  change that holds even where the stop's change time would not allow it; between two
  routes (or a trip and a route, or a trip or route and every trip at the stop), from each
  trip of the first side calling at the stop to the trip of each pattern of the second
  leaving first after it (_route_links).
- **refused**: transfer_type 3, and 2 sooner than its time, between the same sides
  (_refused_pairs), checked at boarding (router/README.md, Refused changes).
Where rules meet on one change the most specific decides (_most_specific).

A compiled trip-to-trip row joins each view instance of its first trip to the instance of
its second trip, on the same service day or the next, that leaves first after it (after the
minimum time): a trip past midnight meets the next day's trip.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from trajet.feeds.compiled import CompiledNetwork
from trajet.feeds.geo import distance_m
from trajet.feeds.trip_links import IN_SEAT, IN_SEAT_NOT_ALLOWED, INTERLINE_MAX_M, MIN_TIME, NOT_POSSIBLE, TIMED
from trajet.router.timetable import (
    L_FROM_POS,
    L_GAP,
    L_TO_POS,
    L_TO_TRIP,
    N_LINK_FIELDS,
    REFUSED,
    Timetable,
)

INTERLINE_MAX_WAIT_S = 300  # seconds a traveller stays on board between two trips of a block


def trip_ends(tt: Timetable, trips: np.ndarray):
    """For view trips: their first departure, last arrival, first stop and last stop."""
    pattern = tt.trip_pattern[trips].astype(np.int64)
    lo, hi = tt.pattern_stop_offsets[pattern], tt.pattern_stop_offsets[pattern + 1]
    n_pos = (hi - lo).astype(np.int64)
    base = tt.pattern_time_offsets[pattern] + (trips - tt.pattern_trip_offsets[pattern]) * n_pos
    return tt.departures[base], tt.arrivals[base + n_pos - 1], tt.pattern_stops[lo], tt.pattern_stops[hi - 1]


def _time_at(tt: Timetable, trips: np.ndarray, positions: np.ndarray, times: np.ndarray) -> np.ndarray:
    """times (tt.arrivals or tt.departures) of view trips at positions of their patterns."""
    pattern = tt.trip_pattern[trips].astype(np.int64)
    n_pos = (tt.pattern_stop_offsets[pattern + 1] - tt.pattern_stop_offsets[pattern]).astype(np.int64)
    base = tt.pattern_time_offsets[pattern] + (trips - tt.pattern_trip_offsets[pattern]) * n_pos
    return times[base + positions].astype(np.int64)


def _block_links(net: CompiledNetwork, tt: Timetable, trip_source: np.ndarray, trip_day: np.ndarray):
    """(from view trip, from position, to view trip, to position) of the seated block links."""
    block = np.asarray(net.trip_block)[trip_source]
    trips = np.flatnonzero(block >= 0)
    none = (np.zeros(0, np.int64),) * 4
    if len(trips) < 2:
        return none
    first_dep, last_arr, first_stop, last_stop = trip_ends(tt, trips)
    order = np.lexsort((last_arr, first_dep, trip_day[trips], block[trips]))
    trips, first_dep, last_arr = trips[order], first_dep[order], last_arr[order]
    first_stop, last_stop = first_stop[order], last_stop[order]
    a, b = np.arange(len(trips) - 1), np.arange(1, len(trips))
    same_day = (block[trips[a]] == block[trips[b]]) & (trip_day[trips[a]] == trip_day[trips[b]])
    parent = np.asarray(net.stop_parent)
    station = np.where(parent >= 0, parent, np.arange(len(parent)))
    lat, lon = np.asarray(net.stop_lat), np.asarray(net.stop_lon)
    x, y = last_stop[a], first_stop[b]
    close = (station[x] == station[y]) | (distance_m(lat[x], lon[x], lat[y], lon[y]) <= INTERLINE_MAX_M)
    wait = first_dep[b] - last_arr[a]
    keep = same_day & (wait >= 0) & (wait <= INTERLINE_MAX_WAIT_S) & close
    a, b = a[keep], b[keep]
    link_type = np.asarray(net.link_type)
    refused = (np.isin(link_type, (NOT_POSSIBLE, IN_SEAT_NOT_ALLOWED)) & (np.asarray(net.link_from_trip) >= 0)
               & (np.asarray(net.link_to_trip) >= 0))
    if refused.any():
        n = np.int64(len(net.trip_block))
        keys = np.asarray(net.link_from_trip)[refused].astype(np.int64) * n + np.asarray(net.link_to_trip)[refused]
        allowed = ~np.isin(trip_source[trips[a]].astype(np.int64) * n + trip_source[trips[b]], keys)
        a, b = a[allowed], b[allowed]
    n_pos = np.diff(tt.pattern_stop_offsets)[tt.trip_pattern[trips[a]]]
    return trips[a], n_pos - 1, trips[b], np.zeros(len(b), np.int64)


def _calls_at(tt: Timetable, stop: int, station: np.ndarray, last: bool) -> np.ndarray:
    """Pattern -> its last (or first) position calling at `stop` or a platform of it, -1 none."""
    hits = np.flatnonzero((tt.pattern_stops == stop) | (station[tt.pattern_stops] == stop))
    pattern = np.searchsorted(tt.pattern_stop_offsets, hits, side="right") - 1
    pos = hits - tt.pattern_stop_offsets[pattern]
    n_patterns = len(tt.pattern_stop_offsets) - 1
    if last:
        out = np.full(n_patterns, -1, np.int64)
        np.maximum.at(out, pattern, pos)
        return out
    out = np.full(n_patterns, np.iinfo(np.int64).max)
    np.minimum.at(out, pattern, pos)
    return np.where(out == np.iinfo(np.int64).max, -1, out)


def _rank(net: CompiledNetwork, r: int) -> int:
    """How specific link r is, as the GTFS ranks transfers.txt rows: two trips (6), a trip and
    a route (4), a trip and a stop (3), two routes (2), a route and a stop (1)."""
    return sum(3 if int(getattr(net, f"link_{side}_trip")[r]) >= 0 else
               1 if int(getattr(net, f"link_{side}_route")[r]) >= 0 else 0 for side in ("from", "to"))


def _side(net: CompiledNetwork, tt: Timetable, trip_source: np.ndarray, route: np.ndarray, station: np.ndarray,
          r: int, side: str) -> tuple[np.ndarray, np.ndarray]:
    """The view trips of one side of link r (its trip's instances, or the trips of its route,
    or every trip, calling at its stop) and their positions there (the last call leaving,
    the first entering)."""
    trip, rte = int(getattr(net, f"link_{side}_trip")[r]), int(getattr(net, f"link_{side}_route")[r])
    if trip >= 0:
        trips = np.flatnonzero(trip_source == trip)
        return trips, np.full(len(trips), int(getattr(net, f"link_{side}_pos")[r]), np.int64)
    pos = _calls_at(tt, int(getattr(net, f"link_{side}_stop")[r]), station, side == "from")[tt.trip_pattern]
    trips = np.flatnonzero((pos >= 0) & (route == rte) if rte >= 0 else pos >= 0)
    return trips, pos[trips]


def _sides(net: CompiledNetwork, tt: Timetable, trip_source: np.ndarray, rows: np.ndarray):
    """For each link of `rows`: (row, the view trips and positions of both sides, the seconds
    from each first-side arrival to each second-side departure as (arrivals, sorted
    departures, their order))."""
    route = np.asarray(net.trip_route)[trip_source]
    parent = np.asarray(net.stop_parent)
    station = np.where(parent >= 0, parent, np.arange(len(parent)))
    for r in rows.tolist():
        (a, pos_a), (b, pos_b) = (_side(net, tt, trip_source, route, station, r, side) for side in ("from", "to"))
        if len(a) and len(b):
            arr = _time_at(tt, a, pos_a, tt.arrivals)
            dep = _time_at(tt, b, pos_b, tt.departures)
            order = np.argsort(dep, kind="stable")
            yield r, a, pos_a, b[order], pos_b[order], arr, dep[order]


def _route_links(net: CompiledNetwork, tt: Timetable, trip_source: np.ndarray, rows: np.ndarray):
    """(from view trip, from position, to view trip, to position, rank) of the guaranteed
    changes of rows with a side named by its route or its stop: each view trip of the first
    side calling at its stop joined, in each pattern of the second side, to the trip that
    leaves its stop first at or after the arrival (plus the minimum time), as the timetable
    of a timed transfer reads."""
    out = [[], [], [], [], []]
    for r, a, pos_a, b, pos_b, arr, dep in _sides(net, tt, trip_source, rows):
        wait = max(int(net.link_secs[r]), 0) if int(net.link_type[r]) == MIN_TIME else 0
        pattern_b = tt.trip_pattern[b]
        for p in np.unique(pattern_b).tolist():
            mine = np.flatnonzero(pattern_b == p)  # in departure order
            first = np.searchsorted(dep[mine], arr + wait, side="left")
            ok = first < len(mine)
            to = mine[first[ok]]
            differ = b[to] != a[ok]  # a trip's change to itself is none
            for part, values in zip(out, (a[ok], pos_a[ok], b[to], pos_b[to])):
                part.append(values[differ])
            out[4].append(np.full(int(differ.sum()), _rank(net, r)))
    return tuple(np.concatenate(v).astype(np.int64) if v else np.zeros(0, np.int64) for v in out)


def _refused_pairs(net: CompiledNetwork, tt: Timetable, trip_source: np.ndarray):
    """(from view trip, from position, to view trip, to position, rank) of the changes
    transfers.txt refuses between two trips or routes (or a trip or route and every trip at
    a stop): type 3, every later departure of the second side; type 2, those sooner than its
    minimum time (the stop's change time may allow them)."""
    link_type = np.asarray(net.link_type)
    rows = np.flatnonzero(np.isin(link_type, (NOT_POSSIBLE, MIN_TIME)))
    out = [[], [], [], [], []]
    for r, a, pos_a, b, pos_b, arr, dep in _sides(net, tt, trip_source, rows):
        wait = int(net.link_secs[r]) if int(link_type[r]) == MIN_TIME else None
        lo = np.searchsorted(dep, arr, side="left")
        hi = np.full(len(a), len(b)) if wait is None else np.searchsorted(dep, arr + wait, side="left")
        n = np.maximum(hi - lo, 0)
        which = np.repeat(np.arange(len(a)), n)
        j = np.concatenate([np.arange(x, y) for x, y in zip(lo, hi) if y > x]) if n.sum() else np.zeros(0, np.int64)
        differ = b[j] != a[which]
        for part, values in zip(out, (a[which], pos_a[which], b[j], pos_b[j])):
            part.append(values[differ])
        out[4].append(np.full(int(differ.sum()), _rank(net, r)))
    return tuple(np.concatenate(v).astype(np.int64) if v else np.zeros(0, np.int64) for v in out)


def _most_specific(pairs: tuple[np.ndarray, ...]) -> np.ndarray:
    """Of (from trip, from position, to trip, to position, rank) pairs, which to keep: where
    rules of transfers.txt meet on one change, the most specific decides (GTFS: transfer
    specificity)."""
    frm, frm_pos, to, to_pos, rank = pairs
    if not len(frm):
        return np.zeros(0, bool)
    _, group = np.unique(np.stack([frm, frm_pos, to, to_pos], axis=1), axis=0, return_inverse=True)
    group = group.ravel()
    best = np.full(group.max() + 1, -1, np.int64)
    np.maximum.at(best, group, rank)
    return rank == best[group]


@njit(cache=True)
def _pair_instances(from_trip, from_pos, to_trip, to_pos, wait, inst_offsets, inst_trips, trip_day, tt_parts):
    """For each compiled link (from_trip -> to_trip, seconds `wait` at least), each view
    instance of from_trip joined to the instance of to_trip of the same day or the next that
    leaves to_pos first at or after its arrival at from_pos plus wait. Returns the link
    index and the two view trips of each pair."""
    trip_pattern, stop_offsets, trip_offsets, time_offsets, arrivals, departures = tt_parts
    n_most = 0
    for i in range(from_trip.shape[0]):
        n_most += inst_offsets[from_trip[i] + 1] - inst_offsets[from_trip[i]]
    out_link = np.empty(n_most, np.int64)
    out_from = np.empty(n_most, np.int64)
    out_to = np.empty(n_most, np.int64)
    n = 0
    for i in range(from_trip.shape[0]):
        a, b = from_trip[i], to_trip[i]
        for x in range(inst_offsets[a], inst_offsets[a + 1]):
            va = inst_trips[x]
            p = trip_pattern[va]
            n_pos = stop_offsets[p + 1] - stop_offsets[p]
            need = arrivals[time_offsets[p] + (va - trip_offsets[p]) * n_pos + from_pos[i]] + wait[i]
            best, best_dep = -1, 0
            for y in range(inst_offsets[b], inst_offsets[b + 1]):
                vb = inst_trips[y]
                if trip_day[vb] != trip_day[va] and trip_day[vb] != trip_day[va] + 1:
                    continue
                q = trip_pattern[vb]
                m_pos = stop_offsets[q + 1] - stop_offsets[q]
                dep = departures[time_offsets[q] + (vb - trip_offsets[q]) * m_pos + to_pos[i]]
                if dep >= need and (best < 0 or dep < best_dep):
                    best, best_dep = vb, dep
            if best >= 0:
                out_link[n], out_from[n], out_to[n] = i, va, best
                n += 1
    return out_link[:n], out_from[:n], out_to[:n]


def view_links(net: CompiledNetwork, tt: Timetable, trip_source: np.ndarray,
               trip_day: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Timetable.trip_link_offsets and .trip_links of a day view, and the patterns whose
    boardings check REFUSED links (their pattern_mode takes the CONSTRAINED bit)."""
    link_type = np.asarray(net.link_type)
    by_trips = (np.asarray(net.link_from_trip) >= 0) & (np.asarray(net.link_to_trip) >= 0)
    used = np.flatnonzero(np.isin(link_type, (TIMED, MIN_TIME, IN_SEAT)) & by_trips)
    parts = [_route_links(net, tt, trip_source, np.flatnonzero(np.isin(link_type, (TIMED, MIN_TIME)) & ~by_trips))]
    kinds = [np.zeros(len(parts[0][0]), np.int64)]  # 0 guaranteed, 1 seated, 2 refused
    if len(used):
        order = np.argsort(trip_source, kind="stable")
        inst_offsets = np.zeros(len(net.trip_block) + 1, np.int64)
        np.cumsum(np.bincount(trip_source, minlength=len(net.trip_block)), out=inst_offsets[1:])
        wait = np.where(link_type[used] == MIN_TIME, np.asarray(net.link_secs)[used], 0).astype(np.int64)
        arrays = (tt.trip_pattern, tt.pattern_stop_offsets, tt.pattern_trip_offsets, tt.pattern_time_offsets,
                  tt.arrivals, tt.departures)
        frm_trip, frm_pos, to_trip, to_pos = (np.asarray(getattr(net, f"link_{name}"))[used].astype(np.int64)
                                              for name in ("from_trip", "from_pos", "to_trip", "to_pos"))
        link, va, vb = _pair_instances(frm_trip, frm_pos, to_trip, to_pos, wait, inst_offsets,
                                       order.astype(np.int64), trip_day, arrays)
        chosen = used[link]
        parts.append((va, frm_pos[link], vb, to_pos[link], np.full(len(va), 6, np.int64)))
        kinds.append((link_type[chosen] == IN_SEAT).astype(np.int64))
    parts.append(_refused_pairs(net, tt, trip_source))
    kinds.append(np.full(len(parts[-1][0]), 2, np.int64))
    rules = tuple(np.concatenate(v) for v in zip(*parts))
    keep = _most_specific(rules)
    kind = np.concatenate(kinds)[keep]
    blocks = _block_links(net, tt, trip_source, trip_day)
    frm, frm_pos, to, to_pos = (np.concatenate([b, v[keep]]).astype(np.int64) for b, v in zip(blocks, rules[:4]))
    kind = np.r_[np.ones(len(blocks[0]), np.int64), kind]
    gap = _time_at(tt, to, to_pos, tt.departures) - _time_at(tt, frm, frm_pos, tt.arrivals)
    gap = np.where(kind == 1, -1 - gap, np.where(kind == 2, REFUSED, gap))
    order = np.lexsort((to, frm_pos, frm))
    links = np.empty((len(frm), N_LINK_FIELDS), np.int32)
    links[:, L_FROM_POS], links[:, L_TO_TRIP] = frm_pos[order], to[order]
    links[:, L_TO_POS], links[:, L_GAP] = to_pos[order], gap[order]

    offsets = np.zeros(tt.n_trips + 1, np.int32)
    np.cumsum(np.bincount(frm, minlength=tt.n_trips), out=offsets[1:])
    return offsets, links, np.unique(tt.trip_pattern[to[kind == 2]])
