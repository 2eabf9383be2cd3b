"""Which network a command opens: its feeds, OpenStreetMap extract and walking settings,
given as the same options to every command (`feed_option`)."""

from __future__ import annotations

import dataclasses
import functools
import sys
from typing import NamedTuple

import click

from trajet.feeds.footpaths import WalkSettings
from trajet.feeds.limits import FeedLimits
from trajet.feeds.load import BUNDLED_FEED, BUNDLED_OSM
from trajet.service.network import Network
from trajet.service.reload import NetworkSource


class CommandError(ValueError):
    """A bad input of a command; main prints it on one line and exits 2."""


class Source(NamedTuple):
    """Where a command's network comes from: its feeds, OpenStreetMap extract and walking settings."""

    feeds: tuple[str, ...]
    osm: str | None
    walking: WalkSettings
    limits: FeedLimits = FeedLimits()

    @property
    def paths(self) -> list[str]:
        return list(self.feeds) or [str(BUNDLED_FEED)]

    @property
    def osm_path(self) -> str | None:
        """--osm, else with the bundled feed the bundled extract of central Helsinki."""
        if self.osm:
            return self.osm
        return str(BUNDLED_OSM) if not self.feeds and BUNDLED_OSM.exists() else None


    def network_source(self) -> NetworkSource:
        return NetworkSource(tuple(self.paths), self.osm_path, self.walking, self.limits)


def open_network(source: Source) -> Network:
    return source.network_source().open(progress=sys.stderr.isatty())


WALK_DEFAULTS = WalkSettings()
NETWORK_FLAGS = [
    click.option("--feed", "feeds", multiple=True, metavar="FEED",
                 help="GTFS zip or folder; repeat to merge several (default: the bundled Helsinki feed)."),
    click.option("--osm", default=None, metavar="FILE.pbf",
                 help="OpenStreetMap extract: walks follow its streets, addresses are searched in it (default with "
                      "the bundled feed: the bundled central Helsinki extract; else none: walks are crow-fly)"),
    click.option("--footpath-radius", default=WALK_DEFAULTS.radius_m, show_default=True, type=int,
                 help="metres: longest walk compiled between two stops"),
    click.option("--detour", default=WALK_DEFAULTS.detour, show_default=True, type=float,
                 help="crow-fly metres x this = metres walked, where there are no streets"),
    click.option("--station-walk", default=WALK_DEFAULTS.station_walk_s, show_default=True, type=int,
                 help="seconds to change between two platforms of a station that pathways.txt and transfers.txt "
                      "do not time"),
    click.option("--feed-limit", "feed_limits", multiple=True, metavar="NAME=VALUE",
                 help="what compiling a feed may cost before it is refused (repeat): "
                      + ", ".join(f"{f.name} (default {f.default:g})" for f in dataclasses.fields(FeedLimits))),
]


def parse_limits(pairs) -> FeedLimits:
    try:
        return FeedLimits.parse(pairs)
    except ValueError as e:
        raise CommandError(f"--feed-limit: {e}") from None


def feed_option(f):
    """The options saying which network a command opens, passed to it as one `feeds` Source."""
    @functools.wraps(f)
    def command(*args, feeds, osm, footpath_radius, detour, station_walk, feed_limits, **kwargs):
        if not (50 <= footpath_radius <= 2000 and 1.0 <= detour <= 3.0 and 0 <= station_walk <= 1800):
            raise CommandError("--footpath-radius must be 50..2000 m, --detour 1..3, --station-walk 0..1800 s")
        walking = WalkSettings(radius_m=footpath_radius, detour=detour, station_walk_s=station_walk)
        return f(*args, feeds=Source(tuple(feeds), osm, walking, parse_limits(feed_limits)), **kwargs)

    for option in reversed(NETWORK_FLAGS):
        command = option(command)
    return command
