"""The funders' dashboard in a browser: plots and tables, the language switch, the CSV download,
WCAG 2 A/AA by axe-core, and the page refused without an admin key."""

from __future__ import annotations

import csv
import io

import pytest

from .conftest import ADMIN_KEY, CLIENT_KEY, assert_accessible, screenshot


@pytest.fixture
def dashboard(open_page):
    page = open_page(f"/dashboard?key={ADMIN_KEY}")
    assert page.answer.status == 200, page.content()[:500]
    return page


def test_the_dashboard_shows_a_plot_and_a_table_per_model_and_series(dashboard):
    assert dashboard.title() == "Funders' dashboard"
    plots = dashboard.locator("figure svg[role=img]")
    assert plots.count() == 9  # five funding models, then requests and cost per day and per endpoint
    for i in range(plots.count()):
        box = plots.nth(i).bounding_box()
        assert box and box["width"] > 100 and box["height"] > 50, f"plot {i} drawn at {box}"
    assert dashboard.locator("table caption").count() == 7
    by_endpoint = dashboard.locator("table", has=dashboard.locator("caption", has_text="Cost per endpoint"))
    assert set(by_endpoint.locator("tbody th").all_inner_texts()) >= {"/v1/plan", "/v1/places"}
    by_day = dashboard.locator("table", has=dashboard.locator("caption", has_text="Requests and cost per day"))
    assert by_day.locator("tbody tr").count() >= 3  # the three days of the ledger (and today's requests)
    assert CLIENT_KEY not in dashboard.content()


def test_the_language_switch_gives_french_and_back(dashboard):
    dashboard.get_by_role("link", name="Français").click()
    dashboard.wait_for_load_state()
    assert dashboard.locator("html").get_attribute("lang") == "fr"
    assert dashboard.locator("h1").inner_text() == "Tableau de bord des financeurs"
    assert dashboard.locator("figure svg[role=img]").count() == 9
    assert dashboard.get_by_role("button", name="Afficher").is_visible()
    dashboard.get_by_role("link", name="English").click()
    dashboard.wait_for_load_state()
    assert dashboard.locator("h1").inner_text() == "Funders' dashboard"


def plans_asked(page) -> int:
    """The /v1/plan requests of the page's table per endpoint."""
    table = page.locator("table", has=page.locator("caption", has_text="Cost per endpoint"))
    return int(table.locator("tbody tr", has=page.locator("th", has_text="/v1/plan")).locator("td").first.inner_text())


def test_the_form_narrows_to_a_territory(dashboard):
    everyone = plans_asked(dashboard)
    dashboard.get_by_label("Territory").select_option("espoo")
    dashboard.get_by_role("button", name="Show").click()
    dashboard.wait_for_url("**territory=espoo**")
    assert dashboard.get_by_label("Territory").input_value() == "espoo"
    assert dashboard.locator("figure svg[role=img]").count() == 9
    espoo = plans_asked(dashboard)
    assert 0 < espoo < everyone  # a third of the ledger's plans are espoo's


def test_a_french_browser_gets_the_dashboard_in_french(open_page):
    page = open_page(f"/dashboard?key={ADMIN_KEY}", locale="fr-FR")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("h1").inner_text() == "Tableau de bord des financeurs"
    assert page.get_by_role("link", name="English").is_visible()


def test_the_csv_link_downloads_the_tables(dashboard):
    with dashboard.expect_download() as started:
        dashboard.get_by_role("link", name="CSV").click()
    download = started.value
    assert download.suggested_filename.startswith("trajet-dashboard-all-") and download.suggested_filename.endswith(
        ".csv")
    rows = list(csv.DictReader(io.StringIO(open(download.path(), encoding="utf-8").read())))
    assert {r["table"] for r in rows} >= {"territory", "pooling", "metered", "byDay", "byEndpoint"}
    plans = [r for r in rows if r["table"] == "byEndpoint" and r["row"] == "/v1/plan" and r["column"] == "requests"]
    assert plans and int(plans[0]["value"]) >= 12 + 16 + 20  # the ledger's plans, three days


def test_the_dashboard_passes_axe(dashboard, axe):
    assert_accessible(dashboard, axe)
    dashboard.get_by_role("link", name="Français").click()
    dashboard.wait_for_load_state()
    assert_accessible(dashboard, axe)


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_dashboard_screenshots(open_page, screenshots, width):
    page = open_page(f"/dashboard?key={ADMIN_KEY}", width)
    assert page.answer.status == 200
    if width == "phone":  # the page fits the phone's width: only the tables scroll sideways
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, screenshots, f"dashboard-{page.viewport_size['width']}")


@pytest.mark.parametrize("key, status, code", [(None, 401, "key_required"), ("not-a-key", 401, "unknown_key"),
                                               (CLIENT_KEY, 403, "admin_only")])
def test_without_an_admin_key_the_dashboard_is_refused(open_page, key, status, code):
    page = open_page("/dashboard" + (f"?key={key}" if key else ""))
    assert page.answer.status == status
    assert code in page.content()
    assert page.locator("svg").count() == 0
