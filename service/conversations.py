"""The short memory of the text channel: per sender, the numbered choices it was offered.

Nothing else is kept: no question, no answer, no phone number. A sender is known only by a
salted SHA-256 of its identifier (the salt drawn at start, so the hashes mean nothing to
another process or after a restart); an entry expires EXPIRY_S seconds after it was put
(five minutes: time to read an SMS and answer "2"), and beyond MAX_SENDERS the oldest entry
is evicted. The interface is three calls (get, put, expire) so that a shared store can
replace this one (issue 15).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

EXPIRY_S = 300.0
MAX_SENDERS = 10_000


@dataclass(frozen=True)
class Pending:
    """What a sender was asked to choose: the question understood so far (a dict of the
    understanding, the end to fill named by `slot`) and the places offered, numbered 1..n."""

    understood: dict
    slot: str  # "from", "to" or "stop"
    choices: tuple[dict, ...]  # each {"place", "name"}


class Conversations:
    """Pending choices per sender hash, expiring, bounded; safe across threads."""

    def __init__(self, expiry_s: float = EXPIRY_S, max_senders: int = MAX_SENDERS, clock=time.monotonic):
        self.expiry_s, self.max_senders, self.clock = expiry_s, max_senders, clock
        self._salt = secrets.token_bytes(16)
        self._entries: OrderedDict[str, tuple[float, Pending]] = OrderedDict()
        self._lock = threading.Lock()

    def key(self, sender: str) -> str:
        return hashlib.sha256(self._salt + sender.encode()).hexdigest()

    def get(self, sender: str) -> Pending | None:
        """The sender's pending choice, None when there is none or it expired."""
        with self._lock:
            self._expire()
            found = self._entries.get(self.key(sender))
            return found[1] if found else None

    def put(self, sender: str, pending: Pending | None) -> None:
        """Remember (or with None forget) the sender's pending choice."""
        key = self.key(sender)
        with self._lock:
            self._entries.pop(key, None)
            if pending is not None:
                self._entries[key] = (self.clock() + self.expiry_s, pending)
                while len(self._entries) > self.max_senders:
                    self._entries.popitem(last=False)

    def expire(self) -> None:
        with self._lock:
            self._expire()

    def _expire(self) -> None:
        now = self.clock()
        while self._entries:
            key, (until, _) = next(iter(self._entries.items()))
            if until > now:
                break
            del self._entries[key]

    def __len__(self) -> int:
        return len(self._entries)
