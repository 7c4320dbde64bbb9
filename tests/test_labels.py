"""Area names on maps (`dashboard.labels`): inside their areas, never over one another, the
biggest areas first; on the screen's maps and in every map image.

The positions are checked against the polygons themselves: each name's box, worked out in
pixels at the map's zoom, lies inside its own area and touches no other name's box.
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pytest
import shapely
from shapely.geometry import box, shape

from core import metrics
from dashboard import explorer, geometry, images, labels, maps, queries, slides
from dashboard.db import open_database

SOURCE = "Source: test"


@pytest.fixture(scope="module")
def demo(demo_db):
    db = open_database(demo_db)
    yield db
    db.con.close()


def feature(geo_id: str, name: str, polygon) -> dict:
    return {"type": "Feature", "id": geo_id, "properties": {"geo_id": geo_id, "name": name},
            "geometry": shapely.geometry.mapping(polygon)}


def collection(*features) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def pixel_box(label: labels.Label, zoom: float, inner: bool = True):
    """The label's text box (less its free margin when `inner`) in world pixels at `zoom`."""
    x, y = labels.to_unit(label.lon, label.lat)
    scale = labels.TILE_PX * 2 ** zoom
    pad = labels.PAD_PX if inner else 0
    half_w, half_h = label.width_px / 2 - pad, label.height_px / 2 - pad
    return box(x * scale - half_w, y * scale - half_h, x * scale + half_w, y * scale + half_h)


def pixel_polygon(geometry: dict, zoom: float):
    scale = labels.TILE_PX * 2 ** zoom
    return shapely.transform(shape(geometry),
                             lambda xy: np.column_stack(labels.to_unit(*xy.T)) * scale)


def assert_placed_well(geojson: dict, found: list[labels.Label], zoom: float) -> None:
    """Every name inside its own area, is that area's name (maybe shortened), and no two
    boxes (with their free margins) overlap."""
    by_id = {f["id"]: f for f in geojson["features"]}
    prefix = labels.common_prefix([f["properties"]["name"] for f in geojson["features"]])
    for label in found:
        area = pixel_polygon(by_id[label.geo_id]["geometry"], zoom)
        assert area.contains(pixel_box(label, zoom)), f"{label.text} spills out of its area"
        name = by_id[label.geo_id]["properties"]["name"][len(prefix):]
        assert labels.as_name(label.text) in (name, labels.shorten(name)), label.text
    boxes = [pixel_box(label, zoom, inner=False) for label in found]
    for i, a in enumerate(boxes):
        for j in range(i + 1, len(boxes)):
            assert not a.intersects(boxes[j]) or a.touches(boxes[j]), \
                f"{found[i].text} overlaps {found[j].text}"


@pytest.mark.parametrize("level, width, least", [("neighborhood", 600, 24), ("tract", 600, 25),
                                                 ("neighborhood", 350, 6)])
def test_demo_names_lie_inside_their_areas_and_never_overlap(demo, level, width, least):
    shapes = geometry.shapes_geojson(demo, level)
    _, zoom = geometry.center_and_zoom(shapes, width_px=width, height_px=maps.MAP_PX)
    found = labels.place(shapes, zoom)
    assert len(found) >= least, f"{len(found)} names placed"
    assert_placed_well(shapes, found, zoom)


def test_the_biggest_areas_are_named_first(demo):
    shapes = geometry.shapes_geojson(demo, "neighborhood")
    _, zoom = geometry.center_and_zoom(shapes, width_px=600, height_px=maps.MAP_PX)
    named = {label.geo_id for label in labels.place(shapes, zoom)}
    areas = {f["id"]: shape(f["geometry"]).area for f in shapes["features"]}
    biggest = sorted(areas, key=areas.get, reverse=True)[:10]
    assert set(biggest) <= named


def test_where_two_names_would_collide_the_larger_area_wins_unless_one_is_chosen():
    big = feature("A", "Big", box(0, 0, 0.1, 0.1))
    small = feature("B", "Small", box(0.04, 0.04, 0.06, 0.06))     # overlaps A's centre
    shapes = collection(small, big)
    zoom = 12
    found = labels.place(shapes, zoom)
    assert [label.geo_id for label in found][0] == "A"
    assert_no_overlap = [pixel_box(label, zoom, inner=False) for label in found]
    assert all(not a.intersects(b) for i, a in enumerate(assert_no_overlap)
               for b in assert_no_overlap[i + 1:])
    chosen = labels.place(shapes, zoom, first="B")
    assert chosen[0].geo_id == "B"


def test_a_name_too_long_for_its_area_is_wrapped_then_shortened_then_left_out():
    zoom = 14
    scale = labels.TILE_PX * 2 ** zoom / 360         # pixels per degree of longitude at zoom
    wide = feature("W", "Clover Heights", box(0, 0, 200 / scale, 60 / scale))
    narrow = feature("N", "Clover Heights", box(1, 0, 1 + 70 / scale, 60 / scale))
    narrower = feature("S", "Clover Heights", box(2, 0, 2 + 44 / scale, 60 / scale))
    tiny = feature("T", "Clover Heights", box(3, 0, 3 + 10 / scale, 10 / scale))
    found = {label.geo_id: label.text for label in
             labels.place(collection(wide, narrow, narrower, tiny), zoom)}
    assert labels.as_name(found["W"]) == "Clover Heights" and labels.BREAK not in found["W"]
    assert found["N"] == f"Clover{labels.BREAK}Heights"
    assert labels.as_name(found["S"]) == "Clover Hts"
    assert "T" not in found


def test_a_prefix_every_name_shares_is_left_out():
    tracts = collection(*[feature(f"T{i}", f"Census Tract {i}0{i}", box(i, 0, i + 0.05, 0.05))
                          for i in range(1, 4)])
    assert {labels.as_name(label.text) for label in labels.place(tracts, 13)} == \
        {"101", "202", "303"}


def test_names_are_white_on_dark_fills_and_dark_on_light_ones():
    assert labels.ink("#440154") == labels.LIGHT_INK       # viridis' darkest class
    assert labels.ink("rgb(253, 231, 37)") == labels.DARK_INK
    assert labels.ink("#d9d9d9") == labels.DARK_INK        # grey: no data


def demo_map(demo, level="neighborhood", hood=None, width=maps.WIDTH_PX):
    metric = metrics.get("micro_per_1k_residents")
    shapes = geometry.shapes_geojson(demo, level)
    year = explorer.years(demo, metric.id, level, "all")[-1]
    data = explorer.values(demo, metric.id, year, level, "all")
    outline = maps.feature(geometry.shapes_geojson(demo, "neighborhood"), hood)
    return maps.choropleth(data, shapes, maps.MapView(metric, level, width_px=width), outline)[0]


def test_the_screen_map_names_its_areas_with_text_traces_in_the_fill_s_ink(demo):
    fig = demo_map(demo)
    names = [t for t in fig.data if t.name == labels.TRACE_NAME]
    assert names and all(t.type == "scattermap" and t.mode == "text" and t.hoverinfo == "skip"
                         for t in names)
    fills = labels.fills(fig)
    for trace in names:
        assert {labels.ink(fills[g]) for g in trace.customdata} == {trace.textfont.color}
    drawn = labels.placed(fig)
    hoods = dict(demo.query("SELECT neighborhood_id, name FROM neighborhoods").itertuples(index=False))
    assert len(drawn) >= 24 and all(name in (hoods[g], labels.shorten(hoods[g]))
                                    for g, name, _, _ in drawn)
    polygons = {f["id"]: shape(f["geometry"]) for f in geometry.shapes_geojson(demo, "neighborhood")["features"]}
    assert all(polygons[g].contains(shapely.Point(lon, lat)) for g, _, lon, lat in drawn)


def test_a_chosen_neighborhood_is_outlined_and_named_first(demo):
    fig = demo_map(demo, hood="N22")
    layers = fig.layout.map.layers
    assert [layer.type for layer in layers] == ["line", "line"]
    assert layers[-1].color == maps.OUTLINE and layers[-1].line.width >= 3
    (outlined,) = layers[-1].source["features"]
    assert outlined["id"] == "N22"
    assert labels.first_of(fig) == "N22" and "N22" in {g for g, *_ in labels.placed(fig)}
    shapes = geometry.shapes_geojson(demo, "neighborhood")
    assert labels.place(shapes, fig.layout.map.zoom, first="N22")[0].geo_id == "N22"
    assert not demo_map(demo).layout.map.layers


def test_tract_maps_outline_the_neighborhood_over_the_tracts(demo):
    fig = demo_map(demo, level="tract", hood="N07")
    (outlined,) = fig.layout.map.layers[-1].source["features"]
    assert outlined["id"] == "N07" and outlined["properties"]["name"] == "Union Flats"


def test_the_legend_sits_below_the_map_never_over_it(demo):
    fig = demo_map(demo)
    (areas,) = [t for t in fig.data if t.type == "choroplethmap"]
    bottom = fig.layout.map.domain.y[0]
    assert bottom > 0 and areas.colorbar.y <= bottom and areas.colorbar.yanchor == "top"
    change = maps.change_map(queries.metric_by_area(demo, "jobs_change", 2024),
                             geometry.shapes_geojson(demo, "neighborhood"),
                             metrics.get("jobs_change"), 0)
    bar = [t for t in change.data if t.type == "choroplethmap"][-1].colorbar
    assert bar.orientation == "h" and bar.y <= change.layout.map.domain.y[0]


def test_a_narrow_frame_gets_a_zoom_that_shows_the_whole_city(demo):
    wide, narrow = demo_map(demo), demo_map(demo, width=350)
    assert narrow.layout.map.zoom < wide.layout.map.zoom
    shapes = geometry.shapes_geojson(demo, "neighborhood")
    west, _, east, _ = geometry.bounds(shapes)
    shown = 350 * 360 / (labels.TILE_PX * 2 ** narrow.layout.map.zoom)   # degrees across
    assert shown >= east - west
    assert narrow.layout.height < wide.layout.height                     # no empty band


@pytest.mark.parametrize("preset", list(images.PRESETS))
def test_every_map_image_names_its_areas_and_keeps_the_legend_off_the_map(demo, preset):
    fig = images.publishable(demo_map(demo, hood="N07"), "Micro-businesses", "Port Juniper, 2025",
                             SOURCE, date(2026, 1, 1), preset)
    assert not labels.placed(fig)                       # text traces gave way to annotations
    named = labels.annotated(fig)
    assert len(named) >= 20 and named[0][0] == "N07"
    assert fig.layout.annotations[-1].text.startswith("Source: test")   # the footer stays last
    right_edge = fig.layout.map.domain.x[1]
    (areas,) = [t for t in fig.data if t.type == "choroplethmap"]
    assert right_edge < 1 and areas.colorbar.x > right_edge           # legend right of the map
    assert fig.layout.map.layers[-1].source["features"][0]["id"] == "N07"
    for note in fig.layout.annotations[:-1]:
        assert 0 <= note.x <= right_edge and 0 <= note.y <= 1


def test_the_change_map_and_the_presentation_map_are_named_and_outlined_too(demo):
    shapes = geometry.shapes_geojson(demo, "neighborhood")
    change = maps.change_map(queries.metric_by_area(demo, "jobs_change", 2024), shapes,
                             metrics.get("jobs_change"), 0, outline=maps.feature(shapes, "N07"))
    assert len(labels.placed(change)) >= 20 and change.layout.map.layers
    locator = slides.locator_map(shapes, "N07")
    assert labels.first_of(locator) == "N07" and len(labels.placed(locator)) >= 15
    assert locator.layout.map.layers[-1].source["features"][0]["id"] == "N07"
    image = images.publishable(change, "Change in jobs", "2024", SOURCE, date(2026, 1, 1), "square")
    assert len(labels.annotated(image)) >= 20


def test_placing_two_thousand_areas_is_done_once_per_map_and_zoom(monkeypatch):
    """The second ask for the same shapes and zoom is answered from memory (the speed of
    placing itself is measured by the server benchmark, not here)."""
    side = 45
    areas = collection(*[feature(f"A{i}", f"Area {i}", shapely.Point(i % side * 0.01, i // side * 0.01)
                                 .buffer(0.0049, quad_segs=16)) for i in range(2000)])
    _, zoom = geometry.center_and_zoom({**areas, "bbox": [0, 0, 0.45, 0.45]}, 600, maps.MAP_PX)
    calls = []
    real = labels._place
    monkeypatch.setattr(labels, "_place", lambda *a, **k: calls.append(1) or real(*a, **k))
    first = labels.place(areas, zoom)
    again = labels.place(areas, zoom)
    assert again is first and len(calls) == 1
    labels.place(areas, zoom + 1)
    assert len(calls) == 2


def test_the_figure_sent_to_the_image_maker_carries_the_names_and_the_outline(demo, monkeypatch):
    from dashboard import downloads
    sent = []
    monkeypatch.setattr(images, "browser_available", lambda: (True, ""))
    monkeypatch.setattr(images._RENDERER, "render", lambda fig, opts: sent.append(fig) or b"PNG")
    spec = downloads.Download("Micro-businesses per 1,000 residents", ("micro_per_1k_residents",),
                              2025, subtitle="by neighborhood")
    assert downloads.image_bytes(demo, demo_map(demo, hood="N21"), spec, "png", "square",
                                 date(2026, 1, 2)) == b"PNG"
    (fig,) = sent
    named = labels.annotated(fig)
    assert len(named) >= 24 and named[0] == ("N21", "Market Street")
    assert fig["layout"]["map"]["layers"][-1]["source"]["features"][0]["id"] == "N21"
    bar = next(t for t in fig["data"] if t["type"] == "choroplethmap")["colorbar"]
    assert bar["x"] > fig["layout"]["map"]["domain"]["x"][1]        # the legend beside the map
