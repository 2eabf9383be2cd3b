"""Trips past 24:00, and the previous service days still running after midnight.

GTFS writes a trip leaving at 00:15 on the night after its service day as 24:15:00, and a
long trip's times may pass 48:00. A query at 00:10 must see the trips of the day before,
and those of the day before that, on a date within the feed's service days. The service
days are the dates a query may name: after the last one, the answer says so, and the same
late trip is asked for as 24:10 on its own service day.
"""

ONLY = "service_id,date,exception_type\nMON,20240311,1\n"
# MON runs on 2024-03-11 only; END keeps the service days open until 2024-03-20
WITH_END = ONLY + "END,20240320,1\n"
END_TRIP = {"end": ("END", "X 08:00, Y 08:10")}


def test_trip_past_midnight_arrives_the_next_day(plan):
    body = plan({"t1": "A 23:50, B 24:20"}, "A", "B", "23:45", date="2024-03-11", full=True)
    leg = body["itineraries"][0]["legs"][0]
    assert leg["endTime"] == "2024-03-12T00:20:00+02:00"
    assert leg["serviceDate"] == "2024-03-11"


def test_query_after_midnight_sees_the_previous_service_day(plan):
    trips = {"late": ("MON", "A 24:15, B 24:45"), **END_TRIP}
    files = {"calendar.txt": None, "calendar_dates.txt": WITH_END}
    body = plan(trips, "A", "B", "00:10", date="2024-03-12", full=True, files=files)
    leg = body["itineraries"][0]["legs"][0]
    assert (leg["tripId"], leg["startTime"], leg["serviceDate"]) == ("late", "2024-03-12T00:15:00+02:00", "2024-03-11")


def test_after_the_last_service_day_the_answer_says_so(plan):
    trips = {"late": ("MON", "A 24:15, B 24:45")}
    files = {"calendar.txt": None, "calendar_dates.txt": ONLY}
    body = plan(trips, "A", "B", "00:10", date="2024-03-12", full=True, files=files)
    assert body["itineraries"] == []
    [error] = body["routingErrors"]
    assert (error["code"], error["inputField"]) == ("OUTSIDE_SERVICE_PERIOD", "date")
    assert "2024-03-11 to 2024-03-11" in error["description"]
    assert plan(trips, "A", "B", "24:10", date="2024-03-11", files=files) == ["A 00:15 late B 00:45"]


def test_query_sees_a_long_trip_of_two_days_before(plan):
    trips = {"long": ("MON", "A 08:00, B 50:00, C 52:00"), **END_TRIP}
    files = {"calendar.txt": None, "calendar_dates.txt": WITH_END}
    assert plan(trips, "B", "C", "01:00", date="2024-03-13", files=files) == ["B 02:00 long C 04:00"]


def test_the_previous_day_trip_does_not_run_when_its_day_does_not(plan):
    # on 2024-03-11 at 00:10 the trip of 2024-03-10 does not run: the next is 24 h later
    trips = {"late": ("MON", "A 24:15, B 24:45")}
    files = {"calendar.txt": None, "calendar_dates.txt": ONLY}
    body = plan(trips, "A", "B", "00:10", date="2024-03-11", full=True, files=files)
    assert body["itineraries"][0]["startTime"] == "2024-03-12T00:15:00+02:00"
