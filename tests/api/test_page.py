"""The traveller page (GET /), the departure boards (GET /stop/{stopId}), their static files
and the key the pages carry where anonymous requests are refused, on the bundled Helsinki
feed. The browser's side (the script's behaviour) is tested elsewhere, against the DOM ids
checked here."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess

import numpy as np
import polyline
import pytest
from yarl import URL

from trajet.api.app import create_app
from trajet.api.page import ETAGS, STATIC
from trajet.api.page_texts import T
from trajet.billing.config import ConfigError, load_config
from trajet.service.clock import Clock

PASILA = "1000004"  # a station (its platforms' departures)
IDS = ("plan-form", "from", "to", "from-list", "to-list", "locate", "date", "time", "wheelchair", "bike", "search",
       "results", "itineraries", "earlier", "later", "how", "lang-switch", "notice")
URL_IN_TEXT = re.compile(r"https?://[^\s\"'<>)]+")
NOT_FETCHED = {"http://www.w3.org/2000/svg"}  # the SVG namespace's name in page.js, never requested
CONFIG = """
[access]
anonymous = false
{page}
[[territories]]
name = "helsinki"
feeds = ["helsinki"]

[[keys]]
key = "admin-key-123"
owner = "helsinki"
owner_kind = "territory"
role = "admin"

[[keys]]
key = "page-key-456"
owner = "helsinki"
owner_kind = "territory"
role = "client"
"""


@pytest.fixture
async def client(aiohttp_client, network):
    return await aiohttp_client(create_app(network))


def page_data(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="page-data">(.*?)</script>', html, re.S)
    return json.loads(found.group(1))


def element(html: str, element_id: str) -> str:
    """The opening tag of the element with this id."""
    found = re.search(rf'<[a-z]+ [^>]*id="{element_id}"[^>]*>', html)
    assert found, f"no element #{element_id}"
    return found.group(0)


@pytest.mark.parametrize("lang, headers, params", [
    ("en", {"Accept-Language": "en-GB,en;q=0.8"}, {}),
    ("fr", {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}, {}),
    ("fr", {"Accept-Language": "en"}, {"lang": "fr"}),
    ("en", {"Accept-Language": "fr"}, {"lang": "en"}),
])
async def test_the_page_is_in_the_language_asked(client, lang, headers, params):
    response = await client.get("/", headers=headers, params=params)
    assert response.status == 200 and response.content_type == "text/html"
    html = await response.text()
    t = T[lang]
    assert f'<html lang="{lang}">' in html
    for element_id in IDS:
        element(html, element_id)
    for text in ("from", "to", "search", "locate", "how", "wheelchair", "bike", "earlier", "later"):
        assert t[text].replace("'", "&#x27;") in html, text
    other = "en" if lang == "fr" else "fr"
    assert f'href="/?lang={other}"' in element(html, "lang-switch")
    assert page_data(html)["lang"] == lang and page_data(html)["texts"] == t


async def test_every_input_is_labelled(client):
    html = await (await client.get("/")).text()
    for element_id in ("from", "to", "date", "time"):
        assert f'<label for="{element_id}"' in html, element_id
    for box in ("wheelchair", "bike"):  # inside their label
        assert re.search(rf'<label><input type="checkbox" id="{box}"[^>]*> [^<]+</label>', html), box
    assert len(re.findall(r'<label><input type="radio" name="when" value="(depart|arrive)"', html)) == 2
    for name in ("from", "to"):
        combo = element(html, name)
        assert 'role="combobox"' in combo and f'aria-controls="{name}-list"' in combo
        assert 'role="listbox"' in element(html, f"{name}-list")
    assert 'aria-live="polite"' in element(html, "results")


async def test_an_unknown_language_is_refused(client):
    response = await client.get("/", params={"lang": "de"})
    assert response.status == 400 and (await response.json())["error"]["field"] == "lang"
    response = await client.get("/", params={"lng": "fr"})
    assert response.status == 400 and "did you mean lang" in (await response.json())["error"]["message"]


async def test_a_day_outside_the_feeds_starts_on_their_first_day_and_says_so(client, network, monkeypatch):
    monkeypatch.setattr(network, "clock", Clock(dt.datetime(2026, 12, 3, 9, 30), frozen=True))
    html = await (await client.get("/", params={"lang": "en"})).text()
    first = network.first_date.isoformat()
    assert f'value="{first}"' in element(html, "date") and 'value="09:30"' in element(html, "time")
    notice = re.search(r'<p id="notice" role="status">([^<]*)</p>', html).group(1)
    assert "2026-12-03" in notice and first in notice
    assert page_data(html)["date"] == first
    board = await (await client.get(f"/stop/{PASILA}", params={"lang": "fr"})).text()
    assert page_data(board)["date"] == first and first in re.search(r'<p id="notice" role="status">([^<]*)</p>',
                                                                    board).group(1)


async def test_a_day_inside_the_feeds_is_today_without_notice(client, network, monkeypatch):
    monkeypatch.setattr(network, "clock", Clock(dt.datetime(2022, 2, 22, 8, 0), frozen=True))
    html = await (await client.get("/")).text()
    assert 'value="2022-02-22"' in element(html, "date") and 'value="08:00"' in element(html, "time")
    assert '<p id="notice" role="status" hidden></p>' in html


@pytest.mark.parametrize("name, content_type", [("page.js", "text/javascript"), ("page.css", "text/css")])
async def test_the_static_files_are_served_with_their_type_and_a_cache_header(client, name, content_type):
    response = await client.get(f"/static/{name}")
    assert response.status == 200 and response.content_type == content_type
    assert response.headers["Cache-Control"].startswith("public, max-age=")
    assert await response.read() == STATIC[name][0]
    again = await client.get(f"/static/{name}", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status == 304


@pytest.mark.parametrize("path", ["/", f"/stop/{PASILA}"])
async def test_the_pages_name_their_files_with_their_version(client, path):
    """A page asks for /static/page.js?v=<its ETag>, so a browser fetches a new script at once."""
    html = await (await client.get(path)).text()
    for name in ("page.js", "page.css"):
        version = ETAGS[name].strip('"')
        assert f"/static/{name}?v={version}" in html, name
        response = await client.get(f"/static/{name}", params={"v": version})
        assert response.status == 200 and response.headers["ETag"] == ETAGS[name]


@pytest.mark.parametrize("path", [
    "/static/nope.js",
    "/static/page.html",  # a template the server fills, not a file served as it is
    "/static/..%2Fapp.py",
    "/static/%2e%2e%2fapp.py",
    "/static/%2E%2E/app.py",
    "/static/..%5Capp.py",
    "/static/../app.py",
    "/static/..%2F..%2Fpyproject.toml",
])
async def test_only_the_page_s_files_are_served(client, path):
    response = await client.get(URL(path, encoded=True))
    assert response.status == 404 and response.content_type == "application/json"
    body = await response.text()
    assert "import" not in body and "[project]" not in body


async def test_the_pages_fetch_nothing_from_elsewhere(client):
    texts = [await (await client.get(p)).text() for p in ("/", "/?lang=fr", f"/stop/{PASILA}")]
    texts += [body.decode() for body, _ in STATIC.values()]
    for text in texts:
        assert set(URL_IN_TEXT.findall(text)) <= NOT_FETCHED
    for html in texts[:3]:
        for url in re.findall(r'(?:src|href|action)="([^"]*)"', html):
            assert url.startswith("/") and not url.startswith("//"), url


async def test_streets_inside_a_box(client, network):
    bbox = (24.93, 60.165, 24.95, 60.175)  # Kamppi to the central station
    response = await client.get("/v1/streets", params={"bbox": ",".join(map(str, bbox))})
    assert response.status == 200
    body = await response.json()
    segments = body["segments"]
    assert len(segments) > 1000 and body["truncated"] is False and body["bbox"] == list(bbox)

    def inside(lon, lat):
        return bbox[0] <= lon <= bbox[2] and bbox[1] <= lat <= bbox[3]

    assert all(inside(s[0], s[1]) or inside(s[2], s[3]) for s in segments)
    assert {"primary", "footway"} <= {s[4] for s in segments}


def test_each_street_segment_of_the_box_is_given_once(network):
    """As a slow loop over every edge finds them: each pair of nodes joined, one end inside."""
    from trajet.service.street_map import streets_in_box

    graph, bbox = network.streets.graph, (24.93, 60.165, 24.95, 60.175)

    def inside(node):
        return bbox[0] <= graph.node_lon[node] <= bbox[2] and bbox[1] <= graph.node_lat[node] <= bbox[3]

    expected = set()
    for a in range(graph.n_nodes):
        for e in range(graph.edge_offsets[a], graph.edge_offsets[a + 1]):
            b = int(graph.edge_to[e])
            if inside(a) or inside(b):
                expected.add(frozenset((a, b)))
    def at(node):
        return float(np.round(graph.node_lon[node], 6)), float(np.round(graph.node_lat[node], 6))  # as served

    segments = streets_in_box(graph, bbox)["segments"]
    assert len(segments) == len(expected)
    assert {frozenset(((s[0], s[1]), (s[2], s[3]))) for s in segments} == {frozenset(map(at, p)) for p in expected}


async def test_streets_far_from_the_network_are_none(client):
    body = await (await client.get("/v1/streets", params={"bbox": "2.33,48.85,2.36,48.87"})).json()  # Paris
    assert body["segments"] == [] and body["truncated"] is False


@pytest.mark.parametrize("bbox, problem", [
    ("", "is not minLon,minLat,maxLon,maxLat"),
    ("24.93,60.165,24.95", "is not minLon,minLat,maxLon,maxLat"),
    ("24.93,60.165,24.95,north", "is not minLon,minLat,maxLon,maxLat"),
    ("24.95,60.165,24.93,60.175", "minLon must be below maxLon"),
    ("24.93,60.175,24.95,60.175", "minLat below maxLat"),
    ("24.93,95,24.95,96", "latitudes -90..90"),
    ("24,60,26,61", "at most 150 km²"),
])
async def test_a_bad_or_too_large_bbox_is_refused(client, bbox, problem):
    response = await client.get("/v1/streets", params={"bbox": bbox} if bbox else {})
    assert response.status == 400
    error = (await response.json())["error"]
    assert error["field"] == "bbox" and problem in error["message"], error


def test_past_the_limit_the_larger_streets_are_kept(network):
    from trajet.service.street_map import streets_in_box

    bbox = (24.93, 60.165, 24.95, 60.175)
    every = streets_in_box(network.streets.graph, bbox)
    few = streets_in_box(network.streets.graph, bbox, limit=50)
    assert len(few["segments"]) == 50 and few["truncated"] is True and every["truncated"] is False
    assert {s[4] for s in few["segments"]} <= {"trunk", "trunk_link", "primary", "primary_link", "secondary"}
    assert streets_in_box(None, bbox)["segments"] == []  # a network without streets


@pytest.mark.parametrize("lang", ["en", "fr"])
async def test_a_station_s_board(client, network, lang):
    response = await client.get(f"/stop/{PASILA}", params={"lang": lang})
    assert response.status == 200 and response.content_type == "text/html"
    html = await response.text()
    t = T[lang]
    assert '<h1 id="stop-name">Pasila</h1>' in html and 'id="departures"' in html
    for text in ("board_time", "board_platform", "board_line", "board_headsign"):
        assert f'<th scope="col">{t[text]}</th>' in html
    assert page_data(html)["stopId"] == PASILA
    departures = await (await client.get(f"/v1/stops/{PASILA}/departures", params={"date": "2022-02-22"})).json()
    assert departures["departures"] and all("routeColor" in d and "routeTextColor" in d
                                            for d in departures["departures"])


async def test_an_unknown_stop_s_board_is_a_404_page(client):
    response = await client.get("/stop/no-such-stop", params={"lang": "fr"})
    assert response.status == 404 and response.content_type == "text/html"
    html = await response.text()
    assert T["fr"]["board_unknown"] in html and "no-such-stop" in html and page_data(html)["stopId"] is None


def write(tmp_path, page: str):
    path = tmp_path / "trajet.toml"
    path.write_text(CONFIG.format(page=page))
    return path


async def test_without_anonymous_access_the_pages_carry_the_page_key(aiohttp_client, network, tmp_path):
    setup = load_config(write(tmp_path, '[page]\nkey = "page-key-456"\n'), ["helsinki"])
    client = await aiohttp_client(create_app(network, setup=setup))
    response = await client.get("/")  # the page itself is open
    assert response.status == 200
    data = page_data(await response.text())
    assert data["key"] == "page-key-456" and data["blocked"] is False
    assert page_data(await (await client.get(f"/stop/{PASILA}")).text())["key"] == "page-key-456"
    assert (await client.get("/static/page.js")).status == 200
    params = {"bbox": "24.93,60.165,24.95,60.175"}
    assert (await client.get("/v1/streets", params=params)).status == 401
    assert (await client.get("/v1/streets", params=params, headers={"X-Api-Key": data["key"]})).status == 200


async def test_without_anonymous_access_nor_page_key_the_page_says_it_cannot_plan(aiohttp_client, network, tmp_path):
    setup = load_config(write(tmp_path, ""), ["helsinki"])
    client = await aiohttp_client(create_app(network, setup=setup))
    html = await (await client.get("/", params={"lang": "en"})).text()
    assert page_data(html)["blocked"] is True and page_data(html)["key"] is None
    assert T["en"]["key_needed"].replace("'", "&#x27;") in html


async def test_with_anonymous_access_the_page_carries_no_key(client):
    data = page_data(await (await client.get("/")).text())
    assert data["key"] is None and data["blocked"] is False


@pytest.mark.parametrize("page, message", [
    ('[page]\nkey = "admin-key-123"\n', "page.key: is written into a public page: it must be a client key"),
    ('[page]\nkey = "undeclared-key"\n', "page.key: is not a declared key"),
])
def test_the_page_key_is_a_declared_client_key(tmp_path, page, message):
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, page), ["helsinki"])
    assert message in str(error.value)


async def test_the_streets_answer_follows_the_document(client):
    from .test_openapi import check

    response = await client.get("/v1/streets", params={"bbox": "24.94,60.168,24.945,60.171"})
    check(await response.json(), "/v1/streets")
    check(await (await client.get("/v1/streets", params={"bbox": "1,2"})).json(), "/v1/streets", "400")


def test_the_document_lists_the_pages():
    from trajet.api.openapi import document

    paths = document()["paths"]
    for path in ("/", "/stop/{stopId}", "/static/{name}", "/v1/streets"):
        assert "get" in paths[path], path
    assert [p["name"] for p in paths["/v1/streets"]["get"]["parameters"]] == ["bbox"]


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run page.js's decoder")
async def test_the_page_s_polyline_decoder_agrees_with_the_api_s_encoder(client):
    """page.js's decodePolyline, run by node, on every leg of a real plan, against the polyline package."""
    body = await (await client.get("/v1/plan", params={"from": "1000102", "to": "1000004", "date": "2022-02-22",
                                                        "time": "08:00"})).json()
    encoded = [leg["legGeometry"]["points"] for it in body["itineraries"] for leg in it["legs"]]
    script = STATIC["page.js"][0].decode()
    decoder = re.search(r"^function decodePolyline\(text\) \{.*?^\}$", script, re.S | re.M).group(0)
    program = decoder + f"\nconsole.log(JSON.stringify({json.dumps(encoded)}.map(decodePolyline)));"
    decoded = json.loads(subprocess.run(["node", "-e", program], capture_output=True, text=True, check=True).stdout)
    assert len(decoded) == len(encoded) > 5
    for text, points in zip(encoded, decoded):
        assert points == [list(p) for p in polyline.decode(text)]
