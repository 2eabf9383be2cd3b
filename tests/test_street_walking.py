"""Walks on the streets of OpenStreetMap: the bundled Helsinki feed with its bundled extract
of central Helsinki, and Porto Alegre (poa-eptc + poa-trensurb + poa-osm.pbf).

Inside the extract, walks follow the streets (walkModel "street network"): their distance is
at least the crow-fly one, their geometry has the street's points and their steps say where
to turn; outside it (Kallio, north of the box) they are crow-fly times the detour factor.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from trajet.feeds.footpaths import CROW_FLY, STREETS
from trajet.feeds.geo import distance_m
from trajet.feeds.load import BUNDLED_FEED, BUNDLED_OSM
from trajet.router.query import QueryOptions
from trajet.service.itineraries import plan_json
from trajet.service.network import Network
from trajet.service.walking import BIKE, Mode

from .conftest import SHARED_FEEDS

SHARED = SHARED_FEEDS.parent

DAY = dt.date(2022, 2, 22)
KAIVOKATU, ESPLANADI = "60.1699,24.9384", "60.1675,24.9480"  # both inside the central Helsinki extract
KALLIO_A, KALLIO_B = "60.18285,24.94540", "60.18560,24.94880"  # north of it
KUMPULA = "1240118"  # Kumpula campus stop, far outside the extract


@pytest.fixture(scope="module")
def helsinki(tmp_path_factory):
    return Network.open([BUNDLED_FEED], cache_dir=tmp_path_factory.mktemp("cache"), osm=BUNDLED_OSM)


def body(network, frm, to, options=QueryOptions()):
    return plan_json(network, network.plan(frm, to, DAY, 8 * 3600, options))


def crow_fly(a: str, b: str) -> float:
    (lat1, lon1), (lat2, lon2) = ([float(x) for x in p.split(",")] for p in (a, b))
    return float(distance_m(lat1, lon1, lat2, lon2))


def test_a_walk_only_answer_follows_the_streets(helsinki):
    answer = body(helsinki, KAIVOKATU, ESPLANADI)
    walks = [it for it in answer["itineraries"] if [leg["mode"] for leg in it["legs"]] == ["WALK"]]
    [walk_only] = walks
    [leg] = walk_only["legs"]
    assert leg["walkModel"] == ["street network"] and answer["walking"]["models"]
    assert crow_fly(KAIVOKATU, ESPLANADI) <= leg["distance"] <= 2 * crow_fly(KAIVOKATU, ESPLANADI)
    assert leg["duration"] == math.ceil(leg["distance"] / 1.33) or abs(leg["duration"] - leg["distance"] / 1.33) < 2
    assert leg["legGeometry"]["length"] > 2  # the streets' points, not a straight line
    steps = leg["steps"]
    assert steps[0]["relativeDirection"] == "DEPART" and all(s["distance"] >= 0 for s in steps)
    assert abs(sum(s["distance"] for s in steps) - leg["distance"]) < 1.0
    assert any(not s["bogusName"] for s in steps)  # named streets among them


def test_outside_the_extract_walks_are_crow_fly(helsinki):
    answer = body(helsinki, KALLIO_A, KALLIO_B)
    [walk_only] = [it for it in answer["itineraries"] if len(it["legs"]) == 1]
    [leg] = walk_only["legs"]
    assert leg["walkModel"] == ["crow-fly"] and leg["steps"] == []
    assert leg["distance"] == pytest.approx(crow_fly(KALLIO_A, KALLIO_B) * 1.3, abs=0.2)


def test_the_walk_to_the_first_stop_is_on_the_streets(helsinki):
    answer = body(helsinki, KAIVOKATU, KUMPULA)
    first = answer["itineraries"][0]["legs"][0]
    assert first["mode"] == "WALK" and first["walkModel"] == ["street network"] and first["steps"]
    assert first["distance"] >= float(distance_m(60.1699, 24.9384, first["to"]["lat"], first["to"]["lon"])) - 1


def test_stops_inside_the_extract_have_street_footpaths(helsinki):
    net = helsinki.net
    model = np.asarray(net.footpath_model)
    assert helsinki.meta["stops_on_streets"] == helsinki.streets.n_stops_on_streets > 50
    assert (model & STREETS).any() and (model & CROW_FLY).any()
    streets = np.flatnonzero(model == STREETS)
    a, b = np.asarray(net.footpath_from)[streets], np.asarray(net.footpath_to)[streets]
    crow = distance_m(net.stop_lat[a], net.stop_lon[a], net.stop_lat[b], net.stop_lon[b])
    walked = np.asarray(net.footpath_walk_m)[streets]
    assert (walked >= np.floor(crow) - 1).all() and (walked <= 500).all()


def test_walks_on_the_streets_are_cached_with_the_timetable(helsinki, tmp_path):
    assert helsinki.meta["osm"]["name"] == BUNDLED_OSM.name and helsinki.meta["osm"]["n_street_edges"] > 0
    again = Network.open([BUNDLED_FEED], cache_dir=tmp_path, osm=BUNDLED_OSM)
    assert np.array_equal(again.net.footpath_to, helsinki.net.footpath_to)
    assert any(p.name.startswith("osm-") for p in tmp_path.iterdir())


def test_a_missing_osm_file_is_a_clear_error(tmp_path):
    from trajet.feeds.report import FeedError

    with pytest.raises(FeedError, match="no such OpenStreetMap file"):
        Network.open([BUNDLED_FEED], cache_dir=tmp_path, osm=tmp_path / "nowhere.pbf")
    garbage = tmp_path / "garbage.pbf"
    garbage.write_bytes(b"not a pbf at all")
    with pytest.raises(FeedError, match="garbage.pbf"):
        Network.open([BUNDLED_FEED], cache_dir=tmp_path, osm=garbage)


@pytest.mark.skipif(not (SHARED / "osm" / "poa-osm.pbf").exists(), reason="../shared/osm/poa-osm.pbf is absent")
def test_porto_alegre_walks_on_its_streets(tmp_path):
    feeds = [SHARED / "feeds" / "poa-eptc.zip", SHARED / "feeds" / "poa-trensurb.zip"]
    network = Network.open(feeds, cache_dir=tmp_path, osm=SHARED / "osm" / "poa-osm.pbf")
    assert 1000 < network.meta["stops_on_streets"] < len(network.net.stop_id)  # the extract covers part of the city
    model = np.asarray(network.net.footpath_model)
    assert (model == STREETS).sum() > 10000 and (model == CROW_FLY).sum() > 1000


# two points either side of a flight of steps near Kaisaniemi: 233 m up the steps, 336 m round them
ABOVE, BELOW = "60.1760183,24.9522302", "60.1752721,24.9524089"


def test_a_wheelchair_walk_goes_round_the_steps(helsinki):
    def only_walk(options):
        answer = body(helsinki, ABOVE, BELOW, options)
        return [it for it in answer["itineraries"] if len(it["legs"]) == 1][0]["legs"][0]

    walk, wheelchair = only_walk(QueryOptions()), only_walk(QueryOptions(wheelchair=True))
    assert any(s["kind"] == "steps" for s in walk["steps"])
    assert not any(s["kind"] == "steps" for s in wheelchair["steps"])
    assert wheelchair["distance"] > walk["distance"] + 50


def test_a_bike_rides_to_the_first_stop_at_its_speed(helsinki):
    answer = body(helsinki, KAIVOKATU, KUMPULA, QueryOptions(access_mode="BICYCLE"))
    first = answer["itineraries"][0]["legs"][0]
    assert first["mode"] == "BICYCLE" and first["walkModel"] == ["street network"]
    assert first["duration"] == pytest.approx(first["distance"] / 5.0, abs=2)
    direct = body(helsinki, KAIVOKATU, ESPLANADI, QueryOptions(direct_mode="BICYCLE"))
    [ride] = [it for it in direct["itineraries"] if len(it["legs"]) == 1]
    assert ride["legs"][0]["mode"] == "BICYCLE" and ride["duration"] < 300


def test_a_bike_ride_between_two_stops_is_a_bicycle_leg(helsinki):
    """Stop to stop (Kamppi's metro to Pasila's station, 4 km), the journey without transit by
    bike is told as the ride it is, timed and measured at the bike's speed."""
    answer = body(helsinki, "1000102", "1000004", QueryOptions(direct_mode="BICYCLE"))
    [ride] = [it for it in answer["itineraries"] if len(it["legs"]) == 1]
    leg = ride["legs"][0]
    assert leg["mode"] == "BICYCLE" and ride["transfers"] == 0
    assert leg["duration"] == pytest.approx(leg["distance"] / 5.0, rel=0.05)


def test_a_bike_at_the_destination_must_ride_on_board(helsinki):
    from trajet.service.errors import QueryError

    with pytest.raises(QueryError, match="bikeOnBoard") as error:
        helsinki.plan(KAIVOKATU, KUMPULA, DAY, 8 * 3600, QueryOptions(egress_mode="BICYCLE"))
    assert error.value.field == "egressMode"


def test_an_unwritable_cache_serves_the_streets_from_memory(tmp_path):
    from trajet.feeds.load import open_osm

    in_the_way = tmp_path / "cache"
    in_the_way.write_text("a file where the cache folder should be")
    data = open_osm(BUNDLED_OSM, cache_dir=in_the_way)
    assert len(data.streets.edge_to) > 0 and len(data.places.lat) > 0
    assert in_the_way.is_file()  # left as it was


def test_a_walk_longer_than_its_limit_is_none(helsinki):
    places = helsinki.places
    a, b = (60.1699, 24.9384), (60.1675, 24.9480)  # 600 m apart in a straight line
    assert places.walk_between(a, b, 60, QueryOptions()) is None  # 80 m at most in 60 s
    walk = places.walk_between(a, b, 1800, QueryOptions())
    assert walk is not None and walk.street is not None and walk.seconds <= 1800


def test_a_bike_reaches_a_stop_by_the_nearest_street_it_may_ride(helsinki):
    """Many central stops lie nearest to a footway, where a bike may not ride: a ride to them
    ends on the nearest cyclable street instead (the stop snapped per mode), as far as a ride
    between the two positions, not refused nor measured along the footway."""
    streets, net = helsinki.streets, helsinki.net
    flags = np.asarray(streets.graph.edge_flags)
    on_foot = np.flatnonzero(streets.stop_edge >= 0)
    beside_footways = on_foot[(flags[streets.stop_edge[on_foot]] & BIKE) == 0]
    assert len(beside_footways) > 10
    origin, limit_m = (60.1699, 24.9384), 3000.0  # Kaivokatu, inside the extract
    bike = Mode.of("BICYCLE", wheelchair=False)
    for reverse in (False, True):  # to the stops (access), from them (egress, the bike on board)
        rides = streets.stops_within(*origin, beside_footways, limit_m, bike, reverse=reverse)
        n_ridden = 0
        for stop in beside_footways:
            position = (float(net.stop_lat[stop]), float(net.stop_lon[stop]))
            ends = (position, origin) if reverse else (origin, position)
            ride = streets.walk(*ends, limit_m, bike)  # None: no ride within the limit (oneways, dead ends)
            expected = None if ride is None else pytest.approx(ride.metres, abs=0.5)
            assert rides.get(int(stop)) == expected, (net.stop_id[stop], reverse)
            n_ridden += ride is not None
        assert n_ridden > len(beside_footways) // 2
    # through the plan: bicycle access boards at such a stop, its leg ridden on the streets
    stop = int(beside_footways[0])
    walks, _ = helsinki.places.walks(origin, helsinki.day(DAY).router, QueryOptions(access_mode="BICYCLE"), -1,
                                     forward=True)
    assert stop in dict(walks)


def test_walks_drawn_once_are_kept_per_limit_and_mode(helsinki):
    """Streets.walk keeps the walks it drew (a leg between two stops is drawn for every journey
    that takes it): the same ends, limit and mode give the very same walk; another limit or
    mode is searched anew."""
    from trajet.service.walking import Mode

    streets = helsinki.streets
    ends = tuple(tuple(float(x) for x in p.split(",")) for p in (ABOVE, BELOW))
    on_foot, wheelchair = Mode.of("WALK", False), Mode.of("WALK", True)
    walk = streets.walk(*ends, 600.0, on_foot)
    assert walk is not None and streets.walk(*ends, 600.0, on_foot) is walk
    assert streets.walk(*ends, 100.0, on_foot) is None  # 233 m up the steps: beyond 100 m
    round_them = streets.walk(*ends, 600.0, wheelchair)
    assert round_them is not walk and round_them.metres > walk.metres + 50
