"""RAPTOR against an independent oracle on real feeds: the same Pareto set, valid journeys.

For random queries on a busy day of real feeds, `Network.plan` (RAPTOR on the day view) must
give, for every k = 1..max_transfers + 1, the same earliest arrival with at most k trips as
tests/reference.py (a connection scan built straight from the compiled network). Every journey
RAPTOR returns is also checked leg by leg against the day view and the compiled network.

The routing model both implement:
- origins: the query's stop (and its child platforms when it is a station) ready at t0, plus
  the stops one footpath away (walk_m <= max_walk_m) ready at t0 + duration;
- a trip is boarded at a stop where boarding is allowed when the journey is ready there no
  later than the departure, and left at a later stop where alighting is allowed;
- after leaving a trip at s at time a: ready at s at a + change(s) (stop_change_time, else the
  slack; never where it is forbidden); ready at w at a + d after a footpath s -> w of d seconds if
  walk_m == 0 or d >= slack, else at a + slack; never two footpaths in a row;
- destination: its stop and child platforms, by a trip or by one footpath after a trip.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from trajet.feeds.compiled import CHANGE_FORBIDDEN, DROP_OFF, PICKUP
from trajet.router.mirror import mirror_time
from trajet.router.query import QueryOptions
from trajet.router.timetable import CAN_ALIGHT, CAN_BOARD
from trajet.service.network import Network

from .inline_gtfs import write_feed
from .range_check import range_mismatch, reachable_pair
from .reference import (
    ALIGHT_BIT,
    BOARD_BIT,
    FORBIDDEN_CHANGE,
    NEVER,
    Reference,
    day_start,
)

FEEDS_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "feeds"
# feed (several joined by "+": one merged network) -> number of random queries (1100 in all).
# amtrak-2021, nyc-lirr and helsinki have stops where boarding or alighting is not allowed;
# amtrak-2021 has trips of 3 days; amtrak-2021+caltrain+bart times two timezones (the view
# origin is New York's, the Bay Area trips are shifted by 3 h).
FEEDS = {
    "amtrak-2021": 200,
    "nyc-subway": 150,
    "poa-eptc": 100,
    "helsinki": 150,
    "region-nord": 100,
    "hart-tampa": 100,
    "bart": 50,
    "caltrain": 50,
    "nyc-lirr": 100,
    "amtrak-2021+caltrain+bart": 100,
}
SEED = 20240611
DAY_FROM, DAY_TO = 5 * 3600, 22 * 3600  # departure times are drawn in [05:00, 22:00)
STATION_SHARE = 0.25  # share of endpoints named by their parent station when they have one


def test_reference_restates_the_compiled_constants():
    assert (BOARD_BIT, ALIGHT_BIT, FORBIDDEN_CHANGE) == (int(PICKUP), int(DROP_OFF), int(CHANGE_FORBIDDEN))


class Feed:
    """A network, its reference planner and the busy date the queries use."""

    def __init__(self, name: str, network: Network):
        self.name = name
        self.network = network
        self.net = network.net
        self.ref = Reference(network.net, network.meta)
        net = self.net
        running = np.asarray(net.service_active)[np.asarray(net.trip_service)]  # (trip, day)
        busiest = int(np.argmax(running.sum(axis=0)))
        self.date = network.bitmap_start + dt.timedelta(days=busiest)  # day 0 of service_active
        trips = np.flatnonzero(running[:, busiest])
        p_lo = np.asarray(net.pattern_stop_offsets)
        stops = np.asarray(net.pattern_stops)
        patterns = np.unique(np.asarray(net.trip_pattern)[trips])
        self.served = np.unique(np.concatenate([stops[p_lo[p]:p_lo[p + 1]] for p in patterns]))
        self.tz = ZoneInfo(str(net.feed_timezone[0]))


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("oracle-compiled")


@pytest.fixture(scope="module", params=list(FEEDS))
def feed(request, cache_dir) -> Feed:
    paths = [FEEDS_DIR / f"{name}.zip" for name in request.param.split("+")]
    for path in paths:
        if not path.exists():
            pytest.skip(f"{path} is absent: the real feeds of ../shared are not next to this checkout")
    return Feed(request.param, Network.open(paths, cache_dir=cache_dir))


# --- queries -------------------------------------------------------------------------------
def random_queries(feed: Feed, n: int, seed: int, walks: tuple[int, ...] = (0, 400), origins=None):
    """n seeded queries: (from_id, to_id, seconds, QueryOptions). Query i walks at most
    walks[i % len(walks)] metres between stops; when `origins` (stop indices) is given, every
    third query starts at one of them (tests/test_territories.py: rail stations)."""
    rng = np.random.default_rng([seed, sum(feed.name.encode())])
    net, ref = feed.net, feed.ref
    parent = np.asarray(net.stop_parent)
    queries = []
    while len(queries) < n:
        ends = []
        stops = rng.choice(feed.served, 2, replace=False)
        if origins is not None and len(queries) % 3 == 0:
            stops[0] = rng.choice(origins)
        for stop in stops:
            if parent[stop] >= 0 and rng.random() < STATION_SHARE:
                stop = parent[stop]
            ends.append(str(net.stop_id[stop]))
        if set(ref.stops_of(ends[0])) & set(ref.stops_of(ends[1])):
            continue  # the same place: Network.plan refuses it
        i = len(queries)
        options = QueryOptions(
            max_direct_s=0,  # the reference answers with trips only
            max_transfers=int(rng.integers(0, 4)) if rng.random() < 0.15 else QueryOptions().max_transfers,
            transfer_slack=60 if rng.random() < 0.3 else 120,
            max_transfer_walk_m=walks[i % len(walks)],
        )
        queries.append((ends[0], ends[1], int(rng.integers(DAY_FROM, DAY_TO)), options))
    return queries


# --- formatting for failure messages ---------------------------------------------------------
def clock(feed: Feed, origin: int, t: int) -> str:
    if t >= NEVER or t >= 2**31 - 1:
        return "never"
    local = dt.datetime.fromtimestamp(origin + int(t), feed.tz)
    days = (local.date() - feed.date).days
    return local.strftime("%H:%M:%S") + (f"{days:+d}d" if days else "") + f" ({int(t)})"


def describe_query(feed: Feed, q) -> str:
    frm, to, secs, o = q
    hms = f"{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}"
    return (f"[{feed.name}] network.plan({frm!r}, {to!r}, dt.date({feed.date.year}, {feed.date.month}, "
            f"{feed.date.day}), {secs}, QueryOptions(max_transfers={o.max_transfers}, "
            f"transfer_slack={o.transfer_slack}, max_transfer_walk_m={o.max_transfer_walk_m}, max_direct_s=0))"
            f"  # leaves {hms}")


def describe_legs(feed: Feed, view, journey) -> str:
    net = feed.net
    lines = []
    for leg in journey.legs:
        what = "walk"
        if leg.kind == "trip":
            src = int(view.trip_source[leg.trip])
            what = f"trip {net.trip_id[src]} (view trip {leg.trip}, day {int(view.trip_day[leg.trip]):+d}, " \
                   f"pos {leg.board_pos}->{leg.alight_pos})"
        lines.append(f"      {net.stop_id[leg.from_stop]} [{leg.from_stop}] {clock(feed, view.origin, leg.t_dep)} "
                     f"{what} {net.stop_id[leg.to_stop]} [{leg.to_stop}] {clock(feed, view.origin, leg.t_arr)}")
    return "\n".join(lines)


def describe_mismatch(feed: Feed, q, result, view, answer, problems) -> str:
    raptor = [(j.n_trips, clock(feed, view.origin, a)) for j, a in zip(result.journeys, result.arrivals)]
    oracle = [(k, clock(feed, answer.origin, a)) for k, a in answer.pareto()]
    text = [describe_query(feed, q),
            f"    t0 = {clock(feed, answer.origin, answer.t0)}",
            f"    RAPTOR    (trips, arrival): {raptor}",
            f"    reference (trips, arrival): {oracle}"]
    text += [f"    problem: {p}" for p in problems]
    for j in result.journeys:
        text.append(f"    RAPTOR journey with {j.n_trips} trip(s):")
        text.append(describe_legs(feed, view, j))
    return "\n".join(text)


def fail_on(name: str, failures: list[str], n_queries: int) -> None:
    """Fail the test with the first five mismatches described, when there are any."""
    if failures:
        pytest.fail(f"[{name}] {len(failures)} of {n_queries} queries disagree or return invalid journeys; "
                    f"the first ones:\n\n" + "\n\n".join(failures[:5]), pytrace=False)


# --- journey validation ------------------------------------------------------------------------
def trip_link(feed: Feed, view, leg, nxt) -> str | None:
    """"seated" or "guaranteed" when the reference links the two legs' trip instances at
    their positions, else None."""
    ref = feed.ref
    if getattr(ref, "link_index", None) is None:
        conn = ref.connections(feed.date)
        instance = {(int(t), int(d)): i for i, (t, d) in enumerate(zip(conn.inst_trip, conn.inst_day))}
        links = {(frm, pos_a, to, pos_b): seated for frm, pos_a, to, pos_b, seated in ref.instance_links(feed.date)}
        ref.link_index = instance, links
    instance, links = ref.link_index
    a = instance.get((int(view.trip_source[leg.trip]), int(view.trip_day[leg.trip])))
    b = instance.get((int(view.trip_source[nxt.trip]), int(view.trip_day[nxt.trip])))
    seated = links.get((a, leg.alight_pos, b, nxt.board_pos))
    return None if seated is None else "seated" if seated else "guaranteed"


def footpath_ok(feed: Feed, frm: int, to: int, seconds: int, max_walk_m: int):
    """walk_m of a footpath frm -> to of exactly `seconds` under the limit, else None."""
    for w, duration, walk_m in feed.ref.footpaths(frm, max_walk_m):
        if w == to and duration == seconds:
            return walk_m
    return None


def trip_leg_problems(feed: Feed, view, leg) -> list[str]:
    """A trip leg against the day view and, independently, the compiled network."""
    net, tt = feed.net, view.router.tt
    out = []
    if not 0 <= leg.trip < tt.n_trips:
        return [f"trip leg names view trip {leg.trip}, not in the view"]
    pattern = int(np.searchsorted(tt.pattern_trip_offsets, leg.trip, side="right") - 1)
    arrs, deps = tt.pattern_trip_times(pattern)
    j = leg.trip - int(tt.pattern_trip_offsets[pattern])
    n_pos = arrs.shape[0]
    if not 0 <= leg.board_pos < leg.alight_pos < n_pos:
        return [f"trip leg positions {leg.board_pos}->{leg.alight_pos} invalid on a pattern of {n_pos} stops"]
    lo = int(tt.pattern_stop_offsets[pattern])
    ends = (int(tt.pattern_stops[lo + leg.board_pos]), int(tt.pattern_stops[lo + leg.alight_pos]))
    if ends != (leg.from_stop, leg.to_stop):
        out.append("trip leg stops are not the pattern's stops at its positions")
    if not tt.pattern_stop_rules[lo + leg.board_pos] & CAN_BOARD:
        out.append("trip leg boards where boarding is not allowed")
    if not tt.pattern_stop_rules[lo + leg.alight_pos] & CAN_ALIGHT:
        out.append("trip leg alights where alighting is not allowed")
    if (int(deps[leg.board_pos, j]), int(arrs[leg.alight_pos, j])) != (leg.t_dep, leg.t_arr):
        out.append(f"trip leg times {leg.t_dep}->{leg.t_arr} are not the view trip's "
                   f"{int(deps[leg.board_pos, j])}->{int(arrs[leg.alight_pos, j])}")
    # the same instance straight from the compiled network
    src, rel = int(view.trip_source[leg.trip]), int(view.trip_day[leg.trip])
    day = feed.date + dt.timedelta(days=rel)
    d = (day - feed.network.bitmap_start).days
    if not (0 <= d < feed.ref.n_days and net.service_active[net.trip_service[src], d]):
        out.append(f"trip {net.trip_id[src]} does not run on {day}")
    tz = str(net.feed_timezone[net.service_feed[net.trip_service[src]]])
    shift = day_start(day, tz) - view.origin
    t_lo = int(net.trip_time_offsets[src])
    p_lo = int(net.pattern_stop_offsets[net.trip_pattern[src]])
    expect = (int(net.pattern_stops[p_lo + leg.board_pos]), int(net.pattern_stops[p_lo + leg.alight_pos]),
              int(net.stop_time_dep[t_lo + leg.board_pos]) + shift,
              int(net.stop_time_arr[t_lo + leg.alight_pos]) + shift)
    if expect != (leg.from_stop, leg.to_stop, leg.t_dep, leg.t_arr):
        out.append(f"trip leg {(leg.from_stop, leg.to_stop, leg.t_dep, leg.t_arr)} differs from the compiled "
                   f"trip {net.trip_id[src]} of {day}: {expect}")
    return out


def journey_problems(feed: Feed, view, journey, arrival: int, answer, q) -> list[str]:
    _, _, _, options = q
    slack, max_walk = options.transfer_slack, options.max_transfer_walk_m
    ref = feed.ref
    origins = set(ref.stops_of(q[0]))
    targets = set(answer.targets)
    legs = journey.legs
    out = []
    if not legs:
        return ["journey without legs"]
    if journey.n_trips == 0:
        out.append("journey without a trip")
    for i, leg in enumerate(legs):
        if leg.t_dep > leg.t_arr:
            out.append(f"leg {i} arrives before it leaves")
        if i and legs[i - 1].t_arr > leg.t_dep:
            out.append(f"leg {i} leaves before leg {i - 1} arrives")
        if i and legs[i - 1].to_stop != leg.from_stop and not leg.interline:
            out.append(f"leg {i} does not start where leg {i - 1} ends")
        if leg.kind == "trip":
            out += [f"leg {i}: {p}" for p in trip_leg_problems(feed, view, leg)]
        elif leg.kind == "walk":
            if i and legs[i - 1].kind == "walk":
                out.append(f"legs {i - 1} and {i} are two walks in a row")
            if footpath_ok(feed, leg.from_stop, leg.to_stop, leg.t_arr - leg.t_dep, max_walk) is None:
                out.append(f"walk leg {i} matches no footpath of {leg.t_arr - leg.t_dep} s under {max_walk} m")
        else:
            out.append(f"leg {i} of unknown kind {leg.kind!r}")
    if out:
        return out
    # boarding: the journey is ready at each boarding stop no later than the departure
    t0 = answer.t0
    first = legs[0]
    if first.kind == "walk":  # access walk from an origin
        if first.from_stop not in origins or first.to_stop in origins:
            out.append("the first walk does not lead from an origin stop to another stop")
        if first.t_dep < t0:
            out.append("the first walk starts before the departure time")
        ready, at = first.t_arr, first.to_stop
        rest = legs[1:]
        if not rest or rest[0].kind != "trip":
            out.append("the access walk is not followed by a trip")
    else:
        if first.from_stop not in origins:
            out.append(f"the first trip boards at {feed.net.stop_id[first.from_stop]}, not an origin stop "
                       f"(an access walk would be shown as a leg)")
        ready, at = t0, first.from_stop
        rest = legs
    i = 0
    while i < len(rest) and not out:
        leg = rest[i]
        if leg.from_stop != at or leg.t_dep < ready:
            out.append(f"trip leg from {feed.net.stop_id[leg.from_stop]} leaves at {leg.t_dep}, before the "
                       f"journey is ready there ({ready})")
            break
        a, s = leg.t_arr, leg.to_stop
        nxt = rest[i + 1] if i + 1 < len(rest) else None
        if nxt is None:
            break
        link = trip_link(feed, view, leg, nxt) if nxt.kind == "trip" else None
        if nxt.interline and link != "seated":
            out.append(f"leg {i + 1}: stays on board, but the reference's link between the trips is {link}")
        elif nxt.interline or link == "guaranteed":
            ready, at = nxt.t_dep, nxt.from_stop  # seated, or a change the feed guarantees
            i += 1
        elif nxt.kind == "trip":
            change = int(ref.change_time[s])
            if change == FORBIDDEN_CHANGE:
                out.append(f"changes trips at {feed.net.stop_id[s]} where changing is forbidden")
            change = slack if change < 0 else change
            ready, at = a + change, s
            i += 1
        else:
            if nxt.t_dep != a:
                out.append("a walk does not start when the trip before it arrives")
            duration = nxt.t_arr - nxt.t_dep
            walk_m = footpath_ok(feed, nxt.from_stop, nxt.to_stop, duration, max_walk)
            ready = a + duration if (walk_m == 0 or duration >= slack) else a + slack
            at = nxt.to_stop
            i += 2
    last = legs[-1]
    if last.to_stop not in targets:
        out.append(f"the last leg ends at {feed.net.stop_id[last.to_stop]}, not a destination stop")
    if last.t_arr != arrival:
        out.append(f"the last leg arrives at {last.t_arr}, the result says {arrival}")
    return out


def pareto_problems(result, max_trips: int) -> list[str]:
    out = []
    if len(result.arrivals) != len(result.journeys):
        out.append("as many arrivals as journeys expected")
    if list(result.arrivals) != sorted(result.arrivals):
        out.append("the journeys are not sorted by arrival")
    prev = None
    for j, a in sorted(zip(result.journeys, result.arrivals), key=lambda p: p[0].n_trips):
        if not 1 <= j.n_trips <= max_trips:
            out.append(f"a journey has {j.n_trips} trips, allowed 1..{max_trips}")
        if prev and not (j.n_trips > prev[0] and a < prev[1]):
            out.append("the journeys are not a Pareto set (more trips, strictly earlier each)")
        prev = (j.n_trips, a)
    return out


def best_by_trips(result, max_trips: int) -> list[int]:
    """Earliest arrival with at most k trips, k = 1..max_trips, from RAPTOR's Pareto set."""
    best = [int(NEVER)] * (max_trips + 1)
    for j, a in zip(result.journeys, result.arrivals):
        for k in range(j.n_trips, max_trips + 1):
            best[k] = min(best[k], int(a))
    return best[1:]


# --- a hand-made case for the reference itself ------------------------------------------------
def test_zero_second_chain_at_one_instant(tmp_path):
    """Three trips chained at 08:10 by 0 s rides and 0 s changes, listed in the wrong order:
    the reference must iterate that instant to a fixpoint, RAPTOR needs three rounds."""
    trips = {
        "c": "C 08:10, D 08:10",
        "b": "B 08:10, C 08:10",
        "a": "A 08:00, B 08:10",
        "slow": "A 08:00, D 08:30",
    }
    header = "from_stop_id,to_stop_id,transfer_type,min_transfer_time\n"
    path = write_feed(tmp_path / "feed", trips, files={"transfers.txt": header + "B,B,2,0\nC,C,2,0\n"})
    network = Network.open([path], cache_dir=tmp_path / "cache")
    date = dt.date(2024, 3, 12)
    result, view, *_ = network.plan("A", "D", date, 7 * 3600 + 55 * 60, QueryOptions(max_direct_s=0))
    answer = Reference(network.net, network.meta).plan("A", "D", date, 7 * 3600 + 55 * 60)
    at = lambda hh, mm: hh * 3600 + mm * 60  # noqa: E731  (the origin is midnight: no DST that day)
    assert answer.pareto() == [(1, at(8, 30)), (3, at(8, 10))]
    assert sorted((j.n_trips, a) for j, a in zip(result.journeys, result.arrivals)) == answer.pareto()


# --- the oracle test ---------------------------------------------------------------------------
def query_problems(feed: Feed, q) -> tuple[list[str], object, object, object]:
    """The checks of one query on feed.date: the same best arrival per number of trips as the
    reference, a Pareto set, valid journeys. Returns (problems, result, view, answer)."""
    frm, to, secs, options = q
    assert set(feed.network.stops_of(frm)) == set(feed.ref.stops_of(frm))
    result, view, *_ = feed.network.plan(frm, to, feed.date, secs, options)
    answer = feed.ref.plan(frm, to, feed.date, secs, max_transfers=options.max_transfers,
                           transfer_slack=options.transfer_slack, max_walk_m=options.max_transfer_walk_m)
    max_trips = options.max_transfers + 1
    problems = []
    if view.origin != answer.origin:
        problems.append(f"view origin {view.origin} != reference origin {answer.origin}")
    problems += pareto_problems(result, max_trips)
    got = best_by_trips(result, max_trips)
    want = [int(b) for b in answer.best[1:]]
    if got != want:
        problems.append("RAPTOR's earliest arrival with <= k trips differs from the reference's for k = "
                        + ", ".join(str(k + 1) for k in range(max_trips) if got[k] != want[k]))
    for j, a in zip(result.journeys, result.arrivals):
        problems += [f"journey of {j.n_trips} trip(s): {p}" for p in journey_problems(feed, view, j, a, answer, q)]
    return problems, result, view, answer


def test_raptor_agrees_with_the_reference(feed: Feed):
    queries = random_queries(feed, FEEDS[feed.name], SEED)
    failures, n_reached, n_journeys, n_multi = [], 0, 0, 0
    for q in queries:
        problems, result, view, answer = query_problems(feed, q)
        n_reached += bool(answer.pareto())
        n_journeys += len(result.journeys)
        n_multi += len(result.journeys) > 1
        if problems:
            failures.append(describe_mismatch(feed, q, result, view, answer, problems))
    print(f"\n[{feed.name}] {feed.date}: {len(queries)} queries, {len(queries) - len(failures)} agree, "
          f"{n_reached} reach the destination, {n_journeys} journeys checked, {n_multi} with several journeys")
    fail_on(feed.name, failures, len(queries))
    assert n_reached >= len(queries) // 5, f"[{feed.name}] too few queries reach their destination to test much"


RANGE_QUERIES = 12  # per feed
RANGE_WINDOW_S = 3600


@pytest.mark.parametrize("direction", ["forward", "mirrored"])
def test_range_queries_equal_the_pareto_union_of_single_departures(feed: Feed, direction: str):
    """rRAPTOR (Router.plan_range) against single queries at every departure that matters:
    for each time a trip can be caught at an origin stop in the window, the single query's
    journeys (some may leave after the window); the union, Pareto-filtered over (later departure,
    earlier arrival, fewer trips), is the range answer, with and without walks between
    stops, from a stop and the stops a footpath away (each with its walk's seconds). The
    same on the mirrored timetable (the Router that arrive-by windows search)."""
    view = feed.network.day(feed.date)
    router = view.router if direction == "forward" else view.mirror
    rng = np.random.default_rng([SEED, 11, sum(feed.name.encode()), direction == "mirrored"])
    failures, n_journeys = [], 0
    for i in range(RANGE_QUERIES):
        a, b = reachable_pair(router.tt, feed.served, rng, 1 + i % 2)
        options = QueryOptions(max_transfer_walk_m=(0, 400)[i % 2], max_transfers=(20, 2)[i % 3 == 2])
        t_first = feed.network.local_seconds(feed.date, int(rng.integers(DAY_FROM, DAY_TO))) - view.origin
        if direction == "mirrored":  # the window of arrivals up to that time, mirrored
            t_first = mirror_time(t_first)
        problem, n = range_mismatch(router, a, b, t_first, t_first + RANGE_WINDOW_S, options)
        n_journeys += n
        if problem:
            failures.append(f"{feed.net.stop_id[a]} -> {feed.net.stop_id[b]} from {t_first} s, {options}: {problem}")
    print(f"\n[{feed.name}] {RANGE_QUERIES} {direction} range queries of {RANGE_WINDOW_S} s, {n_journeys} journeys")
    fail_on(feed.name, failures, RANGE_QUERIES)
    if direction == "forward":  # mirrored, the sparse feeds (amtrak-2021, region-nord) find few or none
        assert n_journeys >= RANGE_QUERIES // 2, f"[{feed.name}] too few journeys to test much"
