"""A bike taken on board: only trips with bikes_allowed=1, unknown ones as the query says.

With `bike_on_board`, a trip is ridden only if its bikes_allowed is 1; unknown (0, blank)
counts as refused unless `bike_unknown` is "allow" (a bike needs the feed's word). Trips of
one route and stop sequence that differ in bikes_allowed get their own patterns, so the
first-in-first-out boarding search finds the later trip that takes bikes. Bikes and
wheelchair combine: with both, a trip must take both.
"""

import datetime as dt

import pytest

from trajet.router.query import ALLOW, QueryOptions
from trajet.service.network import Network

from ..inline_gtfs import write_feed

TRIPS = {
    "nobike": "A 08:00, B 08:20, C 08:30",  # bikes_allowed 2, wheelchair 1
    "blank": "A 08:05, B 08:25, C 08:35",  # bikes unknown, wheelchair 1
    "bikes": "A 08:10, B 08:30, C 08:40",  # bikes 1, wheelchair 2
    "both": "A 08:15, B 08:35, C 08:45",  # bikes 1, wheelchair 1
}
ACCESS = {"nobike": ("2", "1"), "blank": ("", "1"), "bikes": ("1", "2"), "both": ("1", "1")}
FILES = {
    "routes.txt": "route_id,agency_id,route_short_name,route_long_name,route_type\nR,A,1,Route,3\n",
    "trips.txt": "route_id,service_id,trip_id,bikes_allowed,wheelchair_accessible\n"
    + "".join(f"R,ALL,{t},{b},{w}\n" for t, (b, w) in ACCESS.items()),
}


@pytest.mark.parametrize(("options", "expected"), [
    (QueryOptions(), "A 08:00 nobike C 08:30"),  # without a bike every trip
    (QueryOptions(bike_on_board=True), "A 08:10 bikes C 08:40"),  # unknown refused by default
    (QueryOptions(bike_on_board=True, bike_unknown=ALLOW), "A 08:05 blank C 08:35"),
    (QueryOptions(bike_on_board=True, wheelchair=True), "A 08:15 both C 08:45"),
    (QueryOptions(wheelchair=True), "A 08:00 nobike C 08:30"),  # a wheelchair without a bike
])
def test_a_bike_on_board_rides_trips_that_take_bikes(plan, options, expected):
    assert plan(TRIPS, "A", "C", "07:55", files=FILES, options=options) == [expected]


def test_from_the_second_stop_too(plan):
    assert plan(TRIPS, "B", "C", "08:21", files=FILES, options=QueryOptions(bike_on_board=True)) == [
        "B 08:30 bikes C 08:40"]


def test_the_bike_is_only_a_mask_when_on_board(plan):
    """accessMode BICYCLE alone (a bike left at the first stop) rides any trip."""
    assert plan(TRIPS, "A", "C", "07:55", files=FILES, options=QueryOptions(access_mode="BICYCLE")) == [
        "A 08:00 nobike C 08:30"]


def errors_of(body: dict) -> list[tuple[str, str]]:
    assert body["itineraries"] == [], body["itineraries"]
    return [(e["code"], e["inputField"], e["description"]) for e in body["routingErrors"]]


def test_no_trip_takes_bikes_no_journey(plan):
    """Only trips of unknown bike access (blank, 0) and refusing ones: letting the unknown in
    would do, and the answer names the first such trip and bikeUnknown."""
    files = dict(FILES, **{"trips.txt": FILES["trips.txt"].replace("R,ALL,bikes,1", "R,ALL,bikes,2")
                           .replace("R,ALL,both,1", "R,ALL,both,0")})
    body = plan(TRIPS, "A", "C", "07:55", files=files, options=QueryOptions(bike_on_board=True), full=True)
    [(code, field, description)] = errors_of(body)
    assert (code, field) == ("NO_TRANSIT_CONNECTION_WITHIN_LIMITS", "bikeUnknown")
    assert ("rides trip blank (route 1, Stop A (A) -> Stop C (C)), whose bikes_allowed is unknown (blank or 0), "
            "which bikeUnknown=exclude leaves out (bikeUnknown=allow takes it)") in description


def test_only_trips_refusing_bikes_are_named(plan):
    files = dict(FILES, **{"trips.txt": "route_id,service_id,trip_id,bikes_allowed,wheelchair_accessible\n"
                           "R,ALL,nobike,2,1\nR,ALL,blank,2,1\n"})
    trips = {t: TRIPS[t] for t in ("nobike", "blank")}
    for options in (QueryOptions(bike_on_board=True), QueryOptions(bike_on_board=True, bike_unknown=ALLOW)):
        [(code, field, description)] = errors_of(plan(trips, "A", "C", "07:55", files=files, options=options,
                                                      full=True))
        assert (code, field) == ("NO_TRANSIT_CONNECTION_WITHIN_LIMITS", "bikeOnBoard")
        assert description == ("no journey with a bike on board as asked; the one found without that restriction "
                               "rides trip nobike (route 1, Stop A (A) -> Stop C (C)), which refuses bikes "
                               "(bikes_allowed=2)")


def test_a_trip_closed_to_both_the_wheelchair_and_the_bike_is_named_for_each(plan):
    files = dict(FILES, **{"trips.txt": "route_id,service_id,trip_id,bikes_allowed,wheelchair_accessible\n"
                           "R,ALL,nobike,2,2\n"})
    errors = errors_of(plan({"nobike": TRIPS["nobike"]}, "A", "C", "07:55", files=files, full=True,
                            options=QueryOptions(bike_on_board=True, wheelchair=True)))
    assert [field for _, field, _ in errors] == ["wheelchair", "bikeOnBoard"]
    assert "rides trip nobike" in errors[0][2] and "(wheelchair_accessible=2)" in errors[0][2]
    assert "rides trip nobike" in errors[1][2] and "(bikes_allowed=2)" in errors[1][2]


def test_patterns_split_by_bikes_and_wheelchair(tmp_path):
    network = Network.open([write_feed(tmp_path / "f", TRIPS, files=FILES)], cache_dir=tmp_path / "c")
    net = network.net
    assert len({int(p) for p in net.trip_pattern}) == 4
    assert sorted(zip(net.pattern_wheelchair.tolist(), net.pattern_bikes.tolist())) == [(1, 0), (1, 1), (1, 2),
                                                                                       (2, 1)]
    tt = network.day(dt.date(2024, 3, 12)).router.tt
    assert sorted(tt.pattern_access.tolist()) == [3, 4, 5, 7]
