"""One clock: every default "now" reads it, and TRAJET_NOW sets it.

Tests and demonstrations on an old feed set the day the clock starts at; it then runs. The
plan and board defaults, the command line and the API all read it, and the API says which
clock it runs on (/v1/ready).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from zoneinfo import ZoneInfo

import orjson
import pytest

from trajet.service.clock import Clock
from trajet.service.network import Network
from trajet.service.params import when

from .inline_gtfs import write_feed

TRIPS = {"t1": "A 08:00, B 08:10", "t2": "B 08:20, C 08:40"}
HELSINKI = ZoneInfo("Europe/Helsinki")


def test_a_set_clock_starts_there_and_runs():
    clock = Clock(dt.datetime(2022, 2, 22, 8, 0))
    first = clock.now(HELSINKI)
    assert first.replace(microsecond=0) == dt.datetime(2022, 2, 22, 8, 0, tzinfo=HELSINKI)
    time.sleep(0.05)
    assert clock.now(HELSINKI) > first
    frozen = Clock(dt.datetime(2022, 2, 22, 6, 0, tzinfo=dt.timezone.utc), frozen=True)
    assert frozen.now(HELSINKI) == dt.datetime(2022, 2, 22, 8, 0, tzinfo=HELSINKI)  # UTC+2 in February


def test_trajet_now_sets_the_clock_and_a_bad_one_is_named(monkeypatch):
    monkeypatch.setenv("TRAJET_NOW", "2024-03-12T07:50")
    assert Clock.from_env().now(HELSINKI).strftime("%Y-%m-%d %H:%M") == "2024-03-12 07:50"
    monkeypatch.setenv("TRAJET_NOW", "yesterday")
    with pytest.raises(ValueError, match="TRAJET_NOW='yesterday' is not an ISO 8601 date-time"):
        Clock.from_env()
    monkeypatch.delenv("TRAJET_NOW")
    assert Clock.from_env().start is None


def test_the_plan_defaults_read_the_network_clock(tmp_path):
    clock = Clock(dt.datetime(2024, 3, 12, 7, 50), frozen=True)
    network = Network.open([write_feed(tmp_path / "f", TRIPS)], cache_dir=tmp_path / "cache", clock=clock)
    assert when(network, None, None) == (dt.date(2024, 3, 12), 7 * 3600 + 50 * 60)
    assert when(network, "2024-03-13", None) == (dt.date(2024, 3, 13), 7 * 3600 + 50 * 60)
    assert when(network, None, "09:00") == (dt.date(2024, 3, 12), 9 * 3600)


def test_the_command_line_plans_from_trajet_now(tmp_path):
    env = dict(os.environ, TRAJET_CACHE=str(tmp_path / "cache"), TRAJET_NOW="2024-03-12T07:50")
    feed = write_feed(tmp_path / "f", TRIPS)
    run = subprocess.run([sys.executable, "-m", "trajet.cli", "plan", "--feed", str(feed), "--from", "A", "--to", "C",
                          "--json"], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    assert orjson.loads(run.stdout)["itineraries"][0]["startTime"] == "2024-03-12T08:00:00+02:00"
    env["TRAJET_NOW"] = "soon"
    bad = subprocess.run([sys.executable, "-m", "trajet.cli", "plan", "--feed", str(feed), "--from", "A", "--to", "C"],
                         capture_output=True, text=True, env=env)
    assert bad.returncode == 2 and "TRAJET_NOW='soon'" in bad.stderr and "Traceback" not in bad.stderr


async def test_the_api_defaults_to_the_clock_and_says_which(aiohttp_client, tmp_path):
    from trajet.api.app import create_app

    clock = Clock(dt.datetime(2024, 3, 12, 7, 50), frozen=True)
    network = Network.open([write_feed(tmp_path / "f", TRIPS)], cache_dir=tmp_path / "cache", clock=clock)
    client = await aiohttp_client(create_app(network))
    body = await (await client.get("/v1/plan", params={"from": "A", "to": "C"})).json()
    assert (body["date"], body["time"]) == ("2024-03-12", "07:50:00")
    assert body["itineraries"][0]["startTime"] == "2024-03-12T08:00:00+02:00"
    board = await (await client.get("/v1/stops/B/departures")).json()
    assert board["departures"][0]["time"] == "2024-03-12T08:20:00+02:00"
    ready = await (await client.get("/v1/ready")).json()
    assert ready["clock"] == "frozen at 2024-03-12T07:50:00 (set by the caller)"
