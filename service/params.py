"""Query parameters as the API and the command line take them: parsed from text,
range-checked, every error naming its field."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from trajet.feeds.geo import WALK_SPEED_M_S
from trajet.feeds.modes import MODES, mode_mask
from trajet.router.query import (
    ALL_MODES,
    ALLOW,
    DEFAULT_BIKE_SPEED_M_S,
    DEFAULT_BIKE_UNKNOWN,
    DEFAULT_MAX_ACCESS_S,
    DEFAULT_MAX_DIRECT_S,
    DEFAULT_MAX_EGRESS_S,
    DEFAULT_MAX_TRANSFER_WALK_M,
    DEFAULT_MAX_TRANSFERS,
    DEFAULT_TRANSFER_SLACK,
    DEFAULT_WHEELCHAIR_UNKNOWN,
    EXCLUDE,
    MAX_TRANSFERS_LIMIT,
    STREET_MODES,
    QueryOptions,
)

from .errors import QueryError

DEFAULT_NUM_ITINERARIES = 5
MAX_NUM_ITINERARIES = 20
DEFAULT_SEARCH_WINDOW_S = 3600  # OpenTripPlanner 2's and MOTIS's name, one hour
MAX_SEARCH_WINDOW_S = 6 * 3600  # the default maximum (trajet serve --max-search-window)


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


# The query parameters of a plan, as the API names them, with their meaning (OpenAPI and
# the CLI's --help read this table). maxWalk is the former single walking limit, kept for
# existing clients: it sets the three walks (metres; access and egress at the walking speed).
PLAN_PARAMETERS = {
    "searchWindow": f"seconds of departures searched from the time asked: every journey leaving then that no "
                    f"other beats on (later departure, earlier arrival, fewer transfers) (default "
                    f"{DEFAULT_SEARCH_WINDOW_S}; at most the server's maximum, {MAX_SEARCH_WINDOW_S} by default; 0: "
                    "the journeys of one departure)",
    "pageCursor": "nextPageCursor or previousPageCursor of an earlier answer: the window after or before it, "
                  "with the same from, to and options (it replaces date, time and searchWindow)",
    "arriveBy": "true: `time` is the latest arrival, and the answer the latest departures that arrive by it, latest "
                "first (by a search of the timetable mirrored in time); false: the earliest arrivals leaving at "
                "`time` or later (default false)",
    "maxTransfers": f"most changes of vehicle (0..{MAX_TRANSFERS_LIMIT}, default {DEFAULT_MAX_TRANSFERS})",
    "transferSlack": f"seconds at least to change vehicles at one stop (default {DEFAULT_TRANSFER_SLACK})",
    "maxTransferWalk": "metres walked at most between two stops on a change (default "
                       f"{DEFAULT_MAX_TRANSFER_WALK_M}; the network's compiled radius caps it; walks timed by "
                       "transfers.txt, pathways or inside a station are always allowed)",
    "maxPreTransitTime": f"seconds at most from the origin to the first stop (default {DEFAULT_MAX_ACCESS_S})",
    "maxPostTransitTime": f"seconds at most from the last stop to the destination (default {DEFAULT_MAX_EGRESS_S})",
    "maxDirectTime": f"seconds at most of a journey on foot only (default {DEFAULT_MAX_DIRECT_S}; 0: none)",
    "walkSpeed": "metres per second (0.3..3; default: the network's, 1.33)",
    "maxWalk": "deprecated alias: metres of every walk (sets maxTransferWalk, and maxPreTransitTime and "
               "maxPostTransitTime at the walking speed)",
    "modes": f"transit mode families allowed, comma-separated: {', '.join(MODES)}",
    "excludeModes": "transit mode families left out, comma-separated",
    "accessMode": f"how the first stop is reached from the origin: {' or '.join(STREET_MODES)} (default WALK); "
                  "BICYCLE without bikeOnBoard leaves the bike at the first stop",
    "egressMode": f"how the destination is reached from the last stop: {' or '.join(STREET_MODES)} (default WALK)",
    "directMode": f"the journey without transit: {' or '.join(STREET_MODES)} (default WALK)",
    "bikeSpeed": f"metres per second on a bicycle (1..12; default {DEFAULT_BIKE_SPEED_M_S:g}, as OpenTripPlanner)",
    "bikeOnBoard": "true: the bike is taken on board, only trips with bikes_allowed=1 are ridden (default false)",
    "bikeUnknown": f"with bikeOnBoard, trips whose bikes_allowed is unknown (blank or 0): {ALLOW} or {EXCLUDE} "
                   f"(default {DEFAULT_BIKE_UNKNOWN}: a bike is refused unless the feed says otherwise)",
    "wheelchair": "true: only stops with wheelchair_boarding=1 (a platform's unknown is its station's) are boarded "
                  "or alighted at, only trips with wheelchair_accessible=1 ridden, walks step-free (default false)",
    "wheelchairUnknown": f"with wheelchair, stops and trips of unknown accessibility (blank or 0): {ALLOW} or "
                         f"{EXCLUDE} (default {DEFAULT_WHEELCHAIR_UNKNOWN}: most feeds leave it blank, so excluding "
                         "them would leave most networks without a journey)",
}


# the inclusive range of each numeric parameter of a plan (maxWalk and the transfer walk in
# metres, the times in seconds, the speeds in metres per second), read by query_options and
# written in the OpenAPI document (api/endpoints.py)
PLAN_RANGES = {"maxTransfers": (0, MAX_TRANSFERS_LIMIT), "transferSlack": (0, 3600), "maxTransferWalk": (0, 5000),
               "maxPreTransitTime": (0, 7200), "maxPostTransitTime": (0, 7200), "maxDirectTime": (0, 14400),
               "maxWalk": (0, 5000), "walkSpeed": (0.3, 3.0), "bikeSpeed": (1.0, 12.0)}


def given(params, name: str) -> bool:
    """Whether a mapping of texts gives `name` a value: absent or empty ("") is the default."""
    return params.get(name) not in (None, "")


@dataclass(frozen=True)
class Exclusive:
    """Two parameters that cannot both be given (each with a value: an empty one is the default).

    A conflict is any callable taking the mapping of texts and raising QueryError when the
    parameters contradict each other; its `description` (else its docstring) says when, for
    the OpenAPI document. This one names both parameters and what to give instead."""

    first: str
    second: str
    advice: str  # what to give instead
    field: str = ""  # the parameter error.field names (default: first)

    def __call__(self, params) -> None:
        if given(params, self.first) and given(params, self.second):
            raise QueryError(f"{self.first} and {self.second} conflict: {self.advice}", self.field or self.first)

    @property
    def description(self) -> str:
        return f"{self.first} with {self.second}: {self.advice}"


def describe(conflict) -> str:
    """What a conflict refuses, in one line: its `description`, else its docstring's first paragraph."""
    text = getattr(conflict, "description", None) or (conflict.__doc__ or "").strip().split("\n\n")[0]
    return " ".join(text.split())


def check_conflicts(params, conflicts) -> None:
    """Raises the QueryError of the first of `conflicts` that the mapping of texts meets."""
    for conflict in conflicts:
        conflict(params)


def parse_speed(text: str | None, field: str = "walkSpeed", lo: float = 0.3, hi: float = 3.0) -> float | None:
    if text is None or text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        raise QueryError(f"{field} {text!r} is not a number (metres per second)", field) from None
    if not lo <= value <= hi:  # also refuses nan
        raise QueryError(f"{field} {value} is out of range {lo:g}..{hi:g} m/s", field)
    return value


def parse_bool(text: str | None, field: str, default: bool = False) -> bool:
    if text is None or text == "":
        return default
    value = text.strip().lower()
    if value not in ("true", "false"):
        raise QueryError(f"{field} {text!r} is not true or false", field)
    return value == "true"


def arrive_by(params) -> bool:
    """The plan's arriveBy (a mapping of PLAN_PARAMETERS names to texts); QueryError names it."""
    return parse_bool(params.get("arriveBy"), "arriveBy")


def parse_choice(text: str | None, field: str, choices: tuple[str, ...], default: str, upper: bool = False) -> str:
    """One of `choices` (case-insensitive; given in upper case when `upper`, else lower)."""
    if text is None or text == "":
        return default
    value = text.strip().upper() if upper else text.strip().lower()
    if value not in choices:
        raise QueryError(f"{field} {text!r} is not one of {', '.join(choices)}", field)
    return value


# Parameters of a plan that contradict each other: refused (QueryError) by query_options, so
# by the API (before any work, api/endpoints.py) and the command line alike. A conflict is a
# callable on the mapping of texts (see Exclusive); add one here and OpenAPI documents it.
MAX_WALK_ADVICE = ("maxWalk is the former single walking limit and sets maxTransferWalk, maxPreTransitTime and "
                   "maxPostTransitTime; give those instead of maxWalk")
PLAN_CONFLICTS = tuple(Exclusive("maxWalk", name, MAX_WALK_ADVICE)
                       for name in ("maxTransferWalk", "maxPreTransitTime", "maxPostTransitTime"))

# the PLAN_PARAMETERS a departure board takes too: who travels (a wheelchair, a bike on board)
ACCESS_PARAMETERS = ("wheelchair", "wheelchairUnknown", "bikeOnBoard", "bikeUnknown")


def _access_fields(get) -> dict:
    """The QueryOptions fields of ACCESS_PARAMETERS from a mapping's get; QueryError naming the field."""
    return {
        "wheelchair": parse_bool(get("wheelchair"), "wheelchair"),
        "wheelchair_unknown": parse_choice(get("wheelchairUnknown"), "wheelchairUnknown", (ALLOW, EXCLUDE),
                                           DEFAULT_WHEELCHAIR_UNKNOWN),
        "bike_on_board": parse_bool(get("bikeOnBoard"), "bikeOnBoard"),
        "bike_unknown": parse_choice(get("bikeUnknown"), "bikeUnknown", (ALLOW, EXCLUDE), DEFAULT_BIKE_UNKNOWN),
    }


def access_options(params) -> QueryOptions:
    """QueryOptions with only the ACCESS_PARAMETERS of a mapping of texts set (a departure board)."""
    return QueryOptions(**_access_fields(params.get))


def access_json(options: QueryOptions) -> dict:
    """The ACCESS_PARAMETERS applied, defaults made explicit."""
    return {"wheelchair": options.wheelchair, "wheelchairUnknown": options.wheelchair_unknown,
            "bikeOnBoard": options.bike_on_board, "bikeUnknown": options.bike_unknown}


def query_options(params, compiled_speed_m_s: float = WALK_SPEED_M_S) -> QueryOptions:
    """QueryOptions from a mapping of PLAN_PARAMETERS names to texts (absent or "": the
    default); raises QueryError naming the field, or at the first of PLAN_CONFLICTS met
    (its message naming both parameters)."""
    check_conflicts(params, PLAN_CONFLICTS)
    get = params.get

    def whole(name: str, default: int, unit: str = "") -> int:
        return parse_int(get(name), name, default, *PLAN_RANGES[name], unit)

    speed = parse_speed(get("walkSpeed"), "walkSpeed", *PLAN_RANGES["walkSpeed"])
    max_walk = whole("maxWalk", -1, " m")
    walk_s = None if max_walk < 0 else math.ceil(max_walk / (speed or compiled_speed_m_s))
    return QueryOptions(
        max_transfers=whole("maxTransfers", DEFAULT_MAX_TRANSFERS),
        transfer_slack=whole("transferSlack", DEFAULT_TRANSFER_SLACK, " s"),
        max_transfer_walk_m=whole("maxTransferWalk", DEFAULT_MAX_TRANSFER_WALK_M if max_walk < 0 else max_walk, " m"),
        mode_mask=parse_modes(get("modes"), get("excludeModes")),
        max_access_s=whole("maxPreTransitTime", DEFAULT_MAX_ACCESS_S if walk_s is None else walk_s, " s"),
        max_egress_s=whole("maxPostTransitTime", DEFAULT_MAX_EGRESS_S if walk_s is None else walk_s, " s"),
        max_direct_s=whole("maxDirectTime", DEFAULT_MAX_DIRECT_S, " s"),
        walk_speed_m_s=speed,
        **_access_fields(get),
        access_mode=parse_choice(get("accessMode"), "accessMode", STREET_MODES, "WALK", upper=True),
        egress_mode=parse_choice(get("egressMode"), "egressMode", STREET_MODES, "WALK", upper=True),
        direct_mode=parse_choice(get("directMode"), "directMode", STREET_MODES, "WALK", upper=True),
        bike_speed_m_s=parse_speed(get("bikeSpeed"), "bikeSpeed", *PLAN_RANGES["bikeSpeed"]) or DEFAULT_BIKE_SPEED_M_S,
    )


def options_json(options: QueryOptions, compiled_speed_m_s: float = WALK_SPEED_M_S) -> dict:
    """The options applied, defaults made explicit (for transparency in every answer)."""
    return {
        "maxTransfers": options.max_transfers,
        "transferSlack": options.transfer_slack,
        "maxTransferWalk": options.max_transfer_walk_m,
        "maxPreTransitTime": options.max_access_s,
        "maxPostTransitTime": options.max_egress_s,
        "maxDirectTime": options.max_direct_s,
        "walkSpeed": options.walk_speed_m_s or compiled_speed_m_s,
        "modes": [m for i, m in enumerate(MODES) if options.mode_mask >> i & 1],
        "accessMode": options.access_mode,
        "egressMode": options.egress_mode,
        "directMode": options.direct_mode,
        "bikeSpeed": options.bike_speed_m_s,
        **access_json(options),
    }


def parse_search_window(text: str | None, max_s: int = MAX_SEARCH_WINDOW_S) -> int:
    """Seconds of departures a plan searches (searchWindow); QueryError beyond the maximum."""
    window = parse_int(text, "searchWindow", min(DEFAULT_SEARCH_WINDOW_S, max_s), 0, 10**9, " s")
    if window > max_s:
        raise QueryError(f"searchWindow {window} s is more than this server's maximum, {max_s} s: ask for "
                         "later journeys with the answer's nextPageCursor instead", "searchWindow")
    return window
