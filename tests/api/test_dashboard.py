"""The funders' dashboard, its downloads and the open usage report, on a ledger of known
requests over several endpoints, territories and days."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from trajet.api.app import create_app
from trajet.billing.config import ConfigError, load_config
from trajet.billing.ledger import Entry, SqliteLedger
from trajet.billing.usage_report import SUPPRESS_BELOW

from .test_accounting import ADMIN, APP, write_config
from .test_funding import TWO_TERRITORIES

DAY1 = dt.datetime(2026, 3, 10, 9, tzinfo=dt.timezone.utc).timestamp()
ENDPOINTS = ("/v1/plan", "/v1/stops/{stop_id}/departures", "/v1/traveltimes")
PERIOD = {"since": "2026-03-10", "until": "2026-03-12"}
KEYS = ("admin-key-123", "app-key-4567", "espoo-key-99")


def fill(ledger: SqliteLedger) -> None:
    """Three days: helsinki asks 20 plans, 10 boards, 6 travel-time maps a day; espoo 8 plans
    a day and, on the first day only, 3 boards (fewer than the threshold)."""
    for day in range(3):
        ts = DAY1 + day * 86400
        for endpoint, n in zip(ENDPOINTS, (20, 10, 6)):
            for i in range(n):
                ledger.record(Entry(endpoint, KEYS[i % 2], "helsinki", 200, cpu_s=0.01, wall_s=0.02,
                                    n_bytes=5000, operators=[("HSL", "helsinki", 1.0, 1.0)], ts=ts + i))
        for i in range(8):
            ledger.record(Entry("/v1/plan", "espoo-key-99", "espoo", 200, 0.02, 0.03, 6000, ts=ts + 100 + i))
        if day == 0:
            for i in range(3):
                ledger.record(Entry(ENDPOINTS[1], "espoo-key-99", "espoo", 200, 0.01, 0.01, 900, ts=ts + 200 + i))
    ledger.close()


@pytest.fixture
async def client(aiohttp_client, network, tmp_path):
    async def make(public: bool = False):
        text = TWO_TERRITORIES + (f"\n[dashboard]\npublic = {'true' if public else 'false'}\n")
        setup = load_config(write_config(tmp_path, text=text), ["helsinki"])
        if not setup.ledger_path.exists():
            fill(SqliteLedger(setup.ledger_path, flush_seconds=0.01))
        ledger = SqliteLedger(setup.ledger_path, flush_seconds=0.01)
        made.append(ledger)
        return await aiohttp_client(create_app(network, setup=setup, ledger=ledger))
    made = []
    yield make
    for ledger in made:
        ledger.close()


async def test_the_dashboard_is_for_admins_unless_public(client):
    c = await client()
    assert (await c.get("/dashboard")).status == 401
    assert (await c.get("/dashboard", headers=APP)).status == 403
    assert (await c.get("/dashboard", params={"key": "app-key-4567"})).status == 403
    assert (await c.get("/dashboard", params={"key": "nobody-at-all"})).status == 401
    assert (await c.get("/dashboard/data")).status == 401
    ok = await c.get("/dashboard", params={"key": "admin-key-123", **PERIOD})
    assert ok.status == 200 and ok.content_type == "text/html"
    assert (await c.get("/dashboard", headers=ADMIN)).status == 200
    public = await client(public=True)
    assert (await public.get("/dashboard")).status == 200


async def test_the_page_has_a_plot_and_a_table_per_model_and_series(client):
    c = await client()
    page = await (await c.get("/dashboard", headers=ADMIN, params=PERIOD)).text()
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page
    # five models, then requests and cost per day and per endpoint
    assert page.count('<svg role="img"') == 9 and page.count("<title>") == 10  # the page's own title too
    assert page.count("<desc>") == 9 and page.count("<caption>") == 7
    assert 'scope="col"' in page and 'scope="row"' in page and "<label>" in page
    assert "/v1/traveltimes" in page and "2026-03-11" in page
    for key in KEYS:  # neither the key given nor the metered model's payers' keys
        assert key not in page


async def test_french_from_accept_language_and_the_lang_switch(client):
    c = await client()
    fr = await (await c.get("/dashboard", headers={**ADMIN, "Accept-Language": "fr-FR,fr;q=0.9"})).text()
    assert '<html lang="fr">' in fr and "Tableau de bord des financeurs" in fr and "Les territoires mutualisent" in fr
    en = await (await c.get("/dashboard", headers={**ADMIN, "Accept-Language": "fr"}, params={"lang": "en"})).text()
    assert '<html lang="en">' in en and "Funders&#x27; dashboard" in en
    bad = await c.get("/dashboard", headers=ADMIN, params={"lang": "de"})
    assert bad.status == 400 and (await bad.json())["error"]["field"] == "lang"


async def test_the_tables_equal_funding_s(client):
    c = await client()
    for territory in (None, "espoo"):
        params = {**PERIOD, **({"territory": territory} if territory else {})}
        data = await (await c.get("/dashboard/data", headers=ADMIN, params=params)).json()
        funding = await (await c.get("/v1/funding", headers=ADMIN, params=PERIOD)).json()
        assert data["funding"]["totalEur"] == funding["totalEur"]
        for model, table in funding["models"].items():
            ours = data["funding"]["models"][model]["rows"]
            assert [r["eur"] for r in ours] == [r["eur"] for r in table["rows"]]
            assert [r["perUnitEur"] for r in ours] == [r["perUnitEur"] for r in table["rows"]]
            if model != "metered":  # its payers are named by their keys' owners, not by the keys
                assert ours == table["rows"]
    page = await (await c.get("/dashboard", headers=ADMIN, params=PERIOD)).text()
    for row in funding["models"]["pooling"]["rows"]:
        assert f"{row['eur']:,.2f}" in page and f"{row['savingEur']:,.2f}" in page


async def test_downloads_parse(client):
    c = await client()
    as_json = await c.get("/dashboard/data", headers=ADMIN, params={**PERIOD, "territory": "helsinki"})
    assert "attachment" in as_json.headers["Content-Disposition"]
    data = json.loads(await as_json.read())
    assert [r["name"] for r in data["byDay"]] == ["2026-03-10", "2026-03-11", "2026-03-12"]
    assert {r["name"]: r["requests"] for r in data["byEndpoint"]} == dict(zip(ENDPOINTS, (60, 30, 18)))
    as_csv = await c.get("/dashboard/data", headers=ADMIN, params={**PERIOD, "format": "csv"})
    assert as_csv.content_type == "text/csv" and ".csv" in as_csv.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(await as_csv.text())))
    assert {r["table"] for r in rows} == {"territory", "travellers", "operators", "pooling", "metered", "byDay",
                                          "byEndpoint"}
    assert [r["value"] for r in rows if r["table"] == "byDay" and r["row"] == "2026-03-10"
            and r["column"] == "requests"] == ["47"]  # 36 helsinki, 8 + 3 espoo


async def test_the_usage_report_withholds_small_cells(client):
    c = await client()
    resp = await c.get("/v1/reports/usage", params=PERIOD)  # no key
    assert resp.status == 200
    report = await resp.json()
    assert report["licence"]["name"] == "CC-BY-4.0" and report["suppression"]["threshold"] == SUPPRESS_BELOW == 5
    assert {d["column"] for d in report["dataDictionary"]} >= {"requests", "cpuSeconds", "eur", "bytes", "suppressed"}
    small = [r for r in report["rows"] if r["suppressed"]]
    assert small == [{"territory": "espoo", "day": "2026-03-10", "endpoint": ENDPOINTS[1], "requests": None,
                      "cpuSeconds": None, "bytes": None, "eur": None, "suppressed": True}]
    espoo = next(t for t in report["totals"] if t["territory"] == "espoo")
    assert espoo["requests"] == 24 and espoo["suppressedCells"] == 1  # the 3 withheld are not in the total
    assert espoo["bytes"] == 24 * 6000
    text = json.dumps(report) + await (await c.get("/v1/reports/usage", params={"format": "csv"})).text()
    for key in (*KEYS, "anonymous"):
        assert key not in text
    assert "request_id" not in text and '"id"' not in text


async def test_the_usage_report_as_csv(client):
    c = await client()
    resp = await c.get("/v1/reports/usage", params={**PERIOD, "territory": "espoo", "format": "csv"})
    text = await resp.text()
    assert resp.content_type == "text/csv" and "CC-BY-4.0" in text.splitlines()[0]
    rows = list(csv.DictReader(line for line in io.StringIO(text) if not line.startswith("#")))
    assert len(rows) == 4 and {r["territory"] for r in rows} == {"espoo"}
    assert [r["requests"] for r in rows if r["suppressed"] == "true"] == [""]


@pytest.mark.parametrize("path", ["/v1/reports/usage", "/dashboard", "/dashboard/data"])
@pytest.mark.parametrize("params, field", [({"since": "10/03/2026"}, "since"), ({"until": "2026-02-30"}, "until"),
                                           ({"since": "2026-03-12", "until": "2026-03-10"}, "until"),
                                           ({"territory": "vantaa"}, "territory"), ({"format": "xml"}, "format"),
                                           ({"teritory": "espoo"}, "teritory")])
async def test_bad_parameters_answer_400(client, path, params, field):
    if path == "/dashboard" and field == "format":
        field = "format"  # the page takes no format: unknown parameter
    c = await client()
    resp = await c.get(path, headers=ADMIN, params=params)
    assert resp.status == 400
    assert (await resp.json())["error"]["field"] == field


def test_a_bad_dashboard_setting_is_named(tmp_path):
    path = write_config(tmp_path, text=TWO_TERRITORIES + '\n[dashboard]\npublic = "yes"\n')
    with pytest.raises(ConfigError, match=r"dashboard\.public: expected bool"):
        load_config(path, ["helsinki"])


async def test_an_unreadable_ledger_answers_503_on_every_page(client, monkeypatch):
    import sqlite3

    c = await client(public=True)

    def broken(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(SqliteLedger, "query", broken)
    for path in ("/dashboard", "/dashboard/data", "/v1/reports/usage"):
        r = await c.get(path)
        assert r.status == 503, path
        assert (await r.json())["error"]["code"] == "ledger_unavailable"


async def test_no_part_of_an_api_key_is_on_the_page(client):
    c = await client(public=True)
    page = await (await c.get("/dashboard", params=PERIOD)).text()
    for key in KEYS:  # not even a key's first characters beside its owner's name
        assert f"{key[:3]}\u2026" not in page and "key " + key[:3] not in page, key
