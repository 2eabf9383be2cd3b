"""A slow direct trip and a faster journey with one change: both are answers.

The Pareto set over (arrival, transfers) lists the faster change (earliest arrival) and
the direct trip (fewest transfers), in that order: by arrival.
"""

TRIPS = {
    "direct": "A 08:00, C 09:00",
    "first": "A 08:05, B 08:15",
    "second": "B 08:20, C 08:40",
}


def test_pareto_set_has_the_direct_and_the_faster_change(plan):
    assert plan(TRIPS, "A", "C", "07:55") == [  # by arrival
        "A 08:05 first B 08:15 / B 08:20 second C 08:40",
        "A 08:00 direct C 09:00",
    ]


def test_a_change_that_is_not_faster_is_not_listed(plan):
    trips = dict(TRIPS, second="B 08:20, C 09:10")
    assert plan(trips, "A", "C", "07:55") == ["A 08:00 direct C 09:00"]
