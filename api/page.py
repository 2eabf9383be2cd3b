"""The traveller page (GET /), the departure boards (GET /stop/{stopId}), their static files
(GET /static/{name}) and the streets drawn under a journey (GET /v1/streets).

The pages are api/static/page.html and board.html filled with the texts of page_texts.py
in French or English (the `lang` parameter, else Accept-Language); their script
(static/page.js) calls the JSON API from the browser, same origin. Where the configuration
refuses anonymous requests, the requests of the page carry the key of `[page] key`, which
the server writes into the page: a public client key, whose quota bounds what the page may
spend; without one the page says it cannot plan.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from html import escape
from pathlib import Path
from string import Template
from urllib.parse import quote

import orjson
from aiohttp import web

from trajet.billing.accounting import Busy
from trajet.service.errors import QueryError
from trajet.service.street_map import parse_bbox, streets_in_box

from .dashboard import language
from .handlers import busy
from .keys import BACKLOG, EXECUTOR, NETWORK, SETUP
from .middleware import METER
from .page_texts import T
from .responses import error_response, json_response

STATIC_DIR = Path(__file__).parent / "static"
CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
CACHE_CONTROL = "public, max-age=3600"  # the pages name each file with its version (?v=): a new one is fetched at once
# the files /static/{name} serves, read once: a name is looked up here, never joined to a path
STATIC = {p.name: (p.read_bytes(), CONTENT_TYPES[p.suffix]) for p in sorted(STATIC_DIR.iterdir())
          if p.suffix in CONTENT_TYPES}
ETAGS = {name: f'"{hashlib.sha256(body).hexdigest()[:16]}"' for name, (body, _) in STATIC.items()}
TEMPLATES = {name: Template((STATIC_DIR / f"{name}.html").read_text(encoding="utf-8")) for name in ("page", "board")}


def access(request: web.Request) -> dict:
    """How the page's script calls the API: `key`, the key its requests carry (`[page] key`,
    when anonymous requests are refused), and `blocked` when it cannot (no such key)."""
    setup = request.app[SETUP]
    key = None if setup.allow_anonymous else setup.page_key
    return {"key": key, "blocked": not setup.allow_anonymous and key is None}


def _data_json(data: dict) -> str:
    """JSON for a <script type="application/json">: no "<" that could close the element."""
    return orjson.dumps(data).decode().replace("<", "\\u003c")


def _render(name: str, lang: str, values: dict, data: dict, notice: str = "") -> str:
    t = T[lang]
    other = "fr" if lang == "en" else "en"
    filled = {key: escape(text) for key, text in t.items()}
    filled.update({key: escape(str(value)) for key, value in values.items()})
    filled.update(css_version=ETAGS["page.css"].strip('"'), js_version=ETAGS["page.js"].strip('"'))
    filled.update(lang=lang, other=other, other_lang=escape(t["other_lang"]), notice=escape(notice),
                  notice_hidden="" if notice else " hidden", data=_data_json({"lang": lang, "texts": t, **data}))
    return TEMPLATES[name].substitute(filled)


# The pages load their script, style sheet and data from this server only, with no inline
# script or style (their data is a JSON block, which is not run), and are never framed
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'; "
                           "object-src 'none'")


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8",
                        headers={"Cache-Control": "no-cache", "Content-Security-Policy": CONTENT_SECURITY_POLICY,
                                 "X-Content-Type-Options": "nosniff"})


def service_day(network, t: dict) -> tuple[dt.date, str]:
    """The day the pages ask about: today, or the feeds' first day (and the notice saying so)
    when today is outside their service days."""
    today, first, last = network.now().date(), network.first_date, network.last_date
    if network.in_service_period(today):
        return today, ""
    return first, t["notice_outside"].format(today=today.isoformat(), first=first.isoformat(), last=last.isoformat())


async def traveller_page(request: web.Request) -> web.Response:
    """The journey planner: the form, the results, each journey's map."""
    lang = language(request)
    t = T[lang]
    network = request[NETWORK]
    now, first, last = network.now(), network.first_date, network.last_date
    calls = access(request)
    day, notice = service_day(network, t)
    if calls["blocked"]:
        notice = t["key_needed"]
    values = {"date_value": day.isoformat(), "time_value": now.strftime("%H:%M"), "first_date": first.isoformat(),
              "last_date": last.isoformat()}
    return _html(_render("page", lang, values, {**calls, "date": day.isoformat()}, notice))


async def board_page(request: web.Request) -> web.Response:
    """A stop's or station's next departures, refreshed by the script; 404 for an unknown stop."""
    lang = language(request)
    t = T[lang]
    network = request[NETWORK]
    stop_id = request.match_info["stop_id"]
    values = {"path": f"/stop/{quote(stop_id, safe='')}"}
    try:
        stop = network.stops_of(stop_id, "stopId")[-1]  # the stop asked (a station comes after its platforms)
    except QueryError:
        values.update(name=t["board_unknown"], title=t["board_unknown"])
        data = {"stopId": None}
        return _html(_render("board", lang, values, data, t["board_unknown_text"].format(stop_id=stop_id)), 404)
    name = str(network.net.stop_name[stop])
    values.update(name=name, title=t["board_title"].format(name=name))
    calls = access(request)
    day, notice = service_day(network, t)
    if calls["blocked"]:
        notice = t["key_needed"]
    return _html(_render("board", lang, values, {**calls, "stopId": stop_id, "date": day.isoformat()}, notice))


async def static_file(request: web.Request) -> web.Response:
    """A file of api/static (its script and style sheet), with a cache header and an ETag."""
    name = request.match_info["name"]
    found = STATIC.get(name)
    if found is None:
        return error_response(404, "not_found", f"no static file {name!r} (the page's files: {', '.join(STATIC)})",
                              "name")
    body, content_type = found
    etag = ETAGS[name]
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": etag}
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, content_type=content_type, charset="utf-8", headers=headers)


async def streets(request: web.Request) -> web.Response:
    """The street segments inside a box (none without streets), to draw under a journey."""
    bbox = parse_bbox(request.query.get("bbox", ""))
    network = request[NETWORK]
    graph = network.streets.graph if network.streets is not None else None
    try:
        body = await request[METER].in_thread(request.app[EXECUTOR], streets_in_box, graph, bbox,
                                              backlog=request.app[BACKLOG])
    except Busy:
        return busy()
    return json_response(request, body)
