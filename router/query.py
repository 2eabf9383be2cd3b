"""What a query asks of the router: `QueryOptions` (Python side) and `Query` (kernel side).

`QueryOptions` holds the limits a traveller sets; `Query` is what crosses into numba: the
origins and targets as flat arrays, then the limits and masks as integers. A new filter
adds a field to both, not a parameter to every kernel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .timetable import N_ACCESS

DEFAULT_MAX_TRANSFERS = 20
MAX_TRANSFERS_LIMIT = 40
DEFAULT_TRANSFER_SLACK = 120  # seconds to change trips at one stop
DEFAULT_MAX_TRANSFER_WALK_M = 400  # metres of one walk between stops (the compiled radius caps it)
DEFAULT_MAX_ACCESS_S = 900  # seconds of walk (or ride) to the first stop: MOTIS's maxPreTransitTime default
DEFAULT_MAX_EGRESS_S = 900  # from the last stop: MOTIS's maxPostTransitTime default
DEFAULT_MAX_DIRECT_S = 1800  # of a journey without transit: MOTIS's maxDirectTime default
ALL_MODES = (1 << 62) - 1
DEFAULT_BIKE_SPEED_M_S = 5.0  # OpenTripPlanner 2's bikeSpeed default
STREET_MODES = ("WALK", "BICYCLE")  # how a traveller reaches the first stop, leaves the last, or goes direct
# how stops and trips of unknown accessibility (GTFS 0: the field left blank) are treated
ALLOW, EXCLUDE = "allow", "exclude"
DEFAULT_WHEELCHAIR_UNKNOWN = ALLOW  # most feeds leave wheelchair_boarding / _accessible blank
DEFAULT_BIKE_UNKNOWN = EXCLUDE  # a bike is refused unless the feed says bikes_allowed=1
ALL_ACCESS = (1 << N_ACCESS) - 1  # Query.access_mask: every pattern
ALL_STOPS = 0b111  # Query.stop_mask: every stop, whatever its wheelchair_boarding (0, 1, 2)


@dataclass(frozen=True)
class QueryOptions:
    """What a traveller limits. The router applies the transfer limits, the transit modes, the
    wheelchair and bike masks and the walking speed; the service applies the access, egress
    and direct limits and modes."""

    max_transfers: int = DEFAULT_MAX_TRANSFERS
    transfer_slack: int = DEFAULT_TRANSFER_SLACK  # seconds
    max_transfer_walk_m: int = DEFAULT_MAX_TRANSFER_WALK_M  # metres walked between two stops; 0: only timed links
    mode_mask: int = ALL_MODES  # bit m set: mode family m allowed
    max_access_s: int = DEFAULT_MAX_ACCESS_S
    max_egress_s: int = DEFAULT_MAX_EGRESS_S
    max_direct_s: int = DEFAULT_MAX_DIRECT_S
    walk_speed_m_s: float | None = None  # None: the speed the network was compiled with
    # a wheelchair user: boards and alights only at stops with wheelchair_boarding 1 and rides
    # only trips with wheelchair_accessible 1, and unknown (0) ones as wheelchair_unknown says;
    # (the service also keeps the walks step-free: between stops the Router's step_free
    # timetable, feeds/step_free.py; to and from a coordinate service/walking.py's Mode)
    wheelchair: bool = False
    wheelchair_unknown: str = DEFAULT_WHEELCHAIR_UNKNOWN  # ALLOW or EXCLUDE
    # a bike taken on board: rides only trips with bikes_allowed 1, and unknown (0) ones as
    # bike_unknown says
    bike_on_board: bool = False
    bike_unknown: str = DEFAULT_BIKE_UNKNOWN  # ALLOW or EXCLUDE
    # the street modes (STREET_MODES) of the access, egress and direct legs, applied by the
    # service; BICYCLE access without bike_on_board leaves the bike at the first stop
    access_mode: str = "WALK"
    egress_mode: str = "WALK"
    direct_mode: str = "WALK"
    bike_speed_m_s: float = DEFAULT_BIKE_SPEED_M_S


class Query(NamedTuple):
    # Origin i -> a stop where the journey may board, and the time it is ready there
    # (seconds from the view origin)
    origin_stops: np.ndarray  # int32
    origin_ready: np.ndarray  # int32
    # Target i -> a destination stop, and the seconds still needed from it to the destination
    target_stops: np.ndarray  # int32
    target_egress: np.ndarray  # int32
    max_rounds: int  # most trips in a journey
    slack: int  # seconds to change trips at one stop where transfers.txt gives no time
    max_walk_m: int  # longest walk (metres walked) taken between stops; timed links are always taken
    walk_extra_ms: int  # milliseconds per metre walked added to the compiled footpath times (a slower walker)
    mode_mask: int  # bit m set: mode family m may be ridden
    # bit a set: patterns of access class a (Timetable.pattern_stop_rules >> ACCESS_SHIFT) may be ridden
    access_mask: int
    # bit w set: stops of wheelchair_boarding w (Timetable.pattern_stop_rules >> WHEELCHAIR_SHIFT
    # & 3) may be boarded and alighted at where their rules allow it
    stop_mask: int


def walk_extra_ms(options: QueryOptions, compiled_speed_m_s: float) -> int:
    """Milliseconds per metre that the query's walking speed adds to compiled walks (< 0: faster)."""
    if not options.walk_speed_m_s:
        return 0
    return int(round(1000 / options.walk_speed_m_s - 1000 / compiled_speed_m_s))


def wheelchair_values(options: QueryOptions) -> tuple[int, ...]:
    """The wheelchair_boarding / wheelchair_accessible values (0 unknown, 1 yes, 2 no) the
    query's traveller may use: every one without `wheelchair`."""
    if not options.wheelchair:
        return (0, 1, 2)
    return _allowed(options.wheelchair_unknown, "wheelchair_unknown")


def bike_values(options: QueryOptions) -> tuple[int, ...]:
    """The bikes_allowed values of the trips the query's traveller may ride: every one
    without `bike_on_board`."""
    if not options.bike_on_board:
        return (0, 1, 2)
    return _allowed(options.bike_unknown, "bike_unknown")


def _allowed(unknown: str, field: str) -> tuple[int, ...]:
    """The GTFS accessibility values (0 unknown, 1 yes, 2 no) a restricted query accepts."""
    if unknown not in (ALLOW, EXCLUDE):
        raise ValueError(f"{field} must be {ALLOW!r} or {EXCLUDE!r}, not {unknown!r}")
    return (0, 1) if unknown == ALLOW else (1,)


def access_mask(options: QueryOptions) -> int:
    """Query.access_mask: the access classes 3 * wheelchair_accessible + bikes_allowed allowed."""
    if not (options.wheelchair or options.bike_on_board):
        return ALL_ACCESS
    return sum(1 << (3 * w + b) for w in wheelchair_values(options) for b in bike_values(options))


def stop_mask(options: QueryOptions) -> int:
    """Query.stop_mask: with wheelchair, the wheelchair_boarding values of the stops that may be
    boarded and alighted at; else every stop."""
    if not options.wheelchair:
        return ALL_STOPS
    return sum(1 << w for w in wheelchair_values(options))


def make_query(origins: list[tuple[int, int]], targets: list[tuple[int, int]], options: QueryOptions,
               compiled_speed_m_s: float) -> Query:
    """A Query from (stop, ready time) origins, (stop, egress seconds) targets and options."""
    if not 0 <= options.max_transfers <= MAX_TRANSFERS_LIMIT:
        raise ValueError(f"max_transfers must be between 0 and {MAX_TRANSFERS_LIMIT}")
    return Query(
        np.array([o[0] for o in origins], dtype=np.int32),
        np.array([o[1] for o in origins], dtype=np.int32),
        np.array([t[0] for t in targets], dtype=np.int32),
        np.array([t[1] for t in targets], dtype=np.int32),
        int(options.max_transfers) + 1,
        int(options.transfer_slack),
        int(options.max_transfer_walk_m),
        walk_extra_ms(options, compiled_speed_m_s),
        int(options.mode_mask),
        access_mask(options),
        stop_mask(options),
    )
