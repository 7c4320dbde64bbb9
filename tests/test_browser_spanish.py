"""Spanish in a real browser (streamlit run + Debian's Chromium; issue 17, part 3): every
page of the registry opened with ?lang=es reads in Spanish on a 1440 × 900 screen and on a
390 × 844 phone, with no label cut short and nothing past the phone's edge, and the
language follows the visitor through the sidebar's links.

What is read: the page's visible text (innerText), the text the charts drew (their SVG) and
their toolbar's button names, checked by `tests/spanish.english_words`. Screenshots: tests/artifacts/spanish-<page>-<w>x<h>.png.
"""
from __future__ import annotations

import duckdb
import pytest

from conftest import ARTIFACTS
from core import i18n
from dashboard import slides
from dashboard.registry import PAGES
from test_browser import assert_no_error
from test_browser_layout import (BEYOND, CARD_SLIDES, CHARTS, DRAWN, PHONE, SLIDE_BOXES, WIDE,
                                 full_screenshot, mix_categories, settle)
from tests.spanish import english_words

pytestmark = pytest.mark.browser

# Words drawn inside the charts (titles, ticks, legends, annotations, bar texts).
CHART_TEXT = """() => [...document.querySelectorAll('.js-plotly-plot text')]
  .map(t => (t.textContent || '').trim()).filter(Boolean)"""
# The page's visible text, line by line, without Material icons' ligature names ('map',
# 'location_city') and Streamlit's own off-screen "Skip to main content" link (its words,
# not ours: Streamlit has no setting for them).
PAGE_TEXT = """() => {
  const icons = new Set([...document.querySelectorAll('[data-testid="stIconMaterial"]')]
    .map(i => (i.textContent || '').trim()));
  return document.body.innerText.split('\\n').map(l => l.trim())
    .filter(l => l && !icons.has(l) && l !== 'Skip to main content');
}"""
# The chart toolbar's button names (Plotly's words, given in Spanish with each chart), but
# Streamlit's own "Fullscreen" button, which takes no locale.
TOOLBAR = """() => [...new Set([...document.querySelectorAll('.modebar-btn')]
  .map(b => b.getAttribute('data-title')).filter(t => t && t !== 'Fullscreen'))]"""
# Labels shown with an ellipsis or clipped: their text is wider than their box.
CUT_LABELS = """() => {
  const cut = [];
  for (const e of document.querySelectorAll(
      '[data-testid="stMetricLabel"] *, [data-testid="stWidgetLabel"] *, button p, '
      + '[role="tab"] p, [data-testid="stPageLink"] span, [data-testid="stSidebarNav"] span, '
      + '[data-testid="stRadio"] label p, [data-testid="stSelectbox"] div[value], h1, h2, h3')) {
    const r = e.getBoundingClientRect();
    if (!r.width || !e.checkVisibility()) continue;
    const s = getComputedStyle(e);
    const hides = s.textOverflow === 'ellipsis' || s.overflow === 'hidden' || s.overflowX === 'hidden';
    if (hides && e.scrollWidth > e.clientWidth + 1) cut.push((e.textContent || '').trim().slice(0, 60));
  }
  return cut;
}"""


# Tabs whose words Streamlit writes itself (a file uploader's button and size limit), opened
# and read too: the AppTest reading of the other tabs cannot see them.
OPENED_TABS = {"any_area": "Subir un archivo GeoJSON"}


# What the page says in their place (CSS generated text, which innerText leaves out).
UPLOADER_WORDS = """() => ['button [data-testid="stMarkdownContainer"] p',
  '[data-testid="stFileUploaderDropzoneInstructions"] span'].map(s => getComputedStyle(
  document.querySelector('[data-testid="stFileUploaderDropzone"] ' + s), '::after').content)"""


def address(spec) -> str:
    return "" if spec == PAGES[0] else spec.url_path


@pytest.fixture(scope="module")
def place_names(demo_db) -> list[str]:
    with duckdb.connect(str(demo_db), read_only=True) as con:
        return [r[0] for r in con.execute("SELECT name FROM neighborhoods").fetchall()]


@pytest.mark.parametrize("spec", PAGES, ids=[p.url_path for p in PAGES])
def test_every_page_reads_in_spanish(streamlit_server, browser, place_names, spec):
    for width, height in (WIDE, PHONE):
        context = browser.new_context(viewport={"width": width, "height": height},
                                      locale="es-US")
        page = context.new_page()
        try:
            page.goto(f"{streamlit_server}/{address(spec)}?lang=es")
            settle(page, CHARTS[spec.url_path])
            assert_no_error(page)
            drawn = page.evaluate(DRAWN)
            assert len(drawn) >= CHARTS[spec.url_path] and all(n > 0 for n in drawn), drawn
            texts = [*page.evaluate(PAGE_TEXT), *page.evaluate(CHART_TEXT),
                     *page.evaluate(TOOLBAR)]
            if spec.url_path in OPENED_TABS:
                page.get_by_role("tab", name=OPENED_TABS[spec.url_path]).click()
                page.locator('[data-testid="stFileUploaderDropzone"]').wait_for(timeout=10_000)
                texts += page.evaluate(PAGE_TEXT)
                said = page.evaluate(UPLOADER_WORDS)
                assert said == ['"Subir archivo"', '"Hasta 2 MB por archivo · GEOJSON, JSON"'], said
            english = english_words(texts, place_names)
            assert not english, f"English on /{spec.url_path} at {width} px: {english}"
            assert page.get_by_role("button", name="Copiar enlace").is_visible()
            cut = page.evaluate(CUT_LABELS)
            assert not cut, f"labels cut at {width} px: {cut[:8]}"
            seen = page.evaluate(BEYOND)
            assert seen["scrollWidth"] <= seen["width"], seen
            if width == PHONE[0]:
                assert not seen["found"], f"past the right edge at 390 px: {seen['found'][:8]}"
                assert not seen["cut"], f"chart text cut at 390 px: {seen['cut'][:8]}"
            full_screenshot(page, f"spanish-{spec.url_path}-{width}x{height}")
        finally:
            context.close()


def test_the_language_follows_the_visitor(streamlit_server, page):
    """Spanish from the link, then the sidebar's page links (which drop the query string)
    open the next page in Spanish; the switch turns it back to English."""
    page.goto(f"{streamlit_server}/?lang=es")
    settle(page, CHARTS["overview"])
    nav = page.locator('[data-testid="stSidebarNav"]')
    assert "Explorador de mapas" in nav.inner_text()
    nav.get_by_text("Explorador de mapas").click()
    page.wait_for_url("**/map**", timeout=30_000)
    settle(page, CHARTS["map"])
    assert page.locator("h1").first.inner_text().strip() == "Explorador de mapas"
    assert "lang=es" in page.url
    assert page.evaluate("() => document.documentElement.lang") == "es"
    page.locator('[data-testid="stSidebar"]').get_by_text("English", exact=True).click()
    page.wait_for_function("() => document.querySelector('h1')?.innerText.includes('Map explorer')",
                           timeout=30_000)
    page.wait_for_function("() => document.documentElement.lang === 'en'", timeout=10_000)


@pytest.mark.parametrize("number", range(1, len(slides.SLIDES) + 1))
def test_every_slide_fits_the_screen_in_spanish(streamlit_server, browser, demo_db,
                                                place_names, number):
    """Spanish runs longer: each slide still fits 1440 x 900 with its source line above the
    controls, reads in Spanish, and the mix slide names all its categories (in Spanish)."""
    context = browser.new_context(viewport={"width": WIDE[0], "height": WIDE[1]})
    page = context.new_page()
    try:
        page.goto(f"{streamlit_server}/profile?n=N07&present=1&slide={number}&lang=es")
        settle(page, 1 if number > 1 else 0)
        assert_no_error(page)
        boxes = page.evaluate(SLIDE_BOXES)
        assert boxes["scroll"] <= boxes["room"] + 2, f"slide {number} scrolls: {boxes}"
        assert boxes["footerBottom"] <= boxes["navTop"], f"the source line is under the bar: {boxes}"
        for label in ("← Anterior", "Siguiente →"):
            assert page.get_by_role("button", name=label).is_visible()
        texts = [*page.evaluate(PAGE_TEXT), *page.evaluate(CHART_TEXT)]
        assert not english_words(texts, place_names), english_words(texts, place_names)
        name = slides.SLIDES[number - 1][0]
        if name not in CARD_SLIDES:
            drawn = page.evaluate(DRAWN)
            assert drawn and all(n > 0 for n in drawn), f"slide {number} draws nothing: {drawn}"
        if name == "Mix of businesses":
            labels = page.evaluate("() => [...document.querySelectorAll('.js-plotly-plot "
                                   ".yaxislayer-above .ytick text')].map(t => t.textContent)")
            with i18n.using("es"):
                expected = [i18n.gettext(c) for c in mix_categories(demo_db)]
            assert sorted(labels) == sorted(expected), labels
        page.screenshot(path=str(ARTIFACTS / f"spanish-slide-{number}-1440x900.png"))
    finally:
        context.close()
