"""The text channel over HTTP: GET and POST /v1/text.

- `GET /v1/text?q=&lang=&sender=` and `POST /v1/text` with a JSON body `{text, sender?, lang?}`
  answer JSON `{reply, understood, segments, language, choices?}`;
- `POST /v1/text` form-encoded (application/x-www-form-urlencoded) is an SMS gateway's
  webhook: Twilio's fields `From` and `Body` (also accepted: `from`/`text` of Vonage/Nexmo's
  inbound messages as `msisdn`/`text`, and `sender`/`message`), every other field the gateway
  sends ignored; answered as TwiML (`<Response><Message>...</Message></Response>`, text/xml)
  or as plain text with `Accept: text/plain`. A question not understood is still answered
  (200) in plain words with an example and the operator's contact.

The sender is used only to find its pending choice (service/conversations.py keeps a salted
hash); it is never recorded in the ledger or the logs. Each request is metered and recorded
under /v1/text; its planning runs in the routing threads like a plan.
"""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

import orjson
from aiohttp import web

from trajet.billing.accounting import Busy
from trajet.service.conversations import Conversations
from trajet.service.errors import QueryError
from trajet.service.text_answer import MAX_TEXT, TextChannel

from .handlers import busy
from .keys import BACKLOG, CONFIG, EXECUTOR, NETWORK, SETUP
from .middleware import METER
from .protocol import read_body
from .responses import error_response, json_response
from .signatures import unsigned_reason

CONVERSATIONS = web.AppKey("conversations", Conversations)
FORM = "application/x-www-form-urlencoded"
SENDER_FIELDS = ("From", "from", "msisdn", "sender")
BODY_FIELDS = ("Body", "body", "text", "message")
MAX_BODY_BYTES = 16 * 1024


def channel(request: web.Request) -> TextChannel:
    """The conversation on the request's network, with the senders' pending choices."""
    return TextChannel(request[NETWORK], request.app[CONVERSATIONS])


async def _reply(request: web.Request, text: str, sender: str, lang: str | None):
    app = request.app
    meter = request[METER]
    try:
        answer = await meter.in_thread(app[EXECUTOR], channel(request).reply, text, sender or "anonymous", lang,
                                       timeout=app[CONFIG].time_budget_s, backlog=app[BACKLOG])
        if app[CONFIG].metering:
            meter.work, meter.operators = answer.work or {}, answer.operators or []
        return answer
    except Busy:
        return None
    except asyncio.TimeoutError:
        raise web.HTTPServiceUnavailable(text=f"planning took longer than {app[CONFIG].time_budget_s} s") from None


async def text_get(request: web.Request) -> web.Response:
    q = request.query
    answer = await _reply(request, q.get("q", ""), q.get("sender", ""), q.get("lang") or None)
    return busy() if answer is None else json_response(request, answer.to_json())


async def text_post(request: web.Request) -> web.Response:
    raw = await read_body(request, MAX_BODY_BYTES, request.app[CONFIG].body_timeout_s)
    if request.content_type == FORM:
        return await _webhook(request, raw)
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise QueryError("the body is not JSON {\"text\": ...} nor a gateway's form (application/x-www-form-"
                         "urlencoded with From and Body)", "body") from None
    if not isinstance(body, dict):
        raise QueryError("the body must be a JSON object {\"text\", \"sender\"?, \"lang\"?}", "body")
    unknown = sorted(set(body) - {"text", "sender", "lang"})
    if unknown:
        raise QueryError(f"unknown field {unknown[0]!r}; the body takes text, sender and lang", unknown[0])
    for name in ("text", "sender", "lang"):
        if body.get(name) is not None and not isinstance(body[name], str):
            raise QueryError(f"{name} must be a string", name)
    answer = await _reply(request, body.get("text") or "", body.get("sender") or "", body.get("lang") or None)
    return busy() if answer is None else json_response(request, answer.to_json())


async def _webhook(request: web.Request, raw: bytes) -> web.Response:
    try:
        fields = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(raw), max_num_fields=200,
                           errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise QueryError("the form cannot be read (application/x-www-form-urlencoded, UTF-8)", "body") from None
    secrets = request.app[SETUP].webhook
    if secrets is not None:
        why = unsigned_reason(secrets, request.headers, str(request.url), raw, fields)
        if why is not None:
            return error_response(403, "bad_signature", why, "body")
    form: dict[str, list[str]] = {}
    for name, value in fields:
        form.setdefault(name, []).append(value)
    text = next((form[f][0] for f in BODY_FIELDS if form.get(f)), "")
    sender = next((form[f][0] for f in SENDER_FIELDS if form.get(f)), "")
    if not text.strip():
        raise QueryError("the form has no message text (Body)", "Body")
    if len(text) > MAX_TEXT:
        raise QueryError(f"the message is {len(text)} characters long; at most {MAX_TEXT}", "Body")
    answer = await _reply(request, text, sender, None)
    if answer is None:
        return busy()
    if "text/plain" in request.headers.get("Accept", ""):
        return web.Response(text=answer.reply, content_type="text/plain")
    xml = f'<?xml version="1.0" encoding="UTF-8"?><Response><Message>{escape(answer.reply)}</Message></Response>'
    return web.Response(text=xml, content_type="text/xml")
