"""The ledger: one row per API request, written in the background to SQLite (WAL).

`Ledger` is the small interface the service uses (record, totals, close); `SqliteLedger`
is the embedded default. Requests are queued and a writer thread inserts them in batches
(`batch_size` rows, or whatever `flush_seconds` gathered), so no request waits on disk. A
clean close writes everything queued. After a crash (kill -9), what was queued but not yet
committed is lost: at most one batch, `batch_size` rows or `flush_seconds` of requests.

A ledger whose file cannot be opened or written (locked, read-only) is "degraded": the API
keeps answering, /v1/ready says so, and rows wait in memory (up to MAX_PENDING_ROWS) until
a write succeeds.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

MAX_PENDING_ROWS = 200_000

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

    def add_shared_cpu(self, seconds: float) -> None:
        """CPU the process spent for no single request (an abandoned routing job, ...)."""

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


class SqliteLedger(Ledger):
    def __init__(self, path: str | Path, batch_size: int = 500, flush_seconds: float = 1.0):
        self.path = Path(path)
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.degraded = None
        self.n_written = 0
        self.n_dropped = 0
        self._queue: queue.Queue = queue.Queue()
        self._pending: list[Entry] = []
        self._db = self._connect()
        self._writer = threading.Thread(target=self._run, name="ledger-writer", daemon=True)
        self._writer.start()

    def _connect(self) -> sqlite3.Connection | None:
        try:
            db = sqlite3.connect(self.path, check_same_thread=False, timeout=0.5, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(SCHEMA)
            return db
        except sqlite3.Error as e:
            self.degraded = f"ledger {self.path} cannot be opened: {e}"
            return None

    def record(self, entry: Entry) -> None:
        self._queue.put(entry)

    def _run(self) -> None:
        closing = False
        while not closing:
            deadline = time.monotonic() + self.flush_seconds
            while len(self._pending) < self.batch_size:
                try:
                    item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if item is None:
                    closing = True
                    break
                self._pending.append(item)
            if self._pending:
                self._write()

    def _write(self) -> None:
        if self._db is None:
            self._db = self._connect()
        if self._db is not None:
            batch = self._pending
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany(
                    "INSERT OR IGNORE INTO requests VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    [(e.id, e.ts, e.endpoint, e.api_key, e.territory, e.status, e.cpu_s, e.routing_cpu_s, e.wall_s, e.n_bytes,
                      e.work.get("rounds", 0), e.work.get("patternsScanned", 0), e.work.get("tripsExamined", 0),
                      e.work.get("stopsImproved", 0)) for e in batch],
                )
                self._db.executemany(
                    "INSERT INTO request_operators VALUES (?,?,?,?,?)",
                    [(e.id, *op) for e in batch for op in e.operators],
                )
                self._db.execute("COMMIT")
                self.n_written += len(batch)
                self._pending = []
                self.degraded = None
                return
            except sqlite3.Error as e:
                try:
                    self._db.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
                self.degraded = f"ledger {self.path} cannot be written: {e}"
        if len(self._pending) > MAX_PENDING_ROWS:  # keep the newest; count what is lost
            self.n_dropped += len(self._pending) - MAX_PENDING_ROWS
            self._pending = self._pending[-MAX_PENDING_ROWS:]

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        return read_only_query(self.path, sql, params)

    def close(self) -> None:
        """Write everything queued, then stop the writer."""
        self._queue.put(None)
        self._writer.join()
        if self._db is not None:
            self._db.close()
