"""Page cursors of a plan with a departure window: where the next and the previous window
begin, as opaque strings the client passes back as `pageCursor`.

OpenTripPlanner 2's page cursors are the precedent: a cursor holds the window it moves to
and the version of the timetable it was made on, so that after a feed swap it answers a
clear error instead of journeys of a timetable that is gone; it also holds a digest of the
rest of the search (from, to, every option), so that a cursor passed with other parameters
is refused rather than silently paging another search. The page's date, time and window
come from the cursor; the request gives the rest, unchanged.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from .errors import QueryError
from .params import arrive_by, parse_search_window, when

# parameters a cursor replaces, or that may change between pages: not in the search's digest
# (arriveBy is checked on its own, for a clear message)
PAGE_PARAMETERS = ("date", "time", "searchWindow", "pageCursor", "numItineraries", "arriveBy")
CURSOR_FORMAT = 1


@dataclass(frozen=True)
class Page:
    """One window of a search: departures from `seconds` after midnight of `date` (it may
    pass 24 h, or be negative for a window before that midnight) for `window_s` seconds; of
    an arrive-by search, arrivals in the `window_s` seconds up to it."""

    date: dt.date
    seconds: int
    window_s: int
    arrive_by: bool = False

    def next(self) -> Page:
        return Page(self.date, self.seconds + self.window_s, self.window_s, self.arrive_by)

    def previous(self) -> Page:
        return Page(self.date, self.seconds - self.window_s, self.window_s, self.arrive_by)


def search_digest(params) -> str:
    """A digest of the search's parameters but those of one page (PAGE_PARAMETERS)."""
    items = sorted((k, v) for k, v in params.items() if k not in PAGE_PARAMETERS)
    return hashlib.sha256(json.dumps(items).encode()).hexdigest()[:16]


def encode_cursor(page: Page, version: str, digest: str) -> str:
    body = {"f": CURSOR_FORMAT, "v": version, "q": digest, "d": page.date.isoformat(), "t": page.seconds,
            "w": page.window_s, "a": page.arrive_by}
    return base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(text: str, version: str, digest: str, arrive_by: bool = False) -> Page:
    """The page a cursor names; QueryError (field pageCursor) when it is not one of ours, was
    made on another timetable, for a search in the other direction, or for another search."""
    try:
        body = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        page = Page(dt.date.fromisoformat(body["d"]), int(body["t"]), int(body["w"]), bool(body["a"]))
        made_on, made_for, form = str(body["v"]), str(body["q"]), body["f"]
    except (binascii.Error, ValueError, KeyError, TypeError, AttributeError):
        raise QueryError("pageCursor is not a cursor of this service: pass back nextPageCursor or "
                         "previousPageCursor exactly as an answer gave it", "pageCursor") from None
    if form != CURSOR_FORMAT or page.window_s <= 0:
        raise QueryError("pageCursor is not a cursor of this service", "pageCursor")
    if made_on != version:
        raise QueryError(f"pageCursor was made on timetable version {made_on}; the timetable has changed since "
                         f"(now {version}): search again without pageCursor", "pageCursor")
    if page.arrive_by != arrive_by:
        raise QueryError(f"pageCursor pages {'an arrive-by' if page.arrive_by else 'a departure'} search, and this "
                         f"one {'arrives by' if arrive_by else 'leaves at'} its time: pass arriveBy as the answer that "
                         "gave the cursor had it, or search again without pageCursor", "pageCursor")
    if made_for != digest:
        raise QueryError("pageCursor belongs to another search: pass it with the same from, to and options as "
                         "the answer that gave it (only date, time, searchWindow and numItineraries may differ)",
                         "pageCursor")
    return page


def page_of(network, params, max_window_s: int) -> Page:
    """The window a plan request asks for: its pageCursor's, else its date, time and
    searchWindow (with a cursor, those are the first page's, kept as OpenTripPlanner 2's
    clients keep them, and the cursor's window wins)."""
    by = arrive_by(params)
    cursor = params.get("pageCursor")
    if cursor:
        return decode_cursor(cursor, network.version, search_digest(params), by)
    date, seconds = when(network, params.get("date"), params.get("time"))
    return Page(date, seconds, parse_search_window(params.get("searchWindow"), max_window_s), by)


def page_cursors(network, params, page: Page) -> dict:
    """nextPageCursor and previousPageCursor of an answer for `page` (none for a single
    departure): the windows after and before it (later and earlier arrivals, arrive-by)."""
    if page.window_s <= 0:
        return {}
    digest = search_digest(params)
    return {"nextPageCursor": encode_cursor(page.next(), network.version, digest),
            "previousPageCursor": encode_cursor(page.previous(), network.version, digest)}
