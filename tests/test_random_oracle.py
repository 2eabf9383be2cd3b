"""RAPTOR against the reference planner on seeded random feeds: runs everywhere, no ../shared.

tests/test_oracle.py compares `Network.plan` with tests/reference.py on real feeds, and skips
without them. Here each seed draws a small network full of hard cases (tests/random_feeds.py:
overtaking trips, loops, shared stop sequences, times past midnight, DST, calendar
exceptions, frequencies, pickup/drop-off rules, every kind of transfers.txt rule, parent
stations, close stops, sometimes a second feed in another timezone), compiles it with
`Network.open`, and runs random queries: origins and destinations among stops and stations
(and entrances), on any service day but often on a DST change and the two days after it,
leaving in the busy window, just before a trip instance leaves (on the clock of the date it
leaves on, whatever its service day), near midnight or anywhere, with any max transfers
(often small), slack and walking limit. For each query RAPTOR and the reference must give
the same earliest arrival with at most k trips for every k, and each journey RAPTOR returns
must be valid leg by leg (the checks of test_oracle.py).

The reference reads the compiled network, so it cannot see a compile bug: each seed also
checks the compiled trips (frequencies expanded, boarding rules, interpolated times), service
days, footpaths and change times against what the generator itself says they are.

`test_masked_queries_agree_with_the_reference` gives the seeds' stops and trips random
wheelchair_boarding, wheelchair_accessible and bikes_allowed, and queries them with the
wheelchair and bike masks (the reference leaves out the connections they refuse).

About 0.15 s a seed, most of it compiling. A failing seed is rerun alone with
`pytest tests/test_random_oracle.py -k "seed-17]"`; more seeds with TRAJET_RANDOM_SEEDS=2000.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from collections import Counter
from dataclasses import replace
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from trajet.router.mirror import mirror_time
from trajet.router.query import QueryOptions
from trajet.service.network import Network

from .arrive_by_check import pareto_problems as arrive_by_problems
from .inline_gtfs import write_feed
from .random_feeds import TIMEZONES, RandomFeed, days, expected_footpaths, random_network
from .range_check import range_mismatch
from .reference import Reference
from .test_oracle import (
    Feed,
    best_by_trips,
    describe_mismatch,
    journey_problems,
    pareto_problems,
    query_problems,
)

# seeds 0 .. N_SEEDS - 1; TRAJET_RANDOM_SEEDS=2000 runs more (about 0.2 s a seed, most of it compiling)
N_SEEDS = int(os.environ.get("TRAJET_RANDOM_SEEDS", 100))
QUERIES_PER_FEED = 100
COVERAGE_SEEDS = 100  # the seeds whose hard cases the coverage test counts
H = 3600


# --- queries -----------------------------------------------------------------------------------
def prefix(models: list[RandomFeed], model: RandomFeed) -> str:
    """The prefix of a feed's ids in the network: "NAME:" when there are several feeds."""
    return f"{model.name}:" if len(models) > 1 else ""


def random_queries(models: list[RandomFeed], network: Network, ref: Reference, seed: int, n: int):
    """n seeded (date, (from_id, to_id, seconds, QueryOptions)) on the network's service days."""
    r = random.Random(seed * 7919 + 1)
    served = [prefix(models, m) + s for m in models for s in m.served()]
    stations = [prefix(models, m) + s for m in models for s in m.stations()]
    departures = {prefix(models, m) + s: times for m in models for s, times in m.departures().items()}
    ids = [str(s) for s in network.net.stop_id]
    dates = days(network.first_date, network.last_date)
    tz = ZoneInfo(str(network.net.feed_timezone[0]))
    # the days of a DST change and the two after it, where trips of earlier days shift
    dst = [d for m in models for change in TIMEZONES[m.timezone] for d in days(change, change + dt.timedelta(days=2))
           if d in dates]
    # trip instances: (first feed's local date, seconds on its clock, stop id) of each boarding
    boardings = []
    for m in models:
        zone = ZoneInfo(m.timezone)
        for trip, service, stops, _, deps, board, _ in m.expected_trips():
            for day in days(*m.period):
                if m.runs(service, day):
                    noon = dt.datetime.combine(day, dt.time(12), tzinfo=zone)
                    boardings += [(noon - dt.timedelta(hours=12) + dt.timedelta(seconds=d), prefix(models, m) + s)
                                  for s, d, b in zip(stops, deps, board) if b]

    def endpoint() -> str:
        u = r.random()
        if u < 0.15 and stations:
            return r.choice(stations)
        return r.choice(ids) if u < 0.25 else r.choice(served)

    out = []
    for _ in range(50 * n):
        if len(out) == n:
            break
        frm, to = endpoint(), endpoint()
        if set(ref.stops_of(frm)) & set(ref.stops_of(to)):
            continue  # the same place: Network.plan refuses it
        date = r.choice(dst) if dst and r.random() < 0.3 else r.choice(dates)
        u = r.random()
        near = [d for s in ref.stops_of(frm) for d in departures.get(ids[s], [])]
        if u < 0.25 and boardings:
            # just before a trip instance leaves, on the clock of the date it leaves on
            instant, stop = r.choice(boardings)
            local = (instant - dt.timedelta(seconds=r.choice([0, 0, 1, 60, 900]))).astimezone(tz)
            if local.date() not in dates:
                continue
            frm, date = stop, local.date()
            secs = local.hour * H + local.minute * 60 + local.second
            if set(ref.stops_of(frm)) & set(ref.stops_of(to)):
                continue
        elif u < 0.4:
            secs = r.choice(models).busy + r.randint(-150, 30) * 60
        elif u < 0.65 and near:
            secs = r.choice(near) + r.choice([0, 0, 0, -1, 1, -60])  # at a departure, or just around it
        elif u < 0.85:
            secs = r.choice([r.randint(23 * H, 24 * H - 1), r.randint(0, 2 * H), 24 * H - 1, 0])
        else:
            secs = r.randrange(24 * H)
        options = QueryOptions(
            max_direct_s=0,  # the reference answers with trips only
            max_transfers=r.randint(0, 3) if r.random() < 0.3 else QueryOptions().max_transfers,
            transfer_slack=r.choice([0, 30, 60, 120, 120, 300, 900]),
            max_transfer_walk_m=0 if r.random() < 0.5 else r.choice([60, 150, 300, 450, 1000]),
        )
        out.append((date, (frm, to, secs % (24 * H), options)))
    return out


# --- the compiled network against the generator ------------------------------------------------
def compile_problems(models: list[RandomFeed], network: Network) -> list[str]:
    """The compiled trips, service days, footpaths and change times against what the
    generator says they are (random_feeds.RandomFeed.expected_*)."""
    net = network.net
    stop_id = [str(s) for s in net.stop_id]
    index = {s: i for i, s in enumerate(stop_id)}
    t_lo = np.asarray(net.trip_time_offsets)
    p_lo = np.asarray(net.pattern_stop_offsets)
    got = []
    for t in range(net.n_trips):
        p = int(net.trip_pattern[t])
        lo, hi = int(p_lo[p]), int(p_lo[p + 1])
        rules = [int(x) for x in net.pattern_stop_rules[lo:hi]]
        times = slice(int(t_lo[t]), int(t_lo[t + 1]))
        got.append((net.trip_id[t], str(net.service_id[net.trip_service[t]]),
                    tuple(stop_id[s] for s in net.pattern_stops[lo:hi]),
                    tuple(int(x) for x in net.stop_time_arr[times]), tuple(int(x) for x in net.stop_time_dep[times]),
                    tuple(bool(x & 1) for x in rules), tuple(bool(x & 2) for x in rules)))
    want = [(pre + trip, service, tuple(pre + s for s in stops), *rest)
            for m in models for pre in [prefix(models, m)]
            for trip, service, stops, *rest in m.expected_trips()]
    out = []
    if Counter(got) != Counter(want):
        missing, extra = Counter(want) - Counter(got), Counter(got) - Counter(want)
        out.append(f"compiled trips differ from the generator's: missing {list(missing)[:3]}, extra {list(extra)[:3]}")
    paths = {(stop_id[a], stop_id[b]): (int(d), int(m)) for a, b, d, m in zip(
        net.footpath_from, net.footpath_to, net.footpath_duration, net.footpath_walk_m)}
    if len(paths) != len(net.footpath_from):
        out.append("two compiled footpaths join the same two stops")
    for (a, b), want_path in expected_footpaths([(prefix(models, m), m) for m in models]).items():
        have = paths.get((a, b))
        if (have is None) != (want_path is None) or (
                have and (abs(have[0] - want_path[0]) > 1 or abs(have[1] - want_path[1]) > 1)):
            out.append(f"footpath {a} -> {b}: compiled (seconds, metres) {have}, expected {want_path}")
    # neither pathways nor streets here: a wheelchair user walks where everybody does (the
    # station default and crow-fly stay, feeds/step_free.py), so no stop has step-free walks of its own
    if len(net.step_free_footpath_stop):
        out.append(f"{len(net.step_free_footpath_stop)} stops with step-free walks of their own, without pathways "
                   "or streets")
    for m in models:
        pre = prefix(models, m)
        for stop, change in m.expected_change_times().items():
            have = int(net.stop_change_time[index[pre + stop]])
            if have != change:
                out.append(f"change time at {pre + stop}: compiled {have}, expected {change}")
    start = network.bitmap_start
    for s, sid in enumerate(str(x) for x in net.service_id):
        m = models[int(net.service_feed[s])]
        for d in range(net.service_active.shape[1]):
            day = start + dt.timedelta(days=d)
            if bool(net.service_active[s, d]) != m.runs(sid, day):
                out.append(f"service {sid} of {m.name} on {day}: compiled {bool(net.service_active[s, d])}, "
                           f"calendar says {m.runs(sid, day)}")
    return out


# --- the tests -----------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(N_SEEDS), ids=lambda s: f"seed-{s}")
def test_raptor_agrees_with_the_reference_on_a_random_feed(seed, tmp_path):
    models = random_network(seed)
    network = Network.open([m.write(tmp_path / m.name) for m in models], cache_dir=tmp_path / "cache")
    problems = compile_problems(models, network)
    feed = Feed("+".join(m.name for m in models), network)
    failures = []
    for date, q in random_queries(models, network, feed.ref, seed, QUERIES_PER_FEED):
        feed.date = date  # the Feed's date is the one its checks and descriptions use
        found, result, view, answer = query_problems(feed, q)
        if found:
            failures.append(describe_mismatch(feed, q, result, view, answer, found))
    if problems or failures:
        pytest.fail(f"[seed {seed}] " + "\n".join(problems) + f"\n{len(failures)} of {QUERIES_PER_FEED} queries "
                    "disagree or return invalid journeys; the first ones:\n\n" + "\n\n".join(failures[:3]),
                    pytrace=False)


def test_the_reference_never_leaves_a_trip_before_boarding_it(tmp_path):
    """Seeds 28 and 54 found it: a trip calls at Y, B, A and X at one instant and is boarded
    at A. The reference iterates that instant to a fixpoint, and its second pass once let the
    journey alight at B, a call of the same trip before A. Nothing goes from A to B."""
    path = write_feed(tmp_path / "feed", {"t": "Y 09:25, B 09:25, A 09:25, X 09:25"})
    network = Network.open([path], cache_dir=tmp_path / "cache")
    date = dt.date(2024, 3, 12)
    assert Reference(network.net, network.meta).plan("A", "B", date, 9 * H).pareto() == []
    assert network.plan("A", "B", date, 9 * H, QueryOptions(max_direct_s=0)).result.journeys == []
    assert Reference(network.net, network.meta).plan("A", "X", date, 9 * H).pareto() == [(1, 9 * H + 25 * 60)]


def test_the_generator_draws_every_hard_case():
    """Each hard case appears in enough seeds to be tested (a generator change that loses one fails here)."""
    networks = [random_network(seed) for seed in range(COVERAGE_SEEDS)]
    seen = Counter(f for models in networks for f in set().union(*(m.features() for m in models)))
    seen["two feeds in two timezones"] = sum(len(models) > 1 for models in networks)
    wanted = [
        "overtaking", "loop", "routes sharing a stop sequence", "times past 24:00", "times past 48:00",
        "calendar_dates exceptions", "services on some weekdays", "DST change in the period",
        "frequencies exact_times=0", "frequencies exact_times=1", "frequencies exact_times=None",
        "pickup_type 1", "drop_off_type 1", "blank times", "parent stations",
        "stops within walking distance", "stops at one point",
        "transfer type 0 at two stops", "transfer type 1 at two stops", "transfer type 2 timed at one stop",
        "transfer type 2 timed at two stops", "transfer type 3 at one stop", "transfer type 3 at two stops",
        "transfer type 2 timed at station", "transfer type 3 at station", "transfer type 2 at two stops",
        "two calls in a row at one stop", "two feeds in two timezones",
    ]
    print("\n" + "\n".join(f"{seen[f]:4d} seeds: {f}" for f in sorted(seen, key=lambda f: -seen[f])))
    rare = {f: seen[f] for f in wanted if seen[f] < 5}
    assert not rare, f"hard cases drawn by fewer than 5 of {COVERAGE_SEEDS} seeds: {rare}"


# --- wheelchair and bike masks --------------------------------------------------------------------
MASKED_SEEDS = 40
MASKED_QUERIES = 60


def with_accessibility(files: dict, seed: int) -> dict:
    """The feed's files with a random wheelchair_boarding per stop (blank, 0, 1 or 2; a
    platform's 0 is its station's) and wheelchair_accessible and bikes_allowed per trip, drawn
    from a generator of their own so the rest of the seed's feed is unchanged."""
    r = random.Random(f"{seed}/access")
    value = lambda: r.choice(["", "0", "1", "1", "1", "2"])  # noqa: E731
    stops, trips = files["stops.txt"].splitlines(), files["trips.txt"].splitlines()
    return dict(files, **{
        "stops.txt": "\n".join([stops[0] + ",wheelchair_boarding"] + [f"{row},{value()}" for row in stops[1:]]) + "\n",
        "trips.txt": "\n".join([trips[0] + ",wheelchair_accessible,bikes_allowed"]
                               + [f"{row},{value()},{value()}" for row in trips[1:]]) + "\n",
    })


def mask_problems(net, view, journey, options: QueryOptions) -> list[str]:
    """The trip legs against the compiled trips and stops (not the patterns the router reads)."""
    out = []
    wheelchair_ok = (1,) if options.wheelchair_unknown == "exclude" else (0, 1)
    bikes_ok = (0, 1) if options.bike_unknown == "allow" else (1,)
    for leg in journey.legs:
        if leg.kind != "trip":
            continue
        src = int(view.trip_source[leg.trip])
        if options.wheelchair and int(net.trip_wheelchair[src]) not in wheelchair_ok:
            out.append(f"trip {net.trip_id[src]} of wheelchair_accessible {int(net.trip_wheelchair[src])} ridden")
        if options.bike_on_board and int(net.trip_bikes[src]) not in bikes_ok:
            out.append(f"trip {net.trip_id[src]} of bikes_allowed {int(net.trip_bikes[src])} ridden with a bike")
        for stop in (leg.from_stop, leg.to_stop):
            if options.wheelchair and int(net.stop_wheelchair[stop]) not in wheelchair_ok:
                out.append(f"stop {net.stop_id[stop]} of wheelchair_boarding {int(net.stop_wheelchair[stop])} "
                           "boarded or alighted at")
    return out


@pytest.mark.parametrize("seed", range(MASKED_SEEDS), ids=lambda s: f"seed-{s}")
def test_masked_queries_agree_with_the_reference(seed, tmp_path):
    """Random feeds with random stop and trip accessibility, queried with wheelchair and bike
    masks: RAPTOR (pattern and stop masks in the kernel) and the reference (connections of
    the compiled trips and stops left out) give the same earliest arrival with at most k
    trips, and no journey rides a trip or uses a stop the masks refuse. Over the 40 seeds about
    1000 of the 2400 queries are answered otherwise than without the masks, and about 1000 reach
    their destination; leaving out any one mask or the pattern split fails nearly every seed."""
    models = random_network(seed)
    paths = [write_feed(tmp_path / m.name, {}, name=m.name, timezone=m.timezone,
                        files=with_accessibility(m.files(), seed)) for m in models]
    network = Network.open(paths, cache_dir=tmp_path / "cache")
    feed = Feed("+".join(m.name for m in models), network)
    r = random.Random(f"{seed}/masks")
    failures = []
    for date, (frm, to, secs, options) in random_queries(models, network, feed.ref, seed, MASKED_QUERIES):
        wheelchair = r.random() < 0.7
        options = replace(options, wheelchair=wheelchair, bike_on_board=not wheelchair or r.random() < 0.4,
                          wheelchair_unknown=r.choice(["allow", "exclude"]),
                          bike_unknown=r.choice(["allow", "exclude"]))
        feed.date = date
        q = (frm, to, secs, options)
        result, view, *_ = network.plan(frm, to, date, secs, options)
        answer = feed.ref.plan(frm, to, date, secs, max_transfers=options.max_transfers,
                               transfer_slack=options.transfer_slack, max_walk_m=options.max_transfer_walk_m,
                               wheelchair=options.wheelchair, wheelchair_unknown=options.wheelchair_unknown,
                               bike_on_board=options.bike_on_board, bike_unknown=options.bike_unknown)
        max_trips = options.max_transfers + 1
        found = pareto_problems(result, max_trips)
        if best_by_trips(result, max_trips) != [int(b) for b in answer.best[1:]]:
            found.append("RAPTOR's earliest arrivals with <= k trips differ from the masked reference's")
        for j, a in zip(result.journeys, result.arrivals):
            found += journey_problems(feed, view, j, a, answer, q) + mask_problems(network.net, view, j, options)
        if found:
            failures.append(describe_mismatch(feed, q, result, view, answer, found) + f"\n    {options}")
    if failures:
        pytest.fail(f"[seed {seed}] {len(failures)} of {MASKED_QUERIES} masked queries disagree; the first ones:\n\n"
                    + "\n\n".join(failures[:3]), pytrace=False)


ARRIVE_BY_SEEDS = 40
ARRIVE_BY_QUERIES = 30


@pytest.mark.parametrize("seed", range(ARRIVE_BY_SEEDS), ids=lambda s: f"seed-{s}")
def test_arrive_by_is_the_latest_forward_departure_on_a_random_feed(seed, tmp_path):
    """Arrive-by on the mirrored timetable of random feeds (overtaking, loops, DST, every
    transfers.txt rule, frequencies, boarding rules, stations) against forward RAPTOR, which
    the tests above check against the reference: tests/arrive_by_check.py's property, with
    the deadline two hours after the query's time, and the masks half of the time."""
    models = random_network(seed)
    network = Network.open([m.write(tmp_path / m.name) for m in models], cache_dir=tmp_path / "cache")
    ref = Reference(network.net, network.meta)
    r = random.Random(f"{seed}/arrive-by")
    failures, n_journeys = [], 0
    for date, (frm, to, secs, options) in random_queries(models, network, ref, seed, ARRIVE_BY_QUERIES):
        if r.random() < 0.5:
            options = replace(options, wheelchair=True, wheelchair_unknown=r.choice(["allow", "exclude"]))
        view = network.day(date)
        deadline = network.local_seconds(date, secs + 2 * H) - view.origin
        problems, n = arrive_by_problems(view.router, view.mirror, list(ref.stops_of(frm)), list(ref.stops_of(to)),
                                         deadline, options)
        n_journeys += n
        failures += [f"{frm} -> {to} on {date} by {deadline} ({options}): {p}" for p in problems]
    if failures:
        pytest.fail(f"[seed {seed}] " + "\n".join(failures[:5]), pytrace=False)
    assert n_journeys > 0


RANGE_SEEDS = 30
RANGE_QUERIES = 8


@pytest.mark.parametrize("seed", range(RANGE_SEEDS), ids=lambda s: f"seed-{s}")
def test_range_queries_equal_the_pareto_union_of_single_departures_on_a_random_feed(seed, tmp_path):
    """tests/range_check.py on random feeds (overtaking, loops, DST, every transfers.txt rule,
    frequencies, boarding rules, stations): one-hour windows, forward and on the mirrored
    timetable (arrive-by windows), from the stops of the generated queries."""
    models = random_network(seed)
    network = Network.open([m.write(tmp_path / m.name) for m in models], cache_dir=tmp_path / "cache")
    ref = Reference(network.net, network.meta)
    failures = []
    for i, (date, (frm, to, secs, options)) in enumerate(random_queries(models, network, ref, seed, RANGE_QUERIES)):
        view = network.day(date)
        router = view.mirror if i % 2 else view.router
        a, b = ref.stops_of(to if i % 2 else frm)[0], ref.stops_of(frm if i % 2 else to)[0]
        t = network.local_seconds(date, secs) - view.origin
        t_first = mirror_time(t + H) if i % 2 else t
        problem, _ = range_mismatch(router, int(a), int(b), t_first, t_first + H, options)
        if problem:
            failures.append(f"{'mirrored' if i % 2 else 'forward'} {frm} -> {to} on {date} from {secs} s "
                            f"({options}): {problem}")
    if failures:
        pytest.fail(f"[seed {seed}] " + "\n".join(failures[:5]), pytrace=False)
