"""GET /v1/plan with arriveBy=true on the bundled feed: the latest departures arriving by the time."""

from __future__ import annotations

import pytest

from trajet.api.app import create_app

from .test_app import PLAN


@pytest.fixture
async def client(aiohttp_client, network):
    return await aiohttp_client(create_app(network))


async def test_arrive_by_answers_latest_departure_first(client):
    params = dict(PLAN, time="09:00", arriveBy="true", numItineraries="10")
    response = await client.get("/v1/plan", params=params)
    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["options"]["arriveBy"] is True and body["routingErrors"] == []
    starts = [it["startTime"] for it in body["itineraries"]]
    assert starts and starts == sorted(starts, reverse=True)
    assert all(it["endTime"] <= "2022-02-22T09:00:00+02:00" for it in body["itineraries"])
    # leaving at the latest departure, a forward plan arrives by 09:00 too
    latest = body["itineraries"][0]
    forward = await (await client.get("/v1/plan", params=dict(PLAN, time=latest["startTime"][11:19]))).json()
    assert forward["options"]["arriveBy"] is False
    assert min(it["endTime"] for it in forward["itineraries"]) <= "2022-02-22T09:00:00+02:00"


async def test_arrive_by_is_false_by_default_and_checked(client):
    body = await (await client.get("/v1/plan", params=PLAN)).json()
    assert body["options"]["arriveBy"] is False
    response = await client.get("/v1/plan", params=dict(PLAN, arriveBy="soon"))
    assert response.status == 400
    error = (await response.json())["error"]
    assert error["field"] == "arriveBy" and "not true or false" in error["message"]


async def test_arrive_by_too_early_says_when_the_first_arrives(client):
    body = await (await client.get("/v1/plan", params=dict(PLAN, time="00:10", arriveBy="true"))).json()
    assert body["itineraries"] == []
    [error] = body["routingErrors"]
    assert (error["code"], error["inputField"]) == ("NO_TRANSIT_CONNECTION_IN_SEARCH_WINDOW", "time")
    assert error["description"].startswith("no journey arrives by 00:10 on 2022-02-22; on that day journeys arrive "
                                           "later (the first at ")
