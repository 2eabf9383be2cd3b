"""pickup_type / drop_off_type = 1: no boarding / no alighting at that stop."""

TRIPS = {"t1": "A 08:00, B/nopickup 08:10, C 08:20, D/nodropoff 08:30, E 08:40"}


def test_cannot_board_where_pickup_is_forbidden(plan):
    assert plan(TRIPS, "B", "C", "07:00") == []


def test_cannot_alight_where_drop_off_is_forbidden(plan):
    assert plan(TRIPS, "A", "D", "07:00") == []


def test_rides_through_both(plan):
    assert plan(TRIPS, "A", "E", "07:00") == ["A 08:00 t1 E 08:40"]
