"""What every answer carries, and the bounds of the routing backlog.

- 401 and 429 answers pass the errors middleware like any other: CORS, X-Request-Id, the
  duration header, and a count in /metrics (the accounting middleware used to sit outside
  it, so they had none of these).
- The backlog of routing jobs is freed when a job ends, not when its request stops waiting:
  a job past the time budget still holds its slot while it computes.
- Without the metering server (a plain aiohttp runner), requests are still recorded.
"""

from __future__ import annotations

import asyncio
import threading

from aiohttp.test_utils import TestServer

from trajet.api.app import ServiceConfig, create_app
from trajet.api.keys import BACKLOG
from trajet.billing.config import load_config
from trajet.billing.ledger import SqliteLedger

from .test_accounting import APP, eventually, recorded, write_config, write_locked
from .test_app import PLAN

CORS_AND_IDS = ("Access-Control-Allow-Origin", "X-Request-Id", "X-Trajet-Duration-Ms")


async def test_401_and_429_carry_cors_and_request_ids_and_are_counted(aiohttp_client, network, tmp_path):
    setup = load_config(write_config(tmp_path), ["helsinki"])
    client = await aiohttp_client(create_app(network, setup=setup))
    unknown = await client.get("/v1/plan", params=PLAN, headers={"X-Api-Key": "no-such-key", "X-Request-Id": "r-401"})
    assert unknown.status == 401
    assert all(h in unknown.headers for h in CORS_AND_IDS) and unknown.headers["X-Request-Id"] == "r-401"
    assert unknown.headers["Access-Control-Allow-Origin"] == "*"
    statuses = [(await client.get("/v1/stops", params={"q": "kamppi"}, headers=APP)).status for _ in range(4)]
    assert statuses == [200, 200, 200, 429]  # APP's monthly quota is 3
    over = await client.get("/v1/stops", params={"q": "kamppi"}, headers=APP)
    assert over.status == 429 and all(h in over.headers for h in CORS_AND_IDS) and over.headers["Retry-After"]
    assert (await over.json())["error"]["code"] == "over_quota"
    metrics = await (await client.get("/metrics")).text()
    assert 'trajet_requests_total{endpoint="/v1/plan",status="401"} 1.0' in metrics
    assert 'trajet_requests_total{endpoint="/v1/stops",status="429"} 2.0' in metrics


async def test_a_job_past_the_budget_keeps_its_backlog_slot_until_it_ends(aiohttp_client, network, monkeypatch,
                                                                        tmp_path):
    release = threading.Event()
    planned = network.plan

    def slow_plan(*args, **kwargs):
        release.wait(30)
        return planned(*args, **kwargs)

    monkeypatch.setattr(network, "plan", slow_plan)
    ledger = SqliteLedger(tmp_path / "ledger.sqlite", flush_seconds=0.05)
    app = create_app(network, ServiceConfig(workers=2, max_pending=1, time_budget_s=0.3), ledger=ledger)
    client = await aiohttp_client(app)
    late = await client.get("/v1/plan", params=PLAN)
    assert late.status == 503 and (await late.json())["error"]["code"] == "timeout"
    # the timed-out job still computes: the backlog is full, so the next plan is refused at once
    busy = await client.get("/v1/plan", params=PLAN)
    assert busy.status == 503 and (await busy.json())["error"]["code"] == "busy"
    assert app[BACKLOG].n == 1
    release.set()
    deadline = asyncio.get_running_loop().time() + 30
    while app[BACKLOG].n:
        assert asyncio.get_running_loop().time() < deadline, "the finished job never freed its slot"
        await asyncio.sleep(0.02)
    assert (await client.get("/v1/plan", params=PLAN)).status == 200

    async def abandoned_billed():  # the job's CPU, spent after its request gave up, is shared work
        rows = ledger.query("SELECT shared_detail FROM process_cpu")
        return any("abandoned routing jobs" in detail for (detail,) in rows)

    await eventually(abandoned_billed)
    ledger.close()


async def test_without_the_metering_server_requests_are_still_recorded(aiohttp_client, network, tmp_path):
    ledger = SqliteLedger(tmp_path / "ledger.sqlite", flush_seconds=0.05)
    client = await aiohttp_client(TestServer(create_app(network, ledger=ledger)))  # aiohttp's own runner
    assert (await client.get("/v1/plan", params=PLAN)).status == 200
    await eventually(recorded(ledger, 1))
    [(cpu_s, routing_s)] = ledger.query("SELECT cpu_s, routing_cpu_s FROM requests WHERE endpoint = '/v1/plan'")
    assert cpu_s > routing_s > 0
    ledger.close()


async def test_ready_counts_the_records_a_stuck_ledger_dropped(aiohttp_client, network, tmp_path, monkeypatch):
    from trajet.billing import ledger as ledger_module

    monkeypatch.setattr(ledger_module, "MAX_PENDING_ROWS", 1)
    path = tmp_path / "ledger.sqlite"
    ledger = SqliteLedger(path, flush_seconds=0.05)
    client = await aiohttp_client(create_app(network, ledger=ledger))
    with write_locked(path):
        for _ in range(3):
            assert (await client.get("/v1/stops", params={"q": "kamppi"})).status == 200

        async def dropped():
            return (await (await client.get("/v1/ready")).json())["ledger"]["droppedRecords"] >= 2

        await eventually(dropped)
    ledger.close()
