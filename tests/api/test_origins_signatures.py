"""CORS origins set by the configuration, and text-gateway webhooks answered only when
signed with the secret the configuration shares with the gateway."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from trajet.api.app import create_app
from trajet.api.signatures import body_signature, twilio_signature
from trajet.billing.config import ConfigError, load_config

from .test_accounting import CONFIG
from .test_text import TWILIO

WEBHOOK_URL = "https://sms.example.org/v1/text"


def configured(tmp_path, extra: str):
    path = tmp_path / "trajet.toml"
    path.write_text(CONFIG.format(path=tmp_path / "ledger.sqlite", anonymous="true") + extra)
    return load_config(path, ["helsinki"])


def test_twilio_signature_matches_the_published_example():
    """The example of Twilio's documentation (its auth token 12345), computed independently."""
    fields = [("CallSid", "CA1234567890ABCDE"), ("Caller", "+12349013030"), ("Digits", "1234"),
              ("From", "+12349013030"), ("To", "+18005551212")]
    assert twilio_signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2",
                            fields) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


async def test_a_twilio_webhook_is_answered_only_when_signed(aiohttp_client, network, tmp_path):
    setup = configured(tmp_path, f'\n[text]\ntwilio_auth_token = "tok-9f8e7d"\nwebhook_url = "{WEBHOOK_URL}"\n')
    client = await aiohttp_client(create_app(network, setup=setup))
    fields = dict(TWILIO, Body="bonjour")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    body = urlencode(fields)
    unsigned = await client.post("/v1/text", data=body, headers=form)
    assert unsigned.status == 403 and (await unsigned.json())["error"] == {
        "code": "bad_signature", "field": "body", "message": "the webhook is not signed (X-Twilio-Signature expected)"}
    signature = twilio_signature("tok-9f8e7d", WEBHOOK_URL, list(fields.items()))
    signed = await client.post("/v1/text", data=body, headers={**form, "X-Twilio-Signature": signature})
    assert signed.status == 200 and "<Message>" in await signed.text()
    forged = await client.post("/v1/text", data=urlencode(dict(fields, From="+358400000000")),
                               headers={**form, "X-Twilio-Signature": signature})  # another sender, same signature
    assert forged.status == 403 and "does not match" in (await forged.json())["error"]["message"]
    # JSON requests are the API's (keys, quotas), not a gateway's: no signature asked
    api = await client.post("/v1/text", json={"text": "bonjour"})
    assert api.status == 200


async def test_a_body_signed_webhook(aiohttp_client, network, tmp_path):
    setup = configured(tmp_path, '\n[text]\nhmac_secret = "s3cret-shared"\n')
    client = await aiohttp_client(create_app(network, setup=setup))
    body = urlencode(dict(TWILIO, Body="bonjour")).encode()
    form = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/plain"}
    good = await client.post("/v1/text", data=body, headers={**form, "X-Signature-256": body_signature(
        "s3cret-shared", body)})
    assert good.status == 200
    bad = await client.post("/v1/text", data=body, headers={**form, "X-Signature-256": body_signature("other", body)})
    assert bad.status == 403


async def test_cors_origins_from_the_configuration(aiohttp_client, network, tmp_path):
    default = await aiohttp_client(create_app(network))
    r = await default.get("/v1/health", headers={"Origin": "https://anywhere.example"})
    assert r.headers["Access-Control-Allow-Origin"] == "*"

    named = CONFIG.replace("anonymous = {anonymous}", 'anonymous = {anonymous}\ncors_origins = '
                                                      '["https://reittiopas.example", "http://localhost:3000"]')
    path = tmp_path / "named.toml"
    path.write_text(named.format(path=tmp_path / "ledger.sqlite", anonymous="true"))
    client = await aiohttp_client(create_app(network, setup=load_config(path, ["helsinki"])))
    allowed = await client.get("/v1/health", headers={"Origin": "http://localhost:3000"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert "Origin" in allowed.headers.getall("Vary")
    other = await client.get("/v1/health", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers and other.status == 200
    preflight = await client.options("/v1/plan", headers={"Origin": "https://reittiopas.example",
                                                          "Access-Control-Request-Method": "GET"})
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://reittiopas.example"


@pytest.mark.parametrize("extra, says", [
    ('\n[text]\ntwilio_token = "x"\n', "text.twilio_token: unknown key"),
    ('\n[text]\nwebhook_url = "sms.example.org"\nhmac_secret = "x"\n', "text.webhook_url"),
])
def test_bad_text_sections_name_the_key(tmp_path, extra, says):
    with pytest.raises(ConfigError, match=says):
        configured(tmp_path, extra)


def test_a_bad_origin_names_its_line(tmp_path):
    path = tmp_path / "trajet.toml"
    path.write_text(CONFIG.replace("anonymous = {anonymous}", 'anonymous = {anonymous}\ncors_origins = '
                                   '["https://ok.example", "https://bad.example/path"]')
                    .format(path=tmp_path / "ledger.sqlite", anonymous="true"))
    with pytest.raises(ConfigError, match=r"trajet.toml:\d+: access.cors_origins: 'https://bad.example/path'"):
        load_config(path, ["helsinki"])
