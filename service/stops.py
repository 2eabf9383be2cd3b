"""Stops as travellers look for them: by name (typo-tolerant) or position, with the routes
serving them.

Searches answer stations, not platforms: a platform of a station is shown inside its
station's row (with its platform code and routes), whatever its own name; a stop without a
station is a row of its own. Entrances, generic nodes and boarding areas are never rows.

Built lazily from the CompiledNetwork, so the service starts without paying for an index
nobody asked for.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
from rapidfuzz import fuzz, process

from trajet.feeds.compiled import CompiledNetwork
from trajet.feeds.modes import MODES

STOP_OR_PLATFORM, STATION = 0, 1  # GTFS location_type; 2 entrance, 3 generic node, 4 boarding area
DIGITS = re.compile(r"(\d+)")


def fold(text: str) -> str:
    """Lower case without accents or punctuation runs: 'Sörnäinen (M)' -> 'sornainen m'."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join("".join(c if c.isalnum() else " " for c in plain).split())


def row_stops(net: CompiledNetwork, stops: np.ndarray) -> np.ndarray:
    """The stop whose search row shows each of `stops`: a platform's station, else the stop
    itself; -1 for entrances, generic nodes and boarding areas, which are never rows."""
    stops = np.asarray(stops, dtype=np.int64)
    kind = np.asarray(net.stop_location_type)
    parent = np.asarray(net.stop_parent)[stops].astype(np.int64)
    in_station = (kind[stops] == STOP_OR_PLATFORM) & (parent >= 0)
    in_station[in_station] = kind[parent[in_station]] == STATION
    rows = np.where(in_station, parent, stops)
    rows[kind[stops] > STATION] = -1
    return rows


class StopNames:
    """Fuzzy search over the names of stations and stops; a platform's name finds its station.

    The index holds each distinct folded name once, with the rows (stations, stops without
    one) it names and whether it is the row's own name or one of its platforms'.
    """

    def __init__(self, net: CompiledNetwork):
        rows = row_stops(net, np.arange(net.n_stops))
        rows_by_name: dict[str, dict[int, bool]] = {}
        for stop, (name, row) in enumerate(zip(net.stop_name, rows.tolist())):
            folded = fold(str(name))
            if row < 0 or not folded:
                continue
            named = rows_by_name.setdefault(folded, {})
            named[row] = named.get(row, False) or row == stop
        self.names = list(rows_by_name)
        self.rows_named = [list(named.items()) for named in rows_by_name.values()]  # name -> (row, own name)

    def search(self, query: str, limit: int) -> list[tuple[int, float]]:
        """(row stop, score 0..100) best first, one per station or stop without station; exact
        and prefix matches outrank fuzzy ones, and at equal scores a row's own name its
        platforms' names."""
        q = fold(query)
        if not q:
            return []
        hits = process.extract(q, self.names, scorer=fuzz.WRatio, limit=max(limit * 8, 50), score_cutoff=60)
        best: dict[int, tuple[float, bool, int, int]] = {}
        for name, score, i in hits:
            bonus = 30 if name == q else 15 if name.startswith(q) else 5 if q in name else 0
            score = min(100.0, score * 0.7 + bonus)
            for row, own in self.rows_named[i]:
                key = (-score, not own, len(name), row)
                if row not in best or key < best[row]:
                    best[row] = key
        return [(row, -neg_score) for neg_score, _, _, row in sorted(best.values())[:limit]]


def routes_by_stop(net: CompiledNetwork, children: dict[int, list[int]]) -> list[list[int]]:
    """Stop -> sorted route indices of the patterns calling there (platforms lend theirs to stations)."""
    offsets = np.asarray(net.pattern_stop_offsets)
    pattern_of_position = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    route = np.asarray(net.pattern_route)[pattern_of_position]
    stops = np.asarray(net.pattern_stops)
    pairs = np.unique(np.c_[stops, route], axis=0)
    out: list[set[int]] = [set() for _ in range(len(net.stop_id))]
    for stop, r in pairs:
        out[int(stop)].add(int(r))
    for station, platforms in children.items():
        for child in platforms:
            out[station] |= out[child]
    return [sorted(s) for s in out]


def _routes_json(network, stop: int) -> list[dict]:
    net = network.net
    return [{"routeId": str(net.route_id[r]), "shortName": str(net.route_short_name[r]),
             "mode": MODES[int(net.route_mode[r])]}
            for r in network.stop_routes[stop]]


def platform_code(net: CompiledNetwork, stop: int) -> str | None:
    """GTFS platform_code of a stop, None when unset."""
    return str(net.stop_platform_code[stop]) or None


def stop_json(network, stop: int) -> dict:
    """A stop as the API shows it: id, name, position, location type, platform code, parent
    station, wheelchair boarding (0 unknown, 1 yes, 2 no) and the routes serving it."""
    net = network.net
    parent = int(net.stop_parent[stop])
    return {
        "stopId": str(net.stop_id[stop]),
        "name": str(net.stop_name[stop]),
        "lat": float(net.stop_lat[stop]),
        "lon": float(net.stop_lon[stop]),
        "locationType": int(net.stop_location_type[stop]),
        "platformCode": platform_code(net, stop),
        "parentStation": str(net.stop_id[parent]) if parent >= 0 else None,
        "wheelchairBoarding": int(net.stop_wheelchair[stop]),
        "routes": _routes_json(network, stop),
    }


def _code_order(code: str) -> tuple:
    """Sort key of platform codes, numbers by value: '2' < '10' < '10A' < 'B'; unset last."""
    return (not code, [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in DIGITS.split(code) if p])


def platforms_of(network, station: int) -> list[int]:
    """The platforms (location_type 0 children) of a station, by platform code, then feed order."""
    net = network.net
    platforms = [c for c in network.children.get(station, []) if int(net.stop_location_type[c]) == STOP_OR_PLATFORM]
    return sorted(platforms, key=lambda p: _code_order(str(net.stop_platform_code[p])))


def platform_json(network, stop: int) -> dict:
    """A platform as shown inside its station's row."""
    net = network.net
    return {
        "stopId": str(net.stop_id[stop]),
        "platformCode": platform_code(net, stop),
        "name": str(net.stop_name[stop]),
        "lat": float(net.stop_lat[stop]),
        "lon": float(net.stop_lon[stop]),
        "routes": _routes_json(network, stop),
        "wheelchairBoarding": int(net.stop_wheelchair[stop]),
    }


def row_json(network, stop: int) -> dict:
    """A search row or a board's stop: stop_json, and for a station its platforms."""
    out = stop_json(network, stop)
    if out["locationType"] == STATION:
        out["platforms"] = [platform_json(network, p) for p in platforms_of(network, stop)]
    return out


def search_by_name(network, text: str, limit: int) -> dict:
    """Stations and stops without station named like `text`, best first."""
    hits = network.stop_names.search(text, limit)
    return {"stops": [dict(row_json(network, s), score=round(score, 1)) for s, score in hits]}


def search_near(network, lat: float, lon: float, radius_m: int, limit: int) -> dict:
    """Stations and stops without station within radius_m, nearest first; a station's
    distance is its nearest platform's."""
    near = network.places.nearby(lat, lon, radius_m)
    rows = row_stops(network.net, np.array([s for s, _ in near], dtype=np.int64)).tolist()
    nearest: dict[int, float] = {}
    for row, (_, metres) in zip(rows, near):  # nearest first, so the first metres of a row are its least
        if row >= 0 and row not in nearest:
            nearest[row] = metres
    ranked = list(nearest.items())[:limit]
    return {"stops": [dict(row_json(network, s), distance=round(m, 1)) for s, m in ranked]}
