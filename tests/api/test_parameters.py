"""Unknown, repeated and conflicting query parameters of the GET endpoints: each answered
400 naming it, before any work; every declared parameter accepted, and the OpenAPI document
listing exactly the declared ones (api/endpoints.py).

The requests that check every parameter are generated from the declaration, so that a
parameter added (to service.params.PLAN_PARAMETERS, say) is sent here without a change."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys

import pytest
from aiohttp import web
from multidict import MultiDict

from trajet.api.app import create_app
from trajet.api.endpoints import GET_QUERIES, Query, closest, openapi_path
from trajet.api.openapi import document
from trajet.billing.config import load_config
from trajet.billing.ledger import SqliteLedger
from trajet.billing.simulate import request_mix
from trajet.service.errors import QueryError
from trajet.service.params import PLAN_PARAMETERS, describe

from .test_accounting import ADMIN, write_config
from .test_app import KUMPULA, PLAN, RAUTATIENTORI

DAY = "2022-02-22"
BOARD = f"/v1/stops/{RAUTATIENTORI}/departures"


@pytest.fixture
async def client(aiohttp_client, network):
    return await aiohttp_client(create_app(network))


@pytest.fixture
async def admin(aiohttp_client, network, tmp_path):
    """A client of an app with keys (/v1/costs and /v1/funding answer admin keys), sending ADMIN."""
    setup = load_config(write_config(tmp_path), ["helsinki"])
    ledger = SqliteLedger(setup.ledger_path, flush_seconds=0.05)
    client = await aiohttp_client(create_app(network, setup=setup, ledger=ledger), headers=ADMIN)
    yield client
    ledger.close()


async def refused(response, field: str, *words: str) -> str:
    assert response.status == 400, await response.text()
    error = (await response.json())["error"]
    assert (error["code"], error["field"]) == ("bad_request", field), error
    assert all(w in error["message"] for w in words), error["message"]
    return error["message"]


# --- unknown parameters ---------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "suggestion"), [
    ("maxTransfer", "maxTransfers"),
    ("walkspeed", "walkSpeed"),  # names are case-sensitive, as OpenTripPlanner's camelCase
    ("max_transfers", "maxTransfers"),
    ("numItinerary", "numItineraries"),
    ("fromPlace", "from"),  # OpenTripPlanner's and MOTIS's name
    ("mode", "modes"),
])
async def test_an_unknown_plan_parameter_is_400_with_the_closest_name(client, name, suggestion):
    message = await refused(await client.get("/v1/plan", params=dict(PLAN, **{name: "1"})), name,
                            f"unknown parameter {name!r}", f"did you mean {suggestion}?")
    assert message == f"unknown parameter {name!r}; did you mean {suggestion}?"


async def test_an_unknown_name_far_from_any_lists_what_the_endpoint_takes(client):
    message = await refused(await client.get("/v1/plan", params=dict(PLAN, junk="1")), "junk",
                            "unknown parameter 'junk'; this endpoint takes from, to, date, time, ", "maxTransfers")
    assert "did you mean" not in message and "numItineraries" in message


def test_arriveby_is_unknown_and_arrive_by_suggested_once_it_exists():
    names = GET_QUERIES["/v1/plan"].names
    assert "arriveby" not in names
    assert closest("arriveby", (*names, "arriveBy")) == "arriveBy"
    assert closest("ARRIVEBY", (*names, "arriveBy")) == "arriveBy"


async def test_an_unknown_parameter_of_a_departure_board_is_400(client):
    # a plan's option that a board does not take: refused, not silently ignored
    await refused(await client.get(BOARD, params={"date": DAY, "time": "08:00", "maxTransfers": "2"}),
                  "maxTransfers", "unknown parameter 'maxTransfers'")
    await refused(await client.get(BOARD, params={"date": DAY, "wheelchairAccesible": "true"}),
                  "wheelchairAccesible", "did you mean wheelchair")


async def test_an_unknown_parameter_of_the_stop_search_is_400(client):
    await refused(await client.get("/v1/stops", params={"name": "kamppi"}), "name",
                  "unknown parameter 'name'; this endpoint takes q, near, radius, limit")
    await refused(await client.get("/v1/stops", params={"q": "kamppi", "Limit": "3"}), "Limit",
                  "did you mean limit?")


@pytest.mark.parametrize("path", ["/v1/health", "/v1/ready", "/metrics", "/openapi.json"])
async def test_endpoints_without_parameters_refuse_any(client, path):
    await refused(await client.get(path, params={"verbose": "1"}), "verbose", "this endpoint takes none")


async def test_an_api_key_in_the_query_string_is_sent_to_the_header(client):
    await refused(await client.get("/v1/stops", params={"q": "kamppi", "apiKey": "secret"}), "apiKey",
                  "the X-Api-Key header")


async def test_a_parameter_without_a_name_is_refused(client):
    await refused(await client.get("/v1/stops?q=kamppi&=3"), "", "a parameter without a name")


# --- repeated parameters --------------------------------------------------------------------------
async def test_a_repeated_parameter_is_400_naming_it(client):
    url = "/v1/plan?" + "&".join(f"{k}={v}" for k, v in PLAN.items()) + "&time=09:00"
    await refused(await client.get(url), "time", "time is given twice; give it once")
    await refused(await client.get(f"{BOARD}?limit=3&limit=4&limit=5"), "limit", "limit is given 3 times")


async def test_a_repeated_list_says_lists_are_comma_separated(client):
    url = "/v1/plan?" + "&".join(f"{k}={v}" for k, v in PLAN.items()) + "&modes=BUS&modes=TRAM"
    await refused(await client.get(url), "modes", "modes is given twice", "comma-separated (modes=BUS,TRAM)")


async def test_an_empty_value_is_the_default(client, network):
    """`date=` is today, as when absent; every optional parameter empty is its default."""
    without = await (await client.get("/v1/plan", params={"from": RAUTATIENTORI, "to": KUMPULA})).json()
    empty = await (await client.get("/v1/plan", params={"from": RAUTATIENTORI, "to": KUMPULA, "date": ""})).json()
    assert empty["date"] == without["date"] == network.now().date().isoformat()


# --- conflicts ------------------------------------------------------------------------------------
@pytest.mark.parametrize("other", ["maxTransferWalk", "maxPreTransitTime", "maxPostTransitTime"])
async def test_max_walk_with_a_walk_it_sets_is_400_naming_both(client, other):
    message = await refused(await client.get("/v1/plan", params=dict(PLAN, **{other: "300"})), "maxWalk",
                            f"maxWalk and {other} conflict", "give those instead of maxWalk")
    assert "sets maxTransferWalk, maxPreTransitTime and maxPostTransitTime" in message


async def test_max_walk_alone_or_emptied_still_works(client):
    assert (await client.get("/v1/plan", params=PLAN)).status == 200  # as existing clients send it
    emptied = await client.get("/v1/plan", params=dict(PLAN, maxWalk="", maxTransferWalk="300"))
    assert emptied.status == 200 and (await emptied.json())["options"]["maxTransferWalk"] == 300


async def test_a_stop_search_by_name_and_position_is_400(client):
    await refused(await client.get("/v1/stops", params={"q": "kumpula", "near": "60.2035,24.96"}), "near",
                  "q and near conflict", "/v1/places?q=NAME&near=lat,lon")
    await refused(await client.get("/v1/stops", params={"q": "kumpula", "radius": "300"}), "radius",
                  "q and radius conflict")
    assert (await client.get("/v1/stops", params={"q": "", "near": "60.2035,24.96"})).status == 200


@pytest.mark.parametrize(("params", "words"), [
    ({"model": "territory", "basis": "minutes"}, "model territory takes no basis"),
    ({"model": "operators", "basis": "usage"}, "basis 'usage' is not a basis of model operators (operators: legs|"),
    ({"basis": "weight"}, "basis 'weight' is not a basis of model all"),
])
async def test_a_funding_basis_its_model_does_not_split_by_is_400(admin, params, words):
    await refused(await admin.get("/v1/funding", params=params), "basis", words)


async def test_the_check_runs_before_any_work(client, network, monkeypatch):
    calls = []
    monkeypatch.setattr(network, "plan", lambda *args: calls.append(args))
    for params in (dict(PLAN, arriveby="true"), dict(PLAN, maxTransferWalk="300")):
        assert (await client.get("/v1/plan", params=params)).status == 400
    assert calls == []
    metrics = await (await client.get("/metrics")).text()
    assert 'trajet_requests_total{endpoint="/v1/plan",status="400"} 2.0' in metrics


async def test_post_routes_are_not_checked(aiohttp_client, network):
    """A gateway's webhook (POST, later) takes its gateway's extra fields: the check belongs
    to the GET routes' declarations, not to a middleware of every route."""
    app = create_app(network)

    async def hook(request):
        return web.json_response({"fields": list(request.query.items())})

    app.router.add_post("/v1/hook", hook)
    client = await aiohttp_client(app)
    response = await client.post("/v1/hook?gatewayField=1&gatewayField=2&other=x")
    assert response.status == 200 and (await response.json())["fields"] == [
        ["gatewayField", "1"], ["gatewayField", "2"], ["other", "x"]]


# --- every declared parameter is accepted ---------------------------------------------------------
# a valid request of each endpoint, and of a parameter that needs another one
BASE = {
    "/v1/plan": {"from": RAUTATIENTORI, "to": KUMPULA, "date": DAY, "time": "08:00"},
    "/v1/traveltimes": {"from": RAUTATIENTORI, "date": DAY, "time": "08:00", "window": "120"},
    "/v1/stops": {"q": "kumpula"},
    "/v1/places": {"q": "kamppi"},
    "/v1/places/reverse": {"point": "60.1699,24.9384"},
    "/v1/stops/{stop_id}/departures": {"date": DAY, "time": "08:00"},
    "/v1/costs": {"since": "2026-01-01"},
    "/v1/funding": {"since": "2026-01-01"},
    "/v1/text": {"q": "departures Kamppi"},
    "/v1/streets": {"bbox": "24.93,60.165,24.95,60.175"},
}
BASE_FOR = {("/v1/stops", "near"): {}, ("/v1/stops", "radius"): {"near": "60.2035,24.96"},
            ("/v1/traveltimes", "to"): {"date": DAY, "time": "09:00", "window": "120"}}
# a value each parameter may take; a parameter not here is sent empty (its default)
VALUE = {"from": RAUTATIENTORI, "to": KUMPULA, "date": DAY, "time": "08:00", "maxTransfers": "3",
         "transferSlack": "60", "maxTransferWalk": "300",
         "maxPreTransitTime": "600", "maxPostTransitTime": "600", "maxDirectTime": "0", "walkSpeed": "1.2",
         "maxWalk": "400", "modes": "TRAM,BUS", "excludeModes": "FERRY", "accessMode": "BICYCLE",
         "egressMode": "WALK", "directMode": "WALK", "bikeSpeed": "4", "bikeOnBoard": "true", "bikeUnknown": "allow",
         "wheelchair": "true", "wheelchairUnknown": "exclude", "numItineraries": "2", "q": "kumpula",
         "near": "60.2035,24.96", "radius": "400", "point": "60.1699,24.9384", "limit": "3", "report": "full",
         "since": "2026-01-01", "until": "2026-01-31", "model": "operators", "basis": "legs",
         "window": "300", "percentiles": "25,75", "maxTravelTime": "1800", "format": "geojson",
         "bbox": "24.93,60.165,24.95,60.175", "lang": "fr"}
# a value of a parameter that differs by endpoint
VALUE_FOR = {("/dashboard/data", "format"): "csv", ("/v1/reports/usage", "format"): "csv"}
DECLARED = [(route, name) for route, query in GET_QUERIES.items() for name in query.names]


def url_of(route: str) -> str:
    return route.replace("{stop_id}", RAUTATIENTORI).replace("{name}", "page.js")


@pytest.mark.parametrize(("route", "name"), DECLARED, ids=[f"{r} {n}" for r, n in DECLARED])
async def test_every_declared_parameter_is_accepted(admin, route, name):
    value = VALUE_FOR.get((route, name), VALUE.get(name, ""))
    params = {**BASE_FOR.get((route, name), BASE.get(route, {})), name: value}
    response = await admin.get(url_of(route), params=params)
    assert response.status == 200, (params, await response.text())


@pytest.mark.parametrize("route", list(GET_QUERIES))
async def test_every_optional_parameter_may_be_empty(admin, route):
    query = GET_QUERIES[route]
    base = BASE.get(route, {})
    optional = [p.name for p in query.parameters if p.location == "query" and not p.required and p.name not in base]
    response = await admin.get(url_of(route), params={**base, **{name: "" for name in optional}})
    assert response.status == 200, await response.text()


def test_the_plan_takes_its_own_and_every_plan_parameter():
    assert GET_QUERIES["/v1/plan"].names == ("from", "to", "date", "time", *PLAN_PARAMETERS, "numItineraries")


def test_the_requests_of_the_simulated_day_pass_the_check():
    """`trajet costs simulate` sends what existing clients send: every request is accepted."""
    for route, params, _ in request_mix([("1020453", "Rautatieasema"), ("1240118", "Kumpula")],
                                        dt.date(2022, 2, 22), 200, [None]):
        declared = next(r for r in GET_QUERIES if re.fullmatch(re.sub(r"{\w+}", "[^/]+", r), route))
        GET_QUERIES[declared].check(MultiDict(params))


# --- the declaration, the routes and the document agree -------------------------------------------
def test_every_get_route_is_declared_and_every_declaration_routed(network):
    app = create_app(network)
    routes = {r.resource.canonical for r in app.router.routes() if r.method == "GET"}
    assert routes == set(GET_QUERIES)


def test_the_document_lists_exactly_the_declared_parameters():
    spec = document()
    assert {p for p, ops in spec["paths"].items() if "get" in ops} == {openapi_path(route) for route in GET_QUERIES}
    for route, query in GET_QUERIES.items():
        path = openapi_path(route)
        # /v1/text also takes POST (JSON, and the SMS gateways' webhook)
        assert list(spec["paths"][path]) == (["get", "post"] if route == "/v1/text" else ["get"])
        operation = spec["paths"][path]["get"]
        params = operation["parameters"]
        assert [p["name"] for p in params if p["in"] == "query"] == list(query.names), path
        assert [p["name"] for p in params if p["in"] == "path"] == re.findall(r"{(\w+)}", path)
        assert all(p["required"] for p in params if p["in"] == "path")
        bad = operation["responses"]["400"]["description"]
        if query.names:
            assert "does not take" in bad and "closest known name" in bad and "a parameter given twice" in bad
        else:
            assert "any query parameter, as this endpoint takes none" in bad
        assert ("two that conflict" in bad) == bool(query.conflicts)
        assert all(f"\n- {describe(c)}" in bad for c in query.conflicts)
    plan_400 = spec["paths"]["/v1/plan"]["get"]["responses"]["400"]["description"]
    assert "\n- maxWalk with maxTransferWalk: maxWalk is the former single walking limit" in plan_400
    assert "\n- q with near: " in spec["paths"]["/v1/stops"]["get"]["responses"]["400"]["description"]
    assert all(describe(c) for query in GET_QUERIES.values() for c in query.conflicts)
    assert "basis that the model asked does not split by" in (
        spec["paths"]["/v1/funding"]["get"]["responses"]["400"]["description"])


def test_a_query_checks_unknown_then_repeated_then_conflicts():
    query = GET_QUERIES["/v1/plan"]
    with pytest.raises(QueryError) as e:
        query.check(MultiDict([("maxWalk", "1"), ("maxWalk", "2"), ("junk", "")]))
    assert e.value.field == "junk"  # an unknown name is refused even with an empty value
    with pytest.raises(QueryError, match="maxWalk is given twice"):
        query.check(MultiDict([("maxWalk", "1"), ("maxTransferWalk", "2"), ("maxWalk", "2")]))
    Query().check(MultiDict())


# --- the command line refuses the same conflicts --------------------------------------------------
def test_the_cli_refuses_max_walk_with_a_walk_it_sets(tmp_path):
    from tests.test_cli import trajet

    run = trajet("plan", "--from", RAUTATIENTORI, "--to", KUMPULA, "--max-walk", "400", "--max-pre-transit-time",
                 "300", tmp_path=tmp_path, check=False)
    assert run.returncode == 2 and "error: maxWalk and maxPreTransitTime conflict" in run.stderr


def test_the_cli_refuses_a_basis_its_model_does_not_split_by():
    run = subprocess.run([sys.executable, "-m", "trajet.cli", "costs", "report", "--model", "territory", "--basis",
                          "minutes"], capture_output=True, text=True)
    assert run.returncode == 2 and "model territory takes no basis" in run.stderr
