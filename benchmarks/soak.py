"""Soak test of the HTTP API: python -m benchmarks.soak [--seconds 600] [options] (make soak).

Starts `trajet serve` on the bundled Helsinki feed and its streets on a free loopback port
(benchmarks.load's server_process), its clock fixed by TRAJET_NOW as `make run` does, with a
configuration of its own: the ledger in a temporary folder, and one API key, declared by its
SHA-256, limited to `--key-rate` requests a second (bursts of `--key-burst`). Then drives it
from this process at saturation for `--seconds` with benchmarks.load's workers and seeded
plan queries: `--concurrency` connections, more than the server admits (it queues a plan
while the jobs ahead of it are expected to be done within 2 s: some 60-160 of them on two
routing threads, as loaded), so some are answered 503 busy; `--keyed` of them send the limited key, so 429
rate_limited; the others are anonymous. Every `--sample` seconds it reads the server's
resident memory (VmRSS of /proc/PID/status) and prints the requests a second, p50 / p99 of
the plans answered (200) and the counts of 200 / 429 / 503 / other statuses / requests
failed (connection error or timeout).

At the end: the memory slope (least squares, MB a minute, over the samples of the second
half of the run, after the warm-up), p50 / p99 per minute, the status counts, and the rows
of the ledger against the answers received (the server is stopped by SIGTERM, which writes
its ledger). Exits 1 when a 5xx other than 503 was answered, a request failed, the server
died, the ledger lacks rows, or the slope exceeds `--max-slope`.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import numpy as np

from trajet.billing.config import key_hash
from trajet.feeds.load import BUNDLED_FEED, BUNDLED_OSM
from trajet.service.network import Network

from .load import drive, seeded_plan_queries, server_process

NOW = "2022-02-22T08:00"  # the Makefile's TRAJET_NOW: the bundled feed's day
DATE = dt.date(2022, 2, 22)
KEY = "soak-limited-key"  # sent in clear by the keyed workers, declared by its hash
CONFIG = """
[ledger]
path = "{ledger}"

[[keys]]
key = "{hash}"
owner = "soak"
owner_kind = "app"
rate_per_second = {rate}
burst = {burst}
"""


def rss_mb(pid: int) -> float:
    """Resident memory of a process, MB (VmRSS of /proc/PID/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def kind(status: int) -> str:
    if status == 0:
        return "failed"
    return str(status) if status in (200, 429, 503) else "other"


@dataclass
class Window:
    """What was answered since the last sample."""

    counts: dict = field(default_factory=dict)  # kind -> requests
    latencies: list = field(default_factory=list)  # seconds of the 200 answers

    def add(self, status: int, seconds: float) -> None:
        k = kind(status)
        self.counts[k] = self.counts.get(k, 0) + 1
        if status == 200:
            self.latencies.append(seconds)


def percentiles_ms(seconds: list[float]) -> tuple[float | None, float | None]:
    if not seconds:
        return None, None
    ms = np.array(seconds) * 1000
    return round(float(np.median(ms)), 1), round(float(np.percentile(ms, 99)), 1)


def slope_mb_per_minute(samples: list[dict], seconds: float) -> float | None:
    """Least-squares slope of the resident memory over the samples of the second half."""
    late = [s for s in samples if s["t"] >= seconds / 2]
    if len(late) < 2:
        return None
    t = np.array([s["t"] for s in late]) / 60
    return float(np.polyfit(t, np.array([s["rss_mb"] for s in late]), 1)[0])


async def soak(base: str, pid: int, queries: list[dict], concurrency: int, keyed: int, seconds: float,
               sample_s: float) -> dict:
    statuses: dict[int, int] = {}
    minutes: dict[int, list[float]] = {}  # minute of the run a request was sent in -> seconds of its 200 answers
    window = Window()
    samples: list[dict] = []
    started = time.perf_counter()

    def record(status: int, seconds: float, worker: int) -> None:
        statuses[status] = statuses.get(status, 0) + 1
        window.add(status, seconds)
        if status == 200:
            minutes.setdefault(int((time.perf_counter() - seconds - started) // 60), []).append(seconds)

    async def sampler() -> None:
        nonlocal window
        n, last = 1, started
        while (due := started + n * sample_s) <= started + seconds + 1e-6:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            now, done, window = time.perf_counter(), window, Window()
            p50, p99 = percentiles_ms(done.latencies)
            sample = {"t": round(now - started, 2), "rss_mb": round(rss_mb(pid), 1),
                      "per_second": round(sum(done.counts.values()) / (now - last), 1), "p50_ms": p50, "p99_ms": p99,
                      **{k: done.counts.get(k, 0) for k in ("200", "429", "503", "other", "failed")}}
            samples.append(sample)
            print(f"{sample['t']:7.1f} s  rss {sample['rss_mb']:6.1f} MB  {sample['per_second']:6.0f}/s  "
                  f"p50 {p50} ms  p99 {p99} ms  200 {sample['200']}  429 {sample['429']}  503 {sample['503']}  "
                  f"other {sample['other']}  failed {sample['failed']}", flush=True)
            n, last = n + 1, now

    def headers(worker: int) -> dict | None:
        return {"X-Api-Key": KEY} if worker < keyed else None

    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        await asyncio.gather(drive(session, base, queries, concurrency, started + seconds, record, headers), sampler())
    elapsed = time.perf_counter() - started
    per_minute = []
    for minute, latencies in sorted(minutes.items()):
        p50, p99 = percentiles_ms(latencies)
        per_minute.append({"minute": minute + 1, "answered": len(latencies), "p50_ms": p50, "p99_ms": p99})
    return {"seconds": round(elapsed, 1), "samples": samples, "per_minute": per_minute,
            "statuses": {str(k): v for k, v in sorted(statuses.items())},
            "slope_mb_per_minute": slope_mb_per_minute(samples, seconds)}


def verdict(report: dict, max_slope: float) -> list[str]:
    """Why the soak fails (none: it passes)."""
    statuses = {int(k): v for k, v in report["statuses"].items()}
    problems = [f"{n} answers {status}" for status, n in statuses.items() if status >= 500 and status != 503]
    if statuses.get(0):
        problems.append(f"{statuses[0]} requests failed (connection error or timeout)")
    if report["server_exit"] not in (0, -15):
        problems.append(f"the server exited with {report['server_exit']}")
    if report["ledger_rows"] < report["answers"]:
        problems.append(f"the ledger has {report['ledger_rows']} rows for {report['answers']} answers")
    slope = report["slope_mb_per_minute"]
    if slope is None:
        problems.append("too few samples in the second half for a memory slope")
    elif slope > max_slope:
        problems.append(f"memory grows {slope:.2f} MB a minute over the second half (at most {max_slope})")
    return problems


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600, help="duration of the load (default 10 minutes)")
    parser.add_argument("--sample", type=float, default=5, help="seconds between samples")
    parser.add_argument("--concurrency", type=int, default=1024,
                        help="connections (the server queues jobs it expects to clear within 2 s, 1,024 at "
                             "most: since the GIL's hand-overs went, 256 no longer saturate it)")
    parser.add_argument("--keyed", type=int, default=8, help="of which sending the rate-limited key")
    parser.add_argument("--key-rate", type=float, default=1, help="requests a second of the limited key")
    parser.add_argument("--key-burst", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="routing threads of the server")
    parser.add_argument("--queries", type=int, default=20000, help="distinct seeded queries, cycled")
    parser.add_argument("--max-slope", type=float, default=1.0, help="MB a minute of memory growth that fails")
    parser.add_argument("--json", default=None, help="also write the report to this file")
    args = parser.parse_args(argv)
    if not 0 <= args.keyed <= args.concurrency:
        parser.error("--keyed is between 0 and --concurrency")

    queries = seeded_plan_queries(Network.open([BUNDLED_FEED]), DATE, args.queries, 42, 400)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="trajet-soak-") as folder:
        ledger = Path(folder) / "ledger.sqlite"
        config = Path(folder) / "soak.toml"
        config.write_text(CONFIG.format(ledger=ledger, hash=key_hash(KEY), rate=args.key_rate, burst=args.key_burst))
        with open(Path(folder) / "server.log", "wb") as log:
            with server_process([str(BUNDLED_FEED)], args.workers, str(BUNDLED_OSM), ("--config", str(config)),
                                {"TRAJET_NOW": NOW}, log) as (base, server):
                print(f"soak: {base}, server pid {server.pid}, {args.seconds:g} s, {args.concurrency} connections "
                      f"({args.keyed} with a key limited to {args.key_rate:g}/s, bursts of {args.key_burst}), "
                      f"load average {load_before[0]:.2f}", flush=True)
                report = asyncio.run(soak(base, server.pid, queries, args.concurrency, args.keyed, args.seconds,
                                          args.sample))
                report["load_average_end"] = round(os.getloadavg()[0], 2)
            report["server_exit"] = server.returncode
        with sqlite3.connect(ledger) as db:
            report["ledger_rows"] = db.execute("SELECT COUNT(*) FROM requests").fetchone()[0]
        report["server_log_errors"] = sum(("Traceback" in line or " ERROR " in line)
                                          for line in (Path(folder) / "server.log").read_text().splitlines())
    report["answers"] = sum(v for k, v in report["statuses"].items() if k != "0")
    report["load_average_start"] = round(load_before[0], 2)
    report["arguments"] = vars(args)
    problems = verdict(report, args.max_slope)
    report["problems"] = problems

    statuses = report["statuses"]
    slope = report["slope_mb_per_minute"]
    print(f"\nsoak report: {report['seconds']} s, {report['answers']} answers "
          f"({report['answers'] / report['seconds']:.0f}/s), statuses {statuses}")
    rss = [s["rss_mb"] for s in report["samples"]]
    if rss:
        print(f"server memory: {rss[0]} MB at the first sample, {rss[-1]} MB at the last, max {max(rss)} MB; "
              f"slope over the second half {'-' if slope is None else f'{slope:+.3f}'} MB a minute")
    for m in report["per_minute"]:
        print(f"minute {m['minute']}: {m['answered']} plans answered, p50 {m['p50_ms']} ms, p99 {m['p99_ms']} ms")
    print(f"ledger: {report['ledger_rows']} rows for {report['answers']} answers (and the readiness poll); server "
          f"log: {report['server_log_errors']} error lines; load average {report['load_average_start']} at the "
          f"start, {report['load_average_end']} at the end")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))
    if problems:
        print("FAIL: " + "; ".join(problems))
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
