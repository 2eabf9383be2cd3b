"""The funders' dashboard (GET /dashboard), its downloads (GET /dashboard/data) and the
open usage report (GET /v1/reports/usage).

The dashboard is server-rendered HTML in French or English (the `lang` parameter, else
Accept-Language), with a form choosing territory and period, one inline SVG plot per table
and the table itself. It is for admin keys (the X-Api-Key header, or the `key` parameter,
which a browser opening the page can give; the ledger records only the header), or for
everyone with `[dashboard] public = true`. The figures come from billing.dashboard_data,
which takes the funding models from billing.funding.
"""

from __future__ import annotations

import sqlite3
from html import escape

import orjson
from aiohttp import web

from trajet.billing.dashboard_data import dashboard_data, data_csv
from trajet.billing.errors import ReportError
from trajet.billing.funding import MODELS
from trajet.billing.usage_report import report_csv, usage_report

from .dashboard_plots import bar_svg
from .handlers import ledger_unavailable
from .keys import EXECUTOR, LEDGER, SETUP
from .middleware import METER
from .responses import error_response, json_response

T = {
    "en": {"title": "Funders' dashboard", "territory": "Territory", "all": "All territories", "since": "From",
           "until": "To (inclusive)", "show": "Show", "lang": "Français", "download": "Download the tables",
           "payer": "Payer", "eur": "EUR", "unit": "Per", "per_unit": "EUR per unit", "day": "Day",
           "endpoint": "Endpoint", "requests": "Requests", "cost": "Variable cost (EUR)", "cpu": "CPU seconds",
           "total": "Total cost of the period", "models": "Funding models", "usage": "Usage",
           "byDay": "Requests and cost per day", "byEndpoint": "Cost per endpoint", "report": "Open usage report",
           "desc": "Bar chart of {what}, one bar per {by}.", "alone": "Alone (EUR)", "saving": "Saving (EUR)",
           "territory_m": "The territory pays", "travellers_m": "Travellers pay", "operators_m": "Operators pay",
           "pooling_m": "Territories pool one deployment", "metered_m": "Metered API",
           "empty": "No request in this period."},
    "fr": {"title": "Tableau de bord des financeurs", "territory": "Territoire", "all": "Tous les territoires",
           "since": "Du", "until": "Au (inclus)", "show": "Afficher", "lang": "English",
           "download": "Télécharger les tableaux", "payer": "Payeur", "eur": "EUR", "unit": "Par",
           "per_unit": "EUR par unité", "day": "Jour", "endpoint": "Point d'accès", "requests": "Requêtes",
           "cost": "Coût variable (EUR)", "cpu": "Secondes CPU", "total": "Coût total de la période",
           "models": "Modèles de financement", "usage": "Usage", "byDay": "Requêtes et coût par jour",
           "byEndpoint": "Coût par point d'accès", "report": "Rapport d'usage ouvert",
           "desc": "Diagramme en barres : {what}, une barre par {by}.", "alone": "Seul (EUR)",
           "saving": "Économie (EUR)", "territory_m": "Le territoire paie", "travellers_m": "Les voyageurs paient",
           "operators_m": "Les opérateurs paient", "pooling_m": "Les territoires mutualisent un déploiement",
           "metered_m": "API facturée à l'usage", "empty": "Aucune requête sur cette période."},
}
CSS = """body{font:16px/1.5 system-ui,sans-serif;color:#1a1a1a;background:#fff;margin:0 auto;padding:1rem;
max-width:64rem}h1{font-size:1.6rem}h2{font-size:1.3rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0;display:block;overflow-x:auto}caption{text-align:left;font-weight:600}
th,td{border:1px solid #767676;padding:.25rem .5rem;text-align:left}
td.n{text-align:right}
a{color:#0b4f8a}:focus-visible{outline:3px solid #b35900;outline-offset:2px}
form{display:flex;flex-wrap:wrap;gap:.75rem;align-items:end}label{display:flex;flex-direction:column}
input,select,button{font:inherit;padding:.3rem}figure{margin:1rem 0}"""


def language(request: web.Request) -> str:
    lang = request.query.get("lang") or ""
    if lang:
        if lang not in T:
            raise ReportError(f"lang {lang!r} is not en or fr", "lang")
        return lang
    for part in request.headers.get("Accept-Language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in T:
            return code
    return "en"


def allowed(request: web.Request) -> web.Response | None:
    """None when the dashboard may be shown; else the 401 or 403 answer."""
    setup = request.app[SETUP]
    if setup.dashboard_public:
        return None
    given, field = request.headers.get("X-Api-Key"), "X-Api-Key"
    if not given and request.query.get("key"):
        given, field = request.query["key"], "key"
    key = setup.find_key(given)
    if given and key is None:
        return error_response(401, "unknown_key", f"unknown API key ({field})", field)
    if key is None:
        return error_response(401, "key_required", "the dashboard is shown to admin keys (X-Api-Key, or key for a "
                                                   "browser)", "X-Api-Key")
    if key.role != "admin":
        return error_response(403, "admin_only", "the dashboard is shown to admin keys only", "X-Api-Key")
    return None


async def _in_thread(request: web.Request, fn, *args):
    """fn(ledger, setup, *args) in the routing threads; sqlite3.Error becomes the 503 answer (returned)."""
    try:
        return await request[METER].in_thread(request.app[EXECUTOR], fn, request.app[LEDGER], request.app[SETUP],
                                              *args)
    except sqlite3.Error as e:
        return ledger_unavailable(e)


def _query(request: web.Request, *names: str) -> dict:
    return {n: request.query[n] for n in names if request.query.get(n)}


def _num(v) -> str:
    """Euros to the cent; a figure below a cent (a request's variable cost) to 3 significant digits."""
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.3g}" if 0 < abs(v) < 0.01 else f"{v:,.2f}"
    return str(v)


def _table(caption: str, head: list[str], rows: list[list]) -> str:
    th = "".join(f'<th scope="col">{escape(h)}</th>' for h in head)
    body = "".join("<tr>" + f'<th scope="row">{escape(str(r[0]))}</th>'
                   + "".join(f'<td class="n">{escape(_num(v))}</td>' for v in r[1:]) + "</tr>" for r in rows)
    return f"<table><caption>{escape(caption)}</caption><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def render(data: dict, lang: str, key: str | None) -> str:
    """The page: form, the five models and the usage series, each a plot and its table (runs in a thread)."""
    t = T[lang]
    f = data["funding"]
    parts = []

    def section(heading: str, labels, values, unit: str, by: str, table: str) -> None:
        desc = t["desc"].format(what=f"{heading} ({unit})", by=by)
        plot = bar_svg(labels, values, heading, desc, unit) if labels else f"<p>{escape(t['empty'])}</p>"
        parts.append(f"<section><h3>{escape(heading)}</h3><figure>{plot}</figure>{table}</section>")

    for model in MODELS:
        rows = f["models"][model]["rows"]
        name = t[f"{model}_m"]
        head = [t["payer"], t["eur"], t["unit"], t["per_unit"]]
        cells = [[r["payer"], r["eur"], r["unit"] or "", r["perUnitEur"]] for r in rows]
        if model == "pooling":
            head += [t["alone"], t["saving"]]
            cells = [c + [r["aloneEur"], r["savingEur"]] for c, r in zip(cells, rows)]
        section(name, [r["payer"] for r in rows], [r["eur"] for r in rows], "EUR", t["payer"].lower(),
                _table(name, head, cells))
    usage = []
    for table, label in (("byDay", t["day"]), ("byEndpoint", t["endpoint"])):
        rows = data[table]
        head = [label, t["requests"], t["cpu"], t["cost"]]
        cells = [[r["name"], r["requests"], r["cpuSeconds"], r["variableEur"]] for r in rows]
        usage.append((t[table], rows, head, cells, label))
    parts.append(f'<h2 id="usage">{escape(t["usage"])}</h2>')
    for heading, rows, head, cells, label in usage:
        section(heading + f" — {t['requests'].lower()}", [r["name"] for r in rows], [r["requests"] for r in rows],
                t["requests"], label.lower(), "")
        section(heading + " — EUR", [r["name"] for r in rows], [r["variableEur"] for r in rows], "EUR", label.lower(),
                _table(heading, head, cells))

    territory = data["territory"] or ""
    options = "".join(f'<option value="{escape(n)}"{" selected" if n == territory else ""}>{escape(n)}</option>'
                      for n in data["territories"])
    keep = f'<input type="hidden" name="key" value="{escape(key)}">' if key else ""
    query = {"territory": territory, "since": data["since"], "until": data["until"], **({"key": key} if key else {})}
    link = "&amp;".join(f"{k}={escape(v)}" for k, v in query.items() if v)
    open_link = "&amp;".join(f"{k}={escape(v)}" for k, v in query.items() if v and k != "key")  # the open report
    other = "fr" if lang == "en" else "en"
    form = (f'<form method="get" action="/dashboard"><label>{escape(t["territory"])}<select name="territory">'
            f'<option value="">{escape(t["all"])}</option>{options}</select></label>'
            f'<label>{escape(t["since"])}<input type="date" name="since" value="{data["since"]}"></label>'
            f'<label>{escape(t["until"])}<input type="date" name="until" value="{data["until"]}"></label>'
            f'<input type="hidden" name="lang" value="{lang}">{keep}<button type="submit">{escape(t["show"])}</button>'
            "</form>")
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{escape(t["title"])}</title>'
            f"<style>{CSS}</style></head><body><header><h1>{escape(t['title'])}</h1>"
            f'<p><a href="/dashboard?{link}&amp;lang={other}" lang="{other}">{escape(t["lang"])}</a></p></header>'
            f"<main>{form}<p>{escape(t['total'])}: <strong>{_num(f['totalEur'])} EUR</strong> "
            f"({f['requests']} {escape(t['requests'].lower())}, {f['days']} d)</p>"
            f'<p>{escape(t["download"])}: <a href="/dashboard/data?{link}&amp;format=csv">CSV</a>, '
            f'<a href="/dashboard/data?{link}&amp;format=json">JSON</a>; '
            f'<a href="/v1/reports/usage?{open_link}">{escape(t["report"])}</a></p>'
            f'<h2 id="models">{escape(t["models"])}</h2>{"".join(parts)}</main></body></html>')


def _data_job(ledger, setup, query: dict, lang: str | None, key: str | None):
    data = dashboard_data(ledger, setup, query)
    return data if lang is None else render(data, lang, key)


async def dashboard(request: web.Request) -> web.Response:
    if (refused := allowed(request)) is not None:
        return refused
    lang = language(request)
    query = _query(request, "territory", "since", "until")
    page = await _in_thread(request, _data_job, query, lang, request.query.get("key") or None)
    if isinstance(page, web.Response):
        return page
    return web.Response(text=page, content_type="text/html", charset="utf-8")


def _download(body: bytes | str, name: str, content_type: str) -> web.Response:
    return web.Response(body=body if isinstance(body, bytes) else body.encode(), content_type=content_type,
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _format(request: web.Request) -> str:
    fmt = request.query.get("format") or "json"
    if fmt not in ("json", "csv"):
        raise ReportError(f"format {fmt!r} is not json or csv", "format")
    return fmt


async def dashboard_download(request: web.Request) -> web.Response:
    if (refused := allowed(request)) is not None:
        return refused
    fmt = _format(request)
    data = await _in_thread(request, _data_job, _query(request, "territory", "since", "until"), None, None)
    if isinstance(data, web.Response):
        return data
    name = f"trajet-dashboard-{data['territory'] or 'all'}-{data['since']}-{data['until']}.{fmt}"
    if fmt == "csv":
        return _download(data_csv(data), name, "text/csv")
    return _download(orjson.dumps(data), name, "application/json")


async def reports_usage(request: web.Request) -> web.Response:
    fmt = _format(request)
    report = await _in_thread(request, usage_report, _query(request, "territory", "since", "until"))
    if isinstance(report, web.Response):
        return report
    if fmt == "csv":
        name = f"trajet-usage-{report['territory'] or 'all'}-{report['since']}-{report['until']}.csv"
        return _download(report_csv(report), name, "text/csv")
    return json_response(request, report)
