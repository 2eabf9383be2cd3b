"""A -> B on t1, then B -> C: a change at B needs the transfer slack (default 120 s).

t2 leaves B one minute after t1 arrives: too short; t3 leaves nine minutes after.
"""

from trajet.router.query import QueryOptions

TRIPS = {
    "t1": "A 08:00, B 08:10",
    "t2": "B 08:11, C 08:20",
    "t3": "B 08:19, C 08:30",
}


def test_change_respects_the_slack(plan):
    assert plan(TRIPS, "A", "C", "07:55") == ["A 08:00 t1 B 08:10 / B 08:19 t3 C 08:30"]


def test_zero_slack_allows_the_tight_change(plan):
    assert plan(TRIPS, "A", "C", "07:55", options=QueryOptions(transfer_slack=0)) == [
        "A 08:00 t1 B 08:10 / B 08:11 t2 C 08:20"
    ]


def test_max_transfers_zero_forbids_the_change(plan):
    assert plan(TRIPS, "A", "C", "07:55", options=QueryOptions(max_transfers=0)) == []
