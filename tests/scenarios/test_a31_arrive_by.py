"""Arrive-by: the latest departures that arrive by the time asked, by the mirrored timetable.

The router runs its forward kernel on the timetable mirrored in time (router/mirror.py): each
test here is a rule of the forward timetable that the mirror must keep, seen from the
answer: the change time between two trips, boarding and alighting rules, one-way pathways,
staying seated through a block, guaranteed and refused changes, the wheelchair masks and
the step-free walks. Every answer is also checked leg by leg against the forward timetable
(tests/arrive_by_check.py), and the mirror of the mirror is the timetable itself.
"""

import datetime as dt

import numpy as np
import pytest

from trajet.router.mirror import MIRROR_T, forward_journey, mirror_router, mirror_timetable, plan_arrive_by
from trajet.router.query import QueryOptions
from trajet.router.timetable import CAN_ALIGHT, CAN_BOARD, CONSTRAINED, REFUSED, Timetable
from trajet.service.network import Network

from ..arrive_by_check import leg_problems, pareto_problems
from ..conftest import describe
from ..inline_gtfs import write_feed
from .test_a26_wheelchair import FIFO_FILES, FIFO_TRIPS, STOP_FILES, STOP_TRIPS, STRICT, WHEELCHAIR
from .test_a28_pathways import FILES as PATHWAY_FILES
from .test_a28_pathways import TRIPS as PATHWAY_TRIPS
from .test_a30_trip_links import LATE, LATER, REFUSAL_TRIPS, ROUTE_TRANSFERS, SEATED, TRIPS, transfers_txt, trips_txt

DATE = dt.date(2024, 3, 12)
CHANGE_TRIPS = {"t1": "A 08:00, B 08:10, C 08:20", "t2": "A 08:30, B 08:40, C 08:50",
                "u1": "B 08:15, D 08:30", "u2": "B 08:45, D 09:00", "u3": "B 09:15, D 09:30",
                "direct": "A 08:10, E 08:30, D 09:00"}


def legs(body: dict) -> list[dict]:
    return body["itineraries"][0]["legs"]


@pytest.mark.parametrize(("deadline", "expected"), [
    ("08:30", ["A 08:00 t1 B 08:10 / B 08:15 u1 D 08:30"]),
    ("08:59", ["A 08:00 t1 B 08:10 / B 08:15 u1 D 08:30"]),
    # latest departure first: two trips at 08:30, one trip at 08:10 (fewer trips, earlier)
    ("09:00", ["A 08:30 t2 B 08:40 / B 08:45 u2 D 09:00", "A 08:10 direct D 09:00"]),
    ("09:20", ["A 08:30 t2 B 08:40 / B 08:45 u2 D 09:00", "A 08:10 direct D 09:00"]),
])
def test_the_latest_departures_that_arrive_by_the_time(plan, deadline, expected):
    assert plan(CHANGE_TRIPS, "A", "D", deadline, arrive_by=True) == expected


def test_none_arrives_by_the_time_asked(plan):
    body = plan(CHANGE_TRIPS, "A", "D", "08:29", arrive_by=True, full=True)
    assert body["itineraries"] == []
    [error] = body["routingErrors"]
    assert (error["code"], error["inputField"]) == ("NO_TRANSIT_CONNECTION_IN_SEARCH_WINDOW", "time")
    assert error["description"] == ("no journey arrives by 08:29 on 2024-03-12; on that day journeys arrive later "
                                    "(the first at 08:30)")


def test_the_change_needs_the_slack_mirrored_too(plan):
    """`in` reaches B at 08:10 and `on` leaves at 08:11: the 120 s slack separates them in the
    mirror as forward (there, `on` arrives at B before `in` leaves it)."""
    assert plan(TRIPS, "A", "C", "08:20", arrive_by=True) == []
    assert plan(TRIPS, "A", "C", "08:20", arrive_by=True, options=QueryOptions(transfer_slack=60)) == [SEATED]
    assert plan(TRIPS, "A", "C", "08:40", arrive_by=True) == [LATE]


def test_boarding_and_alighting_rules_swap(plan):
    """A stop where forward one may only board is, mirrored, one where one may only alight."""
    trips = {"early": "A 07:30, B 07:40, C 07:50", "t": "A 08:00, B/nodropoff 08:10, C 08:20",
             "v": "A 09:00, B/nopickup 09:10, C 09:20"}
    assert plan(trips, "A", "B", "08:15", arrive_by=True) == ["A 07:30 early B 07:40"]  # not t
    assert plan(trips, "B", "C", "08:25", arrive_by=True) == ["B 08:10 t C 08:20"]
    assert plan(trips, "A", "B", "09:15", arrive_by=True) == ["A 09:00 v B 09:10"]
    assert plan(trips, "B", "C", "09:25", arrive_by=True) == ["B 08:10 t C 08:20"]  # not v


def test_one_way_pathways_are_walked_the_way_they_go(plan):
    """P1 -> P2 takes 70 s (walkway, stairs down); P2 -> P1 only the elevator, 100 s."""
    body = plan(PATHWAY_TRIPS, "A", "C", "08:30", arrive_by=True, files=PATHWAY_FILES, full=True)
    walk = legs(body)[1]
    assert (walk["from"]["stopId"], walk["to"]["stopId"], walk["duration"]) == ("P1", "P2", 70)
    assert walk["pathwayModes"] == ["walkway", "stairs"]
    # back: 09:10 + 100 s misses r1 (09:11:30) as forward
    assert plan(PATHWAY_TRIPS, "C", "A", "09:30", arrive_by=True, files=PATHWAY_FILES) == []
    body = plan(PATHWAY_TRIPS, "C", "A", "09:40", arrive_by=True, files=PATHWAY_FILES, full=True)
    assert (legs(body)[1]["pathwayModes"], legs(body)[2]["tripId"]) == (["elevator"], "r2")


def test_step_free_walks_of_the_mirror(plan):
    """A wheelchair user has no step-free way P1 -> P2 (stairs), the elevator P2 -> P1."""
    wheelchair = QueryOptions(wheelchair=True)
    assert plan(PATHWAY_TRIPS, "A", "C", "08:45", arrive_by=True, files=PATHWAY_FILES, options=wheelchair) == []
    body = plan(PATHWAY_TRIPS, "C", "A", "09:40", arrive_by=True, files=PATHWAY_FILES, options=wheelchair, full=True)
    assert (legs(body)[1]["pathwayModes"], legs(body)[2]["tripId"]) == (["elevator"], "r2")


def test_staying_seated_through_a_block(plan):
    body = plan(TRIPS, "A", "C", "08:20", arrive_by=True, files={"trips.txt": trips_txt({"in": "b1", "on": "b1"})},
                full=True)
    assert [describe(it) for it in body["itineraries"]] == [SEATED]
    assert [leg["interlineWithPreviousLeg"] for leg in legs(body)] == [False, True]
    assert body["itineraries"][0]["transfers"] == 0


@pytest.mark.parametrize(("row", "expected"), [
    (",,in,on,4,", [SEATED]),  # in-seat: interlined
    ("B,B,in,on,1,", [SEATED]),  # timed: kept although 60 s < the slack
    ("B,B,in,on,2,60", [SEATED]),
    ("B,B,in,on,2,180", []),  # 180 s needed: nothing arrives by 08:20
])
def test_guaranteed_changes(plan, row, expected):
    body = plan(TRIPS, "A", "C", "08:20", arrive_by=True, files={"transfers.txt": transfers_txt(row)}, full=True)
    assert [describe(it) for it in body["itineraries"]] == expected
    if expected:
        assert [leg["interlineWithPreviousLeg"] for leg in legs(body)] == [False, row.endswith(",4,")]


EARLY = "A 08:00 in B 08:10 / B 08:13 early C 08:20"


@pytest.mark.parametrize(("row", "by_0820", "by_0840"), [
    (None, [EARLY], [EARLY]),  # leaving at 08:00, the earliest arrival
    ("B,B,,,in,early,3,", [], [LATER]),  # forbidden: only `late`
    ("B,B,Rin,Rearly,,,3,", [], [LATER]),
    ("B,B,,,in,early,2,300", [], [LATER]),
    ("B,B,,,in,,3,", [], []),  # no change at B after `in` at all
])
def test_refused_changes(plan, row, by_0820, by_0840):
    files = {"transfers.txt": ROUTE_TRANSFERS + (row + "\n" if row else "")}
    assert plan(REFUSAL_TRIPS, "A", "C", "08:20", arrive_by=True, files=files) == by_0820
    assert plan(REFUSAL_TRIPS, "A", "C", "08:40", arrive_by=True, files=files) == by_0840


@pytest.mark.parametrize(("options", "deadline", "expected"), [
    (QueryOptions(), "08:34", "A 08:00 step C 08:30"),
    (WHEELCHAIR, "08:34", "A 07:50 early C 08:20"),  # step is not accessible
    (WHEELCHAIR, "08:39", "A 08:05 blank C 08:35"),  # unknown allowed by default
    (STRICT, "08:39", "A 07:50 early C 08:20"),
    (STRICT, "08:45", "A 08:10 low C 08:40"),
])
def test_the_wheelchair_masks(plan, options, deadline, expected):
    assert plan(FIFO_TRIPS, "A", "C", deadline, arrive_by=True, files=FIFO_FILES, options=options) == [expected]


def test_no_change_at_an_inaccessible_stop(plan):
    """Both leave A at 08:00: of the two, the journey that arrives earliest (router/mirror.py
    arrive_earliest)."""
    assert plan(STOP_TRIPS, "A", "Z", "08:40", arrive_by=True, files=STOP_FILES) == [
        "A 08:00 a X 08:10 / X 08:15 x Z 08:30"]
    assert plan(STOP_TRIPS, "A", "Z", "08:40", arrive_by=True, files=STOP_FILES, options=WHEELCHAIR) == [
        "A 08:00 a Y 08:20 / Y 08:25 y Z 08:40"]


def test_the_walk_alone_ends_at_the_deadline(plan):
    stops = {"A": (60.0, 25.0), "B": (60.003, 25.0)}
    assert plan({"t": "A 08:00, B 08:10"}, "A", "B", "09:00", arrive_by=True, direct=True, stops=stops) == [
        "A 08:55 walk B 09:00"]


# --- the mirrored timetable itself -------------------------------------------------------------
LINK_TRIPS = {**TRIPS, "x": "C 08:25, B 08:35, A 08:45", "y": "A 08:00, B 08:10, C 08:20"}
LINK_FILES = {
    "trips.txt": trips_txt({"in": "b1", "on": "b1"}, trips=LINK_TRIPS),
    "transfers.txt": ROUTE_TRANSFERS + "B,B,,,y,late,1,\nB,B,,,in,late,3,\nB,B,,,x,on,2,300\n",
}


@pytest.fixture
def view(tmp_path):
    """The day view of a feed with a block, guaranteed and refused changes, one-way pathways
    and boarding rules."""
    trips = {**LINK_TRIPS, **PATHWAY_TRIPS, "r": "A 09:00, B/nopickup 09:10, C/nodropoff 09:20"}
    files = {**LINK_FILES, "stops.txt": PATHWAY_FILES["stops.txt"] + "B,B,60.11,25.0,0,\n",
             "pathways.txt": PATHWAY_FILES["pathways.txt"]}
    network = Network.open([write_feed(tmp_path / "f", trips, files=files)], cache_dir=tmp_path / "c")
    return network.day(DATE)


def test_the_mirror_of_the_mirror_is_the_timetable(view):
    tt = view.tt
    assert len(tt.trip_links) >= 4 and (tt.trip_links[:, 3] == REFUSED).any()
    twice = mirror_timetable(mirror_timetable(tt))
    for name in Timetable._fields:
        np.testing.assert_array_equal(getattr(twice, name), getattr(tt, name), err_msg=name)


def test_patterns_run_backwards(view):
    tt, mirror = view.tt, mirror_timetable(view.tt)
    for trip in range(tt.n_trips):
        stops, arr, dep = tt.trip_calls(trip)
        m = int(tt.pattern_trip_offsets[tt.trip_pattern[trip]] + tt.pattern_trip_offsets[tt.trip_pattern[trip] + 1]
                - 1 - trip)
        m_stops, m_arr, m_dep = mirror.trip_calls(m)
        np.testing.assert_array_equal(m_stops, stops[::-1])
        np.testing.assert_array_equal(m_arr, MIRROR_T - dep[::-1])
        np.testing.assert_array_equal(m_dep, MIRROR_T - arr[::-1])
    rows = [tt.pattern_stop_rules[tt.pattern_stop_offsets[p]:tt.pattern_stop_offsets[p + 1]]
            for p in range(tt.n_patterns)]
    m_rows = [mirror.pattern_stop_rules[tt.pattern_stop_offsets[p]:tt.pattern_stop_offsets[p + 1]][::-1]
              for p in range(tt.n_patterns)]
    for fwd, back in zip(rows, m_rows):
        np.testing.assert_array_equal(fwd & CAN_BOARD, (back & CAN_ALIGHT) >> 1)
        np.testing.assert_array_equal(fwd & ~np.uint8(3), back & ~np.uint8(3))  # wheelchair, access bits kept
    # mirrored departures ascend within each pattern and position (FIFO)
    for p in range(tt.n_patterns):
        _, m_dep = mirror.pattern_trip_times(p)
        m_arr, _ = mirror.pattern_trip_times(p)
        assert (np.diff(m_dep, axis=1) >= 0).all() and (np.diff(m_arr, axis=1) >= 0).all()


def test_refusals_constrain_the_patterns_of_the_trips_left(view):
    """Forward `in` may not change to `late`: mirrored, `late` may not change to `in`, so the
    pattern of `in` checks its boardings."""
    tt, mirror = view.tt, mirror_timetable(view.tt)
    refused = tt.trip_links[:, 3] == REFUSED
    owners = np.repeat(np.arange(tt.n_trips), np.diff(tt.trip_link_offsets))
    assert {int(tt.trip_pattern[t]) for t in tt.trip_links[refused, 1]} == set(
        np.flatnonzero(tt.pattern_mode & CONSTRAINED).tolist())
    assert {int(tt.trip_pattern[t]) for t in owners[refused]} == set(
        np.flatnonzero(mirror.pattern_mode & CONSTRAINED).tolist())


def test_footpaths_reverse(view):
    tt, mirror = view.tt, mirror_timetable(view.tt)
    def pairs(t):
        frm = np.repeat(np.arange(t.n_stops), np.diff(t.footpath_offsets))
        return {(int(a), int(b), int(d)) for a, b, d in zip(frm, t.footpath_to, t.footpath_duration)}
    assert pairs(mirror) == {(b, a, d) for a, b, d in pairs(tt)}
    assert any((b, a, d) not in pairs(tt) for a, b, d in pairs(tt))  # some walk is one-way


def test_every_answer_is_a_forward_journey_and_latest(view):
    """The issue's check (tests/arrive_by_check.py) between every pair of stops that trips
    serve, at deadlines through the morning."""
    router = view.router
    mirror = mirror_router(router)
    served = np.unique(router.tt.pattern_stops)
    n_checked = 0
    for deadline in range(8 * 3600, 10 * 3600, 300):
        for options in (QueryOptions(), QueryOptions(transfer_slack=60)):
            for a in served:
                for b in served:
                    if a != b:
                        problems, n = pareto_problems(router, mirror, [int(a)], [int(b)], deadline, options)
                        assert problems == [], (a, b, deadline)
                        n_checked += n
    assert n_checked > 200


def test_forward_journey_is_an_involution(view):
    router = view.router
    mirror = mirror_router(router)
    a, b = (int(s) for s in router.tt.pattern_stops[:2])
    result = plan_arrive_by(mirror, [(a, 0)], [(b, 0)], 12 * 3600)
    assert result.journeys
    for j in result.journeys:
        assert leg_problems(router.tt, j, QueryOptions()) == []
        assert forward_journey(router.tt, forward_journey(router.tt, j)) == j
