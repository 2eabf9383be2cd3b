"""The OpenAPI document is valid, and real responses of every endpoint validate against it."""

from __future__ import annotations

import jsonschema
import pytest
from openapi_spec_validator import validate

from trajet.api.app import create_app
from trajet.api.openapi import document

from .test_app import KUMPULA, PLAN, RAUTATIENTORI


@pytest.fixture
async def client(aiohttp_client, network):
    return await aiohttp_client(create_app(network))


def check(body: dict, path: str, status: str = "200") -> None:
    spec = document()
    (operation,) = spec["paths"][path].values()
    schema = operation["responses"][status]["content"]["application/json"]["schema"]
    jsonschema.Draft202012Validator({**schema, "components": spec["components"]}).validate(body)


def test_the_document_is_valid_openapi():
    validate(document())


def test_the_board_takes_the_plan_s_access_parameters():
    spec = document()
    board = {p["name"]: p for p in spec["paths"]["/v1/stops/{stopId}/departures"]["get"]["parameters"]}
    plan = {p["name"]: p for p in spec["paths"]["/v1/plan"]["get"]["parameters"]}
    for name in ("wheelchair", "wheelchairUnknown", "bikeOnBoard", "bikeUnknown"):
        assert board[name]["schema"] == plan[name]["schema"]
        assert board[name]["description"].startswith(plan[name]["description"])
    departure = spec["components"]["schemas"]["Departure"]
    assert departure["properties"]["wheelchairAccessible"]["enum"] == ["NO_INFORMATION", "POSSIBLE", "NOT_POSSIBLE"]
    assert departure["properties"]["bikesAllowed"]["enum"] == ["NO_INFORMATION", "ALLOWED", "NOT_ALLOWED"]


def test_the_document_declares_the_api_key_header():
    spec = document()
    scheme = spec["components"]["securitySchemes"]["apiKey"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "X-Api-Key")
    assert {"apiKey": []} in spec["security"] and {} in spec["security"]  # a key is optional where anonymous use is on


async def test_the_document_is_served(client):
    assert (await (await client.get("/openapi.json")).json()) == document()


@pytest.mark.parametrize(
    "url, path, params",
    [
        ("/v1/plan", "/v1/plan", PLAN),
        ("/v1/plan", "/v1/plan", dict(PLAN, **{"from": "60.1710,24.9414", "to": "60.2035,24.9600"})),
        ("/v1/stops", "/v1/stops", {"q": "kumpula"}),
        ("/v1/stops", "/v1/stops", {"near": "60.2035,24.96", "radius": "400"}),
        (f"/v1/stops/{KUMPULA}/departures", "/v1/stops/{stopId}/departures", {"date": "2022-02-22", "time": "08:00"}),
        (f"/v1/stops/{KUMPULA}/departures", "/v1/stops/{stopId}/departures",
         {"date": "2022-02-22", "time": "08:00", "wheelchair": "true", "bikeOnBoard": "true", "bikeUnknown": "allow"}),
        ("/v1/feeds", "/v1/feeds", {}),
        ("/v1/health", "/v1/health", {}),
        ("/v1/ready", "/v1/ready", {}),
    ],
)
async def test_responses_follow_the_document(client, url, path, params):
    response = await client.get(url, params=params)
    assert response.status == 200, await response.text()
    check(await response.json(), path)


async def test_errors_follow_the_document(client):
    bad = await client.get("/v1/plan", params=dict(PLAN, to=RAUTATIENTORI))
    check(await bad.json(), "/v1/plan", "400")
    missing = await client.get("/v1/nothing")
    check(await missing.json(), "/v1/plan", "404")


async def test_metrics_count_requests_and_routing_work(client):
    await client.get("/v1/plan", params=PLAN)
    await client.get("/v1/plan", params=dict(PLAN, to="nope"))
    text = await (await client.get("/metrics")).text()
    assert 'trajet_requests_total{endpoint="/v1/plan",status="200"} 1.0' in text
    assert 'trajet_requests_total{endpoint="/v1/plan",status="400"} 1.0' in text
    assert 'trajet_routing_work_total{counter="rounds"}' in text
    assert "trajet_request_seconds_bucket" in text and "trajet_routing_cpu_seconds_total" in text
