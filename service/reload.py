"""The network being served, and its replacement while serving.

`LiveNetwork.network` is the network answering requests; a request takes it once, when it
starts, and finishes on it whatever happens meanwhile. `LiveNetwork.reload` replaces it:

1. the feeds (the configured paths, with one of them replaced by an upload, or read again
   from disk) are validated and compiled into the compile cache by another process, so a
   feed that costs too much or crashes the compiler never touches the serving one;
2. this process opens the compiled folder (memory-mapped) and warms it up (today's day
   view, the kernels) in a thread;
3. one assignment swaps it in. The old network serves until then, and keeps serving the
   requests that started on it until they end.

A reload that fails at any step leaves the old network serving; `status` says why, and
/v1/feeds shows it. One reload runs at a time. Replacing one feed of a merged network
recompiles the whole network (the compile cache is per set of feeds), the others keep
serving unchanged until the swap.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from trajet.feeds import compiled as store
from trajet.feeds.footpaths import WalkSettings
from trajet.feeds.limits import FeedLimits
from trajet.feeds.load import feed_name, open_compiled, open_osm
from trajet.feeds.report import FeedError

from .clock import Clock
from .errors import QueryError
from .network import Network
from .plan import warm_up

log = logging.getLogger("trajet.reload")


@dataclasses.dataclass(frozen=True)
class NetworkSource:
    """What a network is opened from: its feeds, OpenStreetMap extract, walking settings,
    feed limits and compile cache."""

    paths: tuple[str, ...]
    osm: str | None = None
    walking: WalkSettings = WalkSettings()
    limits: FeedLimits = FeedLimits()
    cache_dir: str | None = None

    @property
    def names(self) -> list[str]:
        return [feed_name(p) for p in self.paths]

    def replacing(self, name: str, path: str) -> "NetworkSource":
        """The same source with the feed called `name` read from `path`."""
        return dataclasses.replace(self, paths=tuple(path if feed_name(p) == name else p for p in self.paths))

    def open(self, clock: Clock | None = None, progress: bool = False) -> Network:
        return Network.open(list(self.paths), self.cache_dir, progress, clock=clock, walking=self.walking,
                            osm=self.osm, limits=self.limits)

    @property
    def uploads(self) -> Path:
        """Where uploaded feeds are kept: beside the compile cache."""
        return Path(self.cache_dir or store.default_cache_dir()) / "uploads"


def compile_source(source: NetworkSource) -> tuple[str | None, float]:
    """In the compiling process: compile the source into the cache. Returns the error's
    message (None when it compiled) and the CPU seconds the process spent."""
    try:
        osm = open_osm(source.osm, source.cache_dir) if source.osm else None
        open_compiled(list(source.paths), source.cache_dir, False, source.walking, osm, source.limits)
        error = None
    except FeedError as e:
        error = str(e)
    except MemoryError:
        error = "compiling ran out of memory"
    return error, time.process_time()


class ReloadError(ValueError):
    """A reload that cannot start (one is running); the API answers 409."""


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class LiveNetwork:
    """The network being served (`network`), the source it was opened from, and the state of
    the last reload (`status`)."""

    def __init__(self, network: Network, source: NetworkSource | None = None, on_cpu=None):
        self.network = network
        self.source = source
        self.on_cpu = on_cpu or (lambda seconds, what: None)  # CPU spent for no request (the ledger's shared work)
        self.status: dict = {"state": "none"}  # no reload yet
        self._task: asyncio.Task | None = None
        self.n_swaps = 0

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self, trigger: str, feed: str | None = None, path: str | None = None) -> dict:
        """Start a reload in the background: the configured feeds read again, or with `feed`
        replaced by the upload at `path` (which this program wrote, and deletes when it fails).
        Returns the reload's status; raises what `check` raises."""
        try:
            self.check(feed)
        except (ReloadError, QueryError):
            self.discard(path)
            raise
        source = self.source.replacing(feed, path) if feed else self.source
        self.status = {"state": "running", "trigger": trigger, "feeds": [feed] if feed else self.source.names,
                       "requested": _now(), "finished": None, "error": None, "timetable": None}
        self._task = asyncio.get_running_loop().create_task(self._reload(source, path))
        return self.status

    def check(self, feed: str | None = None) -> None:
        """Raises ReloadError when a reload cannot start now, QueryError when `feed` is none
        of the network's."""
        if self.source is None:
            raise ReloadError("this network was not opened from files: it cannot be reloaded")
        if self.running:
            raise ReloadError(f"a reload started at {self.status['requested']} is running: retry when it ends")
        if feed is not None and feed not in self.source.names:
            raise QueryError(f"no feed named {feed!r}; this network's feeds are {', '.join(self.source.names)}",
                             "feed")

    def discard(self, upload: str | None) -> None:
        """Delete an upload (a file this program wrote, in a folder of its own) unless it serves."""
        if upload and upload not in self.source.paths:
            Path(upload).unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                Path(upload).parent.rmdir()

    async def wait(self) -> dict:
        """The status once the running reload (if any) ends."""
        if self._task is not None:
            await asyncio.shield(self._task)
        return self.status

    async def _reload(self, source: NetworkSource, upload: str | None) -> None:
        loop = asyncio.get_running_loop()
        old = self.source
        try:
            error, cpu_s = await _in_other_process(source)
            self.on_cpu(cpu_s, "reload: compiling process")
            if error is None:
                network = await loop.run_in_executor(None, self._open_warm, source)
        except (FeedError, OSError) as e:  # reading the cache back, or a feed changed meanwhile
            error = str(e)
        except Exception:  # a bug: the old network keeps serving, the log has the traceback
            log.exception("reloading %s failed", ", ".join(source.names))
            error = "internal error while opening the new timetable (the server's log has it)"
        if error is not None:
            self.status.update(state="failed", finished=_now(), error=_without_paths(error, source))
            log.warning("reload of %s failed, the previous timetable keeps serving: %s",
                        ", ".join(self.status["feeds"]), self.status["error"])
            self.discard(upload)
            return
        self.network, self.source = network, source
        self.n_swaps += 1
        self.status.update(state="served", finished=_now(), timetable=network.version)
        log.info("reload of %s: timetable %s serving", ", ".join(self.status["feeds"]), network.version)
        for path in set(old.paths) - set(source.paths):  # an upload replaced by another: ours to delete
            if Path(path).parent.parent == source.uploads:
                self.discard(path)

    def _open_warm(self, source: NetworkSource) -> Network:
        started = time.thread_time()
        network = source.open(self.network.clock)
        warm_up(network)
        today = network.now().date()
        if network.in_service_period(today):  # the day most requests ask for, built before the swap
            network.day(today)
        self.on_cpu(time.thread_time() - started, "reload: opening and warm-up")
        return network


async def _in_other_process(source: NetworkSource) -> tuple[str | None, float]:
    """compile_source in a fresh process (spawned: nothing of this one's threads, sockets or
    memory), gone when it returns."""
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    try:
        return await asyncio.get_running_loop().run_in_executor(pool, compile_source, source)
    except BrokenProcessPool:
        return "the compiling process died (out of memory, or killed)", 0.0
    finally:
        pool.shutdown(wait=False)


def _without_paths(message: str, source: NetworkSource) -> str:
    """A message with the feeds' folders left out (an upload's path is this server's business)."""
    for path in source.paths:
        folder = os.path.dirname(os.path.abspath(path))
        message = message.replace(folder + os.sep, "")
    return message
