"""Schemathesis fuzzes every operation of the OpenAPI document on a live server.

The app is served as `trajet serve` serves it (metered, on a loopback port, from an event
loop in a thread of its own) on the bundled Helsinki feed and streets, with the clock
frozen on the feed's day, an admin key and a ledger, so that plans find journeys and the
reports have rows. Every answer must be no server error, and what the document says: a
documented status, its content type and its schema, errors included (each error is
{"error": {code, message, field}}; /metrics is text, the pages HTML, the reports CSV too).

The operations are read from document() when the tests are collected, before the server
runs (schemathesis.pytest.from_fixture, which would fetch them from the server, fails under
pytest 9: it sets the Node._nodeid pytest no longer has); a test checks that the server's
/openapi.json is that very document.

TRAJET_FUZZ_EXAMPLES sets the examples of each operation's fuzzing phase. Unset (`make
test`): 20, derandomized, so that a run is reproducible. Set (`make fuzz`: 250): that many
from a random seed, after the coverage phase (each parameter's boundary and wrong values,
missing ones, other methods). The number of requests sent is written at the end.

What the fuzz does not reach: a pageCursor is only valid as an earlier answer gave it, and a
numbered reply to /v1/text ("2") picks among the choices its sender was last given; the
document declares no links between operations, so both are drawn at random (refused, or
answered as no pending choice). tests/api/test_paging.py and test_text.py follow them.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import threading
from collections import Counter

import pytest
import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis import Config
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from trajet.api.app import create_app
from trajet.api.metering import serving
from trajet.api.openapi import document
from trajet.billing.config import load_config
from trajet.billing.ledger import SqliteLedger
from trajet.service.clock import Clock
from trajet.service.params import PLAN_CONFLICTS

from .test_accounting import ADMIN, CONFIG

FULL = "TRAJET_FUZZ_EXAMPLES" in os.environ  # `make fuzz`
EXAMPLES = int(os.environ.get("TRAJET_FUZZ_EXAMPLES", "20"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
FEED_DAY = dt.datetime(2022, 2, 22, 8, 0)  # the bundled feed's one service day, 08:00
ADMIN_KEY = ADMIN["X-Api-Key"]  # the admin key of the accounting tests' configuration
MAX_WALK_SETS = {conflict.second for conflict in PLAN_CONFLICTS}  # the walks maxWalk, the former limit, sets

# Schemathesis's configuration (a schemathesis.toml): every request with the admin key, so
# that the admin-only reports answer; about half the values of the parameters that name a
# place, a day, a time, a text or a file drawn from real ones of the bundled feed, and the
# calendar's first and last days, so that journeys are found and edges tried (random stop
# ids and dates would all answer 400 or no service)
TODAY = dt.datetime.now(dt.timezone.utc).date()  # the ledger's day: requests are recorded in real time
SCHEMATHESIS = f"""
headers = {{ X-Api-Key = "{ADMIN_KEY}" }}

[generation]
max-examples = {EXAMPLES}
deterministic = {str(not FULL).lower()}
database = "none"

[phases.coverage]
enabled = {str(FULL).lower()}

[dictionaries.places]
values = ["1020453", "1240118", "1000004", "60.1710,24.9414", "60.2035,24.9600", "60.1699,24.9384", "0,0",
          "90,180"]
[dictionaries.stops]
values = ["1020453", "1240118", "1000004", "1020455"]
[dictionaries.points]
values = ["60.1710,24.9414", "60.2035,24.9600", "60.1699,24.9384", "-90,-180"]
[dictionaries.days]
values = ["2022-02-22", "2022-02-23", "{TODAY}", "0001-01-01", "9999-12-31"]
[dictionaries.times]
values = ["08:00", "07:30:15", "23:50", "00:00", "25:10", "47:59:59"]
[dictionaries.boxes]
values = ["24.93,60.165,24.95,60.175", "24.94,60.17,24.941,60.171", "24.95,60.175,24.93,60.165"]
[dictionaries.names]
values = ["kumpula", "Kamppi", "mannerheimintie 5", "rautatientori", "Pasila", "ä"]
[dictionaries.questions]
values = ["de Kamppi à Pasila à 8h", "from Kamppi to Pasila at 8:00", "next departures from Kumpula",
          "de Kamppi à Kamppi", "2"]
[dictionaries.modes]
values = ["BUS", "TRAM,SUBWAY", "rail", ""]
[dictionaries.nothing]
values = [""]
[dictionaries.files]
values = ["page.js", "page.css"]

[parameters]
"query.from" = {{ dictionary = "places", probability = 0.5 }}
"query.to" = {{ dictionary = "places", probability = 0.5 }}
"query.date" = {{ dictionary = "days", probability = 0.5 }}
"query.since" = {{ dictionary = "days", probability = 0.5 }}
"query.until" = {{ dictionary = "days", probability = 0.5 }}
"query.time" = {{ dictionary = "times", probability = 0.5 }}
"query.near" = {{ dictionary = "points", probability = 0.5 }}
"query.point" = {{ dictionary = "points", probability = 0.5 }}
"query.bbox" = {{ dictionary = "boxes", probability = 0.5 }}
"query.modes" = {{ dictionary = "modes", probability = 0.5 }}
"query.excludeModes" = {{ dictionary = "modes", probability = 0.5 }}
"query.pageCursor" = {{ dictionary = "nothing", probability = 0.8 }}
"query.q" = {{ dictionary = "names", probability = 0.5 }}
"path.stopId" = {{ dictionary = "stops", probability = 0.5 }}
"path.name" = {{ dictionary = "files", probability = 0.5 }}
"body.origins[*]" = {{ dictionary = "places", probability = 0.5 }}
"body.destinations[*]" = {{ dictionary = "places", probability = 0.5 }}
"body.date" = {{ dictionary = "days", probability = 0.5 }}
"body.time" = {{ dictionary = "times", probability = 0.5 }}
"body.text" = {{ dictionary = "questions", probability = 0.5 }}
"""

# a feed upload's body (POST /v1/admin/feeds): small bytes, some of them zip-like; the server
# here serves a network with no files behind it, so an admin's reload is refused (409)
# before anything is compiled; tests/api/test_reload.py uploads real feeds
schemathesis.openapi.media_type("application/zip", st.binary(max_size=512) | st.sampled_from(
    [b"", b"PK\x03\x04", b"PK\x05\x06" + bytes(18), b"not a zip"]))
schema = schemathesis.openapi.from_dict(document(), config=Config.from_str(SCHEMATHESIS))


@schema.hook
def flatmap_query(context, query):
    """Half the queries giving maxWalk beside a walk it sets (a conflict: 400) without it, so
    that the plan's options are tried past that refusal too."""
    if not query or "maxWalk" not in query or not MAX_WALK_SETS & set(query):
        return st.just(query)
    return st.sampled_from([query, {name: value for name, value in query.items() if name != "maxWalk"}])


@pytest.fixture(scope="module")
def live_url(network, tmp_path_factory):
    """The base URL of the app served from an event loop in a thread of its own; the ledger
    closed by the app's cleanup, as `trajet serve` closes it, while that loop still runs."""
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "trajet.toml").write_text(CONFIG.format(path=folder / "ledger.sqlite", anonymous="true"))
    setup = load_config(folder / "trajet.toml", network.feed_names)
    ledger = SqliteLedger(setup.ledger_path, setup.batch_size, setup.flush_seconds)
    app = create_app(network, setup=setup, ledger=ledger)

    async def close_ledger(app):
        ledger.close()

    app.on_cleanup.append(close_ledger)
    clock, network.clock = network.clock, Clock(FEED_DAY, frozen=True)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fuzzed-server", daemon=True)
    thread.start()

    def run(coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=120)

    served = contextlib.AsyncExitStack()
    try:
        yield run(served.enter_async_context(serving(app)))
    finally:
        run(served.aclose())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()
        network.clock = clock


@pytest.fixture(scope="module")
def sent(request):
    """The requests sent, by operation and status; their count written once all are answered."""
    counts = Counter()
    yield counts
    statuses = Counter()
    for (_, status), n in counts.items():
        statuses[status] += n
    plugins = request.config.pluginmanager
    with plugins.get_plugin("capturemanager").global_and_fixture_disabled():
        reporter = plugins.get_plugin("terminalreporter")
        reporter.write("\n")  # after the progress dots
        reporter.write_line(f"fuzz: {counts.total()} requests to {len({op for op, _ in counts})} operations "
                            f"({', '.join(f'{n} x {status}' for status, n in sorted(statuses.items()))})")


def test_the_served_document_is_the_one_fuzzed(live_url):
    assert requests.get(f"{live_url}/openapi.json", timeout=30).json() == schema.raw_schema


@schema.parametrize()
def test_every_answer_follows_the_document(case, live_url, sent):
    response = case.call(base_url=live_url)
    sent[case.operation.label, response.status_code] += 1
    case.validate_response(response, checks=CHECKS)
