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
DEFAULT_MAX_WALK_M = 0  # generated footpaths off by default; transfers.txt links always on
ALL_MODES = (1 << 62) - 1


@dataclass(frozen=True)
class QueryOptions:
    max_transfers: int = DEFAULT_MAX_TRANSFERS
    transfer_slack: int = DEFAULT_TRANSFER_SLACK  # seconds
    max_walk_m: int = DEFAULT_MAX_WALK_M  # metres of generated footpath; 0 disables them
    mode_mask: int = ALL_MODES  # bit m set: mode family m allowed


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
    max_walk_m: int  # longest generated footpath taken; transfers.txt links are always taken
    mode_mask: int  # bit m set: mode family m may be ridden


def make_query(origins: list[tuple[int, int]], targets: list[tuple[int, int]], options: QueryOptions) -> Query:
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
        int(options.max_walk_m),
        int(options.mode_mask),
    )
