"""The traveller's page (GET /) and a stop's board (GET /stop/{stopId}) in a browser, on the
bundled feed with the server's clock at 2022-02-22 08:00: finding stops by typing, planning,
reading an itinerary, later departures, the language switch, the "how was this computed" panel,
planning with the keyboard alone, WCAG 2 A/AA by axe-core, and screenshots.

The page's DOM contract: #lang-switch; form#plan-form with #from and #to, each with its
listbox #from-list / #to-list of role=option items fed by /v1/places, #locate, #date, #time,
radios name="when" (depart, arrive), #wheelchair, #bike, button#search; #notice; #results with
ol#itineraries > li.itinerary (span.line, .leg, svg.itinerary-map), #earlier, #later and
details#how. The board: table#departures.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from .conftest import assert_accessible, screenshot

DATE, TIME = "2022-02-22", "08:00"
BOARD_STOP = "1000102"  # Kampin metroasema: metro lines M1, M2 and M2M
ITINERARY = "ol#itineraries > li.itinerary"

expect.set_options(timeout=15_000)


def hhmm(iso: str) -> str:
    return iso[11:16]


def query_of(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


def pick(page, field: str, typed: str) -> str:
    """Types into #field, waits for #field-list to offer a place of that name (the page asks
    /v1/places as one types) and clicks the first option; returns the option's text."""
    page.locator(f"#{field}").press_sequentially(typed, delay=20)
    options = page.locator(f"#{field}-list [role=option]")
    expect(options.first).to_have_text(re.compile(typed[:4], re.I))
    names = [p["name"] for p in page.request.get(f"/v1/places?q={typed}&limit=20").json()["places"]]
    text = options.first.inner_text()
    assert any(name in text for name in names), f"option {text!r} is none of the places {names}"
    options.first.click()
    expect(page.locator(f"#{field}-list")).to_be_hidden()
    return text


def plan(page) -> dict:
    """Sets the feed's day and 08:00, searches; the /v1/plan answer the page received."""
    page.locator("#date").fill(DATE)
    page.locator("#time").fill(TIME)
    with page.expect_response(lambda r: "/v1/plan" in r.url) as answered:
        page.locator("#search").click()
    assert answered.value.status == 200, answered.value.text()[:300]
    asked = query_of(answered.value.url)
    assert asked.get("date") == DATE and asked.get("time", "").startswith(TIME), f"the page asked {asked}"
    expect(page.locator(ITINERARY).first).to_be_visible()
    return answered.value.json()


def lines(itinerary: dict) -> list[str]:
    return [leg["routeShortName"] for leg in itinerary["legs"] if leg.get("routeShortName")]


def switch_language(page, lang: str) -> None:
    switch = page.locator("#lang-switch")
    tag = switch.evaluate("e => e.tagName")
    if tag == "SELECT":
        switch.select_option(lang)
    elif tag in ("A", "BUTTON"):
        switch.click()
    else:  # a group of links or buttons, one per language
        switch.locator(f"[lang={lang}], [hreflang={lang}], [value={lang}]").first.click()
    expect(page.locator("html")).to_have_attribute("lang", lang)


@pytest.fixture
def planned(open_page):
    """The page at 1280 px with Kamppi -> Pasila planned at 08:00: (page, the /v1/plan answer)."""
    page = open_page("/")
    assert page.answer.status == 200
    pick(page, "from", "Kamppi")
    pick(page, "to", "Pasila")
    return page, plan(page)


def test_the_page_has_its_form_on_the_clock_s_day(open_page):
    page = open_page("/")
    assert page.answer.status == 200 and page.answer.headers["content-type"].startswith("text/html")
    form = page.locator("form#plan-form")
    for field in ("#from", "#to", "#locate", "#date", "#time", "#wheelchair", "#bike", "#search"):
        expect(form.locator(field)).to_be_attached()
    expect(page.locator("#search")).to_be_visible()
    assert sorted(form.locator('input[type=radio][name="when"]').evaluate_all("rs => rs.map(r => r.value)")) == [
        "arrive", "depart"]
    # the server's clock (TRAJET_NOW) is on the feed's day: the form starts there, with no notice
    expect(page.locator("#date")).to_have_value(DATE)
    expect(page.locator("#notice")).to_be_hidden()


def test_typing_a_stop_name_offers_the_places(open_page):
    page = open_page("/")
    chosen = pick(page, "from", "Kamppi")
    assert re.search("kamp", chosen, re.I), chosen
    assert re.search("kamp", page.locator("#from").input_value(), re.I), "the input shows the place picked"


def test_a_plan_shows_the_itineraries_the_api_found(planned):
    page, body = planned
    assert body["itineraries"], body.get("routingErrors")
    shown = page.locator(ITINERARY)
    expect(shown).to_have_count(len(body["itineraries"]))
    for i, itinerary in enumerate(body["itineraries"]):
        li = shown.nth(i)
        text = li.inner_text()
        assert hhmm(itinerary["startTime"]) in text and hhmm(itinerary["endTime"]) in text, text
        assert li.locator("span.line").all_inner_texts() == lines(itinerary), text
        assert li.locator(".leg").count() >= len(lines(itinerary))
        expect(li.locator("svg.itinerary-map")).to_have_count(1)
    box = shown.first.locator("svg.itinerary-map").bounding_box()
    assert box and box["width"] > 50 and box["height"] > 50, f"the first map is drawn at {box}"


def test_later_asks_the_next_window_and_shows_later_departures(planned):
    page, first = planned
    with page.expect_response(lambda r: "/v1/plan" in r.url) as answered:
        page.locator("#later").click()
    assert query_of(answered.value.url).get("pageCursor") == first["nextPageCursor"]
    later = answered.value.json()
    assert later["itineraries"], later.get("routingErrors")
    assert min(i["startTime"] for i in later["itineraries"]) > min(i["startTime"] for i in first["itineraries"])
    new = later["itineraries"][0]
    shown = page.locator(ITINERARY, has_text=hhmm(new["startTime"])).filter(has_text=hhmm(new["endTime"]))
    expect(shown.first).to_be_visible()
    assert shown.first.locator("span.line").all_inner_texts() == lines(new)


def test_the_language_switch_changes_the_texts(open_page):
    page = open_page("/")
    english = {sel: page.locator(sel).inner_text() for sel in ("#search", "label[for=from]", "h1")}
    switch_language(page, "fr")
    french = {sel: page.locator(sel).inner_text() for sel in english}
    assert all(french[sel] and french[sel] != english[sel] for sel in english), (english, french)
    switch_language(page, "en")
    assert {sel: page.locator(sel).inner_text() for sel in english} == english


def test_how_was_this_computed(planned):
    page, body = planned
    how = page.locator("details#how")
    expect(how).to_be_visible()
    how.locator("summary").click()
    expect(how).to_have_attribute("open", "")
    text = how.inner_text()
    feed = body["feeds"][0]
    assert feed["name"] in text or feed["publisher"] in text, text
    assert feed["version"] in text, text
    assert body["computation"]["algorithm"]["name"] in text, text  # RAPTOR
    assert re.search(r"\d\s*ms", text), f"no CPU time in {text!r}"
    assert "EUR" in text or "€" in text, f"no cost in {text!r}"
    minutes = body["searchWindowUsed"] // 60
    assert f"{minutes}-minute window" in text, f"the search is not told: {text!r}"


def test_how_was_this_computed_in_french(open_page):
    """The French page tells the search and the walking models in French, not the API's
    English sentences."""
    page = open_page("/?lang=fr")
    pick(page, "from", "Kamppi")
    pick(page, "to", "Pasila")
    page.locator("input[name=when][value=arrive]").check()
    body = plan(page)
    how = page.locator("details#how")
    how.locator("summary").click()
    text = how.inner_text()
    assert f"fenêtre de {body['searchWindowUsed'] // 60} minutes" in text, text
    assert "horaires inversés dans le temps" in text, text  # arrive-by: the mirrored timetable
    assert body["computation"]["algorithm"]["variant"] not in text, text
    assert body["walking"]["models"] and not any(model in text for model in body["walking"]["models"]
                                                 if model != "transfers.txt"), text


def test_no_journey_is_explained_in_the_page_s_language(open_page):
    """Arriving at Pasila by 04:00 is impossible (the first journey arrives at 05:46): the French
    page says why in French, the English one with the API's own sentence."""
    from trajet.api.page_texts import T

    for lang in ("fr", "en"):
        page = open_page(f"/?lang={lang}")
        pick(page, "from", "Kamppi")
        pick(page, "to", "Pasila")
        page.locator("input[name=when][value=arrive]").check()
        page.locator("#date").fill(DATE)
        page.locator("#time").fill("04:00")
        with page.expect_response(lambda r: "/v1/plan" in r.url) as answered:
            page.locator("#search").click()
        [error] = answered.value.json()["routingErrors"]
        french = T["fr"]["why_NO_TRANSIT_CONNECTION_IN_SEARCH_WINDOW_arrive"]
        expected = french if lang == "fr" else error["description"]
        expect(page.locator("#results")).to_contain_text(expected)
        expect(page.locator(ITINERARY)).to_have_count(0)


def test_planning_with_the_keyboard_alone(open_page):
    page = open_page("/")
    page.locator("#date").fill(DATE)  # the day and time typed in, then nothing but keys
    page.locator("#time").fill(TIME)
    page.locator("body").focus()

    def tab_to(element_id: str) -> None:
        for _ in range(30):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
                return
        raise AssertionError(f"#{element_id} is not reached by Tab")

    for field, typed in (("from", "Kamppi"), ("to", "Pasila")):
        tab_to(field)
        page.keyboard.type(typed, delay=20)
        expect(page.locator(f"#{field}-list [role=option]").first).to_have_text(re.compile(typed[:4], re.I))
        page.keyboard.press("ArrowDown")
        active = page.locator(f"#{field}").get_attribute("aria-activedescendant")
        selected = page.locator(f"#{field}-list [role=option][aria-selected=true]").count()
        assert active or selected, "the option ArrowDown reached is not announced (aria-activedescendant/selected)"
        page.keyboard.press("Enter")
        expect(page.locator(f"#{field}-list")).to_be_hidden()
        assert re.search(typed[:4], page.locator(f"#{field}").input_value(), re.I), "the input shows the place"
    tab_to("search")
    with page.expect_response(lambda r: "/v1/plan" in r.url) as answered:
        page.keyboard.press("Enter")
    assert answered.value.json()["itineraries"]
    expect(page.locator(ITINERARY).first).to_be_visible()


def test_the_page_works_under_its_content_security_policy(open_page):
    """The browser enforces the page's policy (no inline script or style, this server only):
    planning works, and nothing the page does is refused."""
    page = open_page("/", bypass_csp=False)
    policy = page.answer.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    refused, errors = [], []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    pick(page, "from", "Kamppi")
    pick(page, "to", "Pasila")
    body = plan(page)
    assert body["itineraries"] and not refused and not errors, (refused, errors)
    expect(page.locator("svg.itinerary-map").first).to_be_visible()


def test_the_page_passes_axe_empty_and_with_an_itinerary(open_page, planned, axe):
    assert_accessible(open_page("/"), axe)
    page, _ = planned
    page.locator("details#how summary").click()
    assert_accessible(page, axe)
    switch_language(page, "fr")
    assert_accessible(page, axe)


def test_the_board_lists_departures(open_page, axe):
    page = open_page(f"/stop/{BOARD_STOP}")
    assert page.answer.status == 200
    rows = page.locator("table#departures tbody tr")
    expect(rows.first).to_be_visible()
    text = page.locator("table#departures").inner_text()
    assert re.search(r"\bM[12]\b", text), text[:300]
    assert re.search(r"\d{1,2}[:.]\d{2}", text), text[:300]
    assert "Kamp" in page.locator("h1").inner_text()
    assert_accessible(page, axe)


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_page_and_board_screenshots(open_page, screenshots, width):
    page = open_page("/", width)
    pick(page, "from", "Kamppi")
    pick(page, "to", "Pasila")
    plan(page)
    px = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= px, "the page scrolls sideways"
    if width == "desktop":
        page.locator(ITINERARY).first.scroll_into_view_if_needed()
        screenshot(page, screenshots, f"itinerary-{px}")
    else:
        screenshot(page, screenshots, f"page-{px}")
    board = open_page(f"/stop/{BOARD_STOP}", width)
    expect(board.locator("table#departures tbody tr").first).to_be_visible()
    screenshot(board, screenshots, f"board-{px}")
