"""The ledger: one row per API request, written in the background to SQLite (WAL).

`Ledger` is the small interface the service uses (record, totals, close); `SqliteLedger`
is the embedded default. Requests are queued and a writer thread inserts them in batches
(`batch_size` rows, or whatever `flush_seconds` gathered), so no request waits on disk. A
clean close writes everything queued. After a crash (kill -9), what was queued but not yet
committed is lost: the batch being gathered (`batch_size` rows at most, or `flush_seconds`
of requests) and, when the crash lands during a write, the batch being written too, so the
requests of `flush_seconds` plus those of the write in progress (milliseconds; tens when
SQLite checkpoints its WAL into the database). A batch is one transaction: what was
committed survives whole, each row once, and the file stays consistent
(tests/test_ledger_crash.py kills a writer five times).

A ledger whose file cannot be opened or written (locked, full, read-only) is "degraded":
the API keeps answering, /v1/ready says so and why, the writer tries again once a
`flush_seconds`, and rows wait in memory (the newest MAX_PENDING_ROWS) until a write
succeeds, then go `batch_size` a transaction; rows lost beyond that, or still waiting at
close, are counted (`n_dropped`, shown in /v1/ready; tests/api/test_ledger_faults.py).

With each batch (and at least every PROCESS_ROW_SECONDS) the writer also records where the
process's CPU went since the previous batch, in `process_cpu`: the process's own CPU time
(user + system, every thread), what the requests of the batch measured, the shared work
measured on its own threads' clocks (the ledger writer itself, the warm-up of the kernels,
routing jobs whose request stopped waiting), and the unmeasured rest, which the reports
allocate to the requests in proportion to their CPU.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

MAX_PENDING_ROWS = 200_000
PROCESS_ROW_SECONDS = 60.0  # an idle server still records its process CPU this often

SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    id TEXT PRIMARY KEY,
    ts REAL NOT NULL,            -- unix seconds
    endpoint TEXT NOT NULL,
    api_key TEXT NOT NULL,
    territory TEXT NOT NULL,
    status INTEGER NOT NULL,
    cpu_s REAL NOT NULL,         -- CPU time: the event loop's for the request plus its routing thread's
    routing_cpu_s REAL NOT NULL, -- of which the routing thread's
    wall_s REAL NOT NULL,
    bytes INTEGER NOT NULL,      -- response body, before compression
    rounds INTEGER NOT NULL DEFAULT 0,
    patterns INTEGER NOT NULL DEFAULT 0,
    trips INTEGER NOT NULL DEFAULT 0,
    stops INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS requests_ts ON requests (ts);
CREATE TABLE IF NOT EXISTS request_operators (
    request_id TEXT NOT NULL REFERENCES requests (id),
    agency TEXT NOT NULL,
    feed TEXT NOT NULL,
    legs_share REAL NOT NULL,     -- share of the answer's transit legs
    minutes_share REAL NOT NULL   -- share of its in-vehicle minutes
);
CREATE INDEX IF NOT EXISTS request_operators_id ON request_operators (request_id);
CREATE TABLE IF NOT EXISTS process_cpu (
    ts REAL NOT NULL,               -- end of the interval, unix seconds
    interval_s REAL NOT NULL,       -- wall seconds since the previous row of this process
    process_cpu_s REAL NOT NULL,    -- the process's CPU time over the interval (user + system)
    requests_cpu_s REAL NOT NULL,   -- of which measured in the requests recorded in the interval
    shared_cpu_s REAL NOT NULL,     -- of which measured shared work, on its own threads' clocks
    unmeasured_cpu_s REAL NOT NULL, -- the rest (process - requests - shared), allocated by CPU
    shared_detail TEXT NOT NULL     -- JSON: shared work by source
);
CREATE INDEX IF NOT EXISTS process_cpu_ts ON process_cpu (ts);
"""


@dataclass
class Entry:
    endpoint: str
    api_key: str
    territory: str
    status: int
    cpu_s: float
    wall_s: float
    n_bytes: int
    work: dict = field(default_factory=dict)
    routing_cpu_s: float = 0.0
    operators: list[tuple[str, str, float, float]] = field(default_factory=list)  # agency, feed, legs, minutes
    ts: float = field(default_factory=time.time)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)


class Ledger:
    """What the service needs of a ledger; a shared database can implement it later."""

    degraded: str | None = None  # why writes fail, None when healthy
    n_dropped = 0  # rows lost because the ledger could not be written for too long

    def record(self, entry: Entry) -> None:
        raise NotImplementedError

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        raise NotImplementedError

    def add_shared_cpu(self, seconds: float, source: str) -> None:
        """CPU the process spent for no single request, measured on the thread that spent it."""

    def track_event_loop(self, thread_id: int) -> None:
        """The server's event-loop thread: its CPU beyond what the requests were billed for
        (polling sockets, wake-ups, timers) is shared work, read from that thread's clock."""

    def close(self) -> None:
        raise NotImplementedError


def read_only_query(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """Read with a connection of its own (WAL readers never wait for the writer)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2) as db:
        return db.execute(sql, params).fetchall()


class LedgerReader(Ledger):
    """A ledger file opened only to read it (reports), with no writer thread."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def record(self, entry: Entry) -> None:
        raise TypeError("a LedgerReader does not record")

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        return read_only_query(self.path, sql, params)

    def close(self) -> None:
        pass


def connect_writer(path: Path) -> sqlite3.Connection:
    """The writer's connection: autocommit (the writer begins its own transactions), shared
    with close() on another thread."""
    return sqlite3.connect(path, check_same_thread=False, timeout=0.5, isolation_level=None)


class SqliteLedger(Ledger):
    """`connect` opens the writer's connection (tests pass one that makes the file full or
    read-only); the ledger then sets WAL and creates the tables."""

    def __init__(self, path: str | Path, batch_size: int = 500, flush_seconds: float = 1.0,
                 connect: Callable[[Path], sqlite3.Connection] = connect_writer):
        self.path = Path(path)
        self._open = connect
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.degraded = None
        self.n_written = 0
        self.n_dropped = 0
        # rows recorded and not yet taken by the writer; it is woken when a batch is full or
        # on close, not at every row (a queue.Queue woke it at each request: a thread switch
        # and a hand-over of the GIL each, under load)
        self._incoming: deque[Entry] = deque()
        self._wake = threading.Event()
        self._closing = False
        self._pending: list[Entry] = []
        self._unaccounted: list[Entry] = []  # written without their process row, which goes with the last batch
        self._shared: Counter = Counter()  # source -> CPU seconds not yet written
        self._shared_lock = threading.Lock()
        self._mark = (time.time(), time.process_time(), 0.0, 0.0)  # wall, process, writer, loop CPU at the last row
        self._loop_clock: int | None = None  # the event loop thread's CPU clock, once tracked
        self._db = self._connect()
        self._writer = threading.Thread(target=self._run, name="ledger-writer", daemon=True)
        self._writer.start()

    def _connect(self) -> sqlite3.Connection | None:
        db = None
        try:
            db = self._open(self.path)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(SCHEMA)
            return db
        except sqlite3.Error as e:
            if db is not None:
                db.close()
            self.degraded = f"ledger {self.path} cannot be opened: {e}"
            return None

    def record(self, entry: Entry) -> None:
        self._incoming.append(entry)
        if len(self._incoming) >= self.batch_size:
            self._wake.set()

    def add_shared_cpu(self, seconds: float, source: str) -> None:
        with self._shared_lock:
            self._shared[source] += seconds

    def track_event_loop(self, thread_id: int) -> None:
        clock = time.pthread_getcpuclockid(thread_id)
        with self._shared_lock:
            self._loop_clock = clock
            self._loop_start = time.clock_gettime(clock)

    def _loop_cpu(self) -> float:
        return time.clock_gettime(self._loop_clock) if self._loop_clock is not None else 0.0

    def _run(self) -> None:
        self._mark = (time.time(), time.process_time(), time.thread_time(), 0.0)
        closing = False
        while not closing:
            closing = self._gather()
            if (self._pending or self._shared or closing or self.degraded
                    or time.time() - self._mark[0] >= PROCESS_ROW_SECONDS):
                self._write()

    def _gather(self) -> bool:
        """Take the next batch of the rows recorded: `batch_size` rows, or what `flush_seconds`
        brings. While degraded, every row of the next `flush_seconds` instead: the file is
        tried again once a `flush_seconds`, and the rows wait here, where MAX_PENDING_ROWS
        bounds them. True when close() asks to stop."""
        deadline = time.monotonic() + self.flush_seconds
        while not self._closing and (self.degraded or len(self._incoming) + len(self._pending) < self.batch_size):
            timeout = deadline - time.monotonic()
            if timeout <= 0:
                break
            self._wake.wait(timeout)
            self._wake.clear()  # a row recorded meanwhile is seen by the test above
        closing = self._closing  # read before the rows: those recorded before close() are all taken
        while self._incoming:
            self._pending.append(self._incoming.popleft())
        return closing

    def _process_row(self, batch: list[Entry], shared: Counter) -> tuple:
        """Where the process's CPU went since the last row (see the module's docstring)."""
        now, process_s, writer_s, loop_s = time.time(), time.process_time(), time.thread_time(), self._loop_cpu()
        then, process_then, writer_then, loop_then = self._mark
        if self._loop_clock is not None and not loop_then:
            loop_then = self._loop_start
        detail = dict(shared)
        detail["ledger writer"] = writer_s - writer_then
        requests_s = sum(e.cpu_s for e in batch)
        if self._loop_clock is not None:  # the loop's own work: its clock, less what requests were billed
            detail["event loop"] = (loop_s - loop_then) - sum(e.cpu_s - e.routing_cpu_s for e in batch)
        shared_s = sum(detail.values())
        total = process_s - process_then
        self._mark = (now, process_s, writer_s, loop_s)
        return (now, now - then, total, requests_s, shared_s, total - requests_s - shared_s,
                json.dumps({k: round(v, 6) for k, v in sorted(detail.items())}))

    def _write(self) -> None:
        """Write the pending rows, `batch_size` a transaction (after a degraded spell more
        than one batch waits), the process row with the last."""
        if self._db is None:
            self._db = self._connect()
        with self._shared_lock:
            shared, self._shared = self._shared, Counter()
        while self._db is not None:
            batch = self._pending[:self.batch_size]
            last = len(batch) == len(self._pending)
            mark = self._mark
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany(
                    "INSERT OR IGNORE INTO requests VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    [(e.id, e.ts, e.endpoint, e.api_key, e.territory, e.status, e.cpu_s, e.routing_cpu_s, e.wall_s,
                      e.n_bytes, e.work.get("rounds", 0), e.work.get("patternsScanned", 0),
                      e.work.get("tripsExamined", 0), e.work.get("stopsImproved", 0)) for e in batch],
                )
                self._db.executemany(
                    "INSERT INTO request_operators VALUES (?,?,?,?,?)",
                    [(e.id, *op) for e in batch for op in e.operators],
                )
                if last:
                    self._db.execute("INSERT INTO process_cpu VALUES (?,?,?,?,?,?,?)",
                                     self._process_row(self._unaccounted + batch, shared))
                self._db.execute("COMMIT")
            except sqlite3.Error as e:
                try:
                    self._db.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
                self._mark = mark  # the next row covers this interval too
                self.degraded = f"ledger {self.path} cannot be written: {e}"
                if e.sqlite_errorcode & 0xFF == sqlite3.SQLITE_READONLY:
                    # SQLite opens a file it may not write read-only, and the connection stays so
                    # once the file can be written again: open it anew at the next attempt
                    self._db.close()
                    self._db = None
                break
            self.n_written += len(batch)
            del self._pending[:len(batch)]
            if last:
                self._unaccounted = []
                self.degraded = None
                return
            self._unaccounted += batch  # their CPU goes into the process row of the last batch
        with self._shared_lock:
            self._shared.update(shared)
        if len(self._pending) > MAX_PENDING_ROWS:  # keep the newest; count what is lost
            self.n_dropped += len(self._pending) - MAX_PENDING_ROWS
            del self._pending[:-MAX_PENDING_ROWS]

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        return read_only_query(self.path, sql, params)

    def close(self) -> None:
        """Write everything queued, then stop the writer; what a degraded ledger could not
        write is counted as dropped."""
        self._closing = True
        self._wake.set()
        self._writer.join()
        self.n_dropped += len(self._pending)
        self._pending = []
        if self._db is not None:
            self._db.close()
