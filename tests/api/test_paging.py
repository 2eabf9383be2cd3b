"""Departure windows and page cursors on /v1/plan, on the bundled Helsinki feed.

A window answers every journey leaving in it that no other beats on (later departure,
earlier arrival, fewer transfers), sorted by arrival, then later departure, then fewer
transfers; numItineraries cuts that order. nextPageCursor and previousPageCursor continue
the same search after and before the window, and only on the timetable they were made on.
"""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest

from trajet.api.app import ServiceConfig, create_app
from trajet.service.paging import Page, encode_cursor, search_digest

RAUTATIENTORI, KUMPULA = "1020453", "1240118"  # Helsinki central station tram stop, Kumpula campus
SEARCH = {"from": RAUTATIENTORI, "to": KUMPULA, "date": "2022-02-22", "time": "08:00", "numItineraries": "20"}


@pytest.fixture
async def client(aiohttp_client, network):
    return await aiohttp_client(create_app(network))


async def plan(client, **params) -> dict:
    response = await client.get("/v1/plan", params={**SEARCH, **params})
    assert response.status == 200, await response.text()
    return await response.json()


def keys(body: dict) -> list[tuple[str, str, int]]:
    return [(it["startTime"], it["endTime"], it["transfers"]) for it in body["itineraries"]]


def pareto(found) -> set[tuple[str, str, int]]:
    """The keys no other beats on (later start, earlier end, fewer transfers)."""
    found = set(found)
    return {k for k in found
            if not any(o != k and o[0] >= k[0] and o[1] <= k[1] and o[2] <= k[2] for o in found)}


async def test_a_window_answers_its_pareto_set_sorted_by_arrival(client):
    body = await plan(client, searchWindow="3600")
    got = keys(body)
    assert len(got) >= 4  # trams and buses every few minutes
    later_first = {start: -dt.datetime.fromisoformat(start).timestamp() for start, _, _ in got}
    assert got == sorted(got, key=lambda k: (k[1], later_first[k[0]], k[2]))
    assert set(got) == pareto(got)
    assert all("T08:" in start or start.endswith("T09:00:00+02:00") for start, _, _ in got)
    assert body["searchWindowUsed"] == 3600 and body["options"]["searchWindow"] == 3600
    assert body["nextPageCursor"] and body["previousPageCursor"]
    assert "rRAPTOR" in body["computation"]["algorithm"]["variant"]


async def test_the_default_window_is_one_hour_and_num_itineraries_cuts_its_order(client):
    full = await plan(client)
    assert full["searchWindowUsed"] == 3600
    first_two = await plan(client, numItineraries="2")
    assert keys(first_two) == keys(full)[:2]


async def test_a_window_of_0_is_one_departure_without_cursors(client):
    body = await plan(client, searchWindow="0")
    assert body["searchWindowUsed"] == 0 and "nextPageCursor" not in body
    assert len(body["itineraries"]) <= 3  # one departure: its Pareto set over (arrival, transfers)


async def test_three_pages_are_one_window_three_times_as_long(client):
    """The union of three consecutive pages of 10 minutes, Pareto-filtered, is the answer for
    one window of 30 minutes (each page shows the journeys leaving in it; every page here has some)."""
    pages, params = [], {"searchWindow": "600"}
    for _ in range(3):
        body = await plan(client, **params)
        assert body["itineraries"] and len(body["itineraries"]) < 20  # none cut away
        pages.append(body)
        params = {"searchWindow": "600", "pageCursor": body["nextPageCursor"]}
    assert [p["time"] for p in pages] == ["08:00:00", "08:10:00", "08:20:00"]
    whole = await plan(client, searchWindow="1800")
    assert len(whole["itineraries"]) < 20
    assert pareto(k for p in pages for k in keys(p)) == set(keys(whole))


async def test_the_previous_page_is_the_window_before(client):
    body = await plan(client, searchWindow="1200")
    before = await plan(client, searchWindow="1200", pageCursor=body["previousPageCursor"])
    assert before["time"] == "07:40:00" and before["date"] == "2022-02-22"
    assert all(it["startTime"] < "2022-02-22T08:01" for it in before["itineraries"])


async def test_a_cursor_of_another_search_or_timetable_is_refused(client, network):
    body = await plan(client, searchWindow="1200")
    cursor = body["nextPageCursor"]
    for params, words in (
        ({**SEARCH, "to": "1240103", "pageCursor": cursor}, "another search"),
        ({**SEARCH, "maxTransfers": "1", "pageCursor": cursor}, "another search"),
        ({**SEARCH, "pageCursor": "not-a-cursor"}, "not a cursor"),
        ({**SEARCH, "pageCursor": base64.urlsafe_b64encode(json.dumps(  # another format, or no window
            {"f": 99, "v": network.version, "q": search_digest(SEARCH), "d": "2022-02-22", "t": 0, "w": 600,
             "a": False}).encode()).decode()}, "not a cursor"),
        ({**SEARCH, "pageCursor": encode_cursor(Page(dt.date(2022, 2, 22), 30000, 0), network.version,
                                                search_digest(SEARCH))}, "not a cursor"),
        ({**SEARCH, "pageCursor": encode_cursor(Page(dt.date(2022, 2, 22), 30000, 1200), "0123456789ab",
                                                search_digest(SEARCH))}, "timetable has changed"),
    ):
        response = await client.get("/v1/plan", params=params)
        assert response.status == 400
        error = (await response.json())["error"]
        assert error["field"] == "pageCursor" and words in error["message"], error
    # the same search with another numItineraries pages on
    assert (await client.get("/v1/plan", params={**SEARCH, "numItineraries": "3", "pageCursor": cursor})).status == 200


async def test_a_window_larger_than_the_maximum_is_refused(aiohttp_client, network):
    client = await aiohttp_client(create_app(network, ServiceConfig(max_search_window_s=1800)))
    response = await client.get("/v1/plan", params={**SEARCH, "searchWindow": "3600"})
    assert response.status == 400
    error = (await response.json())["error"]
    assert error["field"] == "searchWindow" and "maximum, 1800 s" in error["message"]
    assert (await plan(client, searchWindow="1800"))["searchWindowUsed"] == 1800
    assert (await plan(client))["searchWindowUsed"] == 1800  # the default is cut to the maximum


def test_the_cli_pages_too(tmp_path):
    """trajet plan takes --search-window and --page-cursor, and its JSON has the cursors."""
    import orjson

    from ..test_cli import trajet

    base = ["plan", "--from", RAUTATIENTORI, "--to", KUMPULA, "--date", "2022-02-22", "--time", "08:00", "--json"]
    body = orjson.loads(trajet(*base, "--search-window", "600", tmp_path=tmp_path).stdout)
    assert body["searchWindowUsed"] == 600 and body["itineraries"]
    later = orjson.loads(trajet(*base, "--search-window", "600", "--page-cursor", body["nextPageCursor"],
                                tmp_path=tmp_path).stdout)
    assert later["itineraries"] and all(it["startTime"] > "2022-02-22T08:09" for it in later["itineraries"])


async def test_an_arrive_by_window_is_the_arrivals_before_the_deadline_latest_departure_first(client):
    body = await plan(client, arriveBy="true", time="09:00", searchWindow="1800")
    its = body["itineraries"]
    assert len(its) >= 3 and body["options"]["arriveBy"] is True
    assert "mirrored" in body["computation"]["algorithm"]["variant"]
    assert all("2022-02-22T08:30" <= it["endTime"] <= "2022-02-22T09:00:00+02:00" for it in its)
    starts = [it["startTime"] for it in its]
    assert starts == sorted(starts, reverse=True)
    assert set(keys(body)) == pareto(keys(body))
    earlier = await plan(client, arriveBy="true", time="09:00", searchWindow="1800",
                         pageCursor=body["previousPageCursor"])
    assert earlier["time"] == "08:30:00" and all(it["endTime"] <= "2022-02-22T08:30:00+02:00"
                                                 for it in earlier["itineraries"])


async def test_a_departure_cursor_with_arrive_by_is_refused(client):
    cursor = (await plan(client, searchWindow="1200"))["nextPageCursor"]
    for params, words in (({"arriveBy": "true", "pageCursor": cursor}, "pages a departure search"),):
        response = await client.get("/v1/plan", params={**SEARCH, **params})
        assert response.status == 400
        error = (await response.json())["error"]
        assert error["field"] == "pageCursor" and words in error["message"], error
    arrive_cursor = (await plan(client, arriveBy="true", searchWindow="1200"))["nextPageCursor"]
    response = await client.get("/v1/plan", params={**SEARCH, "pageCursor": arrive_cursor})
    assert response.status == 400 and "pages an arrive-by search" in (await response.json())["error"]["message"]
