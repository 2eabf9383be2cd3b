"""GET /v1/traveltimes and POST /v1/matrix: JSON and GeoJSON, what the service computes,
bad inputs named, partial answers on a spent budget, the computation block, and the
ledger's own endpoint for each (and `/v1/costs` by endpoint)."""

from __future__ import annotations

import datetime as dt

import jsonschema
import orjson
import pytest

from trajet.api.app import ServiceConfig, create_app
from trajet.api.openapi import document
from trajet.billing.ledger import SqliteLedger
from trajet.service.matrix import MAX_POINTS, MatrixJob, matrix, parse_points
from trajet.service.traveltimes import Limits, travel_times

from .test_accounting import ADMIN, eventually, recorded, setup  # noqa: F401 (the setup fixture)
from .test_app import KUMPULA, RAUTATIENTORI

DAY = "2022-02-22"
TT = {"from": RAUTATIENTORI, "date": DAY, "time": "08:00", "maxTravelTime": "1800"}
POINTS = [RAUTATIENTORI, KUMPULA, "60.1699,24.9384"]
MATRIX = {"origins": POINTS, "destinations": POINTS, "date": DAY, "time": "08:00"}


@pytest.fixture
async def client(aiohttp_client, network):
    return await aiohttp_client(create_app(network))


def schema_of(path: str, method: str, content: str = "application/json", status: str = "200") -> dict:
    spec = document()
    schema = spec["paths"][path][method]["responses"][status]["content"][content]["schema"]
    return {**schema, "components": spec["components"]}


async def test_traveltimes_json_is_what_the_service_computes(client, network):
    response = await client.get("/v1/traveltimes", params=TT)
    assert response.status == 200, await response.text()
    assert response.content_type == "application/json"
    body = await response.json()
    jsonschema.Draft202012Validator(schema_of("/v1/traveltimes", "get")).validate(body)
    want = travel_times(network, RAUTATIENTORI, dt.date(2022, 2, 22), 8 * 3600, limits=Limits(max_travel_s=1800))
    assert [s["seconds"] for s in body["stops"]] == want.travel_s.tolist()
    assert body["reached"] == len(want.stops) > 10 and body["partial"] is False
    computation = body["computation"]
    assert computation["work"]["rounds"] > 0 and computation["responseBytes"] == len(await response.read())


@pytest.mark.parametrize("how", ["format", "accept"])
async def test_traveltimes_geojson(client, how):
    params = dict(TT, window="300", percentiles="50,90")
    headers = {}
    if how == "format":
        params["format"] = "geojson"
    else:
        headers["Accept"] = "application/geo+json"
    response = await client.get("/v1/traveltimes", params=params, headers=headers)
    assert response.status == 200, await response.text()
    assert response.content_type == "application/geo+json"
    body = orjson.loads(await response.read())
    jsonschema.Draft202012Validator(schema_of("/v1/traveltimes", "get", "application/geo+json")).validate(body)
    assert body["type"] == "FeatureCollection" and body["properties"]["departures"] == 5
    first = body["features"][0]
    assert first["geometry"]["type"] == "Point" and len(first["geometry"]["coordinates"]) == 2
    assert {"stopId", "name", "min", "median", "p50", "p90", "transfers"} <= set(first["properties"])
    assert "computation" in body


@pytest.mark.parametrize("params, field", [
    (dict(TT, **{"from": "nowhere"}), "from"),
    (dict(TT, **{"from": "10.0,10.0"}), "from"),
    (dict(TT, window="-1"), "window"),
    (dict(TT, percentiles="50"), "percentiles"),
    (dict(TT, window="600", percentiles="150"), "percentiles"),
    (dict(TT, maxTravelTime="10"), "maxTravelTime"),
    (dict(TT, format="xml"), "format"),
    (dict(TT, date="2030-01-01"), "date"),
    (dict(TT, to=KUMPULA), "from"),  # from and to conflict
    ({"date": DAY, "time": "09:00", "to": "nowhere"}, "to"),
])
async def test_traveltimes_bad_inputs_are_400_naming_the_field(client, params, field):
    response = await client.get("/v1/traveltimes", params=params)
    assert response.status == 400
    assert (await response.json())["error"]["field"] == field


async def test_matrix_is_what_the_service_computes(client, network):
    response = await client.post("/v1/matrix", json=MATRIX)
    assert response.status == 200, await response.text()
    body = await response.json()
    jsonschema.Draft202012Validator(schema_of("/v1/matrix", "post")).validate(body)
    places = parse_points(network, POINTS, "origins")
    want = matrix(MatrixJob(network, places, places, dt.date(2022, 2, 22), 8 * 3600))
    assert body["travelTimes"] == [[None if v < 0 else v for v in row] for row in want.travel_s.tolist()]
    assert body["transfers"] == [[None if v < 0 else v for v in row] for row in want.transfers.tolist()]
    assert body["originsDone"] == 3 and body["partial"] is False and body["computation"]["work"]["rounds"] > 0


@pytest.mark.parametrize("data, field", [
    (b"{not json", "body"),
    (b"[1, 2]", "body"),
    (orjson.dumps({"origins": POINTS}), "destinations"),
    (orjson.dumps(dict(MATRIX, origins=[RAUTATIENTORI] * (MAX_POINTS + 1))), "origins"),
    (orjson.dumps(dict(MATRIX, destinations=[KUMPULA, "nowhere"])), "destinations[1]"),
    (orjson.dumps(dict(MATRIX, origins=[{"lat": 1}])), "origins[0]"),
    (orjson.dumps(dict(MATRIX, maxTransfers="many")), "maxTransfers"),
    (orjson.dumps(dict(MATRIX, maxTransfers={"a": 1})), "maxTransfers"),
    (orjson.dumps(dict(MATRIX, arriveBy=True)), "arriveBy"),
    (orjson.dumps(dict(MATRIX, date="2030-01-01")), "date"),
])
async def test_matrix_bad_bodies_are_400_naming_the_field(client, data, field):
    response = await client.post("/v1/matrix", data=data, headers={"Content-Type": "application/json"})
    assert response.status == 400, await response.text()
    assert (await response.json())["error"]["field"] == field


async def test_a_spent_budget_answers_partial(aiohttp_client, network):
    client = await aiohttp_client(create_app(network, ServiceConfig(analysis_budget_s=0.0)))
    body = await (await client.get("/v1/traveltimes", params=dict(TT, window="600"))).json()
    assert body["partial"] is True and body["departuresDone"] == 1 and "budget" in body["partialReason"]
    assert body["stops"]
    body = await (await client.post("/v1/matrix", json=MATRIX)).json()
    assert body["partial"] is True and body["originsDone"] < 3 and None in body["travelTimes"]
    assert "budget" in body["partialReason"]


async def test_the_ledger_records_each_analysis_under_its_endpoint(aiohttp_client, network, setup):  # noqa: F811
    ledger = SqliteLedger(setup.ledger_path, setup.batch_size, setup.flush_seconds)
    try:
        client = await aiohttp_client(create_app(network, setup=setup, ledger=ledger))
        tt = await (await client.get("/v1/traveltimes", params=TT, headers=ADMIN)).json()
        mx = await (await client.post("/v1/matrix", json=MATRIX, headers=ADMIN)).json()
        await eventually(recorded(ledger, 2))
        rows = dict((r[0], r[1:]) for r in ledger.query("SELECT endpoint, status, rounds, bytes FROM requests"))
        assert rows["/v1/traveltimes"] == (200, tt["computation"]["work"]["rounds"], tt["computation"]["responseBytes"])
        assert rows["/v1/matrix"] == (200, mx["computation"]["work"]["rounds"], mx["computation"]["responseBytes"])
        costs = await (await client.get("/v1/costs", headers=ADMIN)).json()
        by_endpoint = {line["name"]: line["requests"] for line in costs["byEndpoint"]}
        assert by_endpoint["/v1/traveltimes"] == 1 and by_endpoint["/v1/matrix"] == 1
    finally:
        ledger.close()


async def test_traveltimes_to_a_destination_from_every_stop(client, network):
    response = await client.get("/v1/traveltimes", params={"to": KUMPULA, "date": DAY, "time": "09:00",
                                                           "maxTravelTime": "1800"})
    assert response.status == 200, await response.text()
    body = await response.json()
    jsonschema.Draft202012Validator(schema_of("/v1/traveltimes", "get")).validate(body)
    assert body["arriveBy"] is True and body["to"]["stopId"] == KUMPULA and "from" not in body
    assert body["stops"] and all(row["latestDeparture"] <= "09:00:00" for row in body["stops"])
    want = travel_times(network, KUMPULA, dt.date(2022, 2, 22), 9 * 3600, limits=Limits(max_travel_s=1800),
                        to_destination=True)
    assert [row["seconds"] for row in body["stops"]] == want.travel_s.tolist()
    for params, field in (({"from": RAUTATIENTORI, "to": KUMPULA}, "from"), ({"date": DAY}, "from")):
        response = await client.get("/v1/traveltimes", params=params)
        assert response.status == 400 and (await response.json())["error"]["field"] == field
