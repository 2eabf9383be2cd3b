"""The plan parameters of wheelchair and bike travel: parsed, checked (each error names its
field), echoed with their defaults, the same on the API, the command line and in OpenAPI;
and the kernel masks they turn into."""

from __future__ import annotations

import orjson
import pytest

from trajet.api.openapi import OPTION_TYPES, PARAMETER_TYPES, document
from trajet.cli.commands import QUERY_FLAGS, _flag
from trajet.router.query import (
    ALL_ACCESS,
    ALL_STOPS,
    DEFAULT_BIKE_SPEED_M_S,
    QueryOptions,
    access_mask,
    make_query,
    stop_mask,
)
from trajet.service.errors import QueryError
from trajet.service.params import PLAN_PARAMETERS, options_json, query_options

from .inline_gtfs import write_feed
from .test_cli import trajet

NEW = ("accessMode", "egressMode", "directMode", "bikeSpeed", "bikeOnBoard", "bikeUnknown", "wheelchair",
       "wheelchairUnknown")


def test_defaults():
    options = query_options({})
    assert (options.wheelchair, options.wheelchair_unknown, options.bike_on_board, options.bike_unknown) == (
        False, "allow", False, "exclude")
    assert (options.access_mode, options.egress_mode, options.direct_mode) == ("WALK", "WALK", "WALK")
    assert options.bike_speed_m_s == DEFAULT_BIKE_SPEED_M_S == 5.0
    assert options == QueryOptions()


def test_values_are_parsed():
    options = query_options({"wheelchair": "TRUE", "wheelchairUnknown": "Exclude", "bikeOnBoard": "true",
                             "bikeUnknown": "allow", "accessMode": "bicycle", "egressMode": "BICYCLE",
                             "directMode": "walk", "bikeSpeed": "4.5", "walkSpeed": "0.8"})
    assert options == QueryOptions(wheelchair=True, wheelchair_unknown="exclude", bike_on_board=True,
                                   bike_unknown="allow", access_mode="BICYCLE", egress_mode="BICYCLE",
                                   direct_mode="WALK", bike_speed_m_s=4.5, walk_speed_m_s=0.8)
    assert query_options({"wheelchair": "false", "bikeOnBoard": ""}) == QueryOptions()


@pytest.mark.parametrize(("field", "text", "message"), [
    ("wheelchair", "yes", "wheelchair 'yes' is not true or false"),
    ("bikeOnBoard", "1", "bikeOnBoard '1' is not true or false"),
    ("wheelchairUnknown", "maybe", "wheelchairUnknown 'maybe' is not one of allow, exclude"),
    ("bikeUnknown", "no", "bikeUnknown 'no' is not one of allow, exclude"),
    ("accessMode", "CAR", "accessMode 'CAR' is not one of WALK, BICYCLE"),
    ("egressMode", "BIKE", "egressMode 'BIKE' is not one of WALK, BICYCLE"),
    ("directMode", "TRANSIT", "directMode 'TRANSIT' is not one of WALK, BICYCLE"),
    ("bikeSpeed", "fast", "bikeSpeed 'fast' is not a number"),
    ("bikeSpeed", "30", "bikeSpeed 30.0 is out of range 1..12 m/s"),
    ("bikeSpeed", "nan", "bikeSpeed nan is out of range"),
    ("walkSpeed", "5", "walkSpeed 5.0 is out of range 0.3..3 m/s"),
])
def test_a_bad_value_names_its_field(field, text, message):
    with pytest.raises(QueryError) as e:
        query_options({field: text})
    assert e.value.field == field and message in str(e.value)


@pytest.mark.parametrize("other", ["maxTransferWalk", "maxPreTransitTime", "maxPostTransitTime"])
def test_max_walk_conflicts_with_the_walks_it_sets(other):
    """The API, the command line and batches alike (query_options checks PLAN_CONFLICTS)."""
    with pytest.raises(QueryError) as e:
        query_options({"maxWalk": "400", other: "300"})
    assert e.value.field == "maxWalk" and str(e.value).startswith(f"maxWalk and {other} conflict: ")
    assert query_options({"maxWalk": "400", other: ""}) == query_options({"maxWalk": "400"})  # empty: not given


def test_every_plan_conflict_is_described():
    from trajet.service.params import PLAN_CONFLICTS, describe

    assert PLAN_CONFLICTS and all(describe(c) for c in PLAN_CONFLICTS)


def test_the_options_are_echoed():
    echo = options_json(query_options({"wheelchair": "true", "bikeOnBoard": "true", "accessMode": "BICYCLE"}), 1.33)
    assert {k: echo[k] for k in NEW} == {
        "accessMode": "BICYCLE", "egressMode": "WALK", "directMode": "WALK", "bikeSpeed": 5.0, "bikeOnBoard": True,
        "bikeUnknown": "exclude", "wheelchair": True, "wheelchairUnknown": "allow"}
    assert set(OPTION_TYPES) <= set(echo)  # the response schema requires every one


def test_the_same_parameters_on_the_cli_and_in_openapi():
    flags = {opt for f in QUERY_FLAGS for opt in f(lambda: None).__click_params__[0].opts}
    spec = document()
    (plan,) = spec["paths"]["/v1/plan"].values()
    documented = {p["name"]: p for p in plan["parameters"]}
    for name in NEW:
        assert name in PLAN_PARAMETERS and _flag(name) in flags and name in documented
        assert documented[name]["schema"] == PARAMETER_TYPES[name]
    assert documented["wheelchair"]["schema"] == {"type": "boolean"}
    assert documented["accessMode"]["schema"] == {"enum": ["WALK", "BICYCLE"]}
    assert "allow" in PLAN_PARAMETERS["wheelchairUnknown"] and "5" in PLAN_PARAMETERS["bikeSpeed"]


@pytest.mark.parametrize("name", ["maxTransfers", "transferSlack", "maxTransferWalk", "maxPreTransitTime",
                                  "maxPostTransitTime", "maxDirectTime", "maxWalk", "walkSpeed", "bikeSpeed"])
def test_the_documented_range_is_the_one_taken(name):
    """OpenAPI's minimum and maximum of a plan parameter are accepted, a step beyond refused."""
    schema = PARAMETER_TYPES[name]
    step = 1 if schema["type"] == "integer" else 0.01
    for value in (schema["minimum"], schema["maximum"]):
        query_options({name: str(value)})
    for value in (schema["minimum"] - step, schema["maximum"] + step):
        with pytest.raises(QueryError, match="out of range") as refused:
            query_options({name: str(value)})
        assert refused.value.field == name


# --- the kernel masks ---------------------------------------------------------------------------
def classes(mask: int) -> set[tuple[int, int]]:
    """(wheelchair_accessible, bikes_allowed) pairs an access mask lets through."""
    return {(a // 3, a % 3) for a in range(9) if mask >> a & 1}


def test_the_access_mask():
    assert access_mask(QueryOptions()) == ALL_ACCESS == 511
    assert classes(access_mask(QueryOptions(wheelchair=True))) == {(w, b) for w in (0, 1) for b in (0, 1, 2)}
    assert classes(access_mask(QueryOptions(wheelchair=True, wheelchair_unknown="exclude"))) == {
        (1, b) for b in (0, 1, 2)}
    assert classes(access_mask(QueryOptions(bike_on_board=True))) == {(w, 1) for w in (0, 1, 2)}
    assert classes(access_mask(QueryOptions(bike_on_board=True, bike_unknown="allow", wheelchair=True))) == {
        (w, b) for w in (0, 1) for b in (0, 1)}


def test_the_stop_mask():
    """Bit w: stops of wheelchair_boarding w may be boarded and alighted at."""
    assert stop_mask(QueryOptions()) == stop_mask(QueryOptions(bike_on_board=True)) == ALL_STOPS == 0b111
    assert stop_mask(QueryOptions(wheelchair=True)) == 0b011
    assert stop_mask(QueryOptions(wheelchair=True, wheelchair_unknown="exclude")) == 0b010


def test_make_query_carries_the_masks_and_refuses_a_bad_unknown():
    q = make_query([(0, 0)], [(1, 0)], QueryOptions(wheelchair=True), 1.33)
    assert (q.access_mask, q.stop_mask) == (access_mask(QueryOptions(wheelchair=True)), 0b011)
    with pytest.raises(ValueError, match="wheelchair_unknown"):
        make_query([(0, 0)], [(1, 0)], QueryOptions(wheelchair=True, wheelchair_unknown="perhaps"), 1.33)


# --- the command line -----------------------------------------------------------------------------
def test_the_cli_takes_the_flags(tmp_path):
    """A wheelchair query by flag avoids the trip with steps; a bad value is one line naming the API field."""
    trips = {"step": "A 08:00, B 08:10", "low": "A 08:05, B 08:15"}
    feed = str(write_feed(tmp_path / "f", trips, files={
        "trips.txt": "route_id,service_id,trip_id,wheelchair_accessible\nRstep,ALL,step,2\nRlow,ALL,low,1\n"}))
    base = ["plan", "--feed", feed, "--from", "A", "--to", "B", "--date", "2024-03-12", "--time", "07:50",
            "--max-direct-time", "0", "--search-window", "0", "--json"]

    def trips_taken(*flags):
        body = orjson.loads(trajet(*base, *flags, tmp_path=tmp_path).stdout)
        return [leg["tripId"] for it in body["itineraries"] for leg in it["legs"]]

    assert trips_taken() == ["step"]
    assert trips_taken("--wheelchair", "true", "--bike-speed", "6") == ["low"]  # stops of unknown access allowed
    run = trajet(*base, "--wheelchair-unknown", "never", tmp_path=tmp_path, check=False)
    assert run.returncode == 2 and "wheelchairUnknown 'never' is not one of allow, exclude" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
