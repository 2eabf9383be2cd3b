"""A trip of a service day two or three days before the query still runs on the query date:
a 23 hour day in between (DST starts), or a feed in a timezone behind the first feed's.

Helsinki, spring 2024-03-31 lasts 23 h (clocks jump 03:00 -> 04:00). The trip "late" of
service day Saturday 2024-03-30 is written 47:20:00 -> 47:50:00, less than two days after
that day's origin, yet with the hour lost it leaves A on Monday 2024-04-01 at 00:20 local.
A query at 00:10 on Monday must find it.

In a network of two feeds, the day view counts in the first feed's timezone: Kiritimati
(+14) first, Pago Pago (-11) second, 25 hours behind. Pago Pago's trip of 2024-03-12 written
47:20 leaves at 00:20 on 2024-03-15 in Kiritimati, three days after its service day.

The day view took the earlier service days from the longest trip time alone (47:50 // 24 h
= 1 day back), so it missed both trips (found by tests/test_random_oracle.py: seeds 310 and
1114 in Sydney, 450 and 77 in Helsinki, 53 with a Helsinki feed behind a Sydney one).
"""

import datetime as dt

from trajet.router.query import QueryOptions
from trajet.service.itineraries import plan_json
from trajet.service.network import Network

from ..inline_gtfs import write_feed

DATES = "service_id,date,exception_type\nSAT,20240330,1\nMON,20240401,1\n"
TRIPS = {"late": ("SAT", "A 47:20, B 47:50"), "monday": ("MON", "X 08:00, Y 08:10")}
FILES = {"calendar.txt": None, "calendar_dates.txt": DATES}


def test_a_saturday_trip_leaves_on_monday_after_the_short_sunday(plan):
    body = plan(TRIPS, "A", "B", "00:10", date="2024-04-01", full=True, files=FILES)
    [leg] = body["itineraries"][0]["legs"]
    assert (leg["tripId"], leg["startTime"], leg["endTime"], leg["serviceDate"]) == (
        "late", "2024-04-01T00:20:00+03:00", "2024-04-01T00:50:00+03:00", "2024-03-30")


def test_a_trip_of_a_feed_25_hours_behind_leaves_three_days_later(tmp_path):
    dates = {"calendar.txt": None, "calendar_dates.txt": "service_id,date,exception_type\nD,20240312,1\nE,20240315,1\n"}
    east = write_feed(tmp_path / "east", {"x": ("E", "X 08:00, Y 08:10")}, name="east", timezone="Pacific/Kiritimati",
                      files=dates)
    west = write_feed(tmp_path / "west", {"late": ("D", "A 47:20, B 47:50")}, name="west",
                      timezone="Pacific/Pago_Pago", files=dates)
    network = Network.open([east, west], cache_dir=tmp_path / "cache")
    body = plan_json(network, network.plan("west:A", "west:B", dt.date(2024, 3, 15), 600, QueryOptions(max_direct_s=0)))
    [leg] = body["itineraries"][0]["legs"]
    assert (leg["tripId"], leg["startTime"], leg["endTime"], leg["serviceDate"]) == (
        "west:late", "2024-03-15T00:20:00+14:00", "2024-03-15T00:50:00+14:00", "2024-03-12")
