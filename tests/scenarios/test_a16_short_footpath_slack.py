"""A generated footpath shorter than the transfer slack: the change still needs the slack.

B and D stand 50 m apart, a walk of 38 s at 1.33 m/s. t1 reaches B at 08:10; t2 leaves D
at 08:11 (one minute later, time enough for the walk alone), t3 at 08:12 (exactly the
default slack of 120 s later). A walk between stops is a change of vehicle, so after a
generated footpath of d seconds the journey is ready at arrival + max(d, slack): at 08:12,
which catches t3 and misses t2. A transfers.txt link between the same stops (type 2,
min_transfer_time 30) replaces the generated footpath and its time applies instead of the
slack: ready at 08:10:30, t2 is caught; such a link is taken even with max walk 0.
"""

from trajet.router.query import QueryOptions

TRIPS = {
    "t1": "A 08:00, B 08:10",
    "t2": "D 08:11, C 08:30",
    "t3": "D 08:12, C 08:40",
}
STOPS = {"A": (60.0, 25.0), "B": (60.1, 25.0), "D": (60.10045, 25.0), "C": (60.2, 25.0)}  # B-D: 50 m
LINK = {"transfers.txt": "from_stop_id,to_stop_id,transfer_type,min_transfer_time\nB,D,2,30\n"}


def test_a_short_generated_footpath_needs_the_slack(plan):
    body = plan(TRIPS, "A", "C", "07:55", stops=STOPS, options=QueryOptions(max_transfer_walk_m=100), full=True)
    [it] = body["itineraries"]
    _, walk, change = it["legs"]
    assert (walk["mode"], walk["from"]["stopId"], walk["to"]["stopId"], walk["duration"]) == ("WALK", "B", "D", 38)
    assert (change["tripId"], change["startTime"]) == ("t3", "2024-03-12T08:12:00+02:00")


def test_the_walk_alone_applies_when_it_is_longer_than_the_slack(plan):
    # slack 30 s < the walk of 38 s: ready at 08:10:38, t2 at 08:11 is caught, one at 08:10:30 is not
    trips = dict(TRIPS, t0="D 08:10:30, C 08:20")
    got = plan(trips, "A", "C", "07:55", stops=STOPS, options=QueryOptions(max_transfer_walk_m=100, transfer_slack=30))
    assert got == ["A 08:00 t1 B 08:10 / B 08:10 walk D 08:10 / D 08:11 t2 C 08:30"]


def test_a_transfers_txt_link_sets_its_own_time(plan):
    for max_walk_m in (100, 0):
        got = plan(TRIPS, "A", "C", "07:55", stops=STOPS, files=LINK,
                   options=QueryOptions(max_transfer_walk_m=max_walk_m))
        assert got == ["A 08:00 t1 B 08:10 / B 08:10 walk D 08:10 / D 08:11 t2 C 08:30"], max_walk_m
    body = plan(TRIPS, "A", "C", "07:55", stops=STOPS, files=LINK, full=True)
    assert body["itineraries"][0]["legs"][1]["duration"] == 30
