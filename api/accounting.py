"""Who asked, may they, and what it cost: API keys, quotas, and the ledger of every request.

`accounting` is the outermost middleware: it resolves X-Api-Key (401 unknown, 429 over
the monthly quota), runs the request, then records it in the ledger with its status,
CPU time, wall time, bytes and, for plans, the kernel's work and the operators (agencies)
whose trips the answer uses. Handlers run their thread-pool work through `request[METER]`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from collections import Counter

from aiohttp import web

from .config import ANONYMOUS, ApiKey, Config
from .ledger import Entry, Ledger



class Meter:
    """CPU time of one request: its event-loop stretches (not the other requests the loop
    runs while this one waits) plus its jobs in the routing threads; and what a plan found."""

    def __init__(self):
        self.loop_s = 0.0
        self.routing_s = 0.0
        self.work: dict = {}
        self.operators: list = []
        self._mark = time.thread_time()

    async def in_thread(self, executor, fn, *args, timeout: float | None = None):
        """fn(*args) in the thread pool; its thread CPU time is counted (raises TimeoutError)."""
        self.loop_s += time.thread_time() - self._mark
        try:
            result, cpu_s = await asyncio.wait_for(asyncio.get_running_loop().run_in_executor(executor, _timed, fn, *args), timeout)
        finally:
            self._mark = time.thread_time()
        self.routing_s += cpu_s
        return result

    def stop(self) -> None:
        self.loop_s += time.thread_time() - self._mark
        self._mark = time.thread_time()


_thread_marks = threading.local()


def _timed(fn, *args):
    """fn(*args) and the thread CPU time it cost, counted from the end of the thread's last
    job: the pool's own work between jobs is billed to the next one, so the jobs' times add
    up to all the CPU the routing threads spend."""
    started = getattr(_thread_marks, "t", None)
    if started is None:
        started = time.thread_time()
    try:
        result = fn(*args)
    finally:
        _thread_marks.t = time.thread_time()
    return result, _thread_marks.t - started


METER = web.RequestKey("meter", Meter)
KEY = web.RequestKey("key", object)  # the ApiKey of the request (None: anonymous)
OPEN_PATHS = frozenset({"/v1/health", "/v1/ready", "/metrics", "/openapi.json"})  # no key needed


class NullLedger(Ledger):
    """Records nothing: for apps built without a ledger (tests, benchmarks)."""

    def record(self, entry: Entry) -> None:
        pass

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        return []

    def close(self) -> None:
        pass


class Quotas:
    """Requests of each key in the current month, counted from the ledger at start."""

    def __init__(self, ledger: Ledger):
        self._lock = threading.Lock()
        self.month = self._month()
        self.counts: Counter = Counter()
        try:
            start = dt.datetime.strptime(self.month, "%Y-%m").replace(tzinfo=dt.timezone.utc).timestamp()
            for key, n in ledger.query("SELECT api_key, COUNT(*) FROM requests WHERE ts >= ? GROUP BY api_key", (start,)):
                self.counts[key] = n
        except Exception:  # an unreadable ledger starts the month's counts at zero
            pass

    @staticmethod
    def _month() -> str:
        return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m")

    def take(self, key: ApiKey) -> bool:
        """Count one request of `key`; False when it is over its quota."""
        with self._lock:
            month = self._month()
            if month != self.month:
                self.month, self.counts = month, Counter()
            if key.monthly_quota and self.counts[key.key] >= key.monthly_quota:
                return False
            self.counts[key.key] += 1
            return True


def make_accounting(setup: Config, ledger: Ledger, quotas: Quotas, error_response):
    @web.middleware
    async def accounting(request: web.Request, handler):
        started = time.perf_counter()
        meter = request[METER] = Meter()
        text = request.headers.get("X-Api-Key")
        key = setup.keys.get(text) if text else None
        if request.path in OPEN_PATHS or request.method == "OPTIONS":  # browsers' preflights carry no key
            response = await handler(request)
        elif text and key is None:
            response = error_response(401, "unknown_key", "unknown API key (X-Api-Key)", "X-Api-Key")
        elif key is None and not setup.allow_anonymous:
            response = error_response(401, "key_required", "this service needs an API key (X-Api-Key)", "X-Api-Key")
        elif key is not None and not quotas.take(key):
            response = error_response(
                429, "over_quota", f"monthly quota of {key.monthly_quota} requests used up for this key", "X-Api-Key",
                headers={"Retry-After": str(_seconds_to_next_month())},
            )
        else:
            request[KEY] = key
            response = await handler(request)
        meter.stop()
        ledger.record(Entry(
            endpoint=_endpoint(request),
            api_key=key.key if key else (ANONYMOUS if not text else "unknown"),
            territory=key.territory if key else setup.default_territory,
            status=response.status,
            cpu_s=meter.loop_s + meter.routing_s,
            wall_s=time.perf_counter() - started,
            n_bytes=len(response.body) if isinstance(response.body, (bytes, bytearray)) else 0,
            work=meter.work,
            routing_cpu_s=meter.routing_s,
            operators=meter.operators,
        ))
        return response

    return accounting


def _endpoint(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


def _seconds_to_next_month() -> int:
    now = dt.datetime.now(dt.timezone.utc)
    first = (now.replace(day=1) + dt.timedelta(days=32)).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return int((first - now).total_seconds())


def operator_shares(network, view, journeys) -> list[tuple[str, str, float, float]]:
    """(agency, feed, share of transit legs, share of in-vehicle minutes) over the journeys."""
    net, tt = network.net, view.router.tt
    legs: Counter = Counter()
    seconds: Counter = Counter()
    for journey in journeys:
        for leg in journey.legs:
            if leg.kind != "trip":
                continue
            agency = int(net.route_agency[int(net.trip_route[int(tt.trip_source[leg.trip])])])
            legs[agency] += 1
            seconds[agency] += leg.t_arr - leg.t_dep
    n_legs, n_seconds = sum(legs.values()), sum(seconds.values())
    feeds = [f["name"] for f in network.meta["feeds"]]
    return [
        (str(net.agency_name[a]), feeds[int(net.agency_feed[a])], legs[a] / n_legs,
         seconds[a] / n_seconds if n_seconds else legs[a] / n_legs)
        for a in sorted(legs)
    ]
