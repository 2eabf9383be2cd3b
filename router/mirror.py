"""Arrive-by journeys: the timetable mirrored in time, searched forward by the same kernel.

A journey that arrives by a deadline and leaves as late as possible is, read backwards, a
journey that "leaves" the destination at the deadline and "arrives" at the origin as early
as possible in reversed time. `mirror_timetable` builds that reversed timetable as an
ordinary `Timetable` (every time t becomes MIRROR_T - t, every pattern and its trips run
backwards, boarding and alighting swap, footpaths and links between trips point the other
way), so an ordinary `Router` on it answers arrive-by queries with the kernel unchanged;
`forward_journey` turns its journeys back into journeys of the forward timetable.

Patterns keep their indices; a pattern's position i becomes n_positions - 1 - i and its
j-th trip (of n) the (n - 1 - j)-th, so a view trip of the mirror maps back by the same
involution (`mirror_trip`). router/README.md, "Arrive-by: the mirrored timetable", says why
each rule holds.
"""

from __future__ import annotations

from dataclasses import astuple

import numpy as np

from .planner import Journey, Leg, PlanResult, Router, Work, with_walks
from .query import QueryOptions
from .timetable import CAN_ALIGHT, CAN_BOARD, CONSTRAINED, L_FROM_POS, L_GAP, L_TO_POS, L_TO_TRIP, REFUSED, Timetable

# mirrored time = MIRROR_T - forward time: positive int32 for every time of a view (a few days
# around its origin) and every deadline asked of it, so UNREACHED keeps its meaning
MIRROR_T = 1 << 22  # 48.5 days in seconds; t + NO_CHANGE stays below 2**31


def mirror_time(t: int) -> int:
    """A time of the forward timetable in the mirror, and back (an involution)."""
    return MIRROR_T - t


def _reversed_rows(offsets: np.ndarray) -> np.ndarray:
    """Row r of a CSR segment [lo, hi) -> lo + hi - 1 - r: each segment reversed in place."""
    lo, hi = offsets[:-1].astype(np.int64), offsets[1:].astype(np.int64)
    n = hi - lo
    return np.repeat(lo + hi - 1, n) - np.arange(int(offsets[-1]), dtype=np.int64)


def mirror_trip(tt: Timetable, trip: int) -> int:
    """The mirror's view trip of a forward view trip, and back (same pattern, reversed order)."""
    pattern = int(tt.trip_pattern[trip])
    return int(tt.pattern_trip_offsets[pattern] + tt.pattern_trip_offsets[pattern + 1] - 1 - trip)


def mirror_position(tt: Timetable, trip: int, pos: int) -> int:
    """The mirror's position of position `pos` of a trip's pattern, and back."""
    pattern = int(tt.trip_pattern[trip])
    return int(tt.pattern_stop_offsets[pattern + 1] - tt.pattern_stop_offsets[pattern] - 1 - pos)


def _mirror_footpaths(tt: Timetable) -> dict[str, np.ndarray]:
    """The footpath arrays of `tt` reversed (a walk a -> b becomes b -> a: pathways may be
    one-way), sorted as the compiler sorts them: by stop, then walked metres (the kernel stops
    reading a stop's footpaths at the query's walking limit), then seconds."""
    n_stops = tt.n_stops
    frm = np.repeat(np.arange(n_stops, dtype=np.int32), np.diff(tt.footpath_offsets))
    to = tt.footpath_to
    order = np.lexsort((frm, tt.footpath_duration, tt.footpath_walk_m, to))
    offsets = np.zeros(n_stops + 1, np.int32)
    np.cumsum(np.bincount(to, minlength=n_stops), out=offsets[1:])
    return {"footpath_offsets": offsets, "footpath_to": frm[order].astype(np.int32),
            "footpath_duration": tt.footpath_duration[order], "footpath_walk_m": tt.footpath_walk_m[order],
            "footpath_flags": tt.footpath_flags[order]}


def _mirror_links(tt: Timetable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """trip_link_offsets and trip_links of the mirror, and its CONSTRAINED patterns.

    A link from trip X at position p to trip Y at q, gap g (guaranteed, seated or REFUSED),
    becomes a link from the mirror's Y at its position of q to the mirror's X at its position
    of p with the same g: mirrored, X's arrival at p is the departure T - arr and Y's
    departure at q the arrival T - dep, so their difference is unchanged. A refusal of X -> Y
    forbids boarding the mirror's X after its Y: X's pattern is CONSTRAINED."""
    n_trips = tt.n_trips
    n_links = len(tt.trip_links)
    pattern = tt.trip_pattern.astype(np.int64)
    first, end = tt.pattern_trip_offsets[pattern].astype(np.int64), tt.pattern_trip_offsets[pattern + 1]
    trip_mirror = first + end - 1 - np.arange(n_trips)
    n_pos = (tt.pattern_stop_offsets[pattern + 1] - tt.pattern_stop_offsets[pattern]).astype(np.int64)
    frm = np.repeat(np.arange(n_trips, dtype=np.int64), np.diff(tt.trip_link_offsets))
    to = tt.trip_links[:, L_TO_TRIP].astype(np.int64)
    new_from, new_to = trip_mirror[to], trip_mirror[frm]
    new_from_pos = n_pos[to] - 1 - tt.trip_links[:, L_TO_POS]
    new_to_pos = n_pos[frm] - 1 - tt.trip_links[:, L_FROM_POS]
    order = np.lexsort((new_to, new_from_pos, new_from))  # by trip, then the position left from
    links = np.empty((n_links, tt.trip_links.shape[1]), np.int32)
    links[:, L_FROM_POS], links[:, L_TO_TRIP] = new_from_pos[order], new_to[order]
    links[:, L_TO_POS], links[:, L_GAP] = new_to_pos[order], tt.trip_links[order, L_GAP]
    offsets = np.zeros(n_trips + 1, np.int32)
    np.cumsum(np.bincount(new_from, minlength=n_trips), out=offsets[1:])
    refused = tt.trip_links[:, L_GAP] == REFUSED
    return offsets, links, np.unique(pattern[new_to[refused]]) if n_links else np.zeros(0, np.int64)


def mirror_timetable(tt: Timetable) -> Timetable:
    """The timetable run backwards in time (module docstring), every field filled, frozen."""
    rows = _reversed_rows(tt.pattern_stop_offsets)
    rules = tt.pattern_stop_rules[rows]
    swapped = ((rules & CAN_BOARD) << 1) | ((rules & CAN_ALIGHT) >> 1)  # may board <-> may alight
    rules = ((rules & ~np.uint8(CAN_BOARD | CAN_ALIGHT)) | swapped).astype(np.uint8)
    # a pattern's time block is trip-major, (n_trips, n_positions) flattened: reversing both
    # axes (trips and positions) reverses the flat block. The trips were sorted by departure
    # and no trip overtakes another (arrives and departs no earlier at every stop, ties
    # allowed): in reverse order the mirrored departures T - arr are sorted too, FIFO holds
    times = _reversed_rows(tt.pattern_time_offsets)
    arrivals = (MIRROR_T - tt.departures[times]).astype(np.int32)
    departures = (MIRROR_T - tt.arrivals[times]).astype(np.int32)
    link_offsets, links, constrained = _mirror_links(tt)
    mode = (tt.pattern_mode & ~CONSTRAINED).astype(np.int8)
    mode[constrained] |= CONSTRAINED
    pattern_stops = tt.pattern_stops[rows]
    n_pos = np.diff(tt.pattern_stop_offsets)
    owner = np.repeat(np.arange(tt.n_patterns, dtype=np.int32), n_pos)
    position = (np.arange(len(pattern_stops)) - np.repeat(tt.pattern_stop_offsets[:-1], n_pos)).astype(np.int32)
    by_stop = np.argsort(pattern_stops, kind="stable")
    stop_offsets = np.zeros(tt.n_stops + 1, np.int32)
    np.cumsum(np.bincount(pattern_stops, minlength=tt.n_stops), out=stop_offsets[1:])
    return Timetable(
        pattern_stop_offsets=tt.pattern_stop_offsets,
        pattern_stops=pattern_stops,
        pattern_stop_rules=rules,
        pattern_trip_offsets=tt.pattern_trip_offsets,
        pattern_time_offsets=tt.pattern_time_offsets,
        arrivals=arrivals,
        departures=departures,
        pattern_mode=mode,
        trip_pattern=tt.trip_pattern,
        trip_link_offsets=link_offsets,
        trip_links=links,
        stop_pattern_offsets=stop_offsets,
        stop_patterns=owner[by_stop],
        stop_pattern_positions=position[by_stop],
        stop_change_time=tt.stop_change_time,  # a change needs the same time either way
        **_mirror_footpaths(tt),
    ).freeze()


def mirror_router(router: Router) -> Router:
    """A Router on the mirror of `router`'s timetable, with the mirror of its step-free
    footpaths for wheelchair queries (sharing every other array, as Router asks)."""
    tt = mirror_timetable(router.tt)
    step_free = None
    if router.step_free is not None:
        step_free = tt._replace(**_mirror_footpaths(router.step_free)).freeze()
    bounds = router.bounds.mirrored() if router.bounds is not None else None
    return Router(tt, router.walk_speed_m_s, step_free, bounds)


def forward_journey(tt: Timetable, journey: Journey) -> Journey:
    """The forward journey of a journey of the mirror of `tt` (or of `tt` itself, as the
    mapping is an involution): legs in reverse order, each from its end to its start, times
    T - t, trips and positions mapped back; a leg entered seated (interline) in the mirror is
    the one the traveller stays on from, so the flag moves to the leg after it."""
    legs = journey.legs[::-1]
    out = []
    for i, leg in enumerate(legs):
        interline = i > 0 and legs[i - 1].interline
        if leg.kind == "trip":
            out.append(Leg("trip", leg.to_stop, leg.from_stop, mirror_time(leg.t_arr), mirror_time(leg.t_dep),
                           mirror_trip(tt, leg.trip), mirror_position(tt, leg.trip, leg.alight_pos),
                           mirror_position(tt, leg.trip, leg.board_pos), interline))
        else:
            out.append(Leg("walk", leg.to_stop, leg.from_stop, mirror_time(leg.t_arr), mirror_time(leg.t_dep)))
    return Journey(tuple(out))


def plan_arrive_by(
    mirror: Router,
    origins: list[tuple[int, int]],
    targets: list[tuple[int, int]],
    deadline: int,
    options: QueryOptions = QueryOptions(),
    access: dict[int, tuple[int, int]] | None = None,
    egress_walks: dict[int, tuple[int, int]] | None = None,
) -> PlanResult:
    """Pareto set over (departure, trips), latest departure first, of the journeys from the
    origins that reach the targets by `deadline` (forward timetable seconds), searched on
    `mirror` (mirror_router of the forward Router).

    origins: (stop, seconds needed from the origin to it). targets: (stop, seconds still
    needed from it to the destination). access / egress_walks as Router.plan takes them, for
    the first and last walk legs. In the mirror the targets are the origins, ready at
    T - (deadline - egress), and the origins the targets, their access seconds the egress.
    Journeys are those of the forward timetable; `arrivals` their arrival at the destination.
    """
    mirrored = mirror.plan([(s, mirror_time(deadline - secs)) for s, secs in targets], origins, options)
    journeys = [with_walks(forward_journey(mirror.tt, j).legs, access, egress_walks) for j in mirrored.journeys]
    journeys.reverse()  # the mirror's Pareto set runs from the fewest trips (the earliest departure)
    return PlanResult(journeys, [j.t_arr for j in journeys], mirrored.work)


def plan_arrive_by_range(
    mirror: Router,
    origins: list[tuple[int, int]],
    targets: list[tuple[int, int]],
    t_first: int,
    deadline: int,
    options: QueryOptions = QueryOptions(),
    access: dict[int, tuple[int, int]] | None = None,
    egress_walks: dict[int, tuple[int, int]] | None = None,
) -> PlanResult:
    """plan_arrive_by for every arrival at the destination from t_first to `deadline`: the
    range search (Router.plan_range) on the mirror, whose departures from the destination
    are the arrivals there mirrored. Every journey that no other beats on (later departure,
    earlier arrival, fewer trips), latest departure first; as with plan_range, some may
    arrive before t_first (they beat those they leave out)."""
    mirrored = mirror.plan_range(list(targets), mirror_time(deadline), mirror_time(t_first), origins, options)
    journeys = [with_walks(forward_journey(mirror.tt, j).legs, access, egress_walks) for j in mirrored.journeys]
    return PlanResult(journeys, [j.t_arr for j in journeys], mirrored.work)


def arrive_earliest(
    router: Router,
    result: PlanResult,
    origins: list[tuple[int, int]],
    targets: list[tuple[int, int]],
    options: QueryOptions = QueryOptions(),
    access: dict[int, tuple[int, int]] | None = None,
    egress_walks: dict[int, tuple[int, int]] | None = None,
) -> PlanResult:
    """The arrive-by journeys of `result`, each replaced by the forward journey that leaves
    at the same time with no more trips and arrives earliest (`router`: the forward Router;
    origins, targets and walks as a forward query takes them).

    The mirrored search leaves as late as possible and, among journeys that leave then, the
    one it keeps arrives as late as any (mirrored, it leaves the destination as early as it
    can): of two trips that leave a stop at 08:00, the one arriving at 08:40 rather than the
    one arriving at 08:30 when both make the deadline. A traveller asking to arrive by a
    time wants the latest departure and then the earliest arrival, so each journey found is
    run forward once from its departure. A forward journey that does not leave at the same
    time (it cannot leave later: the mirror's departure is the latest) keeps the mirror's."""
    journeys, work = [], result.work
    for j in result.journeys:
        forward = router.plan([(s, j.t_dep + secs) for s, secs in origins], targets, options, access, egress_walks)
        work = Work(*(a + b for a, b in zip(astuple(work), astuple(forward.work))))
        best = min((f for f in forward.journeys if f.n_trips <= j.n_trips), key=lambda f: f.t_arr, default=None)
        journeys.append(best if best is not None and best.t_dep == j.t_dep and best.t_arr <= j.t_arr else j)
    return PlanResult(journeys, [j.t_arr for j in journeys], work)
