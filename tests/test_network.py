"""Network.open's error and fallback paths."""

from __future__ import annotations

import datetime as dt

import pytest

from trajet.feeds import compiled as store
from trajet.feeds.load import compile_paths
from trajet.feeds.report import FeedError
from trajet.router.query import QueryOptions
from trajet.service.network import Network

from .inline_gtfs import write_feed

TRIPS = {"t1": "A 08:00, B 08:10"}


def test_unwritable_cache_serves_from_memory(tmp_path):
    not_a_folder = tmp_path / "cache"
    not_a_folder.write_text("a file where the cache folder should be")
    network = Network.open([write_feed(tmp_path / "f", TRIPS)], cache_dir=not_a_folder)
    result, *_ = network.plan("A", "B", dt.date(2024, 3, 12), 7 * 3600, QueryOptions(max_direct_s=0))
    assert [j.t_arr - j.t_dep for j in result.journeys] == [600]
    assert not_a_folder.is_file()


def test_a_corrupt_cache_entry_is_compiled_again(tmp_path):
    feed = write_feed(tmp_path / "f", TRIPS)
    Network.open([feed], cache_dir=tmp_path / "cache")
    (entry,) = (tmp_path / "cache").iterdir()
    (entry / "meta.json").write_text("{not json")
    network = Network.open([feed], cache_dir=tmp_path / "cache")
    assert network.meta["feeds"][0]["name"] == "feed"
    assert store.load(entry)[1]["feeds"][0]["name"] == "feed"  # the entry is repaired, not compiled at every start


def test_two_feeds_with_one_name_are_refused(tmp_path):
    one = write_feed(tmp_path / "1", TRIPS, name="same")
    two = write_feed(tmp_path / "2", TRIPS, name="same")
    with pytest.raises(FeedError, match="two feeds share the name 'same'"):
        compile_paths([one, two])


def test_a_feed_whose_trips_never_run_is_refused(tmp_path):
    never = "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n" \
            "ALL,0,0,0,0,0,0,0,20240101,20241231\n"
    feed = write_feed(tmp_path / "f", TRIPS, files={"calendar.txt": never})
    with pytest.raises(FeedError, match="calendar.txt: no trip runs on any day"):
        compile_paths([feed])


def test_service_days_are_the_days_trips_run(tmp_path):
    """The calendar runs from January, but its only trip runs on one Tuesday: the service days
    (the dates a query may name) are that day only."""
    dates = "service_id,date,exception_type\nONE,20240312,1\n"
    cal = ("service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
           "EMPTY,0,0,0,0,0,0,0,20240101,20241231\n")
    feed = write_feed(tmp_path / "f", {"t1": ("ONE", "A 08:00, B 08:10")}, files={"calendar.txt": cal,
                                                                                "calendar_dates.txt": dates})
    network = Network.open([feed], cache_dir=tmp_path / "cache")
    assert (network.first_date, network.last_date) == (dt.date(2024, 3, 12), dt.date(2024, 3, 12))
    assert network.meta["feeds"][0]["start_date"] == network.meta["feeds"][0]["end_date"] == "2024-03-12"
    assert not network.in_service_period(dt.date(2024, 3, 13)) and network.runs_on(dt.date(2024, 3, 12))
