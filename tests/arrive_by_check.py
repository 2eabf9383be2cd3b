"""Checks of arrive-by answers against the forward timetable, shared by the scenario tests
(tests/scenarios/test_a31_arrive_by.py) and the real-feed ones (tests/test_arrive_by.py).

`leg_problems`: every leg of a journey is one of the forward timetable (a trip boarded and
left where its rules allow, at its times; a walk along a forward footpath, at its time), in
travel order with the change time between two trips.

`pareto_problems`: the issue's check. For each arrive-by journey J with k trips that leaves
at d: (1) a forward query leaving at d arrives by the deadline with at most k trips, and (2)
a forward query leaving at d + 1 s (so every later departure: the next departures from the
origins, walks included) arrives after the deadline with at most k trips. And the set is
complete: (3) with fewer trips than the fewest of J, no forward query from the start of the
view arrives by the deadline; none at all when the answer is empty.
"""

from __future__ import annotations

import numpy as np

from trajet.router.mirror import plan_arrive_by
from trajet.router.planner import Journey, Router
from trajet.router.query import QueryOptions
from trajet.router.timetable import CAN_ALIGHT, CAN_BOARD, L_GAP, L_TO_POS, L_TO_TRIP, NO_CHANGE, REFUSED, Timetable


def _linked(tt: Timetable, a, b) -> bool:
    """A link of the forward timetable (seated or guaranteed) from leg a's trip to leg b's."""
    lo, hi = tt.trip_link_offsets[a.trip], tt.trip_link_offsets[a.trip + 1]
    links = tt.trip_links[lo:hi]
    return bool(np.any((links[:, L_TO_TRIP] == b.trip) & (links[:, L_TO_POS] == b.board_pos)
                       & (links[:, L_GAP] != REFUSED)))


def leg_problems(tt: Timetable, journey: Journey, options: QueryOptions) -> list[str]:
    problems = []
    legs = journey.legs
    for i, leg in enumerate(legs):
        if leg.kind == "trip":
            stops, arr, dep = tt.trip_calls(leg.trip)
            pattern = int(tt.trip_pattern[leg.trip])
            rules = tt.pattern_stop_rules[tt.pattern_stop_offsets[pattern]:tt.pattern_stop_offsets[pattern + 1]]
            if not 0 <= leg.board_pos < leg.alight_pos < len(stops):
                problems.append(f"leg {i}: positions {leg.board_pos} -> {leg.alight_pos}")
                continue
            if (stops[leg.board_pos], stops[leg.alight_pos]) != (leg.from_stop, leg.to_stop):
                problems.append(f"leg {i}: stops {leg.from_stop} -> {leg.to_stop} are not the trip's")
            if (dep[leg.board_pos], arr[leg.alight_pos]) != (leg.t_dep, leg.t_arr):
                problems.append(f"leg {i}: times {leg.t_dep} -> {leg.t_arr} are not the trip's "
                                f"{dep[leg.board_pos]} -> {arr[leg.alight_pos]}")
            if not leg.interline and not rules[leg.board_pos] & CAN_BOARD:
                problems.append(f"leg {i}: boards where boarding is not allowed")
            after = legs[i + 1] if i + 1 < len(legs) else None
            if not (after is not None and after.interline) and not rules[leg.alight_pos] & CAN_ALIGHT:
                problems.append(f"leg {i}: alights where alighting is not allowed")
        elif leg.from_stop >= 0 and leg.to_stop >= 0:
            lo, hi = tt.footpath_offsets[leg.from_stop], tt.footpath_offsets[leg.from_stop + 1]
            hits = np.flatnonzero(tt.footpath_to[lo:hi] == leg.to_stop)
            if not len(hits):
                problems.append(f"leg {i}: no forward footpath {leg.from_stop} -> {leg.to_stop}")
            elif leg.t_arr - leg.t_dep != tt.footpath_duration[lo + hits[0]]:
                problems.append(f"leg {i}: walk of {leg.t_arr - leg.t_dep} s, the footpath takes "
                                f"{tt.footpath_duration[lo + hits[0]]}")
        if i and legs[i - 1].t_arr > leg.t_dep:
            problems.append(f"leg {i} leaves at {leg.t_dep} before the leg before arrives ({legs[i - 1].t_arr})")
    trips = [leg for leg in legs if leg.kind == "trip"]
    for a, b in zip(trips, trips[1:]):
        if a.to_stop == b.from_stop and not b.interline and not _linked(tt, a, b):
            change = int(tt.stop_change_time[a.to_stop])
            change = options.transfer_slack if change < 0 else change
            if change >= NO_CHANGE or a.t_arr + change > b.t_dep:
                problems.append(f"change at stop {a.to_stop}: {b.t_dep - a.t_arr} s, it needs {change}")
    return problems


def best_within(router: Router, origins, targets, options, k: int) -> int:
    """The earliest arrival at the targets with at most k trips of a forward query."""
    result = router.plan(origins, targets, options)
    return min((a for j, a in zip(result.journeys, result.arrivals) if j.n_trips <= k), default=np.iinfo(np.int32).max)


def pareto_problems(router: Router, mirror: Router, origin: list[int], destination: list[int], deadline: int,
                    options: QueryOptions) -> tuple[list[str], int]:
    """The module's checks (1)-(3) and leg_problems for the arrive-by query from the stops
    `origin` to the stops `destination` by `deadline`; returns the problems and the number
    of journeys checked.

    The two searches answer the same question as service/plan.py asks them: forward, from
    the origin stops and the stops one footpath from them, to the destination stops (the
    kernel walks into them); mirrored, from the destination stops and the stops one
    footpath into them, to the origin stops (the mirror's kernel walks into them)."""
    origins = [(s, 0) for s in origin] + [w for s in origin for w in router.footpaths_from(s, options)]
    targets = [(s, 0) for s in destination]
    mirror_starts = targets + [w for s in destination for w in mirror.footpaths_from(s, options)]
    result = plan_arrive_by(mirror, [(s, 0) for s in origin], mirror_starts, deadline, options)
    problems = []
    deps = [j.t_dep for j in result.journeys]
    if deps != sorted(deps, reverse=True):
        problems.append(f"not sorted latest departure first: {deps}")
    for j in result.journeys:
        k = j.n_trips
        problems += [f"{j}: {p}" for p in leg_problems(router.tt, j, options)]
        if j.t_arr > deadline:
            problems.append(f"{j} arrives at {j.t_arr}, after the deadline {deadline}")
        # origins with their access walks: the journey's first stop leaves at t_dep + access
        at = best_within(router, [(s, j.t_dep + secs) for s, secs in origins], targets, options, k)
        if at > deadline:
            problems.append(f"leaving at {j.t_dep} with <= {k} trips forward arrives at {at} > {deadline}")
        later = best_within(router, [(s, j.t_dep + 1 + secs) for s, secs in origins], targets, options, k)
        if later <= deadline:
            problems.append(f"leaving at {j.t_dep + 1} with <= {k} trips forward arrives at {later} <= {deadline}")
    fewest = min((j.n_trips for j in result.journeys), default=options.max_transfers + 2)
    if fewest > 1:
        start = int(min(router.tt.departures.min(initial=0), 0))
        early = best_within(router, [(s, start + secs) for s, secs in origins], targets, options, fewest - 1)
        if early <= deadline:
            problems.append(f"a forward journey with < {fewest} trips arrives at {early} <= {deadline}; "
                            "the arrive-by answer has none")
    return problems, len(result.journeys)
