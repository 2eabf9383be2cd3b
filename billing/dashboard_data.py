"""The figures behind the funders' dashboard: the five funding models (funding_json, not a
second copy of its arithmetic), requests and cost per day, and cost per endpoint, for one
territory or all, over a period (default: the ledger's whole period).

The funding models split the whole deployment's cost between its payers, so their tables
are the same as /v1/funding's for the period (but for the metered model's payers, named by
their keys' owners rather than by the keys, which are secrets); a chosen territory narrows the per-day and
per-endpoint series to its requests.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from .config import Config
from .costs import bounds, parse_day, process_cpu
from .errors import ReportError
from .funding import MODELS, funding_json
from .ledger import Ledger


def ledger_period(ledger: Ledger) -> tuple[dt.date, dt.date]:
    """The first and last UTC day of the ledger's requests (today for an empty ledger)."""
    rows = ledger.query("SELECT MIN(ts), MAX(ts) FROM requests")
    first, last = rows[0] if rows else (None, None)
    if first is None:
        today = dt.datetime.now(dt.timezone.utc).date()
        return today, today
    day = lambda ts: dt.datetime.fromtimestamp(ts, dt.timezone.utc).date()  # noqa: E731
    return day(first), day(last)


def chosen_period(ledger: Ledger, query) -> tuple[dt.date, dt.date]:
    """since / until from the query (YYYY-MM-DD, UTC, inclusive), each defaulting to the ledger's own."""
    first, last = ledger_period(ledger)
    until = parse_day(query["until"], "until") if query.get("until") else None
    since = parse_day(query["since"], "since") if query.get("since") else min(first, until or first)
    until = until or max(last, since)
    if until < since:
        raise ReportError(f"until {until} is before since {since}", "until")
    return since, until


def chosen_territory(setup: Config, query) -> str | None:
    """The territory asked (None: all), refused with its name when not declared."""
    name = query.get("territory") or None
    names = [t.name for t in setup.territories]
    if name is not None and name not in names:
        raise ReportError(f"territory {name!r} is not declared (declared: {', '.join(names)})", "territory")
    return name


def _series(ledger: Ledger, setup: Config, group: str, start: float, end: float, territory: str | None) -> list[dict]:
    """Requests, CPU (direct plus allocated share), bytes and variable EUR by `group`."""
    where, params = "ts >= ? AND ts < ?", (start, end)
    if territory is not None:
        where, params = where + " AND territory = ?", params + (territory,)
    process = process_cpu(ledger, start, end)
    out = []
    for g, n, cpu, n_bytes in ledger.query(f"SELECT {group} AS g, COUNT(*), TOTAL(cpu_s), TOTAL(bytes) "
                                           f"FROM requests WHERE {where} GROUP BY g ORDER BY g", params):
        cpu_all = cpu + process.allocated(cpu)
        out.append({"name": g, "requests": n, "cpuSeconds": round(cpu_all, 6), "bytes": int(n_bytes),
                    "variableEur": round(setup.costs.variable_eur(cpu_all, int(n_bytes)), 8)})
    return out


def dashboard_data(ledger: Ledger, setup: Config, query) -> dict:
    """Every table of the dashboard for the query's territory, since and until."""
    territory = chosen_territory(setup, query)
    since, until = chosen_period(ledger, query)
    funding = funding_json(ledger, setup, {"since": since.isoformat(), "until": until.isoformat()})
    for row in funding["models"]["metered"]["rows"]:  # an API key is a secret: the page names its owner
        if (key := setup.keys.get(row["payer"])) is not None:
            row["payer"] = f"{key.owner} ({key.owner_kind})"
    start, end = bounds(since, until)
    return {
        "territory": territory,
        "since": since.isoformat(),
        "until": until.isoformat(),
        "territories": [t.name for t in setup.territories],
        "funding": funding,
        "byDay": _series(ledger, setup, "date(ts, 'unixepoch')", start, end, territory),
        "byEndpoint": _series(ledger, setup, "endpoint", start, end, territory),
    }


def data_csv(data: dict) -> str:
    """All the dashboard's tables in one long CSV: table, row, column, value."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["table", "row", "column", "value"])
    for model in MODELS:
        for row in data["funding"]["models"][model]["rows"]:
            for column, value in row.items():
                if column != "payer":
                    w.writerow([model, row["payer"], column, "" if value is None else value])
    for table in ("byDay", "byEndpoint"):
        for row in data[table]:
            for column, value in row.items():
                if column != "name":
                    w.writerow([table, row["name"], column, value])
    return out.getvalue()
