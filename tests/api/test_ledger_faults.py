"""A ledger that cannot be written, for real (issue 13): a full disk and a read-only file.
The API keeps answering plans, /v1/ready says the ledger is degraded and why, rows wait in
memory, and when the file can be written again they are written and /v1/ready says ok.

CI runs as root, for whom file permissions do not stop a write, and a container cannot
mount a small tmpfs or a read-only bind mount without privileges it lacks; so both faults
are made by SQLite itself on the ledger's own connection (SqliteLedger's `connect` hook):
see each test's docstring for why that takes the same path as the real fault.
"""

from __future__ import annotations

import sqlite3
import threading
import time

from trajet.api.app import create_app
from trajet.billing import ledger as ledger_module
from trajet.billing.ledger import Entry, SqliteLedger, connect_writer

from .test_accounting import eventually, ledger_status
from .test_app import PLAN

NO_LIMIT = 1073741823  # SQLite's default max_page_count


def entry(name: str, i: int) -> Entry:
    return Entry("/v1/plan", "anonymous", "default", 200, 0.001, 0.002, 3000, operators=[("HSL", "helsinki", 1, 1)],
                 id=f"{name}-{i:05d}")


def pending(ledger: SqliteLedger) -> int:
    return len(ledger._incoming) + len(ledger._pending)


def writer_cpu_s(ledger: SqliteLedger) -> float:
    return time.clock_gettime(time.pthread_getcpuclockid(ledger._writer.ident))


def count(path, sql: str, params: tuple = ()) -> int:
    with sqlite3.connect(path) as db:
        return db.execute(sql, params).fetchone()[0]


def kept_connections():
    """A connect hook for SqliteLedger that keeps the writer's connections, so that a test can
    make SQLite refuse writes on the one the writer uses."""
    connections = []

    def connect(path):
        connections.append(connect_writer(path))
        return connections[-1]

    return connections, connect


async def reason(client) -> dict:
    return (await (await client.get("/v1/ready")).json())["ledger"]


async def test_full_disk_degrades_keeps_the_rows_and_recovers(aiohttp_client, network, tmp_path):
    """SQLITE_FULL for real: `PRAGMA max_page_count` set on the writer's own connection to
    the database's current size, so the next page the inserts need is refused with
    SQLITE_FULL ("database or disk is full"), the error SQLite returns when a write meets
    ENOSPC, through the same statement, rollback and retry of the ledger; raising the limit
    on that same connection is space coming back. (A full tmpfs or loop mount would need
    mount privileges a CI container lacks. The difference: a real full disk is usually met
    when the WAL grows at commit, this limit at the insert that needs a page; both fail the
    batch's transaction, which SQLite rolls back.) The limit is set from the test's thread
    on the writer's connection, as a disk fills under a running writer: the module is
    built serialized (sqlite3.threadsafety 3), so a connection may be used from two threads."""
    assert sqlite3.threadsafety == 3
    path = tmp_path / "ledger.sqlite"
    connections, connect = kept_connections()

    ledger = SqliteLedger(path, batch_size=50, flush_seconds=0.05, connect=connect)
    client = await aiohttp_client(create_app(network, ledger=ledger))
    try:
        assert (await client.get("/v1/plan", params=PLAN)).status == 200
        await eventually(lambda: _true(ledger.n_written >= 1))
        assert (await reason(client))["status"] == "ok"

        writer = connections[-1]
        pages = writer.execute("PRAGMA page_count").fetchone()[0]
        assert writer.execute(f"PRAGMA max_page_count = {pages}").fetchone()[0] == pages  # the disk is full
        for i in range(300):  # more than a page of rows, more than a batch
            ledger.record(entry("full", i))
        await eventually(ledger_status(client, "degraded"))
        status = await reason(client)
        assert str(path) in status["reason"] and "database or disk is full" in status["reason"], status
        for _ in range(3):  # the API answers on
            assert (await client.get("/v1/plan", params=PLAN)).status == 200
        assert (await reason(client))["status"] == "degraded"
        written = count(path, "SELECT COUNT(*) FROM requests WHERE id LIKE 'full-%'")  # those that fit the last page
        assert written < 300 and pending(ledger) >= 300 - written

        # while degraded, the writer retries every flush_seconds, not in a loop
        cpu_before = writer_cpu_s(ledger)
        time.sleep(1.0)
        assert writer_cpu_s(ledger) - cpu_before < 0.2, "the degraded writer spins"

        writer.execute(f"PRAGMA max_page_count = {NO_LIMIT}")  # space comes back
        await eventually(ledger_status(client, "ok"))
        await eventually(lambda: _true(pending(ledger) == 0))
        assert count(path, "SELECT COUNT(*) FROM requests WHERE id LIKE 'full-%'") == 300
        assert count(path, "SELECT COUNT(*) FROM request_operators WHERE request_id LIKE 'full-%'") == 300
        assert (await reason(client))["droppedRecords"] == 0
    finally:
        ledger.close()
    assert count(path, "SELECT COUNT(*) FROM requests") == ledger.n_written
    assert count(path, "SELECT COUNT(DISTINCT id) FROM requests") == ledger.n_written
    assert count(path, "SELECT COUNT(*) FROM requests WHERE endpoint = '/v1/plan'") >= 300 + 4


async def test_read_only_ledger_degrades_keeps_the_rows_and_recovers(aiohttp_client, network, tmp_path):
    """A ledger file that cannot be written: the writer's connection opened with SQLite's
    `?mode=ro`. That is what SQLite itself does with a file it may not write (a read-only
    mount, or permissions for a user other than root): its open falls back to a read-only
    connection, and every write then fails with SQLITE_READONLY (checked by hand as user
    nobody, with setpriv and a chmod 444 file: the same message, and the same recovery once
    the file and the -wal and -shm SQLite made beside it are writable). `PRAGMA query_only` would
    refuse writes too, but on a writable connection, which the ledger could switch back
    itself: it would not show what a read-only file does to the connection. The file then
    becomes writable again (the hook opens it read-write from then on): the ledger must
    open it again, as a read-only connection stays read-only."""
    path = tmp_path / "ledger.sqlite"
    first = SqliteLedger(path, flush_seconds=0.01)  # an existing ledger, with its tables
    first.record(entry("before", 0))
    first.close()
    read_only = threading.Event()
    read_only.set()

    def connect(p):
        if read_only.is_set():
            return sqlite3.connect(f"file:{p}?mode=ro", uri=True, check_same_thread=False, timeout=0.5,
                                   isolation_level=None)
        return connect_writer(p)

    ledger = SqliteLedger(path, batch_size=50, flush_seconds=0.05, connect=connect)
    client = await aiohttp_client(create_app(network, ledger=ledger))
    try:
        assert (await client.get("/v1/plan", params=PLAN)).status == 200
        await eventually(ledger_status(client, "degraded"))
        status = await reason(client)
        assert str(path) in status["reason"] and "readonly database" in status["reason"], status
        for i in range(120):
            ledger.record(entry("ro", i))
        for _ in range(3):
            assert (await client.get("/v1/plan", params=PLAN)).status == 200
        assert (await reason(client))["status"] == "degraded"
        assert pending(ledger) >= 124 and count(path, "SELECT COUNT(*) FROM requests") == 1

        cpu_before = writer_cpu_s(ledger)
        time.sleep(1.0)
        assert writer_cpu_s(ledger) - cpu_before < 0.2, "the degraded writer spins"

        read_only.clear()  # the file can be written again
        await eventually(ledger_status(client, "ok"))
        await eventually(lambda: _true(pending(ledger) == 0))
        assert count(path, "SELECT COUNT(*) FROM requests WHERE id LIKE 'ro-%'") == 120
    finally:
        ledger.close()
    assert count(path, "SELECT COUNT(*) FROM requests WHERE endpoint = '/v1/plan'") >= 1 + 120 + 4


async def test_rows_kept_in_memory_are_bounded(network, tmp_path, monkeypatch):
    """Past MAX_PENDING_ROWS, a degraded ledger keeps the newest rows and counts the others
    as dropped; once the file can be written, what it kept is written."""
    monkeypatch.setattr(ledger_module, "MAX_PENDING_ROWS", 100)
    path = tmp_path / "ledger.sqlite"
    connections, connect = kept_connections()

    ledger = SqliteLedger(path, batch_size=20, flush_seconds=0.05, connect=connect)
    try:
        writer = connections[-1]
        writer.execute(f"PRAGMA max_page_count = {writer.execute('PRAGMA page_count').fetchone()[0]}")
        for i in range(60):  # fill the last pages, until the disk is full
            ledger.record(entry("filling", i))
        await eventually(lambda: _true(ledger.degraded is not None))
        assert ledger.n_written < 60
        for i in range(250):
            ledger.record(entry("bounded", i))
        expected = 60 - ledger.n_written + 250 - 100
        await eventually(lambda: _true(ledger.n_dropped == expected))
        assert ledger.degraded and pending(ledger) == 100
        writer.execute(f"PRAGMA max_page_count = {NO_LIMIT}")
        await eventually(lambda: _true(ledger.degraded is None and pending(ledger) == 0))
    finally:
        ledger.close()
    with sqlite3.connect(path) as db:
        kept = [row[0] for row in db.execute("SELECT id FROM requests WHERE id LIKE 'bounded-%' ORDER BY id")]
    assert kept == [f"bounded-{i:05d}" for i in range(150, 250)]


async def _true(value: bool) -> bool:
    return value
