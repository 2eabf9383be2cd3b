"""Departure boards for a wheelchair user and a bike on board, on real feeds of ../shared:
helsinki (wheelchair_boarding and wheelchair_accessible filled: a few trips and many stops not
accessible), caltrain (bikes_allowed 1 on trains, blank on the Tamien - San Jose bus) and
bart (bikes_allowed 1 everywhere).

A restricted board is the unrestricted one (looking far enough ahead) without the platforms
and trips the traveller cannot take, in the same order; every row names its trip's GTFS
wheelchair_accessible and bikes_allowed as trips.txt gives them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

import pytest

from trajet.feeds.load import BUNDLED_FEED
from trajet.router.query import ALLOW, EXCLUDE, QueryOptions
from trajet.service.boards import departure_board
from trajet.service.network import Network

from .conftest import shared_feed

HELSINKI_DAY, BART_DAY = dt.date(2022, 2, 22), dt.date(2018, 6, 19)
CALTRAIN_DAY = dt.date(2018, 6, 23)  # a Saturday: the Tamien - San Jose bus runs on weekends
KAMPPI = "1000001"  # Kamppi bus terminal, a station: a few of its trips are not wheelchair accessible
PASILA = "1000004"  # Pasila bus station: trips not accessible, platforms accessible (1) or not (2)
HAKANIEMI = "1000012"  # Hakaniemi: platforms of wheelchair boarding 0, 1 and 2
SAN_JOSE_BUS = "777402"  # the Tamien - San Jose bus at San Jose Caltrain: bikes_allowed blank
SAN_FRANCISCO = "70012"  # Caltrain's San Francisco southbound platform: trains taking bikes
NAMES = {"wheelchair_accessible": ("NO_INFORMATION", "POSSIBLE", "NOT_POSSIBLE"),
         "bikes_allowed": ("NO_INFORMATION", "ALLOWED", "NOT_ALLOWED")}


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def helsinki(cache):
    return Network.open([BUNDLED_FEED], cache_dir=cache)


@pytest.fixture(scope="module")
def caltrain(cache):
    return Network.open([shared_feed("caltrain")], cache_dir=cache)


def feed_rows(path, name: str) -> dict[str, dict]:
    """A feed's trips.txt or stops.txt rows by their id, as published."""
    with zipfile.ZipFile(path) as z:
        rows = csv.DictReader(io.TextIOWrapper(z.open(f"{name}.txt"), "utf-8-sig"))
        return {r[f"{name[:-1]}_id"]: r for r in rows}


def named(row: dict, field: str) -> str:
    return NAMES[field][int(row.get(field) or 0)]


def board(network, stop_id, day, limit, **options) -> list[dict]:
    return departure_board(network, stop_id, day, 8 * 3600, limit, QueryOptions(**options))["departures"]


def test_every_row_names_its_trip_s_access_as_published(helsinki, caltrain):
    for network, path, stop_id, day in ((helsinki, BUNDLED_FEED, KAMPPI, HELSINKI_DAY),
                                        (caltrain, shared_feed("caltrain"), SAN_JOSE_BUS, CALTRAIN_DAY),
                                        (caltrain, shared_feed("caltrain"), SAN_FRANCISCO, CALTRAIN_DAY)):
        trips = feed_rows(path, "trips")
        rows = board(network, stop_id, day, 60)
        assert rows
        for row in rows:
            trip = trips[row["tripId"]]
            assert (row["wheelchairAccessible"], row["bikesAllowed"]) == (
                named(trip, "wheelchair_accessible"), named(trip, "bikes_allowed")), row


@pytest.mark.parametrize(("station", "unknown"), [(KAMPPI, ALLOW), (PASILA, ALLOW), (HAKANIEMI, ALLOW),
                                                  (HAKANIEMI, EXCLUDE)])
def test_a_wheelchair_board_leaves_out_inaccessible_trips_and_platforms(helsinki, station, unknown):
    # breaks when a trip that is not accessible (or a platform where boarding is not possible)
    # stays on the board, or when one the traveller can take is dropped or reordered
    stops = feed_rows(BUNDLED_FEED, "stops")
    every = board(helsinki, station, HELSINKI_DAY, 200)
    accepted = ("POSSIBLE", "NO_INFORMATION") if unknown == ALLOW else ("POSSIBLE",)

    def boarding(stop_id: str) -> str:  # a platform's blank is its station's
        own = stops[stop_id].get("wheelchair_boarding") or "0"
        parent = stops[stop_id].get("parent_station")
        return NAMES["wheelchair_accessible"][int(own if own != "0" or not parent else
                                                  stops[parent].get("wheelchair_boarding") or 0)]

    usable = [r for r in every if r["wheelchairAccessible"] in accepted and boarding(r["stopId"]) in accepted]
    assert len(usable) < len(every)  # the restriction leaves something out here
    limit = 30  # within the 200 unrestricted rows: the restricted board looks further ahead itself
    rows = board(helsinki, station, HELSINKI_DAY, limit, wheelchair=True, wheelchair_unknown=unknown)
    assert len(usable) >= limit and rows == usable[:limit]
    if station != HAKANIEMI:
        assert any(r["wheelchairAccessible"] == "NOT_POSSIBLE" for r in every)  # trips left out, not only platforms


def test_a_bike_board_keeps_the_trains_and_the_bus_only_when_unknown_is_allowed(caltrain):
    trains = board(caltrain, SAN_FRANCISCO, CALTRAIN_DAY, 10)
    assert trains and all(r["bikesAllowed"] == "ALLOWED" for r in trains)
    assert board(caltrain, SAN_FRANCISCO, CALTRAIN_DAY, 10, bike_on_board=True) == trains
    bus = board(caltrain, SAN_JOSE_BUS, CALTRAIN_DAY, 10)
    assert bus and all(r["bikesAllowed"] == "NO_INFORMATION" for r in bus)
    assert board(caltrain, SAN_JOSE_BUS, CALTRAIN_DAY, 10, bike_on_board=True) == []  # unknown: refused
    assert board(caltrain, SAN_JOSE_BUS, CALTRAIN_DAY, 10, bike_on_board=True, bike_unknown=ALLOW) == bus


def test_bart_takes_bikes_on_every_train(cache):
    bart = Network.open([shared_feed("bart")], cache_dir=cache)
    rows = board(bart, "MLBR", BART_DAY, 20)
    assert rows and all(r["bikesAllowed"] == "ALLOWED" for r in rows)
    assert board(bart, "MLBR", BART_DAY, 20, bike_on_board=True, wheelchair=True) == rows
