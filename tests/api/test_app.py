"""The HTTP API through a real server on a loopback port (pytest-aiohttp), on the bundled feed."""

from __future__ import annotations

import asyncio
import gzip

import aiohttp
import orjson
import pytest

from trajet.api.app import ServiceConfig, create_app

RAUTATIENTORI, KUMPULA = "1020453", "1240118"  # Helsinki central station tram stop, Kumpula campus
PLAN = {"from": RAUTATIENTORI, "to": KUMPULA, "date": "2022-02-22", "time": "08:00", "maxWalk": "400"}


@pytest.fixture
async def client(aiohttp_client, network):
    return await aiohttp_client(create_app(network))


async def test_health_and_ready(client):
    assert (await (await client.get("/v1/health")).json()) == {"status": "ok"}
    body = await (await client.get("/v1/ready")).json()
    assert body == {"ready": True, "feeds": ["helsinki"], "ledger": {"status": "ok", "droppedRecords": 0},
                    "clock": "system clock"}


async def test_feeds_lists_the_bundled_feed(client):
    (feed,) = (await (await client.get("/v1/feeds")).json())["feeds"]
    assert feed["name"] == "helsinki" and feed["timezone"] == "Europe/Helsinki"
    assert (feed["startDate"], feed["endDate"]) == ("2022-02-22", "2022-02-22")
    assert feed["counts"]["stops"] == 1388
    warnings = feed["validationWarnings"]
    assert warnings["rows"] > 0 and len(warnings["first"]) == min(5, warnings["kinds"]) > 0
    assert all({"file", "line", "field", "reason", "count"} <= set(w) for w in warnings["first"])
    assert feed["feedInfo"] is None or set(feed["feedInfo"]) >= {"startDate", "endDate", "version"}


async def test_plan_answers_with_legs_and_its_computation(client):
    response = await client.get("/v1/plan", params=PLAN)
    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["from"] == {"stopId": RAUTATIENTORI, "name": "Rautatieasema"}
    it = body["itineraries"][0]
    assert it["startTime"].startswith("2022-02-22T08:") and it["endTime"] > it["startTime"]
    trip_legs = [leg for leg in it["legs"] if leg["mode"] != "WALK"]
    assert trip_legs and all(leg["tripId"] and leg["routeShortName"] and leg["legGeometry"]["points"]
                             for leg in trip_legs)
    computation = body["computation"]
    assert computation["algorithm"]["name"] == "RAPTOR"
    assert computation["cpuTimeMs"] > 0 and computation["wallTimeMs"] >= computation["cpuTimeMs"] * 0.5
    assert computation["work"]["rounds"] >= 1 and computation["work"]["patternsScanned"] >= 1
    assert computation["costEur"] > 0 and computation["apiKey"] == "anonymous"
    assert computation["responseBytes"] == len(await response.read())  # exact, before compression
    # maxWalk 400 m, the former single limit: every walk of 400 m (at 1.33 m/s: 301 s)
    assert body["options"] == {"maxTransfers": 20, "transferSlack": 120, "maxTransferWalk": 400,
                               "maxPreTransitTime": 301, "maxPostTransitTime": 301, "maxDirectTime": 1800,
                               "walkSpeed": 1.33, "modes": body["options"]["modes"], "accessMode": "WALK",
                               "egressMode": "WALK", "directMode": "WALK", "bikeSpeed": 5.0, "bikeOnBoard": False,
                               "bikeUnknown": "exclude", "wheelchair": False, "wheelchairUnknown": "allow",
                               "numItineraries": 5, "searchWindow": 3600, "arriveBy": False}
    assert body["feeds"] == [{"name": "helsinki", "publisher": body["feeds"][0]["publisher"],
                              "version": body["feeds"][0]["version"], "sha256": body["feeds"][0]["sha256"]}]
    listed = (await (await client.get("/v1/feeds")).json())["feeds"]
    assert body["feeds"][0]["sha256"] == listed[0]["sha256"] and len(listed[0]["sha256"]) == 64
    assert float(response.headers["X-Trajet-Cpu-Ms"]) > 0 and response.headers["X-Request-Id"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"


async def test_plan_from_a_coordinate(client):
    params = dict(PLAN, **{"from": "60.1710,24.9414"})
    body = await (await client.get("/v1/plan", params=params)).json()
    first = body["itineraries"][0]["legs"][0]
    assert body["from"] == {"lat": 60.171, "lon": 24.9414}
    assert first["mode"] == "WALK" and first["from"]["name"] == "Origin"


async def test_excluded_modes_are_respected(client):
    body = await (await client.get("/v1/plan", params=dict(PLAN, excludeModes="TRAM"))).json()
    modes = {leg["mode"] for it in body["itineraries"] for leg in it["legs"]}
    assert "TRAM" not in modes and "TRAM" not in body["options"]["modes"]


async def test_num_itineraries_limits_the_answer(client):
    body = await (await client.get("/v1/plan", params=dict(PLAN, numItineraries="1"))).json()
    assert len(body["itineraries"]) == 1


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"from": "nope"}, "from", "unknown stop id 'nope'"),
        ({"to": ""}, "to", "to is missing"),
        ({"date": "2022-02-30"}, "date", "is not a date"),
        ({"time": "25:61"}, "time", "is not a time"),
        ({"to": RAUTATIENTORI}, "to", "same place"),
        ({"maxTransfers": "99"}, "maxTransfers", "out of range"),
        ({"maxWalk": "far"}, "maxWalk", "not a whole number"),
        ({"modes": "ZEPPELIN"}, "modes", "unknown mode ZEPPELIN"),
        ({"numItineraries": "0"}, "numItineraries", "out of range"),
        ({"from": "91,200"}, "from", "is not a latitude,longitude"),
    ],
)
async def test_bad_parameters_are_400_naming_the_field(client, change, field, message):
    response = await client.get("/v1/plan", params=dict(PLAN, **change))
    assert response.status == 400
    error = (await response.json())["error"]
    assert error["field"] == field and message in error["message"] and error["code"] == "bad_request"


@pytest.mark.parametrize(
    "change, code, field, words",
    [
        ({"date": "2030-01-01"}, "OUTSIDE_SERVICE_PERIOD", "date", "2030-01-01 is outside the feeds' service days, "
                                                                   "2022-02-22 to 2022-02-22"),
        ({"date": "2022-02-23"}, "OUTSIDE_SERVICE_PERIOD", "date", "2022-02-22 to 2022-02-22"),
        ({"from": "10.0,10.0"}, "NO_STOPS_IN_RANGE", "from",
         "no stop within 301 s on foot (308 m crow-fly) of from 10.0,10.0; a larger maxPreTransitTime"),
        ({"to": "10.0,10.0", "maxWalk": ""}, "NO_STOPS_IN_RANGE", "to",
         "no stop within 900 s on foot (921 m crow-fly) of to 10.0,10.0; a larger maxPostTransitTime"),
        ({"modes": "FERRY"}, "NO_TRANSIT_CONNECTION_WITHIN_LIMITS", "modes", "which the modes asked leave out"),
    ],
)
async def test_a_plan_without_itineraries_says_why(client, change, code, field, words):
    response = await client.get("/v1/plan", params=dict(PLAN, **change))
    assert response.status == 200
    body = await response.json()
    assert body["itineraries"] == []
    [error] = body["routingErrors"]
    assert (error["code"], error["inputField"]) == (code, field) and words in error["description"]


async def test_a_plan_with_itineraries_has_no_routing_errors(client):
    body = await (await client.get("/v1/plan", params=PLAN)).json()
    assert body["itineraries"] and body["routingErrors"] == []


async def test_unknown_path_is_404_and_wrong_method_405(client):
    missing = await client.get("/v1/nope")
    assert missing.status == 404 and (await missing.json())["error"]["code"] == "not_found"
    wrong = await client.post("/v1/plan")
    assert wrong.status == 405 and (await wrong.json())["error"]["code"] == "method_not_allowed"
    assert "GET" in wrong.headers["Allow"]


async def test_preflight_for_browsers(client):
    response = await client.options("/v1/plan")
    assert response.status == 204 and response.headers["Access-Control-Allow-Origin"] == "*"


async def test_large_answers_are_gzipped(client):
    response = await client.get("/v1/plan", params=PLAN, headers={"Accept-Encoding": "gzip"})
    assert response.headers.get("Content-Encoding") == "gzip"
    # by ISA-L (use_fast_gzip), in a stream the standard library's gzip reads
    async with aiohttp.ClientSession(auto_decompress=False) as raw:
        async with raw.get(client.make_url("/v1/plan"), params=PLAN, headers={"Accept-Encoding": "gzip"}) as got:
            data = await got.read()
    answer = orjson.loads(gzip.decompress(data))
    assert len(data) < len(orjson.dumps(answer)) / 3
    assert answer["itineraries"] == (await response.json())["itineraries"] != []


async def test_concurrent_requests_all_answer(client):
    responses = await asyncio.gather(*[client.get("/v1/plan", params=dict(PLAN, time=f"0{7 + i % 3}:{i:02d}"))
                                       for i in range(24)])
    assert [r.status for r in responses] == [200] * 24


async def test_saturation_answers_503_with_retry_after(aiohttp_client, network):
    client = await aiohttp_client(create_app(network, ServiceConfig(workers=1, max_pending=1)))
    responses = await asyncio.gather(*[client.get("/v1/plan", params=PLAN) for _ in range(8)])
    statuses = sorted(r.status for r in responses)
    assert statuses[0] == 200 and statuses[-1] == 503
    busy = next(r for r in responses if r.status == 503)
    assert busy.headers["Retry-After"] == "1" and (await busy.json())["error"]["code"] == "busy"


async def test_oversized_request_is_refused(client):
    response = await client.get("/v1/plan", params=dict(PLAN, junk="x" * 20000))
    assert response.status in (400, 414, 431)


async def test_stop_search_is_accent_case_and_typo_tolerant(client):
    for query in ("Sörnäinen", "sornainen", "SORNAINNEN"):
        stops = (await (await client.get("/v1/stops", params={"q": query, "limit": "3"})).json())["stops"]
        # a row is named so, or is the station of platforms named so (the metro's 'Sörnäisten metroasema')
        assert stops and all(any("rnäinen" in n for n in [s["name"]] + [p["name"] for p in s.get("platforms", [])])
                             for s in stops), (query, stops)
    best = stops[0]
    assert best["routes"] and {"routeId", "shortName", "mode"} <= set(best["routes"][0])
    assert best["locationType"] == 1 and best["platforms"][0]["routes"]


async def test_stops_near_a_coordinate_by_distance(client):
    stops = (await (await client.get("/v1/stops",
                                     params={"near": "60.17036,24.9413", "radius": "300"})).json())["stops"]
    assert stops[0]["stopId"] == RAUTATIENTORI and stops[0]["distance"] < 1
    assert [s["distance"] for s in stops] == sorted(s["distance"] for s in stops) and stops[-1]["distance"] <= 300


async def test_stop_search_needs_a_query(client):
    response = await client.get("/v1/stops")
    assert response.status == 400 and (await response.json())["error"]["field"] == "q"


async def test_departures_of_a_stop(client):
    params = {"date": "2022-02-22", "time": "08:00", "limit": "5"}
    body = await (await client.get(f"/v1/stops/{RAUTATIENTORI}/departures", params=params)).json()
    times = [d["time"] for d in body["departures"]]
    assert len(times) == 5 and times == sorted(times) and times[0] >= "2022-02-22T08:00:00+02:00"
    assert all(d["routeShortName"] and d["tripId"] for d in body["departures"])
    missing = await client.get("/v1/stops/nope/departures", params=params)
    assert missing.status == 400 and (await missing.json())["error"]["field"] == "stopId"


async def test_over_the_time_budget_answers_503(aiohttp_client, network):
    client = await aiohttp_client(create_app(network, ServiceConfig(time_budget_s=1e-6)))
    response = await client.get("/v1/plan", params=PLAN)
    assert response.status == 503 and (await response.json())["error"]["code"] == "timeout"
    assert response.headers["Retry-After"] == "5"


async def test_a_warm_up_that_fails_stops_the_start(aiohttp_client, network, monkeypatch):
    """The kernels are warmed before the server listens; if that fails, the server does not
    start half-ready, and the error is the warm-up's."""
    import trajet.api.app as app_module

    def broken(network):
        raise RuntimeError("kernel warm-up failed")

    monkeypatch.setattr(app_module, "warm_up", broken)
    with pytest.raises(RuntimeError, match="kernel warm-up failed"):
        await aiohttp_client(create_app(network))
