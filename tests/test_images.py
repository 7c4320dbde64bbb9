"""Chart and map images: publishable layout (pure), then real PNG and SVG files made by
kaleido with Debian's Chromium (skipped without it on a developer's machine; CI fails)."""
from __future__ import annotations

import io
import math
import struct
import xml.etree.ElementTree as ET
import zlib
from datetime import date

import pytest

from conftest import require_browser
from dashboard import charts, geometry, images, maps, queries
from dashboard.db import open_database
from core import metrics

MADE = date(2026, 11, 25)
SOURCE = "Source: Tiny Town Business Registry, 2024-01-15"
TITLE, SUBTITLE = "New and closed businesses", "Tiny Town, 2020–2023"


@pytest.fixture(scope="module")
def tiny(tiny_dir):
    return open_database(tiny_dir / "tiny.duckdb")


@pytest.fixture(scope="module")
def chart(tiny):
    """The city's new and closed businesses by year, as the pages draw them."""
    series = queries.area_series(tiny, ["formations", "closures"], [], with_city=True)
    fig, _ = charts.several_lines(series, [metrics.get("formations"), metrics.get("closures")],
                                  3, "city", y_title="businesses")
    return fig


def map_figure(tiny, base: str = "none"):
    """Micro-businesses in 2023: Northgate 4, Millbrook withheld."""
    metric = metrics.get("micro_businesses")
    frame = queries.metric_by_area(tiny, metric.id, 2023)
    shapes = geometry.shapes_geojson(tiny, "neighborhood")
    fig, _ = maps.choropleth(frame, shapes, maps.MapView(metric, base=base))
    return fig


def chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """(type, data) of each PNG chunk, checking every CRC on the way."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    found, pos = [], 8
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        data = png[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", png[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(kind + data)
        found.append((kind, data))
        pos += 12 + length
    return found


def png_size(png: bytes) -> tuple[int, int]:
    kind, data = chunks(png)[0]
    assert kind == b"IHDR"
    return struct.unpack(">II", data[:8])


def svg_text(svg: bytes) -> tuple[ET.Element, str]:
    root = ET.fromstring(svg)
    texts = [" ".join(el.itertext()) for el in root.iter() if el.tag.endswith("}text")]
    return root, "\n".join(texts)


# --- Without a browser -------------------------------------------------------------------

def test_presets_give_the_promised_sizes():
    assert {n: p.pixels for n, p in images.PRESETS.items()} == {
        "16:9": (1600, 900), "square": (1080, 1080), "print": (2400, 1350)}
    printed = images.PRESETS["print"]
    assert printed.dpi == 300 and printed.pixels[0] / printed.dpi == 8.0   # 8 inches wide


def test_publishable_adds_title_source_date_and_product_to_a_copy(chart):
    fig = images.publishable(chart, TITLE, SUBTITLE, SOURCE, MADE, "square")
    assert fig.layout.title.text == f"<b>{TITLE}</b>"
    assert fig.layout.title.subtitle.text == SUBTITLE
    footer = fig.layout.annotations[-1].text
    assert footer.startswith(SOURCE)
    assert footer.endswith("Made with Main Street Atlas on 2026-11-25")
    assert (fig.layout.width, fig.layout.height) == (1080, 1080)
    assert chart.layout.width is None and not chart.layout.annotations   # original untouched


def test_hidden_years_are_said_in_the_footer(chart):
    # the tiny city's formations are hidden in 2021 and 2023: gaps in the line
    footer = images.publishable(chart, TITLE, SUBTITLE, SOURCE, MADE).layout.annotations[-1].text
    assert ("A gap means the figure is withheld. Withheld: fewer than 3 businesses (0, 1 or 2), or hidden "
            "so that a smaller count cannot be worked out from the totals") in \
        footer.replace("<br>", " ")
    plain = images.publishable(chart, TITLE, SUBTITLE, SOURCE, MADE, note="")
    assert "gap" not in plain.layout.annotations[-1].text


def test_text_is_escaped_so_a_title_cannot_inject_markup(chart):
    fig = images.publishable(chart, "<i>Shops</i> & more", "", SOURCE, MADE)
    assert fig.layout.title.text == "<b>&lt;i&gt;Shops&lt;/i&gt; &amp; more</b>"


def test_maps_are_exported_on_a_white_background_fitted_to_the_city(tiny):
    fig = images.publishable(map_figure(tiny, base="streets"), "Micro-businesses",
                             "Tiny Town, 2023", SOURCE, MADE)
    assert fig.layout.map.style == "white-bg"
    west, south, east, north = geometry.bounds(geometry.shapes_geojson(tiny, "neighborhood"))
    assert west < fig.layout.map.center.lon < east and south < fig.layout.map.center.lat < north
    assert "Grey: withheld or no data. Withheld: fewer than 3 businesses" in \
        fig.layout.annotations[-1].text.replace("<br>", " ")


@pytest.mark.parametrize("margin", [0.0, geometry.MARGIN_ZOOM, images.MAP_MARGIN])
def test_one_mercator_fit_frames_the_city_with_its_margin(tiny, margin):
    """The page's maps and the images share one fit: the city's box, projected at the zoom
    it gives, fills the frame on its tighter side but for the margin (the zoom is rounded to
    a hundredth, at most 0.35% of a frame)."""
    shapes = geometry.shapes_geojson(tiny, "neighborhood")
    west, south, east, north = geometry.bounds(shapes)
    for width, height in ((1300, 700), (390, 540), (600, 1200)):
        center, zoom = geometry.center_and_zoom(shapes, width, height, margin)
        scale = 512 * 2 ** zoom / (2 * math.pi)        # pixels per Mercator radian
        wide = (east - west) * math.pi / 180 * scale
        high = (mercator(north) - mercator(south)) * scale
        assert wide <= width * 2 ** 0.005 and high <= height * 2 ** 0.005
        assert max(wide / width, high / height) == pytest.approx(2 ** -margin, abs=0.01)
        assert mercator(center["lat"]) == pytest.approx((mercator(north) + mercator(south)) / 2)
        assert center["lon"] == pytest.approx((west + east) / 2)


def mercator(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def test_a_print_png_records_300_dpi():
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00\x00")

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    twice = images.with_dpi(images.with_dpi(png, 150), 300)
    kinds = [k for k, _ in chunks(twice)]
    assert kinds == [b"IHDR", b"pHYs", b"IDAT", b"IEND"]
    assert struct.unpack(">IIB", dict(chunks(twice))[b"pHYs"]) == (11811, 11811, 1)


def test_without_a_browser_the_reason_is_said(chart, monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")
    ok, reason = images.browser_available()
    assert not ok and "chromium" in reason and "camera button" in reason
    with pytest.raises(images.ExportUnavailable, match="camera button"):
        images.render(chart, "png")


# --- With a browser ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    require_browser()


@pytest.mark.parametrize("preset", list(images.PRESETS))
def test_chart_png_and_svg_have_the_size_and_the_words(browser, chart, preset):
    fig = images.publishable(chart, TITLE, SUBTITLE, SOURCE, MADE, preset)
    assert png_size(images.render(fig, "png", preset)) == images.PRESETS[preset].pixels
    root, text = svg_text(images.render(fig, "svg", preset))
    p = images.PRESETS[preset]
    assert (float(root.get("width")), float(root.get("height"))) == (p.width, p.height)
    for words in (TITLE, SUBTITLE, "Tiny Town Business Registry", "Made with Main Street "
                  "Atlas on 2026-11-25", "New businesses", "Closed businesses", "businesses"):
        assert words in text, words


def test_map_png_is_drawn_at_print_resolution_with_its_dpi(browser, tiny):
    fig = images.publishable(map_figure(tiny), "Micro-businesses", "Tiny Town, 2023",
                             SOURCE, MADE, "print")
    png = images.render(fig, "png", "print")
    assert png_size(png) == (2400, 1350)
    assert struct.unpack(">IIB", dict(chunks(png))[b"pHYs"]) == (11811, 11811, 1)
    from PIL import Image   # Pillow comes with fpdf2
    image = Image.open(io.BytesIO(png)).convert("RGB")
    colours = image.resize((240, 135)).getcolors(maxcolors=100_000)
    assert len(colours) > 20          # polygons and text, not a blank page
