"""What a query asks of the router: `QueryOptions` (Python side) and `Query` (kernel side).

`QueryOptions` holds the limits a traveller sets; `Query` is what crosses into numba: the
origins and targets as flat arrays, then the limits and masks as integers. A new filter
adds a field to both, not a parameter to every kernel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

DEFAULT_MAX_TRANSFERS = 20
MAX_TRANSFERS_LIMIT = 40
DEFAULT_TRANSFER_SLACK = 120  # seconds to change trips at one stop
DEFAULT_MAX_TRANSFER_WALK_M = 400  # metres of one walk between stops (the compiled radius caps it)
DEFAULT_MAX_ACCESS_S = 900  # seconds of walk (or ride) to the first stop: MOTIS's maxPreTransitTime default
DEFAULT_MAX_EGRESS_S = 900  # from the last stop: MOTIS's maxPostTransitTime default
DEFAULT_MAX_DIRECT_S = 1800  # of a journey without transit: MOTIS's maxDirectTime default
ALL_MODES = (1 << 62) - 1


@dataclass(frozen=True)
class QueryOptions:
    """What a traveller limits. The router applies the transfer limits, the transit modes and
    the walking speed; the service applies the access, egress and direct limits."""

    max_transfers: int = DEFAULT_MAX_TRANSFERS
    transfer_slack: int = DEFAULT_TRANSFER_SLACK  # seconds
    max_transfer_walk_m: int = DEFAULT_MAX_TRANSFER_WALK_M  # metres walked between two stops; 0: only timed links
    mode_mask: int = ALL_MODES  # bit m set: mode family m allowed
    max_access_s: int = DEFAULT_MAX_ACCESS_S
    max_egress_s: int = DEFAULT_MAX_EGRESS_S
    max_direct_s: int = DEFAULT_MAX_DIRECT_S
    walk_speed_m_s: float | None = None  # None: the speed the network was compiled with


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


def walk_extra_ms(options: QueryOptions, compiled_speed_m_s: float) -> int:
    """Milliseconds per metre that the query's walking speed adds to compiled walks (< 0: faster)."""
    if not options.walk_speed_m_s:
        return 0
    return int(round(1000 / options.walk_speed_m_s - 1000 / compiled_speed_m_s))


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
    )
