"""Who operated the journeys of an answer: the agencies of their trips, with their shares."""

from __future__ import annotations

from collections import Counter


def operator_shares(network, view, journeys) -> list[tuple[str, str, float, float]]:
    """(agency, feed, share of transit legs, share of in-vehicle minutes) over the journeys."""
    net = network.net
    legs: Counter = Counter()
    seconds: Counter = Counter()
    for journey in journeys:
        for leg in journey.legs:
            if leg.kind != "trip":
                continue
            agency = int(net.route_agency[int(net.trip_route[view.source_trip(leg.trip)])])
            legs[agency] += 1
            seconds[agency] += leg.t_arr - leg.t_dep
    n_legs, n_seconds = sum(legs.values()), sum(seconds.values())
    feeds = network.feed_names
    return [
        (str(net.agency_name[a]), feeds[int(net.agency_feed[a])], legs[a] / n_legs,
         seconds[a] / n_seconds if n_seconds else legs[a] / n_legs)
        for a in sorted(legs)
    ]
