"""API keys, quotas, the ledger of every request, and GET /v1/costs."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3

import pytest

from trajet.api.app import create_app
from trajet.billing.accounting import RateLimits
from trajet.billing.config import ApiKey, ConfigError, key_hash, load_config
from trajet.billing.ledger import SqliteLedger

from .test_app import PLAN

CONFIG = """
[ledger]
path = "{path}"
flush_seconds = 0.05

[costs]
eur_per_cpu_hour = 0.5
eur_per_gb = 1.0
[costs.fixed_monthly_eur]
hosting = 40

[access]
anonymous = {anonymous}

[[territories]]
name = "helsinki"
population = 656000
annual_journeys = 380000000
feeds = ["helsinki"]

[[keys]]
key = "admin-key-123"
owner = "helsinki"
owner_kind = "territory"
role = "admin"

[[keys]]
key = "app-key-4567"
owner = "Reittiopas"
owner_kind = "app"
role = "client"
monthly_quota = 3

[[keys]]
key = "other-app-89"
owner = "Other"
role = "client"
"""
ADMIN, APP, OTHER = ({"X-Api-Key": k} for k in ("admin-key-123", "app-key-4567", "other-app-89"))


async def eventually(check, timeout: float = 20.0):
    """Wait for the background writer: poll check() until it is true (a loaded CI machine
    may take longer than the writer's flush interval)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "the ledger did not settle in time"
        await asyncio.sleep(0.05)


def recorded(ledger, n: int):
    async def check():
        return ledger.query("SELECT COUNT(*) FROM requests")[0][0] >= n
    return check


def ledger_status(client, status: str):
    async def check():
        return (await (await client.get("/v1/ready")).json())["ledger"]["status"] == status
    return check


@contextlib.contextmanager
def write_locked(path):
    """Another process holds the ledger's write lock for the duration of the block."""
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()


def write_config(tmp_path, anonymous="true", text=CONFIG) -> tuple:
    path = tmp_path / "trajet.toml"
    path.write_text(text.format(path=tmp_path / "ledger.sqlite", anonymous=anonymous))
    return path


@pytest.fixture
def setup(tmp_path):
    return load_config(write_config(tmp_path), ["helsinki"])


@pytest.fixture
async def served(aiohttp_client, network, setup):
    ledger = SqliteLedger(setup.ledger_path, setup.batch_size, setup.flush_seconds)
    client = await aiohttp_client(create_app(network, setup=setup, ledger=ledger))
    yield client, ledger
    ledger.close()


def test_config_is_read(setup):
    assert setup.territory("helsinki").population == 656000
    assert setup.keys["app-key-4567"].monthly_quota == 3 and setup.keys["app-key-4567"].territory == "helsinki"
    assert setup.costs.fixed_monthly_total == 40 and setup.flush_seconds == 0.05


@pytest.mark.parametrize(
    "edit, message",
    [
        (("population = 656000", 'population = "many"'), ":17: territories[0].population: expected int"),
        (('role = "client"\nmonthly_quota = 3', 'role = "boss"\nmonthly_quota = 3'),
         ":31: keys[1].role: value 'boss' is not allowed"),
        (('feeds = ["helsinki"]', 'feeds = ["paris"]'), "feed 'paris' is not loaded"),
        (("[access]", "[acess]"), ":12: acess: unknown section"),
        (("eur_per_gb = 1.0", "eur_per_gb = "), "not valid TOML"),
        (('key = "app-key-4567"', 'key = "admin-key-123"'), "keys[1].key: declared twice"),
        (('owner = "helsinki"', 'owner = "atlantis"'), "keys[0].owner: territory 'atlantis' is not declared"),
        (("flush_seconds = 0.05", "flush_seconds = 0"), ":4: ledger.flush_seconds: value 0 is not allowed"),
        (('key = "app-key-4567"', 'key = "short"'), "keys[1].key: value 'short' is not allowed"),
    ],
)
def test_malformed_config_names_the_key_and_line(tmp_path, edit, message):
    path = write_config(tmp_path, text=CONFIG.replace(*edit))
    with pytest.raises(ConfigError) as error:
        load_config(path, ["helsinki"])
    assert message in str(error.value) and str(path) in str(error.value)


async def test_unknown_key_is_401(served):
    client, _ = served
    response = await client.get("/v1/plan", params=PLAN, headers={"X-Api-Key": "nope-nope-nope"})
    assert response.status == 401 and (await response.json())["error"]["code"] == "unknown_key"


async def test_anonymous_refused_when_configured(aiohttp_client, network, tmp_path):
    setup = load_config(write_config(tmp_path, anonymous="false"), ["helsinki"])
    client = await aiohttp_client(create_app(network, setup=setup))
    assert (await client.get("/v1/plan", params=PLAN)).status == 401
    assert (await client.get("/v1/plan", params=PLAN, headers=ADMIN)).status == 200
    assert (await client.get("/v1/health")).status == 200  # open paths need no key


async def test_quota_is_429_after_the_monthly_allowance(served):
    client, _ = served
    statuses = [(await client.get("/v1/plan", params=PLAN, headers=APP)).status for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    over = await client.get("/v1/plan", params=PLAN, headers=APP)
    assert (await over.json())["error"]["code"] == "over_quota" and int(over.headers["Retry-After"]) > 0


async def test_every_request_is_recorded_with_its_operators(served):
    client, ledger = served
    body = await (await client.get("/v1/plan", params=PLAN, headers=ADMIN)).json()
    await client.get("/v1/plan", params=dict(PLAN, to="nope"), headers=OTHER)
    await client.get("/v1/feeds")
    await eventually(recorded(ledger, 3))
    rows = ledger.query("SELECT endpoint, api_key, territory, status, cpu_s, bytes, rounds FROM requests ORDER BY ts")
    assert [r[:4] for r in rows] == [
        ("/v1/plan", "admin-key-123", "helsinki", 200),
        ("/v1/plan", "other-app-89", "helsinki", 400),
        ("/v1/feeds", "anonymous", "helsinki", 200),
    ]
    assert rows[0][4] >= body["computation"]["cpuTimeMs"] / 1000 and rows[0][5] == body["computation"]["responseBytes"]
    assert rows[0][6] == body["computation"]["work"]["rounds"]
    operators = ledger.query("SELECT agency, feed, legs_share, minutes_share FROM request_operators")
    assert operators and {o[1] for o in operators} == {"helsinki"}
    assert sum(o[2] for o in operators) == pytest.approx(1) and sum(o[3] for o in operators) == pytest.approx(1)


async def test_costs_admin_sees_all_client_its_own(served):
    client, _ = served
    for headers in (ADMIN, APP, OTHER):
        await client.get("/v1/plan", params=PLAN, headers=headers)
    await eventually(recorded(served[1], 3))
    everything = await (await client.get("/v1/costs", headers=ADMIN)).json()
    assert {k["name"] for k in everything["byKey"]} == {"admin-key-123", "app-key-4567", "other-app-89"}
    assert everything["totals"]["requests"] == 3 and everything["totals"]["variableEur"] > 0
    assert sum(k["requests"] for k in everything["byKey"]) == everything["totals"]["requests"]
    own = await (await client.get("/v1/costs", headers=APP)).json()
    assert [k["name"] for k in own["byKey"]] == ["app-key-4567"] and own["scope"] == "own key"
    assert (await client.get("/v1/costs")).status == 401
    bad = await client.get("/v1/costs", params={"since": "2026-02-01", "until": "2026-01-01"}, headers=ADMIN)
    assert bad.status == 400 and (await bad.json())["error"]["field"] == "until"


async def test_every_report_takes_the_first_and_last_days_of_the_calendar(served):
    """until 9999-12-31 ends where no next day begins (once a 500: the day after overflowed)."""
    client, _ = served
    await client.get("/v1/plan", params=PLAN, headers=ADMIN)
    await eventually(recorded(served[1], 1))
    ever = {"since": "0001-01-01", "until": "9999-12-31"}
    for path in ("/v1/costs", "/v1/funding", "/dashboard", "/dashboard/data", "/v1/reports/usage"):
        response = await client.get(path, params=ever, headers=ADMIN)
        assert response.status == 200, (path, await response.text())
    assert (await (await client.get("/v1/costs", params=ever, headers=ADMIN)).json())["totals"]["requests"] >= 1


async def test_unopenable_ledger_is_degraded_and_the_api_answers(aiohttp_client, network, tmp_path):
    ledger = SqliteLedger(tmp_path, flush_seconds=0.05)  # a folder: no database can be opened there
    client = await aiohttp_client(create_app(network, ledger=ledger))
    assert (await client.get("/v1/plan", params=PLAN)).status == 200
    ready = await (await client.get("/v1/ready")).json()
    assert ready["ledger"]["status"] == "degraded" and "cannot be opened" in ready["ledger"]["reason"]
    ledger.close()


async def test_unreadable_ledger_makes_costs_503(aiohttp_client, network, tmp_path):
    setup = load_config(write_config(tmp_path), ["helsinki"])
    ledger = SqliteLedger(tmp_path, flush_seconds=0.05)  # a folder: neither written nor read
    client = await aiohttp_client(create_app(network, setup=setup, ledger=ledger))
    for path in ("/v1/costs", "/v1/funding"):
        response = await client.get(path, headers=ADMIN)
        assert response.status == 503 and (await response.json())["error"]["code"] == "ledger_unavailable"
    ledger.close()


async def test_locked_ledger_is_degraded_then_recovers(aiohttp_client, network, tmp_path):
    path = tmp_path / "ledger.sqlite"
    ledger = SqliteLedger(path, flush_seconds=0.05)
    client = await aiohttp_client(create_app(network, ledger=ledger))
    with write_locked(path):
        assert (await client.get("/v1/plan", params=PLAN)).status == 200
        await eventually(ledger_status(client, "degraded"))
        ready = await (await client.get("/v1/ready")).json()
        assert ready["ledger"]["status"] == "degraded" and "cannot be written" in ready["ledger"]["reason"]
    await eventually(ledger_status(client, "ok"))
    ledger.close()
    assert sqlite3.connect(path).execute("SELECT COUNT(*) FROM requests").fetchone()[0] >= 2


async def test_costs_follow_the_openapi_document(served):
    from .test_openapi import check

    client, ledger = served
    await client.get("/v1/plan", params=PLAN, headers=ADMIN)
    await eventually(recorded(ledger, 1))
    check(await (await client.get("/v1/costs", headers=ADMIN)).json(), "/v1/costs")


async def test_ledger_cpu_matches_the_routing_threads_cpu(aiohttp_client, network, tmp_path):
    """The ledger's routing CPU, summed, is what the routing thread really spent (within 5%)."""
    import datetime as dt
    import gc
    import threading
    import time

    from benchmarks.load import seeded_plan_queries
    from trajet.api.keys import EXECUTOR, ServiceConfig

    ledger = SqliteLedger(tmp_path / "ledger.sqlite", flush_seconds=0.05)
    app = create_app(network, ServiceConfig(workers=1), ledger=ledger)
    client = await aiohttp_client(app)
    for _ in range(5):  # warm-up, outside the measured window
        await client.get("/v1/plan", params=PLAN)
    ident = await asyncio.get_running_loop().run_in_executor(app[EXECUTOR], threading.get_ident)
    clock = time.pthread_getcpuclockid(ident)
    queries = seeded_plan_queries(network, dt.date(2022, 2, 22), 400, 3, 400)
    gc.collect()
    gc.disable()  # a collection that lands in the pool thread between jobs is not routing
    try:
        started, cpu_before = time.time(), time.clock_gettime(clock)
        for params in queries:
            assert (await client.get("/v1/plan", params=params)).status == 200
        spent = time.clock_gettime(clock) - cpu_before
    finally:
        gc.enable()
    ledger.close()
    (recorded,) = sqlite3.connect(tmp_path / "ledger.sqlite").execute(
        "SELECT TOTAL(routing_cpu_s) FROM requests WHERE ts >= ? AND endpoint = '/v1/plan'", (started,)).fetchone()
    assert spent > 0.05 and abs(recorded - spent) <= 0.05 * spent, (recorded, spent)


def test_keys_can_be_declared_by_their_hash(tmp_path):
    hashed = key_hash("app-key-4567")
    setup = load_config(write_config(tmp_path, text=CONFIG.replace('key = "app-key-4567"', f'key = "{hashed}"')),
                        ["helsinki"])
    found = setup.find_key("app-key-4567")
    assert found is not None and found.key == hashed and found.owner == "Reittiopas"
    assert setup.find_key("app-key-4568") is None and setup.find_key(hashed) is not None
    assert hashed.startswith("sha256:") and len(hashed) == 71


@pytest.mark.parametrize("value, message", [
    ("sha256:1234", "a hashed key is sha256: and 64 lowercase hex digits"),
    (key_hash("admin-key-123"), "declared twice"),
])
def test_bad_or_repeated_hashed_keys_are_refused(tmp_path, value, message):
    path = write_config(tmp_path, text=CONFIG.replace('key = "app-key-4567"', f'key = "{value}"'))
    with pytest.raises(ConfigError, match=message):
        load_config(path, ["helsinki"])


async def test_a_hashed_key_is_served_and_billed_by_its_hash(aiohttp_client, network, tmp_path):
    hashed = key_hash("app-key-4567")
    setup = load_config(write_config(tmp_path, text=CONFIG.replace('key = "app-key-4567"', f'key = "{hashed}"')),
                        ["helsinki"])
    ledger = SqliteLedger(setup.ledger_path, setup.batch_size, setup.flush_seconds)
    try:
        client = await aiohttp_client(create_app(network, setup=setup, ledger=ledger))
        assert (await client.get("/v1/plan", params=PLAN, headers=APP)).status == 200
        assert (await client.get("/v1/plan", params=PLAN, headers={"X-Api-Key": hashed[:20]})).status == 401
        await eventually(recorded(ledger, 2))
        payers = {r[0] for r in ledger.query("SELECT api_key FROM requests")}
        assert hashed in payers and "app-key-4567" not in payers  # the ledger holds no secret
    finally:
        ledger.close()


def test_token_bucket_allows_bursts_then_the_rate():
    now = [100.0]
    rates = RateLimits(clock=lambda: now[0])
    key = ApiKey("k" * 8, "o", "app", "helsinki", "client", 0, rate_per_second=2.0, burst=3)
    assert [rates.take(key) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert rates.take(key) == pytest.approx(0.5)  # empty: the next token in half a second
    now[0] += 0.5
    assert rates.take(key) == 0.0 and rates.take(key) == pytest.approx(0.5)
    now[0] += 60  # refilled up to the burst, not beyond
    assert [rates.take(key) for _ in range(4)][-1] > 0
    unlimited = ApiKey("u" * 8, "o", "app", "helsinki", "client", 0)
    assert all(rates.take(unlimited) == 0.0 for _ in range(100))


async def test_a_key_over_its_rate_gets_429_with_retry_after(aiohttp_client, network, tmp_path):
    text = CONFIG.replace('owner = "Other"\n', 'owner = "Other"\nrate_per_second = 0.01\nburst = 2\n')
    setup = load_config(write_config(tmp_path, text=text), ["helsinki"])
    assert setup.keys["other-app-89"].rate_per_second == 0.01 and setup.keys["other-app-89"].burst == 2
    client = await aiohttp_client(create_app(network, setup=setup))
    statuses = [(await client.get("/v1/feeds", headers=OTHER)).status for _ in range(2)]
    over = await client.get("/v1/feeds", headers=OTHER)
    body = await over.json()
    assert statuses == [200, 200] and over.status == 429 and body["error"]["code"] == "rate_limited"
    assert 1 <= int(over.headers["Retry-After"]) <= 100 and "0.01 requests a second" in body["error"]["message"]
    assert (await client.get("/v1/feeds", headers=ADMIN)).status == 200  # other keys are not held back
