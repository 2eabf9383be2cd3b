"""feeds.read on the real GTFS feeds of ../shared/feeds (all but nyc-bus, timed by hand)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from trajet.feeds.read import read_feed
from trajet.feeds.report import Report

FEEDS = Path(__file__).parents[1].parent / "shared" / "feeds"
if not FEEDS.is_dir():
    pytest.skip(f"real GTFS feeds not found at {FEEDS} (the shared folder sits next to the project)",
                allow_module_level=True)

NAMES = sorted(p.stem for p in FEEDS.glob("*.zip") if p.stem != "nyc-bus")
_cache: dict[str, tuple] = {}


def read(name: str):
    """Each feed is read once per test session."""
    if name not in _cache:
        report = Report(name)
        _cache[name] = (read_feed(FEEDS / f"{name}.zip", name, report), report)
    return _cache[name]


@pytest.mark.parametrize("name", NAMES)
def test_invariants(name):
    feed, report = read(name)
    assert not report.errors
    st = feed.stop_times
    assert len(st) > 0 and len(feed.trips) > 0
    for column in ("arrival", "departure"):
        assert st[column].dtype == np.int32 and (st[column] >= 0).all()
    trip = st.trip_id.cat.codes.to_numpy()
    arrival, departure = st.arrival.to_numpy(), st.departure.to_numpy()
    same_trip = trip[1:] == trip[:-1]
    assert (np.diff(trip) >= 0).all(), "sorted by trip"
    assert (np.diff(st.stop_sequence.to_numpy())[same_trip] > 0).all(), "sorted by stop_sequence within trips"
    assert (departure >= arrival).all()
    assert (arrival[1:][same_trip] >= departure[:-1][same_trip]).all(), "times never decrease along a trip"
    assert list(st.trip_id.cat.categories) == list(feed.trips.trip_id)
    assert set(st.stop_id.cat.categories) <= set(feed.stops.stop_id) and (st.stop_id.cat.codes >= 0).all()
    assert np.bincount(trip, minlength=len(feed.trips)).min() >= 2, "every trip has 2+ stop_times"
    assert feed.trips.service_id.isin(set(feed.calendar.service_id) | set(feed.calendar_dates.service_id)).all()
    assert feed.trips.route_id.isin(set(feed.routes.route_id)).all()
    assert feed.stops.stop_id.is_unique and feed.trips.trip_id.is_unique
    for table in (feed.stops, feed.routes, feed.trips, feed.agency):
        text = table.select_dtypes(object)
        assert not text.isna().any().any() and text.map(type).eq(str).all().all()


def test_poa_eptc_is_fully_interpolated():
    feed, _ = read("poa-eptc")
    assert len(feed.stop_times) == 130019 and feed.stop_times.arrival.min() >= 0


def test_amtrak_multi_day_times():
    feed, _ = read("amtrak-2021")
    assert feed.stop_times.arrival.max() >= 86 * 3600 - 3600
    assert len(feed.agency) == 19 and len(feed.transfers) > 0


def test_region_nord_latin1_stops():
    feed, report = read("region-nord")
    assert any(f.file == "stops.txt" and "Latin-1" in f.reason for f in report.warnings)
    assert "Olsøya" in set(feed.stops.stop_name)
    assert feed.calendar.empty and len(feed.calendar_dates) > 0


def test_caltrain_empty_optional_files():
    feed, report = read("caltrain")
    assert feed.transfers.empty and feed.frequencies.empty and not report.errors


def test_frequencies_and_feed_info():
    feed, _ = read("helsinki")
    assert len(feed.frequencies) > 0 and (feed.frequencies.headway_secs > 0).all()
    assert feed.feed_info["publisher_name"] == "Helsingin seudun liikenne"
    assert set(feed.routes.route_type) >= {0, 1, 4, 109}
