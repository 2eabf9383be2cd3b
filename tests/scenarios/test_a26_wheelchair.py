"""A wheelchair user: accessible stops and trips only, unknown ones as the query says.

With `wheelchair`, a trip is ridden only if its wheelchair_accessible is 1, and a stop is
boarded or alighted at only if its wheelchair_boarding is 1 (a platform's 0 is its
station's); unknown (0, the field left blank) counts as accessible unless
`wheelchair_unknown` is "exclude". Without `wheelchair` none of it matters.

The trips of one route and stop sequence that differ in wheelchair_accessible are compiled
into separate patterns, so the router skips the inaccessible ones as a whole pattern and the
first-in-first-out boarding search finds the later accessible trip: one pattern holding
both would board the earlier trip, then drop the pattern or ride a trip it must not.
"""

import datetime as dt

import pytest

from trajet.router.query import EXCLUDE, QueryOptions
from trajet.service.network import Network

from ..inline_gtfs import write_feed

WHEELCHAIR = QueryOptions(wheelchair=True)
STRICT = QueryOptions(wheelchair=True, wheelchair_unknown=EXCLUDE)


def feed_files(trips: dict[str, tuple[str, int]], stops: dict[str, str]) -> dict[str, str]:
    """routes.txt (one route per trip name's letter) and trips.txt with wheelchair_accessible
    (trip -> (route, value; -1 blank)), and stops.txt (stop -> "lat,lon,wheelchair_boarding,
    location_type,parent_station")."""
    routes = sorted({route for route, _ in trips.values()})
    return {
        "routes.txt": "route_id,agency_id,route_short_name,route_long_name,route_type\n"
        + "".join(f"{r},A,{r},Route {r},3\n" for r in routes),
        "trips.txt": "route_id,service_id,trip_id,wheelchair_accessible\n"
        + "".join(f"{route},ALL,{t},{'' if w < 0 else w}\n" for t, (route, w) in trips.items()),
        "stops.txt": "stop_id,stop_name,stop_lat,stop_lon,wheelchair_boarding,location_type,parent_station\n"
        + "".join(f"{s},Stop {s},{row}\n" for s, row in stops.items()),
    }


# --- trips: the later accessible trip of the same route and stop sequence --------------------
FIFO_TRIPS = {
    "early": "A 07:50, B 08:10, C 08:20",  # accessible, gone at 07:55
    "step": "A 08:00, B 08:20, C 08:30",  # not accessible
    "blank": "A 08:05, B 08:25, C 08:35",  # unknown
    "low": "A 08:10, B 08:30, C 08:40",  # accessible
}
FIFO_FILES = feed_files(
    {"early": ("R", 1), "step": ("R", 2), "blank": ("R", -1), "low": ("R", 1)},
    {"A": "60.00,25.0,1,0,", "B": "60.01,25.0,1,0,", "C": "60.02,25.0,1,0,"},
)


@pytest.mark.parametrize(("options", "expected"), [
    (QueryOptions(), "A 08:00 step C 08:30"),  # without wheelchair the first trip
    (WHEELCHAIR, "A 08:05 blank C 08:35"),  # unknown allowed by default
    (STRICT, "A 08:10 low C 08:40"),  # unknown excluded: the later accessible trip
])
def test_the_later_accessible_trip_of_the_same_route(plan, options, expected):
    assert plan(FIFO_TRIPS, "A", "C", "07:55", files=FIFO_FILES, options=options) == [expected]


def test_boarding_on_the_way_finds_the_accessible_trip(plan):
    """From B (second stop) the boarding search starts mid-pattern: same answer."""
    assert plan(FIFO_TRIPS, "B", "C", "08:15", files=FIFO_FILES, options=STRICT) == ["B 08:30 low C 08:40"]
    assert plan(FIFO_TRIPS, "B", "C", "08:15", files=FIFO_FILES) == ["B 08:20 step C 08:30"]


def test_trips_differing_in_accessibility_get_their_own_patterns(tmp_path):
    network = Network.open([write_feed(tmp_path / "f", FIFO_TRIPS, files=FIFO_FILES)], cache_dir=tmp_path / "c")
    net = network.net
    pattern = {net.trip_id[t]: int(net.trip_pattern[t]) for t in range(net.n_trips)}
    assert pattern["early"] == pattern["low"] and len({pattern["early"], pattern["step"], pattern["blank"]}) == 3
    assert [int(net.pattern_wheelchair[pattern[t]]) for t in ("low", "step", "blank")] == [1, 2, 0]
    tt = network.day(dt.date(2024, 3, 12)).router.tt
    assert sorted(tt.pattern_access.tolist()) == [0, 3, 6]  # 3 * wheelchair + bikes (all bikes unknown)


# --- stops: no boarding nor alighting at an inaccessible one -----------------------------------
# X is inaccessible; P is a platform with unknown boarding in station S, which is inaccessible
# (P inherits it); U is unknown. Every trip is accessible.
STOP_TRIPS = {
    "a": "A 08:00, X 08:10, Y 08:20, U 08:25",
    "x": "X 08:15, Z 08:30",
    "y": "Y 08:25, Z 08:40",
    "p": "P 08:00, Z 08:20",
}
STOP_FILES = feed_files(
    {t: (f"R{t}", 1) for t in STOP_TRIPS},
    {"A": "60.00,25.0,1,0,", "X": "60.01,25.0,2,0,", "Y": "60.02,25.0,1,0,", "Z": "60.03,25.0,1,0,",
     "U": "60.04,25.0,,0,", "S": "60.05,25.0,2,1,", "P": "60.05,25.0,0,0,S"},
)


def test_no_change_at_an_inaccessible_stop(plan):
    """The change at X (alight from a, board x) is the quickest; a wheelchair user rides on
    to Y and changes there."""
    assert plan(STOP_TRIPS, "A", "Z", "07:55", files=STOP_FILES) == ["A 08:00 a X 08:10 / X 08:15 x Z 08:30"]
    assert plan(STOP_TRIPS, "A", "Z", "07:55", files=STOP_FILES, options=WHEELCHAIR) == [
        "A 08:00 a Y 08:20 / Y 08:25 y Z 08:40"]


def why_none(body: dict) -> list[tuple[str, str, str]]:
    """(code, inputField, description) of each routing error of an answer without itinerary."""
    assert body["itineraries"] == [], body["itineraries"]
    return [(e["code"], e["inputField"], e["description"]) for e in body["routingErrors"]]


@pytest.mark.parametrize(("frm", "to", "closed"), [
    ("A", "X", "alights at Stop X (X)"),  # the destination cannot be alighted at
    ("X", "Z", "boards at Stop X (X)"),  # the origin cannot be boarded at: a ride cannot start there either
    ("P", "Z", "boards at Stop P (P)"),  # a platform of unknown boarding in an inaccessible station
    ("S", "Z", "boards at Stop P (P)"),  # the station itself: its platform
])
def test_an_inaccessible_end_has_no_journey(plan, frm, to, closed):
    assert plan(STOP_TRIPS, frm, to, "07:55", files=STOP_FILES) != []
    body = plan(STOP_TRIPS, frm, to, "07:55", files=STOP_FILES, options=WHEELCHAIR, full=True)
    [(code, field, description)] = why_none(body)
    assert (code, field) == ("NO_TRANSIT_CONNECTION_WITHIN_LIMITS", "wheelchair")
    assert f"{closed}, where wheelchair boarding is not possible (wheelchair_boarding=2)" in description


def test_a_stop_of_unknown_boarding_follows_the_option(plan):
    assert plan(STOP_TRIPS, "A", "U", "07:55", files=STOP_FILES, options=WHEELCHAIR) == ["A 08:00 a U 08:25"]
    body = plan(STOP_TRIPS, "A", "U", "07:55", files=STOP_FILES, options=STRICT, full=True)
    [(code, field, description)] = why_none(body)
    assert (code, field) == ("NO_TRANSIT_CONNECTION_WITHIN_LIMITS", "wheelchairUnknown")
    assert "alights at Stop U (U), a stop of unknown wheelchair boarding" in description
    assert "wheelchairUnknown=exclude" in description and "Stop A" not in description  # A is accessible
    assert plan(STOP_TRIPS, "A", "Y", "07:55", files=STOP_FILES, options=STRICT) == ["A 08:00 a Y 08:20"]


# --- why there is no journey: the trips closed to a wheelchair ----------------------------------
@pytest.mark.parametrize(("trips", "options", "field", "closed"), [
    # only the inaccessible trip: the wheelchair itself closes it
    (["step"], WHEELCHAIR, "wheelchair", "rides trip step (route R, Stop A (A) -> Stop C (C)), which is not "
                                         "wheelchair accessible (wheelchair_accessible=2)"),
    # the trip of unknown access comes before the inaccessible one would: letting the unknown
    # in is enough, and the answer says so (wheelchairUnknown)
    (["step", "blank"], STRICT, "wheelchairUnknown", "rides trip blank (route R, Stop A (A) -> Stop C (C)), of "
                                                     "unknown wheelchair accessibility"),
])
def test_the_trip_a_wheelchair_cannot_ride_is_named(plan, trips, options, field, closed):
    files = feed_files({t: ("R", w) for t, w in {"step": 2, "blank": -1}.items() if t in trips},
                       {"A": "60.00,25.0,1,0,", "B": "60.01,25.0,1,0,", "C": "60.02,25.0,1,0,"})
    timetable = {t: FIFO_TRIPS[t] for t in trips}
    assert plan(timetable, "A", "C", "07:55", files=files) != []
    [(code, got_field, description)] = why_none(plan(timetable, "A", "C", "07:55", files=files, options=options,
                                                     full=True))
    assert (code, got_field) == ("NO_TRANSIT_CONNECTION_WITHIN_LIMITS", field)
    assert description.startswith("no journey for a wheelchair as asked; the one found ") and closed in description


def test_closed_stops_and_a_limit_are_both_named(plan):
    """With Y inaccessible too, A -> Z changes at X or Y: closed to a wheelchair, and beyond
    maxTransfers=0 as well; the answer names both."""
    files = dict(STOP_FILES, **{"stops.txt": STOP_FILES["stops.txt"].replace("Y,Stop Y,60.02,25.0,1", "Y,Stop Y,"
                                                                                                      "60.02,25.0,2")})
    options = QueryOptions(wheelchair=True, max_transfers=0)
    errors = why_none(plan(STOP_TRIPS, "A", "Z", "07:55", files=files, options=options, full=True))
    assert [(code, field) for code, field, _ in errors] == [("NO_TRANSIT_CONNECTION_WITHIN_LIMITS", "wheelchair"),
                                                            ("NO_TRANSIT_CONNECTION_WITHIN_LIMITS", "maxTransfers")]
    assert "alights at Stop X (X)" in errors[0][2] and "boards at Stop X (X)" in errors[0][2]
    assert "1 transfers; maxTransfers is 0" in errors[1][2]
    # with one of the two alone the answer names only it
    [(_, field, _)] = why_none(plan(STOP_TRIPS, "A", "Z", "07:55", files=files, options=WHEELCHAIR, full=True))
    assert field == "wheelchair"
    [(_, field, _)] = why_none(plan(STOP_TRIPS, "A", "Z", "07:55", files=STOP_FILES, options=options, full=True))
    assert field == "maxTransfers"  # Y is accessible: the change there is only beyond the limit


def test_the_day_view_carries_the_stops_accessibility(tmp_path):
    """Each pattern position's rules byte carries its stop's wheelchair boarding (P: its station's)."""
    network = Network.open([write_feed(tmp_path / "f", STOP_TRIPS, files=STOP_FILES)], cache_dir=tmp_path / "c")
    net = network.net
    index = {str(s): i for i, s in enumerate(net.stop_id)}
    assert [int(net.stop_wheelchair[index[s]]) for s in "AXUSP"] == [1, 2, 0, 2, 2]
    tt = network.day(dt.date(2024, 3, 12)).router.tt
    at = {str(net.stop_id[s]): int(w) for s, w in zip(tt.pattern_stops, tt.position_wheelchair)}
    assert at == {"A": 1, "X": 2, "Y": 1, "Z": 1, "U": 0, "P": 2}
