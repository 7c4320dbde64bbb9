"""The map an area is drawn on: the neighborhoods' outlines on plain axes of longitude and
latitude, in lasso mode. No tiles and no map library: it draws with no internet, and a
lasso on plain axes gives its outline's points back (Streamlit's selection `lasso` holds
them; on a MapLibre map it holds nothing but the points selected)."""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
import shapely
from shapely.geometry.base import BaseGeometry

from core import i18n
from core.i18n import _

from . import theme
from .db import Database

GRID = 40          # points across the city that a lasso can select (it needs some points)


def _lines(shapes: list[BaseGeometry]) -> tuple[list, list]:
    """Every ring's points, the rings separated by None (one trace draws them all)."""
    xs, ys = [], []
    for shape in shapes:
        for polygon in getattr(shape, "geoms", [shape]):
            for ring in [polygon.exterior, *polygon.interiors]:
                x, y = ring.xy
                xs += [*x, None]
                ys += [*y, None]
    return xs, ys


def drawing_map(db: Database, area: BaseGeometry | None = None, height: int = 560) -> go.Figure:
    """The city's neighborhoods to draw on (lasso), with the current area filled."""
    hoods = db.query("SELECT name, geometry_wkb FROM neighborhoods ORDER BY name")
    shapes = list(shapely.from_wkb([bytes(w) for w in hoods["geometry_wkb"]]))
    west, south, east, north = shapely.union_all(shapes).bounds
    # outlines to draw around, not to measure: 1/2,000 of the city's width (~20 m in
    # Chicago) keeps every ring; Chicago's 52,721 points become 2,134 (2 MB of figure → 0.12 MB)
    shapes = list(shapely.simplify(shapes, (east - west) / 2000, preserve_topology=True))
    fig = go.Figure()
    xs, ys = _lines(shapes)
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", hoverinfo="skip",
                             name=i18n.areas(plural=True, capital=True),
                             line={"color": "#8a8f98", "width": 1}))
    gx, gy = np.meshgrid(np.linspace(west, east, GRID), np.linspace(south, north, GRID))
    fig.add_trace(go.Scatter(x=gx.ravel(), y=gy.ravel(), mode="markers", hoverinfo="skip",
                             marker={"size": 3, "color": "rgba(0,0,0,0.04)"},
                             name=_("Points to draw around"), showlegend=False))
    centres = [s.representative_point() for s in shapes]
    # names on hover, not as type: a name set in type runs past a phone-wide map's edge
    fig.add_trace(go.Scatter(x=[p.x for p in centres], y=[p.y for p in centres],
                             mode="markers", hovertext=list(hoods["name"]), hoverinfo="text",
                             marker={"size": 6, "color": "#8a8f98"}, showlegend=False,
                             name=i18n.areas(plural=True, capital=True)))
    if area is not None:
        ax, ay = _lines([area])
        fig.add_trace(go.Scatter(x=ax, y=ay, mode="lines", fill="toself", hoverinfo="skip",
                                 name=_("Your area"), line={"color": theme.colour(0), "width": 2}))
    layout = theme.base_layout()
    layout.update(dragmode="lasso", height=height, showlegend=False,
                  margin={"l": 10, "r": 10, "t": 10, "b": 10},
                  xaxis={"visible": False, "range": [west, east]},
                  # a degree of longitude is cos(latitude) as long as one of latitude
                  yaxis={"visible": False, "range": [south, north], "scaleanchor": "x",
                         "scaleratio": 1 / math.cos(math.radians((south + north) / 2))})
    fig.update_layout(**layout)
    return fig


def lasso_outline(event) -> tuple[list[float], list[float]] | None:
    """The longitudes and latitudes of the last lasso in a Streamlit selection event."""
    try:
        lassos = event["selection"]["lasso"]
    except (KeyError, TypeError):
        return None
    if not lassos:
        return None
    last = lassos[-1]
    return list(last.get("x", [])), list(last.get("y", []))
