"""calendar_dates.txt removes a day from a weekly service and adds a day to another."""

SERVICES = {
    "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
    "WEEKDAY,1,1,1,1,1,0,0,20240101,20241231\n",
    "calendar_dates.txt": "service_id,date,exception_type\nWEEKDAY,20240312,2\nEXTRA,20240312,1\n",
}
TRIPS = {"weekday": ("WEEKDAY", "A 08:00, B 08:30"), "extra": ("EXTRA", "A 09:00, B 09:30")}


def test_removed_date_drops_the_weekday_trip_and_added_date_runs_the_extra(plan):
    assert plan(TRIPS, "A", "B", "07:00", date="2024-03-12", files=SERVICES) == ["A 09:00 extra B 09:30"]


def test_other_days_run_the_weekly_service_only(plan):
    assert plan(TRIPS, "A", "B", "07:00", date="2024-03-13", files=SERVICES) == ["A 08:00 weekday B 08:30"]


def test_weekend_has_no_trip(plan):
    assert plan(TRIPS, "A", "B", "07:00", date="2024-03-16", files=SERVICES) == []
