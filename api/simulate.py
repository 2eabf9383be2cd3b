"""Replay a day of requests through the real server, so a territory sees a report before going live.

The mix is seeded: mostly journey plans between stops served on the day (departures
weighted towards the morning and evening peaks), some stop searches by name and some
departure boards, spread over the configured keys (and anonymous use when allowed). The
server runs in this process on a free loopback port with a real ledger; requests go over
HTTP, a few at a time, and the ledger is closed (flushed) before the report is read.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket

import aiohttp
import numpy as np
from aiohttp import web

from feeds.network import Network

from .app import ServiceConfig, create_app
from .config import Config
from .ledger import SqliteLedger

PEAKS_H = (8.0, 17.0)  # morning and evening peaks of the departure times asked


def request_mix(network: Network, date: dt.date, n: int, keys: list[str | None], seed: int = 1) -> list[tuple[str, dict, str | None]]:
    """(path, params, api key) of n seeded requests: 80% plans, 12% stop searches, 8% departures."""
    rng = np.random.default_rng(seed)
    tt = network.day(date).router.tt
    served = np.unique(tt.pattern_stops)
    names = [str(network.net.stop_name[s]) for s in served]
    out = []
    for _ in range(n):
        key = keys[int(rng.integers(len(keys)))]
        hour = float(np.clip(rng.normal(PEAKS_H[int(rng.integers(2))], 2.5), 5, 23.5))
        clock = f"{int(hour):02d}:{int(hour % 1 * 60):02d}"
        kind = rng.random()
        if kind < 0.80:
            a, b = rng.choice(served, 2, replace=False)
            out.append(("/v1/plan", {"from": str(network.net.stop_id[a]), "to": str(network.net.stop_id[b]),
                                     "date": date.isoformat(), "time": clock, "maxWalk": "400"}, key))
        elif kind < 0.92:
            name = names[int(rng.integers(len(names)))]
            out.append(("/v1/stops", {"q": name[: max(3, len(name) - int(rng.integers(3)))]}, key))
        else:
            stop = str(network.net.stop_id[int(rng.choice(served))])
            out.append((f"/v1/stops/{stop}/departures", {"date": date.isoformat(), "time": clock}, key))
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _replay(network: Network, setup: Config, ledger: SqliteLedger, mix, concurrency: int) -> dict:
    app = create_app(network, ServiceConfig(), setup, ledger)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = _free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    statuses: dict[int, int] = {}
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
            queue = list(reversed(mix))

            async def worker():
                while queue:
                    path, params, key = queue.pop()
                    headers = {"X-Api-Key": key} if key else {}
                    async with session.get(f"http://127.0.0.1:{port}{path}", params=params, headers=headers) as r:
                        await r.read()
                        statuses[r.status] = statuses.get(r.status, 0) + 1

            await asyncio.gather(*[worker() for _ in range(concurrency)])
    finally:
        await runner.cleanup()
    return statuses


def simulate(network: Network, setup: Config, date: dt.date, n: int, concurrency: int = 4, seed: int = 1) -> dict:
    """Send n requests through a real server recording into setup's ledger; returns status counts."""
    keys: list[str | None] = list(setup.keys) + ([None] if setup.allow_anonymous else [])
    mix = request_mix(network, date, n, keys or [None], seed)
    ledger = SqliteLedger(setup.ledger_path, setup.batch_size, setup.flush_seconds)
    try:
        return asyncio.run(_replay(network, setup, ledger, mix, concurrency))
    finally:
        ledger.close()
