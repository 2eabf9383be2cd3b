"""Load test of the HTTP API on loopback: python -m benchmarks.load [--feed FEED...] [options].

Starts `trajet serve` in its own process on a free loopback port, waits until /v1/ready
answers, then runs an aiohttp client in this process: `--concurrency` connections sending
seeded random plan queries between stops served that day (departures spread over 05:00 to
22:00) for `--seconds`, after a warm-up. Prints requests per second, p50 / p90 / p99
latency and the status counts. Every request is bounded in time; the server is stopped at
the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import aiohttp
import numpy as np

from trajet.feeds.load import BUNDLED_FEED, BUNDLED_OSM
from trajet.service.network import Network


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seeded_stop_pairs(network: Network, date: dt.date, n: int, seed: int) -> list[tuple[str, str, int]]:
    """(from stop_id, to stop_id, seconds after midnight): distinct stops served on the day,
    departures uniform over 05:00-22:00."""
    tt = network.day(date).router.tt
    served = np.unique(tt.pattern_stops)
    rng = np.random.default_rng(seed)
    pairs = []
    for _ in range(n):
        a, b = rng.choice(served, 2, replace=False)
        pairs.append((str(network.net.stop_id[a]), str(network.net.stop_id[b]), int(rng.integers(5 * 3600, 22 * 3600))))
    return pairs


def seeded_plan_queries(network: Network, date: dt.date, n: int, seed: int, max_walk: int,
                        coordinates: bool = False) -> list[dict]:
    """/v1/plan parameters of seeded_stop_pairs; with `coordinates`, from and to are points up
    to 300 m from the two stops (so every journey walks to and from its stops)."""
    rng = np.random.default_rng(seed + 1)
    net = network.net
    index = {str(s): i for i, s in enumerate(net.stop_id)}

    def place(stop_id: str) -> str:
        if not coordinates:
            return stop_id
        s = index[stop_id]
        dlat, dlon = rng.uniform(-300, 300, 2) / 111_195.0
        return f"{net.stop_lat[s] + dlat:.6f},{net.stop_lon[s] + dlon / np.cos(np.radians(net.stop_lat[s])):.6f}"

    return [
        {"from": place(a), "to": place(b), "date": date.isoformat(), "time": f"{t // 3600:02d}:{t // 60 % 60:02d}",
         "maxWalk": str(max_walk)}
        for a, b, t in seeded_stop_pairs(network, date, n, seed)
    ]


async def drive(session: aiohttp.ClientSession, base: str, queries: list[dict], concurrency: int, until: float,
                record, headers=lambda worker: None) -> None:
    """`concurrency` workers, worker k sending queries k, k + concurrency, ... (cycled) to
    /v1/plan with headers(k) until time.perf_counter() passes `until`; record(status,
    seconds, k) after each answer, status 0 when the request failed (connection error or
    timeout: that worker then pauses 0.1 s)."""
    async def worker(k: int):
        i, sent = k, headers(k)
        while time.perf_counter() < until:
            started = time.perf_counter()
            try:
                async with session.get(f"{base}/v1/plan", params=queries[i % len(queries)], headers=sent) as response:
                    await response.read()
                    status = response.status
            except (aiohttp.ClientError, asyncio.TimeoutError):
                status = 0
            record(status, time.perf_counter() - started, k)
            if status == 0:
                await asyncio.sleep(0.1)
            i += concurrency

    await asyncio.gather(*[worker(k) for k in range(concurrency)])


async def run_load(base: str, queries: list[dict], concurrency: int, seconds: float, warmup: float) -> dict:
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    def record(status: int, seconds: float, worker: int) -> None:
        latencies.append(seconds)
        statuses[status] = statuses.get(status, 0) + 1

    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        await drive(session, base, queries, concurrency, time.perf_counter() + warmup, lambda *answer: None)
        started = time.perf_counter()
        await drive(session, base, queries, concurrency, started + seconds, record)
        elapsed = time.perf_counter() - started
    ms = np.array(latencies) * 1000
    return {
        "requests": len(latencies), "seconds": elapsed, "per_second": len(latencies) / elapsed,
        "p50_ms": float(np.median(ms)), "p90_ms": float(np.percentile(ms, 90)), "p99_ms": float(np.percentile(ms, 99)),
        "statuses": statuses,
    }


async def first_requests(base: str, queries: list[dict], n: int = 10) -> list[float]:
    """Seconds of each of the first n plan requests a server answers, one at a time on one
    connection, each a different query: the first against the tenth shows whether a request
    waits for something the server should have done at start (the JIT, a day view)."""
    seconds = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        for q in queries[:n]:
            started = time.perf_counter()
            async with session.get(f"{base}/v1/plan", params=q) as response:
                await response.read()
                if response.status != 200:
                    raise SystemExit(f"plan answered {response.status}: {(await response.text())[:200]}")
            seconds.append(time.perf_counter() - started)
    return seconds


@contextlib.contextmanager
def server_process(feeds: list[str], workers: int, osm: str | None = None, args: tuple[str, ...] = (),
                   env: dict | None = None, log=subprocess.DEVNULL):
    """`trajet serve` on a free loopback port in its own process (with `args`, and `env`
    added to this process's environment; its output to `log`), until /v1/ready answers;
    yields its base URL and the process, and stops it at the end (SIGTERM: the ledger is
    written before it exits)."""
    port = free_port()
    command = [sys.executable, "-m", "trajet.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(workers)] + [x for f in feeds for x in ("--feed", f)] + (["--osm", osm] if osm else [])
    root = Path(__file__).parents[1]
    server = subprocess.Popen(command + list(args), stdout=log, stderr=log, cwd=root,
                              env=dict(os.environ, PYTHONPATH=str(root), **(env or {})))
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base}/v1/ready", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.2)
        yield base, server
    finally:
        server.terminate()
        server.wait(timeout=30)


@contextlib.contextmanager
def serving(feeds: list[str], workers: int, osm: str | None = None):
    """`trajet serve` on a free loopback port in its own process, until /v1/ready answers;
    yields its base URL and stops it at the end."""
    with server_process(feeds, workers, osm) as (base, _):
        yield base


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feed", action="append", default=None, help="GTFS feed (repeat); default: the bundled one")
    parser.add_argument("--date", default=None, help="service date (default: the feeds' busiest day is not guessed: "
                        "2022-02-22 for the bundled feed)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--workers", type=int, default=2, help="routing threads of the server")
    parser.add_argument("--max-walk", type=int, default=400)
    parser.add_argument("--queries", type=int, default=20000, help="distinct seeded queries, cycled")
    parser.add_argument("--osm", default=None, help="OpenStreetMap extract (default with the bundled feed: its own)")
    parser.add_argument("--coordinates", action="store_true",
                        help="plan between points near the stops: every journey has walking legs (and steps)")
    parser.add_argument("--search-window", type=int, default=None,
                        help="searchWindow of every plan, seconds (default: the server's, one hour; 0: one departure)")
    args = parser.parse_args(argv)
    feeds = args.feed or [str(BUNDLED_FEED)]
    osm = args.osm or (str(BUNDLED_OSM) if not args.feed else None)
    date = dt.date.fromisoformat(args.date or "2022-02-22")
    network = Network.open(feeds)
    queries = seeded_plan_queries(network, date, args.queries, 42, args.max_walk, args.coordinates)
    if args.search_window is not None:
        queries = [dict(q, searchWindow=str(args.search_window)) for q in queries]
    with serving(feeds, args.workers, osm) as base:
        first = asyncio.run(first_requests(base, queries[::-1]))  # from the end: none of the load's first queries
        result = asyncio.run(run_load(base, queries, args.concurrency, args.seconds, args.warmup))
    names = ", ".join(Path(f).stem for f in feeds)
    print(f"{names}: the first {len(first)} requests after start, one at a time: "
          + " ".join(f"{x * 1000:.1f}" for x in first) + " ms")
    print(f"{names}: {result['requests']} plan requests in {result['seconds']:.1f} s = {result['per_second']:.0f}/s, "
          f"p50 {result['p50_ms']:.1f} ms, p90 {result['p90_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
          f"concurrency {args.concurrency}, server threads {args.workers}, "
          f"searchWindow {'default' if args.search_window is None else args.search_window}, "
          f"statuses {result['statuses']}")


if __name__ == "__main__":
    main()
