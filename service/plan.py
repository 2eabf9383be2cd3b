"""One plan between two places: parse them, walk to and from the stops, ask the router, and
when there is no itinerary, say why.

The reasons are OpenTripPlanner's `routingErrors` where it has a code for them, each with
the input it concerns and a sentence a traveller can act on:

| code | inputField | when |
|---|---|---|
| OUTSIDE_SERVICE_PERIOD | date | the date is before the first or after the last service day |
| NO_SERVICE_ON_DATE | date | a date inside the period on which no trip runs |
| NO_STOPS_IN_RANGE | from / to | a coordinate with no stop within walking reach |
| NO_TRANSIT_CONNECTION_WITHIN_LIMITS | (the limit) | connected, but only beyond maxTransfers, the modes or maxWalk |
| NO_TRANSIT_CONNECTION_WITHIN_LIMITS | wheelchair(Unknown), bike(OnBoard, Unknown) | only by trips, stops they close |
| NO_TRANSIT_CONNECTION_IN_SEARCH_WINDOW | time | connected earlier that day, not after the time asked |
| NO_TRANSIT_CONNECTION_IN_SEARCH_WINDOW | time | arriveBy: connected that day, but no journey arrives by the time |
| NO_TRANSIT_CONNECTION | null | no journey at all between the two places that day |

Finding the reason costs at most five more router queries, and only when the answer is empty:
with the stops and trips of unknown access let in, then without the wheelchair and bike
restrictions (when the query has them), without the limits, without both (the answer then
names the restrictions and the limits the journey found breaks), then from the start of the
service day (arriveBy: the first arrival of the day, by a forward query from its start).

An arrive-by plan (`arrive_by`) asks the router's mirrored timetable (router/mirror.py) for
the latest departures that arrive by the time asked; its walks to and from the stops are
those a forward plan takes (`_arrive_by_walks`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, NamedTuple

from trajet.feeds.modes import MODES
from trajet.feeds.pathways import describe_modes
from trajet.router.mirror import arrive_earliest, plan_arrive_by, plan_arrive_by_range
from trajet.router.planner import Journey, Leg, PlanResult
from trajet.router.query import ALL_MODES, ALLOW, MAX_TRANSFERS_LIMIT, QueryOptions
from trajet.router.reach import earliest_arrivals

from .access import barrier_text, journey_barriers
from .dayview import DayView
from .errors import QueryError
from .itineraries import plan_json
from .params import clock_text
from .places import DESTINATION, ORIGIN

if TYPE_CHECKING:
    from .network import Network


@dataclass(frozen=True)
class RoutingError:
    code: str
    input_field: str | None  # the query parameter it concerns: from, to, date, time, maxTransfers, ...
    description: str

    def to_json(self) -> dict:
        return {"code": self.code, "inputField": self.input_field, "description": self.description}


class Answer(NamedTuple):
    result: PlanResult  # the Pareto set, possibly empty
    view: DayView | None  # the day view it was computed on (None outside the service period)
    places: dict  # ORIGIN / DESTINATION -> (lat, lon), for the coordinate ends
    errors: list[RoutingError]  # why there is no itinerary; empty when there is one
    options: QueryOptions = QueryOptions()  # what was asked (the street modes name the legs)
    window_s: int = 0  # seconds of departures searched (0: one departure)


def plan(network: "Network", origin: str, destination: str, date: dt.date, seconds: int,
         options: QueryOptions = QueryOptions(), window_s: int = 0, arrive_by: bool = False) -> Answer:
    """Journeys from `origin` to `destination` (stop ids or "lat,lon") leaving on `date` at
    `seconds` after midnight, sorted by arrival, then later departure, then fewer transfers;
    with `arrive_by`, arriving by then, sorted latest departure first. With window_s, every
    journey leaving in the window from that time (arriving in the window before it, with
    `arrive_by`) that no other beats on (later departure, earlier arrival, fewer trips):
    Router.plan_range, on the mirrored timetable for `arrive_by`. Raises QueryError for a
    place that is unknown or malformed."""
    places = network.places
    start = places.parse(origin, "from")
    end = places.parse(destination, "to")
    if options.egress_mode == "BICYCLE" and not options.bike_on_board:
        raise QueryError("egressMode=BICYCLE needs the bike on board (bikeOnBoard=true): a bike left at the first "
                         "stop is not at the last", "egressMode")
    if start == end or (isinstance(start, list) and isinstance(end, list) and set(start) & set(end)):
        raise QueryError("from and to are the same place", "to")
    coordinates = {k: v for k, v in {ORIGIN: start, DESTINATION: end}.items() if isinstance(v, tuple)}
    if not network.in_service_period(date):
        return Answer(PlanResult([]), None, coordinates, [RoutingError(
            "OUTSIDE_SERVICE_PERIOD", "date",
            f"{date} is outside the feeds' service days, {network.service_period()}")])
    view = network.day(date)
    t0 = network.local_seconds(date, seconds) - view.origin
    if arrive_by:
        (starts, access, targets, egress), forward = _arrive_by_walks(network, view, start, end, options)
    else:
        starts, access = places.walks(start, view.router, options, ORIGIN, forward=True)
        targets, egress = places.walks(end, view.router, options, DESTINATION, forward=False)
    direct = direct_walk(network, view, start, end, t0, options, arrive_by)
    errors = [
        RoutingError("NO_STOPS_IN_RANGE", field,
                     f"no stop within {limit} s on foot ({round(places.crow_fly_reach_m(limit, options))} m "
                     f"crow-fly) of {field} {place[0]},{place[1]}; a larger {name} reaches further")
        for field, place, found, limit, name in (
            ("from", start, starts, options.max_access_s, "maxPreTransitTime"),
            ("to", end, targets, options.max_egress_s, "maxPostTransitTime"))
        if not found
    ]
    if errors:
        return Answer(_with_direct(PlanResult([]), direct, window_s, arrive_by), view, coordinates,
                      [] if direct else errors, options, window_s)
    if arrive_by:
        if window_s > 0:
            result = _in_window(plan_arrive_by_range(view.mirror, starts, targets, t0 - window_s, t0, options,
                                                     access, egress), t0 - window_s, arrive_by)
        else:
            result = plan_arrive_by(view.mirror, starts, targets, t0, options, access, egress)
        f_starts, f_access, f_targets, f_egress = forward
        result = arrive_earliest(view.router, result, f_starts, f_targets, options, f_access, f_egress)
    elif window_s > 0:
        result = _in_window(view.router.plan_range(starts, t0, t0 + window_s, targets, options, access=access,
                                                   egress_walks=egress), t0 + window_s)
    else:
        result = view.router.plan([(s, t0 + secs) for s, secs in starts], targets, options, access=access,
                                  egress_walks=egress)
    if not result.journeys and not direct:
        errors = _why_none(network, view, starts, targets, t0, options, date, seconds, arrive_by)
    return Answer(_with_direct(result, direct, window_s, arrive_by), view, coordinates, errors, options, window_s)


def _in_window(result: PlanResult, edge: int, arrive_by: bool = False) -> PlanResult:
    """The journeys of a range answer that leave by the window's end (arrive-by: that arrive
    from the window's start, `edge`); when none does, those leaving first after it (arriving
    last before it), the next journeys as a single departure would answer."""
    inside = [i for i, j in enumerate(result.journeys) if (j.t_arr >= edge if arrive_by else j.t_dep <= edge)]
    if not inside and result.journeys:
        if arrive_by:
            last = max(j.t_arr for j in result.journeys)
            inside = [i for i, j in enumerate(result.journeys) if j.t_arr == last]
        else:
            first = min(j.t_dep for j in result.journeys)
            inside = [i for i, j in enumerate(result.journeys) if j.t_dep == first]
    return PlanResult([result.journeys[i] for i in inside], [result.arrivals[i] for i in inside], result.work)


def _arrive_by_walks(network: "Network", view: DayView, start, end, options: QueryOptions):
    """The walks of an arrive-by plan: (stop, seconds) to start and to end at and the walk
    legs, as places.walks gives them, for the mirrored search, then the same four for the
    forward queries that make each journey arrive earliest (router/mirror.py arrive_earliest).

    A coordinate's walks are the forward plan's own (street walks found from the origin and
    to the destination, as a forward plan finds them). From stops the roles of the kernel's
    footpaths swap: a forward plan starts at the origin stops and the stops one footpath
    from them, and the kernel walks into the destination stops; the mirrored search starts
    at the destination stops and the stops one (forward) footpath into them, the mirror's
    footpaths from them, and its kernel walks into the origin stops along the mirror's
    footpaths, which are the forward footpaths out of them."""
    forward = (network.places.walks(start, view.router, options, ORIGIN, forward=True)
               + network.places.walks(end, view.router, options, DESTINATION, forward=False))
    starts = forward[:2] if isinstance(start, tuple) else mirrored_walks(network, view, start, options, ORIGIN)
    ends = forward[2:] if isinstance(end, tuple) else mirrored_walks(network, view, end, options, DESTINATION)
    return starts + ends, forward


def mirrored_walks(network: "Network", view: DayView, place, options: QueryOptions, role: str):
    """An end's (stop, seconds) and walk legs for a search on the mirrored timetable (role
    ORIGIN or DESTINATION of the forward journey): a coordinate's are its forward walks (the
    street walks a forward plan finds, which the mirror takes reversed); a stop's are found on
    the mirror, whose footpaths run the other way (_arrive_by_walks says why)."""
    if isinstance(place, tuple):
        return network.places.walks(place, view.router, options, role, forward=role == ORIGIN)
    return network.places.walks(place, view.mirror, options, role, forward=role == DESTINATION)


def direct_walk(network: "Network", view: DayView, start, end, t0: int, options: QueryOptions,
                 arrive_by: bool = False) -> Journey | None:
    """The journey on foot alone from start to end when it takes at most maxDirectTime: the
    footpath between two stops when there is one, else the walk between their positions.
    It leaves at t0, or with `arrive_by` arrives at t0."""
    if options.max_direct_s <= 0:
        return None
    seconds = -1
    if isinstance(start, list) and isinstance(end, list) and options.direct_mode == "WALK":
        paths = [secs for s in start for w, secs in view.router.footpaths_from(s, options) if w in end]
        seconds = min(paths, default=-1)
    if seconds < 0:
        walk = network.places.walk_between(network.places.position(start), network.places.position(end),
                                           options.max_direct_s, options, options.direct_mode)
        seconds = walk.seconds if walk else -1
    if not 0 <= seconds <= options.max_direct_s:
        return None
    a = ORIGIN if isinstance(start, tuple) else start[-1]
    b = DESTINATION if isinstance(end, tuple) else end[-1]
    t_dep = t0 - seconds if arrive_by else t0
    return Journey((Leg("walk", a, b, t_dep, t_dep + seconds),), direct=True)


def _with_direct(result: PlanResult, direct: Journey | None, window_s: int = 0, arrive_by: bool = False) -> PlanResult:
    """The journeys sorted by arrival, then later departure, then fewer transfers (arrive-by:
    latest departure first, then earlier arrival), with the walk offered beside them: the
    journeys it beats are left out (arriving no earlier; arrive-by: leaving no later; in a
    window, where the walk may leave whenever the traveller does, taking no less time), and
    it comes first when it arrives no later (leaves no earlier) than every other."""
    pairs = list(zip(result.journeys, result.arrivals))
    if direct is not None:
        walk_s = direct.t_arr - direct.t_dep
        if window_s:
            pairs = [(j, a) for j, a in pairs if j.t_arr - j.t_dep < walk_s]
        else:
            pairs = [(j, a) for j, a in pairs if (j.t_dep > direct.t_dep if arrive_by else j.t_arr < direct.t_arr)]
        pairs.append((direct, direct.t_arr))
    if arrive_by:
        pairs.sort(key=lambda p: (-p[0].t_dep, p[0].t_arr, p[0].n_trips > 0, p[0].transfers, p[0].n_trips))
    else:
        pairs.sort(key=lambda p: (p[0].t_arr, -p[0].t_dep, p[0].n_trips > 0, p[0].transfers, p[0].n_trips))
    return PlanResult([j for j, _ in pairs], [a for _, a in pairs], result.work)


def _why_none(network: "Network", view: DayView, starts, targets, t0: int, options: QueryOptions, date: dt.date,
              seconds: int, arrive_by: bool = False) -> list[RoutingError]:
    def search(looser: QueryOptions) -> list[Journey]:
        if arrive_by:
            return plan_arrive_by(view.mirror, starts, targets, t0, looser).journeys
        return view.router.plan([(s, t0 + secs) for s, secs in starts], targets, looser).journeys

    if not network.runs_on(date):
        return [RoutingError("NO_SERVICE_ON_DATE", "date",
                             f"no trip runs on {date}; the feeds' service days are {network.service_period()}")]
    relaxed = replace(options, max_transfers=MAX_TRANSFERS_LIMIT, mode_mask=ALL_MODES,
                      max_transfer_walk_m=max(options.max_transfer_walk_m, network.walking.radius_m))
    # first the stops and trips of unknown access let in, then none closed; the walks to and
    # from the stops stay those asked
    lenient = replace(options, wheelchair_unknown=ALLOW if options.wheelchair else options.wheelchair_unknown,
                      bike_unknown=ALLOW if options.bike_on_board else options.bike_unknown)
    unrestricted = replace(options, wheelchair=False, bike_on_board=False)
    for looser in dict.fromkeys(o for o in (lenient, unrestricted) if o != options):
        found = search(looser)
        if found:
            return _closed(network, view, found[0], options, looser is lenient)
    if relaxed != options:
        found = search(relaxed)
        if found:
            return [_beyond_limits(network, view, found[0], options)]
        if unrestricted != options:
            found = search(replace(relaxed, wheelchair=False, bike_on_board=False))
            if found:
                return _closed(network, view, found[0], options) + [_beyond_limits(network, view, found[0], options)]
    day_start = network.local_seconds(date, 0) - view.origin
    shift = min(secs for _, secs in starts)
    found_day = view.router.plan([(s, day_start + secs - shift) for s, secs in starts], targets, relaxed)
    if found_day.journeys and arrive_by:  # none arrives by the time asked: when does the first?
        first = min(found_day.arrivals) - day_start
        return [RoutingError("NO_TRANSIT_CONNECTION_IN_SEARCH_WINDOW", "time",
                             f"no journey arrives by {clock_text(seconds)[:5]} on {date}; on that day journeys "
                             f"arrive later (the first at {clock_text(first)[:5]})")]
    earlier = found_day.journeys
    if earlier:
        first = earlier[0].t_dep - day_start
        return [RoutingError("NO_TRANSIT_CONNECTION_IN_SEARCH_WINDOW", "time",
                             f"no journey leaves after {clock_text(seconds)[:5]} on {date}; on that day journeys run "
                             f"earlier (one leaves at {clock_text(first)[:5]})")]
    who = " ".join(part for on, part in ((options.wheelchair, "for a wheelchair"),
                                         (options.bike_on_board, "with a bike on board")) if on)
    return [RoutingError("NO_TRANSIT_CONNECTION", None,
                         f"the timetable connects these places by no journey {who + ' ' if who else ''}on {date}, "
                         "even with more transfers, every mode and walks of up to "
                         f"{relaxed.max_transfer_walk_m} m between stops")]


# the query parameter that closes a leg, by restriction and whether only its unknown does
CLOSING_FIELD = {("wheelchair", False): "wheelchair", ("wheelchair", True): "wheelchairUnknown",
                 ("bike", False): "bikeOnBoard", ("bike", True): "bikeUnknown"}
WHO = {"wheelchair": "for a wheelchair", "bike": "with a bike on board"}


def _closed(network: "Network", view: DayView, journey: Journey, options: QueryOptions,
            lenient: bool = False) -> list[RoutingError]:
    """What the journey found without the wheelchair and bike restrictions (lenient: with
    only their unknown values let in) uses that they close: one error per restriction, naming
    its trips and stops; its field is the unknown option (wheelchairUnknown, bikeUnknown)
    when only unknown values close it."""
    barriers = journey_barriers(network, view, journey, options)
    how = "letting in stops and trips of unknown access" if lenient else "without that restriction"
    errors = []
    for restriction in ("wheelchair", "bike"):
        closing = [b for b in barriers if b.restriction == restriction]
        if closing:
            field = CLOSING_FIELD[restriction, all(b.unknown for b in closing)]
            errors.append(RoutingError("NO_TRANSIT_CONNECTION_WITHIN_LIMITS", field,
                                       f"no journey {WHO[restriction]} as asked; the one found {how} "
                                       f"{barrier_text(closing)}"))
    if not errors and options.wheelchair:  # no stop nor trip closed: a walk without a step-free way?
        errors += _not_step_free(network, view, journey)
    if not errors:  # the restrictions changed the journey in another way (its walks, say): name them
        field = "wheelchair" if options.wheelchair else "bikeOnBoard"
        asked = " or ".join(WHO[r] for r, on in (("wheelchair", options.wheelchair),
                                                  ("bike", options.bike_on_board)) if on)
        errors.append(RoutingError("NO_TRANSIT_CONNECTION_WITHIN_LIMITS", field,
                                   f"no journey {asked} as asked; these places are connected only {how}"))
    return errors


def _beyond_limits(network: "Network", view: DayView, journey: Journey, options: QueryOptions) -> RoutingError:
    """Which of the query's limits the journey found without them breaks."""
    tt = view.tt
    if journey.n_trips - 1 > options.max_transfers:
        seated = sum(leg.interline for leg in journey.legs)
        also = f", staying on board from one trip to the next {seated} time(s), which counts as one" if seated else ""
        return RoutingError("NO_TRANSIT_CONNECTION_WITHIN_LIMITS", "maxTransfers",
                            f"the journey with the fewest changes needs {journey.n_trips - 1} transfers{also}; "
                            f"maxTransfers is {options.max_transfers}")
    for leg in journey.legs:
        if leg.kind == "trip":
            mode = int(tt.pattern_family[tt.trip_pattern[leg.trip]])
            if not options.mode_mask >> mode & 1:
                return RoutingError("NO_TRANSIT_CONNECTION_WITHIN_LIMITS", "modes",
                                    f"the journey found without that limit rides {MODES[mode]}, which the modes "
                                    "asked leave out")
    # the metres walked that the limit applies to (crow-fly x detour, or on the streets)
    paths = [view.router.footpath(leg.from_stop, leg.to_stop, options.wheelchair)
             for leg in journey.legs if leg.kind == "walk" and leg.from_stop >= 0 and leg.to_stop >= 0]
    walks = [int(network.footpaths(options.wheelchair).walk_m[f]) for f in paths if f >= 0]
    longest = max(walks, default=0)
    return RoutingError("NO_TRANSIT_CONNECTION_WITHIN_LIMITS", "maxTransferWalk",
                        f"the journey needs a walk of about {longest} m between two stops; maxTransferWalk is "
                        f"{options.max_transfer_walk_m} m")


def _not_step_free(network: "Network", view: DayView, journey: Journey) -> list[RoutingError]:
    """Why the journey found without wheelchair is none for a wheelchair user when none of its
    stops and trips is closed: its first walk between stops that has no step-free way (with
    the stairs or escalators it takes); [] when every walk has one (a longer one, then)."""
    net, paths = network.net, network.footpaths(False)
    for leg in journey.legs:
        if leg.kind != "walk" or leg.from_stop < 0 or leg.to_stop < 0:
            continue
        f = view.router.footpath(leg.from_stop, leg.to_stop)
        if f >= 0 and view.router.footpath(leg.from_stop, leg.to_stop, wheelchair=True) < 0:
            over = [m for m in describe_modes(int(paths.pathway_modes[f])) if m in ("stairs", "escalator")]
            names = [f"{net.stop_name[s]} ({net.stop_id[s]})" for s in (leg.from_stop, leg.to_stop)]
            return [RoutingError("NO_TRANSIT_CONNECTION_WITHIN_LIMITS", "wheelchair",
                                 f"journeys without wheelchair walk from {names[0]} to {names[1]}"
                                 + (f" over {' and '.join(over)}" if over else "")
                                 + ", which no step-free walk joins")]
    return []


def warm_up(network: "Network") -> None:
    """Compile (or load from numba's cache) every kernel a plan uses (one departure, a
    window) and the one-to-all kernels of travel-time maps, on the first service day, so
    that no request waits for the JIT: a fresh checkout compiles for tens of seconds.
    Arrive-by runs the same kernels on the mirrored timetable (a Timetable of the same
    types), so it needs no run here, nor the mirror built at start-up (40 MB on the New
    York region)."""
    if not network.runs_on(network.first_date):
        return
    view = network.day(network.first_date)
    tt = view.tt
    if tt.n_patterns == 0:
        return
    stops = tt.pattern_stops[tt.pattern_stop_offsets[0]:tt.pattern_stop_offsets[1]]
    ids = [str(network.net.stop_id[s]) for s in (stops[0], stops[-1])]
    for window_s in (0, 600):
        try:
            plan_json(network, plan(network, ids[0], ids[1], network.first_date, 8 * 3600, window_s=window_s))
        except QueryError:  # a loop line: its first and last stop are one place
            pass
    earliest_arrivals(view.router, [(int(stops[0]), 0)], network.local_seconds(network.first_date, 8 * 3600)
                      - view.origin, QueryOptions(), 600)
