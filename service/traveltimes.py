"""One-to-all travel times: from one place (a stop or a coordinate) to every stop, at one
departure or over a window of departure minutes, for travel-time maps and accessibility.

Over a window the answer is what accessibility analysts expect from Conveyal R5: the
departure minutes of the window (every minute from the time asked, the window's end
excluded), the travel time to each stop from each minute (its earliest arrival minus the
minute: waiting at the origin counts), then per stop the minimum, the median and the
percentiles asked over the minutes. A minute from which a stop is not reached within
maxTravelTime counts as an infinite time, so a stop reached at a third of the minutes has
a minimum but no median. Percentiles are nearest-rank (the smallest time that at least p %
of the minutes reach), so every value is a time some minute takes.

Many-to-one is the same query run backwards: to one destination (a hospital, a school)
from every stop, arriving by the time asked (or by each minute of the window before it),
by the same one-to-all search on the day's mirrored timetable (router/mirror.py), whose
earliest arrival at a stop is the latest departure from it. The travel time is then the
deadline minus that latest departure (waiting at the destination counts), and each row
also says the latest departure (at the deadline asked, or the first minute reached).

The minutes run latest first, each from the labels the later ones left (router/reach.py),
as R5's range RAPTOR does. A routing time budget stops the minutes early: the answer is
then over the minutes done (the latest ones), flagged partial with the reason.

`transfers` is the changes of the quickest journey (at the minimum over a window): its trips
less one, a stay-seated continuation counted as a change, as maxTransfers counts it.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from trajet.router.mirror import mirror_time
from trajet.router.planner import Work
from trajet.router.query import QueryOptions
from trajet.router.reach import Reached, reach
from trajet.router.timetable import UNREACHED

from .errors import QueryError
from .params import clock_text, parse_int
from .places import DESTINATION, ORIGIN, Place
from .plan import mirrored_walks

if TYPE_CHECKING:
    from .network import Network

DEFAULT_MAX_TRAVEL_S = 7200  # R5's maxTripDurationMinutes default, 120
MAX_TRAVEL_S = 6 * 3600
MAX_WINDOW_S = 4 * 3600  # 240 departure minutes at most
MINUTE = 60
MAX_PERCENTILES = 5
DEFAULT_BUDGET_S = 5.0  # routing seconds of an analysis (the API's --analysis-budget)
NONE = np.int32(UNREACHED)  # a travel time not reached within maxTravelTime
# the plan's options (service.params.PLAN_PARAMETERS) a journey from the origin to a stop
# depends on: /v1/traveltimes and `trajet traveltimes` take these
TRAVELTIME_OPTIONS = ("maxTransfers", "transferSlack", "maxTransferWalk", "maxPreTransitTime", "walkSpeed", "maxWalk",
                      "modes", "excludeModes", "accessMode", "bikeSpeed", "bikeOnBoard", "bikeUnknown", "wheelchair",
                      "wheelchairUnknown")
# and the matrix those of the walk to a coordinate destination and of a journey on foot alone
MATRIX_OPTIONS = TRAVELTIME_OPTIONS + ("maxPostTransitTime", "maxDirectTime", "egressMode", "directMode")


@dataclass(frozen=True)
class Limits:
    """What bounds an analysis beyond the plan's options: the longest travel time kept and
    the routing seconds it may take (when spent, the answer is what was found: partial)."""

    max_travel_s: int = DEFAULT_MAX_TRAVEL_S
    budget_s: float = DEFAULT_BUDGET_S


@dataclass
class TravelTimes:
    """Travel times from one place to every stop reached within the limits."""

    origin: Place  # the destination, many-to-one (`to_destination`)
    date: dt.date
    seconds: int  # the first departure, after midnight (many-to-one: the deadline)
    window_s: int  # 0: one departure (many-to-one: the window of deadlines before `seconds`)
    percentiles: tuple[int, ...]
    limits: Limits
    n_departures: int  # departure minutes asked
    n_done: int = 0  # departure minutes computed (the latest ones first)
    stops: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # the stops reached
    # One departure: seconds to each stop. Over a window: the minimum over the minutes.
    travel_s: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    transfers: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # of the quickest journey
    median_s: np.ndarray | None = None  # over a window: NONE where fewer than half the minutes reach it
    percentile_s: np.ndarray | None = None  # over a window: (percentiles, stops), NONE likewise
    partial_reason: str | None = None
    work: Work = field(default_factory=Work)
    to_destination: bool = False  # many-to-one: from every stop to `origin`, arriving by `seconds`

    @property
    def partial(self) -> bool:
        return self.partial_reason is not None


def parse_percentiles(text: str | None, field_name: str = "percentiles") -> tuple[int, ...]:
    """Whole percentiles 1..99, comma-separated, at most MAX_PERCENTILES; "" or None: none."""
    if not (text or "").strip():
        return ()
    values = []
    for part in text.split(","):
        value = parse_int(part.strip(), field_name, -1, 1, 99)
        if value < 0:
            raise QueryError(f"{field_name} has an empty value: give whole percentiles 1..99, comma-separated",
                             field_name)
        values.append(value)
    if len(values) > MAX_PERCENTILES:
        raise QueryError(f"{field_name} asks {len(values)} percentiles; at most {MAX_PERCENTILES}", field_name)
    return tuple(sorted(set(values)))


def parse_window(text: str | None, field_name: str = "window") -> int:
    """Seconds of departure minutes, 0 (one departure, the default) to MAX_WINDOW_S."""
    return parse_int(text, field_name, 0, 0, MAX_WINDOW_S, " s")


def parse_max_travel(text: str | None, field_name: str = "maxTravelTime") -> int:
    return parse_int(text, field_name, DEFAULT_MAX_TRAVEL_S, 60, MAX_TRAVEL_S, " s")


def work_json(work: Work) -> dict:
    """The kernel's work as the computation block shows it (and the ledger records it)."""
    return {"rounds": work.rounds, "patternsScanned": work.patterns_scanned, "tripsExamined": work.trips_examined,
            "stopsImproved": work.stops_improved}


def departure_minutes(t0: int, window_s: int) -> list[int]:
    """The departures of a window starting at t0, latest first: every minute before its end."""
    n = max(1, math.ceil(window_s / MINUTE))
    return [t0 + MINUTE * m for m in range(n - 1, -1, -1)]


def origins_of(network: "Network", view, place: Place, options: QueryOptions) -> list[tuple[int, int]]:
    """(stop, seconds on foot from the place) where a journey from `place` may board; raises
    QueryError naming `from` when a coordinate has no stop within maxPreTransitTime."""
    starts, _ = network.places.walks(place, view.router, options, ORIGIN, forward=True)
    if not starts:
        raise _no_stop(network, place, options, options.max_access_s, "from", "maxPreTransitTime")
    return starts


def _no_stop(network: "Network", place: Place, options: QueryOptions, limit: int, field: str,
             name: str) -> QueryError:
    """The error of a coordinate with no stop within `limit` seconds on foot (parameter `name`)."""
    metres = round(network.places.crow_fly_reach_m(limit, options))
    return QueryError(f"no stop within {limit} s on foot ({metres} m crow-fly) of {field} {place[0]},{place[1]}; "
                      f"a larger {name} reaches further", field)


def destinations_of(network: "Network", view, place: Place, options: QueryOptions) -> list[tuple[int, int]]:
    """(stop, seconds from it to the place) where a journey to `place` may alight, for the
    mirrored search (a stop: its platforms and the stops a footpath into it, by the mirror's
    footpaths; a coordinate: its walks as a plan finds them); QueryError naming `to` when a
    coordinate has no stop within maxPostTransitTime."""
    ends, _ = mirrored_walks(network, view, place, options, DESTINATION)
    if not ends:
        raise _no_stop(network, place, options, options.max_egress_s, "to", "maxPostTransitTime")
    return ends


def travel_times(network: "Network", origin: str, date: dt.date, seconds: int, options: QueryOptions = QueryOptions(),
                 window_s: int = 0, percentiles: tuple[int, ...] = (), limits: Limits = Limits(),
                 to_destination: bool = False) -> TravelTimes:
    """Travel times from `origin` (a stop id or "lat,lon") leaving on `date` at `seconds`
    after midnight, or at each minute of window_s from it, to every stop reached within
    limits.max_travel_s; with `to_destination`, from every stop to that place arriving by
    `seconds` (or by each minute of window_s before it), on the mirrored timetable. Raises
    QueryError for a bad place or a date outside the service."""
    place = network.places.parse(origin, "to" if to_destination else "from")
    network.check_date(date)
    view = network.day(date)
    t0 = network.local_seconds(date, seconds) - view.origin
    if to_destination:
        router, starts = view.mirror, destinations_of(network, view, place, options)
        minutes = departure_minutes(mirror_time(t0), window_s)  # deadlines t0 - 60 m, mirrored, latest first
    else:
        router, starts = view.router, origins_of(network, view, place, options)
        minutes = departure_minutes(t0, window_s)
    answer = TravelTimes(place, date, seconds, window_s, percentiles, limits, len(minutes),
                         to_destination=to_destination)
    n_stops = view.tt.n_stops
    window = window_s > 0
    times = np.full((len(minutes) if window else 1, n_stops), NONE, np.int32)
    best = np.full(n_stops, NONE, np.int32)  # the least travel time over the minutes, and its trips
    best_trips = np.full(n_stops, -1, np.int32)
    deadline = time.perf_counter() + limits.budget_s

    def minute(i: int, t: int, reached: Reached) -> bool:
        row = times[i if window else 0]
        got = reached.arrival < UNREACHED
        row[got] = reached.arrival[got] - t
        row[row > limits.max_travel_s] = NONE
        quicker = row < best
        best[quicker] = row[quicker]
        best_trips[quicker] = reached.trips[quicker]
        if i + 1 < len(minutes) and time.perf_counter() > deadline:
            which = (f"the earliest deadlines ({clock_text(seconds - (t - mirror_time(t0)))[:5]} and before)"
                     if to_destination else f"the latest ({clock_text(seconds + (t - t0))[:5]} on)")
            answer.partial_reason = (f"the routing time budget of {limits.budget_s:g} s was spent after {i + 1} of "
                                     f"{len(minutes)} {'deadline' if to_destination else 'departure'} minutes; "
                                     f"the times are over those, {which}")
            return False
        return True

    answer.n_done, answer.work = reach(router, starts, minutes, options, limits.max_travel_s, minute)
    kind = np.asarray(network.net.stop_location_type)[:n_stops]
    stops = np.flatnonzero((best < NONE) & (kind == 0))
    answer.stops = stops
    answer.travel_s = best[stops].astype(np.int64)
    answer.transfers = np.maximum(best_trips[stops] - 1, 0).astype(np.int64)
    if window:
        done = np.sort(times[: answer.n_done, stops], axis=0)  # minute rows done: the first n_done
        answer.median_s = nearest_rank(done, 50)
        answer.percentile_s = np.array([nearest_rank(done, p) for p in percentiles], np.int64).reshape(
            len(percentiles), len(stops))
    return answer


def nearest_rank(sorted_times: np.ndarray, p: int) -> np.ndarray:
    """Per column of (minutes, stops) sorted times, the smallest time at least p % of the
    minutes reach (NONE counts as infinite)."""
    n = sorted_times.shape[0]
    return sorted_times[max(math.ceil(p / 100 * n) - 1, 0)].astype(np.int64)


# --- answers -------------------------------------------------------------------------------
def _minutes(seconds: int) -> float | None:
    return None if seconds >= NONE else round(seconds / MINUTE, 1)


def stop_rows(network: "Network", answer: TravelTimes) -> list[dict]:
    """One dict per stop reached: stopId, name, lat, lon, then for one departure seconds,
    minutes and transfers; over a window min, median and p<N> (minutes; None: not reached by
    enough minutes) and transfers (at the minimum)."""
    net = network.net
    rows = []
    for j, stop in enumerate(answer.stops.tolist()):
        row = {"stopId": str(net.stop_id[stop]), "name": str(net.stop_name[stop]),
               "lat": float(net.stop_lat[stop]), "lon": float(net.stop_lon[stop])}
        if answer.window_s:
            row["min"] = _minutes(int(answer.travel_s[j]))
            row["median"] = _minutes(int(answer.median_s[j]))
            for p, values in zip(answer.percentiles, answer.percentile_s):
                row[f"p{p}"] = _minutes(int(values[j]))
        else:
            row["seconds"] = int(answer.travel_s[j])
            row["minutes"] = _minutes(int(answer.travel_s[j]))
            if answer.to_destination:  # the latest departure from the stop that arrives by the deadline
                row["latestDeparture"] = clock_text(answer.seconds - int(answer.travel_s[j]))
        row["transfers"] = int(answer.transfers[j])
        rows.append(row)
    return rows


def origin_json(network: "Network", place: Place) -> dict:
    """The origin as asked: a coordinate, or a stop id with its name."""
    if isinstance(place, tuple):
        return {"lat": place[0], "lon": place[1]}
    stop = place[-1]
    return {"stopId": str(network.net.stop_id[stop]), "name": str(network.net.stop_name[stop])}


def summary_json(network: "Network", answer: TravelTimes) -> dict:
    """What was asked and how much of it was computed (the fields beside the stops)."""
    return {
        ("to" if answer.to_destination else "from"): origin_json(network, answer.origin),
        "date": answer.date.isoformat(),
        "time": clock_text(answer.seconds),
        "arriveBy": answer.to_destination,
        "window": answer.window_s,
        "departures": answer.n_departures,
        "departuresDone": answer.n_done,
        "maxTravelTime": answer.limits.max_travel_s,
        "percentiles": list(answer.percentiles),
        "reached": len(answer.stops),
        "partial": answer.partial,
        "partialReason": answer.partial_reason,
    }


def traveltimes_json(network: "Network", answer: TravelTimes) -> dict:
    return {**summary_json(network, answer), "stops": stop_rows(network, answer)}


def traveltimes_geojson(network: "Network", answer: TravelTimes) -> dict:
    """A GeoJSON FeatureCollection of the stops reached as Points (lon, lat), their times as
    properties; what was asked in its `properties` (a foreign member GIS tools keep)."""
    features = []
    for row in stop_rows(network, answer):
        lat, lon = row.pop("lat"), row.pop("lon")
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                         "properties": row})
    return {"type": "FeatureCollection", "properties": summary_json(network, answer), "features": features}
