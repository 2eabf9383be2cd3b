"""Stops as travellers look for them: by name (typo-tolerant) or position, with the routes
serving them.

Built lazily from the CompiledNetwork, so the service starts without paying for an index
nobody asked for.
"""

from __future__ import annotations

import unicodedata

import numpy as np
from rapidfuzz import fuzz, process

from trajet.feeds.compiled import CompiledNetwork
from trajet.feeds.modes import MODES


def fold(text: str) -> str:
    """Lower case without accents or punctuation runs: 'Sörnäinen (M)' -> 'sornainen m'."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join("".join(c if c.isalnum() else " " for c in plain).split())


class StopNames:
    """Fuzzy search over stop names; stations and stops alike, platforms of a station folded."""

    def __init__(self, net):
        self.names = [fold(str(n)) for n in net.stop_name]

    def search(self, query: str, limit: int) -> list[tuple[int, float]]:
        """(stop, score 0..100) best first; exact and prefix matches outrank fuzzy ones."""
        q = fold(query)
        if not q:
            return []
        hits = process.extract(q, self.names, scorer=fuzz.WRatio, limit=max(limit * 8, 50), score_cutoff=60)
        ranked = []
        for _, score, stop in hits:
            name = self.names[stop]
            bonus = 30 if name == q else 15 if name.startswith(q) else 5 if q in name else 0
            ranked.append((stop, min(100.0, score * 0.7 + bonus)))
        ranked.sort(key=lambda x: (-x[1], len(self.names[x[0]]), x[0]))
        return ranked[:limit]


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


def stop_json(network, stop: int) -> dict:
    """A stop as the API shows it: id, name, position, location type and the routes serving it."""
    net = network.net
    return {
        "stopId": str(net.stop_id[stop]),
        "name": str(net.stop_name[stop]),
        "lat": float(net.stop_lat[stop]),
        "lon": float(net.stop_lon[stop]),
        "locationType": int(net.stop_location_type[stop]),
        "routes": [
            {"routeId": str(net.route_id[r]), "shortName": str(net.route_short_name[r]),
             "mode": MODES[int(net.route_mode[r])]}
            for r in network.stop_routes[stop]
        ],
    }


def search_by_name(network, text: str, limit: int) -> dict:
    hits = network.stop_names.search(text, limit)
    return {"stops": [dict(stop_json(network, s), score=round(score, 1)) for s, score in hits]}


def search_near(network, lat: float, lon: float, radius_m: int, limit: int) -> dict:
    hits = network.places.nearby(lat, lon, radius_m)[:limit]
    return {"stops": [dict(stop_json(network, s), distance=round(m, 1)) for s, m in hits]}
