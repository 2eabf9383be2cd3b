"""GET /v1/places (stops, stations, addresses and places in one ranked list) and
/v1/places/reverse, on the bundled Helsinki feed and its OpenStreetMap extract."""

from __future__ import annotations

import pytest

from trajet.api.app import create_app


@pytest.fixture
async def client(aiohttp_client, network):
    return await aiohttp_client(create_app(network))


async def places(client, **params):
    response = await client.get("/v1/places", params=params)
    return response.status, await response.json()


async def test_an_address_with_its_number_comes_first(client):
    status, body = await places(client, q="mannerheimintie 5")  # no capital, as typed on a phone
    assert status == 200
    first = body["places"][0]
    assert (first["type"], first["houseNumber"], first["street"]) == ("osm", "5", "Mannerheimintie")
    assert first["place"] == f"{first['lat']:.6f},{first['lon']:.6f}"
    assert any("OpenStreetMap" in s and "ODbL" in s for s in body["sources"])


async def test_a_station_name_finds_the_station_before_osm_places(client):
    status, body = await places(client, q="Rautatieasema")
    top = body["places"][0]
    assert status == 200 and top["type"] == "stop" and top["name"] == "Rautatieasema"
    assert top["place"] == top["stopId"]


async def test_a_typo_and_missing_accents_still_find_a_place(client):
    status, body = await places(client, q="Stokmann")
    assert status == 200 and body["places"][0]["name"].startswith("Stockmann")


async def test_the_place_found_is_a_plan_end(client):
    _, body = await places(client, q="mannerheimintie 5")
    start = body["places"][0]["place"]
    _, to = await places(client, q="Esplanadinpuisto")
    response = await client.get("/v1/plan", params={"from": start, "to": to["places"][0]["place"],
                                                    "date": "2022-02-22", "time": "08:00"})
    plan = await response.json()
    assert response.status == 200 and plan["itineraries"]


async def test_a_missing_query_names_the_field(client):
    status, body = await places(client)
    assert status == 400 and body["error"]["field"] == "q"
    status, body = await places(client, q="kamppi", near="far away")
    assert status == 400 and body["error"]["field"] == "near"


async def test_reverse_gives_the_nearest_address_and_stops(client):
    response = await client.get("/v1/places/reverse", params={"point": "60.1699,24.9384"})
    body = await response.json()
    assert response.status == 200
    assert body["address"]["kind"] == "address" and body["address"]["distance"] < 60
    assert body["stops"] and all(s["distance"] <= 200 for s in body["stops"])
    response = await client.get("/v1/places/reverse", params={"point": "60.30,24.90"})  # outside the extract
    body = await response.json()
    assert response.status == 200 and body["address"] is None
    bad = await client.get("/v1/places/reverse", params={"point": "x"})
    assert bad.status == 400 and (await bad.json())["error"]["field"] == "point"
