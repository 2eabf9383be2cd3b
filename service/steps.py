"""Walking directions on the street graph: the polyline of a walk and OpenTripPlanner's walk steps.

A walk is the edges a street search found (router/streets.py `route_to_snapped`), the first
walked from `start_fraction` of its length, the last up to `end_fraction`, plus straight
connectors from the traveller's coordinate to the street and from the street to the end.

Steps: the edges are cut into steps where the street changes (its name, or for an unnamed way
the label of its kind, `KIND_LABELS`; steps and other ways apart), and also on the same street
where it turns by `BREAK_TURN_DEG` or more at an intersection (a node with three or more
segments), so that a turn a traveller has to take is never hidden inside a step. An unnamed
step shorter than SHORT_STEP_M (a crossing, a bit of sidewalk at a junction; stairs apart)
is folded into the step before it. A step's
`relativeDirection` is the turn from the heading before it to the heading after it, measured
over up to `HEADING_M` metres of the path on each side of the node (short segments at
junctions make single-segment bearings noisy). With the turn `a` in degrees, positive
clockwise (to the right) and |a| <= 180, and thresholds of R5 / OpenTripPlanner:

| turn | relativeDirection |
|---|---|
| |a| < 17 | CONTINUE |
| 17 <= |a| < 40 | SLIGHTLY_RIGHT / SLIGHTLY_LEFT |
| 40 <= |a| < 115 | RIGHT / LEFT |
| 115 <= |a| < 165 | HARD_RIGHT / HARD_LEFT |
| |a| >= 165 | UTURN_RIGHT / UTURN_LEFT (a = -180 or 180 exactly: UTURN_LEFT) |

The first step is DEPART. `absoluteDirection` is the heading over the step's first HEADING_M
metres in eight sectors of 45 degrees centred on NORTH, NORTHEAST, ... NORTHWEST.
"""

from __future__ import annotations

import numpy as np
import polyline

from trajet.feeds.geo import distance_m
from trajet.feeds.streets import KINDS, StreetGraph

HEADING_M = 10.0  # metres of path on each side of a node that give the headings of a turn
BREAK_TURN_DEG = 40.0  # a turn this sharp at an intersection starts a new step on the same street
SHORT_STEP_M = 15.0  # an unnamed step shorter than this (stairs apart) is folded into the step before it
CONTINUE_DEG, SLIGHT_DEG, TURN_DEG, HARD_DEG = 17.0, 40.0, 115.0, 165.0
ABSOLUTE = ("NORTH", "NORTHEAST", "EAST", "SOUTHEAST", "SOUTH", "SOUTHWEST", "WEST", "NORTHWEST")
# highway kind -> the name shown for an unnamed way of that kind (bogusName: true)
KIND_LABELS = {
    "footway": "footway", "sidewalk": "sidewalk", "crossing": "crossing", "path": "path",
    "pedestrian": "pedestrian street", "steps": "steps", "living_street": "living street",
    "residential": "road", "service": "service road", "unclassified": "road", "tertiary": "road",
    "tertiary_link": "road", "secondary": "road", "secondary_link": "road", "primary": "road",
    "primary_link": "road", "trunk": "road", "trunk_link": "road", "track": "track", "cycleway": "bike path",
    "corridor": "corridor", "platform": "platform", "bridleway": "bridleway", "elevator": "elevator",
}
_STEPS_KIND = KINDS.index("steps")


def _fold_short(steps: list[dict]) -> list[dict]:
    """Steps without the short unnamed ones (a few metres of sidewalk or crossing at a
    junction), whose metres go to the step before them: directions a traveller can follow."""
    out = steps[:1]
    for step in steps[1:]:
        if step["bogusName"] and not step["_steps"] and step["_metres"] < SHORT_STEP_M:
            out[-1]["_metres"] += step["_metres"]
        else:
            out.append(step)
    return out


def relative_direction(turn_deg: float) -> str:
    """A turn in degrees (positive to the right, -180..180) -> OTP's relativeDirection; see the table above."""
    a = abs(turn_deg)
    side = "RIGHT" if 0 < turn_deg < 180 else "LEFT"
    if a < CONTINUE_DEG:
        return "CONTINUE"
    if a < SLIGHT_DEG:
        return f"SLIGHTLY_{side}"
    if a < TURN_DEG:
        return side
    if a < HARD_DEG:
        return f"HARD_{side}"
    return f"UTURN_{side}"


def absolute_direction(bearing_deg: float) -> str:
    """A heading in degrees clockwise from north -> NORTH, NORTHEAST, ..."""
    return ABSOLUTE[int(((bearing_deg % 360.0) + 22.5) // 45.0) % 8]


def bearing_deg(lat1, lon1, lat2, lon2) -> float:
    """Heading from point 1 to point 2, degrees clockwise from north (local flat approximation)."""
    dy = lat2 - lat1
    dx = (lon2 - lon1) * np.cos(np.radians((lat1 + lat2) / 2))
    return float(np.degrees(np.arctan2(dx, dy)) % 360.0)


def encoded_polyline(points) -> str:
    """Google's encoded polyline (precision 5) of [(lat, lon), ...], as OTP's legGeometry.points."""
    return polyline.encode([(float(la), float(lo)) for la, lo in points], 5)


def leg_geometry(points) -> dict:
    """OTP's legGeometry: {"points": encoded polyline, "length": number of points}."""
    return {"points": encoded_polyline(points), "length": len(points)}


def walk_geometry_and_steps(graph: StreetGraph, edges, start=None, end=None, start_fraction: float = 0.0,
                            end_fraction: float = 1.0) -> tuple[list[tuple[float, float]], list[dict], float]:
    """The walk along `edges` -> (points [(lat, lon)], steps, metres).

    edges: directed edges in travel order, the first walked from start_fraction of its length,
    the last up to end_fraction (the same edge for a walk along one segment). start, end:
    (lat, lon) of the traveller's origin and destination, joined to the street by straight
    lines (their metres go to the first and last step); None for none. Without edges the walk
    is the straight line from start to end and has no step.
    """
    edges = np.asarray(edges, np.int64)
    if len(edges) == 0:
        pts = [p for p in (start, end) if p is not None]
        metres = float(distance_m(*pts[0], *pts[1])) if len(pts) == 2 else 0.0
        return [(float(a), float(b)) for a, b in pts], [], metres
    lat, lon = np.asarray(graph.node_lat), np.asarray(graph.node_lon)
    to, twin = np.asarray(graph.edge_to), np.asarray(graph.edge_twin)
    a, b = to[twin[edges]], to[edges]
    f0 = np.zeros(len(edges))
    f1 = np.ones(len(edges))
    f0[0], f1[-1] = start_fraction, end_fraction
    # the street polyline: the start of the first edge's walked part, then each edge's end
    st_lat = np.r_[lat[a[0]] + f0[0] * (lat[b[0]] - lat[a[0]]), lat[a] + f1 * (lat[b] - lat[a])]
    st_lon = np.r_[lon[a[0]] + f0[0] * (lon[b[0]] - lon[a[0]]), lon[a] + f1 * (lon[b] - lon[a])]
    piece_m = np.asarray(graph.edge_length_m, np.float64)[edges] * (f1 - f0)
    cum = np.r_[0.0, np.cumsum(piece_m)]
    lead = float(distance_m(start[0], start[1], st_lat[0], st_lon[0])) if start is not None else 0.0
    tail = float(distance_m(st_lat[-1], st_lon[-1], end[0], end[1])) if end is not None else 0.0

    def heading(k: int, ahead: bool) -> float | None:
        """Heading at polyline point k over up to HEADING_M metres after (ahead) or before it."""
        if ahead:
            j = k + 1
            while j < len(cum) - 1 and cum[j] - cum[k] < HEADING_M:
                j += 1
            p, q = k, min(j, len(cum) - 1)
        else:
            j = k - 1
            while j > 0 and cum[k] - cum[j] < HEADING_M:
                j -= 1
            p, q = max(j, 0), k
        if p == q or (st_lat[p] == st_lat[q] and st_lon[p] == st_lon[q]):
            return None
        return bearing_deg(st_lat[p], st_lon[p], st_lat[q], st_lon[q])

    name_idx = np.asarray(graph.edge_name)[edges]
    kinds = np.asarray(graph.edge_kind)[edges]
    degree = np.diff(np.asarray(graph.edge_offsets))[a]  # segments at the node each edge leaves

    steps: list[dict] = []
    for i in range(len(edges)):
        named = name_idx[i] >= 0
        kind = KINDS[kinds[i]]
        label = graph.names[int(name_idx[i])] if named else KIND_LABELS.get(kind, kind)
        is_steps = kinds[i] == _STEPS_KIND
        turn = None
        if i > 0:
            h_in, h_out = heading(i, ahead=False), heading(i, ahead=True)
            turn = 0.0 if h_in is None or h_out is None else (h_out - h_in + 540.0) % 360.0 - 180.0
            prev = steps[-1]
            same = prev["streetName"] == label and prev["_steps"] == is_steps
            if same and not (degree[i] >= 3 and abs(turn) >= BREAK_TURN_DEG):
                prev["_metres"] += piece_m[i]
                continue
        out = heading(i, ahead=True)
        steps.append({
            "distance": 0.0,
            "relativeDirection": "DEPART" if turn is None else relative_direction(turn),
            "streetName": label,
            "absoluteDirection": absolute_direction(out) if out is not None else None,
            "stayOn": bool(steps) and steps[-1]["streetName"] == label,
            "bogusName": not named,
            "kind": kind,
            "lat": float(st_lat[i]),
            "lon": float(st_lon[i]),
            "_metres": piece_m[i] + (lead if i == 0 else 0.0),
            "_steps": is_steps,
        })
    steps[-1]["_metres"] += tail
    steps = _fold_short(steps)
    for s in steps:
        s["distance"] = round(float(s.pop("_metres")), 1)
        del s["_steps"]
    if steps[0]["absoluteDirection"] is None:  # a walk of zero metres on the street
        steps[0]["absoluteDirection"] = ABSOLUTE[0]
    for s in steps[1:]:
        if s["absoluteDirection"] is None:
            s["absoluteDirection"] = steps[0]["absoluteDirection"]

    points = [] if start is None else [(float(start[0]), float(start[1]))]
    for la, lo in zip(st_lat.tolist(), st_lon.tolist()):
        if not points or points[-1] != (la, lo):
            points.append((la, lo))
    if end is not None and points[-1] != (float(end[0]), float(end[1])):
        points.append((float(end[0]), float(end[1])))
    return points, steps, float(cum[-1] + lead + tail)
