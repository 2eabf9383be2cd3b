"""Funding models on a known ledger: every table sums to the ledger's cost to the cent."""

from __future__ import annotations

import datetime as dt

import pytest

from trajet.billing.config import load_config
from trajet.billing.funding import MODELS, funding_json, read_usage, to_cents
from trajet.billing.ledger import Entry, SqliteLedger

from .test_accounting import ADMIN, APP, CONFIG, write_config

TWO_TERRITORIES = CONFIG.replace('''[[keys]]
key = "admin-key-123"''', '''[[territories]]
name = "espoo"
population = 305000
annual_journeys = 60000000
annual_budget_eur = 9000
feeds = ["helsinki"]

[[keys]]
key = "espoo-key-99"
owner = "espoo"
owner_kind = "territory"
role = "client"

[[keys]]
key = "admin-key-123"''', 1)
DAY = dt.datetime(2026, 3, 10, 12, tzinfo=dt.timezone.utc).timestamp()


@pytest.fixture
def filled(tmp_path):
    """A ledger with 300 known requests over two territories, three keys and two operators."""
    setup = load_config(write_config(tmp_path, text=TWO_TERRITORIES), ["helsinki"])
    ledger = SqliteLedger(setup.ledger_path, flush_seconds=0.01)
    for i in range(300):
        key, territory = [("admin-key-123", "helsinki"), ("app-key-4567", "helsinki"), ("espoo-key-99", "espoo"),
                          ("anonymous", "helsinki")][i % 4]
        operators = [("HSL", "helsinki", 0.75, 0.6), ("VR", "helsinki", 0.25, 0.4)] if i % 3 else []
        ledger.record(Entry("/v1/plan", key, territory, 200 if i % 5 else 400, cpu_s=0.002 + i * 1e-5,
                            wall_s=0.003, n_bytes=4000 + i, work={"rounds": 3}, operators=operators, ts=DAY + i))
    ledger.close()
    return SqliteLedger(setup.ledger_path), setup


QUERY = {"since": "2026-03-01", "until": "2026-03-31"}


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("basis", [None, "minutes", "usage", "equal"])
def test_every_model_reconciles_to_the_cent(filled, model, basis):
    ledger, setup = filled
    body = funding_json(ledger, setup, dict(QUERY, model=model, **({"basis": basis} if basis else {})))
    cents = sum(round(row["eur"] * 100) for row in body["models"][model]["rows"])
    assert cents == round(body["totalEur"] * 100)
    usage = read_usage(ledger, setup, dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert usage.n_requests == 300 and body["totalEur"] == round(usage.variable_eur + usage.fixed_eur, 2)
    assert usage.fixed_eur == pytest.approx(40 * 31 / (365.25 / 12))


def test_operators_split_by_legs(filled):
    ledger, setup = filled
    rows = funding_json(ledger, setup, dict(QUERY, model="operators"))["models"]["operators"]["rows"]
    share = {r["payer"]: r["share"] for r in rows}
    assert share == {"HSL (helsinki)": 0.75, "VR (helsinki)": 0.25}


def test_pooling_saves_the_duplicate_fixed_costs(filled):
    ledger, setup = filled
    rows = funding_json(ledger, setup, dict(QUERY, model="pooling"))["models"]["pooling"]["rows"]
    fixed = read_usage(ledger, setup, dt.date(2026, 3, 1), dt.date(2026, 3, 31)).fixed_eur
    assert sum(r["savingEur"] for r in rows) == pytest.approx(fixed, abs=0.02)  # two deployments -> one
    assert all(r["savingEur"] > 0 for r in rows)


def test_metered_keys_pay_beyond_the_free_quota(filled, tmp_path):
    ledger, setup = filled
    from dataclasses import replace

    setup = replace(setup, free_monthly_requests=50, price_per_1000_eur=2.0)
    rows = {r["payer"]: r
            for r in funding_json(ledger, setup, dict(QUERY, model="metered"))["models"]["metered"]["rows"]}
    months = 31 / (365.25 / 12)
    assert rows["app-key-4567"]["billedRequests"] == round(75 - 50 * months)
    assert "anonymous" not in rows


def test_to_cents_is_exact():
    parts = to_cents(10.0, {"a": 1, "b": 1, "c": 1})
    assert sorted(parts.values()) == [333, 333, 334] and sum(parts.values()) == 1000


def test_unknown_model_is_a_400_naming_the_field(filled):
    from trajet.billing.errors import ReportError

    ledger, setup = filled
    with pytest.raises(ReportError, match="unknown model"):
        funding_json(ledger, setup, dict(QUERY, model="lottery"))


async def test_funding_endpoint_is_for_admins(aiohttp_client, network, tmp_path):
    from trajet.api.app import create_app

    setup = load_config(write_config(tmp_path), ["helsinki"])
    ledger = SqliteLedger(setup.ledger_path, flush_seconds=0.01)
    client = await aiohttp_client(create_app(network, setup=setup, ledger=ledger))
    assert (await client.get("/v1/funding")).status == 401
    assert (await client.get("/v1/funding", headers=APP)).status == 403
    body = await (await client.get("/v1/funding", headers=ADMIN)).json()
    assert set(body["models"]) == set(MODELS)
    ledger.close()


def test_costs_report_command(filled, tmp_path):
    import csv
    import io
    import subprocess
    import sys

    ledger, setup = filled
    config = tmp_path / "trajet.toml"
    base = [sys.executable, "-m", "trajet.cli", "costs", "report", "--config", str(config),
            "--since", "2026-03-01", "--until", "2026-03-31"]
    table = subprocess.run(base, capture_output=True, text=True)
    assert table.returncode == 0, table.stderr
    assert "300 requests" in table.stdout and "pooling" in table.stdout and "espoo" in table.stdout
    out = subprocess.run(base + ["--model", "territory", "--format", "csv"], capture_output=True, text=True).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["payer"] for r in rows] == ["helsinki", "espoo"]
    missing = subprocess.run(base[:5] + ["--ledger", str(tmp_path / "none.sqlite")], capture_output=True, text=True)
    assert missing.returncode == 2 and "no ledger" in missing.stderr


def test_simulate_replays_a_day_through_the_server(tmp_path):
    import os
    import subprocess
    import sys

    config = write_config(tmp_path, text=TWO_TERRITORIES)
    env = dict(os.environ, TRAJET_CACHE=str(tmp_path / "cache"))
    run = subprocess.run([sys.executable, "-m", "trajet.cli", "costs", "simulate", "--config", str(config),
                          "--requests", "80"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "replayed 80 requests on 2022-02-22" in run.stderr
    assert "territory" in run.stdout and "metered" in run.stdout and "espoo" in run.stdout
    import sqlite3

    db = sqlite3.connect(tmp_path / "ledger.sqlite")
    endpoints = dict(db.execute("SELECT endpoint, COUNT(*) FROM requests GROUP BY endpoint").fetchall())
    assert sum(endpoints.values()) == 80 and endpoints["/v1/plan"] > 40 and "/v1/stops" in endpoints


def test_the_territory_model_shows_its_analyses_beside_its_plans(tmp_path):
    """Travel-time maps and matrices are billed to the territory like plans, and shown apart."""
    setup = load_config(write_config(tmp_path, text=TWO_TERRITORIES), ["helsinki"])
    ledger = SqliteLedger(setup.ledger_path, flush_seconds=0.01)
    endpoints = ["/v1/plan", "/v1/traveltimes", "/v1/matrix", "/v1/plan", "/v1/stops"]
    for i in range(50):
        ledger.record(Entry(endpoints[i % 5], "espoo-key-99" if i % 2 else "admin-key-123",
                            "espoo" if i % 2 else "helsinki", 200, cpu_s=0.01 * (1 + i % 5), wall_s=0.01,
                            n_bytes=1000, work={"rounds": 3}, ts=DAY + i))
    ledger.close()
    ledger = SqliteLedger(setup.ledger_path)
    rows = {r["payer"]: r for r in funding_json(ledger, setup, dict(QUERY, model="territory"))["models"]["territory"]
            ["rows"]}
    for name, parity in (("helsinki", 0), ("espoo", 1)):
        mine = [i for i in range(50) if i % 2 == parity]
        analyses = [i for i in mine if endpoints[i % 5] in ("/v1/traveltimes", "/v1/matrix")]
        plans = [i for i in mine if endpoints[i % 5] == "/v1/plan"]
        assert (rows[name]["analyses"], rows[name]["plans"]) == (len(analyses), len(plans)) == (10, 10)
        want = setup.costs.variable_eur(sum(0.01 * (1 + i % 5) for i in analyses), 1000 * len(analyses))
        assert rows[name]["analysesVariableEur"] == pytest.approx(want, rel=1e-4)
        assert 0 < rows[name]["analysesVariableEur"] + rows[name]["plansVariableEur"] < rows[name]["eur"]
