"""Place names of a text question matched against the timetable's stations and stops.

The names are searched as /v1/stops searches them (service/stops.py: stations first,
accent- and case-insensitive, typo-tolerant). The matches within CLOSE_SCORE of the best
are grouped by place: matches within SAME_PLACE_M of a better one are the same place for a
traveller (the two sides of a street, a metro station and its bus terminal). One place: it
is the answer; several: they are offered as numbered choices (at most MAX_CHOICES).

"the railway station" / "la gare" stands for the station where the most trains call (ties:
where the most trains start or end, a terminus).
"""

from __future__ import annotations

import numpy as np

from trajet.feeds.geo import distance_m
from trajet.feeds.modes import MODES

from .stops import row_stops
from .text_understand import MAIN_STATION

MIN_SCORE = 60.0
CLOSE_SCORE = 8.0
SAME_PLACE_M = 600.0
MAX_CHOICES = 4


def stop_place(network, stop: int) -> dict:
    net = network.net
    return {"place": str(net.stop_id[stop]), "name": str(net.stop_name[stop])}


def match_place(network, name: str) -> list[dict]:
    """The places `name` may mean: [] none, one, or several to choose from, best first."""
    if name == MAIN_STATION:
        stop = main_station(network)
        return [stop_place(network, stop)] if stop >= 0 else []
    hits = [(s, score) for s, score in network.stop_names.search(name, 20) if score >= MIN_SCORE]
    if not hits:
        return []
    best = hits[0][1]
    net = network.net
    places: list[int] = []
    for stop, score in hits:
        if score < best - CLOSE_SCORE:
            break
        if all(distance_m(net.stop_lat[stop], net.stop_lon[stop], net.stop_lat[p], net.stop_lon[p]) > SAME_PLACE_M
               for p in places):
            places.append(stop)
    return [stop_place(network, s) for s in places[:MAX_CHOICES]]


_MAIN: dict[int, int] = {}


def main_station(network) -> int:
    """The stop index of the main railway station, -1 without trains (computed once per network)."""
    if id(network.net) not in _MAIN:
        _MAIN[id(network.net)] = _main_station(network.net)
    return _MAIN[id(network.net)]


def _main_station(net) -> int:
    offsets = np.asarray(net.pattern_stop_offsets)
    trips = np.bincount(np.asarray(net.trip_pattern), minlength=len(offsets) - 1)
    calls: dict[int, list[int]] = {}
    rail = MODES.index("RAIL")
    for p in range(len(offsets) - 1):
        if int(net.route_mode[int(net.pattern_route[p])]) != rail:
            continue
        rows = row_stops(net, np.asarray(net.pattern_stops[offsets[p]:offsets[p + 1]]))
        for row in set(rows.tolist()):
            entry = calls.setdefault(row, [0, 0])
            entry[0] += int(trips[p])
            entry[1] += int(trips[p]) * ((row == rows[0]) + (row == rows[-1]))
    if not calls:
        return -1
    return max(calls, key=lambda r: (calls[r][0], calls[r][1], -r))
