"""GET /v1/costs: the ledger's totals by key, territory, endpoint and day."""

from __future__ import annotations

import datetime as dt

from .config import Config
from .errors import ReportError
from .ledger import Ledger

GROUPS = {"byKey": "api_key", "byTerritory": "territory", "byEndpoint": "endpoint", "byDay": "date(ts, 'unixepoch')"}


def parse_day(text: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise ReportError(f"{field} {text!r} is not a date YYYY-MM-DD", field) from None


def period(query) -> tuple[dt.date, dt.date]:
    """since / until (inclusive, UTC days); default: this month so far."""
    today = dt.datetime.now(dt.timezone.utc).date()
    since = parse_day(query["since"], "since") if "since" in query else today.replace(day=1)
    until = parse_day(query["until"], "until") if "until" in query else today
    if until < since:
        raise ReportError(f"until {until} is before since {since}", "until")
    return since, until


def bounds(since: dt.date, until: dt.date) -> tuple[float, float]:
    start = dt.datetime.combine(since, dt.time(), dt.timezone.utc).timestamp()
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), dt.timezone.utc).timestamp()
    return start, end


def costs_json(ledger: Ledger, setup: Config, query, only_key: str | None) -> dict:
    """Totals of the period; only_key restricts them to one key's requests (client keys)."""
    since, until = period(query)
    start, end = bounds(since, until)
    where, params = "ts >= ? AND ts < ?", (start, end)
    if only_key is not None:
        where, params = where + " AND api_key = ?", params + (only_key,)
    model = setup.costs

    def rows(group: str | None) -> list[dict]:
        select = f"{group} AS g, " if group else ""
        tail = " GROUP BY g ORDER BY g" if group else ""
        out = []
        for row in ledger.query(f"SELECT {select}COUNT(*), TOTAL(cpu_s), TOTAL(bytes) FROM requests WHERE {where}{tail}", params):
            *name, n, cpu_s, n_bytes = row
            item = {"requests": n, "cpuSeconds": round(cpu_s, 6), "bytes": int(n_bytes),
                    "variableEur": round(model.variable_eur(cpu_s, int(n_bytes)), 8)}
            out.append(({"name": name[0]} if group else {}) | item)
        return out

    body = {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "scope": "all" if only_key is None else "own key",
        "costModel": {"eurPerCpuHour": model.eur_per_cpu_hour, "eurPerGb": model.eur_per_gb,
                      "fixedMonthlyEur": model.fixed_monthly_eur, "instances": model.instances},
        "totals": rows(None)[0],
    }
    body.update({name: rows(column) for name, column in GROUPS.items()})
    return body
