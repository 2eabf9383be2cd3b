"""Many-to-many travel times: from each origin to each destination (stops or coordinates), at
one departure, with the transfers of the quickest journey: what an accessibility or
location study asks of a territory.

Each origin is one one-to-all query (router/reach.py); the destinations read its arrivals:
a stop (a station: any of its platforms) by any means, as a plan to that stop arrives (by a
trip, a footpath after one, or on foot from the origin's stops); a coordinate by a trip to a
stop within maxPostTransitTime of it, then the walk, as a plan to that coordinate arrives.
A journey on foot alone within maxDirectTime is taken when it is quicker, as a plan offers
it. So each pair answers what `/v1/plan` would answer first (the earliest arrival), with
the fewest transfers at that arrival.

The origins are independent, so they run in parallel threads (the kernels release the GIL;
each thread has its own workspace). A routing time budget stops the origins not yet begun:
the answer then has the rows of the origins done, flagged partial with the reason.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from trajet.router.planner import Work
from trajet.router.query import QueryOptions
from trajet.router.reach import Reached, reach
from trajet.router.timetable import UNREACHED

from .errors import QueryError
from .params import clock_text
from .places import DESTINATION, ORIGIN, Place
from .plan import direct_walk
from .traveltimes import Limits, origin_json

if TYPE_CHECKING:
    from .network import Network

MAX_POINTS = 200  # origins, and destinations, of one POST /v1/matrix
NONE = -1  # a pair not connected within the limits


@dataclass
class Matrix:
    """Seconds and transfers from each origin (rows) to each destination (columns)."""

    origins: list[Place]
    destinations: list[Place]
    date: dt.date
    seconds: int  # the departure, after midnight
    limits: Limits
    travel_s: np.ndarray  # int64 (origins, destinations); NONE: not within the limits
    transfers: np.ndarray  # int64 (origins, destinations); NONE likewise
    done: np.ndarray  # bool per origin: its row was computed
    partial_reason: str | None = None
    work: Work = field(default_factory=Work)

    @property
    def partial(self) -> bool:
        return self.partial_reason is not None


def parse_points(network: "Network", values, field_name: str) -> list[Place]:
    """Places from a list of texts (stop ids or "lat,lon") or [lat, lon] pairs, each error
    naming its item (origins[3]); at most MAX_POINTS."""
    if not isinstance(values, list) or not values:
        raise QueryError(f"{field_name} must be a non-empty list of stop ids or \"lat,lon\" texts", field_name)
    if len(values) > MAX_POINTS:
        raise QueryError(f"{field_name} has {len(values)} points; at most {MAX_POINTS}", field_name)
    places = []
    for i, value in enumerate(values):
        name = f"{field_name}[{i}]"
        if isinstance(value, list) and len(value) == 2 and all(isinstance(v, (int, float)) for v in value):
            value = f"{value[0]},{value[1]}"
        if not isinstance(value, str):
            raise QueryError(f"{name} must be a stop id or \"lat,lon\", not {type(value).__name__}", name)
        places.append(network.places.parse(value, name))
    return places


class MatrixJob:
    """What every origin's row needs, prepared once: the day view, the departure, the
    destinations' stops (with the walks on from a coordinate)."""

    def __init__(self, network: "Network", origins: list[Place], destinations: list[Place], date: dt.date,
                 seconds: int, options: QueryOptions = QueryOptions(), limits: Limits = Limits()):
        network.check_date(date)
        self.network, self.options, self.limits = network, options, limits
        self.origins, self.destinations = origins, destinations
        self.date, self.seconds = date, seconds
        self.view = network.day(date)
        self.t0 = network.local_seconds(date, seconds) - self.view.origin
        router = self.view.router
        # destination j -> (stops, seconds on from each, by trip only): a coordinate's walks
        self.ends = []
        for place in destinations:
            if isinstance(place, tuple):
                walks, _ = network.places.walks(place, router, options, DESTINATION, forward=False)
                self.ends.append((np.array([s for s, _ in walks], np.int64),
                                  np.array([secs for _, secs in walks], np.int64), True))
            else:
                self.ends.append((np.array(place, np.int64), np.zeros(len(place), np.int64), False))

    def row(self, i: int) -> tuple[np.ndarray, np.ndarray, Work]:
        """Seconds and transfers from origin i to every destination, and the work done."""
        network, place = self.network, self.origins[i]
        n = len(self.destinations)
        travel, transfers = np.full(n, NONE, np.int64), np.full(n, NONE, np.int64)
        starts, _ = network.places.walks(place, self.view.router, self.options, ORIGIN, forward=True)
        work = Work()
        if starts:
            kept: dict = {}

            def keep(_i: int, _t: int, reached: Reached) -> bool:
                kept["reached"] = reached
                return True

            _, work = reach(self.view.router, starts, [self.t0], self.options, self.limits.max_travel_s, keep)
            reached = kept["reached"]
            for j, (stops, walk_s, by_trip) in enumerate(self.ends):
                if not len(stops):
                    continue
                at = (reached.trip_arrival if by_trip else reached.arrival)[stops]
                trips = (reached.trip_trips if by_trip else reached.trips)[stops]
                ok = at < UNREACHED
                if not ok.any():
                    continue
                arrive = np.where(ok, at.astype(np.int64) + walk_s, np.iinfo(np.int64).max)
                best = int(np.argmin(arrive))
                ties = arrive == arrive[best]
                travel[j] = int(arrive[best]) - self.t0
                transfers[j] = max(int(trips[ties].min()) - 1, 0)
        for j, end in enumerate(self.destinations):
            if _same(place, end):
                travel[j], transfers[j] = 0, 0
                continue
            walk = direct_walk(network, self.view, place, end, self.t0, self.options)
            if walk is not None and (travel[j] == NONE or walk.t_arr - self.t0 <= travel[j]):
                travel[j], transfers[j] = walk.t_arr - self.t0, 0
        beyond = travel > self.limits.max_travel_s
        travel[beyond], transfers[beyond] = NONE, NONE
        return travel, transfers, work


def _same(a: Place, b: Place) -> bool:
    if isinstance(a, tuple) or isinstance(b, tuple):
        return a == b
    return bool(set(a) & set(b))


def run_rows(job: MatrixJob, indices: Sequence[int], deadline: float) -> list[tuple[int, np.ndarray, np.ndarray, Work]]:
    """The rows of the origins `indices`, in turn, each begun only before `deadline`
    (time.perf_counter); the API runs one such call per routing thread."""
    rows = []
    for i in indices:
        if time.perf_counter() > deadline:
            break
        rows.append((i, *job.row(i)))
    return rows


def matrix(job: MatrixJob, workers: int = 1, progress: Callable[[int], None] | None = None) -> Matrix:
    """Every origin's row, on `workers` threads; progress(n) after each n rows done (in the
    calling thread). Origins not begun within the budget are left out: partial."""
    n_o, n_d = len(job.origins), len(job.destinations)
    deadline = time.perf_counter() + job.limits.budget_s
    result = empty_matrix(job)
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="matrix") as pool:
        futures = [pool.submit(run_rows, job, [i], deadline) for i in range(n_o)]
        for future in futures:
            rows = future.result()
            add_rows(result, rows)
            if progress is not None:
                progress(len(rows))
    finish(result, n_o, n_d)
    return result


def empty_matrix(job: MatrixJob) -> Matrix:
    n_o, n_d = len(job.origins), len(job.destinations)
    return Matrix(job.origins, job.destinations, job.date, job.seconds, job.limits,
                  np.full((n_o, n_d), NONE, np.int64), np.full((n_o, n_d), NONE, np.int64), np.zeros(n_o, bool))


def add_rows(result: Matrix, rows) -> None:
    w = result.work
    for i, travel, transfers, work in rows:
        result.travel_s[i], result.transfers[i], result.done[i] = travel, transfers, True
        w.rounds += work.rounds
        w.patterns_scanned += work.patterns_scanned
        w.trips_examined += work.trips_examined
        w.stops_improved += work.stops_improved


def finish(result: Matrix, n_o: int, n_d: int) -> None:
    """Flag the answer partial when some origins were not begun within the budget."""
    n_done = int(result.done.sum())
    if n_done < n_o:
        result.partial_reason = (f"the routing time budget of {result.limits.budget_s:g} s was spent after {n_done} "
                                 f"of {n_o} origins; the rows of the others are null")


def matrix_json(network: "Network", result: Matrix) -> dict:
    """The answer of POST /v1/matrix: the points as understood, then per origin its row of
    travel times (seconds) and transfers, null where not connected within the limits (or,
    when partial, where the origin was not computed)."""
    def cell(values, i):
        return [None if v == NONE else int(v) for v in values[i].tolist()] if result.done[i] else None

    return {
        "origins": [origin_json(network, p) for p in result.origins],
        "destinations": [origin_json(network, p) for p in result.destinations],
        "date": result.date.isoformat(),
        "time": clock_text(result.seconds),
        "maxTravelTime": result.limits.max_travel_s,
        "travelTimes": [cell(result.travel_s, i) for i in range(len(result.origins))],
        "transfers": [cell(result.transfers, i) for i in range(len(result.origins))],
        "originsDone": int(result.done.sum()),
        "partial": result.partial,
        "partialReason": result.partial_reason,
    }
