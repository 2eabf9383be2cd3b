"""What the server does on its own threads' behalf: buffered log lines, ids without system calls."""

from __future__ import annotations

import io
import logging
import os

from trajet.api.metering import LOG_BUFFER_LINES, buffered_log_handler
from trajet.billing.ledger import random_id


def test_log_lines_wait_for_a_flush_and_a_warning_writes_them_in_order():
    out = io.StringIO()
    log = logging.getLogger("trajet.test.buffered")
    log.propagate, log.level = False, logging.INFO
    handler = buffered_log_handler(out)
    log.addHandler(handler)
    try:
        log.info("first access line")
        assert out.getvalue() == ""  # held until the loop's flush or a full buffer
        handler.flush()
        assert out.getvalue().endswith("INFO trajet.test.buffered first access line\n")
        log.info("second")
        log.warning("a warning")
        lines = out.getvalue().splitlines()
        assert [line.rsplit(" ", 2)[-2:] for line in lines[1:]] == [["trajet.test.buffered", "second"],
                                                                  ["a", "warning"]]
        for i in range(LOG_BUFFER_LINES):
            log.info("line %d", i)
        assert out.getvalue().splitlines()[-1].endswith(f"line {LOG_BUFFER_LINES - 1}")  # a full buffer is written
    finally:
        log.removeHandler(handler)
        handler.close()


def test_random_ids_are_hex_of_the_asked_length_and_differ_in_a_forked_child():
    ids = {random_id(16) for _ in range(10_000)}
    assert len(ids) == 10_000 and all(len(i) == 16 and int(i, 16) >= 0 for i in ids)
    assert len(random_id(32)) == 32
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child's generator is seeded again: not the parent's next ids
        os.write(write, random_id(32).encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    os.close(read), os.close(write)
    assert len(child) == 32 and child != random_id(32)
