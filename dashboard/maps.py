"""Choropleth maps of one metric by neighborhood or tract, drawn without a tile server."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from . import theme
from .formatting import format_value, suppressed_text
from .geometry import center_and_zoom

OFFLINE_STYLE = "white-bg"       # draws polygons with no tiles: works with no internet
TILED_STYLE = "carto-positron"   # a street base map, only when online


def hover_text(frame: pd.DataFrame, label: str, fmt: str | None, threshold: int) -> list[str]:
    """One hover box per area: name, value, rank and the count behind a rate."""
    texts = []
    for row in frame.itertuples(index=False):
        value = format_value(row.value, fmt, bool(row.suppressed), threshold)
        lines = [f"<b>{row.name}</b>", f"{label}: {value}"]
        if not row.suppressed and pd.notna(getattr(row, "rank", None)):
            lines.append(f"Rank {int(row.rank)} of {int(row.ranked)}")
        count = getattr(row, "numerator", None)
        if not row.suppressed and pd.notna(count) and getattr(row, "denominator", None) is not None \
                and pd.notna(row.denominator):
            lines.append(f"Count behind it: {count:,.0f}")
        if getattr(row, "unreliable", False):
            lines.append("Unreliable: fewer than 100 residents")
        texts.append("<br>".join(lines))
    return texts


def choropleth(frame: pd.DataFrame, geojson: dict, label: str, fmt: str | None = None,
               threshold: int = 3, map_style: str = OFFLINE_STYLE,
               colorscale: str | list = theme.SEQUENTIAL_NAME) -> go.Figure:
    """A map: areas with a value coloured on a sequential scale, the rest grey and said why.

    `frame` has geo_id, name, value, suppressed and optionally numerator, denominator,
    unreliable, rank, ranked.
    """
    frame = frame.copy()
    frame["hover"] = hover_text(frame, label, fmt, threshold)
    shown = frame[frame["value"].notna() & ~frame["suppressed"].astype(bool)]
    hidden = frame.drop(shown.index)
    fig = go.Figure()
    if len(hidden):
        fig.add_trace(go.Choroplethmap(
            geojson=geojson, locations=hidden["geo_id"], z=[0] * len(hidden),
            colorscale=[[0, theme.NO_DATA], [1, theme.NO_DATA]], showscale=False,
            text=hidden["hover"], hoverinfo="text", marker_line_color="white",
            marker_line_width=0.8, name=f"{suppressed_text(threshold)} or no data",
            customdata=hidden["geo_id"]))
    fig.add_trace(go.Choroplethmap(
        geojson=geojson, locations=shown["geo_id"], z=shown["value"], colorscale=colorscale,
        text=shown["hover"], hoverinfo="text", marker_line_color="white",
        marker_line_width=0.8, customdata=shown["geo_id"],
        colorbar={"title": {"text": label.replace(" per ", "<br>per "), "side": "top"},
                  "thickness": 14, "len": 0.8}))
    center, zoom = center_and_zoom(geojson)
    fig.update_layout(**theme.base_layout(), map={"style": map_style, "center": center,
                                                 "zoom": zoom}, height=560)
    return fig
