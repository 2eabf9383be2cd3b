"""A wheelchair user and a bike on board through the HTTP API, on the bundled Helsinki feed:
why a plan finds no journey (the trip or stop it cannot use, named), and departure boards
keeping only what the traveller can use."""

from __future__ import annotations

import re

import pytest

from trajet.api.app import create_app

DAY = "2022-02-22"
RAUTATIENTORI, KUMPULA = "1020453", "1240118"  # Helsinki central station tram stop, Kumpula campus
AIDASMAKI = "1285165"  # a bus stop where wheelchair boarding is not possible, as are those on the way to it
AHJOKUJA = "1291101"  # a bus stop of unknown wheelchair boarding, reached through others of unknown boarding


@pytest.fixture
async def client(aiohttp_client, network):
    return await aiohttp_client(create_app(network))


async def plan(client, **params) -> dict:
    response = await client.get("/v1/plan", params={"date": DAY, "time": "08:00", **params})
    assert response.status == 200, await response.text()
    return await response.json()


def named_stops(description: str) -> list[str]:
    """The stop ids a routing error names: 'boards at NAME (ID)', 'alights at NAME (ID)'."""
    return re.findall(r"(?:boards|alights) at [^;]*? \((\w+)\)", description)


async def test_no_journey_for_a_wheelchair_names_the_inaccessible_stops(client, network):
    assert (await plan(client, **{"from": KUMPULA, "to": AIDASMAKI}))["itineraries"]
    body = await plan(client, **{"from": KUMPULA, "to": AIDASMAKI, "wheelchair": "true"})
    assert body["itineraries"] == [] and body["options"]["wheelchair"] is True
    [error] = body["routingErrors"]
    assert (error["code"], error["inputField"]) == ("NO_TRANSIT_CONNECTION_WITHIN_LIMITS", "wheelchair")
    assert error["description"].startswith("no journey for a wheelchair as asked; the one found without that "
                                           "restriction ")
    stops = named_stops(error["description"])
    index = {str(s): i for i, s in enumerate(network.net.stop_id)}
    assert stops and all(int(network.net.stop_wheelchair[index[s]]) == 2 for s in stops), stops
    assert "wheelchair_boarding=2" in error["description"]


async def test_no_journey_when_unknown_stops_are_excluded_names_wheelchair_unknown(client, network):
    params = {"from": RAUTATIENTORI, "to": AHJOKUJA, "wheelchair": "true", "maxDirectTime": "0"}
    assert (await plan(client, **params))["itineraries"]  # unknown boarding allowed (the default)
    body = await plan(client, **params, wheelchairUnknown="exclude")
    [error] = body["routingErrors"]
    assert (error["code"], error["inputField"]) == ("NO_TRANSIT_CONNECTION_WITHIN_LIMITS", "wheelchairUnknown")
    index = {str(s): i for i, s in enumerate(network.net.stop_id)}
    stops = named_stops(error["description"])
    assert stops and all(int(network.net.stop_wheelchair[index[s]]) == 0 for s in stops), stops
    assert "wheelchairUnknown=exclude leaves out" in error["description"]


async def test_no_journey_with_a_bike_names_the_trip_refusing_it(client, network):
    unrestricted = await plan(client, **{"from": RAUTATIENTORI, "to": KUMPULA})
    body = await plan(client, **{"from": RAUTATIENTORI, "to": KUMPULA, "bikeOnBoard": "true"})
    assert body["itineraries"] == [] and body["options"]["bikeOnBoard"] is True
    [error] = body["routingErrors"]
    assert (error["code"], error["inputField"]) == ("NO_TRANSIT_CONNECTION_WITHIN_LIMITS", "bikeOnBoard")
    [trip_id] = re.findall(r"rides trip (\S+) \(route", error["description"])
    assert trip_id in {leg.get("tripId") for it in unrestricted["itineraries"] for leg in it["legs"]}
    trip = [str(t) for t in network.net.trip_id].index(trip_id)
    assert int(network.net.trip_bikes[trip]) == 2 and "which refuses bikes (bikes_allowed=2)" in error["description"]


@pytest.mark.parametrize(("params", "field", "message"), [
    ({"wheelchair": "yes"}, "wheelchair", "is not true or false"),
    ({"wheelchair": "true", "wheelchairUnknown": "maybe"}, "wheelchairUnknown", "is not one of allow, exclude"),
    ({"bikeOnBoard": "1"}, "bikeOnBoard", "is not true or false"),
    ({"bikeOnBoard": "true", "bikeUnknown": "sometimes"}, "bikeUnknown", "is not one of allow, exclude"),
])
async def test_bad_access_parameters_of_a_plan_are_400(client, params, field, message):
    response = await client.get("/v1/plan", params={"from": RAUTATIENTORI, "to": KUMPULA, **params})
    assert response.status == 400
    error = (await response.json())["error"]
    assert error["field"] == field and message in error["message"]


PASILA = "1000004"  # Pasila bus station: some trips not wheelchair accessible, some platforms not either
PASILA_RAIL = "1000202"  # Pasila railway station: trains


async def departures(client, stop_id: str, **params):
    response = await client.get(f"/v1/stops/{stop_id}/departures",
                                params={"date": DAY, "time": "08:00", "limit": "30", **params})
    assert response.status == 200, await response.text()
    return await response.json()


async def test_a_board_for_a_wheelchair_keeps_what_it_can_take(client, network):
    every = await departures(client, PASILA, limit="200")
    assert every["options"] == {"wheelchair": False, "wheelchairUnknown": "allow", "bikeOnBoard": False,
                                "bikeUnknown": "exclude"}
    assert {r["wheelchairAccessible"] for r in every["departures"]} == {"POSSIBLE", "NOT_POSSIBLE"}
    body = await departures(client, PASILA, wheelchair="true")
    assert body["options"]["wheelchair"] is True and len(body["departures"]) == 30
    index = {str(s): i for i, s in enumerate(network.net.stop_id)}
    platforms = {p["stopId"]: p["wheelchairBoarding"] for p in body["stop"]["platforms"]}
    usable = [r for r in every["departures"] if r["wheelchairAccessible"] != "NOT_POSSIBLE"
              and int(network.net.stop_wheelchair[index[r["stopId"]]]) != 2]
    assert body["departures"] == usable[:30]
    assert all(platforms[r["stopId"]] != 2 for r in body["departures"])


@pytest.mark.parametrize("station", [PASILA, PASILA_RAIL])
async def test_a_board_for_a_bike_keeps_the_trips_taking_bikes(client, station):
    # the bundled feed's trains take bikes (bikes_allowed 1), its buses do not (2)
    every = await departures(client, station)
    assert every["departures"]
    body = await departures(client, station, bikeOnBoard="true")
    assert body["departures"] == [r for r in every["departures"] if r["bikesAllowed"] == "ALLOWED"]
    assert {r["bikesAllowed"] for r in every["departures"]} == {"NOT_ALLOWED" if station == PASILA else "ALLOWED"}
    # every trip says 1 or 2: letting the unknown in changes nothing
    assert (await departures(client, station, bikeOnBoard="true", bikeUnknown="allow")) == dict(
        body, options=dict(body["options"], bikeUnknown="allow"))


@pytest.mark.parametrize(("params", "field", "message"), [
    ({"wheelchair": "maybe"}, "wheelchair", "is not true or false"),
    ({"wheelchairUnknown": "perhaps"}, "wheelchairUnknown", "is not one of allow, exclude"),
    ({"bikeOnBoard": "yes"}, "bikeOnBoard", "is not true or false"),
    ({"bikeUnknown": "no"}, "bikeUnknown", "is not one of allow, exclude"),
])
async def test_bad_access_parameters_of_a_board_are_400(client, params, field, message):
    response = await client.get(f"/v1/stops/{PASILA}/departures", params=params)
    assert response.status == 400
    error = (await response.json())["error"]
    assert error["field"] == field and message in error["message"] and "Traceback" not in error["message"]
