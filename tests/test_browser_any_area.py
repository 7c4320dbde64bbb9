"""Drawing an area in a real browser (streamlit run + Debian's Chromium; issue 17, part 2):
a circle drawn with the lasso — with a mouse on a desktop screen, with a finger on a phone's
touchscreen (Chrome DevTools touch events) — puts the outline in the address and shows that
area's figures, checked against the outline read back from the address: its land inside the
city and its active businesses counted here by hand (DuckDB's spatial test, not the page's).
"""
from __future__ import annotations

import math
from urllib.parse import parse_qs, urlsplit

import duckdb
import geopandas as gpd
import pytest
import shapely

from conftest import screenshot
from dashboard import area_shape
from test_browser_spanish import UPLOADER_WORDS
from tests.test_browser import assert_no_error

pytestmark = pytest.mark.browser
EQUAL_AREA = "EPSG:6933"      # World Cylindrical Equal Area: km² to compare with the page's


def circle(box: dict, points: int = 24) -> list[tuple[float, float]]:
    """A closed circle of `points` around the middle of the drawing area, a fifth of its size."""
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    r = min(box["width"], box["height"]) / 5
    return [(x + r * math.cos(2 * math.pi * i / points), y + r * math.sin(2 * math.pi * i / points))
            for i in range(points + 1)]


def draw_with_mouse(page, path) -> None:
    page.mouse.move(*path[0])
    page.mouse.down()
    for x, y in path[1:]:
        page.mouse.move(x, y, steps=3)
    page.mouse.up()


def draw_with_finger(page, path) -> None:
    touch = page.context.new_cdp_session(page)
    for kind, (x, y) in [("touchStart", path[0]), *(("touchMove", p) for p in path[1:])]:
        touch.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}]})
        page.wait_for_timeout(15)
    touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def by_hand(demo_db, area) -> tuple[float, int]:
    """The outline's km² inside the city and the businesses active inside it at the end of
    the registry's last year."""
    with duckdb.connect(str(demo_db), read_only=True) as con:
        shapes = con.execute("SELECT geometry_wkb FROM neighborhoods").fetchall()
        year = con.execute("SELECT max(year) FROM metrics_long WHERE metric_id = "
                           "'active_businesses' AND geo_level = 'city'").fetchall()[0][0]
        points = con.execute(
            "SELECT longitude, latitude FROM businesses WHERE opened <= make_date(?, 12, 31) "
            "AND (closed IS NULL OR closed > make_date(?, 12, 31))", [year, year]).fetchall()
    city = shapely.union_all([shapely.from_wkb(bytes(w)) for w, in shapes])
    inside = gpd.GeoSeries([area.intersection(city)], crs="EPSG:4326").to_crs(EQUAL_AREA)
    xs, ys = zip(*points)
    active = int(shapely.contains_xy(area, list(xs), list(ys)).sum())
    return float(inside.area.iloc[0]) / 1e6, active


@pytest.mark.parametrize("device", ["mouse on a desktop", "finger on a phone"])
def test_an_area_drawn_on_the_map_gets_its_figures(streamlit_server, browser, demo_db, device):
    phone = device.endswith("phone")
    context = browser.new_context(
        viewport={"width": 390, "height": 844} if phone else {"width": 1440, "height": 900},
        has_touch=phone, is_mobile=phone)
    page = context.new_page()
    try:
        page.goto(f"{streamlit_server}/any_area")
        target = page.locator(".js-plotly-plot .nsewdrag").first
        target.wait_for(timeout=60_000)
        target.scroll_into_view_if_needed()
        path = circle(target.bounding_box())
        (draw_with_finger if phone else draw_with_mouse)(page, path)
        page.wait_for_url("**area=**", timeout=60_000)
        page.get_by_text("Your area:").wait_for(timeout=60_000)
        assert_no_error(page)
        area = area_shape.decode_area(parse_qs(urlsplit(page.url).query)["area"][0])
        assert len(area.exterior.coords) >= 20       # the circle drawn, point by point
        km2, active = by_hand(demo_db, area)
        header = page.get_by_text("Your area:").inner_text()
        assert header == f"Your area: {km2:,.2f} km² inside the city"
        card = page.locator('[data-testid="stMetric"]').filter(has_text="Active businesses").first
        assert card.locator('[data-testid="stMetricValue"]').inner_text() == f"{active:,}"
        assert active > 0
        screenshot(page, f"any-area-drawn-{'phone' if phone else 'desktop'}")
    finally:
        context.close()



def test_a_wrong_upload_is_refused_in_the_readers_words(streamlit_server, page):
    """Streamlit would refuse a 3 MB file or a .txt in the browser, in English; the page
    takes them and says what is wrong in Spanish, with its own 2 MB limit on the uploader."""
    page.goto(f"{streamlit_server}/any_area?lang=es")
    page.get_by_role("tab", name="Subir un archivo GeoJSON").click()
    chooser = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
    chooser.wait_for(state="attached", timeout=60_000)
    assert page.evaluate(UPLOADER_WORDS) == ['"Subir archivo"',
                                             '"Hasta 2 MB por archivo · GEOJSON, JSON"']
    big = b'{"type": "Polygon", "coordinates": []}' + b" " * 3_000_000
    for name, data, said in (
            ("grande.geojson", big, "El archivo tiene 3.000.038 bytes, más de los 2.000.000"),
            ("notas.txt", b"hola", "El archivo “notas.txt” no es un archivo GeoJSON")):
        chooser.set_input_files({"name": name, "mimeType": "application/octet-stream",
                                 "buffer": data})
        page.locator('[data-testid="stAlertContentError"]', has_text=said).wait_for(
            timeout=60_000)                  # the next file takes the place of the last
        body = page.inner_text("body")
        assert "or smaller" not in body and "not allowed" not in body
    screenshot(page, "any-area-upload-refused-es")
