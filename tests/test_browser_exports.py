"""Downloads, presentation mode, the embed page and copied links in a real browser
(streamlit run + Debian's headless Chromium; images made by kaleido on the server)."""
from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET

import duckdb
import pandas as pd
import pytest

from conftest import ARTIFACTS, screenshot
from dashboard import downloads
from test_app_exports import check_against_database, metrics_long
from test_browser import assert_no_error, wait_for_app

pytestmark = pytest.mark.browser
MAP = "map?metric=micro_per_1k_residents&year=2024"
DOWNLOAD_TIMEOUT = 120_000   # the first image starts the server's Chromium


@pytest.fixture(scope="module")
def private(demo_db) -> set[str]:
    """Names and addresses of home-based or sole-proprietor businesses."""
    con = duckdb.connect(str(demo_db), read_only=True)
    rows = con.execute("SELECT name, address FROM businesses "
                       "WHERE home_based OR sole_proprietor").fetchall()
    con.close()
    return {" ".join(str(v).split()) for row in rows for v in row if v and str(v).strip()}


def wait_quiet(page) -> None:
    """Until Streamlit has finished running the script."""
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)


def open_downloads(page, nth: int = 0):
    """Open the Download tab of the page's `nth` chart; returns the tab panel."""
    page.get_by_role("tab", name="Download").nth(nth).click()
    panel = page.locator('[role="tabpanel"]:visible').filter(
        has=page.get_by_text("Image size")).first
    panel.wait_for(timeout=30_000)
    return panel


def download(page, panel, label: str):
    """Click a download button of the panel; the file's name and bytes. A click that lands
    while the script is still running can hit a button the run then replaces (seen once on a
    loaded machine): the click waits for the run to end, and is tried a second time."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    for attempt in (1, 2):
        wait_quiet(page)
        try:
            with page.expect_download(timeout=DOWNLOAD_TIMEOUT) as info:
                panel.get_by_role("button", name=re.compile(label)).click()
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    item = info.value
    return item.suggested_filename, open(item.path(), "rb").read()


def map_pixels(image) -> tuple[float, int]:
    """In the map's middle (clear of the title, the legend at the top left and the footer):
    the share of pixels filled with a colour, not the white background, grey text or
    borders, and how many distinct colours fill them."""
    import numpy as np
    rgb = np.asarray(image.convert("RGB"), dtype=int)
    height, width, _ = rgb.shape
    middle = rgb[int(height * 0.25):int(height * 0.8), int(width * 0.3):int(width * 0.95)]
    spread = middle.max(axis=2) - middle.min(axis=2)        # 0 for white, grey and black
    filled = spread > 40
    _, counts = np.unique(middle[filled] // 8, axis=0, return_counts=True)
    return float(filled.mean()), int((counts > 500).sum())


def svg_text(data: bytes) -> str:
    root = ET.fromstring(data)
    return " ".join(" ".join(t.itertext()) for t in root.iter() if t.tag.endswith("text"))


def no_private_text(text: str, private: set[str]) -> None:
    words = " ".join(text.split())
    assert not [p for p in private if len(p) > 8 and p in words]


def test_map_png_download_has_the_preset_size(streamlit_server, page, private):
    from PIL import Image
    page.goto(f"{streamlit_server}/{MAP}")
    wait_for_app(page)
    panel = open_downloads(page)
    name, data = download(page, panel, "PNG image")
    assert name == "demo_micro-businesses-per-1k-residents_2024.png"
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.size == (1600, 900)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "exports-map.png").write_bytes(data)
    coloured, colours = map_pixels(image)
    assert coloured > 0.25, f"only {coloured:.0%} of the map is filled"
    assert colours >= 5, f"{colours} class colours in the map"
    screenshot(page, "exports-map-download-tab")
    name, data = download(page, panel, "GeoJSON")
    collection = json.loads(data)
    assert name.endswith("_2024.geojson")
    assert len(collection["features"]) == len({f["id"] for f in collection["features"]}) > 10
    no_private_text(json.dumps(collection), private)
    assert_no_error(page)


def test_capital_trend_csv_download_holds_metrics_long(streamlit_server, page, demo_db,
                                                       private):
    """On the Capital & red tape page, a visitor opens the Download tab of the PPP loans
    trend and clicks "CSV data": the file opens, and its rows are the neighborhood's and the
    city's values of every year as metrics_long holds them, with their low-count flags."""
    from dashboard import images
    metric_id = "ppp_loans_per_1k_businesses"
    page.goto(f"{streamlit_server}/capital?n=N07")
    wait_for_app(page)
    chart = page.locator(f".st-key-chart_trend_{metric_id}")
    chart.get_by_role("tab", name="Download").click()
    panel = chart.locator('[role="tabpanel"]:visible').filter(has=page.get_by_text("Image size"))
    panel.wait_for(timeout=30_000)
    name, data = download(page, panel, "CSV data")
    con = duckdb.connect(str(demo_db), read_only=True)
    hood = con.execute("SELECT name FROM neighborhoods WHERE neighborhood_id = 'N07'").fetchone()[0]
    con.close()
    assert name == images.file_name("demo", f"{hood} PPP loans per 1,000 businesses", None, "csv")
    header = [line for line in data.decode("utf-8").splitlines() if line.startswith("# ")]
    assert any(line.startswith("# Source: ") for line in header)
    body = pd.read_csv(io.BytesIO(data), comment="#", dtype=str)
    truth = metrics_long(demo_db, metric_id)
    truth = truth[truth["geo_id"].isin(["N07", "city"])]
    assert sorted(zip(body["geo_id"], body["year"].astype(int))) == sorted(
        zip(truth["geo_id"], truth["year"]))
    assert set(body["metric_id"]) == {metric_id} and len(body) > 2
    assert check_against_database(body, demo_db) == 0       # every value equal, none withheld
    flags = body.set_index(["geo_id", "year"])["low_count"].map({"True": True, "False": False})
    expected = truth.assign(year=truth["year"].astype(str)).set_index(["geo_id", "year"])
    assert flags.sort_index().tolist() == expected["low_count"].sort_index().tolist()
    no_private_text(data.decode("utf-8"), private)
    assert_no_error(page)


def test_map_csv_download_publishes_the_counts_and_their_flags(streamlit_server, page, demo_db,
                                                               private):
    """The demo is a public registry: every count is in the CSV as the database has it, with
    its low_count flag (the withheld path is checked on a suppressed build by AppTest)."""
    page.goto(f"{streamlit_server}/map?metric=formations_per_1k_residents&year=2013")
    wait_for_app(page)
    name, data = download(page, open_downloads(page), "CSV data")
    assert name == "demo_new-businesses-per-1k-residents_2013.csv"
    body = pd.read_csv(io.BytesIO(data), comment="#", dtype=str)
    assert check_against_database(body, demo_db) == 0      # nothing withheld, values equal
    assert len(body) == 36 and "withheld" not in set(body["value"])
    truth = metrics_long(demo_db, "formations_per_1k_residents", 2013)
    truth = truth[truth["geo_level"] == "neighborhood"].set_index("geo_id")["low_count"]
    flags = body.set_index("geo_id")["low_count"].map({"True": True, "False": False})
    assert flags.sort_index().tolist() == truth.sort_index().tolist() and truth.any()
    no_private_text(data.decode("utf-8"), private)


def test_chart_svg_and_square_png_and_csv(streamlit_server, page, private):
    from PIL import Image
    page.goto(f"{streamlit_server}/")
    wait_for_app(page)
    panel = open_downloads(page, 1)          # "Active businesses on 31 December"
    name, data = download(page, panel, "SVG image")
    assert name == "demo_active-businesses-on-31-december.svg"
    text = svg_text(data)
    assert "Active businesses on 31 December" in text
    assert "Source:" in text and "business licenses" in text and "Made with" in text
    no_private_text(text, private)
    panel.get_by_text("Social media, square").click()
    wait_quiet(page)
    panel = open_downloads(page, 1)
    name, data = download(page, panel, "PNG image")
    assert name == "demo_active-businesses-on-31-december_square.png"
    assert Image.open(io.BytesIO(data)).size == (1080, 1080)
    name, data = download(page, panel, "CSV data")
    body = pd.read_csv(io.BytesIO(data), comment="#")
    assert set(body["metric_id"]) == {"active_businesses"} and len(body) > 5
    no_private_text(data.decode("utf-8"), private)
    screenshot(page, "exports-chart-download-tab")
    assert_no_error(page)


def test_profile_brief_download_opens(streamlit_server, page, private):
    from pypdf import PdfReader
    page.goto(f"{streamlit_server}/profile?n=N07")
    wait_for_app(page)
    name = page.locator("h1").first.inner_text().strip()
    with page.expect_download(timeout=DOWNLOAD_TIMEOUT) as info:
        page.get_by_role("button", name=re.compile("Download brief")).click()
    assert info.value.suggested_filename.endswith("_brief.pdf")
    reader = PdfReader(info.value.path())
    text = "".join(p.extract_text() for p in reader.pages)
    assert name in text
    no_private_text(text, private)
    screenshot(page, "exports-profile")


def visible_sidebar(page) -> bool:
    sidebar = page.locator('[data-testid="stSidebar"]')
    return sidebar.count() > 0 and sidebar.first.is_visible()


def test_presentation_has_no_sidebar_and_moves_between_slides(streamlit_server, page, browser):
    page.goto(f"{streamlit_server}/profile?n=N07&present=1&slide=1")
    page.wait_for_selector("h1", timeout=45_000)
    wait_quiet(page)
    assert page.locator("h1").first.inner_text().endswith("at a glance")
    assert not visible_sidebar(page)
    assert page.locator('header[data-testid="stHeader"]').first.is_hidden()
    screenshot(page, "present-slide-1")
    page.get_by_role("button", name="Next →").click()
    page.wait_for_url(re.compile(r"slide=2"), timeout=30_000)
    page.wait_for_function("() => document.querySelector('h1').innerText.startsWith('Where')",
                           timeout=30_000)
    page.wait_for_selector(".js-plotly-plot", timeout=45_000)
    page.wait_for_timeout(1500)
    screenshot(page, "present-slide-2")
    copied = page.url
    again = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    again.goto(copied)
    again.wait_for_selector("h1", timeout=45_000)
    assert again.locator("h1").first.inner_text() == page.locator("h1").first.inner_text()
    again.context.close()
    page.get_by_role("button", name="← Previous").click()
    page.wait_for_url(re.compile(r"slide=1"), timeout=30_000)
    assert_no_error(page)


def test_embed_shows_the_map_alone_sized_to_its_frame(streamlit_server, browser):
    context = browser.new_context(viewport={"width": 800, "height": 620})
    page = context.new_page()
    page.goto(f"{streamlit_server}/embed?chart=map&metric=micro_per_1k_residents&year=2024")
    page.wait_for_selector(".js-plotly-plot .maplibregl-canvas", timeout=45_000)
    wait_quiet(page)
    page.wait_for_timeout(1500)
    screenshot(page, "embed-map")
    assert not visible_sidebar(page)
    assert page.locator("h1").count() == 0
    text = page.inner_text("body")
    assert "Micro-businesses per 1,000 residents, 2024" in text and "Source:" in text
    plot = page.locator(".js-plotly-plot").first.bounding_box()
    assert plot["width"] > 700            # the chart fills the frame's width
    assert_no_error(page)
    context.close()


def test_the_iframe_snippet_shows_the_chart_in_a_page(streamlit_server, page):
    snippet = downloads.snippet(streamlit_server, {"chart": "trend", "n": "N07"}, "Trend", 400)
    page.set_content(f"<html><body style='margin:0;width:700px'><h2>A news story</h2>"
                     f"{snippet}</body></html>")
    inside = page.frame_locator("iframe")
    inside.locator(".js-plotly-plot").first.wait_for(timeout=45_000)
    page.wait_for_timeout(1000)
    source = inside.get_by_text(re.compile("^Source: "))
    frame_box = page.locator("iframe").bounding_box()
    assert source.bounding_box()["y"] + source.bounding_box()["height"] <= \
        frame_box["y"] + frame_box["height"], "the source line is inside the frame"
    assert inside.locator('[data-testid="stSidebar"]:visible').count() == 0
    plot = inside.locator(".js-plotly-plot").first.bounding_box()
    assert 600 < plot["width"] <= 700
    screenshot(page, "embed-in-iframe")


def test_a_copied_map_link_reopens_the_same_view(streamlit_server, page, browser):
    page.goto(f"{streamlit_server}/{MAP}")
    wait_for_app(page)
    page.get_by_text("Tracts", exact=True).click()
    page.wait_for_url(re.compile(r"level=tract"), timeout=30_000)
    wait_quiet(page)
    shown = page.get_by_text(re.compile(r"by tract\.")).first.inner_text()
    copied = page.url
    again = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    again.goto(copied)
    wait_for_app(again)
    assert again.get_by_text(re.compile(r"by tract\.")).first.inner_text() == shown
    assert again.get_by_role("radio", name="Tracts").is_checked()
    screenshot(again, "copied-map-link")
    assert_no_error(again)
    again.context.close()
