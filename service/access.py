"""Who may ride what: a query's wheelchair and bike restrictions applied to the stops and trips
of a departure board or of a journey, and the GTFS values named as OpenTripPlanner's API names
them.

GTFS says 0 (blank: no information), 1 (yes) or 2 (no) in stops.txt wheelchair_boarding (a
platform's 0 is its station's, compiled into stop_wheelchair), trips.txt wheelchair_accessible
and bikes_allowed. With `wheelchair` a traveller boards and alights only at stops, and rides
only trips, of the values `wheelchair_values` accepts; with `bike_on_board` only trips of the
values `bike_values` accepts: the router's masks are made of the same (router/query.py).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from trajet.router.planner import Journey
from trajet.router.query import ALLOW, QueryOptions, bike_values, wheelchair_values

from .dayview import DayView

# GTFS 0, 1, 2 -> OpenTripPlanner's names (its GTFS GraphQL API: enums WheelchairBoarding, also
# used for a trip's wheelchairAccessible, and BikesAllowed)
WHEELCHAIR_NAMES = ("NO_INFORMATION", "POSSIBLE", "NOT_POSSIBLE")
BIKES_NAMES = ("NO_INFORMATION", "ALLOWED", "NOT_ALLOWED")
MAX_NAMED = 4  # barriers named in one description; the rest counted


def usable_trips(network, view: DayView, trips: np.ndarray, options: QueryOptions) -> np.ndarray:
    """Mask of the view trips the traveller may ride."""
    net = network.net
    source = np.asarray(view.trip_source)[np.asarray(trips, np.int64)]
    return (np.isin(np.asarray(net.trip_wheelchair)[source], wheelchair_values(options))
            & np.isin(np.asarray(net.trip_bikes)[source], bike_values(options)))


def usable_stops(network, stops, options: QueryOptions) -> np.ndarray:
    """Mask of the stops the traveller may board and alight at."""
    return np.isin(np.asarray(network.net.stop_wheelchair)[np.asarray(stops, np.int64)], wheelchair_values(options))


class Barrier(NamedTuple):
    """Why a leg of a journey is closed to the traveller: the restriction (wheelchair or
    bike), whether it is only the unknown that is excluded, and a phrase saying where."""

    restriction: str  # "wheelchair" or "bike"
    unknown: bool  # GTFS 0, left out by wheelchairUnknown / bikeUnknown = exclude
    text: str


def journey_barriers(network, view: DayView, journey: Journey, options: QueryOptions) -> list[Barrier]:
    """The trips and boarding or alighting stops of `journey` that the query's wheelchair and
    bike restrictions close, in travel order."""
    net = network.net
    wheelchair, bikes = wheelchair_values(options), bike_values(options)
    out = []

    def stop_text(stop: int) -> str:
        return f"{net.stop_name[stop]} ({net.stop_id[stop]})"

    for leg in journey.legs:
        if leg.kind != "trip":
            continue
        source = view.source_trip(leg.trip)
        route = int(net.trip_route[source])
        line = str(net.route_short_name[route] or net.route_long_name[route] or net.route_id[route])
        trip = f"trip {net.trip_id[source]} (route {line}, {stop_text(leg.from_stop)} -> {stop_text(leg.to_stop)})"
        value = int(net.stop_wheelchair[leg.from_stop])
        if value not in wheelchair:
            out.append(_wheelchair_stop(f"boards at {stop_text(leg.from_stop)}", value))
        value = int(net.trip_wheelchair[source])
        if value not in wheelchair:
            out.append(Barrier("wheelchair", value == 0, f"rides {trip}, " + (
                "of unknown wheelchair accessibility (wheelchair_accessible blank or 0), which "
                "wheelchairUnknown=exclude leaves out" if value == 0
                else "which is not wheelchair accessible (wheelchair_accessible=2)")))
        value = int(net.trip_bikes[source])
        if value not in bikes:
            out.append(Barrier("bike", value == 0, f"rides {trip}, " + (
                f"whose bikes_allowed is unknown (blank or 0), which bikeUnknown={options.bike_unknown} leaves out "
                f"(bikeUnknown={ALLOW} takes it)" if value == 0
                else "which refuses bikes (bikes_allowed=2)")))
        value = int(net.stop_wheelchair[leg.to_stop])
        if value not in wheelchair:
            out.append(_wheelchair_stop(f"alights at {stop_text(leg.to_stop)}", value))
    return out


def _wheelchair_stop(where: str, value: int) -> Barrier:
    return Barrier("wheelchair", value == 0, f"{where}, " + (
        "a stop of unknown wheelchair boarding (wheelchair_boarding blank or 0), which wheelchairUnknown=exclude "
        "leaves out" if value == 0 else "where wheelchair boarding is not possible (wheelchair_boarding=2)"))


def barrier_text(barriers: list[Barrier]) -> str:
    """The barriers as one phrase: the first MAX_NAMED, then how many more."""
    named = "; ".join(b.text for b in barriers[:MAX_NAMED])
    more = len(barriers) - MAX_NAMED
    return named + (f"; and {more} more" if more > 0 else "")
