"""Funding models compared on the same ledger period: who would pay how much.

The period's cost is the ledger's variable cost (each request's CPU time and bytes at the
cost model's prices) plus the deployment's fixed monthly costs prorated to the period's
days. Every model splits exactly that total, in whole cents (largest remainders), so each
table sums to the ledger's cost to the cent:

- territory: each territory pays its own requests and a usage share of the fixed costs;
  per inhabitant per year, with what its travellers' plans and its analyses (travel-time
  maps and matrices, ANALYSIS_ENDPOINTS) cost of it shown apart.
- travellers: the cost per planned journey, and the surcharge per ticket (a year of this
  cost over the territory's annual journeys) that would cover it.
- operators: split by the operators' share of transit legs (or of in-vehicle minutes) in
  the journeys answered.
- pooling: territories share one deployment, fixed costs split by population, usage or
  equally; each bill pooled against running a deployment alone, and the saving.
- metered: keys pay per 1,000 requests beyond a free monthly quota; the funders pay the
  rest (the free tier, anonymous use, and any shortfall).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .config import Config
from .costs import ProcessCpu, bounds, period, process_cpu
from .errors import ReportError
from .ledger import Ledger

MODELS = ("territory", "travellers", "operators", "pooling", "metered")
# what the models that take a basis split by, the first by default; the others take none
BASES = {"operators": ("legs", "minutes"), "pooling": ("population", "usage", "equal")}
# the endpoints of a territory's own analyses (api/analyses.py), beside travellers' plans
PLAN_ENDPOINT = "/v1/plan"
# travellers' journeys: asked by /v1/plan, or in words on the text channel (/v1/text), billed alike
PLAN_ENDPOINTS = (PLAN_ENDPOINT, "/v1/text")
_PLANS_IN = "(" + ", ".join(f"'{e}'" for e in PLAN_ENDPOINTS) + ")"
ANALYSIS_ENDPOINTS = ("/v1/traveltimes", "/v1/matrix")
DAYS_PER_MONTH = 365.25 / 12
DAYS_PER_YEAR = 365.25


@dataclass
class Usage:
    """What the ledger says of one period."""

    since: dt.date
    until: dt.date
    by_territory: dict[str, tuple[int, float]]  # territory -> (requests, variable EUR)
    journeys_by_territory: dict[str, int]  # territory -> plan requests answered (200)
    plans_by_territory: dict[str, tuple[int, float]]  # territory -> (plan requests, their variable EUR)
    analyses_by_territory: dict[str, tuple[int, float]]  # territory -> (analysis requests, their variable EUR)
    by_key: dict[str, tuple[int, float]]  # api key -> (requests, variable EUR)
    operators: dict[tuple[str, str], tuple[float, float]]  # (agency, feed) -> (legs, minutes) shares summed
    fixed_eur: float
    process: ProcessCpu  # the CPU no request measured, allocated into the variable EUR above

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    @property
    def variable_eur(self) -> float:
        return sum(eur for _, eur in self.by_territory.values())

    @property
    def total_eur(self) -> float:
        return self.variable_eur + self.fixed_eur

    @property
    def n_requests(self) -> int:
        return sum(n for n, _ in self.by_territory.values())


def read_usage(ledger: Ledger, setup: Config, since: dt.date, until: dt.date) -> Usage:
    start, end = bounds(since, until)
    model = setup.costs

    process = process_cpu(ledger, start, end)

    def grouped(column: str, extra: str = "") -> dict:
        """group -> (requests, variable EUR of their direct CPU and its allocated share, and bytes)"""
        sql = (f"SELECT {column}, COUNT(*), TOTAL(cpu_s), TOTAL(bytes) FROM requests "
               f"WHERE ts >= ? AND ts < ?{extra} GROUP BY {column}")
        return {g: (n, model.variable_eur(cpu + process.allocated(cpu), int(b)))
                for g, n, cpu, b in ledger.query(sql, (start, end))}

    plans = grouped("territory", f" AND endpoint IN {_PLANS_IN}")
    answered = grouped("territory", f" AND endpoint IN {_PLANS_IN} AND status = 200")
    journeys = {g: n for g, (n, _) in answered.items()}
    analyses = grouped("territory", " AND endpoint IN (" + ", ".join(f"'{e}'" for e in ANALYSIS_ENDPOINTS) + ")")
    operators = {
        (agency, feed): (legs, minutes)
        for agency, feed, legs, minutes in ledger.query(
            "SELECT agency, feed, TOTAL(legs_share), TOTAL(minutes_share) FROM request_operators o "
            "JOIN requests r ON r.id = o.request_id WHERE r.ts >= ? AND r.ts < ? GROUP BY agency, feed", (start, end))
    }
    days = (until - since).days + 1
    return Usage(since, until, grouped("territory"), journeys, plans, analyses, grouped("api_key"), operators,
                 model.fixed_monthly_total * days / DAYS_PER_MONTH, process)


def to_cents(total_eur: float, weights: dict[str, float]) -> dict[str, int]:
    """Split round(total) cents by weights so the parts sum exactly (largest remainders)."""
    cents = round(total_eur * 100)
    mass = sum(weights.values())
    if not weights:
        return {}
    if mass <= 0:
        weights, mass = {k: 1.0 for k in weights}, float(len(weights))
    raw = {k: cents * w / mass for k, w in weights.items()}
    out = {k: int(v // 1) for k, v in raw.items()}
    short = cents - sum(out.values())
    for k in sorted(raw, key=lambda k: (-(raw[k] - out[k]), k))[:short]:
        out[k] += 1
    return out


def _row(payer: str, cents: int, unit: str | None = None, units: float | None = None, **extra) -> dict:
    per_unit = round(cents / 100 / units, 6) if units else None
    return {"payer": payer, "eur": cents / 100, "unit": unit, "units": units, "perUnitEur": per_unit, **extra}


def territory_pays(usage: Usage, setup: Config) -> list[dict]:
    weights = {t.name: usage.by_territory.get(t.name, (0, 0.0))[1] for t in setup.territories}
    usage_share = {t.name: usage.by_territory.get(t.name, (0, 0.0))[0] for t in setup.territories}
    total_usage = sum(usage_share.values()) or 1
    bills = {name: w + usage.fixed_eur * usage_share[name] / total_usage for name, w in weights.items()}
    cents = to_cents(usage.total_eur, bills)
    years = usage.days / DAYS_PER_YEAR
    rows = []
    for t in setup.territories:
        budget = t.annual_budget_eur * years if t.annual_budget_eur is not None else None
        plans = usage.plans_by_territory.get(t.name, (0, 0.0))
        analyses = usage.analyses_by_territory.get(t.name, (0, 0.0))
        rows.append(_row(t.name, cents[t.name], "inhabitant-year", t.population * years or None,
                         budgetEur=None if budget is None else round(budget, 2),
                         budgetShare=None if not budget else round(cents[t.name] / 100 / budget, 6),
                         plans=plans[0], plansVariableEur=round(plans[1], 9),
                         analyses=analyses[0], analysesVariableEur=round(analyses[1], 9)))
    return rows


def travellers_pay(usage: Usage, setup: Config) -> list[dict]:
    rows = territory_pays(usage, setup)
    years = usage.days / DAYS_PER_YEAR
    out = []
    for row, t in zip(rows, setup.territories):
        cents = round(row["eur"] * 100)
        journeys = usage.journeys_by_territory.get(t.name, 0)
        tickets = t.annual_journeys * years
        out.append(_row(f"travellers of {t.name}", cents, "ticket", tickets or None,
                        plannedJourneys=journeys,
                        perPlannedJourneyEur=round(cents / 100 / journeys, 6) if journeys else None))
    return out


def operators_pay(usage: Usage, setup: Config, basis: str = "legs") -> list[dict]:
    index = 0 if basis == "legs" else 1
    weights = {f"{agency} ({feed})": shares[index] for (agency, feed), shares in usage.operators.items()}
    if not weights:
        return [_row("unallocated (no journey answered)", round(usage.total_eur * 100))]
    cents = to_cents(usage.total_eur, weights)
    return [_row(name, cents[name], f"share of {basis}", None, share=round(weights[name] / sum(weights.values()), 6))
            for name in sorted(weights)]


def pooling(usage: Usage, setup: Config, basis: str = "population") -> list[dict]:
    territories = setup.territories
    n = {t.name: usage.by_territory.get(t.name, (0, 0.0))[0] for t in territories}
    weight = {
        "population": {t.name: float(t.population) for t in territories},
        "usage": {t.name: float(n[t.name]) for t in territories},
        "equal": {t.name: 1.0 for t in territories},
    }[basis]
    mass = sum(weight.values())
    if mass <= 0:
        weight, mass = {t.name: 1.0 for t in territories}, float(len(territories))
    bills = {t.name: usage.by_territory.get(t.name, (0, 0.0))[1] + usage.fixed_eur * weight[t.name] / mass
             for t in territories}
    cents = to_cents(usage.total_eur, bills)
    alone_fixed = usage.fixed_eur  # a deployment of its own carries all the fixed costs
    rows = []
    for t in territories:
        alone = round((usage.by_territory.get(t.name, (0, 0.0))[1] + alone_fixed) * 100)
        rows.append(_row(t.name, cents[t.name], "inhabitant-year", t.population * usage.days / DAYS_PER_YEAR or None,
                         aloneEur=alone / 100, savingEur=(alone - cents[t.name]) / 100))
    return rows


def metered(usage: Usage, setup: Config, free_monthly: int, price_per_1000_eur: float) -> list[dict]:
    months = usage.days / DAYS_PER_MONTH
    free = free_monthly * months
    paying = {k: max(0.0, n - free) for k, (n, _) in usage.by_key.items() if k not in ("anonymous", "unknown")}
    charges = {k: p / 1000 * price_per_1000_eur for k, p in paying.items()}
    total_cents = round(usage.total_eur * 100)
    key_cents = {k: min(round(c * 100), total_cents) for k, c in charges.items()}
    while sum(key_cents.values()) > total_cents:  # never charge more than the cost
        biggest = max(key_cents, key=key_cents.get)
        key_cents[biggest] -= 1
    rows = [_row(k, c, "1,000 requests", usage.by_key[k][0] / 1000, billedRequests=round(paying[k]))
            for k, c in sorted(key_cents.items())]
    funders = total_cents - sum(key_cents.values())
    free_requests = usage.n_requests - sum(paying.values())
    rows.append(_row("funders (free tier, anonymous use, shortfall)", funders, "1,000 requests",
                     free_requests / 1000 if free_requests else None))
    return rows


def check_basis(query) -> None:
    """basis that the model asked does not split by (operators: legs or minutes; pooling: population, usage or
    equal; the other models take none; model=all: either model's)

    Raises ReportError naming basis. funding_json itself falls back to a model's default
    basis; the API (a conflict of /v1/funding) and `trajet costs report` call this first, so
    that a basis asked is never silently replaced."""
    basis, model = query.get("basis"), query.get("model") or "all"
    if not basis or model not in (*MODELS, "all"):
        return  # no basis, or an unknown model: funding_json names that
    takes = [m for m in BASES if model in (m, "all")]

    def bases(models) -> str:
        return "; ".join(f"{m}: {'|'.join(BASES[m])}" for m in models)

    if not takes:
        raise ReportError(f"basis and model conflict: model {model} takes no basis (only {bases(BASES)})", "basis")
    if not any(basis in BASES[m] for m in takes):
        raise ReportError(f"basis {basis!r} is not a basis of model {model} ({bases(takes)})", "basis")


def funding_json(ledger: Ledger, setup: Config, query) -> dict:
    since, until = period(query)
    name = query.get("model") or "all"
    if name != "all" and name not in MODELS:
        raise ReportError(f"unknown model {name!r}; known: {', '.join(MODELS)} or all", "model")
    usage = read_usage(ledger, setup, since, until)
    basis = query.get("basis")
    tables = {
        "territory": lambda: territory_pays(usage, setup),
        "travellers": lambda: travellers_pay(usage, setup),
        "operators": lambda: operators_pay(usage, setup, basis if basis in BASES["operators"] else "legs"),
        "pooling": lambda: pooling(usage, setup, basis if basis in BASES["pooling"] else "population"),
        "metered": lambda: metered(usage, setup, setup.free_monthly_requests, setup.price_per_1000_eur),
    }
    chosen = MODELS if name == "all" else (name,)
    return {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "days": usage.days,
        "requests": usage.n_requests,
        "variableEur": round(usage.variable_eur, 6),
        "process": usage.process.to_json(),
        "fixedEur": round(usage.fixed_eur, 6),
        "totalEur": round(usage.total_eur, 2),
        "models": {m: {"rows": tables[m]()} for m in chosen},
    }
