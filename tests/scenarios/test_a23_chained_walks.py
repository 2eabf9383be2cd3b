"""A change that only a chain of two walks makes: the footpaths are transitively closed.

B and D stand 1.2 km apart, farther than any walk generated between two stops (500 m);
transfers.txt links B -> X (60 s) and X -> D (90 s), X being a stop no trip calls at. The
router takes one footpath after each ride and never two in a row, so compiling closes the
walk graph (feeds/footpaths.py): B -> D exists as one footpath of 150 s, made of the two
links, shown as one walk leg. Without the second link there is no way over; a direct link
B -> D of its own keeps its own time even when the chain is quicker.
"""

from trajet.router.query import QueryOptions

TRIPS = {"t1": "A 08:00, B 08:10", "t2": "D 08:13, C 08:30", "t3": "D 08:20, C 08:40"}
STOPS = {"A": (60.0, 25.0), "B": (60.1, 25.0), "X": (60.1054, 25.0), "D": (60.1108, 25.0), "C": (60.2, 25.0)}
HEADER = "from_stop_id,to_stop_id,transfer_type,min_transfer_time\n"
CHAIN = {"transfers.txt": HEADER + "B,X,2,60\nX,D,2,90\n"}


def test_only_a_chain_of_two_walks_reaches_the_next_trip(plan):
    body = plan(TRIPS, "A", "C", "07:55", stops=STOPS, files=CHAIN, full=True)
    [it] = body["itineraries"]
    ride, walk, change = it["legs"]
    assert (walk["from"]["stopId"], walk["to"]["stopId"], walk["duration"]) == ("B", "D", 150)
    assert walk["walkModel"] == ["transfers.txt"] and change["tripId"] == "t2"
    # transfers.txt times the walk: it holds even with no walking between stops allowed
    assert plan(TRIPS, "A", "C", "07:55", stops=STOPS, files=CHAIN, options=QueryOptions(max_transfer_walk_m=0)) == [
        "A 08:00 t1 B 08:10 / B 08:10 walk D 08:12 / D 08:13 t2 C 08:30"]


def test_one_link_alone_does_not_reach(plan):
    one = {"transfers.txt": HEADER + "B,X,2,60\n"}
    assert plan(TRIPS, "A", "C", "07:55", stops=STOPS, files=one) == []


def test_a_link_of_the_pair_keeps_its_time(plan):
    files = {"transfers.txt": HEADER + "B,X,2,60\nX,D,2,90\nB,D,2,500\n"}
    assert plan(TRIPS, "A", "C", "07:55", stops=STOPS, files=files) == [
        "A 08:00 t1 B 08:10 / B 08:10 walk D 08:18 / D 08:20 t3 C 08:40"]
