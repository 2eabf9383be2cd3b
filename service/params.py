"""Query parameters as the API and the command line take them: parsed from text,
range-checked, every error naming its field."""

from __future__ import annotations

import datetime as dt

from trajet.feeds.modes import MODES, mode_mask
from trajet.router.query import (
    ALL_MODES,
    DEFAULT_MAX_TRANSFERS,
    DEFAULT_MAX_WALK_M,
    DEFAULT_TRANSFER_SLACK,
    MAX_TRANSFERS_LIMIT,
    QueryOptions,
)

from .errors import QueryError

DEFAULT_NUM_ITINERARIES = 5
MAX_NUM_ITINERARIES = 20


def parse_date(text: str, field: str = "date") -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise QueryError(f"{field} {text!r} is not a date YYYY-MM-DD", field) from None


def parse_time(text: str, field: str = "time") -> int:
    """Seconds after midnight of HH:MM or HH:MM:SS (hours up to 47, for next-day times)."""
    parts = (text or "").strip().split(":")
    try:
        if len(parts) not in (2, 3):
            raise ValueError
        h, m, s = (int(p) for p in parts + ["0"] * (3 - len(parts)))
        if not (0 <= h <= 47 and 0 <= m < 60 and 0 <= s < 60):
            raise ValueError
    except ValueError:
        raise QueryError(f"{field} {text!r} is not a time HH:MM[:SS]", field) from None
    return h * 3600 + m * 60 + s


def when(network, date_text: str | None, time_text: str | None) -> tuple[dt.date, int]:
    """The date and the seconds after midnight asked, each defaulting to the network clock's now."""
    now = network.now()
    date = parse_date(date_text) if date_text else now.date()
    seconds = parse_time(time_text) if time_text else now.hour * 3600 + now.minute * 60 + now.second
    return date, seconds


def clock_text(seconds: int) -> str:
    """HH:MM:SS of seconds after midnight (hours may pass 24)."""
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def parse_int(text: str | None, field: str, default: int, lo: int, hi: int, unit: str = "") -> int:
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise QueryError(f"{field} {text!r} is not a whole number", field) from None
    if not lo <= value <= hi:
        raise QueryError(f"{field} {value} is out of range {lo}..{hi}{unit}", field)
    return value


def parse_modes(allowed: str | None, excluded: str | None = None, field: str = "modes") -> int:
    """Bit mask of mode families from comma-separated names to allow and to exclude."""
    names = [m.strip().upper() for m in (allowed or "").split(",") if m.strip()]
    exclude = [m.strip().upper() for m in (excluded or "").split(",") if m.strip()]
    if not names and not exclude:
        return ALL_MODES
    try:
        return mode_mask(names or None, exclude=exclude)
    except ValueError as e:
        raise QueryError(str(e), field) from None


def query_options(max_transfers=None, transfer_slack=None, max_walk=None, modes=None,
                  exclude_modes=None) -> QueryOptions:
    """QueryOptions from raw texts (None: the default); raises QueryError naming the field."""
    return QueryOptions(
        max_transfers=parse_int(max_transfers, "maxTransfers", DEFAULT_MAX_TRANSFERS, 0, MAX_TRANSFERS_LIMIT),
        transfer_slack=parse_int(transfer_slack, "transferSlack", DEFAULT_TRANSFER_SLACK, 0, 3600, " s"),
        max_walk_m=parse_int(max_walk, "maxWalk", DEFAULT_MAX_WALK_M, 0, 5000, " m"),
        mode_mask=parse_modes(modes, exclude_modes),
    )


def options_json(options: QueryOptions) -> dict:
    """The options applied, defaults made explicit (for transparency in every answer)."""
    return {
        "maxTransfers": options.max_transfers,
        "transferSlack": options.transfer_slack,
        "maxWalk": options.max_walk_m,
        "modes": [m for i, m in enumerate(MODES) if options.mode_mask >> i & 1],
    }
