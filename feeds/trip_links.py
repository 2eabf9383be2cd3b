"""transfers.txt rows between two trips, and the blocks of trips.txt, for one feed.

A traveller may stay on board when a vehicle goes on as another trip: consecutive trips of
one `block_id` on a service day (the day view pairs them, service/view_links.py), or two
trips joined by transfer_type 4 (in-seat). transfer_type 5 says the traveller must alight
between two trips of a block. Types 1 (timed) and 2 (minimum time) between two trips give a
change the router keeps even where the stop's change time would not allow it.

Compiled here: each compiled trip's block, and each trip-to-trip row as the compiled trips
and the positions in their patterns where the traveller leaves and enters. Rows naming
routes instead of trips are not applied (a warning counts them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .read import IN_SEAT, IN_SEAT_NOT_ALLOWED, GtfsFeed
from .report import Report

TIMED, MIN_TIME, NOT_POSSIBLE = 1, 2, 3  # transfers.txt transfer_type
F = "transfers.txt"


class TripLinks(dict):
    """link_from_trip, link_to_trip, link_from_pos, link_to_pos (int32), link_type (int8),
    link_secs (int32, -1 none): the CompiledNetwork fields, trips local to the feed."""


def trip_blocks(feed: GtfsFeed, trip_index: np.ndarray) -> np.ndarray:
    """Compiled trip -> its block within the feed (0, 1, ...), -1 without block_id or for a
    trip of frequencies.txt (its departures are not one vehicle's sequence)."""
    block_id = feed.trips["block_id"].to_numpy()[trip_index]
    codes, _ = pd.factorize(block_id)
    repeated = np.bincount(trip_index, minlength=len(feed.trips))[trip_index] > 1
    codes[(block_id == "") | repeated] = -1
    return codes.astype(np.int32)


def trip_links(feed: GtfsFeed, trip_index: np.ndarray, offsets: np.ndarray, stop: np.ndarray, stop_ids: pd.Index,
               parent: np.ndarray, report: Report) -> TripLinks:
    """The trip-to-trip rows of transfers.txt as compiled trips and positions.

    trip_index: compiled trip -> row of feed.trips; offsets/stop: compiled trip -> its stops
    (stop[offsets[t]:offsets[t + 1]], feed stop indices). The traveller leaves the first trip
    at the last call at from_stop_id (or a platform of it, for a station) and enters the
    second at its first call at to_stop_id; without stops (types 4 and 5) at the last call and
    the first. A row whose trip does not call there, or whose trip is one of frequencies.txt,
    is dropped with a warning.
    """
    tr = feed.transfers
    empty = TripLinks(link_from_trip=np.zeros(0, np.int32), link_to_trip=np.zeros(0, np.int32),
                      link_from_pos=np.zeros(0, np.int32), link_to_pos=np.zeros(0, np.int32),
                      link_type=np.zeros(0, np.int8), link_secs=np.zeros(0, np.int32))
    if not len(tr):
        return empty
    by_trip = (tr["from_trip_id"] != "").to_numpy() & (tr["to_trip_id"] != "").to_numpy()
    by_route = ((tr["from_route_id"] != "") | (tr["to_route_id"] != "")).to_numpy()
    one_trip = ((tr["from_trip_id"] != "") ^ (tr["to_trip_id"] != "")).to_numpy()
    report.warning(F, "transfers naming routes, or only one trip, are not applied yet (stop-wide rules are)",
                   count=int((~by_trip & (by_route | one_trip)).sum()))
    kind = tr["transfer_type"].to_numpy()
    report.warning(F, "transfer_type 0 between two trips only recommends the change; nothing to apply",
                   count=int((by_trip & (kind == 0)).sum()))
    report.warning(F, "transfer_type 3 between two trips only stops a traveller staying on board between them; "
                   "a change between them is not forbidden", count=int((by_trip & (kind == NOT_POSSIBLE)).sum()))
    rows = np.flatnonzero(by_trip & (kind > 0))
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
        for end, stop_col in (("from_trip_id", "from_stop_id"), ("to_trip_id", "to_stop_id")):
            feed_trip = feed_trips.get_loc(tr[end].iat[r])
            trip = compiled_of[feed_trip]
            if n_compiled[feed_trip] != 1:
                dropped.setdefault(("a trip of frequencies.txt, row dropped", end), []).append(r)
                break
            calls = stop[offsets[trip]:offsets[trip + 1]]
            stop_id = tr[stop_col].iat[r]
            if stop_id == "":
                pos = len(calls) - 1 if end == "from_trip_id" else 0
            else:
                at = stop_ids.get_loc(stop_id)
                hits = np.flatnonzero((calls == at) | (station[calls] == at))
                if not len(hits):
                    dropped.setdefault((f"the trip does not call at {stop_col}, row dropped", stop_col), []).append(r)
                    break
                pos = hits[-1] if end == "from_trip_id" else hits[0]
            ends.append((trip, pos))
        if len(ends) < 2:
            continue
        (a, pos_a), (b, pos_b) = ends
        if kind[r] == MIN_TIME and tr["min_transfer_time"].iat[r] < 0:
            dropped.setdefault(("transfer_type 2 without min_transfer_time, row dropped", "min_transfer_time"),
                               []).append(r)
            continue
        out["link_from_trip"].append(a)
        out["link_to_trip"].append(b)
        out["link_from_pos"].append(pos_a)
        out["link_to_pos"].append(pos_b)
        out["link_type"].append(kind[r])
        out["link_secs"].append(int(tr["min_transfer_time"].iat[r]) if kind[r] == MIN_TIME else -1)
    for (reason, field), bad in dropped.items():
        first = f"from_trip_id {tr['from_trip_id'].iat[bad[0]]}, to_trip_id {tr['to_trip_id'].iat[bad[0]]}"
        report.warning(F, f"{reason} (the first: {first})", field=field, count=len(bad))
    dtypes = {"link_type": np.int8}
    return TripLinks({k: np.array(v, dtypes.get(k, np.int32)) for k, v in out.items()})


__all__ = ["IN_SEAT", "IN_SEAT_NOT_ALLOWED", "MIN_TIME", "NOT_POSSIBLE", "TIMED", "trip_blocks", "trip_links"]
