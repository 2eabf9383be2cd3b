"""The streets inside a box, to draw under a journey (GET /v1/streets).

Each street segment of the compiled street graph (feeds/streets_read.py: one segment, two
twin edges) is given once, as [lon1, lat1, lon2, lat2, kind], when one of its ends lies
in the box (two ways along the same two nodes: the first). A box is at most MAX_AREA_KM2;
past MAX_SEGMENTS the larger streets are kept (trunk first, footways last) and the answer
says it is truncated.
"""

from __future__ import annotations

import math
import re

import numpy as np

from trajet.feeds.streets_read import KINDS

from .errors import QueryError

MAX_AREA_KM2 = 150.0  # about 12 x 12 km: a journey across a city
MAX_SEGMENTS = 20_000  # about 1 MB of JSON
KM_PER_DEGREE = 111.195  # a degree of latitude (mean Earth radius)
# kinds kept first when a box holds more than MAX_SEGMENTS: the larger streets
RANK = ("trunk", "trunk_link", "primary", "primary_link", "secondary", "secondary_link", "tertiary",
        "tertiary_link", "unclassified", "residential", "living_street", "pedestrian", "service", "cycleway",
        "track", "path", "footway", "sidewalk", "crossing", "steps", "bridleway", "platform", "corridor", "elevator")
KIND_RANK = np.array([RANK.index(k) for k in KINDS], np.int16)  # kind index -> rank (0: kept first)
NUMBER = r"\s*(-?\d+(?:\.\d+)?)\s*"
BBOX = re.compile(",".join([NUMBER] * 4) + r"$")


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """(min_lon, min_lat, max_lon, max_lat) of "minLon,minLat,maxLon,maxLat"; QueryError
    (field bbox) when it is not four numbers, out of range, empty or larger than MAX_AREA_KM2."""
    match = BBOX.match(text or "")
    if not match:
        raise QueryError(f"bbox {text!r} is not minLon,minLat,maxLon,maxLat (four numbers, WGS84 degrees)", "bbox")
    min_lon, min_lat, max_lon, max_lat = (float(g) for g in match.groups())
    if not all(-180 <= v <= 180 for v in (min_lon, max_lon)) or not all(-90 <= v <= 90 for v in (min_lat, max_lat)):
        raise QueryError(f"bbox {text!r}: longitudes are -180..180 and latitudes -90..90", "bbox")
    if min_lon >= max_lon or min_lat >= max_lat:
        raise QueryError(f"bbox {text!r}: minLon must be below maxLon and minLat below maxLat", "bbox")
    area = area_km2(min_lon, min_lat, max_lon, max_lat)
    if area > MAX_AREA_KM2:
        raise QueryError(f"bbox {text!r} covers {area:,.0f} km²; at most {MAX_AREA_KM2:.0f} km² are served", "bbox")
    return min_lon, min_lat, max_lon, max_lat


def area_km2(min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> float:
    """The area of a box, km² (the longitudes shortened at its middle latitude)."""
    middle = math.radians((min_lat + max_lat) / 2)
    return (max_lat - min_lat) * KM_PER_DEGREE * (max_lon - min_lon) * KM_PER_DEGREE * math.cos(middle)


def streets_in_box(graph, bbox: tuple[float, float, float, float], limit: int = MAX_SEGMENTS) -> dict:
    """The street segments with an end inside `bbox` (see the module), of a StreetGraph or
    None (a network without streets: no segment)."""
    min_lon, min_lat, max_lon, max_lat = bbox
    body = {"bbox": list(bbox), "segments": [], "truncated": False}
    if graph is None:
        return body
    lat, lon = np.asarray(graph.node_lat), np.asarray(graph.node_lon)
    inside = (lon >= min_lon) & (lon <= max_lon) & (lat >= min_lat) & (lat <= max_lat)
    nodes = np.flatnonzero(inside)
    if not len(nodes):
        return body
    offsets = np.asarray(graph.edge_offsets)
    # the out-edges of the nodes inside: each segment with an end inside has one (itself or its twin)
    counts = offsets[nodes + 1] - offsets[nodes]
    starts = np.repeat(offsets[nodes], counts)
    edges = starts + np.arange(len(starts)) - np.repeat(np.cumsum(counts) - counts, counts)
    start_node = np.repeat(nodes, counts)
    end_node = np.asarray(graph.edge_to)[edges]
    twin = np.asarray(graph.edge_twin)[edges]
    # once per segment: the edge with the smaller index, or its twin's when only that end is inside
    once = (edges < twin) | ~inside[end_node]
    edges, start_node, end_node = edges[once], start_node[once], end_node[once]
    # and once per pair of nodes: two ways may join the same nodes (a footway along a street)
    pair = np.minimum(start_node, end_node).astype(np.int64) * graph.n_nodes + np.maximum(start_node, end_node)
    first = np.sort(np.unique(pair, return_index=True)[1])
    edges, start_node, end_node = edges[first], start_node[first], end_node[first]
    kinds = np.asarray(graph.edge_kind)[edges].astype(np.int64)
    if len(edges) > limit:
        keep = np.argsort(KIND_RANK[kinds], kind="stable")[:limit]
        keep.sort()
        edges, start_node, end_node, kinds = edges[keep], start_node[keep], end_node[keep], kinds[keep]
        body["truncated"] = True
    coords = np.round(np.column_stack([lon[start_node], lat[start_node], lon[end_node], lat[end_node]]), 6)
    body["segments"] = [[*c, KINDS[k]] for c, k in zip(coords.tolist(), kinds.tolist())]
    return body
