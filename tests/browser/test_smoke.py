"""The installed Playwright drives the installed Chromium, and reaches the served API."""

from __future__ import annotations

import re

import pytest

from .conftest import assert_accessible


def test_playwright_drives_the_system_chromium(browser, open_page):
    version = browser.version
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", version), f"Chromium answered version {version!r}"
    page = open_page("/v1/ready")
    assert page.answer.status == 200, f"Chromium {version}: /v1/ready answered {page.answer.status}"
    assert '"ready":true' in page.content().replace(" ", ""), f"Chromium {version} read {page.content()[:200]}"


def test_the_accessibility_check_names_what_it_finds(browser, axe):
    """assert_accessible fails, naming the rule and the element, on a page that breaks WCAG 2 A."""
    page = browser.new_page()
    try:
        page.set_content('<!DOCTYPE html><html lang="en"><head><title>t</title></head><body><main>'
                         '<img src="data:," id="no-alt"><input id="unlabelled"></main></body></html>')
        with pytest.raises(AssertionError) as failed:
            assert_accessible(page, axe)
        assert "image-alt" in str(failed.value) and "#no-alt" in str(failed.value)
        assert "label" in str(failed.value) and "#unlabelled" in str(failed.value)
    finally:
        page.close()
