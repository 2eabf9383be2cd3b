"""The bill adds up: measured from outside, the ledger accounts for the server's CPU.

`trajet serve` on the bundled feed answers a seeded mix of 2,000 requests (plans, stop
searches, departure boards) at 1, 4 and 8 concurrent clients. Over each run, the process's
own CPU time is read from /proc/PID/stat (utime + stime) before and after, by this test, in
another process. What the ledger measured directly over the same interval, each request's
CPU from its first byte read to its last byte written plus the shared work measured on its
own threads' clocks, must reach 95% of that, and not exceed it (nothing counted twice).
The unmeasured rest is what the ledger allocates, and its own figures must agree.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request

import aiohttp
import numpy as np
import pytest

from trajet.api.metering import free_port
from trajet.billing.simulate import replay, request_mix

DATE = "2022-02-22"
N_REQUESTS = 2000


def process_cpu_s(pid: int) -> float:
    """utime + stime of a process, from /proc (seconds)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ledger_rows(path, sql: str, params=()) -> list[tuple]:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
            return db.execute(sql, params).fetchall()
    except sqlite3.Error:
        return []


def wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


async def send(base: str, mix, concurrency: int) -> dict[int, int]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        async def fetch(path, params, key):
            async with session.get(base + path, params=params) as r:
                await r.read()
                return r.status

        return await replay(fetch, mix, concurrency)


@pytest.fixture(scope="module")
def server(tmp_path_factory, network):
    tmp = tmp_path_factory.mktemp("cpu")
    port = free_port()
    ledger = tmp / "ledger.sqlite"
    env = dict(os.environ, TRAJET_CACHE=str(tmp / "cache"), TRAJET_LEDGER=str(ledger))
    proc = subprocess.Popen([sys.executable, "-m", "trajet.cli", "serve", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        assert proc.poll() is None, "the server exited"
        try:
            return urllib.request.urlopen(base + "/v1/ready", timeout=2).status == 200
        except OSError:
            return False

    def started_row() -> bool:  # the kernels' warm-up is written before the runs start
        return bool(ledger.exists()
                    and ledger_rows(ledger, "SELECT 1 FROM process_cpu WHERE shared_detail LIKE '%warm-up%'"))

    try:
        wait_for(up, 300, "the server to start")
        wait_for(started_row, 30, "the ledger's first process row")
        yield proc, base, ledger
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


CONCURRENCY = (1, 4, 8)


@pytest.fixture(scope="module")
def runs(server, network) -> dict[int, dict]:
    """The seeded mix sent at each concurrency: per run, what /proc and the ledger say."""
    proc, base, ledger = server
    served = np.unique(network.day(network.first_date).tt.pattern_stops)
    stops = [(str(network.net.stop_id[s]), str(network.net.stop_name[s])) for s in served]
    out = {}
    for concurrency in CONCURRENCY:
        mix = request_mix(stops, network.first_date, N_REQUESTS, [None], seed=concurrency)

        def committed_since(t: float) -> int:
            return ledger_rows(ledger, "SELECT COUNT(*) FROM requests WHERE ts >= ?", (t,))[0][0]

        wall_1, cpu_1 = time.time(), process_cpu_s(proc.pid)
        statuses = asyncio.run(send(base, mix, concurrency))
        wait_for(lambda: committed_since(wall_1) >= N_REQUESTS, 60, "the ledger to commit every request")
        cpu_2, wall_2 = process_cpu_s(proc.pid), time.time()
        [(requests_s, n)] = ledger_rows(ledger, "SELECT TOTAL(cpu_s), COUNT(*) FROM requests WHERE ts BETWEEN ? AND ?",
                                        (wall_1, wall_2))
        [(shared_s, unmeasured_s, process_s)] = ledger_rows(
            ledger, "SELECT TOTAL(shared_cpu_s), TOTAL(unmeasured_cpu_s), TOTAL(process_cpu_s) FROM process_cpu "
                    "WHERE ts BETWEEN ? AND ?", (wall_1, wall_2))
        out[concurrency] = dict(statuses=statuses, n=n, process=cpu_2 - cpu_1, requests_s=requests_s,
                                shared_s=shared_s, unmeasured_s=unmeasured_s, ledger_process_s=process_s)
    return out


@pytest.mark.parametrize("concurrency", CONCURRENCY)
def test_the_ledger_measures_at_least_95_percent_of_the_process_cpu(runs, concurrency):
    run = runs[concurrency]
    process, requests_s, shared_s = run["process"], run["requests_s"], run["shared_s"]
    measured = requests_s + shared_s
    assert sum(run["statuses"].values()) == N_REQUESTS and set(run["statuses"]) <= {200, 400}, run["statuses"]
    assert run["n"] == N_REQUESTS
    assert measured >= 0.95 * process, (
        f"{concurrency} clients: the ledger measured {measured:.3f} s (requests {requests_s:.3f} s, shared "
        f"{shared_s:.3f} s) of the {process:.3f} s the process spent ({measured / process:.1%})")
    assert measured <= 1.02 * process + 0.02, f"counted twice: {measured:.3f} s measured, {process:.3f} s spent"
    # the ledger's own view of the process agrees with /proc, and its unmeasured rest is what is left
    assert run["ledger_process_s"] == pytest.approx(process, rel=0.05, abs=0.05)
    assert run["unmeasured_s"] == pytest.approx(run["ledger_process_s"] - measured, abs=0.02)
    # requests alone, from their first byte read to their last byte written, carry most of it:
    # the shared part is the event loop's polling and the ledger writer
    assert requests_s >= 0.85 * process, f"requests measured only {requests_s / process:.1%} of the process's CPU"
    print(f"{concurrency} clients: process {process:.3f} s, requests {requests_s / process:.1%}, "
          f"shared {shared_s / process:.1%}, unmeasured {run['unmeasured_s'] / process:.1%}")


def test_the_reports_show_direct_and_allocated_cpu(server, runs):
    """After the runs: /v1/costs's lines carry their direct CPU and their allocated share of
    what no request measured, which adds up to the shared and unmeasured CPU of the period."""
    from trajet.billing.config import default_config
    from trajet.billing.costs import costs_json
    from trajet.billing.funding import funding_json
    from trajet.billing.ledger import LedgerReader

    _, _, ledger = server
    reader, setup = LedgerReader(ledger), default_config(["helsinki"])
    body = costs_json(reader, setup, {}, None)
    process, totals = body["process"], body["totals"]
    assert process["measuredShare"] >= 0.95 and process["sharedBySource"]["event loop"] > 0
    assert {"ledger writer", "warm-up"} <= set(process["sharedBySource"])
    to_allocate = process["sharedCpuSeconds"] + process["unmeasuredCpuSeconds"]
    assert totals["allocatedCpuSeconds"] == pytest.approx(to_allocate, rel=1e-3)
    assert sum(line["allocatedCpuSeconds"] for line in body["byEndpoint"]) == pytest.approx(to_allocate, rel=1e-3)
    plans = next(line for line in body["byEndpoint"] if line["name"] == "/v1/plan")
    # each figure is rounded to the microsecond: their ratios agree to about 1e-6 of a
    # fraction of a second, not to pytest.approx's default 1e-6 of the ratio
    assert plans["allocatedCpuSeconds"] / plans["cpuSeconds"] == pytest.approx(to_allocate / totals["cpuSeconds"],
                                                                               rel=1e-5)
    funding = funding_json(reader, setup, {"model": "territory"})
    assert funding["process"]["cpuSeconds"] == pytest.approx(process["cpuSeconds"], abs=0.1)
    direct_only = setup.costs.variable_eur(totals["cpuSeconds"], totals["bytes"])
    assert funding["variableEur"] == pytest.approx(totals["variableEur"], abs=1e-6)  # rounded to 6 places
    assert funding["variableEur"] > direct_only
