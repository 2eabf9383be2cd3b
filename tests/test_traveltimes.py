"""Travel times from one place to every stop (service/traveltimes.py): at one departure and
over a window of minutes (minimum, median, percentiles), against single router queries at
each minute; limits, the time budget and the answers' shapes."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from trajet.feeds.load import BUNDLED_FEED
from trajet.router.query import QueryOptions
from trajet.service.errors import QueryError
from trajet.service.network import Network
from trajet.service.traveltimes import (
    Limits,
    departure_minutes,
    origins_of,
    parse_percentiles,
    travel_times,
    traveltimes_geojson,
    traveltimes_json,
)

DAY = dt.date(2022, 2, 22)
ORIGIN = "1020453"  # a Helsinki stop (make run's origin)


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    return Network.open([BUNDLED_FEED], cache_dir=tmp_path_factory.mktemp("traveltimes"))


def single_time(network, place, t_dep, stop, options) -> int | None:
    """Seconds from place to stop leaving at view time t_dep, by one Router.plan query (or on
    foot alone, when the stop is one the place walks to first)."""
    view = network.day(DAY)
    starts = origins_of(network, view, place, options)
    on_foot = [secs for s, secs in starts if s == stop]
    result = view.router.plan([(s, t_dep + secs) for s, secs in starts], [(stop, 0)], options)
    times = [a - t_dep for a in result.arrivals] + on_foot
    return min(times) if times else None


def rank(values: list[float], p: int) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]


@pytest.mark.parametrize("origin", [ORIGIN, "60.1699,24.9384"])
def test_window_statistics_equal_single_queries_at_each_minute(network, origin):
    options = QueryOptions(max_transfers=3)
    limits = Limits(max_travel_s=3600)
    answer = travel_times(network, origin, DAY, 8 * 3600, options, window_s=600, percentiles=(25, 90),
                          limits=limits)
    assert answer.n_done == answer.n_departures == 10 and not answer.partial
    view = network.day(DAY)
    t0 = network.local_seconds(DAY, 8 * 3600) - view.origin
    rng = np.random.default_rng(3)
    index = {int(s): j for j, s in enumerate(answer.stops)}
    sample = rng.choice(np.unique(view.tt.pattern_stops), 25, replace=False).tolist()
    n_seen = 0
    for stop in sample:
        per_minute = []
        for t in departure_minutes(t0, 600):
            secs = single_time(network, answer.origin, t, stop, options)
            per_minute.append(secs if secs is not None and secs <= 3600 else math.inf)
        if min(per_minute) == math.inf:
            assert stop not in index
            continue
        j = index[stop]
        n_seen += 1
        assert answer.travel_s[j] == min(per_minute)
        want_median = rank(per_minute, 50)
        assert (answer.median_s[j] if answer.median_s[j] < 2**31 - 1 else math.inf) == want_median
        for p, values in zip((25, 90), answer.percentile_s):
            assert (values[j] if values[j] < 2**31 - 1 else math.inf) == rank(per_minute, p)
    assert n_seen >= 10


def test_one_departure_answers_seconds_and_geojson(network):
    answer = travel_times(network, ORIGIN, DAY, 8 * 3600, QueryOptions(), limits=Limits(max_travel_s=1800))
    body = traveltimes_json(network, answer)
    assert body["from"]["stopId"] == ORIGIN and body["departures"] == 1 and body["partial"] is False
    by_id = {row["stopId"]: row for row in body["stops"]}
    assert by_id[ORIGIN]["seconds"] == 0 and by_id[ORIGIN]["transfers"] == 0
    assert all(0 <= row["seconds"] <= 1800 and row["minutes"] == round(row["seconds"] / 60, 1) for row in body["stops"])
    assert 10 < len(body["stops"]) == body["reached"]
    geo = traveltimes_geojson(network, answer)
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == len(body["stops"])
    first = geo["features"][0]
    row = body["stops"][0]
    assert first["geometry"] == {"type": "Point", "coordinates": [row["lon"], row["lat"]]}
    assert first["properties"]["stopId"] == row["stopId"] and "lat" not in first["properties"]


def test_a_spent_budget_answers_the_latest_minutes_as_partial(network):
    answer = travel_times(network, ORIGIN, DAY, 8 * 3600, QueryOptions(), window_s=1800,
                          limits=Limits(budget_s=0.0))
    assert answer.n_done == 1 and answer.n_departures == 30 and answer.partial
    assert "budget" in answer.partial_reason and "1 of 30" in answer.partial_reason
    assert len(answer.stops) > 0 and traveltimes_json(network, answer)["partial"] is True


def test_bad_inputs_name_their_field(network):
    with pytest.raises(QueryError) as e:
        travel_times(network, "no-such-stop", DAY, 8 * 3600)
    assert e.value.field == "from"
    with pytest.raises(QueryError) as e:
        travel_times(network, "10.0,10.0", DAY, 8 * 3600)
    assert e.value.field == "from" and "no stop within" in str(e.value)
    with pytest.raises(QueryError) as e:
        travel_times(network, ORIGIN, dt.date(2030, 1, 1), 8 * 3600)
    assert e.value.field == "date"
    assert parse_percentiles("90, 10,50") == (10, 50, 90)
    for bad in ("0", "x", "10,,20", "1,2,3,4,5,6"):
        with pytest.raises(QueryError) as e:
            parse_percentiles(bad)
        assert e.value.field == "percentiles"


@pytest.mark.parametrize("destination", [ORIGIN, "60.1699,24.9384"])
def test_many_to_one_is_the_latest_departure_that_arrives_by_the_deadline(network, destination):
    """To one place from every stop, by the mirrored search: for a sample of stops, a forward
    query leaving at the stop's latestDeparture arrives by the deadline, and one leaving a
    second later does not (with the same limit on trips)."""
    options = QueryOptions(max_transfers=3)
    deadline = 9 * 3600
    answer = travel_times(network, destination, DAY, deadline, options, limits=Limits(max_travel_s=3600),
                          to_destination=True)
    body = traveltimes_json(network, answer)
    assert body["arriveBy"] is True and "to" in body and "from" not in body
    assert len(answer.stops) > 50 and not answer.partial
    view = network.day(DAY)
    d = network.local_seconds(DAY, deadline) - view.origin
    place = network.places.parse(destination, "to")
    ends, _ = network.places.walks(place, view.router, options, "destination", forward=False)
    rng = np.random.default_rng(5)
    sample = rng.choice(len(answer.stops), 25, replace=False)
    rows = {row["stopId"]: row for row in body["stops"]}
    for j in sample.tolist():
        stop, travel = int(answer.stops[j]), int(answer.travel_s[j])
        if any(s == stop for s, _ in ends):
            continue  # the destination's own stops: reached on foot
        latest = d - travel
        assert rows[str(network.net.stop_id[stop])]["latestDeparture"] == clock(deadline - travel)
        starts = origins_of(network, view, [stop], options)  # the stop and those a footpath away
        egress = dict(ends)
        on_foot = [secs + egress[s] for s, secs in starts if s in egress]  # walking all the way

        def arrival(t: int) -> int:
            found = view.router.plan([(s, t + secs) for s, secs in starts], ends, options).arrivals
            return min(found + [t + w for w in on_foot], default=2**31)

        assert arrival(latest) <= d < arrival(latest + 1), (stop, travel)


def clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def test_many_to_one_over_a_window_of_deadlines(network):
    options = QueryOptions(max_transfers=3)
    one = {int(s): int(t) for s, t in zip(*_stops_times(travel_times(
        network, ORIGIN, DAY, 9 * 3600, options, limits=Limits(max_travel_s=3600), to_destination=True)))}
    window = travel_times(network, ORIGIN, DAY, 9 * 3600, options, window_s=600, percentiles=(50,),
                          limits=Limits(max_travel_s=3600), to_destination=True)
    assert window.n_done == 10
    minimum = dict(zip(window.stops.tolist(), window.travel_s.tolist()))
    # the deadline asked is one of the window's minutes: no stop takes longer at the minimum
    assert all(minimum[s] <= t for s, t in one.items() if s in minimum)
    assert set(one) <= set(minimum)


def _stops_times(answer):
    return answer.stops.tolist(), answer.travel_s.tolist()
