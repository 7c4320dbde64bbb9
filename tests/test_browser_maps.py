"""Finding a place on the maps, in a real browser: the names the map library draws, the
outlined neighborhood, "Find my neighborhood", and the map page at a phone's width.

What is checked is what MapLibre drew (`queryRenderedFeatures`): every name the page
placed is drawn (MapLibre drops a name whose box collides with another, so all of them
drawn means none overlaps), each inside its own area; the outline is a line layer whose
feature is the chosen neighborhood. Screenshots go to tests/artifacts/.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import duckdb
import pytest
import shapely
from shapely.geometry import shape

from conftest import screenshot
from dashboard import labels
from tests.test_browser import assert_no_error

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}

# The names MapLibre drew on the page's first map, the outlines (the figure's own line layers,
# not the areas' borders), and the data they came from.
DRAWN = """() => {
  const gd = document.querySelector('.js-plotly-plot');
  const map = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot.map;
  if (!map || !map.loaded()) return null;
  const rendered = map.queryRenderedFeatures();
  const plain = v => ArrayBuffer.isView(v) ? Array.from(v) : v;
  return {
    names: rendered.filter(f => f.layer.type === 'symbol').map(f => f.properties.text),
    outlined: [...new Set(rendered.filter(f => f.layer.type === 'line' && /layout-layer/.test(f.layer.id))
                                  .map(f => f.properties.geo_id))],
    placed: gd.data.filter(t => t.name === 'Area names')
                   .flatMap(t => plain(t.text).map((text, i) => ({
                      text, geo_id: plain(t.customdata)[i], lon: plain(t.lon)[i], lat: plain(t.lat)[i]}))),
    features: (gd.data.find(t => t.type === 'choroplethmap') || {}).geojson.features,
  };
}"""


def open_page(browser, url: str, viewport: dict = DESKTOP):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("h1", timeout=45_000)
    return context, page


def settled(page) -> None:
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=45_000)


def drawn(page, names_at_least: int = 1) -> dict:
    """What the first map drew, once its names have stopped changing."""
    settled(page)
    page.wait_for_selector(".js-plotly-plot .maplibregl-canvas", timeout=45_000)
    last, steady = None, 0
    for _ in range(80):
        seen = page.evaluate(DRAWN)
        key = None if seen is None else (sorted(seen["names"]), seen["outlined"],
                                          len(seen["placed"]))
        steady = steady + 1 if key is not None and key == last else 0
        if steady >= 3 and len(seen["names"]) >= names_at_least:
            return seen
        last = key
        page.wait_for_timeout(250)
    raise AssertionError(f"the map's names never settled: {last}")


def url_params(page) -> dict:
    return dict(parse_qsl(urlsplit(page.url).query))


def assert_names_drawn_inside_their_areas(seen: dict) -> None:
    placed = sorted(p["text"].replace("<br>", "\n") for p in seen["placed"])  # as MapLibre gets it
    assert placed, "no names placed"
    assert sorted(seen["names"]) == placed, set(placed) ^ set(seen["names"])
    areas = {f["id"]: shape(f["geometry"]) for f in seen["features"]}
    for label in seen["placed"]:
        point = shapely.Point(label["lon"], label["lat"])
        assert areas[label["geo_id"]].contains(point), label


def test_every_name_is_drawn_inside_its_area_and_the_chosen_one_is_outlined(streamlit_server,
                                                                            browser, demo_db):
    context, page = open_page(browser, f"{streamlit_server}/map?n=N07")
    try:
        seen = drawn(page, names_at_least=20)
        screenshot(page, "maps-map-outlined-1440")
        assert_no_error(page)
        assert_names_drawn_inside_their_areas(seen)
        assert seen["outlined"] == ["N07"]
        with duckdb.connect(str(demo_db), read_only=True) as con:
            hoods = dict(con.execute("SELECT neighborhood_id, name FROM neighborhoods").fetchall())
        assert {p["geo_id"] for p in seen["placed"]} <= set(hoods)
        assert len(seen["names"]) >= 24, f"{len(seen['names'])} of {len(hoods)} areas named"
        assert "Union Flats is outlined in black" in page.inner_text("body")
    finally:
        context.close()


def test_tract_map_names_tracts_and_outlines_the_neighborhood(streamlit_server, browser):
    context, page = open_page(browser, f"{streamlit_server}/map?level=tract&n=N21")
    try:
        seen = drawn(page, names_at_least=20)
        screenshot(page, "maps-tracts-outlined-1440")
        assert_names_drawn_inside_their_areas(seen)
        assert seen["outlined"] == ["N21"]
        assert all(re.fullmatch(r"\d+", labels.as_name(n)) for n in seen["names"])
    finally:
        context.close()


@pytest.mark.parametrize("path, shot", [("jobs?n=N13", "maps-jobs-outlined-1440"),
                                        ("diversity?n=N13", "maps-diversity-outlined-1440")])
def test_the_jobs_and_diversity_maps_outline_the_chosen_neighborhood(streamlit_server, browser,
                                                                      path, shot):
    context, page = open_page(browser, f"{streamlit_server}/{path}")
    try:
        page.wait_for_selector(".js-plotly-plot .maplibregl-canvas", timeout=45_000)
        map_chart = page.locator(".js-plotly-plot:has(.maplibregl-canvas)").first
        map_chart.scroll_into_view_if_needed()
        for _ in range(60):
            outlined = page.evaluate("""() => {
              const gd = [...document.querySelectorAll('.js-plotly-plot')]
                .find(g => g._fullLayout && g._fullLayout.map);
              const map = gd && gd._fullLayout.map._subplot.map;
              if (!map || !map.loaded()) return null;
              const found = map.queryRenderedFeatures();
              return {lines: [...new Set(found.filter(f => f.layer.type === 'line'
                                                         && /layout-layer/.test(f.layer.id))
                                                .map(f => f.properties.geo_id))],
                      names: found.filter(f => f.layer.type === 'symbol').length};
            }""")
            if outlined and outlined["lines"] and outlined["names"]:
                break
            page.wait_for_timeout(500)
        screenshot(page, shot)
        assert outlined["lines"] == ["N13"] and outlined["names"] >= 15, outlined
        assert_no_error(page)
    finally:
        context.close()


def test_on_a_phone_the_map_comes_first_whole_with_its_legend_below(streamlit_server, browser):
    context, page = open_page(browser, f"{streamlit_server}/map?n=N07", PHONE)
    try:
        seen = drawn(page, names_at_least=3)
        settled(page)
        page.wait_for_timeout(500)
        screenshot(page, "maps-map-390")
        assert_no_error(page)
        title = page.locator("h1").first.bounding_box()
        chart = page.locator(".js-plotly-plot").first
        canvas = page.locator(".js-plotly-plot .maplibregl-canvas").first.bounding_box()
        control = page.get_by_text("Figure", exact=True).first.bounding_box()
        legend = chart.locator(".colorbar").first.bounding_box()
        assert title["y"] < canvas["y"] < control["y"], "the map comes right after the title"
        assert canvas["y"] - (title["y"] + title["height"]) < 200
        assert legend["y"] >= canvas["y"] + canvas["height"] - 1, "the legend sits below the map"
        assert canvas["x"] >= 0 and canvas["x"] + canvas["width"] <= PHONE["width"]
        # Every area is inside the drawn canvas: the city's corners project into it.
        corners = page.evaluate("""() => {
          const gd = document.querySelector('.js-plotly-plot');
          const map = gd._fullLayout.map._subplot.map;
          const features = gd.data.find(t => t.type === 'choroplethmap').geojson.features;
          let xs = [], ys = [];
          for (const f of features) {
            const rings = f.geometry.type === 'Polygon' ? [f.geometry.coordinates[0]]
              : f.geometry.coordinates.map(p => p[0]);
            for (const ring of rings) for (const [lon, lat] of ring) {
              const p = map.project([lon, lat]); xs.push(p.x); ys.push(p.y); }
          }
          const c = map.getCanvas();
          return {left: Math.min(...xs), right: Math.max(...xs), top: Math.min(...ys),
                  bottom: Math.max(...ys), width: c.clientWidth, height: c.clientHeight};
        }""")
        assert corners["left"] >= 0 and corners["right"] <= corners["width"], corners
        assert corners["top"] >= 0 and corners["bottom"] <= corners["height"], corners
        assert set(seen["outlined"]) == {"N07"}
    finally:
        context.close()


def search(page, text: str) -> None:
    box = page.get_by_role("textbox", name="Find my neighborhood")
    box.fill(text)
    box.press("Enter")
    page.wait_for_timeout(300)
    settled(page)


def test_find_my_neighborhood_on_the_map_page(streamlit_server, browser, demo_db):
    with duckdb.connect(str(demo_db), read_only=True) as con:
        address, = con.execute("SELECT address FROM businesses WHERE address IS NOT NULL AND NOT "
                               "home_based AND NOT sole_proprietor ORDER BY business_id DESC "
                               "LIMIT 1").fetchone()
        hoods = {g for g, in con.execute("SELECT DISTINCT neighborhood_id FROM businesses WHERE "
                                         "address = ? AND NOT home_based AND NOT sole_proprietor",
                                         [address]).fetchall()}
    context, page = open_page(browser, f"{streamlit_server}/map")
    try:
        drawn(page)
        search(page, address.upper().replace(" AVE", " Avenue").replace(" ST", " Street"))
        page.wait_for_url(re.compile(r"[?&]n=N\d+"), timeout=30_000)
        seen = drawn(page)
        screenshot(page, "maps-find-address-1440")
        assert url_params(page)["n"] in hoods
        assert seen["outlined"] == [url_params(page)["n"]]
        assert re.search(r"” is in .+ \(a business address in the city registry", page.inner_text("body"))
        search(page, "rail   YARDS")
        page.wait_for_url(re.compile(r"[?&]n=N22"), timeout=30_000)
        assert drawn(page)["outlined"] == ["N22"]
        search(page, "The far side of the moon")
        message = page.get_by_text(re.compile("matches “The far side of the moon”")).first
        message.wait_for(timeout=30_000)
        screenshot(page, "maps-find-nothing-1440")
        sentence = message.inner_text().strip()
        assert sentence.endswith(".") and len(re.findall(r"[.!?](\s|$)", sentence)) == 1
        assert url_params(page)["n"] == "N22"                 # nothing changed
        assert_no_error(page)
    finally:
        context.close()


def test_find_my_neighborhood_on_the_profile_opens_it(streamlit_server, browser):
    context, page = open_page(browser, f"{streamlit_server}/profile?n=N01", PHONE)
    try:
        settled(page)
        search(page, "oldmill")
        page.wait_for_function("() => document.querySelector('h1').innerText.includes('Old Mill')",
                               timeout=30_000)
        screenshot(page, "maps-find-profile-390")
        assert url_params(page)["n"] == "N13"
        link = page.get_by_role("link", name="See it on the map")
        assert "n=N13" in link.get_attribute("href")
        assert_no_error(page)
    finally:
        context.close()


PREVIEW = ".atlas-map-preview img"


def box_of(page, selector: str) -> dict | None:
    return page.evaluate("""(selector) => { const e = document.querySelector(selector);
      if (!e) return null; const r = e.getBoundingClientRect();
      return {x: r.x, y: r.y, width: r.width, height: r.height}; }""", selector)


def test_a_static_preview_shows_the_map_until_plotly_draws_it(streamlit_server, browser):
    """With Plotly's script held back the page still shows the map (the server's SVG) and
    its legend, inside a phone's width; once Plotly draws, the map takes the preview's place
    at the preview's height."""
    context = browser.new_context(viewport=PHONE)
    context.route(re.compile(r".*/PlotlyChart[^/]*\.js$"), lambda route: route.abort())
    try:
        page = context.new_page()
        page.goto(f"{streamlit_server}/map?n=N07")
        page.wait_for_function(f"""() => {{ const i = document.querySelector('{PREVIEW}');
            return i && i.complete && i.naturalWidth > 0; }}""", timeout=45_000)
        settled(page)
        screenshot(page, "maps-preview-390")
        image = box_of(page, PREVIEW)
        assert image["height"] > 200 and 0 <= image["x"]
        assert image["x"] + image["width"] <= PHONE["width"]
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        preview = page.locator(".atlas-map-preview").first
        assert "withheld" in preview.inner_text() or "areas" in preview.inner_text()
        assert not page.query_selector(".maplibregl-canvas")
    finally:
        context.close()
    context, page = open_page(browser, f"{streamlit_server}/map?n=N07")
    try:
        drawn(page)
        assert not page.locator(PREVIEW).first.is_visible()
        chart = box_of(page, '[class*="st-key-chart_map"] [data-testid="stPlotlyChart"]')
        height = page.evaluate("""() => parseFloat(document.querySelector('.atlas-map-preview')
                                    .style.height)""")
        assert abs(chart["height"] - height) <= 2, (chart, height)
    finally:
        context.close()
