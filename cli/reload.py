"""`trajet reload`: replace the feeds of a running `trajet serve`, through its API
(POST /v1/admin/feeds), and wait until the new timetable serves or the reload fails."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from pathlib import Path

import click
import orjson

from .network import CommandError

POLL_S = 0.5


def _call(request: urllib.request.Request, timeout_s: float) -> dict:
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return orjson.loads(response.read())
    except urllib.error.HTTPError as e:
        try:
            message = orjson.loads(e.read())["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = e.reason
        raise CommandError(f"{request.full_url}: {e.code} {message}") from None
    except (urllib.error.URLError, OSError) as e:
        raise CommandError(f"{request.full_url}: {getattr(e, 'reason', e)}") from None


@click.command("reload")
@click.option("--server", default="http://127.0.0.1:8080", show_default=True, help="the running trajet serve")
@click.option("--key", envvar="TRAJET_ADMIN_KEY", default=None,
              help="an admin key of the server's configuration (or $TRAJET_ADMIN_KEY)")
@click.option("--upload", default=None, metavar="NAME=FILE.zip",
              help="replace the feed NAME by this GTFS zip (default: the configured feeds read again)")
@click.option("--timeout", default=1800.0, show_default=True, type=click.FloatRange(1), help="seconds to wait")
def reload_cmd(server, key, upload, timeout):
    """Replace the feeds of a running server; prints how the reload ended (exit 1 if it failed)."""
    url = server.rstrip("/") + "/v1/admin/feeds"
    headers = {"X-Api-Key": key} if key else {}
    data = None
    if upload:
        name, sep, path = upload.partition("=")
        if not sep or not name or not Path(path).is_file():
            raise CommandError(f"--upload {upload!r}: write NAME=FILE.zip, FILE an existing GTFS zip")
        url += "?feed=" + urllib.request.quote(name)
        data = Path(path).read_bytes()
        headers["Content-Type"] = "application/zip"
    status = _call(urllib.request.Request(url, data=data, headers=headers, method="POST"), timeout)["reload"]
    click.echo(f"reload of {', '.join(status['feeds'])} started", err=True)
    deadline = time.monotonic() + timeout
    feeds_url = server.rstrip("/") + "/v1/feeds"
    while status["state"] == "running":
        if time.monotonic() > deadline:
            raise CommandError(f"the reload still runs after {timeout:g} s; see {feeds_url}")
        time.sleep(POLL_S)
        status = _call(urllib.request.Request(feeds_url, headers=headers), timeout)["reload"]
    if status["state"] == "failed":
        click.echo(f"reload failed, the previous timetable keeps serving: {status['error']}", err=True)
        raise SystemExit(1)
    click.echo(f"serving timetable {status['timetable']} since {status['finished']}", err=True)

