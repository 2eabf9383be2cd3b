"""Distances on the Earth and walking times: the one place the walking speed is set."""

from __future__ import annotations

import numpy as np

WALK_SPEED_M_S = 1.33  # OpenTripPlanner's default walking speed
EARTH_RADIUS_M = 6_371_000.0


def distance_m(lat1, lon1, lat2, lon2):
    """Great-circle metres between points in degrees (scalars or arrays, broadcast)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dlat, dlon = p2 - p1, np.radians(lon2) - np.radians(lon1)
    h = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(h, 1.0)))


def unit_vectors(lat, lon) -> np.ndarray:
    """Points on the unit sphere: chord lengths there approximate distances / EARTH_RADIUS_M."""
    la, lo = np.radians(np.asarray(lat, float)), np.radians(np.asarray(lon, float))
    return np.c_[np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)]


def walk_seconds(metres):
    """Seconds to walk so many metres (array or scalar) at WALK_SPEED_M_S, rounded up."""
    seconds = np.ceil(np.asarray(metres) / WALK_SPEED_M_S).astype(np.int32)
    return int(seconds) if seconds.ndim == 0 else seconds
