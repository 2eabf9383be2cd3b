"""The open usage-and-cost report: per territory, UTC day and endpoint, the requests, CPU
seconds, bytes and euros of the ledger, for anyone to read (GET /v1/reports/usage).

No personal data: no API key, no request id, no time finer than the day, no status, no
place asked. A cell (territory, day, endpoint) with fewer than SUPPRESS_BELOW requests could
point at one traveller or one application, so its figures are withheld (null) and its
`suppressed` flag is true. Totals are sums of the published cells only, so no total minus
the published cells gives back a withheld one; how many cells were withheld is said, not
what they held.
"""

from __future__ import annotations

import csv
import io

from .config import Config
from .costs import bounds, process_cpu
from .dashboard_data import chosen_period, chosen_territory
from .ledger import Ledger

SUPPRESS_BELOW = 5  # requests: a cell with fewer is withheld
LICENCE = {"name": "CC-BY-4.0", "url": "https://creativecommons.org/licenses/by/4.0/",
           "attribution": "Trajet usage report"}
COLUMNS = (
    ("territory", "text", "the territory whose bill the requests go to (the configuration's name)"),
    ("day", "YYYY-MM-DD", "the UTC day of the requests"),
    ("endpoint", "text", "the API route asked (/v1/plan, /v1/traveltimes, ...)"),
    ("requests", "count", f"requests answered, any status; null when fewer than {SUPPRESS_BELOW} (suppressed)"),
    ("cpuSeconds", "s", "CPU seconds: the requests' own plus their share of the process's unmeasured and shared CPU"),
    ("bytes", "bytes", "response bodies before compression"),
    ("eur", "EUR", "variable cost at the cost model's prices (CPU-hours and GB sent; fixed costs not included)"),
    ("suppressed", "boolean", f"true when the cell had fewer than {SUPPRESS_BELOW} requests and its figures are "
                              "withheld"),
)
FIGURES = ("requests", "cpuSeconds", "bytes", "eur")


def usage_report(ledger: Ledger, setup: Config, query) -> dict:
    territory = chosen_territory(setup, query)
    since, until = chosen_period(ledger, query)
    start, end = bounds(since, until)
    where, params = "ts >= ? AND ts < ?", (start, end)
    if territory is not None:
        where, params = where + " AND territory = ?", params + (territory,)
    process = process_cpu(ledger, start, end)
    rows = []
    for t, day, endpoint, n, cpu, n_bytes in ledger.query(
            "SELECT territory, date(ts, 'unixepoch') AS day, endpoint, COUNT(*), TOTAL(cpu_s), TOTAL(bytes) "
            f"FROM requests WHERE {where} GROUP BY territory, day, endpoint ORDER BY territory, day, endpoint",
            params):
        row = {"territory": t, "day": day, "endpoint": endpoint}
        if n < SUPPRESS_BELOW:
            row |= {f: None for f in FIGURES} | {"suppressed": True}
        else:
            cpu_all = cpu + process.allocated(cpu)
            row |= {"requests": n, "cpuSeconds": round(cpu_all, 6), "bytes": int(n_bytes),
                    "eur": round(setup.costs.variable_eur(cpu_all, int(n_bytes)), 8), "suppressed": False}
        rows.append(row)
    totals = {}
    for row in rows:
        total = totals.setdefault(row["territory"], {"territory": row["territory"], "requests": 0, "cpuSeconds": 0.0,
                                                     "bytes": 0, "eur": 0.0, "suppressedCells": 0})
        if row["suppressed"]:
            total["suppressedCells"] += 1
        else:
            for f in FIGURES:
                total[f] += row[f]
    for total in totals.values():
        total["cpuSeconds"], total["eur"] = round(total["cpuSeconds"], 6), round(total["eur"], 8)
    return {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "territory": territory,
        "licence": LICENCE,
        "suppression": {"threshold": SUPPRESS_BELOW,
                        "rule": f"cells with fewer than {SUPPRESS_BELOW} requests are withheld (null, suppressed "
                                "true); totals sum the published cells only"},
        "dataDictionary": [{"column": c, "unit": u, "meaning": m} for c, u, m in COLUMNS],
        "rows": rows,
        "totals": list(totals.values()),
    }


def report_csv(report: dict) -> str:
    """The report's rows as CSV, preceded by '#' lines with the licence and the suppression rule."""
    out = io.StringIO()
    out.write(f"# Trajet usage report {report['since']} to {report['until']}; licence {report['licence']['name']} "
              f"{report['licence']['url']}\n# {report['suppression']['rule']}\n")
    w = csv.writer(out, lineterminator="\n")
    w.writerow([c for c, _, _ in COLUMNS])
    for row in report["rows"]:
        w.writerow(["" if row[c] is None else str(row[c]).lower() if isinstance(row[c], bool) else row[c]
                    for c, _, _ in COLUMNS])
    return out.getvalue()
