"""transfers.txt rows between two trips, and the blocks of trips.txt, for one feed.

A traveller may stay on board when a vehicle goes on as another trip: consecutive trips of
one `block_id` on a service day (the day view pairs them, service/view_links.py), or two
trips joined by transfer_type 4 (in-seat). transfer_type 5 says the traveller must alight
between two trips of a block. Types 1 (timed) and 2 (minimum time) between two trips, or two
routes, give a change the router keeps even where the stop's change time would not allow it;
type 3 between them, and type 2 for a change sooner than its time, refuse the change. Rules
of types 1 to 3 may name a trip or route on one side only: the other side is every trip
calling at its stop.

Compiled here: each compiled trip's block, and each row between two trips or routes as the
compiled trips (or routes) and the positions in the trips' patterns where the traveller
leaves and enters.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .read import IN_SEAT, IN_SEAT_NOT_ALLOWED, GtfsFeed
from .report import Report

TIMED, MIN_TIME, NOT_POSSIBLE = 1, 2, 3  # transfers.txt transfer_type
# metres between one trip's last stop and the next trip's first, in one block, for the
# traveller to stay on board (OpenTripPlanner 2's default interlining distance)
INTERLINE_MAX_M = 200.0
F = "transfers.txt"


class TripLinks(dict):
    """link_from_trip, link_to_trip (int32, -1 for a side named by its route or by its stop
    only), link_from_route, link_to_route (int32, -1 for a side named by its trip or by its
    stop only), link_from_stop, link_to_stop
    (int32, -1 blank), link_from_pos, link_to_pos (int32, -1 for a route's side: each trip's
    own), link_type (int8), link_secs (int32, -1 none): the CompiledNetwork fields, local to
    the feed."""


def trip_blocks(feed: GtfsFeed, trip_index: np.ndarray) -> np.ndarray:
    """Compiled trip -> its block within the feed (0, 1, ...), -1 without block_id or for a
    trip of frequencies.txt (its departures are not one vehicle's sequence)."""
    block_id = feed.trips["block_id"].to_numpy()[trip_index]
    codes, _ = pd.factorize(block_id)
    repeated = np.bincount(trip_index, minlength=len(feed.trips))[trip_index] > 1
    codes[(block_id == "") | repeated] = -1
    return codes.astype(np.int32)


def trip_links(feed: GtfsFeed, trip_index: np.ndarray, offsets: np.ndarray, stop: np.ndarray, stop_ids: pd.Index,
               route_ids: pd.Index, parent: np.ndarray, report: Report) -> TripLinks:
    """The rows of transfers.txt naming trips or routes, as compiled trips (or routes) and
    positions.

    trip_index: compiled trip -> row of feed.trips; offsets/stop: compiled trip -> its stops
    (stop[offsets[t]:offsets[t + 1]], feed stop indices). The traveller leaves the first trip
    at its last call at from_stop_id (or a platform of it, for a station) and enters the
    second at its first call at to_stop_id; without stops (types 4 and 5) at the last call and
    the first. A side named by a route stands for each of its trips calling there (the day
    view pairs them, service/view_links.py); a side named by neither (a rule of types 1 to 3
    naming a trip or route on the other side only) stands for every trip calling at its
    stop. A row whose trip does not call there, or whose trip is one of frequencies.txt, is
    dropped with a warning (feeds/read.py has dropped those lacking what their type needs).
    """
    tr = feed.transfers
    empty = TripLinks({name: np.zeros(0, np.int8 if name == "link_type" else np.int32) for name in LINK_FIELDS})
    if not len(tr):
        return empty
    trip_side = [(tr[c] != "").to_numpy() for c in ("from_trip_id", "to_trip_id")]
    route_side = [(tr[c] != "").to_numpy() for c in ("from_route_id", "to_route_id")]
    named = [t | r for t, r in zip(trip_side, route_side)]
    specific = named[0] | named[1]
    kind = tr["transfer_type"].to_numpy()
    report.warning(F, "transfer_type 0 naming a trip or route only recommends the change; nothing to apply",
                   count=int((specific & (kind == 0)).sum()))
    rows = np.flatnonzero(specific & (kind > 0))  # the reader dropped types 4 and 5 without both trips
    if not len(rows):
        return empty
    feed_trips = pd.Index(feed.trips["trip_id"])
    n_compiled = np.bincount(trip_index, minlength=len(feed_trips))
    compiled_of = np.full(len(feed_trips), -1, np.int64)
    compiled_of[trip_index] = np.arange(len(trip_index))
    station = np.where(parent >= 0, parent, np.arange(len(parent)))
    out = {k: [] for k in empty}
    dropped = {}
    for r in rows.tolist():
        ends = []
        for side, (trip_col, route_col, stop_col) in enumerate((("from_trip_id", "from_route_id", "from_stop_id"),
                                                                 ("to_trip_id", "to_route_id", "to_stop_id"))):
            stop_id = tr[stop_col].iat[r]
            at = stop_ids.get_loc(stop_id) if stop_id != "" else -1
            if not named[side][r]:  # every trip calling at the stop (types 1-3 name it), in the day view
                ends.append((-1, -1, at, -1))
                continue
            if not trip_side[side][r]:  # a route: each of its trips' own position, in the day view
                ends.append((-1, route_ids.get_loc(tr[route_col].iat[r]), at, -1))
                continue
            feed_trip = feed_trips.get_loc(tr[trip_col].iat[r])
            trip = compiled_of[feed_trip]
            if n_compiled[feed_trip] != 1:
                dropped.setdefault(("a trip of frequencies.txt, row dropped", trip_col), []).append(r)
                break
            calls = stop[offsets[trip]:offsets[trip + 1]]
            if at < 0:
                pos = len(calls) - 1 if side == 0 else 0
            else:
                hits = np.flatnonzero((calls == at) | (station[calls] == at))
                if not len(hits):
                    dropped.setdefault((f"the trip does not call at {stop_col}, row dropped", stop_col), []).append(r)
                    break
                pos = hits[-1] if side == 0 else hits[0]
            ends.append((trip, -1, at, pos))
        if len(ends) < 2:
            continue
        if kind[r] == MIN_TIME and tr["min_transfer_time"].iat[r] < 0:
            dropped.setdefault(("transfer_type 2 without min_transfer_time, row dropped", "min_transfer_time"),
                               []).append(r)
            continue
        for side, (trip, route, at, pos) in zip(("from", "to"), ends):
            out[f"link_{side}_trip"].append(trip)
            out[f"link_{side}_route"].append(route)
            out[f"link_{side}_stop"].append(at)
            out[f"link_{side}_pos"].append(pos)
        out["link_type"].append(kind[r])
        out["link_secs"].append(int(tr["min_transfer_time"].iat[r]) if kind[r] == MIN_TIME else -1)
    for (reason, field), bad in dropped.items():
        first = ", ".join(f"{c} {tr[c].iat[bad[0]]}" for c in ("from_trip_id", "to_trip_id", "from_route_id",
                                                                 "to_route_id") if tr[c].iat[bad[0]])
        report.warning(F, f"{reason} (the first: {first})", line=int(tr["_line"].iat[bad[0]]), field=field,
                       count=len(bad))
    return TripLinks({k: np.array(v, np.int8 if k == "link_type" else np.int32) for k, v in out.items()})


LINK_FIELDS = ("link_from_trip", "link_to_trip", "link_from_route", "link_to_route", "link_from_stop", "link_to_stop",
               "link_from_pos", "link_to_pos", "link_type", "link_secs")
__all__ = ["IN_SEAT", "IN_SEAT_NOT_ALLOWED", "LINK_FIELDS", "MIN_TIME", "NOT_POSSIBLE", "TIMED", "trip_blocks",
           "trip_links"]
