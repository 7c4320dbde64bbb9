"""The map's static preview (`maps.preview_html`): the SVG the page shows until Plotly has
drawn the interactive map. It must be the same map: every area in the colour its class has
in the figure, fitted with the figure's centre and zoom, the outline and the legend's rows.
"""
from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET

import numpy as np
import plotly.graph_objects as go
import pytest

from core import metrics
from dashboard import explorer, geometry, maps, queries
from dashboard.db import open_database

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def demo(demo_db):
    db = open_database(demo_db)
    yield db
    db.con.close()


def drawn_map(db, outline_id: str | None = None, width: int = maps.WIDTH_PX):
    metric = metrics.get(explorer.DEFAULTS.metric)
    year = queries.metric_years(db, metric.id, "neighborhood")[-1]
    data = explorer.values(db, metric.id, year, "neighborhood", explorer.DEFAULTS.category)
    shapes = geometry.shapes_geojson(db, "neighborhood")
    view = maps.MapView(metric, width_px=width)
    fig, legend = maps.choropleth(data, shapes, view, maps.feature(shapes, outline_id))
    return fig, legend, shapes


def svg_of(preview: str) -> ET.Element:
    found = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', preview)
    assert found, "the preview holds the map as an SVG image"
    return ET.fromstring(base64.b64decode(found.group(1)))


def points(path: str) -> np.ndarray:
    return np.array([[float(v) for v in pair.split()]
                     for pair in re.findall(r"[ML]([-\d.]+ [-\d.]+)", path)])


def transformed(root: ET.Element) -> np.ndarray:
    """Every vertex of the areas, in the SVG's own pixels (its group's matrix applied)."""
    group = root.find(f"{SVG}g")
    a, _, _, d, e, f = map(float, re.search(r"matrix\(([^)]*)\)", group.get("transform"))
                           .group(1).split())
    xy = np.vstack([points(p.get("d")) for p in group.findall(f"{SVG}path")])
    return xy * [a, d] + [e, f]


def test_every_area_is_drawn_in_the_colour_of_its_class(demo):
    fig, legend, _ = drawn_map(demo)
    root = svg_of(maps.preview_html(fig, geometry.shapes_geojson(demo, "neighborhood")))
    fills = [p.get("fill") for p in root.find(f"{SVG}g").findall(f"{SVG}path")]
    trace = fig.data[0]
    assert len(fills) == len(trace.locations)
    shown = legend[legend["class"].notna()]
    colours = {maps.HIDDEN_CLASS: maps.theme.NO_DATA, **dict(enumerate(shown["colour"]))}
    assert fills == [colours[int(z)] for z in trace.z]


def test_the_preview_is_fitted_as_the_map_is(demo):
    """The city sits in the SVG's frame as MapLibre fits it: inside, filling one side."""
    fig, _, shapes = drawn_map(demo)
    root = svg_of(maps.preview_html(fig, shapes))
    width, height = float(root.get("width")), float(root.get("height"))
    xy = transformed(root)
    assert xy[:, 0].min() >= 0 and xy[:, 0].max() <= width
    assert xy[:, 1].min() >= 0 and xy[:, 1].max() <= height
    spread = max((xy[:, 0].max() - xy[:, 0].min()) / width,
                 (xy[:, 1].max() - xy[:, 1].min()) / height)
    assert 0.8 < spread < 1.0
    # The figure's centre is the frame's centre.
    centre = geometry.world_px(fig.layout.map.center.lon, fig.layout.map.center.lat,
                               fig.layout.map.zoom)
    zoom, origin, paths = geometry.svg_paths(shapes)
    scale = 2 ** (fig.layout.map.zoom - zoom)
    first = (points(paths[str(fig.data[0].locations[0])])[0] + origin) * scale
    assert np.allclose(first - np.array(centre) + [width / 2, height / 2],
                       transformed(root)[0], atol=0.1)


def test_the_outline_and_the_legend_are_in_the_preview(demo):
    fig, legend, shapes = drawn_map(demo, outline_id="N07")
    preview = maps.preview_html(fig, shapes)
    edges = [p for p in svg_of(preview).iter(f"{SVG}path") if p.get("fill") == "none"]
    assert [p.get("stroke") for p in edges] == [maps.CASING, maps.OUTLINE]
    for text in legend["short"]:
        assert text in preview
    plain, _, _ = drawn_map(demo)
    assert not [p for p in svg_of(maps.preview_html(plain, shapes)).iter(f"{SVG}path")
                if p.get("fill") == "none"]


def test_the_preview_is_as_tall_as_the_figure_and_only_for_a_map(demo):
    fig, _, shapes = drawn_map(demo, width=360)
    preview = maps.preview_html(fig, shapes, 360)
    assert f"height:{fig.layout.height}px" in preview
    assert float(svg_of(preview).get("width")) <= 360
    assert maps.preview_html(go.Figure(go.Bar(x=[1], y=[2])), shapes) is None


def test_the_shapes_paths_are_computed_once_per_cached_shapes(demo):
    shapes = geometry.shapes_geojson(demo, "neighborhood")
    assert geometry.svg_paths(shapes) is geometry.svg_paths(shapes)
    assert set(geometry.svg_paths(shapes)[2]) == {f["id"] for f in shapes["features"]}
