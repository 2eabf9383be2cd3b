"""Mode families: GTFS route_type (basic and extended) -> the family the API names.

The names are OpenTripPlanner's, so that app developers recognise them. The router only
sees a family's index (Timetable.pattern_mode) and a bit mask of allowed families.
"""

from __future__ import annotations

import numpy as np

MODES = (
    "TRAM", "SUBWAY", "RAIL", "BUS", "FERRY", "CABLE_CAR", "GONDOLA", "FUNICULAR",
    "TROLLEYBUS", "MONORAIL", "COACH", "AIRPLANE", "TAXI", "OTHER",
)
MODE_INDEX = {name: i for i, name in enumerate(MODES)}

_BASIC = {0: "TRAM", 1: "SUBWAY", 2: "RAIL", 3: "BUS", 4: "FERRY", 5: "CABLE_CAR",
          6: "GONDOLA", 7: "FUNICULAR", 11: "TROLLEYBUS", 12: "MONORAIL"}
# extended route types (hundreds) -> family; 401-402 and 500-699 are metro/underground
_EXTENDED = {1: "RAIL", 2: "COACH", 4: "SUBWAY", 5: "SUBWAY", 6: "SUBWAY", 7: "BUS", 8: "TROLLEYBUS",
             9: "TRAM", 10: "FERRY", 11: "AIRPLANE", 12: "FERRY", 13: "GONDOLA", 14: "FUNICULAR",
             15: "TAXI"}


def mode_of_route_type(route_type: int) -> str:
    if route_type in _BASIC:
        return _BASIC[route_type]
    if route_type == 400 or route_type == 403 or route_type == 404:
        return "RAIL"  # urban railway
    return _EXTENDED.get(route_type // 100, "OTHER")


def mode_indices(route_types: np.ndarray) -> np.ndarray:
    """int8 mode family index per route type."""
    return np.array([MODE_INDEX[mode_of_route_type(int(t))] for t in route_types], dtype=np.int8)


def mode_mask(modes: list[str] | None, exclude: list[str] | None = None) -> int:
    """Bit mask of allowed families; unknown names raise ValueError naming them."""
    names = MODES if not modes else modes
    unknown = [m for m in list(names) + list(exclude or []) if m.upper() not in MODE_INDEX]
    if unknown:
        raise ValueError(f"unknown mode {', '.join(unknown)}; known: {', '.join(MODES)}")
    mask = 0
    for m in names:
        mask |= 1 << MODE_INDEX[m.upper()]
    for m in exclude or []:
        mask &= ~(1 << MODE_INDEX[m.upper()])
    return mask
