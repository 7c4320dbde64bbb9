"""The real app in a real browser: streamlit run + Debian's headless Chromium."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import duckdb
import pytest

from conftest import screenshot
from dashboard.registry import PAGES
from tests.seen import Seen, check_page

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


# Every chart's traces as the browser holds them (typed arrays made plain lists).
FIGURES = """() => {
  const plain = v => ArrayBuffer.isView(v) ? Array.from(v)
    : Array.isArray(v) ? v.map(plain)
    : (v && typeof v === 'object') ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]))
    : v;
  return Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => ({data: plain(gd.data || [])}));
}"""
# The areas the map library actually filled: one fill colour per distinct polygon.
FILLED = """() => {
  const gd = document.querySelector('.js-plotly-plot');
  const map = gd && gd._fullLayout.map && gd._fullLayout.map._subplot.map;
  if (!map) return [];
  const fills = map.queryRenderedFeatures().filter(f => f.layer.type === 'fill');
  return [...new Map(fills.map(f => [JSON.stringify(f.properties.ct), f.properties.fc])).values()];
}"""


DRAWN = """() => {
  const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
  const drawn = charts.filter(c => { const gd = c.querySelector('.js-plotly-plot');
                                     return gd && gd.data && gd._fullLayout; });
  const running = !!document.querySelector('[data-testid="stStatusWidget"]');
  return [charts.length, drawn.length, running];
}"""


def wait_for_charts(page) -> None:
    """Until the app has stopped running, every chart it placed has been drawn, and their
    number has not changed for two seconds."""
    last, steady = None, 0
    for _ in range(120):
        placed, drawn, running = page.evaluate(DRAWN)
        still = (placed, drawn) == last and placed == drawn and not running
        steady = steady + 1 if still else 0
        if steady >= 4:
            return
        last = (placed, drawn)
        page.wait_for_timeout(500)


def what_is_seen(page, db) -> Seen:
    """The page's charts as the browser drew them, its URL and its text (tables included)."""
    wait_for_charts(page)
    tables = page.evaluate("() => [...document.querySelectorAll('[data-testid=\"stDataFrame\"]')]"
                           ".map(e => e.textContent).join('\\n')")
    return Seen(page.evaluate(FIGURES), dict(parse_qsl(urlsplit(page.url).query)),
                duckdb.connect(str(db), read_only=True), page.inner_text("body") + "\n" + tables)


def test_map_page_draws_the_map(streamlit_server, page, demo_db):
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
    seen = what_is_seen(page, demo_db)
    with seen.con:
        check_page("map", seen)          # every neighborhood's polygon and value, in the data
        hoods = seen.con.execute("SELECT count(*) FROM neighborhoods").fetchone()[0]
    filled = page.evaluate(FILLED)       # ... and filled on the canvas, in the classes' colours
    assert len(filled) == hoods, f"{len(filled)} areas filled of {hoods}"
    assert len(set(filled)) == 5, set(filled)


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
def test_every_page_renders_without_error(streamlit_server, page, spec, demo_db):
    """Each page in the browser: no error, and its charts hold the database's values."""
    address = "" if spec == PAGES[0] else spec.url_path   # the first page is served at /
    page.goto(f"{streamlit_server}/{address}")
    wait_for_app(page)
    page.wait_for_timeout(500)
    seen = what_is_seen(page, demo_db)
    screenshot(page, f"page-{spec.url_path}")
    assert_no_error(page)
    with seen.con:
        check_page(spec.url_path, seen)
