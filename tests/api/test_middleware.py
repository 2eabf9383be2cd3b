"""What every answer carries, and the bounds of the routing backlog.

- 401 and 429 answers pass the errors middleware like any other: CORS, X-Request-Id, the
  duration header, and a count in /metrics (the accounting middleware used to sit outside
  it, so they had none of these).
- The backlog of routing jobs is freed when a job ends, not when its request stops waiting:
  a job past the time budget still holds its slot while it computes. Jobs are admitted by
  the wait they can expect: a burst the machine clears is answered, a queue it cannot
  clear is refused.
- Without the metering server (a plain aiohttp runner), requests are still recorded.
"""

from __future__ import annotations

import asyncio
import threading
import time

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from trajet.api.app import ServiceConfig, create_app
from trajet.api.keys import BACKLOG
from trajet.api.metering import serving
from trajet.billing.accounting import Backlog
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


async def test_a_burst_the_machine_can_clear_is_answered(network):
    """200 plans at once (the burst that got 168 answers 503 behind a fixed count of 32): the
    machine clears them in well under the 2 s of expected wait, so all are answered."""
    app = create_app(network, ServiceConfig(workers=2))
    async with serving(app) as base, aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        async def one(i):
            params = dict(PLAN, time=f"0{7 + i % 3}:{i % 60:02d}", searchWindow="0")
            async with session.get(f"{base}/v1/plan", params=params) as r:
                return r.status

        for i in range(3):  # the server has answered a few before (its typical plan learnt, the day built)
            assert await one(i) == 200
        statuses = await asyncio.gather(*[one(i) for i in range(200)])
    assert statuses == [200] * 200
    assert 0 < app[BACKLOG].typical_s["_plan_job"] < 0.5


async def test_a_queue_that_cannot_be_cleared_is_refused(aiohttp_client, network, monkeypatch):
    """Plans taking 0.2 s on one thread with 0.5 s of wait allowed: of 12 at once, the first
    few are queued and answered, the rest refused at once with 503 busy."""
    planned = network.plan

    def slow_plan(*args, **kwargs):
        time.sleep(0.2)
        return planned(*args, **kwargs)

    monkeypatch.setattr(network, "plan", slow_plan)
    app = create_app(network, ServiceConfig(workers=1, max_queue_wait_s=0.5))
    client = await aiohttp_client(app)
    assert (await client.get("/v1/plan", params=PLAN)).status == 200  # the mean is learnt
    responses = await asyncio.gather(*[client.get("/v1/plan", params=PLAN) for _ in range(12)])
    statuses = [r.status for r in responses]
    assert 2 <= statuses.count(200) <= 5 and statuses.count(503) == 12 - statuses.count(200), statuses
    busy = [await r.json() for r in responses if r.status == 503]
    assert all(b["error"]["code"] == "busy" for b in busy)


def test_backlog_counts_each_kind_at_its_own_mean():
    backlog = Backlog(limit=100, n_workers=2, max_wait_s=1.0)
    backlog.typical_s.update({"plan": 0.01, "matrix": 0.8})
    assert all(backlog.take("plan") for _ in range(99))
    assert backlog.expected_wait_s() == pytest.approx(99 * 0.01 / 2)
    assert backlog.take("matrix") and backlog.n == 100
    assert not backlog.take("plan")  # the hard limit, whatever the estimate
    backlog.limit = 1000
    assert backlog.expected_wait_s() == pytest.approx((0.99 + 0.8) / 2)
    assert backlog.take("matrix")  # 0.895 s ahead of it: admitted
    assert not backlog.take("plan")  # 1.295 s ahead: refused
    assert backlog.run("plan", sum, [1, 2]) == 3  # runs in a worker: its slot freed, its time learnt
    assert backlog.n == 100 and backlog.n_by_kind["plan"] == 98
    assert backlog.typical_s["plan"] < 0.001
    backlog.run("plan", time.sleep, 0.3)  # one slow job among fast ones moves the median little
    backlog.run("plan", sum, [])
    assert backlog.typical_s["plan"] < 0.01
