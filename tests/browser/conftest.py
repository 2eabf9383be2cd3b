"""Browser tests: the real API (`trajet serve` in a subprocess, on the bundled feed, its clock
at 2022-02-22 08:00) and Debian's Chromium driven by Playwright's sync API.

One server and one browser for the whole package (`package` scope: both are closed as soon
as the browser tests end, so the rest of the suite runs without them); each test opens its
own context, which costs a few milliseconds. Playwright's own browser download is never
used: Chromium is the system's (`/usr/bin/chromium`, or $TRAJET_CHROMIUM), launched with
--no-sandbox since CI runs as root. The accessibility checks inject axe-core, which the
Makefile installs from npm into .cache/npm (or $TRAJET_AXE names axe.min.js).

What the machine lacks (Chromium, axe-core) fails the tests under CI (env CI set) and skips
them, with the reason, elsewhere. Screenshots go to $TRAJET_SCREENSHOTS (`make screenshots`:
docs/img) or else to a temporary folder.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from trajet.billing.ledger import Entry, SqliteLedger

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("TRAJET_CHROMIUM") or "/usr/bin/chromium")
AXE = Path(os.environ.get("TRAJET_AXE") or ROOT / ".cache/npm/node_modules/axe-core/axe.min.js")
NOW = "2022-02-22T08:00"
ADMIN_KEY = "browser-admin-key"
CLIENT_KEY = "browser-client-key"
READY_TIMEOUT_S = 600  # a clean clone compiles the feed, its streets and the kernels first
WIDTHS = {"phone": (360, 740), "desktop": (1280, 800)}

CONFIG = f"""
[ledger]
path = "{{ledger}}"
flush_seconds = 0.2

[access]
anonymous = true

[dashboard]
public = false

[[territories]]
name = "helsinki"
population = 674500
annual_journeys = 260000000
annual_budget_eur = 20000
feeds = ["helsinki"]

[[territories]]
name = "espoo"
population = 314000
annual_journeys = 55000000
feeds = ["helsinki"]

[[keys]]
key = "{ADMIN_KEY}"
owner = "helsinki"
owner_kind = "territory"
role = "admin"

[[keys]]
key = "{CLIENT_KEY}"
owner = "Reittiopas"
owner_kind = "app"
territory = "helsinki"
role = "client"
"""


def unavailable(reason: str) -> None:
    """Fail under CI, where every browser test must run; skip, saying why, elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: the browser tests must run)", pytrace=False)
    pytest.skip(reason)


def fill_ledger(path: Path) -> None:
    """Three days of known requests up to now, so the dashboard has plots and tables to show."""
    ledger = SqliteLedger(path, flush_seconds=0.01)
    now = time.time()
    for day in (2, 1, 0):
        ts = now - day * 86400 - 3600
        for endpoint, n in (("/v1/plan", 12 + 4 * day), ("/v1/stops/{stop_id}/departures", 6), ("/v1/places", 9)):
            for i in range(n):
                key, territory = ((ADMIN_KEY, "helsinki"), (CLIENT_KEY, "helsinki"), ("anonymous", "espoo"))[i % 3]
                ledger.record(Entry(endpoint, key, territory, 200, cpu_s=0.004, wall_s=0.01, n_bytes=4000,
                                    operators=[("HSL", "helsinki", 1.0, 12.0)], ts=ts + i))
    ledger.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, url: str, process: subprocess.Popen, log: Path):
        self.url, self.process, self.log = url, process, log

    def log_tail(self, n: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])


def wait_ready(server: Server) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"trajet serve exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(server.url + "/v1/ready", timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"trajet serve not ready after {READY_TIMEOUT_S} s:\n{server.log_tail()}")


@pytest.fixture(scope="package")
def server(tmp_path_factory):
    """`trajet serve` on a free port: the bundled feed and streets, TRAJET_NOW=2022-02-22T08:00,
    an admin key and a ledger of three known days in a temporary folder."""
    folder = tmp_path_factory.mktemp("server")
    fill_ledger(folder / "ledger.sqlite")
    config = folder / "trajet.toml"
    config.write_text(CONFIG.replace("{ledger}", str(folder / "ledger.sqlite")))
    port = free_port()
    log = folder / "serve.log"
    env = dict(os.environ, TRAJET_NOW=NOW)
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "trajet.cli", "serve", "--host", "127.0.0.1", "--port",
                                    str(port), "--config", str(config)], env=env, cwd=folder, stdout=out,
                                   stderr=subprocess.STDOUT)
    running = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        wait_ready(running)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="package")
def browser():
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is absent (make test installs Debian's chromium with apt-get)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as e:
        unavailable(f"playwright is not installed ({e}); make install installs the test extra")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def open_page(browser, server):
    """open_page(path, width="desktop"|"phone", **context options) -> a page at that width on the
    server, in its own context (closed after the test); a page answering 4xx or 5xx is opened too."""
    contexts = []

    def opened(path: str, width: str = "desktop", **options):
        w, h = WIDTHS[width]
        options.setdefault("bypass_csp", True)  # axe is injected into the page; a test may ask for the policy
        context = browser.new_context(viewport={"width": w, "height": h}, base_url=server.url, **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.answer = page.goto(path)
        return page

    yield opened
    for context in contexts:
        context.close()


@pytest.fixture(scope="package")
def axe() -> Path:
    if not AXE.exists():
        unavailable(f"axe-core is absent ({AXE}): make test installs it with npm, which this machine may lack")
    return AXE


def axe_violations(page, axe: Path) -> list[dict]:
    """The WCAG 2 A and AA violations axe-core finds on the page as it is now."""
    page.add_script_tag(path=str(axe))
    return page.evaluate("""async () => {
        const found = await axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa"]}});
        return found.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                          nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))}));
    }""")


def assert_accessible(page, axe: Path) -> None:
    violations = axe_violations(page, axe)
    assert not violations, f"axe-core (WCAG 2 A/AA) on {page.url}:\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}; at {', '.join(v['nodes'])}" for v in violations)


@pytest.fixture(scope="package")
def screenshots(tmp_path_factory) -> Path:
    given = os.environ.get("TRAJET_SCREENSHOTS")
    if not given:
        return tmp_path_factory.mktemp("screenshots")
    folder = Path(given) if Path(given).is_absolute() else ROOT / given
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def screenshot(page, folder: Path, name: str, full_page: bool = False) -> Path:
    """A PNG of the page (its viewport, or all of it) named name.png; returns its path."""
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    assert path.stat().st_size > 1000, f"{path} is nearly empty"
    return path
