"""Issue 13 in a real browser (streamlit run + Debian's Chromium): what a visitor sees on a
1440 × 900 screen, a 390 × 844 phone, a projector, a newsroom's column and paper.

- every slide fits 1440 × 900 with its source line and the controls in sight, and the mix
  slide names every category;
- every page at 390 px: nothing beyond the right edge of the screen, no chart text cut at
  its chart's edge, every chart drawn; a screenshot of every page at both sizes goes to
  tests/artifacts/ (page-<page>-1440x900.png, page-<page>-390x844.png);
- "Copy link" on every page, copying the address (or showing it to copy by hand);
- a printed profile: no sidebar or tabs, sections on new pages, no chart cut;
- the README's iframe in a 760 px column: a one-line title and the source line inside;
- the first image download says it is being made.

Checks are counts and boxes, never pixel baselines; a blank chart fails (no drawn marks).
"""
from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from conftest import ARTIFACTS
from dashboard import slides, styles
from dashboard.registry import PAGES
from test_browser import assert_no_error

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[1]
WIDE, PHONE = (1440, 900), (390, 844)
# Charts each page draws on the demo city (as tests/seen.py counts them).
CHARTS = {"overview": 2, "map": 1, "profile": 5, "compare": 4, "jobs": 8, "diversity": 4,
          "capital": 12, "any_area": 1, "methods": 0}
IDLE = "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"

# Marks a chart has drawn: bars, lines, points, map canvases (0 for a blank chart).
DRAWN = """() => [...document.querySelectorAll('.js-plotly-plot')]
  .filter(gd => gd.getBoundingClientRect().width > 0)
  .map(gd => gd.querySelectorAll('.barlayer path[d]:not([d="M0,0Z"]), .scatterlayer path.js-line,'
    + ' .scatterlayer .point, .scatterlayer .textpoint').length
    + gd.querySelectorAll('canvas.maplibregl-canvas').length)"""

# Anything visible whose right edge is past the screen's, and chart text cut at the edge of
# its chart. Screen-reader-only elements (1 px boxes, clip-path) are not seen.
BEYOND = """() => {
  const width = window.innerWidth, found = [], cut = [];
  const unseen = e => { for (let p = e; p; p = p.parentElement) { const s = getComputedStyle(p);
      const r = p.getBoundingClientRect();
      if (s.clipPath !== 'none' || (s.overflow === 'hidden' && r.width <= 2 && r.height <= 2)) return true; }
    return false; };
  const name = e => (e.getAttribute('data-testid') || e.tagName) + ' "' +
    (e.textContent || '').trim().slice(0, 40) + '"';
  for (const e of document.querySelectorAll('body *')) {
    const r = e.getBoundingClientRect();
    if (!r.width || !r.height || !e.checkVisibility({opacityProperty: true, visibilityProperty: true})) continue;
    if (r.right > width + 1 && !unseen(e)) found.push(name(e) + ' right=' + Math.round(r.right));
    if (e.tagName === 'text' && e.closest('.js-plotly-plot') && (e.textContent || '').trim()) {
      const box = e.closest('.js-plotly-plot').getBoundingClientRect();
      if (r.right > box.right + 1 || r.left < box.left - 1) cut.push(name(e));
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, found, cut};
}"""


def settle(page, charts: int = 0) -> None:
    """Until the script has run and the page's charts are drawn and stopped changing."""
    page.wait_for_selector("h1, h3", timeout=60_000, state="attached")
    page.wait_for_timeout(500)
    page.wait_for_function(IDLE, timeout=60_000)
    last, steady = None, 0
    for _ in range(80):
        drawn = page.evaluate(DRAWN)
        steady = steady + 1 if drawn == last and len(drawn) >= charts else 0
        if steady >= 3:
            break
        last = drawn
        page.wait_for_timeout(400)
    page.wait_for_timeout(800)


def full_screenshot(page, name: str) -> Path:
    """The whole page (Streamlit scrolls inside its own container, so a full-page
    screenshot needs a viewport as tall as the content), then the viewport as it was."""
    size = page.viewport_size
    tall = page.evaluate("() => Math.max(document.documentElement.scrollHeight, ...[...document"
                         ".querySelectorAll('[data-testid=\"stMain\"]')].map(e => e.scrollHeight))")
    page.set_viewport_size({"width": size["width"], "height": min(int(tall) + 40, 16_000)})
    page.wait_for_timeout(1200)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    page.set_viewport_size(size)
    return path


def address(spec) -> str:
    return "" if spec == PAGES[0] else spec.url_path


def copy_link_in_sight(page) -> None:
    button = page.get_by_role("button", name=styles.COPY_LINK_LABEL)
    assert button.count() == 1 and button.is_visible(), "no Copy link"
    box, screen = button.bounding_box(), page.viewport_size
    assert 0 <= box["x"] and box["x"] + box["width"] <= screen["width"]
    assert 0 <= box["y"] and box["y"] + box["height"] <= screen["height"]


# --- Every page, on a screen and on a phone ----------------------------------------------

# Tick labels one axis shows twice ("0% 0% 0% 1%": a format coarser than the ticks' step).
REPEATED_TICKS = """() => [...document.querySelectorAll('.js-plotly-plot g.xaxislayer-above, '
    + '.js-plotly-plot g.yaxislayer-above')].flatMap(axis => {
  const seen = [...axis.querySelectorAll('text')].map(t => (t.textContent || '').trim()).filter(Boolean);
  return seen.filter((t, i) => seen.indexOf(t) !== i);
})"""


@pytest.mark.parametrize("spec", PAGES, ids=[p.url_path for p in PAGES])
def test_every_page_reads_on_a_phone_and_a_screen(streamlit_server, browser, spec):
    """At 390 px nothing is wider than the screen and no chart text is cut at its chart's
    edge; at both sizes every chart is drawn, no axis repeats a tick label and "Copy link"
    is in sight."""
    for width, height in (WIDE, PHONE):
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        try:
            page.goto(f"{streamlit_server}/{address(spec)}")
            settle(page, CHARTS[spec.url_path])
            drawn = page.evaluate(DRAWN)
            assert len(drawn) >= CHARTS[spec.url_path], f"{len(drawn)} charts at {width} px"
            assert all(n > 0 for n in drawn), f"a blank chart at {width} px: {drawn}"
            repeated = page.evaluate(REPEATED_TICKS)
            assert not repeated, f"tick labels repeated at {width} px: {repeated[:8]}"
            copy_link_in_sight(page)
            seen = page.evaluate(BEYOND)
            assert seen["scrollWidth"] <= seen["width"], seen
            if width == PHONE[0]:
                assert not seen["found"], f"past the right edge at 390 px: {seen['found'][:8]}"
                assert not seen["cut"], f"chart text cut at 390 px: {seen['cut'][:8]}"
            assert_no_error(page)
            full_screenshot(page, f"page-{spec.url_path}-{width}x{height}")
        finally:
            context.close()


# --- Presentation mode -----------------------------------------------------------------------

def mix_categories(db_path) -> list[str]:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return [c for c, in con.execute(
            "SELECT category FROM category_counts WHERE geo_level = 'city' AND year = "
            "(SELECT max(year) FROM category_counts)").fetchall()]
    finally:
        con.close()


SLIDE_BOXES = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const nav = document.querySelector('[class*="st-key-slide_nav"]').getBoundingClientRect();
  const captions = [...document.querySelectorAll('[data-testid="stCaptionContainer"]')]
    .filter(c => !c.closest('[class*="st-key-slide_nav"]'));
  const footer = captions[captions.length - 1].getBoundingClientRect();
  const title = document.querySelector('h1').getBoundingClientRect();
  return {scroll: main.scrollHeight, room: main.clientHeight, navTop: nav.top,
          navBottom: nav.bottom, footerBottom: footer.bottom, titleTop: title.top,
          screen: window.innerHeight};
}"""


CARD_SLIDES = {"Headline figures", "Capital and red tape"}   # cards, no figure


@pytest.mark.parametrize("number", range(1, len(slides.SLIDES) + 1))
def test_every_slide_fits_the_screen(streamlit_server, browser, demo_db, number):
    """Was: slides 2, 3 and 5 taller than 900 px (source line and buttons below the fold),
    the buttons inside the slide, and the mix slide naming 10 of its 20 categories."""
    context = browser.new_context(viewport={"width": WIDE[0], "height": WIDE[1]})
    page = context.new_page()
    try:
        page.goto(f"{streamlit_server}/profile?n=N07&present=1&slide={number}")
        settle(page, 1 if number > 1 else 0)
        boxes = page.evaluate(SLIDE_BOXES)
        assert boxes["scroll"] <= boxes["room"] + 2, f"slide {number} scrolls: {boxes}"
        assert boxes["footerBottom"] <= boxes["navTop"], f"the source line is under the bar: {boxes}"
        assert boxes["navBottom"] <= boxes["screen"] and boxes["titleTop"] >= 0, boxes
        for label in ("← Previous", "Next →"):
            button = page.get_by_role("button", name=label)
            assert button.is_visible() and button.bounding_box()["y"] >= boxes["footerBottom"]
        drawn = page.evaluate(DRAWN)
        if slides.SLIDES[number - 1][0] not in CARD_SLIDES:
            assert drawn and all(n > 0 for n in drawn), f"slide {number} draws nothing: {drawn}"
        if slides.SLIDES[number - 1][0] == "Mix of businesses":
            labels = page.evaluate("() => [...document.querySelectorAll('.js-plotly-plot "
                                   ".yaxislayer-above .ytick text')].map(t => t.textContent)")
            expected = mix_categories(demo_db)
            assert len(expected) == 20 and sorted(labels) == sorted(expected), labels
        page.screenshot(path=str(ARTIFACTS / f"slide-{number}-1440x900.png"))
        assert_no_error(page)
    finally:
        context.close()


# --- Copy link -------------------------------------------------------------------------------

def test_copy_link_copies_the_address_of_the_view(streamlit_server, browser):
    context = browser.new_context(viewport={"width": WIDE[0], "height": WIDE[1]})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=streamlit_server)
    page = context.new_page()
    try:
        page.goto(f"{streamlit_server}/compare?compare=N07,N12")
        settle(page, 3)
        page.get_by_role("button", name=styles.COPY_LINK_LABEL).click()
        page.get_by_text("Link copied").wait_for(timeout=5_000)
        copied = page.evaluate("() => navigator.clipboard.readText()")
        assert copied == page.url
        assert re.search(r"compare=N07(,|%2C)N12", copied), copied
    finally:
        context.close()


def test_without_a_clipboard_the_link_is_shown_to_copy(streamlit_server, browser):
    context = browser.new_context(viewport={"width": PHONE[0], "height": PHONE[1]})
    context.add_init_script("Object.defineProperty(navigator, 'clipboard', {get: () => undefined});"
                            "document.execCommand = () => false;")
    page = context.new_page()
    try:
        page.goto(f"{streamlit_server}/jobs?n=N03")
        settle(page, 8)
        page.get_by_role("button", name=styles.COPY_LINK_LABEL).click()
        field = page.get_by_role("textbox", name="The address of this view")
        field.wait_for(timeout=5_000)
        assert field.input_value() == page.url
        assert page.get_by_text("Copy the link above").is_visible()
        assert page.evaluate(BEYOND)["found"] == []
    finally:
        context.close()


# --- Print ---------------------------------------------------------------------------------

PRINTED = """() => {
  const seen = el => el && el.checkVisibility();
  const charts = [...document.querySelectorAll('.js-plotly-plot')].map(gd => {
    const r = gd.getBoundingClientRect();
    let cutBy = null;
    for (let p = gd.parentElement; p && p !== document.documentElement; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (s.overflowX === 'visible' && s.overflowY === 'visible') continue;
      const q = p.getBoundingClientRect();
      if (r.left < q.left - 1 || r.right > q.right + 1 || r.top < q.top - 1 || r.bottom > q.bottom + 1) {
        cutBy = (p.getAttribute('data-testid') || p.className.slice(0, 30)); break; }
    }
    return {left: r.left, right: r.right, width: r.width, cutBy};
  });
  const sections = [...document.querySelectorAll('[data-testid="stElementContainer"]')]
    .filter(e => e.querySelector('h2')).map(e => getComputedStyle(e).breakBefore);
  const kept = [...document.querySelectorAll('[class*="st-key-chart_"]')]
    .map(e => getComputedStyle(e).breakInside);
  return {charts, sections, kept, width: window.innerWidth,
          sidebar: seen(document.querySelector('[data-testid="stSidebar"]')),
          tabs: [...document.querySelectorAll('[role="tablist"]')].filter(seen).length,
          copy: seen(document.getElementById('atlas-copy-link'))};
}"""


def test_a_printed_profile_cuts_no_chart(streamlit_server, browser):
    """Was: the sidebar printed beside the page, charts cut at the right edge and across
    pages, the tabs printed above every chart."""
    context = browser.new_context(viewport={"width": WIDE[0], "height": WIDE[1]})
    page = context.new_page()
    try:
        page.goto(f"{streamlit_server}/profile?n=N07")
        settle(page, 5)
        page.emulate_media(media="print")
        page.wait_for_timeout(1500)
        settle(page, 5)
        printed = page.evaluate(PRINTED)
        assert not printed["sidebar"] and not printed["tabs"] and not printed["copy"], printed
        assert len(printed["charts"]) >= 5
        for chart in printed["charts"]:
            assert chart["cutBy"] is None, chart
            assert chart["width"] <= styles.PRINT_WIDTH_PX + 1, chart
            assert chart["left"] >= 0 and chart["right"] <= printed["width"], chart
        assert printed["sections"] and set(printed["sections"]) == {"page"}, printed["sections"]
        assert printed["kept"] and set(printed["kept"]) == {"avoid"}
        drawn = page.evaluate(DRAWN)
        assert len(drawn) >= 5 and all(n > 0 for n in drawn), drawn
        full_screenshot(page, "print-profile")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.pdf(path=str(ARTIFACTS / "print-profile.pdf"), format="A4")
    finally:
        context.close()


# --- Embeds ----------------------------------------------------------------------------------

def readme_iframe(server: str) -> str:
    readme = (ROOT / "README.md").read_text()
    snippet = re.search(r"<iframe.*?</iframe>", readme, re.S).group(0)
    return re.sub(r"https?://[^/\"]+", server, snippet, count=1)


def test_the_readme_iframe_fits_a_760_px_article_column(streamlit_server, page):
    """Was: in a 760 px column the iframe (660 px) wrapped the title and cut the source."""
    page.set_viewport_size({"width": 1000, "height": 900})
    page.set_content("<html><body style='margin:0'><article style='width:760px;margin:0 auto'>"
                     "<h2>A news story</h2>" + readme_iframe(streamlit_server) + "</article>"
                     "</body></html>")
    inside = page.frame_locator("iframe")
    inside.locator(".js-plotly-plot .maplibregl-canvas").first.wait_for(timeout=60_000)
    page.wait_for_timeout(2500)
    frame = page.locator("iframe").bounding_box()
    assert round(frame["width"]) == 760 and round(frame["height"]) == 660
    title = inside.locator("h3").first
    line = float(title.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
    assert title.bounding_box()["height"] <= line * 1.5, "the title wraps"
    plot = inside.locator(".js-plotly-plot").first.bounding_box()
    assert title.bounding_box()["y"] >= frame["y"], "the title is cut at the top"
    assert title.bounding_box()["y"] + title.bounding_box()["height"] <= plot["y"] + 1, \
        "the chart covers the title"
    source = inside.get_by_text(re.compile("^Source: ")).bounding_box()
    assert source["y"] + source["height"] <= frame["y"] + frame["height"], "the source is cut"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "embed-readme-760.png"))


# --- Image downloads -------------------------------------------------------------------------

MAKING = """() => [...document.querySelectorAll('[data-testid="stDownloadButton"]')]
  .filter(b => b.querySelector('[data-testid="stSpinnerIcon"]'))
  .map(b => getComputedStyle(b, '::after').content)"""


def test_an_image_download_says_it_is_being_made(streamlit_server, page):
    """Was: the first PNG took 7 s with no sign of progress."""
    page.goto(f"{streamlit_server}/map?metric=businesses_per_km2&year=2019&classes=equal&k=4")
    settle(page, 1)
    page.get_by_role("tab", name="Download").first.click()
    panel = page.locator('[role="tabpanel"]:visible').filter(has=page.get_by_text("Image size")).first
    panel.wait_for(timeout=30_000)
    panel.get_by_text("Social media, square").click()
    page.wait_for_function(IDLE, timeout=60_000)
    with page.expect_download(timeout=120_000) as info:
        panel.get_by_role("button", name=re.compile("PNG image")).click()
        page.wait_for_function(f"() => ({MAKING})().some(c => c.includes('Making the image'))",
                               timeout=20_000, polling=50)
    assert info.value.suggested_filename.endswith("_square.png")
    page.wait_for_function(f"() => ({MAKING})().length === 0", timeout=30_000)
