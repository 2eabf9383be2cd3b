"""legGeometry follows shapes.txt between the boarding and alighting stops.

The shape bends east between A and B and again between B and C; a ride A -> B must show
the first bend and not the second. Without a shape the line joins the stops.
"""

import polyline

TRIPS = {"t1": "A 08:00, B 08:10, C 08:20"}
STOPS = {"A": (60.0, 25.0), "B": (60.05, 25.0), "C": (60.1, 25.0)}
SHAPE = "shape_id,shape_pt_lat,shape_pt_lon,shape_pt_sequence\n" + "".join(
    f"S,{lat},{lon},{i}\n" for i, (lat, lon) in enumerate([(60.0, 25.0), (60.025, 25.01), (60.05, 25.0),
                                                           (60.075, 25.02), (60.1, 25.0)])
)
TRIPS_TXT = "route_id,service_id,trip_id,shape_id\nRt1,ALL,t1,S\n"


def geometry(plan, **feed):
    body = plan(TRIPS, "A", "B", "07:55", stops=STOPS, full=True, **feed)
    return polyline.decode(body["itineraries"][0]["legs"][0]["legGeometry"]["points"], 5)


def test_the_ridden_part_of_the_shape(plan):
    points = geometry(plan, files={"shapes.txt": SHAPE, "trips.txt": TRIPS_TXT})
    assert (60.025, 25.01) in points and (60.075, 25.02) not in points
    assert points[0] == (60.0, 25.0) and points[-1] == (60.05, 25.0)


def test_without_a_shape_the_stops_are_joined(plan):
    assert geometry(plan) == [(60.0, 25.0), (60.05, 25.0)]
