"""POST /v1/admin/feeds: replace the feeds while serving (admin keys only).

- No body: the configured feeds are read again from their files (an operator replaced one
  on disk) and, when they changed, compiled and swapped in.
- A GTFS zip as the body, with `feed=NAME`: it replaces the feed called NAME. The upload is
  streamed to a file beside the compile cache (never held in memory), at most as large as
  the feed limits allow a feed to expand to.

The answer is 202 with the reload's status; the compile runs in another process and the
swap happens when it is ready (service/reload.py). GET /v1/feeds says how it ended, and
why when it failed; the old timetable serves meanwhile, and after a failure.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from pathlib import Path

from aiohttp import web

from trajet.service.errors import QueryError
from trajet.service.reload import ReloadError

from .keys import CONFIG, LIVE
from .middleware import KEY
from .protocol import BodyError
from .responses import error_response, json_response

CHUNK_BYTES = 1 << 20


def admin_refusal(request: web.Request) -> web.Response | None:
    """The 401/403 answer unless the request carries an admin key."""
    key = request.get(KEY)
    if key is None:
        return error_response(401, "key_required", "replacing feeds needs an admin key (X-Api-Key)", "X-Api-Key")
    if key.role != "admin":
        return error_response(403, "admin_only", "replacing feeds needs an admin key", "X-Api-Key")
    return None


async def _save_upload(request: web.Request, folder: Path, name: str, max_bytes: int, timeout_s: float) -> str:
    """Stream the body into folder/<digest>/<name>.zip (the feed keeps its name); its path."""
    folder.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    fd, part = tempfile.mkstemp(dir=folder, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            async with asyncio.timeout(timeout_s):
                async for chunk in request.content.iter_chunked(CHUNK_BYTES):
                    size += len(chunk)
                    if size > max_bytes:
                        raise BodyError(413, "body_too_large", f"the upload is larger than {max_bytes} bytes (the "
                                                               "feed limit max_total_bytes)")
                    digest.update(chunk)
                    out.write(chunk)
        if size == 0:
            raise QueryError("the body is empty: send the GTFS zip, or no feed parameter to reload the "
                             "configured feeds", "body")
        target = folder / digest.hexdigest()[:16] / f"{name}.zip"
        target.parent.mkdir(exist_ok=True)
        os.replace(part, target)
        return str(target)
    except TimeoutError:
        raise BodyError(408, "body_timeout", f"the upload did not arrive within {timeout_s:g} s") from None
    finally:
        Path(part).unlink(missing_ok=True)


async def reload_feeds(request: web.Request) -> web.Response:
    refusal = admin_refusal(request)
    if refusal is not None:
        return refusal
    live = request.app[LIVE]
    unknown = set(request.query) - {"feed"}
    if unknown:
        raise QueryError(f"unknown parameter {sorted(unknown)[0]!r}; this endpoint takes feed", sorted(unknown)[0])
    feed = request.query.get("feed")
    try:
        live.check(feed)  # refused before an upload is read
        if feed is None:
            if request.content_length or request.can_read_body:
                raise QueryError("a body needs feed=NAME, the feed it replaces", "feed")
            status = live.start("reload")
        else:
            path = await _save_upload(request, live.source.uploads, feed, live.source.limits.max_total_bytes,
                                      request.app[CONFIG].upload_timeout_s)
            status = live.start("upload", feed, path)  # refused if another started meanwhile
    except ReloadError as e:
        return error_response(409, "reload_refused", str(e))
    return json_response(request, {"reload": status}, status=202)
