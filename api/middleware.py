"""The two middlewares every request passes, outermost first.

- `errors_and_ids`: the network the request is answered on (taken once: a reload never
  changes it under a request), the request id, CORS headers, the duration header and the
  Prometheus counts, for every answer (401 and 429 included); an exception that escapes
  becomes a JSON error, never a traceback.
- `accounting`: who asks (X-Api-Key: 401 unknown, 429 over the monthly quota), then the
  handler, then one ledger row with the request's status, bytes and CPU (billing.accounting).
"""

from __future__ import annotations

import math
import time
import uuid

from aiohttp import web

from trajet.billing.accounting import Meter, Quotas, RateLimits, seconds_to_next_month
from trajet.billing.config import ANONYMOUS, Config
from trajet.billing.ledger import Entry, Ledger
from trajet.service.reload import LiveNetwork

from .keys import NETWORK
from .metrics import Metrics
from .responses import endpoint_of, error_for, error_response

METER = web.RequestKey("meter", Meter)
KEY = web.RequestKey("key", object)  # the ApiKey of the request (None: anonymous)
REQUEST_ID = web.RequestKey("request_id", str)
# no key needed, or checked by the handler (the dashboard takes an admin key from the header or, for a browser, the
# query, or none when the configuration makes it public; the usage report is open); the traveller page, the
# departure boards and their static files are open too (their requests to the API carry the page's key, if any)
OPEN_ROUTES = frozenset({"/v1/health", "/v1/ready", "/metrics", "/openapi.json", "/dashboard", "/dashboard/data",
                         "/v1/reports/usage", "/", "/stop/{stop_id}", "/static/{name}"})  # by the route matched


def make_errors_and_ids(metrics: Metrics, live: LiveNetwork, cors_origins: tuple[str, ...] = ("*",)):
    any_origin = "*" in cors_origins

    @web.middleware
    async def errors_and_ids(request: web.Request, handler):
        request_id = request[REQUEST_ID] = request.headers.get("X-Request-Id") or uuid.uuid4().hex[:16]
        request[NETWORK] = live.network  # the request ends on it, whatever a reload swaps in meanwhile
        started = time.perf_counter()
        try:
            response = await handler(request)
        except Exception as e:
            response = error_for(request, e, request_id)
        response.headers["X-Request-Id"] = request_id
        if any_origin:
            response.headers["Access-Control-Allow-Origin"] = "*"
        else:  # named origins: the one asking, if it is one of them
            response.headers.add("Vary", "Origin")
            origin = request.headers.get("Origin")
            if origin in cors_origins:
                response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Headers"] = "X-Api-Key, X-Request-Id, Content-Type"
        response.headers["Access-Control-Expose-Headers"] = "X-Request-Id, X-Trajet-Cpu-Ms, X-Trajet-Cost-Eur"
        elapsed = time.perf_counter() - started
        response.headers["X-Trajet-Duration-Ms"] = f"{elapsed * 1000:.2f}"
        metrics.observe_request(endpoint_of(request), response.status, elapsed)
        return response

    return errors_and_ids


def make_accounting(setup: Config, ledger: Ledger, quotas: Quotas, rates: RateLimits | None = None):
    rates = rates or RateLimits()

    @web.middleware
    async def accounting(request: web.Request, handler):
        meter = request[METER] = Meter(ledger)
        text = request.headers.get("X-Api-Key")
        key = setup.find_key(text)
        try:
            if request.method == "OPTIONS":  # browsers' preflights carry no key
                response = web.Response(status=204)
            elif endpoint_of(request) in OPEN_ROUTES:
                response = await handler(request)
            elif text and key is None:
                response = error_response(401, "unknown_key", "unknown API key (X-Api-Key)", "X-Api-Key")
            elif key is None and not setup.allow_anonymous:
                response = error_response(401, "key_required", "this service needs an API key (X-Api-Key)", "X-Api-Key")
            elif key is not None and (wait := rates.take(key)) > 0:
                response = error_response(
                    429, "rate_limited", f"more than {key.rate_per_second:g} requests a second (bursts of "
                    f"{key.burst}) for this key: retry in {math.ceil(wait)} s", "X-Api-Key",
                    headers={"Retry-After": str(math.ceil(wait))})
            elif key is not None and not quotas.take(key):
                response = error_response(
                    429, "over_quota", f"monthly quota of {key.monthly_quota} requests used up for this key",
                    "X-Api-Key", headers={"Retry-After": str(seconds_to_next_month())})
            else:
                request[KEY] = key
                response = await handler(request)
        except Exception as e:  # answered here, so that the ledger records the status sent
            response = error_for(request, e, request[REQUEST_ID])
        meter.finish(Entry(
            endpoint=endpoint_of(request),
            api_key=key.key if key else (ANONYMOUS if not text else "unknown"),
            territory=key.territory if key else setup.default_territory,
            status=response.status,
            cpu_s=0.0,
            wall_s=0.0,
            n_bytes=len(response.body) if isinstance(response.body, (bytes, bytearray)) else 0,
        ))
        return response

    return accounting
