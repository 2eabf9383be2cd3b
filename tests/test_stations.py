"""Stations, not platforms: stop search answers one row per station with its platforms, a
station id names all its platforms on a departure board, and departures say which platform
they leave from.

On real feeds of ../shared: nyc-subway (every platform, N or S, has a parent station of the
same name; no platform codes) and helsinki (27 stations whose platforms often have another
name than their station's, e.g. 'Sörnäisten metroasema' with platforms 'Sörnäinen', and
platform codes). An inline feed adds what no real feed here has: entrances, generic nodes
and boarding areas.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

import pytest

from trajet.service.boards import departure_board
from trajet.service.network import Network
from trajet.service.stops import search_by_name, search_near, stop_json

from .conftest import shared_feed
from .inline_gtfs import write_feed

NY_DATE, HELSINKI_DATE = dt.date(2026, 9, 23), dt.date(2022, 2, 22)
TIMES_SQ = "127"  # Times Sq-42 St of the 1/2/3, platforms 127N and 127S
SORNAINEN_METRO = "1000106"  # 'Sörnäisten metroasema', platforms 1121601/1121602 named 'Sörnäinen'
PASILA_RAIL = "1000202"  # 'Pasilan asema', platforms named 'Pasila' with codes 1..11
RAUTATIENTORI = "1000003"  # a bus station, platforms with codes 1..17
RAUTATIEASEMA_TRAM = "1020453"  # a tram stop without station


@pytest.fixture(scope="module")
def subway(tmp_path_factory):
    return Network.open([shared_feed("nyc-subway")], cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def helsinki(tmp_path_factory):
    return Network.open([shared_feed("helsinki")], cache_dir=tmp_path_factory.mktemp("cache"))


def platforms_of_stations(network) -> dict[str, str]:
    """Platform id -> its station's id, for every stop naming a station as parent."""
    net = network.net
    return {str(net.stop_id[p]): str(net.stop_id[s]) for s, children in network.children.items() for p in children}


def test_a_subway_station_is_one_row_with_its_platforms(subway):
    rows = search_by_name(subway, "Times Sq-42 St", 10)["stops"]
    named = [r for r in rows if r["name"] == "Times Sq-42 St"]
    # four stations of that name (1/2/3, 7, S, N/Q/R/W), not twelve rows of stations and platforms
    assert sorted(r["stopId"] for r in named) == ["127", "725", "902", "R16"]
    assert rows[:4] == named and all(r["locationType"] == 1 and r["score"] == 100 for r in named)
    assert len({r["stopId"] for r in rows}) == len(rows)
    parents = platforms_of_stations(subway)
    assert not [r["stopId"] for r in rows if r["stopId"] in parents]  # no platform is a row
    times_sq = named[[r["stopId"] for r in named].index(TIMES_SQ)]
    assert [p["stopId"] for p in times_sq["platforms"]] == ["127N", "127S"]
    assert {"stopId", "platformCode", "name", "lat", "lon", "routes", "wheelchairBoarding"} == set(
        times_sq["platforms"][0])
    union = {r["routeId"] for p in times_sq["platforms"] for r in p["routes"]}
    assert {r["routeId"] for r in times_sq["routes"]} == union == {"1", "2", "3"}
    assert times_sq["platformCode"] is None and times_sq["parentStation"] is None


def test_a_platform_s_own_name_finds_its_station_first(helsinki):
    """Helsinki's metro platforms are named 'Sörnäinen', their station 'Sörnäisten metroasema':
    the search finds the station, above the same-named stops without station, and never the
    platforms as rows of their own."""
    for query in ("Sörnäinen", "sornainen", "SORNAINNEN"):
        rows = search_by_name(helsinki, query, 5)["stops"]
        assert rows[0]["stopId"] == SORNAINEN_METRO and rows[0]["name"] == "Sörnäisten metroasema", query
        assert sorted(p["stopId"] for p in rows[0]["platforms"]) == ["1121601", "1121602"]
        assert all(p["name"] == "Sörnäinen" for p in rows[0]["platforms"])
        assert all(r["parentStation"] is None for r in rows), query  # stations and stops without one only
    rows = search_by_name(helsinki, "Pasila", 10)["stops"]
    # the station named 'Pasila' before the one whose platforms are named so; each once
    assert [r["stopId"] for r in rows[:2]] == ["1000004", PASILA_RAIL]
    assert len({r["stopId"] for r in rows}) == len(rows)


def test_platforms_are_listed_by_platform_code(helsinki):
    (row,) = [r for r in search_by_name(helsinki, "Pasilan asema", 10)["stops"] if r["stopId"] == PASILA_RAIL]
    assert [p["platformCode"] for p in row["platforms"]] == ["1", "2", "3", "5", "8", "9", "10", "11"]


def test_stop_json_names_platform_station_and_wheelchair_boarding(helsinki):
    (platform,) = helsinki.stops_of("1020602")  # Rautatientori metro platform: wheelchair_boarding 2
    assert stop_json(helsinki, platform) | {"routes": []} == {
        "stopId": "1020602", "name": "Rautatientori", "lat": 60.170387, "lon": 24.939844, "locationType": 0,
        "platformCode": None, "parentStation": "1000103", "wheelchairBoarding": 2, "routes": []}
    (coded,) = helsinki.stops_of("1020112")
    assert (stop_json(helsinki, coded)["platformCode"], stop_json(helsinki, coded)["parentStation"]) == (
        "17", RAUTATIENTORI)


def test_a_stop_without_station_is_unchanged(helsinki):
    rows = search_by_name(helsinki, "Rautatieasema", 10)["stops"]
    (tram,) = [r for r in rows if r["stopId"] == RAUTATIEASEMA_TRAM]
    (stop,) = helsinki.stops_of(RAUTATIEASEMA_TRAM)
    assert tram == dict(stop_json(helsinki, stop), score=tram["score"])  # no "platforms"
    assert tram["locationType"] == 0 and tram["parentStation"] is None and tram["routes"]
    near = search_near(helsinki, 60.17036, 24.9413, 300, 20)["stops"]
    assert near[0] == dict(stop_json(helsinki, stop), distance=0.0)


def test_a_station_id_is_a_board_s_stop_with_platform_codes(helsinki):
    board = departure_board(helsinki, RAUTATIENTORI, HELSINKI_DATE, 8 * 3600, 40)
    stop = board["stop"]
    assert (stop["stopId"], stop["name"], stop["locationType"]) == (RAUTATIENTORI, "Rautatientori", 1)
    codes = {p["stopId"]: p["platformCode"] for p in stop["platforms"]}
    departures = board["departures"]
    assert len(departures) == 40 and len({d["stopId"] for d in departures}) > 3
    assert all(d["stopId"] in codes and d["platformCode"] == codes[d["stopId"]] for d in departures)
    assert all(d["platformCode"] for d in departures)  # every bus platform of Rautatientori has a code
    # the station's board is its platforms' boards merged
    one = departure_board(helsinki, departures[0]["stopId"], HELSINKI_DATE, 8 * 3600, 40)
    assert one["stop"]["stopId"] == departures[0]["stopId"] and "platforms" not in one["stop"]
    assert [d for d in departures if d["stopId"] == departures[0]["stopId"]] == one["departures"][
        :sum(d["stopId"] == departures[0]["stopId"] for d in departures)]


def test_a_journey_s_legs_name_the_platforms_they_use(helsinki):
    """Kamppi to Pasila at 08:00: the train arrives at Pasila's platform 11, as its stop's
    platform_code says; a stop without one has no platformCode."""
    from trajet.service.plan import plan_json

    answer = plan_json(helsinki, helsinki.plan("1000102", "1000004", dt.date(2022, 2, 22), 8 * 3600))
    ends = [end for it in answer["itineraries"] for leg in it["legs"] for end in (leg["from"], leg["to"])]
    rail = [leg for it in answer["itineraries"] for leg in it["legs"] if leg["mode"] == "RAIL"]
    assert rail and rail[0]["to"]["platformCode"] == "11"
    codes = {str(s): str(c) for s, c in zip(helsinki.net.stop_id, helsinki.net.stop_platform_code)}
    assert all(end.get("platformCode") == (codes[end["stopId"]] or None) for end in ends if "stopId" in end)


def test_a_departure_s_headsign_is_its_trip_s(helsinki, subway):
    for network, feed, stop_id, date in ((helsinki, "helsinki", PASILA_RAIL, HELSINKI_DATE),
                                         (subway, "nyc-subway", TIMES_SQ, NY_DATE)):
        with zipfile.ZipFile(shared_feed(feed)) as z:
            trips = csv.DictReader(io.TextIOWrapper(z.open("trips.txt"), "utf-8-sig"))
            headsigns = {t["trip_id"]: t["trip_headsign"] for t in trips}
        board = departure_board(network, stop_id, date, 8 * 3600, 20)
        assert board["stop"]["stopId"] == stop_id and board["stop"]["locationType"] == 1
        assert board["departures"] and all(d["headsign"] == headsigns[d["tripId"]] for d in board["departures"])


def test_a_subway_station_board_leaves_from_both_platforms(subway):
    board = departure_board(subway, TIMES_SQ, NY_DATE, 8 * 3600, 10)
    assert board["stop"]["stopId"] == TIMES_SQ and [p["stopId"] for p in board["stop"]["platforms"]] == [
        "127N", "127S"]
    assert {d["stopId"] for d in board["departures"]} == {"127N", "127S"}
    assert all(d["platformCode"] is None for d in board["departures"])  # the feed has no platform codes


@pytest.mark.parametrize(("feed", "lat", "lon", "station"), [
    ("subway", 40.75529, -73.987495, TIMES_SQ),
    ("helsinki", 60.171284, 24.942572, RAUTATIENTORI),
])
def test_nearby_search_groups_platforms_into_their_station(request, feed, lat, lon, station):
    network = request.getfixturevalue(feed)
    rows = search_near(network, lat, lon, 400, 50)["stops"]
    ids = [r["stopId"] for r in rows]
    assert len(set(ids)) == len(ids) and station in ids
    assert not set(ids) & set(platforms_of_stations(network))  # platforms only inside their station
    assert [r["distance"] for r in rows] == sorted(r["distance"] for r in rows)
    row = rows[ids.index(station)]
    # a station is as far as its nearest platform
    platform_metres = {s: m for s, m in network.places.nearby(lat, lon, 400)}
    nearest = min(platform_metres.get(p, 1e9) for p in network.children[network.stops_of(station)[-1]])
    assert row["distance"] == round(nearest, 1) and row["platforms"]


STOPS_TXT = (
    "stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station,platform_code,wheelchair_boarding\n"
    "S,Central,60.1,25.0,1,,,1\n"
    "S2,Central Platform 10,60.1002,25.0,0,S,10,\n"
    "S1,Central,60.1001,25.0,0,S,2,2\n"
    "SE,Central Entrance,60.1003,25.0,2,S,,\n"
    "SN,Central Node,60.1001,25.0001,3,S,,\n"
    "SB,Central Boarding Area,60.1001,25.0002,4,S1,,\n"
    "X,Central Park,60.1010,25.0,0,,,\n"
    "Y,Yard,60.2,25.0,0,,,\n"
)
TRIPS = {"t1": "S1 08:00, X 08:10", "t2": "S2 08:05, Y 08:20"}


@pytest.fixture(scope="module")
def central(tmp_path_factory):
    folder = tmp_path_factory.mktemp("central")
    return Network.open([write_feed(folder / "feed", TRIPS, files={"stops.txt": STOPS_TXT})],
                        cache_dir=folder / "cache")


def test_entrances_nodes_and_boarding_areas_are_never_rows(central):
    rows = search_by_name(central, "Central", 10)["stops"]
    assert [r["stopId"] for r in rows] == ["S", "X"]  # the station (exact) first, then 'Central Park'
    station = rows[0]
    assert [(p["stopId"], p["platformCode"], p["wheelchairBoarding"]) for p in station["platforms"]] == [
        ("S1", "2", 2), ("S2", "10", 1)]  # by platform code; S2 inherits the station's wheelchair_boarding
    assert [r["routeId"] for r in station["routes"]] == ["Rt1", "Rt2"]
    for name in ("Central Entrance", "Central Node", "Central Boarding Area"):
        assert {r["stopId"] for r in search_by_name(central, name, 10)["stops"]} <= {"S", "X", "Y"}, name
    assert [r["stopId"] for r in search_by_name(central, "Central Platform 10", 1)["stops"]] == ["S"]
    near = search_near(central, 60.1003, 25.0, 500, 10)["stops"]  # at the entrance
    assert [(r["stopId"], r["distance"]) for r in near] == [("S", 11.1), ("X", 77.8)]


def test_a_station_board_names_the_station_and_its_platforms(central):
    board = departure_board(central, "S", dt.date(2024, 3, 12), 7 * 3600, 2)
    assert board["stop"]["stopId"] == "S" and [p["stopId"] for p in board["stop"]["platforms"]] == ["S1", "S2"]
    assert [(d["tripId"], d["stopId"], d["platformCode"]) for d in board["departures"]] == [
        ("t1", "S1", "2"), ("t2", "S2", "10")]
