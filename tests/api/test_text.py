"""GET and POST /v1/text: JSON, an SMS gateway's form webhook (TwiML, plain text), errors,
the ledger's row under /v1/text without the sender."""

from __future__ import annotations

import datetime as dt
from xml.etree import ElementTree

import jsonschema
import pytest

from trajet.api.app import create_app
from trajet.api.openapi import document
from trajet.billing.config import load_config
from trajet.billing.ledger import SqliteLedger
from trajet.service.clock import Clock

from .test_accounting import CONFIG, eventually, recorded

PHONE = "+358401234567"
TWILIO = {"ToCountry": "FI", "SmsMessageSid": "SM123", "NumMedia": "0", "SmsSid": "SM123", "SmsStatus": "received",
          "To": "+358409999999", "MessageSid": "SM123", "AccountSid": "AC123", "NumSegments": "1",
          "ApiVersion": "2010-04-01", "From": PHONE}


@pytest.fixture
def morning(network):
    """The session's network with its clock frozen on the feed's morning, for one test."""
    system = network.clock
    network.clock = Clock(dt.datetime(2022, 2, 22, 7, 30), frozen=True)
    yield network
    network.clock = system


@pytest.fixture
async def client(aiohttp_client, morning):
    return await aiohttp_client(create_app(morning))


def check(body: dict) -> None:
    spec = document()
    schema = spec["paths"]["/v1/text"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    jsonschema.Draft202012Validator({**schema, "components": spec["components"]}).validate(body)


async def test_get_answers_json_with_the_understanding(client):
    response = await client.get("/v1/text", params={"q": "de Kamppi à Pasila à 8h"})
    assert response.status == 200
    body = await response.json()
    check(body)
    assert body["understood"]["kind"] == "plan" and body["understood"]["time"] == "08:00"
    assert body["understood"]["from"]["place"] == "1000102" and body["language"] == "fr"
    assert body["reply"].startswith("J'ai compris : de Kampin metroasema à Pasila, départ 08:00.")
    assert body["segments"] <= 2


async def test_get_refuses_unknown_parameters_and_empty_questions(client):
    bad = await client.get("/v1/text", params={"q": "x", "Body": "y"})
    assert bad.status == 400 and (await bad.json())["error"]["field"] == "Body"
    empty = await client.get("/v1/text", params={"q": " "})
    assert empty.status == 400 and "empty" in (await empty.json())["error"]["message"]
    long = await client.get("/v1/text", params={"q": "a" * 501})
    assert long.status == 400 and "at most 500" in (await long.json())["error"]["message"]
    lang = await client.get("/v1/text", params={"q": "de Kamppi à Pasila", "lang": "de"})
    assert lang.status == 400


async def test_a_numbered_choice_is_kept_per_sender(client):
    first = await (await client.get("/v1/text", params={"q": "from Haaga to Kamppi", "sender": "a"})).json()
    assert [c["number"] for c in first["choices"]] == [1, 2]
    other = await (await client.get("/v1/text", params={"q": "2", "sender": "b"})).json()
    assert other["understood"]["kind"] == "unknown"  # another sender has nothing pending
    picked = await (await client.get("/v1/text", params={"q": "2", "sender": "a"})).json()
    assert picked["understood"]["from"]["place"] == "1293127" and picked["understood"]["kind"] == "plan"


async def test_post_json(client):
    response = await client.post("/v1/text", json={"text": "next departures from Pasila", "sender": PHONE})
    body = await response.json()
    check(body)
    assert body["understood"]["kind"] == "departures" and body["language"] == "en"
    bad = await client.post("/v1/text", json={"text": "x", "phone": "1"})
    assert bad.status == 400 and (await bad.json())["error"]["field"] == "phone"
    broken = await client.post("/v1/text", data=b"{nope", headers={"Content-Type": "application/json"})
    assert broken.status == 400 and (await broken.json())["error"]["field"] == "body"
    assert (await client.post("/v1/text", json=["de Kamppi"])).status == 400
    assert (await client.post("/v1/text", json={"text": 3})).status == 400


async def test_a_gateway_form_with_its_extra_fields_is_answered_in_twiml(client):
    response = await client.post("/v1/text", data=dict(TWILIO, Body="de Kamppi à Pasila à 8h & vite <svp>"))
    assert response.status == 200 and response.content_type == "text/xml"
    message = ElementTree.fromstring(await response.text()).find("Message").text
    assert message.startswith("J'ai compris : de Kampin metroasema à Pasila, départ 08:00.")
    assert message.splitlines()[-1].startswith("Info Helsingin seudun liikenne (09) 4766 4444")


async def test_a_form_asked_in_plain_text_and_a_question_not_understood(client):
    response = await client.post("/v1/text", data=dict(TWILIO, Body="bonjour"), headers={"Accept": "text/plain"})
    assert response.status == 200 and response.content_type == "text/plain"
    text = await response.text()
    assert text.startswith("Je n'ai pas compris. Exemple") and "(09) 4766 4444" in text
    vonage = await client.post("/v1/text", data={"msisdn": "358401", "to": "358409", "text": "departures Kamppi",
                                                 "messageId": "1", "type": "text"}, headers={"Accept": "text/plain"})
    assert (await vonage.text()).startswith("Understood: departures from Kampin metroasema")


async def test_a_journey_to_where_it_starts_is_answered_in_words(client):
    """A gateway's traveller gets a reply, not an error the gateway would drop."""
    response = await client.post("/v1/text", data=dict(TWILIO, Body="de Kamppi à Kamppi"),
                                 headers={"Accept": "text/plain"})
    assert response.status == 200
    assert (await response.text()).splitlines()[1] == "Pas de trajet: from and to are the same place"


async def test_bad_forms_are_refused(client):
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    empty = await client.post("/v1/text", data=dict(TWILIO, Body=""))
    assert empty.status == 400 and (await empty.json())["error"]["field"] == "Body"
    broken = await client.post("/v1/text", data=b"Body=%ff%fe", headers=form)
    assert broken.status == 400 and (await broken.json())["error"]["field"] == "body"
    long = await client.post("/v1/text", data=dict(TWILIO, Body="a" * 501))
    assert long.status == 400


async def test_text_requests_are_recorded_under_their_endpoint_without_the_sender(aiohttp_client, morning, tmp_path):
    network = morning
    path = tmp_path / "trajet.toml"
    path.write_text(CONFIG.format(path=tmp_path / "ledger.sqlite", anonymous="true"))
    setup = load_config(path, network.feed_names)
    ledger = SqliteLedger(setup.ledger_path, setup.batch_size, setup.flush_seconds)
    try:
        client = await aiohttp_client(create_app(network, setup=setup, ledger=ledger))
        await client.post("/v1/text", data=dict(TWILIO, Body="de Kamppi à Pasila à 8h"))
        await client.get("/v1/text", params={"q": "from Hakaniemi to Kumpula at 8am", "sender": PHONE})
        await eventually(recorded(ledger, 2))
        rows = ledger.query("SELECT endpoint, status, cpu_s, rounds FROM requests ORDER BY ts")
        assert [r[:2] for r in rows] == [("/v1/text", 200), ("/v1/text", 200)]
        assert all(r[2] > 0 and r[3] > 0 for r in rows)
        assert ledger.query("SELECT COUNT(*) FROM request_operators")[0][0] >= 2
        raw = b"".join(p.read_bytes() for p in tmp_path.glob("ledger.sqlite*"))  # the database and its WAL
        assert b"358401234567" not in raw
        funding = await (await client.get("/v1/funding", params={"model": "travellers"},
                                          headers={"X-Api-Key": "admin-key-123"})).json()
        (row,) = funding["models"]["travellers"]["rows"]
        assert row["plannedJourneys"] == 2
    finally:
        ledger.close()
