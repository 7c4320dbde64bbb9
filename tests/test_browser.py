"""The real app in a real browser: streamlit run + Debian's headless Chromium."""
from __future__ import annotations

import pytest

from conftest import screenshot
from dashboard.registry import PAGES

pytestmark = pytest.mark.browser
ERROR_TEXT = ["Traceback", "Something went wrong", "Error:"]


def wait_for_app(page) -> None:
    page.wait_for_selector('[data-testid="stSidebar"]', timeout=30_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30_000)


def test_map_page_draws_the_map(streamlit_server, page):
    page.goto(f"{streamlit_server}/map")
    wait_for_app(page)
    page.wait_for_selector(".js-plotly-plot .maplibregl-canvas", timeout=45_000)
    page.wait_for_timeout(1500)
    shot = screenshot(page, "map")
    assert shot.stat().st_size > 20_000
    text = page.inner_text("body")
    assert "Micro-businesses per 1,000 residents" in text or "per 1,000" in text
    assert not [e for e in ERROR_TEXT if e in text]


@pytest.mark.parametrize("spec", PAGES, ids=[p.url_path for p in PAGES])
def test_every_page_renders_without_error(streamlit_server, page, spec):
    page.goto(f"{streamlit_server}/{spec.url_path}")
    wait_for_app(page)
    page.wait_for_selector("h1", timeout=30_000)
    screenshot(page, f"page-{spec.url_path}")
    text = page.inner_text("body")
    assert not [e for e in ERROR_TEXT if e in text], text[:500]
    assert page.locator('[data-testid="stException"]').count() == 0
