"""What metering costs: plan requests through a real loopback server, metered or not.

Requests alternate between two servers on the same network, one metering (thread CPU
time, computation block with size and cost, Prometheus counters) and one not, so machine
drift hits both alike. The issue's bound is 2% of the median request time.
"""

from __future__ import annotations

import asyncio
import time

import numpy as np
from aiohttp.test_utils import TestClient, TestServer

from trajet.api.app import ServiceConfig, create_app

from .conftest import open_network
from .load import seeded_plan_queries

DATE = "2022-02-22"
IDENTITY = {"Accept-Encoding": "identity"}


async def _interleaved(network, queries):
    clients = {}
    for name, metering in (("metered", True), ("plain", False)):
        clients[name] = TestClient(TestServer(create_app(network, ServiceConfig(metering=metering))))
        await clients[name].start_server()
    times = {name: [] for name in clients}
    try:
        for q in queries[:20]:  # warm-up
            for client in clients.values():
                await (await client.get("/v1/plan", params=q)).read()
        for i, q in enumerate(queries):
            order = list(clients.items()) if i % 2 else list(reversed(clients.items()))
            for name, client in order:
                started = time.perf_counter()
                response = await client.get("/v1/plan", params=q, headers=IDENTITY)
                await response.read()
                assert response.status == 200
                times[name].append(time.perf_counter() - started)
    finally:
        for client in clients.values():
            await client.close()
    return {name: np.array(t) for name, t in times.items()}


def test_metering_overhead(benchmark):
    import datetime as dt

    network = open_network("helsinki")
    queries = seeded_plan_queries(network, dt.date.fromisoformat(DATE), 1500, 7, 400)
    times = benchmark.pedantic(lambda: asyncio.run(_interleaved(network, queries)), rounds=1, iterations=1)
    metered, plain = np.median(times["metered"]), np.median(times["plain"])
    ratio = float(np.median(times["metered"] / times["plain"]))
    benchmark.extra_info.update(metered_median_ms=round(metered * 1000, 3), plain_median_ms=round(plain * 1000, 3),
                                median_of_ratios=round(ratio, 4))
    print(f"\nmetered median {metered * 1000:.3f} ms, plain {plain * 1000:.3f} ms, median ratio {ratio:.4f}")
    assert ratio < 1.10, f"metering costs {100 * (ratio - 1):.1f}% of a request"


def test_api_under_load(benchmark):
    """Plan requests per second and latency of `trajet serve` on helsinki (2 routing threads)
    under 8 concurrent loopback connections from this process, 5 s after a 1 s warm-up."""
    import datetime as dt

    from trajet.feeds.load import BUNDLED_FEED
    from trajet.service.network import Network

    from .load import run_load, serving

    feeds = [str(BUNDLED_FEED)]
    queries = seeded_plan_queries(Network.open(feeds), dt.date.fromisoformat(DATE), 5000, 42, 400)
    with serving(feeds, workers=2) as base:
        result = benchmark.pedantic(lambda: asyncio.run(run_load(base, queries, 8, 5.0, 1.0)), rounds=1, iterations=1)
    benchmark.extra_info.update({k: result[k] for k in ("requests", "per_second", "p50_ms", "p90_ms", "p99_ms")})
    print(f"\n{result['per_second']:.0f} plan requests/s, p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms")
    assert set(result["statuses"]) == {200}, f"statuses {result['statuses']}"
