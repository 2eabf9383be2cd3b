"""Feeds replaced while serving (POST /v1/admin/feeds, SIGHUP, `trajet reload`): under a
continuous load of plans, a good upload swaps in and a broken one leaves the timetable
serving, with zero failed requests, every answer naming the feed version that served it;
admin keys only; uploads refused before they are read when a reload runs."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import zipfile

import aiohttp
import orjson
import pytest

from trajet.api.app import ServiceConfig, create_app
from trajet.api.metering import free_port, serving
from trajet.billing.config import load_config
from trajet.feeds.limits import FeedLimits
from trajet.service.clock import Clock
from trajet.service.reload import LiveNetwork, NetworkSource

from ..broken_feeds import zipped
from ..conftest import shared_feed

NOW = dt.datetime(2018, 6, 13, 7, 30)
PLAN = {"from": "70011", "to": "70171", "date": "2018-06-13", "time": "08:00", "searchWindow": "0"}
ADMIN, CLIENT = "admin-key-7f3a9c", "client-key-51b2"
CONFIG = f"""
[ledger]
path = "{{path}}"

[access]
anonymous = true

[[territories]]
name = "bay"
population = 7000000
annual_journeys = 100000000
feeds = ["caltrain", "bart"]

[[keys]]
key = "{ADMIN}"
owner = "bay"
owner_kind = "territory"
role = "admin"

[[keys]]
key = "{CLIENT}"
owner = "An app"
role = "client"
"""


def renamed_stop(source, target) -> None:
    """caltrain.zip with one stop renamed: another version of the feed."""
    with zipfile.ZipFile(source) as z:
        members = {n: z.read(n) for n in z.namelist()}
    members["stops.txt"] = members["stops.txt"].replace(b"22nd Street Caltrain", b"22nd Street")
    target.write_bytes(zipped(members))


@pytest.fixture
def feeds(tmp_path):
    """caltrain and bart copied where an operator keeps them (the configured paths)."""
    folder = tmp_path / "feeds"
    folder.mkdir()
    for name in ("caltrain", "bart"):
        shutil.copy(shared_feed(name), folder / f"{name}.zip")
    return folder


@pytest.fixture
def live(feeds, tmp_path):
    source = NetworkSource((str(feeds / "caltrain.zip"), str(feeds / "bart.zip")), cache_dir=str(tmp_path / "cache"))
    return LiveNetwork(source.open(Clock(NOW, frozen=True)), source)


@pytest.fixture
def setup(tmp_path):
    path = tmp_path / "trajet.toml"
    path.write_text(CONFIG.format(path=tmp_path / "ledger.sqlite"))
    return load_config(path, ["caltrain", "bart"])


def versions(body: dict) -> dict[str, str]:
    return {f["name"]: f["sha256"] for f in body["feeds"]}


async def _wait_reload(session, base) -> dict:
    for _ in range(600):
        async with session.get(f"{base}/v1/feeds") as r:
            status = (await r.json())["reload"]
        if status["state"] != "running":
            return status
        await asyncio.sleep(0.1)
    raise AssertionError("the reload did not end in 60 s")


async def test_swaps_under_load_with_no_failed_request(live, setup, feeds, tmp_path):
    good = tmp_path / "caltrain-new.zip"
    renamed_stop(feeds / "caltrain.zip", good)
    first = {name: f["sha256"] for name, f in zip(live.network.feed_names, live.network.meta["feeds"])}
    answers: list[tuple[float, int, dict]] = []
    stop = asyncio.Event()
    app = create_app(live, ServiceConfig(workers=2), setup)
    async with serving(app) as base, aiohttp.ClientSession() as session:
        async def client():
            while not stop.is_set():
                async with session.get(f"{base}/v1/plan", params=PLAN) as r:
                    answers.append((time.monotonic(), r.status, await r.json()))

        clients = [asyncio.create_task(client()) for _ in range(4)]
        admin = {"X-Api-Key": ADMIN}
        await asyncio.sleep(0.5)
        async with session.post(f"{base}/v1/admin/feeds", params={"feed": "caltrain"}, data=good.read_bytes(),
                                headers=admin) as r:
            assert r.status == 202, await r.text()
            assert (await r.json())["reload"]["state"] == "running"
        served = await _wait_reload(session, base)
        swapped_at = time.monotonic()
        assert served["state"] == "served", served
        await asyncio.sleep(0.5)
        async with session.post(f"{base}/v1/admin/feeds", params={"feed": "caltrain"}, data=b"not a zip at all",
                                headers=admin) as r:
            assert r.status == 202
        failed = await _wait_reload(session, base)
        await asyncio.sleep(0.5)
        stop.set()
        await asyncio.gather(*clients)
        async with session.get(f"{base}/v1/feeds") as r:
            listed = await r.json()
        async with session.get(f"{base}/metrics") as r:
            metrics = await r.text()

    assert [s for _, s, _ in answers if s != 200] == []
    assert len(answers) > 50
    seen = [versions(body) for _, _, body in answers]
    new_caltrain = listed["feeds"][0]["sha256"]
    assert new_caltrain != first["caltrain"] and listed["timetable"] == served["timetable"]
    assert all(v["bart"] == first["bart"] for v in seen)  # the other feed serves unchanged
    assert {v["caltrain"] for v in seen} == {first["caltrain"], new_caltrain}
    # after the swap, only the new version answers (requests started before it may end on the old one)
    late = [versions(body)["caltrain"] for at, _, body in answers if at > swapped_at + 0.3]
    assert late and set(late) == {new_caltrain}
    assert failed["state"] == "failed" and "caltrain.zip" in failed["error"] and "zip" in failed["error"]
    assert str(tmp_path) not in failed["error"]  # no path of this server in an answer
    assert listed["reload"]["state"] == "failed"
    assert "trajet_timetable_swaps 1.0" in metrics and "trajet_reload_failed 1.0" in metrics
    uploads = sorted(p.relative_to(tmp_path / "cache" / "uploads") for p in (tmp_path / "cache" / "uploads").rglob("*"))
    assert [p.name for p in uploads] == [new_caltrain[:16], "caltrain.zip"]  # the serving upload kept, the broken gone
    assert sorted(os.listdir(feeds)) == ["bart.zip", "caltrain.zip"]  # the operator's files untouched


async def test_admin_keys_only_and_one_reload_at_a_time(live, setup, aiohttp_client, feeds):
    client = await aiohttp_client(create_app(live, ServiceConfig(workers=1), setup))
    r = await client.post("/v1/admin/feeds")
    assert r.status == 401 and (await r.json())["error"]["code"] == "key_required"
    r = await client.post("/v1/admin/feeds", headers={"X-Api-Key": CLIENT})
    assert r.status == 403 and (await r.json())["error"]["code"] == "admin_only"
    admin = {"X-Api-Key": ADMIN}
    r = await client.post("/v1/admin/feeds", params={"feed": "muni"}, data=b"PK", headers=admin)
    assert r.status == 400 and "caltrain, bart" in (await r.json())["error"]["message"]
    r = await client.post("/v1/admin/feeds", params={"feeds": "caltrain"}, headers=admin)
    assert r.status == 400 and (await r.json())["error"]["field"] == "feeds"
    r = await client.post("/v1/admin/feeds", params={"feed": "caltrain"}, headers=admin)
    assert r.status == 400 and (await r.json())["error"]["field"] == "body"
    live.source = dataclasses.replace(live.source, limits=FeedLimits(max_total_bytes=1000))
    r = await client.post("/v1/admin/feeds", params={"feed": "caltrain"}, data=b"PK" * 1000, headers=admin)
    assert r.status == 413 and "max_total_bytes" in (await r.json())["error"]["message"]
    assert not any(live.source.uploads.rglob("*"))  # the part written is gone
    live.source = dataclasses.replace(live.source, limits=FeedLimits())

    # the operator replaced caltrain on disk: a reload of the configured paths reads it again
    renamed_stop(feeds / "caltrain.zip", feeds / "caltrain.zip")
    r = await client.post("/v1/admin/feeds", headers=admin)
    assert r.status == 202
    r = await client.post("/v1/admin/feeds", params={"feed": "caltrain"}, data=b"PK" * 100, headers=admin)
    assert r.status == 409 and (await r.json())["error"]["code"] == "reload_refused"
    status = await live.wait()
    assert status["state"] == "served" and status["trigger"] == "reload"
    assert not (live.source.uploads).exists() or not any(live.source.uploads.rglob("*.zip"))
    r = await client.get("/v1/stops", params={"q": "22nd Street"})
    assert r.status == 200
    names = [s["name"] for s in (await r.json())["stops"]]
    assert "22nd Street" in names and "22nd Street Caltrain" not in names


def test_sighup_and_the_reload_command(feeds, tmp_path):
    """`trajet serve` reads its feeds again on SIGHUP; `trajet reload --upload` sends a zip and
    says how it ended (exit 1 for a broken feed, the old timetable serving)."""
    config = tmp_path / "trajet.toml"
    config.write_text(CONFIG.format(path=tmp_path / "ledger.sqlite"))
    port = free_port()
    env = {**os.environ, "TRAJET_CACHE": str(tmp_path / "cache"), "TRAJET_NOW": NOW.isoformat(timespec="minutes")}
    trajet = [sys.executable, "-m", "trajet.cli"]
    server = subprocess.Popen([*trajet, "serve", "--feed", str(feeds / "caltrain.zip"), "--feed",
                               str(feeds / "bart.zip"), "--port", str(port), "--config", str(config)],
                              env=env, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for line in server.stderr:
            if "serving" in line:
                break
        renamed_stop(feeds / "caltrain.zip", feeds / "caltrain.zip")
        server.send_signal(signal.SIGHUP)
        for _ in range(600):
            with urllib.request.urlopen(f"{base}/v1/feeds") as r:
                status = orjson.loads(r.read())["reload"]
            if status["state"] not in ("none", "running"):
                break
            time.sleep(0.1)
        assert status["state"] == "served" and status["trigger"] == "signal", status
        broken = tmp_path / "broken.zip"
        broken.write_bytes(b"PK\x03\x04 truncated")
        done = subprocess.run([*trajet, "reload", "--server", base, "--key", ADMIN, "--upload",
                               f"caltrain={broken}"], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 1, done.stderr
        assert "reload failed, the previous timetable keeps serving" in done.stderr
        assert "caltrain.zip" in done.stderr and "Traceback" not in done.stderr
        done = subprocess.run([*trajet, "reload", "--server", base, "--key", CLIENT], env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and "403" in done.stderr
    finally:
        server.terminate()
        server.wait(timeout=30)
