"""A destination no trip reaches: no journey, no error. After the last trip of the day
the next day's first trip answers; after the feed's last day, nothing does."""

TRIPS = {"t1": "A 08:00, B 08:10", "t2": "C 08:00, D 08:10"}


def test_disconnected_destination(plan):
    assert plan(TRIPS, "A", "D", "07:00") == []


def test_after_the_last_trip_of_the_day(plan):
    body = plan(TRIPS, "A", "B", "08:01", full=True)
    assert body["itineraries"][0]["startTime"] == "2024-03-13T08:00:00+02:00"


def test_after_the_last_trip_of_the_feed(plan):
    assert plan(TRIPS, "A", "B", "08:01", date="2024-12-31") == []
