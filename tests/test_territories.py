"""Door to door on the real territories of ../shared/feeds/README.md: walking between stops of
different feeds, checked against the compiled footpaths and the connection-scan reference.

- Bay Area (caltrain + bart): Caltrain and BART share no stop id and no transfers.txt row; a
  journey from Caltrain south of Millbrae to BART changes at Millbrae on a crow-fly footpath
  between caltrain:7006x and bart:MLBR, and cannot change there with maxTransferWalk=0.
- New York (subway + bus + LIRR + Metro-North): operator changes on foot (Metro-North ->
  subway at Grand Central, subway -> bus, LIRR -> subway at Penn Station); a station as
  origin stands for its platforms.
- RAPTOR against tests/reference.py with the default footpaths on the Bay Area, Porto Alegre
  (poa-eptc + poa-trensurb, crow-fly walks), Sao Paulo (spo) and New York's rail (subway +
  LIRR + Metro-North): the same earliest arrival per number of trips, valid journeys.
- Helsinki (the bundled feed): two close coordinates answered on foot alone.
- Sao Paulo on its streets (spo + ../osm/spo-osm.pbf): coordinate to coordinate by transit,
  the walks at both ends along named streets, and RAPTOR against the reference on the
  footpaths compiled on the streets.

Each territory is compiled once per module into a tmp folder (the four-feed New York region:
about 15 s and 1.5 GB here). Except for Sao Paulo on its streets, the walks here are crow-fly
times the detour factor, or a feed's transfer.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest

from trajet.feeds.footpaths import CROW_FLY, FEED_TIMED, MODEL_NAMES, STREETS
from trajet.feeds.load import BUNDLED_FEED
from trajet.router.query import QueryOptions
from trajet.service.itineraries import plan_json
from trajet.service.network import Network

from .conftest import describe, shared_feed
from .test_oracle import Feed, best_by_trips, describe_mismatch, fail_on, query_problems, random_queries

SHARED = Path(__file__).resolve().parents[1].parent / "shared"

BAY_AREA = "caltrain+bart"
NEW_YORK = "nyc-subway+nyc-bus+nyc-lirr+nyc-mnr"
NEW_YORK_RAIL = "nyc-subway+nyc-lirr+nyc-mnr"
PORTO_ALEGRE = "poa-eptc+poa-trensurb"
SAO_PAULO = "spo"
# service-date overlaps of the feeds of a territory (../shared/feeds/README.md)
OVERLAPS = {
    BAY_AREA: (dt.date(2018, 5, 26), dt.date(2019, 7, 1)),
    NEW_YORK: (dt.date(2026, 9, 21), dt.date(2026, 10, 31)),
    NEW_YORK_RAIL: (dt.date(2026, 9, 21), dt.date(2026, 10, 31)),
    PORTO_ALEGRE: (dt.date(2019, 4, 15), dt.date(2019, 7, 15)),
    SAO_PAULO: (dt.date(2008, 1, 1), dt.date(2020, 5, 1)),
}
BAY_DAY = dt.date(2018, 6, 19)  # a Tuesday: Caltrain and BART weekday services
NYC_DAY = dt.date(2026, 10, 6)  # a Tuesday of the four feeds' overlap
SLACK = QueryOptions().transfer_slack
SPEED = 1.33  # m/s, the compiled walking speed (WalkSettings default, checked below)
DETOUR = 1.3  # crow-fly metres -> walked metres (WalkSettings default, checked below)


# --- networks ------------------------------------------------------------------------------------
class Territories:
    """The territories' networks and reference planners, compiled once per module."""

    def __init__(self, cache_dir: Path):
        self.cache_dir = cache_dir
        self._feeds: dict[str, Feed] = {}

    def feed(self, name: str) -> Feed:
        """test_oracle's Feed (network, reference, busiest date) of a territory."""
        if name not in self._feeds:
            paths = [shared_feed(part) for part in name.split("+")]
            self._feeds[name] = Feed(name, Network.open(paths, cache_dir=self.cache_dir))
        return self._feeds[name]

    def network(self, name: str) -> Network:
        return self.feed(name).network


@pytest.fixture(scope="module")
def territories(tmp_path_factory) -> Territories:
    if not (SHARED / "feeds").is_dir():
        pytest.skip(f"{SHARED / 'feeds'} is absent: the real feeds of ../shared are not next to this checkout")
    return Territories(tmp_path_factory.mktemp("territories-compiled"))


# --- helpers -------------------------------------------------------------------------------------
def crow_fly_m(lat1, lon1, lat2, lon2) -> float:
    """Haversine metres (restated here, not feeds.geo)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6_371_000.0 * math.asin(math.sqrt(h))


def feed_of(stop_id: str) -> str:
    """The feed of a stop id of a merged network ("bart:MLBR" -> "bart"); "" for one feed's."""
    head, sep, _ = stop_id.partition(":")
    return head if sep else ""


def stop_index(network: Network, stop_id: str) -> int:
    return network.stops_of(stop_id)[-1]  # a stop, or a station itself, comes last


def compiled_footpath(network: Network, from_id: str, to_id: str) -> dict | None:
    """The compiled footpath from_id -> to_id, read straight from the arrays."""
    net = network.net
    a, b = stop_index(network, from_id), stop_index(network, to_id)
    hits = np.flatnonzero((np.asarray(net.footpath_from) == a) & (np.asarray(net.footpath_to) == b))
    if not len(hits):
        return None
    f = int(hits[0])
    return {"duration": int(net.footpath_duration[f]), "walk_m": int(net.footpath_walk_m[f]),
            "model": int(net.footpath_model[f])}


def walk_leg_problems(network: Network, leg: dict) -> list[str]:
    """A walk leg between two stops against the compiled footpath between them."""
    a, b = leg["from"].get("stopId"), leg["to"].get("stopId")
    if a is None or b is None:
        return []  # a walk to or from a coordinate: not a footpath
    fp = compiled_footpath(network, a, b)
    if fp is None:
        return [f"walk {a} -> {b}: no compiled footpath between them"]
    out = []
    if leg["duration"] != fp["duration"]:
        out.append(f"walk {a} -> {b} takes {leg['duration']} s, the compiled footpath {fp['duration']} s")
    names = [name for bit, name in MODEL_NAMES.items() if fp["model"] & bit]
    if leg["walkModel"] != names:
        out.append(f"walk {a} -> {b}: walkModel {leg['walkModel']}, the compiled footpath's models {names}")
    if fp["walk_m"] and leg["distance"] != fp["walk_m"]:
        out.append(f"walk {a} -> {b}: distance {leg['distance']} m, the compiled footpath walks {fp['walk_m']} m")
    if fp["model"] == CROW_FLY:  # restated: round(crow-fly x detour) metres, at the walking speed rounded up
        net = network.net
        i, j = stop_index(network, a), stop_index(network, b)
        walked = round(crow_fly_m(net.stop_lat[i], net.stop_lon[i], net.stop_lat[j], net.stop_lon[j]) * DETOUR)
        if abs(fp["walk_m"] - walked) > 1 or fp["duration"] != math.ceil(fp["walk_m"] / SPEED):
            out.append(f"walk {a} -> {b}: compiled {fp['walk_m']} m / {fp['duration']} s, crow-fly x {DETOUR} "
                       f"gives {walked} m / {math.ceil(walked / SPEED)} s")
    return out


def itinerary_problems(network: Network, itinerary: dict) -> list[str]:
    """Every walk leg between stops is its compiled footpath; a trip after a walk leaves no
    earlier than the walk (or the slack, for a walk the feed does not time) allows; the
    itinerary's walkDistance adds up its walks."""
    legs = itinerary["legs"]
    out = []
    for i, leg in enumerate(legs):
        if leg["mode"] != "WALK":
            continue
        out += walk_leg_problems(network, leg)
        if 0 < i < len(legs) - 1 and legs[i - 1]["mode"] != "WALK" and legs[i + 1]["mode"] != "WALK":
            fp = compiled_footpath(network, leg["from"]["stopId"], leg["to"]["stopId"]) or {"model": 0}
            need = leg["duration"] if fp["model"] & ~FEED_TIMED == 0 else max(leg["duration"], SLACK)
            arrive = dt.datetime.fromisoformat(legs[i - 1]["endTime"])
            leave = dt.datetime.fromisoformat(legs[i + 1]["startTime"])
            if (leave - arrive).total_seconds() < need:
                out.append(f"changes at {leg['from']['stopId']} -> {leg['to']['stopId']} in "
                           f"{(leave - arrive).total_seconds():.0f} s, under the {need} s the walk needs")
    walked = round(sum(leg["distance"] for leg in legs if leg["mode"] == "WALK"), 1)
    if abs(itinerary["walkDistance"] - walked) > 0.05:
        out.append(f"walkDistance {itinerary['walkDistance']} is not the sum of the walks, {walked}")
    return out


def cross_feed_walks(itinerary: dict) -> list[dict]:
    """The walk legs of an itinerary from a stop of one feed to a stop of another."""
    return [leg for leg in itinerary["legs"] if leg["mode"] == "WALK" and "stopId" in leg["from"]
            and "stopId" in leg["to"] and feed_of(leg["from"]["stopId"]) != feed_of(leg["to"]["stopId"])]


def untimed_cross_feed_footpaths(network: Network) -> list[str]:
    """Compiled footpaths between stops of two feeds that walk no metre (feed-timed only): a
    query with maxTransferWalk=0 could change operator on them."""
    net = network.net
    frm, to = np.asarray(net.footpath_from), np.asarray(net.footpath_to)
    feed_index = {name: i for i, name in enumerate(network.feed_names)}
    stop_feed = np.array([feed_index.get(feed_of(str(s)), 0) for s in net.stop_id])
    hits = np.flatnonzero((stop_feed[frm] != stop_feed[to]) & (np.asarray(net.footpath_walk_m) == 0))
    return [f"{net.stop_id[frm[f]]} -> {net.stop_id[to[f]]}" for f in hits[:10]]


def plan(network: Network, frm: str, to: str, date: dt.date, seconds: int, **options) -> dict:
    return plan_json(network, network.plan(frm, to, date, seconds, QueryOptions(**options)))


def first_arriving(body: dict) -> dict:
    """The itinerary arriving first (the one with the most trips in a Pareto set)."""
    assert body["itineraries"], f"no itinerary: {body['routingErrors']}"
    return min(body["itineraries"], key=lambda it: dt.datetime.fromisoformat(it["endTime"]))


def summary(body: dict) -> str:
    return "\n".join(describe(it) for it in body["itineraries"]) or f"no itinerary: {body['routingErrors']}"


def test_walking_settings_are_the_documented_defaults(territories):
    # breaks if the compiled walking speed, detour or radius change: the restated crow-fly
    # rule of walk_leg_problems (and this file's expectations) would need updating
    walking = plan_json(territories.network(BAY_AREA), territories.network(BAY_AREA).plan(
        "caltrain:70171", "bart:EMBR", BAY_DAY, 8 * 3600))["walking"]
    assert (walking["compiledSpeed"], walking["detourFactor"], walking["footpathRadius"]) == (SPEED, DETOUR, 500)


# --- 1. Bay Area: Caltrain -> BART at Millbrae on foot ----------------------------------------------
MILLBRAE_CALTRAIN = {"caltrain:70061", "caltrain:70062"}  # northbound and southbound platforms
MILLBRAE_BART = "bart:MLBR"


@pytest.mark.parametrize("frm, to, seconds", [
    ("caltrain:70171", "bart:EMBR", 8 * 3600),  # Palo Alto (northbound) -> Embarcadero
    ("caltrain:70171", "bart:SFIA", 8 * 3600),  # Palo Alto -> SFO: weekdays, BART via San Bruno
    ("bart:EMBR", "caltrain:70172", 17 * 3600),  # Embarcadero -> Palo Alto (southbound)
])
def test_bay_area_changes_at_millbrae_on_foot(territories, frm, to, seconds):
    # breaks when the two feeds' Millbrae stops are not joined by a footpath (merge, radius),
    # when the walk leg's duration, distance or walkModel is not the compiled footpath's,
    # when the next trip leaves before arrival + max(walk, slack), or when RAPTOR's earliest
    # arrival differs from the connection scan's with the same footpaths
    network = territories.network(BAY_AREA)
    body = plan(network, frm, to, BAY_DAY, seconds)
    best = first_arriving(body)
    walks = cross_feed_walks(best)
    assert len(walks) == 1, f"one change between the feeds on foot expected:\n{summary(body)}"
    ends = {walks[0]["from"]["stopId"], walks[0]["to"]["stopId"]}
    assert MILLBRAE_BART in ends and ends & MILLBRAE_CALTRAIN, f"not at Millbrae:\n{summary(body)}"
    assert walks[0]["walkModel"] == ["crow-fly"]  # no transfers.txt links the feeds, no streets yet
    assert 40 <= walks[0]["distance"] <= 80, walks[0]  # 44-54 m crow-fly, 57-70 m walked
    for it in body["itineraries"]:
        assert not itinerary_problems(network, it), (itinerary_problems(network, it), describe(it))
    # the same earliest arrival as the connection scan over the compiled footpaths
    reference = territories.feed(BAY_AREA).ref
    answer = reference.plan(frm, to, BAY_DAY, seconds, max_walk_m=QueryOptions().max_transfer_walk_m)
    arrival = dt.datetime.fromisoformat(best["endTime"]).timestamp()
    assert answer.pareto() and arrival == answer.origin + answer.pareto()[-1][1], (summary(body), answer.pareto())

    # with maxTransferWalk=0 the change at Millbrae is gone: the feeds link them by no
    # transfers.txt row (caltrain's is empty, bart's has none at MLBR), so there is no journey
    assert not untimed_cross_feed_footpaths(network), untimed_cross_feed_footpaths(network)
    body = plan(network, frm, to, BAY_DAY, seconds, max_transfer_walk_m=0)
    assert body["itineraries"] == [], summary(body)
    assert [(e["code"], e["inputField"]) for e in body["routingErrors"]] == [
        ("NO_TRANSIT_CONNECTION_WITHIN_LIMITS", "maxTransferWalk")]


# --- 2. New York: changing operator on foot -------------------------------------------------------
@pytest.mark.parametrize("frm, to, hubs", [
    # Metro-North White Plains -> subway Vernon Blvd-Jackson Av (7): change at Grand Central
    # (or Harlem-125 St) from Metro-North to a subway platform
    ("nyc-mnr:74", "nyc-subway:721", {"nyc-mnr:1", "nyc-mnr:4"}),
    # LIRR Albertson -> subway 34 St-Penn Station (8 Av, a station): from LIRR's Penn Station on foot
    ("nyc-lirr:1", "nyc-subway:A28", {"nyc-lirr:237"}),
    # subway 34 St-Penn Station (a station) -> a bus stop in Co-op City, far from any subway:
    # subway, then a bus of MTA New York City Transit or MTA Bus
    ("nyc-subway:A28", "nyc-bus:101723", None),
])
def test_new_york_changes_operator_on_foot(territories, frm, to, hubs):
    # breaks when the merged region joins its operators by no footpath (or by one that is not
    # the compiled walk: duration, distance, walkModel), when a change comes quicker than
    # its walk or the slack allows, or when maxTransferWalk=0 still changes operator
    network = territories.network(NEW_YORK)
    body = plan(network, frm, to, NYC_DAY, 8 * 3600)
    best = first_arriving(body)
    walks = cross_feed_walks(best)
    assert walks, f"no change of operator on foot:\n{summary(body)}"
    if hubs is not None:
        assert {w["from"]["stopId"] for w in walks} & hubs, f"not changing at {sorted(hubs)}:\n{summary(body)}"
    assert all(w["walkModel"] == ["crow-fly"] for w in walks), walks  # no feed links two operators
    for it in body["itineraries"]:
        assert not itinerary_problems(network, it), (itinerary_problems(network, it), describe(it))

    # the operators share no stop id and no transfers.txt row: without walking between stops
    # there is no way from one to the other
    assert not untimed_cross_feed_footpaths(network), untimed_cross_feed_footpaths(network)
    body = plan(network, frm, to, NYC_DAY, 8 * 3600, max_transfer_walk_m=0)
    assert not any(cross_feed_walks(it) for it in body["itineraries"]), summary(body)
    assert body["itineraries"] == [], summary(body)
    assert [(e["code"], e["inputField"]) for e in body["routingErrors"]] == [
        ("NO_TRANSIT_CONNECTION_WITHIN_LIMITS", "maxTransferWalk")]


# --- 3. RAPTOR against the connection scan, with walking, on real territories --------------------------
# territory -> seeded queries; each query walks at most 400 m (the default) or 150 m between
# stops, and every third starts at a rail station (Caltrain/BART, Trensurb, metro and rail).
REFERENCE_QUERIES = {BAY_AREA: 200, PORTO_ALEGRE: 150, SAO_PAULO: 150, NEW_YORK_RAIL: 150}
SEED = 20260921
WALKS = (400, 150)
RAIL_TYPES = (0, 1, 2, 5, 7, 12)  # GTFS route types: tram, subway, rail, cable tram, funicular, monorail


def rail_stops(feed: Feed) -> np.ndarray:
    """Stops served on feed.date by a route of a rail type (basic or extended 100-199, 400-499, 900-999)."""
    net = feed.net
    route_type = np.asarray(net.route_type)[np.asarray(net.pattern_route)]
    rail = np.isin(route_type, RAIL_TYPES) | np.isin(route_type // 100, (1, 4, 9))
    p_lo, stops = np.asarray(net.pattern_stop_offsets), np.asarray(net.pattern_stops)
    found = [stops[p_lo[p]:p_lo[p + 1]] for p in np.flatnonzero(rail)]
    return np.intersect1d(np.concatenate(found), feed.served) if found else np.zeros(0, np.int64)


@pytest.mark.parametrize("name", list(REFERENCE_QUERIES))
def test_raptor_agrees_with_the_reference_on_territories(territories, name):
    # breaks when RAPTOR's earliest arrival with <= k trips differs from the connection scan's
    # over the same compiled footpaths (walk limits 400 and 150 m), or a journey is invalid
    # (a walk that is no footpath under the limit, a change quicker than the walk or slack)
    feed = territories.feed(name)
    lo, hi = OVERLAPS[name]
    assert lo <= feed.date <= hi, f"[{name}] busiest day {feed.date} is outside the feeds' overlap {lo}..{hi}"
    stations = rail_stops(feed)
    assert len(stations), f"[{name}] no rail station served on {feed.date}"
    queries = random_queries(feed, REFERENCE_QUERIES[name], SEED, walks=WALKS, origins=stations)
    failures, n_reached, n_walking, n_cross = [], 0, 0, 0
    stop_ids = feed.net.stop_id
    for q in queries:
        problems, result, view, answer = query_problems(feed, q)
        n_reached += bool(answer.pareto())
        walks = [leg for j in result.journeys for leg in j.legs
                 if leg.kind == "walk" and leg.from_stop >= 0 and leg.to_stop >= 0]
        n_walking += bool(walks)
        n_cross += any(feed_of(str(stop_ids[w.from_stop])) != feed_of(str(stop_ids[w.to_stop])) for w in walks)
        if problems:
            failures.append(describe_mismatch(feed, q, result, view, answer, problems))
    print(f"\n[{name}] {feed.date}: {len(queries)} queries, {len(queries) - len(failures)} agree, {n_reached} reach "
          f"the destination, {n_walking} walk between stops, {n_cross} change feed on foot")
    fail_on(name, failures, len(queries))
    assert n_reached >= len(queries) // 3, f"[{name}] too few queries reach their destination to test much"
    assert n_walking >= len(queries) // 10, f"[{name}] too few journeys walk between stops to test walking"
    if "+" in name:
        assert n_cross, f"[{name}] no journey changes feed on foot: the territory is not tested as one"


# --- 4. a station as origin; a walk-only answer ---------------------------------------------------
def test_station_origin_stands_for_its_platforms(territories):
    # nyc-subway:A28 (34 St-Penn Station, 8 Av) is a station with platforms A28N and A28S;
    # nyc-subway:F01 (Jamaica-179 St) too. Breaks when a journey boards at the station's own
    # stop or leaves from elsewhere, ends elsewhere than a platform of F01, or when the
    # station does not give the best of its platforms (earliest arrival per number of trips)
    network = territories.network(NEW_YORK)
    origin, destination = "nyc-subway:A28", "nyc-subway:F01"
    platforms = {"nyc-subway:A28N", "nyc-subway:A28S"}
    assert {str(network.net.stop_id[s]) for s in network.stops_of(origin)} == platforms | {origin}
    seconds, options = 8 * 3600, QueryOptions(max_direct_s=0)
    answer = network.plan(origin, destination, NYC_DAY, seconds, options)
    body = plan_json(network, answer)
    assert body["itineraries"], body["routingErrors"]
    for it in body["itineraries"]:
        assert it["legs"][0]["from"]["stopId"] in platforms, describe(it)
        assert it["legs"][-1]["to"]["stopId"] in {"nyc-subway:F01N", "nyc-subway:F01S"}, describe(it)
        assert not itinerary_problems(network, it), (itinerary_problems(network, it), describe(it))
    max_trips = options.max_transfers + 1
    from_platforms = [best_by_trips(network.plan(p, destination, NYC_DAY, seconds, options).result, max_trips)
                      for p in sorted(platforms)]
    assert best_by_trips(answer.result, max_trips) == [min(k) for k in zip(*from_platforms)]


# Helsinki, Kallio: two points 359 m apart crow-fly, north of the bundled street extract's box
# (lat 60.1642-60.1791), so their walk stays crow-fly x detour when streets are wired.
HELSINKI_A, HELSINKI_B = (60.18285, 24.94540), (60.18560, 24.94880)
HELSINKI_DAY = dt.date(2022, 2, 22)


def test_walk_only_between_close_coordinates_in_helsinki(tmp_path):
    # breaks when the walk-only itinerary is missing, its distance or walkModel is not the
    # crow-fly x detour walk, its time is not that distance at the walking speed, or a transit
    # itinerary arriving no earlier than the walk is still offered beside it
    network = Network.open([BUNDLED_FEED], cache_dir=tmp_path)
    frm, to = ",".join(map(str, HELSINKI_A)), ",".join(map(str, HELSINKI_B))
    seconds = 8 * 3600
    body = plan(network, frm, to, HELSINKI_DAY, seconds)
    walk_only = [it for it in body["itineraries"] if all(leg["mode"] == "WALK" for leg in it["legs"])]
    assert len(walk_only) == 1, summary(body)
    walk = walk_only[0]
    (leg,) = walk["legs"]
    assert (leg["from"]["name"], leg["to"]["name"]) == ("Origin", "Destination")
    metres = crow_fly_m(*HELSINKI_A, *HELSINKI_B) * DETOUR
    assert leg["walkModel"] == ["crow-fly"], leg
    assert leg["distance"] == pytest.approx(metres, abs=0.1) and walk["walkDistance"] == leg["distance"]
    assert leg["duration"] == math.ceil(metres / SPEED) == walk["duration"] == walk["walkTime"]
    assert walk["transfers"] == 0 and walk["transitTime"] == 0
    assert "crow-fly" in body["walking"]["models"]
    end = dt.datetime.fromisoformat(walk["endTime"])
    transit = [it for it in body["itineraries"] if it is not walk]
    assert all(dt.datetime.fromisoformat(it["endTime"]) < end for it in transit), summary(body)
    # transit does connect the two points (a bus between stops near them), arriving later
    # than the walk: those itineraries are the ones left out
    without_walk = plan(network, frm, to, HELSINKI_DAY, seconds, max_direct_s=0)
    later = [it for it in without_walk["itineraries"] if dt.datetime.fromisoformat(it["endTime"]) >= end]
    assert later, f"no transit itinerary arrives after the walk, nothing was left out:\n{summary(without_walk)}"
    kept = [describe(it) for it in without_walk["itineraries"] if dt.datetime.fromisoformat(it["endTime"]) < end]
    assert [describe(it) for it in transit] == kept


# --- 5. Sao Paulo on its streets -------------------------------------------------------------------
SPO_OSM = SHARED / "osm" / "spo-osm.pbf"
SPO_DAY = dt.date(2019, 6, 4)  # a Tuesday; the feed runs every day of 2008-2020
# Sé (central Sao Paulo) and Brás, both inside spo-osm.pbf, 3.3 km apart: beyond a walk of
# maxDirectTime (1800 s at 1.33 m/s walks at most 2.4 km), so transit is needed
SPO_FROM, SPO_TO = (-23.55168, -46.63478), (-23.53180, -46.61186)
SPO_STREET_QUERIES = 60


@pytest.fixture(scope="module")
def sao_paulo_streets(territories) -> Feed:
    """spo compiled with its OpenStreetMap extract (the footpaths and the walks of a plan on
    the streets), with its reference planner."""
    if not SPO_OSM.exists():
        pytest.skip(f"{SPO_OSM} is absent: the OpenStreetMap extracts of ../shared are not next to this checkout")
    return Feed("spo+osm", Network.open([shared_feed(SAO_PAULO)], cache_dir=territories.cache_dir, osm=SPO_OSM))


def test_sao_paulo_plans_coordinate_to_coordinate_on_its_streets(sao_paulo_streets):
    # breaks when the walks to the first stop and from the last one leave the streets (a
    # straight line, no step, no street name), are shorter than the straight line between
    # their ends, or when a walk between stops is not its compiled (street) footpath
    network = sao_paulo_streets.network
    assert 100 < network.meta["stops_on_streets"] < len(network.net.stop_id)  # the extract covers part of the city
    frm, to = ",".join(map(str, SPO_FROM)), ",".join(map(str, SPO_TO))
    assert crow_fly_m(*SPO_FROM, *SPO_TO) > QueryOptions().max_direct_s * SPEED  # no walk-only answer
    body = plan(network, frm, to, SPO_DAY, 8 * 3600)
    assert body["itineraries"], body["routingErrors"]
    assert "street network" in body["walking"]["models"]
    for it in body["itineraries"]:
        legs = it["legs"]
        assert any(leg["mode"] not in ("WALK", "BICYCLE") for leg in legs), describe(it)
        assert (legs[0]["from"]["name"], legs[-1]["to"]["name"]) == ("Origin", "Destination"), describe(it)
        for leg in (legs[0], legs[-1]):
            assert leg["mode"] == "WALK" and leg["walkModel"] == ["street network"], leg
            assert leg["legGeometry"]["length"] > 2, leg  # the streets' points, not a straight line
            a, b = leg["from"], leg["to"]
            assert leg["distance"] >= crow_fly_m(a["lat"], a["lon"], b["lat"], b["lon"]) - 1, leg
            steps = leg["steps"]
            assert steps and steps[0]["relativeDirection"] == "DEPART", leg
            assert any(not s["bogusName"] and s["streetName"] for s in steps), steps  # named streets
            assert abs(sum(s["distance"] for s in steps) - leg["distance"]) < 1.0, leg
        assert not itinerary_problems(network, it), (itinerary_problems(network, it), describe(it))


def test_raptor_agrees_with_the_reference_on_sao_paulo_streets(sao_paulo_streets):
    # breaks when RAPTOR's earliest arrival with <= k trips differs from the connection scan's
    # over the footpaths compiled on the streets, or a journey is invalid
    feed = sao_paulo_streets
    model = np.asarray(feed.net.footpath_model)
    assert (model & STREETS).any() and (model & CROW_FLY).any()  # streets inside the extract, crow-fly outside
    streets = feed.network.streets
    on_streets = np.intersect1d(np.flatnonzero(streets.stop_edge >= 0), feed.served)
    queries = random_queries(feed, SPO_STREET_QUERIES, SEED, walks=WALKS, origins=on_streets)
    failures, n_reached, n_street_walks = [], 0, 0
    for q in queries:
        problems, result, view, answer = query_problems(feed, q)
        n_reached += bool(answer.pareto())
        paths = [view.router.footpath(leg.from_stop, leg.to_stop) for j in result.journeys for leg in j.legs
                 if leg.kind == "walk" and leg.from_stop >= 0 and leg.to_stop >= 0]
        n_street_walks += any(f >= 0 and model[f] & STREETS for f in paths)
        if problems:
            failures.append(describe_mismatch(feed, q, result, view, answer, problems))
    print(f"\n[spo on its streets] {feed.date}: {len(queries)} queries, {len(queries) - len(failures)} agree, "
          f"{n_reached} reach the destination, {n_street_walks} walk between stops on the streets")
    fail_on("spo on its streets", failures, len(queries))
    assert n_reached >= len(queries) // 3, "too few queries reach their destination to test much"
    assert n_street_walks >= 3, "too few journeys walk between stops on the streets to test them"
