"""Shared fixtures: a planner over tiny inline feeds, and the real feeds of ../shared."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest

from trajet.feeds.footpaths import WalkSettings
from trajet.router.query import QueryOptions
from trajet.service.itineraries import plan_json
from trajet.service.network import Network
from trajet.service.params import parse_time

from .inline_gtfs import write_feed

SHARED_FEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "feeds"


def shared_feed(name: str) -> Path:
    """A real feed of ../shared/feeds, or skip the test when the folder is absent."""
    path = SHARED_FEEDS / f"{name}.zip"
    if not path.exists():
        pytest.skip(f"{path} is absent: the real feeds of ../shared are not next to this checkout")
    return path


def describe(itinerary: dict) -> str:
    """'A 08:00 t1 C 08:20 / B 08:25 t2 D 08:40': one leg per slash, local HH:MM."""
    parts = []
    for leg in itinerary["legs"]:
        what = leg.get("tripId", "walk")
        parts.append(
            f"{leg['from']['stopId']} {leg['startTime'][11:16]} {what} {leg['to']['stopId']} {leg['endTime'][11:16]}"
        )
    return " / ".join(parts)


@pytest.fixture
def plan(tmp_path):
    """plan(trips, from, to, time, date=..., options=..., arrive_by=..., window_s=..., **write_feed kwargs)
    -> list of str.

    The stops of a scenario lie close together, so a journey on foot alone would answer
    most of them: it is left out (maxDirectTime 0) unless the test asks for it (direct=True).
    Walks are crow-fly (detour factor 1, so a scenario's distances are its walks) unless
    `walking` says otherwise."""

    def run(trips, frm, to, time, date="2024-03-12", options=QueryOptions(), full=False, direct=False,
            walking=WalkSettings(detour=1.0), arrive_by=False, window_s=0, **feed):
        if not direct:
            options = replace(options, max_direct_s=0)
        path = write_feed(tmp_path / "feed", trips, **feed)
        network = Network.open([path], cache_dir=tmp_path / "cache", walking=walking)
        body = plan_json(network, network.plan(frm, to, dt.date.fromisoformat(date), parse_time(time), options,
                                                window_s, arrive_by))
        return body if full else [describe(it) for it in body["itineraries"]]

    return run
