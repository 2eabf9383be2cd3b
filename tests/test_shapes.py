"""The ridden part of a trip's shape as an encoded polyline (service/shapes.py), on real feeds:
the slice of the shape's kept encoding is the same string as polyline.encode of the leg's
points (the reference), for legs between any two positions of real trips."""

from __future__ import annotations

import numpy as np
import polyline
import pytest

from trajet.feeds.load import BUNDLED_FEED
from trajet.service.network import Network
from trajet.service.shapes import ShapeCuts

from .conftest import shared_feed


@pytest.mark.parametrize("feed", ["bundled", "hart-tampa", "caltrain"])
def test_kept_encoding_is_the_reference_encoding_of_every_leg(tmp_path, feed):
    path = BUNDLED_FEED if feed == "bundled" else shared_feed(feed)
    net = Network.open([path], cache_dir=tmp_path).net
    cuts = ShapeCuts(net)
    rng = np.random.default_rng(5)
    n_pos = np.diff(np.asarray(net.pattern_stop_offsets))
    trips = rng.choice(len(net.trip_pattern), 300)
    checked = 0
    for trip in trips.tolist():
        n = int(n_pos[net.trip_pattern[trip]])
        if n < 2:
            continue
        board, alight = sorted(rng.choice(n, 2, replace=False).tolist())
        text, n_points = cuts.encoded(trip, board, alight)
        points = cuts.path(int(net.trip_shape[trip]), int(net.trip_pattern[trip]), board, alight)
        assert (text, n_points) == (polyline.encode(points, 5), len(points)), f"trip {trip} {board}-{alight}"
        assert len(polyline.decode(text)) == n_points
        checked += 1
    assert checked > 200
    assert any(int(net.trip_shape[t]) >= 0 for t in trips.tolist()), "legs on shapes were checked"


def test_a_straight_segment_is_encoded_as_the_library_does():
    """service/shapes.py encode_segment against polyline.encode: random points, both
    hemispheres, and values exactly half way between two steps of 1e-5 degrees."""
    from trajet.service.shapes import encode_segment

    rng = np.random.default_rng(5)
    points = [tuple(p) for p in rng.uniform([-89.9, -179.9], [89.9, 179.9], (500, 2))]
    points += [(60.000005, 24.000015), (-33.000005, -70.000025), (0.0, 0.0), (1e-6, -1e-6)]
    for a, b in zip(points, points[1:] + points[:1]):
        assert encode_segment(a, b) == polyline.encode([a, b], 5), (a, b)
