"""The real app in a real browser: streamlit run + Debian's headless Chromium."""
from __future__ import annotations

import pytest

from conftest import screenshot
from dashboard.registry import PAGES

pytestmark = pytest.mark.browser
ERROR_TEXT = ["Traceback", "Something went wrong", "Error:", "Page not found"]


def wait_for_app(page) -> None:
    page.wait_for_selector('[data-testid="stSidebar"]', timeout=30_000)
    page.wait_for_selector("h1", timeout=45_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=45_000)


def assert_no_error(page) -> None:
    text = page.inner_text("body")
    assert not [e for e in ERROR_TEXT if e in text], text[:500]
    assert page.locator('[data-testid="stException"]').count() == 0


def test_map_page_draws_the_map(streamlit_server, page):
    page.goto(f"{streamlit_server}/map")
    wait_for_app(page)
    page.wait_for_selector(".js-plotly-plot .maplibregl-canvas", timeout=45_000)
    page.wait_for_timeout(1500)
    shot = screenshot(page, "map")
    assert shot.stat().st_size > 20_000
    text = page.inner_text("body")
    assert "Micro-businesses per 1,000 residents" in text
    assert "Highest:" in text and "Lowest:" in text
    assert_no_error(page)


def test_a_click_on_the_map_opens_that_neighborhood_s_profile(streamlit_server, page):
    page.goto(f"{streamlit_server}/map")
    wait_for_app(page)
    canvas = page.locator(".js-plotly-plot .maplibregl-canvas").first
    canvas.wait_for(timeout=45_000)
    page.wait_for_timeout(2000)          # the polygons are drawn after the canvas appears
    box = canvas.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.55)
    page.wait_for_url("**/profile?*n=*", timeout=30_000)
    wait_for_app(page)
    screenshot(page, "profile-after-click")
    assert page.locator("h1").first.inner_text().strip()
    assert_no_error(page)


@pytest.mark.parametrize("spec", PAGES, ids=[p.url_path for p in PAGES])
def test_every_page_renders_without_error(streamlit_server, page, spec):
    address = "" if spec == PAGES[0] else spec.url_path   # the first page is served at /
    page.goto(f"{streamlit_server}/{address}")
    wait_for_app(page)
    page.wait_for_timeout(500)
    screenshot(page, f"page-{spec.url_path}")
    assert_no_error(page)
