"""The one clock: every default "now" (plans, departure boards, anything to come that asks
what time it is for a traveller) reads it, so that tests and demonstrations on an old feed
can set the day.

`TRAJET_NOW` (ISO 8601, e.g. `2022-02-22T08:00`; without a UTC offset it is read in the
network's timezone) sets where the clock starts when the process starts; it then runs at
real speed. Unset, it is the system clock. The cost ledger keeps real time: it records when
requests really happened.
"""

from __future__ import annotations

import datetime as dt
import os
import time

ENV = "TRAJET_NOW"


class Clock:
    """Now, from the system clock or from a chosen start that then runs (or stays, frozen)."""

    def __init__(self, start: dt.datetime | None = None, frozen: bool = False, source: str = "set by the caller"):
        self.start = start
        self.frozen = frozen
        self.source = source  # who set it, for describe()
        self._started = time.monotonic()

    @classmethod
    def from_env(cls) -> "Clock":
        """The clock TRAJET_NOW asks for; raises ValueError naming the variable when it is not a date-time."""
        text = os.environ.get(ENV, "").strip()
        if not text:
            return cls()
        try:
            return cls(dt.datetime.fromisoformat(text), source=ENV)
        except ValueError:
            raise ValueError(f"{ENV}={text!r} is not an ISO 8601 date-time such as 2022-02-22T08:00") from None

    def now(self, tz: dt.tzinfo) -> dt.datetime:
        """The current time in `tz`."""
        if self.start is None:
            return dt.datetime.now(tz)
        start = self.start if self.start.tzinfo else self.start.replace(tzinfo=tz)
        elapsed = 0.0 if self.frozen else time.monotonic() - self._started
        return (start + dt.timedelta(seconds=elapsed)).astimezone(tz)

    def describe(self) -> str:
        if self.start is None:
            return "system clock"
        return f"{'frozen at' if self.frozen else 'started at'} {self.start.isoformat()} ({self.source})"
