"""GET /v1/costs: the ledger's totals by key, territory, endpoint and day.

Each line shows the CPU its requests measured directly (`cpuSeconds`) and its allocated
share (`allocatedCpuSeconds`) of the process's CPU that no request measured: the shared
work measured on its own threads (the event loop's polling, the ledger writer, the kernels'
warm-up) and the small unmeasured rest, split in proportion to the direct CPU. The
`process` block gives the split itself, from the ledger's process_cpu rows.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass

from .config import Config
from .errors import ReportError
from .ledger import Ledger

DAY_S = 86400  # a UTC day
GROUPS = {"byKey": "api_key", "byTerritory": "territory", "byEndpoint": "endpoint", "byDay": "date(ts, 'unixepoch')"}


def parse_day(text: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise ReportError(f"{field} {text!r} is not a date YYYY-MM-DD", field) from None


def period(query) -> tuple[dt.date, dt.date]:
    """since / until (inclusive, UTC days); default (absent or empty): this month so far."""
    today = dt.datetime.now(dt.timezone.utc).date()
    since = parse_day(query["since"], "since") if query.get("since") else today.replace(day=1)
    until = parse_day(query["until"], "until") if query.get("until") else today
    if until < since:
        raise ReportError(f"until {until} is before since {since}", "until")
    return since, until


def bounds(since: dt.date, until: dt.date) -> tuple[float, float]:
    """The UNIX times of the period's start and of the end of its last day (until 9999-12-31
    included: the day after it is no date)."""
    start = dt.datetime.combine(since, dt.time(), dt.timezone.utc).timestamp()
    end = dt.datetime.combine(until, dt.time(), dt.timezone.utc).timestamp() + DAY_S
    return start, end


@dataclass
class ProcessCpu:
    """Where the process's CPU went over a period (the ledger's process_cpu rows)."""

    process_s: float = 0.0
    requests_s: float = 0.0
    shared_s: float = 0.0
    unmeasured_s: float = 0.0
    shared_by_source: dict | None = None
    direct_s: float = 0.0  # all requests' measured CPU in the period (the allocation's base)

    @property
    def to_allocate_s(self) -> float:
        return self.shared_s + self.unmeasured_s

    def allocated(self, cpu_s: float) -> float:
        """The share of the shared and unmeasured CPU that goes with cpu_s of direct CPU."""
        return self.to_allocate_s * cpu_s / self.direct_s if self.direct_s > 0 else 0.0

    def to_json(self) -> dict:
        measured = self.requests_s + self.shared_s
        return {
            "cpuSeconds": round(self.process_s, 6),
            "requestsCpuSeconds": round(self.requests_s, 6),
            "sharedCpuSeconds": round(self.shared_s, 6),
            "unmeasuredCpuSeconds": round(self.unmeasured_s, 6),
            "measuredShare": round(measured / self.process_s, 4) if self.process_s > 0 else None,
            "sharedBySource": {k: round(v, 6) for k, v in sorted((self.shared_by_source or {}).items())},
            "allocation": "shared and unmeasured CPU, split in proportion to each request's measured CPU",
        }


def process_cpu(ledger: Ledger, start: float, end: float) -> ProcessCpu:
    rows = ledger.query("SELECT process_cpu_s, requests_cpu_s, shared_cpu_s, unmeasured_cpu_s, shared_detail "
                        "FROM process_cpu WHERE ts >= ? AND ts < ?", (start, end))
    out = ProcessCpu(shared_by_source=Counter())
    for process_s, requests_s, shared_s, unmeasured_s, detail in rows:
        out.process_s += process_s
        out.requests_s += requests_s
        out.shared_s += shared_s
        out.unmeasured_s += unmeasured_s
        out.shared_by_source.update(json.loads(detail))
    [(direct,)] = ledger.query("SELECT TOTAL(cpu_s) FROM requests WHERE ts >= ? AND ts < ?", (start, end)) or [(0.0,)]
    out.direct_s = direct
    return out


def costs_json(ledger: Ledger, setup: Config, query, only_key: str | None) -> dict:
    """Totals of the period; only_key restricts them to one key's requests (client keys)."""
    since, until = period(query)
    start, end = bounds(since, until)
    where, params = "ts >= ? AND ts < ?", (start, end)
    if only_key is not None:
        where, params = where + " AND api_key = ?", params + (only_key,)
    model = setup.costs
    process = process_cpu(ledger, start, end)

    def rows(group: str | None) -> list[dict]:
        select = f"{group} AS g, " if group else ""
        tail = " GROUP BY g ORDER BY g" if group else ""
        out = []
        sql = f"SELECT {select}COUNT(*), TOTAL(cpu_s), TOTAL(bytes) FROM requests WHERE {where}{tail}"
        for row in ledger.query(sql, params):
            *name, n, cpu_s, n_bytes = row
            allocated = process.allocated(cpu_s)
            item = {"requests": n, "cpuSeconds": round(cpu_s, 6), "allocatedCpuSeconds": round(allocated, 6),
                    "bytes": int(n_bytes), "variableEur": round(model.variable_eur(cpu_s + allocated, int(n_bytes)), 8)}
            out.append(({"name": name[0]} if group else {}) | item)
        return out

    body = {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "scope": "all" if only_key is None else "own key",
        "costModel": {"eurPerCpuHour": model.eur_per_cpu_hour, "eurPerGb": model.eur_per_gb,
                      "fixedMonthlyEur": model.fixed_monthly_eur, "instances": model.instances},
        "totals": rows(None)[0],
        "process": process.to_json(),
    }
    body.update({name: rows(column) for name, column in GROUPS.items()})
    return body
