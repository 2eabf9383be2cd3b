"""Seeded random GTFS feeds, small but full of the cases routers get wrong, for the oracle test.

`random_feed(seed)` draws a `RandomFeed`: a few clusters of stops (stops of one cluster lie
0-700 m apart, sometimes at one point, some grouped under a parent station with an
entrance; clusters lie ~3 km apart), a few routes and their trips, a calendar, and optional
frequencies.txt and transfers.txt. `RandomFeed.write(folder)` writes it as a zip with
tests/inline_gtfs.write_feed. The same seed always gives the same feed.

The hard cases it draws (`RandomFeed.features()` names those a feed has):
- overtaking: trips of one route run at different speeds, so an express leaving later
  arrives earlier (the day view splits such patterns until they are FIFO);
- loops (a route calling twice at a stop, sometimes twice in a row) and routes sharing a
  stop sequence (copies, reversals and sub-sequences of an earlier route);
- times past midnight: most trips run in a "busy window" that is often late in the
  evening, up to 27:00; a few start near 48:00 and a few run on for a day more;
- services on some days only (calendar.txt weekdays and date ranges, calendar_dates.txt
  added and removed days, or calendar_dates.txt alone), over a period that often spans a
  DST change;
- twin trips (the same times), zero-minute hops and dwells, times with seconds;
- frequencies.txt: template trips expanded over one or two windows (exact_times 0, 1 or
  empty), headways that do not divide the window;
- pickup_type / drop_off_type 1 (and 2, 3, which still allow it) at some stops, blank
  intermediate times (interpolated by the reader);
- transfers.txt: type 0/1 between distinct stops (a walk timed from the distance), type 2
  with min_transfer_time at one stop (the change time) or between two (a link), type 3 at one
  stop and between two, type 2 without a time, rules naming a parent station;
- stops close enough for generated footpaths (within RADIUS_M = 500 m walked) and farther;
- two feeds in different timezones in one network (`random_network`, one seed in six).

`RandomFeed.expected_trips()`, `runs()`, `expected_footpaths()` and
`expected_change_times()` restate, from the generator's own data, what compiling must give
(frequencies expanded, rules of the first and last stop, interpolated times, service days,
footpaths and change times from transfers.txt), so the compiler is checked independently
too: the reference planner reads the compiled network, so it cannot see a compile bug.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
import random
from dataclasses import dataclass, field
from pathlib import Path

from .inline_gtfs import write_feed

# DST changes of 2024 (the period of a feed often spans one); Tokyo has none
TIMEZONES = {
    "Europe/Helsinki": [dt.date(2024, 3, 31), dt.date(2024, 10, 27)],
    "America/New_York": [dt.date(2024, 3, 10), dt.date(2024, 11, 3)],
    "Australia/Sydney": [dt.date(2024, 4, 7), dt.date(2024, 10, 6)],
    "Asia/Tokyo": [dt.date(2024, 6, 3)],
}
METRES_PER_DEGREE = 111_195.0
PARTNER_SHARE = 1 / 6  # seeds whose network has a second feed
# feeds/footpaths.py WalkSettings defaults: radius of walked metres, detour factor, station change, speed
RADIUS_M, DETOUR, STATION_WALK_S, WALK_SPEED_M_S = 500, 1.3, 120, 1.33
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
H = 3600


@dataclass
class Stop:
    stop_id: str
    lat: float
    lon: float
    location_type: int = 0  # 0 stop or platform, 1 station, 2 entrance
    parent: str = ""


@dataclass
class Trip:
    """One trips.txt row and its stop_times; a time None is written blank (interpolated)."""

    trip_id: str
    route_id: str
    service_id: str
    stops: list[str]
    arr: list[int | None]
    dep: list[int | None]
    pickup: list[int]  # pickup_type per call
    dropoff: list[int]  # drop_off_type per call


@dataclass
class Frequency:
    trip_id: str
    start: int
    end: int
    headway: int
    exact_times: int | None  # None: left blank


@dataclass
class Service:
    service_id: str
    weekdays: tuple[int, ...] | None  # calendar.txt row (monday..sunday 0/1); None: no row
    start: dt.date
    end: dt.date
    added: list[dt.date] = field(default_factory=list)  # calendar_dates exception_type 1
    removed: list[dt.date] = field(default_factory=list)  # exception_type 2


@dataclass
class RandomFeed:
    seed: int
    name: str  # of the zip, so the prefix of its ids in a network of several feeds
    timezone: str
    period: tuple[dt.date, dt.date]  # first and last day a service may run
    stops: list[Stop]
    routes: dict[str, int]  # route_id -> route_type
    trips: list[Trip]
    services: list[Service]
    frequencies: list[Frequency]
    transfers: list[tuple[str, str, int, int | None]]  # from, to, type, min_transfer_time
    busy: int  # centre of the busy window, seconds of the service day

    # --- writing -----------------------------------------------------------------------
    def files(self) -> dict[str, str | None]:
        """Every file of the feed, name -> text (None: the file is left out)."""
        stops = "stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station\n" + "".join(
            f"{s.stop_id},Stop {s.stop_id},{s.lat:.7f},{s.lon:.7f},{s.location_type},{s.parent}\n" for s in self.stops)
        routes = "route_id,agency_id,route_short_name,route_long_name,route_type\n" + "".join(
            f"{r},A,{r},Route {r},{t}\n" for r, t in self.routes.items())
        trips = "route_id,service_id,trip_id\n" + "".join(
            f"{t.route_id},{t.service_id},{t.trip_id}\n" for t in self.trips)
        rows = ["trip_id,arrival_time,departure_time,stop_id,stop_sequence,pickup_type,drop_off_type"]
        for t in self.trips:
            seq = 0
            for p, stop in enumerate(t.stops):
                seq += 1 + (p * 7 + self.seed) % 3  # stop_sequence increasing with gaps
                rows.append(f"{t.trip_id},{hms(t.arr[p])},{hms(t.dep[p])},{stop},{seq},{t.pickup[p]},{t.dropoff[p]}")
        calendar = [s for s in self.services if s.weekdays is not None]
        dates = [(s.service_id, d, 1) for s in self.services for d in s.added]
        dates += [(s.service_id, d, 2) for s in self.services for d in s.removed]
        out = {
            "stops.txt": stops,
            "routes.txt": routes,
            "trips.txt": trips,
            "stop_times.txt": "\n".join(rows) + "\n",
            "calendar.txt": "service_id," + ",".join(WEEKDAYS) + ",start_date,end_date\n" + "".join(
                f"{s.service_id},{','.join(map(str, s.weekdays))},{s.start:%Y%m%d},{s.end:%Y%m%d}\n" for s in calendar)
            if calendar else None,
            "calendar_dates.txt": "service_id,date,exception_type\n" + "".join(
                f"{sid},{d:%Y%m%d},{kind}\n" for sid, d, kind in dates) if dates else None,
        }
        if self.frequencies:
            out["frequencies.txt"] = "trip_id,start_time,end_time,headway_secs,exact_times\n" + "".join(
                f"{f.trip_id},{hms(f.start)},{hms(f.end)},{f.headway},{'' if f.exact_times is None else f.exact_times}"
                "\n"
                for f in self.frequencies)
        if self.transfers:
            out["transfers.txt"] = "from_stop_id,to_stop_id,transfer_type,min_transfer_time\n" + "".join(
                f"{a},{b},{kind},{'' if secs is None else secs}\n" for a, b, kind, secs in self.transfers)
        return out

    def write(self, folder: Path) -> Path:
        return write_feed(folder, {}, name=self.name, timezone=self.timezone, files=self.files())

    # --- what the generator knows ---------------------------------------------------------
    @property
    def usable(self) -> list[str]:
        """Stops and platforms (location_type 0)."""
        return [s.stop_id for s in self.stops if s.location_type == 0]

    def served(self) -> list[str]:
        return sorted({s for t in self.trips for s in t.stops})

    def stations(self) -> list[str]:
        return [s.stop_id for s in self.stops if s.location_type == 1]

    def runs(self, service_id: str, day: dt.date) -> bool:
        """calendar.txt, then calendar_dates.txt, for one service and day."""
        s = next(s for s in self.services if s.service_id == service_id)
        if day in s.added:
            return True
        if day in s.removed:
            return False
        return s.weekdays is not None and s.start <= day <= s.end and bool(s.weekdays[day.weekday()])

    def expected_trips(self) -> list[tuple]:
        """(trip_id, service_id, stops, arrivals, departures, can board, can alight) of every
        trip compiling must give: frequency templates replaced by one trip per departure,
        blank times interpolated evenly by position (floor), nobody boarding at the last
        call nor alighting at the first."""
        windows: dict[str, list[Frequency]] = {}
        for f in self.frequencies:
            windows.setdefault(f.trip_id, []).append(f)
        out = []
        for t in self.trips:
            arr, dep = interpolated(t.arr, t.dep)
            n = len(t.stops)
            board = tuple(t.pickup[p] != 1 and p < n - 1 for p in range(n))
            alight = tuple(t.dropoff[p] != 1 and p > 0 for p in range(n))
            starts = [0]
            if t.trip_id in windows:
                starts = [f.start + i * f.headway - dep[0] for f in windows[t.trip_id]
                          for i in range(math.ceil((f.end - f.start) / f.headway))]
            for shift in starts:
                out.append((t.trip_id, t.service_id, tuple(t.stops), tuple(a + shift for a in arr),
                            tuple(d + shift for d in dep), board, alight))
        return out

    def expected_change_times(self) -> dict[str, int]:
        """Stop -> its change time: -2 forbidden (type 3), min_transfer_time of its one timed
        type 2 rule, -1 (the slack) without a rule; stops with two timed rules are left out."""
        children: dict[str, list[str]] = {}
        for s in self.stops:
            if s.parent:
                children.setdefault(s.parent, []).append(s.stop_id)
        named: dict[str, list[tuple[int, int | None]]] = {}
        for a, b, kind, secs in self.transfers:
            for x in children.get(a, [a]):
                if x in children.get(b, [b]) and (kind == 3 or (kind == 2 and secs is not None)):
                    named.setdefault(x, []).append((kind, secs))
        out = {}
        for s in self.stops:
            rules = named.get(s.stop_id, [])
            if any(kind == 3 for kind, _ in rules):
                out[s.stop_id] = -2
            elif len(rules) == 1:
                out[s.stop_id] = rules[0][1]
            elif not rules:
                out[s.stop_id] = -1
        return out

    def departures(self) -> dict[str, list[int]]:
        """Stop -> departure times (seconds of the service day) of the expected trips there."""
        out: dict[str, list[int]] = {}
        for trip in self.expected_trips():
            for stop, d, board in zip(trip[2], trip[4], trip[5]):
                if board:
                    out.setdefault(stop, []).append(d)
        return out

    def features(self) -> set[str]:
        """The hard cases this feed holds (for the coverage test)."""
        found = set()
        trips = self.expected_trips()
        by_route: dict[tuple, list[tuple]] = {}
        route_of = {t.trip_id: t.route_id for t in self.trips}
        for trip in trips:
            by_route.setdefault((route_of[trip[0]], trip[2]), []).append(trip)
        for group in by_route.values():
            for a in group:
                for b in group:
                    if a[4][0] < b[4][0] and any(b[3][p] < a[3][p] for p in range(1, len(a[2]))):
                        found.add("overtaking")
        sequences = [tuple(t.stops) for t in self.trips]
        if any(len(set(s)) < len(s) for s in sequences):
            found.add("loop")
        if any(a == b for s in sequences for a, b in zip(s, s[1:])):
            found.add("two calls in a row at one stop")
        routes_of_seq: dict[tuple, set] = {}
        for t in self.trips:
            routes_of_seq.setdefault(tuple(t.stops), set()).add(t.route_id)
        if any(len(r) > 1 for r in routes_of_seq.values()):
            found.add("routes sharing a stop sequence")
        if any(max(trip[3]) >= 24 * H for trip in trips):
            found.add("times past 24:00")
        if any(max(trip[3]) >= 48 * H for trip in trips):
            found.add("times past 48:00")
        if any(s.removed for s in self.services) or any(s.added for s in self.services):
            found.add("calendar_dates exceptions")
        if any(s.weekdays is not None and not all(s.weekdays) for s in self.services):
            found.add("services on some weekdays")
        if any(d in TIMEZONES[self.timezone] for d in days(*self.period)):
            found.add("DST change in the period")
        for f in self.frequencies:
            found.add(f"frequencies exact_times={f.exact_times}")
        if any(1 in t.pickup[:-1] for t in self.trips):
            found.add("pickup_type 1")
        if any(1 in t.dropoff[1:] for t in self.trips):
            found.add("drop_off_type 1")
        if any(None in t.arr for t in self.trips):
            found.add("blank times")
        station = set(self.stations())
        for a, b, kind, secs in self.transfers:
            where = "station" if a in station or b in station else ("one stop" if a == b else "two stops")
            found.add(f"transfer type {kind}{' timed' if kind == 2 and secs is not None else ''} at {where}")
        if station:
            found.add("parent stations")
        xy = {s.stop_id: (s.lat, s.lon) for s in self.stops}
        usable = self.usable
        close = [metres(xy[a], xy[b]) for i, a in enumerate(usable) for b in usable[i + 1:]]
        if any(m <= 450 for m in close):
            found.add("stops within walking distance")
        if any(m < 0.5 for m in close):
            found.add("stops at one point")
        return found


def hms(t: int | None) -> str:
    if t is None:
        return ""
    return f"{t // H:02d}:{t // 60 % 60:02d}:{t % 60:02d}"


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle metres (haversine), written again here rather than taken from feeds/geo.py."""
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b[1] - a[1]) / 2) ** 2
    return 2 * 6_371_000.0 * math.asin(min(1.0, math.sqrt(h)))


def interpolated(arr: list[int | None], dep: list[int | None]) -> tuple[list[int], list[int]]:
    """Blank times filled evenly by position between the timed calls around them, floored."""
    arr, dep = list(arr), list(dep)
    timed = [p for p, a in enumerate(arr) if a is not None]
    for lo, hi in zip(timed, timed[1:]):
        for p in range(lo + 1, hi):
            arr[p] = dep[p] = dep[lo] + (p - lo) * (arr[hi] - dep[lo]) // (hi - lo)
    return arr, dep


# --- the generator ----------------------------------------------------------------------------
def random_network(seed: int) -> list[RandomFeed]:
    """The feeds of one seed: one, or for about one seed in six two, the second in another
    timezone over the same days, its stops 100-350 m from the first's so that footpaths join
    the feeds (as amtrak-2021 + caltrain + bart do)."""
    first = random_feed(seed)
    if random.Random(f"{seed}/partner").random() >= PARTNER_SHARE:
        return [first]
    return [first, random_feed(seed, partner=first)]


def random_feed(seed: int, partner: RandomFeed | None = None) -> RandomFeed:
    """The feed of a seed, or the second feed of a seed's network (beside `partner`)."""
    r = random.Random(seed if partner is None else f"{seed}/b")
    if partner is None:
        name = f"random{seed}"
        timezone = r.choice(["Europe/Helsinki"] * 3 + ["America/New_York", "Australia/Sydney", "Asia/Tokyo"])
        if r.random() < 0.6:
            first = r.choice(TIMEZONES[timezone]) - dt.timedelta(days=r.randint(0, 5))
        else:
            first = dt.date(2024, 5, 6) + dt.timedelta(days=r.randint(0, 100))
        period = (first, first + dt.timedelta(days=r.randint(4, 9)))
        stops = _stops(r, 0.0)
    else:
        name = f"random{seed}b"
        timezone = r.choice([tz for tz in TIMEZONES if tz != partner.timezone])
        period = partner.period
        stops = _stops(r, r.uniform(100, 350) / METRES_PER_DEGREE)
    busy = r.choice([r.randint(6 * H, 20 * H), r.randint(21 * H, 27 * H), r.randint(22 * H, 25 * H)])
    routes, sequences = _routes(r, [s.stop_id for s in stops if s.location_type == 0])
    services = _services(r, period)
    trips, frequencies = _trips(r, routes, sequences, services, busy)
    feed = RandomFeed(seed, name, timezone, period, stops, routes, trips, services, frequencies, [], busy)
    feed.transfers = _transfers(r, feed)
    return feed


def _stops(r: random.Random, lat_shift: float) -> list[Stop]:
    out = []
    for c in range(r.randint(2, 5)):
        name = "ABCDE"[c]
        lat0, lon0 = 60.0 + 0.03 * c + lat_shift, 25.0 + r.uniform(-0.01, 0.01)  # clusters ~3.3 km apart
        members = []
        for j in range(r.randint(1, 4)):
            if members and r.random() < 0.12:
                lat, lon = members[-1].lat, members[-1].lon  # two stops at one point
            else:
                d = r.choice([r.uniform(0, 60), r.uniform(60, 250), r.uniform(250, 450), r.uniform(450, 700)])
                a = r.uniform(0, 2 * math.pi)
                lat = lat0 + d * math.cos(a) / METRES_PER_DEGREE
                lon = lon0 + d * math.sin(a) / (METRES_PER_DEGREE * math.cos(math.radians(lat0)))
            members.append(Stop(f"{name}{j}", lat, lon))
        if r.random() < 0.45:
            station = Stop(f"S{name}", lat0, lon0, 1)
            for m in members:
                if r.random() < 0.8:
                    m.parent = station.stop_id
            out.append(station)
            if r.random() < 0.3:
                out.append(Stop(f"E{name}", lat0 + 0.0003, lon0, 2, station.stop_id))
        out += members
    return out


def _routes(r: random.Random, usable: list[str]) -> tuple[dict[str, int], dict[str, list[str]]]:
    routes, sequences = {}, {}
    for i in range(r.randint(2, 7)):
        rid = f"r{i}"
        earlier = list(sequences.values())
        kind = r.choice(["line", "line", "line", "loop", "copy", "reverse", "sub"]) if earlier else "line"
        if kind == "loop" and len(usable) >= 3:
            seq = r.sample(usable, r.randint(2, min(5, len(usable))))
            if r.random() < 0.5 and len(seq) >= 2:
                seq = seq + [seq[0]]  # a circle line, back where it started
            else:
                k = r.randint(2, len(seq))
                seq = seq[:k] + [seq[r.randint(0, k - 2)]] + seq[k:]  # calls again at a stop it passed
            if seq[-1] == seq[-2]:
                seq = seq[:-1]
            if r.random() < 0.2:
                k = r.randrange(len(seq))
                seq = seq[:k + 1] + seq[k:]  # two calls in a row at one stop
        elif kind == "copy":
            seq = list(r.choice(earlier))
        elif kind == "reverse":
            seq = list(reversed(r.choice(earlier)))
        elif kind == "sub":
            base = r.choice(earlier)
            lo = r.randint(0, len(base) - 2)
            seq = base[lo:r.randint(lo + 2, len(base))]
        else:
            seq = r.sample(usable, r.randint(2, min(6, len(usable)))) if len(usable) >= 2 else usable * 2
        if len(seq) < 2:
            seq = r.sample(usable, 2)
        routes[rid] = r.choice([3, 3, 3, 3, 0, 2, 1])
        sequences[rid] = seq
    return routes, sequences


def _services(r: random.Random, period: tuple[dt.date, dt.date]) -> list[Service]:
    first, last = period
    all_days = days(first, last)
    out = [Service("ALL", (1,) * 7, first, last)]
    if r.random() < 0.3:
        out[0].removed.append(r.choice(all_days))
    if r.random() < 0.6:
        start = first + dt.timedelta(days=r.randint(0, 2))
        wk = Service("WK", (1, 1, 1, 1, 1, 0, 0), start, last)
        wk.removed += r.sample(all_days, r.randint(0, 2))
        wk.added += [d for d in r.sample(all_days, r.randint(0, 2)) if d not in wk.removed]
        out.append(wk)
    if r.random() < 0.4:
        mask = tuple(r.randint(0, 1) for _ in range(7))
        out.append(Service("SOME", mask, first, last - dt.timedelta(days=r.randint(0, 3))))
    if r.random() < 0.5:
        out.append(Service("DATES", None, first, last, added=sorted(r.sample(all_days, r.randint(1, 3)))))
    if r.random() < 0.1:  # everything in calendar_dates.txt, no calendar.txt
        out = [Service(s.service_id, None, first, last, added=[d for d in all_days if r.random() < 0.6] or [first])
               for s in out]
    return out


def _start(r: random.Random, busy: int) -> int:
    u = r.random()
    if u < 0.75:
        t = busy + r.randint(-100, 60) * 60
    elif u < 0.8:
        t = r.randint(44 * H, 48 * H)  # a trip of two service days
    else:
        t = r.randint(0, 27 * H)
    t = max(t, 0) // 60 * 60
    return t + (r.choice([0, 30, 15]) if r.random() < 0.15 else 0)


def _trips(r: random.Random, routes, sequences, services, busy):
    trips, frequencies = [], []
    service_ids = [s.service_id for s in services]
    weights = [4 if s == "ALL" else 1 for s in service_ids]
    for rid, seq in sequences.items():
        n = len(seq)
        hops = [r.choice([0, 1, 2, 3, 5, 8, 12, 20]) * 60 for _ in range(n - 1)]
        # rules of the route, sometimes changed by a trip (another pattern of the route)
        pickup = [r.choice([0] * 10 + [1, 1, 2, 3]) for _ in range(n)]
        dropoff = [r.choice([0] * 10 + [1, 1, 2, 3]) for _ in range(n)]
        for j in range(r.randint(1, 7)):
            factor = r.choice([1.0, 1.0, 1.0, 0.5, 0.3, 1.5, 2.0])
            t = _start(r, busy)
            arr, dep = [], []
            for p in range(n):
                if p:
                    t += max(0, round(hops[p - 1] * factor / 60) * 60 + r.choice([0, 0, 0, -60, 60, 30]))
                arr.append(t)
                t += r.choice([0, 0, 0, 0, 30, 60, 120])
                dep.append(t)
            if r.random() < 0.05:
                arr[-1] = dep[-1] = arr[-1] + 86400  # a trip running on for one more day
            blank = [0 < p < n - 1 and r.random() < 0.08 for p in range(n)]
            arr = [None if b else a for a, b in zip(arr, blank)]
            dep = [None if b else d for d, b in zip(dep, blank)]
            rules_p, rules_d = list(pickup), list(dropoff)
            if r.random() < 0.2:
                p = r.randrange(n)
                rules_p[p] = 1 - min(rules_p[p], 1)
            service = r.choices(service_ids, weights)[0] if trips else "ALL"  # some trip runs
            trips.append(Trip(f"{rid}t{j}", rid, service, list(seq), arr, dep, rules_p, rules_d))
            if r.random() < 0.05:  # a twin: another trip at the very same times
                trips.append(Trip(f"{rid}t{j}twin", rid, service, list(seq), list(arr), list(dep), rules_p, rules_d))
        if r.random() < 0.3:
            template = r.choice([t for t in trips if t.route_id == rid])
            for _ in range(r.choice([1, 1, 2])):
                start = max(0, busy + r.randint(-120, 60) * 60)
                end = start + r.randint(10, 180) * 60 + r.choice([0, 0, 1, 30])
                headway = r.choice([300, 420, 450, 600, 900, 1200, 1800, 3600])
                frequencies.append(Frequency(template.trip_id, start, end, headway, r.choice([0, 1, None])))
    return trips, frequencies


def _transfers(r: random.Random, feed: RandomFeed) -> list[tuple[str, str, int, int | None]]:
    served = feed.served()
    usable = feed.usable
    stations = feed.stations()
    xy = {s.stop_id: (s.lat, s.lon) for s in feed.stops}
    close = [(a, b) for a in usable for b in usable if a != b and metres(xy[a], xy[b]) < 600]
    out = []
    for _ in range(r.choice([0, 0, 1, 2, 3, 5, 8])):
        kind = r.choice(["change", "change", "link", "walk", "walk", "forbid_stop", "forbid_pair", "forbid_pair",
                         "station", "untimed", "same_walk"])
        s = r.choice(served)
        pair = r.choice(close) if close and r.random() < 0.7 else tuple(r.sample(usable, 2))
        if kind == "change":
            out.append((s, s, 2, r.choice([0, 30, 60, 180, 300, 600])))
        elif kind == "link":
            out.append((*pair, 2, r.choice([0, 30, 60, 120, 300, 900])))
        elif kind == "walk":
            out.append((*pair, r.choice([0, 1]), r.choice([None, None, 60])))
        elif kind == "forbid_stop":
            out.append((s, s, 3, None))
        elif kind == "forbid_pair":
            if out and r.random() < 0.3:
                pair = out[r.randrange(len(out))][:2]  # forbid a pair another rule links
            out.append((*pair, 3, None))
        elif kind == "station" and stations:
            st = r.choice(stations)
            other = r.choice([st, st, pair[0]])
            rule = r.choice([(2, r.choice([0, 60, 180, 300])), (3, None), (0, None)])
            out.append((st, other, *rule) if r.random() < 0.7 else (other, st, *rule))
        elif kind == "untimed":
            out.append((*r.choice([pair, (s, s)]), 2, None))
        else:
            out.append((s, s, r.choice([0, 1]), None))
    return out


def expected_footpaths(feeds: list[tuple[str, "RandomFeed"]]) -> dict[tuple[str, str], tuple[int, int] | None]:
    """(from, to) -> (seconds, metres walked) of the footpath compiling must give, None for
    none, over the feeds of one network (each with its id prefix), restated from
    feeds/footpaths.py's documented model:

    - edges: transfers.txt rows between distinct stops of a feed (a station standing for its
      children): type 3 forbids the pair; type 2 with a time gives it, types 0, 1 and 2
      without one the crow-fly walk x DETOUR; platforms of one station without a rule:
      max(STATION_WALK_S, that walk); these keep their time (metres 0). Between any other
      two stops or entrances (location_type 0 or 2, any feed) whose walk x DETOUR is within
      RADIUS_M: that walk, with its metres; footpaths end at stops (location_type 0) only;
    - closed: the quickest chain of edges (fewest seconds, then fewest metres) whose metres
      stay within RADIUS_M and seconds within max(RADIUS_M at walking speed, the longest
      edge), except that a pair with a rule or a station edge keeps its own time.

    An edge whose time two rules give differently, or whose walk is within a metre of the
    radius, is uncertain: the chains are worked out with it at its least and at its most (or
    absent), and only pairs on which both agree are returned."""
    stops = {pre + s.stop_id: s for pre, f in feeds for s in f.stops}
    station = {pre + s.stop_id: pre + s.parent if s.parent else "" for pre, f in feeds for s in f.stops}
    usable = [sid for sid, s in stops.items() if s.location_type == 0]
    walkable = [sid for sid, s in stops.items() if s.location_type in (0, 2)]  # entrances lead into stations
    rules: dict[tuple[str, str], list[tuple[int, int | None]]] = {}
    for pre, f in feeds:
        children: dict[str, list[str]] = {}
        for s in f.stops:
            if s.parent:
                children.setdefault(pre + s.parent, []).append(pre + s.stop_id)
        for a, b, kind, secs in f.transfers:
            if a == b and kind != 3 and not (kind == 2 and secs is not None):
                continue  # a stop (or station) to itself without a time: the slack (or the station's default)
            for x in children.get(pre + a, [pre + a]):
                for y in children.get(pre + b, [pre + b]):
                    if x != y:
                        rules.setdefault((x, y), []).append((kind, secs))

    def walk(x, y):
        return DETOUR * metres((stops[x].lat, stops[x].lon), (stops[y].lat, stops[y].lon))

    forbidden = {pair for pair, named in rules.items() if any(kind == 3 for kind, _ in named)}
    given: dict[tuple[str, str], tuple[int, int]] = {}  # pair -> (least, most) seconds
    for pair, named in rules.items():
        if pair not in forbidden:
            times = [secs if kind == 2 and secs is not None else math.ceil(walk(*pair) / WALK_SPEED_M_S)
                     for kind, secs in named]
            given[pair] = (min(times), max(times))
    for x in usable:
        for y in usable:
            if x != y and station[x] and station[x] == station[y] and (x, y) not in rules:
                secs = max(STATION_WALK_S, math.ceil(walk(x, y) / WALK_SPEED_M_S))
                given[(x, y)] = (secs, secs)
    walked: dict[tuple[str, str], tuple[int, bool]] = {}  # pair -> (metres, certain)
    for x in walkable:
        for y in walkable:
            m = walk(x, y)
            if x != y and (x, y) not in forbidden and m <= RADIUS_M + 1:
                walked[(x, y)] = (max(round(m), 1), abs(m - RADIUS_M) > 1)

    def closure(most: bool) -> dict:
        edges: dict[str, list[tuple[str, int, int]]] = {}
        for (x, y), (least, longest) in given.items():
            edges.setdefault(x, []).append((y, longest if most else least, 0))
        for (x, y), (m, certain) in walked.items():
            if (x, y) not in given and (certain or not most):
                edges.setdefault(x, []).append((y, math.ceil(m / WALK_SPEED_M_S), m))
        limit_s = max([math.ceil(RADIUS_M / WALK_SPEED_M_S)] + [t for out in edges.values() for _, t, _ in out])
        found = {}
        for source in edges:
            best = {source: (0, 0)}
            heap = [(0, 0, source)]
            done = set()
            while heap:
                t, m, v = heapq.heappop(heap)
                if v in done:
                    continue
                done.add(v)
                if v != source:
                    found[(source, v)] = (t, m)
                for w, dt_, dm in edges.get(v, []):
                    key = (t + dt_, m + dm)
                    if key[0] <= limit_s and key[1] <= RADIUS_M and w not in done and key < best.get(w, (1e18, 0)):
                        best[w] = key
                        heapq.heappush(heap, (*key, w))
        for pair, (least, longest) in given.items():
            found[pair] = (longest if most else least, 0)
        for pair in forbidden:  # even where a chain joins the two stops
            found.pop(pair, None)
        return found

    low, high = closure(False), closure(True)
    out: dict[tuple[str, str], tuple[int, int] | None] = {}
    for x in stops:
        for y in stops:
            if x != y and low.get((x, y)) == high.get((x, y)):
                out[(x, y)] = low.get((x, y)) if y in usable else None  # walks end where trips are boarded
    return out
