"""A trip without a headsign is shown towards its last stop, on boards and in legs, as a
traveller reads it on the vehicle's front."""

from __future__ import annotations

import datetime as dt

from trajet.service.boards import departure_board
from trajet.service.network import Network

from .inline_gtfs import write_feed

TRIPS = {"t1": "A 08:00, B 08:10, C 08:20", "t2": "A 08:30, B 08:40"}
TRIPS_TXT = "route_id,service_id,trip_id,trip_headsign\nRt1,ALL,t1,\nRt2,ALL,t2,Harbour\n"


def test_an_empty_headsign_falls_back_to_the_trip_s_last_stop(tmp_path, plan):
    network = Network.open([write_feed(tmp_path / "f", TRIPS, files={"trips.txt": TRIPS_TXT})],
                           cache_dir=tmp_path / "cache")
    board = departure_board(network, "A", dt.date(2024, 3, 12), 7 * 3600, 2)
    assert [(d["tripId"], d["headsign"]) for d in board["departures"]] == [("t1", "Stop C"), ("t2", "Harbour")]
    body = plan(TRIPS, "A", "B", "07:50", full=True, files={"trips.txt": TRIPS_TXT})
    assert body["itineraries"][0]["legs"][0]["headsign"] == "Stop C"
