"""transfers.txt: a minimum change time at B, a forbidden change, a station-wide rule."""

TRIPS = {
    "t1": "A 08:00, B 08:10",
    "t2": "B 08:15, C 08:30",
    "t3": "B 08:25, C 08:40",
}
HEADER = "from_stop_id,to_stop_id,transfer_type,min_transfer_time\n"


def test_min_transfer_time_replaces_the_slack(plan):
    files = {"transfers.txt": HEADER + "B,B,2,600\n"}
    assert plan(TRIPS, "A", "C", "07:55", files=files) == ["A 08:00 t1 B 08:10 / B 08:25 t3 C 08:40"]


def test_forbidden_transfer(plan):
    files = {"transfers.txt": HEADER + "B,B,3,\n"}
    assert plan(TRIPS, "A", "C", "07:55", files=files) == []


def test_walking_link_between_two_stops(plan):
    trips = {"t1": "A 08:00, B 08:10", "t2": "D 08:14, C 08:30", "t3": "D 08:25, C 08:40"}
    files = {"transfers.txt": HEADER + "B,D,2,300\n"}
    assert plan(trips, "A", "C", "07:55", files=files) == [
        "A 08:00 t1 B 08:10 / B 08:10 walk D 08:15 / D 08:25 t3 C 08:40"
    ]


def test_station_rows_apply_to_all_platforms(plan):
    # nyc-subway style: "S,S,2,180" between the platforms S1 and S2 of station S
    trips = {"t1": "A 08:00, S1 08:10", "t2": "S2 08:12, C 08:30", "t3": "S2 08:14, C 08:40"}
    stops = "stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station\n"
    stops += "S,Station,60.1,25.0,1,\nS1,Platform 1,60.1,25.0,0,S\nS2,Platform 2,60.1,25.0,0,S\n"
    stops += "A,A,60.0,25.0,0,\nC,C,60.2,25.0,0,\n"
    files = {"transfers.txt": HEADER + "S,S,2,180\n", "stops.txt": stops}
    assert plan(trips, "A", "C", "07:55", files=files) == [
        "A 08:00 t1 S1 08:10 / S1 08:10 walk S2 08:13 / S2 08:14 t3 C 08:40"
    ]
