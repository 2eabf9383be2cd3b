"""maxTransfers from 0 to 3: the Pareto set over (arrival, trips) grows one journey a step.

A line of four routes A -> B -> C -> D -> E (l1..l4, 5 minutes to change at each stop)
reaches E at 08:55 with 3 transfers; a direct trip reaches E at 10:00. Two shortcuts give
the levels between: ac (A -> C) then ce (C -> E) at 09:30 with 1 transfer, and l1, l2 then
cx (C -> E, leaving C at 08:30, too early for ac) at 09:10 with 2 transfers. The answer
lists them by arrival, the earliest first (the one with the most trips, here);
max_transfers n keeps those of at most n + 1 trips. A journey that is not faster than one
with fewer trips (l1, l2, ce at 09:30) is never listed.
"""

import pytest

from trajet.router.query import QueryOptions

TRIPS = {
    "direct": "A 08:00, E 10:00",
    "l1": "A 08:00, B 08:10",
    "l2": "B 08:15, C 08:25",
    "l3": "C 08:30, D 08:40",
    "l4": "D 08:45, E 08:55",
    "ac": "A 08:01, C 08:40",
    "ce": "C 08:45, E 09:30",
    "cx": "C 08:30, E 09:10",
}
JOURNEYS = [
    "A 08:00 direct E 10:00",
    "A 08:01 ac C 08:40 / C 08:45 ce E 09:30",
    "A 08:00 l1 B 08:10 / B 08:15 l2 C 08:25 / C 08:30 cx E 09:10",
    "A 08:00 l1 B 08:10 / B 08:15 l2 C 08:25 / C 08:30 l3 D 08:40 / D 08:45 l4 E 08:55",
]


@pytest.mark.parametrize("max_transfers", [0, 1, 2, 3])
def test_each_transfer_allowed_adds_the_faster_journey(plan, max_transfers):
    got = plan(TRIPS, "A", "E", "07:55", options=QueryOptions(max_transfers=max_transfers))
    assert got == JOURNEYS[: max_transfers + 1][::-1]  # by arrival


def test_more_transfers_than_needed_change_nothing(plan):
    assert plan(TRIPS, "A", "E", "07:55") == JOURNEYS[::-1]  # the default, 20
    assert plan(TRIPS, "A", "E", "07:55", options=QueryOptions(max_transfers=4)) == JOURNEYS[::-1]


@pytest.mark.parametrize("max_transfers", [0, 1, 2])
def test_the_line_alone_needs_3_transfers(plan, max_transfers):
    line = {t: TRIPS[t] for t in ("l1", "l2", "l3", "l4")}
    body = plan(line, "A", "E", "07:55", options=QueryOptions(max_transfers=max_transfers), full=True)
    assert body["itineraries"] == []
    [error] = body["routingErrors"]
    assert (error["code"], error["inputField"]) == ("NO_TRANSIT_CONNECTION_WITHIN_LIMITS", "maxTransfers")
    assert f"needs 3 transfers; maxTransfers is {max_transfers}" in error["description"]
    assert plan(line, "A", "E", "07:55", options=QueryOptions(max_transfers=3)) == JOURNEYS[3:]
