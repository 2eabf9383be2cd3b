"""Staying on board when the vehicle goes on as another trip, and guaranteed changes.

Trip `in` reaches B at 08:10; `on` leaves B at 08:11 for C. Changing at B needs the slack
(120 s), so `on` is missed and the next way to C is `late` (08:30 -> 08:40), unless:
- `in` and `on` are consecutive trips of one block (trips.txt block_id) on the day: the
  traveller stays seated (two legs, the second `interlineWithPreviousLeg`, no transfer);
- transfers.txt joins them with transfer_type 4 (in-seat), the same;
- transfers.txt says transfer_type 1 (timed) between the two trips, or their routes, at B: a
  change the router keeps although the slack would not allow it (a transfer, not interlined).
transfer_type 5 between two trips of a block makes the traveller alight: `late` again.
"""

import datetime as dt

import pytest

from trajet.router.query import DEFAULT_MAX_TRANSFERS, QueryOptions
from trajet.router.workspace import new_workspace
from trajet.service.itineraries import plan_json
from trajet.service.network import Network
from trajet.service.params import parse_time

from ..conftest import describe
from ..inline_gtfs import write_feed

TRIPS = {
    "in": "A 08:00, B 08:10",
    "on": "B 08:11, C 08:20",
    "late": "B 08:30, C 08:40",
}
SEATED = "A 08:00 in B 08:10 / B 08:11 on C 08:20"
LATE = "A 08:00 in B 08:10 / B 08:30 late C 08:40"


def trips_txt(blocks: dict[str, str], services: dict[str, str] | None = None, trips=TRIPS) -> str:
    services = services or {}
    return "route_id,service_id,trip_id,block_id\n" + "".join(
        f"R{t},{services.get(t, 'ALL')},{t},{blocks.get(t, '')}\n" for t in trips)


def transfers_txt(*rows: str) -> str:
    return "from_stop_id,to_stop_id,from_trip_id,to_trip_id,transfer_type,min_transfer_time\n" + "".join(
        r + "\n" for r in rows)


def legs(body: dict) -> list[dict]:
    return body["itineraries"][0]["legs"]


def test_without_a_link_the_change_needs_the_slack(plan):
    assert plan(TRIPS, "A", "C", "07:55") == [LATE]


def test_consecutive_trips_of_a_block_keep_the_traveller_on_board(plan):
    files = {"trips.txt": trips_txt({"in": "b1", "on": "b1"})}
    body = plan(TRIPS, "A", "C", "07:55", files=files, full=True)
    assert [describe(it) for it in body["itineraries"]] == [SEATED]
    first, second = legs(body)
    assert (first["interlineWithPreviousLeg"], second["interlineWithPreviousLeg"]) == (False, True)
    assert body["itineraries"][0]["transfers"] == 0


def test_a_block_chain_of_three_trips(plan):
    trips = {"in": "A 08:00, B 08:10", "on": "B 08:11, C 08:20", "more": "C 08:21, D 08:30",
             "late": "C 08:40, D 08:50"}
    files = {"trips.txt": trips_txt({"in": "b1", "on": "b1", "more": "b1"}, trips=trips)}
    body = plan(trips, "A", "D", "07:55", files=files, full=True)
    assert [leg["interlineWithPreviousLeg"] for leg in legs(body)] == [False, True, True]
    assert body["itineraries"][0]["endTime"][11:16] == "08:30" and body["itineraries"][0]["transfers"] == 0


def test_block_links_only_on_days_both_trips_run(plan):
    services = {"calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,"
                "end_date\nALL,1,1,1,1,1,1,1,20240101,20241231\nWE,0,0,0,0,0,1,1,20240101,20241231\n"}
    trips = {"in": "A 08:00, B 08:10", "on": ("WE", "B 08:11, C 08:20"), "late": "B 08:30, C 08:40"}
    files = {"trips.txt": trips_txt({"in": "b1", "on": "b1"}, {"on": "WE"}, trips=trips), **services}
    assert plan(trips, "A", "C", "07:55", files=files) == [LATE]  # 2024-03-12 is a Tuesday
    assert plan(trips, "A", "C", "07:55", date="2024-03-16", files=files) == [SEATED]


def test_a_block_continuing_far_away_is_no_stay_seated(plan):
    # B2, where `on` starts, lies 1 km from B: a deadhead between, not a continuation
    trips = {"in": "A 08:00, B 08:10", "on": "B2 08:11, C 08:20", "late": "B 08:30, C 08:40"}
    assert plan(trips, "A", "C", "07:55", files={"trips.txt": trips_txt({"in": "b1", "on": "b1"}, trips=trips)},
                stops={"A": (60.0, 25.0), "B": (60.01, 25.0), "B2": (60.019, 25.0), "C": (60.03, 25.0)},
                options=QueryOptions(max_transfer_walk_m=0)) == [LATE]


def test_in_seat_transfer_not_allowed_makes_the_traveller_alight(plan):
    files = {"trips.txt": trips_txt({"in": "b1", "on": "b1"}), "transfers.txt": transfers_txt(",,in,on,5,")}
    assert plan(TRIPS, "A", "C", "07:55", files=files) == [LATE]


def test_in_seat_transfer_without_a_block(plan):
    files = {"transfers.txt": transfers_txt(",,in,on,4,")}
    body = plan(TRIPS, "A", "C", "07:55", files=files, full=True)
    assert [leg["interlineWithPreviousLeg"] for leg in legs(body)] == [False, True]


@pytest.mark.parametrize(("row", "expected"), [
    ("B,B,in,on,1,", SEATED),  # timed: kept although 60 s < the slack
    ("B,B,in,on,2,60", SEATED),  # a minimum time of 60 s between these two trips
    ("B,B,in,on,2,180", LATE),  # 180 s: `on` leaves too early
])
def test_guaranteed_changes_between_two_trips(plan, row, expected):
    body = plan(TRIPS, "A", "C", "07:55", files={"transfers.txt": transfers_txt(row)}, full=True)
    assert describe(body["itineraries"][0]) == expected
    if expected == SEATED:
        assert [leg["interlineWithPreviousLeg"] for leg in legs(body)] == [False, False]
        assert body["itineraries"][0]["transfers"] == 1


def test_maximum_transfers_count_every_trip_boarded_or_stayed_on(plan):
    """As in OpenTripPlanner 2, staying on board takes one of maxTransfers (the router's rounds
    count boardings); the answer's `transfers` leaves it out, and the error says why."""
    no_change = QueryOptions(max_transfers=0)
    for files in ({"transfers.txt": transfers_txt("B,B,in,on,1,")}, {"trips.txt": trips_txt({"in": "b1", "on": "b1"})}):
        body = plan(TRIPS, "A", "C", "07:55", files=files, options=no_change, full=True)
        assert body["itineraries"] == []
        assert body["routingErrors"][0]["inputField"] == "maxTransfers"
    assert "staying on board" in body["routingErrors"][0]["description"]


def test_masks_apply_to_the_trip_entered(plan):
    """A wheelchair user does not stay on board into a trip that is not accessible."""
    text = "route_id,service_id,trip_id,block_id,wheelchair_accessible\nRin,ALL,in,b1,1\nRon,ALL,on,b1,2\n" \
           "Rlate,ALL,late,,1\n"
    assert plan(TRIPS, "A", "C", "07:55", files={"trips.txt": text}) == [SEATED]
    assert plan(TRIPS, "A", "C", "07:55", files={"trips.txt": text}, options=QueryOptions(wheelchair=True)) == [LATE]


def test_bad_rows_are_reported_and_dropped(tmp_path):
    files = {"transfers.txt": transfers_txt(",,in,nope,4,", "C,C,in,on,1,", ",,in,,4,", "B,B,in,on,2,")}
    network = Network.open([write_feed(tmp_path / "f", TRIPS, files=files)], cache_dir=tmp_path / "c")
    warnings = network.meta["feeds"][0]["report"]["warnings"]
    reasons = {(w["field"], w["reason"]) for w in warnings}
    assert ("to_trip_id", "unknown id, row dropped") in reasons
    assert ("to_trip_id", "missing value (needed for transfer_type 4 and 5), row dropped") in reasons
    assert any(f == "from_stop_id" and r.startswith("the trip does not call at from_stop_id") for f, r in reasons)
    assert any(f == "min_transfer_time" and r.startswith("transfer_type 2 without") for f, r in reasons)
    lines = {w["field"]: w["line"] for w in warnings if w["reason"].endswith(")")}  # the compiler's, by row
    assert lines == {"from_stop_id": 3, "min_transfer_time": 5}  # the file's lines of the first rows dropped
    assert len(network.net.link_type) == 0


@pytest.mark.parametrize(("leaves", "seated"), [("08:14", True), ("08:16", False)])
def test_a_layover_longer_than_five_minutes_lets_the_passengers_off(plan, leaves, seated):
    """INTERLINE_MAX_WAIT_S: the vehicle waits at most 300 s for the traveller to stay on
    board; after a longer layover (here at a stop across the street, walks between stops
    switched off) the traveller takes the next trip from B instead."""
    trips = {"in": "A 08:00, B 08:10", "on": f"B2 {leaves}, C 08:30", "late": "B 08:40, C 08:50"}
    body = plan(trips, "A", "C", "07:55", files={"trips.txt": trips_txt({"in": "b1", "on": "b1"}, trips=trips)},
                stops={"A": (60.0, 25.0), "B": (60.01, 25.0), "B2": (60.0105, 25.0), "C": (60.03, 25.0)},
                options=QueryOptions(max_transfer_walk_m=0), full=True)
    assert describe(body["itineraries"][0]).endswith("C 08:30" if seated else "C 08:50")
    assert legs(body)[1]["interlineWithPreviousLeg"] is seated


ROUTE_TRANSFERS = ("from_stop_id,to_stop_id,from_route_id,to_route_id,from_trip_id,to_trip_id,transfer_type,"
                   "min_transfer_time\n")


@pytest.mark.parametrize(("row", "expected"), [
    ("B,B,Rin,Ron,,,1,", SEATED),  # timed between the two routes at B: `on` waits for `in`
    ("B,B,,Ron,in,,1,", SEATED),  # from the trip to the route
    ("B,B,Rin,,,on,1,", SEATED),  # from the route to the trip
    ("B,B,Rin,Ron,,,2,60", SEATED),  # 60 s are enough between these routes
    ("B,B,Rin,Ron,,,2,180", LATE),  # 180 s are not
    ("B,B,Rin,Rlate,,,1,", LATE),  # a timed change to another route changes nothing here
    ("B,B,Rin,,,,1,", SEATED),  # from the route to every trip at B
    ("B,B,,,in,,1,", SEATED),  # from the trip to every trip at B
    ("B,B,,Ron,,,1,", SEATED),  # from every trip at B to the route
    ("B,B,,,,on,2,60", SEATED),  # to the trip, 60 s after any arrival
    ("B,B,,,in,,2,180", LATE),  # 180 s after the trip: not `on`
])
def test_guaranteed_changes_between_routes(plan, row, expected):
    body = plan(TRIPS, "A", "C", "07:55", files={"transfers.txt": ROUTE_TRANSFERS + row + "\n"}, full=True)
    assert describe(body["itineraries"][0]) == expected
    assert not any(leg.get("interlineWithPreviousLeg") for leg in legs(body))


def test_a_route_transfer_joins_each_trip_to_the_next_of_the_other_route(plan):
    """Two trips of route Rin, each met by the first trip of route Ron leaving B after it."""
    trips = {"in1": ("ALL", "A 08:00, B 08:10"), "in2": ("ALL", "A 09:00, B 09:10"),
             "on1": ("ALL", "B 08:11, C 08:20"), "on2": ("ALL", "B 09:11, C 09:20")}
    files = {"routes.txt": "route_id,agency_id,route_short_name,route_long_name,route_type\n"
             "Rin,A,in,Route in,3\nRon,A,on,Route on,3\n",
             "trips.txt": "route_id,service_id,trip_id\nRin,ALL,in1\nRin,ALL,in2\nRon,ALL,on1\nRon,ALL,on2\n",
             "transfers.txt": ROUTE_TRANSFERS + "B,B,Rin,Ron,,,1,\n"}
    assert plan(trips, "A", "C", "07:55", files=files) == ["A 08:00 in1 B 08:10 / B 08:11 on1 C 08:20"]
    assert plan(trips, "A", "C", "08:30", files=files) == ["A 09:00 in2 B 09:10 / B 09:11 on2 C 09:20"]
    # without the rule, 60 s at B are less than the slack: on1 of the next morning
    assert plan(trips, "A", "C", "08:30", files={k: v for k, v in files.items() if k != "transfers.txt"}) == [
        "A 09:00 in2 B 09:10 / B 08:11 on1 C 08:20"]


def test_rules_not_applied_are_counted(tmp_path):
    rows = "B,B,,,in,on,0,\nB,B,Rin,,,,0,\nB,B,,,in,,4,\nB,B,Rin,Ron,,,5,\nB,,Rin,,,,1,\n"
    network = Network.open([write_feed(tmp_path / "f", TRIPS, files={"transfers.txt": ROUTE_TRANSFERS + rows})],
                           cache_dir=tmp_path / "c")
    reasons = {w["reason"]: w["count"] for w in network.meta["feeds"][0]["report"]["warnings"]}
    assert reasons["transfer_type 0 naming a trip or route only recommends the change; nothing to apply"] == 2
    assert reasons["missing value (needed for transfer_type 4 and 5), row dropped"] == 1  # each of the two fields
    assert reasons["missing value (needed for transfer_type 0-3), row dropped"] == 1
    assert len(network.net.link_type) == 0


def test_a_route_transfer_reaches_every_branch_of_the_route(plan):
    """Route Ron runs two branches from B; a timed change from Rin holds for the first trip of
    each, not only for the first trip of the route."""
    trips = {"in": "A 08:00, B 08:10", "on1": "B 08:11, C 08:20", "on2": "B 08:11, D 08:20",
             "late": "B 08:40, D 08:50"}
    files = {"routes.txt": "route_id,agency_id,route_short_name,route_long_name,route_type\n"
             "Rin,A,in,Route in,3\nRon,A,on,Route on,3\nRlate,A,late,Route late,3\n",
             "trips.txt": "route_id,service_id,trip_id\nRin,ALL,in\nRon,ALL,on1\nRon,ALL,on2\nRlate,ALL,late\n"}
    assert plan(trips, "A", "D", "07:55", files=files) == ["A 08:00 in B 08:10 / B 08:40 late D 08:50"]
    files["transfers.txt"] = ROUTE_TRANSFERS + "B,B,Rin,Ron,,,1,\n"
    assert plan(trips, "A", "D", "07:55", files=files) == ["A 08:00 in B 08:10 / B 08:11 on2 D 08:20"]


# `in` reaches B at 08:10; `early` leaves B at 08:13 and `late` at 08:30, both for C
REFUSAL_TRIPS = {"in": "A 08:00, B 08:10", "early": "B 08:13, C 08:20", "late": "B 08:30, C 08:40"}
EARLY, LATER = "A 08:00 in B 08:10 / B 08:13 early C 08:20", "A 08:00 in B 08:10 / B 08:30 late C 08:40"


@pytest.mark.parametrize(("row", "expected"), [
    (None, EARLY),  # 180 s at B: the slack (120 s) allows the change
    ("B,B,,,in,early,3,", LATER),  # transfers.txt forbids this change: the next trip
    ("B,B,Rin,Rearly,,,3,", LATER),  # between their routes
    ("B,B,Rin,,,early,3,", LATER),  # from the route to the trip
    ("B,B,,,in,early,2,300", LATER),  # five minutes needed between these two trips
    ("B,B,Rin,Rearly,,,2,300", LATER),  # between their routes
    ("B,B,Rin,Rearly,,,2,120", EARLY),  # two minutes are enough
    ("B,B,Rin,Rlate,,,3,", EARLY),  # a refusal of another route changes nothing here
    ("B,B,,,,early,3,", LATER),  # from every trip at B to this one
    ("B,B,,Rearly,,,3,", LATER),  # from every trip at B to the route
    ("B,B,,,in,,2,300", LATER),  # five minutes after this trip, whatever the next
    ("B,B,Rin,,,,2,300", LATER),  # after the route
    ("B,B,,,in,,3,", None),  # no change at B after this trip at all
    ("B,B,,,in,,3,\nB,B,,,in,late,1,", LATER),  # ... but one, to `late`: the trip-to-trip rule is more specific
    ("B,B,Rin,Rearly,,,3,\nB,B,,,in,early,1,", EARLY),  # a trip-to-trip rule over a route-to-route one
    ("B,B,,,in,early,3,\nB,B,Rin,Rearly,,,1,", LATER),  # and the other way round
    ("B,B,Rin,,,,3,\nB,B,Rin,Rearly,,,2,120", EARLY),  # two routes over a route and a stop
])
def test_changes_transfers_txt_refuses(plan, row, expected):
    files = {"transfers.txt": ROUTE_TRANSFERS + (row + "\n" if row else "")}
    assert plan(REFUSAL_TRIPS, "A", "C", "07:55", files=files) == ([expected] if expected else [])


def test_a_refused_change_after_a_walk(plan):
    """The rule names the stop the first trip is left at and the one the second leaves from:
    a walk between them does not get round it."""
    trips = {"in": "A 08:00, B 08:10", "early": "B2 08:15, C 08:20", "late": "B2 08:30, C 08:40"}
    stops = {"A": (60.0, 25.0), "B": (60.01, 25.0), "B2": (60.0102, 25.0), "C": (60.03, 25.0)}
    assert plan(trips, "A", "C", "07:55", stops=stops) == ["A 08:00 in B 08:10 / B 08:10 walk B2 08:10 / "
                                                            "B2 08:15 early C 08:20"]
    files = {"transfers.txt": ROUTE_TRANSFERS + "B,B2,,,in,early,3,\n"}
    assert plan(trips, "A", "C", "07:55", stops=stops, files=files) == [
        "A 08:00 in B 08:10 / B 08:10 walk B2 08:10 / B2 08:30 late C 08:40"]


def test_a_workspace_too_small_for_the_links_is_grown_and_the_query_run_again(tmp_path):
    """Router.plan reruns a query whose link entries or legs overflowed the workspace, with
    twice the room, until they fit: the answer is the one a roomy workspace gives."""
    trips = {"in": "A 08:00, B 08:10", "on": "B 08:11, C 08:20", "more": "C 08:21, D 08:30",
             "late": "C 08:40, D 08:50"}
    files = {"trips.txt": trips_txt({"in": "b1", "on": "b1", "more": "b1"}, trips=trips)}
    network = Network.open([write_feed(tmp_path / "f", trips, files=files)], cache_dir=tmp_path / "c")
    date = dt.date(2024, 3, 12)
    options = QueryOptions(max_direct_s=0)

    def answer():
        body = plan_json(network, network.plan("A", "D", date, parse_time("07:55"), options))
        return [describe(it) for it in body["itineraries"]]

    roomy = answer()
    assert roomy == ["A 08:00 in B 08:10 / B 08:11 on C 08:20 / C 08:21 more D 08:30"]
    router = network.day(date).router
    rounds = DEFAULT_MAX_TRANSFERS + 1
    for n_entries, n_legs in ((1, None), (None, 1), (1, 1)):
        router._local.ws = new_workspace(router.tt, rounds, n_entries=n_entries, n_legs=n_legs)
        assert answer() == roomy
        ws = router._local.ws
        assert len(ws.link_entries) > (n_entries or 0) and len(ws.legs) >= 3  # grown, and kept for the next query
