"""What one request costs and whether its key may ask: a CPU meter per request, the
routing jobs it runs, monthly quotas, and a ledger that records nothing.

The CPU of a request is what the process spent on it from the first byte read to the last
byte written: the event loop's work for it plus its jobs in the routing threads.

- Loop work is billed per connection (`ConnectionAccount`): the server (api/metering.py)
  times every step of the connection's tasks (`metered_task_factory`) and every read it
  parses, and bills them to the request the connection is serving, or, between requests,
  to the next request on that connection. Without that server (a test client), a request
  is billed the loop time between the accounting middleware's start and its end.
- Routing jobs (`Meter.in_thread`) are billed on the routing thread's clock, counted from
  the end of the thread's previous job, so the jobs add up to all the CPU those threads
  spend. A job still running when its request gave up is billed to the ledger's shared
  work when it ends.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import statistics
import threading
import time
from collections import Counter, deque
from collections.abc import Coroutine

from .config import ApiKey
from .ledger import Entry, Ledger


class Busy(Exception):
    """The backlog of routing jobs is full."""


class Backlog:
    """Routing jobs running or waiting, admitted by the wait they can expect.

    A new job is admitted when the jobs ahead of it, each counted at the recent typical
    duration of its kind (a plan, a matrix...: the median of its last RECENT jobs, so that
    one slow job, such as the first on a day whose view is built, does not shut the queue)
    and shared among the `n_workers` threads, would be done within `max_wait_s`: a burst the
    machine clears in that time is queued and answered, and only a queue that cannot be
    cleared is refused (503). `limit` bounds the count whatever the estimate. A job's slot
    is freed when the job ends, not when its request stops waiting for it, so abandoned jobs
    count too.
    """

    RECENT = 32  # durations of a kind whose median is its typical duration
    FIRST_GUESS_S = 0.05  # a kind's typical duration before any of its jobs ended

    def __init__(self, limit: int, n_workers: int = 1, max_wait_s: float = float("inf")):
        self.limit, self.n_workers, self.max_wait_s = limit, n_workers, max_wait_s
        self.n = 0
        self.n_by_kind: Counter = Counter()
        self.typical_s: dict[str, float] = {}  # typical duration by kind
        self._recent: dict[str, deque] = {}
        self._lock = threading.Lock()

    def expected_wait_s(self) -> float:
        """Seconds until the jobs in flight are done, at their kinds' typical durations."""
        return sum(n * self.typical_s.get(kind, self.FIRST_GUESS_S)
                   for kind, n in self.n_by_kind.items()) / self.n_workers

    def take(self, kind: str = "job") -> bool:
        with self._lock:
            if self.n >= self.limit or self.expected_wait_s() > self.max_wait_s:
                return False
            self.n += 1
            self.n_by_kind[kind] += 1
            return True

    def run(self, kind: str, fn, *args):
        """fn(*args) in a worker thread, timed into its kind's typical duration, its slot freed at the end."""
        started = time.perf_counter()
        try:
            return fn(*args)
        finally:
            seconds = time.perf_counter() - started
            with self._lock:
                recent = self._recent.setdefault(kind, deque(maxlen=self.RECENT))
                recent.append(seconds)
                self.typical_s[kind] = statistics.median(recent)
                self.n -= 1
                self.n_by_kind[kind] -= 1


class ConnectionAccount:
    """The event loop's CPU for one connection, billed to the request it serves (`meter`),
    else kept (`pending_s`) for the next request on it."""

    __slots__ = ("meter", "pending_s", "mark", "depth")

    def __init__(self):
        self.meter: Meter | None = None
        self.pending_s = 0.0
        self.mark = 0.0  # thread time at which the step being run started to be billed
        self.depth = 0  # steps running (an eager task's first step runs inside another's)

    def bill(self, seconds: float) -> None:
        if self.meter is not None:
            self.meter.loop_s += seconds
        else:
            self.pending_s += seconds

    def open(self, meter: "Meter") -> None:
        """A request starts on this connection: it takes what the connection spent since the last one."""
        meter.loop_s += self.pending_s
        self.pending_s = 0.0
        self.meter = meter

    def close(self) -> None:
        """The request's last byte is written: bill it the step so far, then stop."""
        if self.depth:
            now = time.thread_time()
            self.bill(now - self.mark)
            self.mark = now
        self.meter = None


ACCOUNT: contextvars.ContextVar[ConnectionAccount | None] = contextvars.ContextVar("trajet_account", default=None)


class _MeteredCoroutine(Coroutine):
    """A task's coroutine whose every step is timed on the thread clock and billed to the
    ConnectionAccount of the task's context (steps of tasks without one are not timed)."""

    __slots__ = ("_coro",)

    def __init__(self, coro):
        self._coro = coro

    def _step(self, method, *args):
        account = ACCOUNT.get()
        if account is None:
            return method(*args)
        if account.depth == 0:
            account.mark = time.thread_time()
        account.depth += 1
        try:
            return method(*args)
        finally:
            account.depth -= 1
            if account.depth == 0:
                now = time.thread_time()
                account.bill(now - account.mark)

    def send(self, value):
        return self._step(self._coro.send, value)

    def throw(self, *args):
        return self._step(self._coro.throw, *args)

    def close(self):
        return self._coro.close()

    def __await__(self):
        return self._coro.__await__()


def metered_task_factory(loop, coro, **kwargs):
    """An event-loop task factory (loop.set_task_factory) that times every task step."""
    return asyncio.Task(_MeteredCoroutine(coro), loop=loop, **kwargs)


class Meter:
    """CPU and wall time of one request, what a plan found, and its ledger row."""

    def __init__(self, ledger: Ledger):
        self.ledger = ledger
        self.account = ACCOUNT.get()
        self.started = time.perf_counter()
        self.loop_s = 0.0
        self.routing_s = 0.0
        self.work: dict = {}
        self.operators: list = []
        self.entry: Entry | None = None
        self._mark = time.thread_time()
        if self.account is not None:
            self.account.open(self)

    def _loop_stretch(self) -> None:
        """Without a metering server: bill the loop time since the last mark."""
        if self.account is None:
            now = time.thread_time()
            self.loop_s += now - self._mark
            self._mark = now

    async def in_thread(self, executor, fn, *args, timeout: float | None = None, backlog: Backlog | None = None):
        """fn(*args) in the thread pool, its thread CPU time counted. Raises Busy when the
        backlog is full, asyncio.TimeoutError after `timeout` seconds (the job runs on; its
        CPU goes to the ledger's shared work), or what fn raised."""
        kind = getattr(fn, "__qualname__", "job")
        if backlog is not None and not backlog.take(kind):
            raise Busy
        self._loop_stretch()
        job = (executor.submit(backlog.run, kind, timed, fn, *args) if backlog is not None
               else executor.submit(timed, fn, *args))
        try:
            ok, value, cpu_s = await asyncio.wait_for(asyncio.wrap_future(job), timeout)
        except asyncio.TimeoutError:
            job.add_done_callback(self._abandoned)
            raise
        finally:
            self._mark = time.thread_time()
        self.routing_s += cpu_s
        if not ok:
            raise value
        return value

    def _abandoned(self, job) -> None:
        if not job.cancelled():
            self.ledger.add_shared_cpu(job.result()[2], "abandoned routing jobs")

    def finish(self, entry: Entry) -> None:
        """The handler's answer is ready; it is recorded once its last byte is written
        (`written`), or now without a metering server."""
        if self.account is None:
            self._loop_stretch()
            self._record(entry)
        else:
            self.entry = entry

    def written(self) -> None:
        """The server wrote the answer's last byte."""
        if self.entry is not None and self.account is not None:
            self.account.close()
            entry, self.entry = self.entry, None
            self._record(entry)

    def _record(self, entry: Entry) -> None:
        entry.cpu_s = self.loop_s + self.routing_s
        entry.routing_cpu_s = self.routing_s
        entry.wall_s = time.perf_counter() - self.started
        entry.work, entry.operators = self.work, self.operators
        self.ledger.record(entry)


_thread_marks = threading.local()


def timed(fn, *args):
    """(ok, fn(*args) or the exception it raised, thread CPU seconds), counted from the end
    of the thread's last job: the pool's own work between jobs is billed to the next one."""
    started = getattr(_thread_marks, "t", None)
    if started is None:
        started = time.thread_time()
    try:
        ok, value = True, fn(*args)
    except Exception as e:
        ok, value = False, e
    _thread_marks.t = time.thread_time()
    return ok, value, _thread_marks.t - started


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
            for key, n in ledger.query("SELECT api_key, COUNT(*) FROM requests WHERE ts >= ? GROUP BY api_key",
                                       (start,)):
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


class RateLimits:
    """A token bucket per key: `burst` requests at once, refilled at `rate_per_second`. Held
    in this process (several processes or instances each hold their own: issue 15)."""

    def __init__(self, clock=time.monotonic):
        self._lock = threading.Lock()
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when counted)

    def take(self, key: ApiKey) -> float:
        """0 when `key` may make a request now (one token taken), else the seconds until it may."""
        if key.rate_per_second <= 0:
            return 0.0
        with self._lock:
            now = self._clock()
            tokens, then = self._buckets.get(key.key, (float(key.burst), now))
            tokens = min(float(key.burst), tokens + (now - then) * key.rate_per_second)
            if tokens >= 1.0:
                self._buckets[key.key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key.key] = (tokens, now)
            return (1.0 - tokens) / key.rate_per_second


def seconds_to_next_month() -> int:
    now = dt.datetime.now(dt.timezone.utc)
    first = (now.replace(day=1) + dt.timedelta(days=32)).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return int((first - now).total_seconds())
