"""DST change days in Europe/Helsinki: times count from "noon minus 12 h".

Spring 2024-03-31: clocks jump 03:00 -> 04:00, the service day starts at 23:00 the evening
before, so a trip written 01:00:00 leaves at 00:00 local, and one at 08:00:00 at 08:00.
Autumn 2024-10-27: clocks fall 04:00 -> 03:00, the service day starts at 01:00, so 02:00:00
is the first 03:00 (+03:00) and 08:00:00 is 08:00 (+02:00).
"""

TRIPS = {"early": "A 01:00, B 01:30", "morning": "A 08:00, B 08:30"}


def test_spring_forward_day(plan):
    assert plan(TRIPS, "A", "B", "07:30", date="2024-03-31", full=True)["itineraries"][0]["startTime"] == (
        "2024-03-31T08:00:00+03:00"
    )
    early = plan(TRIPS, "A", "B", "00:00", date="2024-03-31", full=True)["itineraries"][0]
    assert (early["startTime"], early["endTime"]) == ("2024-03-31T00:00:00+02:00", "2024-03-31T00:30:00+02:00")


def test_fall_back_day(plan):
    assert plan(TRIPS, "A", "B", "07:30", date="2024-10-27", full=True)["itineraries"][0]["startTime"] == (
        "2024-10-27T08:00:00+02:00"
    )
    trips = {"night": "A 02:00, B 02:30"}
    night = plan(trips, "A", "B", "02:00", date="2024-10-27", full=True)["itineraries"][0]
    assert night["startTime"] == "2024-10-27T03:00:00+03:00"
    assert night["duration"] == 1800
