"""frequencies.txt: a template trip repeated every 15 minutes from 08:00 to 09:00.

exact_times=1 (schedule-based) and exact_times=0 (headway-based) are both expanded into
trips leaving at start_time + i * headway_secs before end_time.
"""

import pytest

TRIPS = {"tpl": "A 00:00, B 00:10"}


@pytest.mark.parametrize("exact", [0, 1])
def test_departures_every_headway(plan, exact):
    files = {"frequencies.txt": "trip_id,start_time,end_time,headway_secs,exact_times\n"
                                f"tpl,08:00:00,09:00:00,900,{exact}\n"}
    assert plan(TRIPS, "A", "B", "08:20", files=files) == ["A 08:30 tpl B 08:40"]
    after_last = plan(TRIPS, "A", "B", "08:46", files=files, full=True)  # the last departure is 08:45
    assert after_last["itineraries"][0]["startTime"] == "2024-03-13T08:00:00+02:00"
    assert plan(TRIPS, "A", "B", "00:00", files=files) == ["A 08:00 tpl B 08:10"]  # the template itself never runs
