"""A seeded day of requests, to replay through the real server so that a territory sees a
report before going live.

The mix: mostly journey plans between stops served on the day (departures weighted towards
the morning and evening peaks), some stop searches by name and some departure boards,
spread over the configured keys (and anonymous use when allowed). `replay` sends it a few
requests at a time through `fetch`, which the caller binds to a real server (the command
line serves the API on a loopback port for it).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from collections.abc import Awaitable, Callable

import numpy as np

PEAKS_H = (8.0, 17.0)  # morning and evening peaks of the departure times asked

Request = tuple[str, dict, str | None]  # path, query parameters, API key (None: anonymous)


def request_mix(stops: list[tuple[str, str]], date: dt.date, n: int, keys: list[str | None],
                seed: int = 1) -> list[Request]:
    """n seeded requests: 80% plans, 12% stop searches, 8% departures, between `stops`
    ((stop_id, name) of the stops served on the date)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        key = keys[int(rng.integers(len(keys)))]
        hour = float(np.clip(rng.normal(PEAKS_H[int(rng.integers(2))], 2.5), 5, 23.5))
        clock = f"{int(hour):02d}:{int(hour % 1 * 60):02d}"
        kind = rng.random()
        if kind < 0.80:
            a, b = rng.choice(len(stops), 2, replace=False)
            out.append(("/v1/plan", {"from": stops[a][0], "to": stops[b][0], "date": date.isoformat(), "time": clock,
                                     "maxWalk": "400"}, key))
        elif kind < 0.92:
            name = stops[int(rng.integers(len(stops)))][1]
            out.append(("/v1/stops", {"q": name[: max(3, len(name) - int(rng.integers(3)))]}, key))
        else:
            stop = stops[int(rng.integers(len(stops)))][0]
            out.append((f"/v1/stops/{stop}/departures", {"date": date.isoformat(), "time": clock}, key))
    return out


Fetch = Callable[[str, dict, str | None], Awaitable[int]]  # (path, params, key) -> HTTP status


async def replay(fetch: Fetch, mix: list[Request], concurrency: int) -> dict[int, int]:
    """Send the mix in order, `concurrency` requests at a time; returns the count of each status."""
    statuses: Counter = Counter()
    queue = list(reversed(mix))

    async def worker():
        while queue:
            path, params, key = queue.pop()
            statuses[await fetch(path, params, key)] += 1

    await asyncio.gather(*[worker() for _ in range(concurrency)])
    return dict(statuses)
