"""Overtaking between trips of two service days on one route.

Route R calls at A, M, B. The slow trip runs on 2024-03-11 only: A 23:30, M 24:15, B 25:30
(00:15 and 01:30 on the 12th). The fast trip runs on 2024-03-12 only: A 00:20, M 00:30,
B 00:50. Each service day alone is FIFO, but in the day view of the 12th the slow trip of
the day before leaves M first (00:15) and reaches B last (01:30): the fast one overtakes it.
The view splits such trips into patterns that are FIFO again, so a query from M at 00:10 on
the 12th must find the fast trip (B at 00:50), not ride the first trip leaving M; so must
one at 23:50 on the 11th, whose view holds the fast trip as a trip of the next day. Both
dates are service days (each has a trip), so both are inside the service period.
"""

import datetime as dt

import pytest

TRIPS = {
    "slow": ("MON", "A 23:30, M 24:15, B 25:30"),
    "fast": ("TUE", "A 00:20, M 00:30, B 00:50"),
}
FILES = {
    "calendar.txt": None,
    "calendar_dates.txt": "service_id,date,exception_type\nMON,20240311,1\nTUE,20240312,1\n",
    "routes.txt": "route_id,agency_id,route_short_name,route_long_name,route_type\nR,A,1,Route 1,3\n",
    "trips.txt": "route_id,service_id,trip_id\nR,MON,slow\nR,TUE,fast\n",
}


@pytest.mark.parametrize(("date", "time"), [
    ("2024-03-12", "00:10"),  # the view of the 12th: the slow trip is of the day before
    ("2024-03-11", "23:50"),  # the view of the 11th: the fast trip is of the day after
])
def test_the_fast_trip_of_the_query_day_is_found(plan, date, time):
    body = plan(TRIPS, "M", "B", time, date=date, files=FILES, full=True)
    [it] = body["itineraries"]
    [leg] = it["legs"]
    assert (leg["tripId"], leg["serviceDate"], leg["routeId"]) == ("fast", "2024-03-12", "R")
    assert (leg["startTime"], leg["endTime"]) == ("2024-03-12T00:30:00+02:00", "2024-03-12T00:50:00+02:00")


def test_each_trip_still_answers_where_it_is_first(plan):
    # from A at 00:10 on the 12th the slow trip has gone (23:30 on the 11th): the fast one
    assert plan(TRIPS, "A", "B", "00:10", date="2024-03-12", files=FILES) == ["A 00:20 fast B 00:50"]
    # A -> M at 23:00 on the 11th: the slow trip reaches M at 00:15, before the fast one (00:30)
    body = plan(TRIPS, "A", "M", "23:00", date="2024-03-11", files=FILES, full=True)
    [leg] = body["itineraries"][0]["legs"]
    assert (leg["tripId"], leg["serviceDate"], leg["endTime"]) == ("slow", "2024-03-11", "2024-03-12T00:15:00+02:00")


def test_the_day_view_splits_the_route_into_fifo_patterns(plan, tmp_path):
    from trajet.service.network import Network

    from ..inline_gtfs import write_feed

    network = Network.open([write_feed(tmp_path / "split", TRIPS, files=FILES)], cache_dir=tmp_path / "cache")
    assert network.net.trip_pattern[0] == network.net.trip_pattern[1]  # one compiled pattern
    assert network.day(dt.date(2024, 3, 12)).router.tt.n_patterns == 2  # split in the view of the 12th
