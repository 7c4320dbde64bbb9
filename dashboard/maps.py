"""Choropleth maps of one figure by neighborhood or tract, drawn without a tile server.

One map trace holds every area (the shapes travel to the browser once): areas with a
published value get their class's colour, the others grey. The colour bar names each
class's range in plain words.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass

import pandas as pd
import plotly.colors as pcolors
import plotly.graph_objects as go

from core.metrics import Metric

from . import classify, theme, wording
from .formatting import WITHHELD, withheld_explanation
from .geometry import center_and_zoom

OFFLINE_STYLE = "white-bg"       # draws polygons with no tiles: works with no internet
TILED_STYLE = "carto-positron"   # a street base map, only when online
BASE_MAPS = {"none": OFFLINE_STYLE, "streets": TILED_STYLE}
HIDDEN_CLASS = -1
HIDDEN_WORDS = f"{WITHHELD} or no data"   # the grey class, in the legend and the colour bar
LEGEND_COLUMNS = ["class", "range", "short", "areas", "colour"]
LEGEND_PX = 170   # room kept free for the legend in the map's top-left corner


@dataclass(frozen=True)
class MapView:
    """What to draw and how: the metric, its level, the classification, the base map."""

    metric: Metric
    geo_level: str = "neighborhood"
    scheme: str = classify.DEFAULT_SCHEME
    k: int = classify.DEFAULT_CLASSES
    threshold: int = 3
    base: str = "none"
    title: str | None = None       # the colour bar's title; the metric's label by default


def hidden_words(threshold: int) -> str:
    """What the grey class holds: withheld values only where counts were withheld."""
    return HIDDEN_WORDS if threshold > 0 else "no data"


def shown_mask(frame: pd.DataFrame) -> pd.Series:
    return frame["value"].notna() & ~frame["suppressed"].astype(bool)


def sound_mask(frame: pd.DataFrame) -> pd.Series:
    """Shown values that may set a class break: neither low count nor unreliable."""
    flagged = frame.get("low_count", False) | frame.get("unreliable", False)
    return shown_mask(frame) & ~pd.Series(flagged, index=frame.index).fillna(False).astype(bool)


def class_frame(frame: pd.DataFrame, view: MapView) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The frame with a `klass` column (-1: hidden or no data), and the legend table:
    class, range in plain words, number of areas, colour."""
    frame = frame.copy()
    shown = shown_mask(frame)
    frame["klass"] = HIDDEN_CLASS
    rows = []
    if shown.any():
        classes = classify.classify_sound(frame.loc[shown, "value"],
                                          sound_mask(frame).loc[shown], view.scheme, view.k)
        frame.loc[shown, "klass"] = classes.index
        lines = classify.legend_lines(classes, view.metric.format, wording.noun(view.metric))
        shorts = classify.legend_lines(classes, view.metric.format)
        colours = class_colours(classes.k, view.metric.kind)
        rows = [{"class": i + 1, "range": line, "short": short, "areas": n, "colour": colour}
                for i, (line, short, n, colour)
                in enumerate(zip(lines, shorts, classes.counts, colours))]
    hidden = int((~shown).sum())
    if hidden:
        words = hidden_words(view.threshold)
        rows.append({"class": None, "range": words,
                     "short": words, "areas": hidden, "colour": theme.NO_DATA})
    return frame, pd.DataFrame(rows, columns=LEGEND_COLUMNS)


def class_colours(k: int, kind: str = "rate") -> list[str]:
    """k colours, light to dark (viridis), or orange to purple for changes."""
    if k == 1:
        return [theme.SEQUENTIAL[1]]
    scale = theme.DIVERGING_NAME if kind == "change" else theme.SEQUENTIAL_REVERSED_NAME
    return pcolors.sample_colorscale(scale, [i / (k - 1) for i in range(k)])


def hover_text(frame: pd.DataFrame, view: MapView) -> list[str]:
    """One hover box per area: name, value, rank, the count behind a rate, the caveat."""
    metric, caveat = view.metric, wording.short_caveat(view.metric)
    why = "<br>".join(textwrap.wrap(withheld_explanation(max(view.threshold, 1)), 60))
    texts = []
    for row in frame.itertuples(index=False):
        suppressed = bool(row.suppressed)
        lines = [f"<b>{row.name}</b>",
                 f"{metric.label}: {wording.value_text(metric, row.value, suppressed, view.threshold)}"]
        if not suppressed:
            rank = wording.rank_phrase(row.rank, row.ranked, view.geo_level)
            behind = wording.count_behind(metric, row.numerator, row.denominator)
            lines += [f"Rank: {rank}"] * bool(rank) + [f"Based on: {behind}"] * bool(behind)
        else:
            lines.append(f"<span style='font-size:12px'>{why}</span>")
        if getattr(row, "low_count", False) and not suppressed:
            lines.append(f"<i>{wording.LOW_COUNT_TEXT}</i>")
        if row.unreliable:
            lines.append(f"<i>{wording.UNRELIABLE_TEXT}</i>")
        if caveat:
            lines.append(f"<span style='font-size:12px'>{caveat}</span>")
        texts.append("<br>".join(lines))
    return texts


def choropleth(frame: pd.DataFrame, geojson: dict, view: MapView) -> tuple[go.Figure, pd.DataFrame]:
    """The classed map and its legend table. `frame` has geo_id, name, value, numerator,
    denominator, suppressed, unreliable, rank, ranked (as `queries.metric_by_area`)."""
    frame, legend = class_frame(frame, view)
    shown = legend[legend["class"].notna()]
    levels = ([HIDDEN_CLASS] if (frame["klass"] == HIDDEN_CLASS).any() else []) + \
        list(range(len(shown)))
    colours = {HIDDEN_CLASS: theme.NO_DATA, **dict(enumerate(shown["colour"]))}
    ticks = {HIDDEN_CLASS: hidden_words(view.threshold),
             **{i: f"{t} ({wording.area_count(n)})"
                for i, (t, n) in enumerate(zip(shown["short"], shown["areas"]))}}
    trace = go.Choroplethmap(
        geojson=geojson, locations=frame["geo_id"], z=frame["klass"],
        text=hover_text(frame, view), hoverinfo="text", customdata=frame["geo_id"],
        colorscale=_steps([colours[lv] for lv in levels]),
        zmin=min(levels, default=0) - 0.5, zmax=max(levels, default=0) + 0.5,
        marker_line_color="white", marker_line_width=0.7,
        colorbar=_colour_bar(view.title or view.metric.label, levels, [ticks[lv] for lv in levels]))
    fig = go.Figure(trace)
    _frame_map(fig, geojson, view.base, left_px=LEGEND_PX)
    return fig, legend


def _steps(colours: list[str]) -> list[list]:
    """A stepped colour scale: one flat band per level."""
    n = max(len(colours), 1)
    scale = []
    for i, colour in enumerate(colours or [theme.NO_DATA]):
        scale += [[i / n, colour], [(i + 1) / n, colour]]
    return scale


def _colour_bar(title: str, levels: list[int], texts: list[str]) -> dict:
    """The legend, inside the map's top-left corner on a light panel."""
    return {"title": {"text": _wrap(title), "side": "top", "font": {"size": 14}},
            "tickvals": levels, "ticktext": texts, "thickness": 16,
            "len": min(0.075 * len(levels) + 0.1, 0.7), "lenmode": "fraction",
            "x": 0.01, "xanchor": "left", "y": 0.99, "yanchor": "top", "ticks": "",
            "tickfont": {"size": 13}, "outlinewidth": 0, "bgcolor": "rgba(255,255,255,0.85)"}


def _wrap(text: str, width: int = 22) -> str:
    return "<br>".join(textwrap.wrap(text, width))


def _frame_map(fig: go.Figure, geojson: dict, base: str, left_px: int = 0) -> None:
    center, zoom = center_and_zoom(geojson, left_px=left_px)
    fig.update_layout(**theme.base_layout(), height=600, clickmode="event+select",
                      map={"style": BASE_MAPS.get(base, OFFLINE_STYLE), "center": center,
                           "zoom": zoom})


def change_map(frame: pd.DataFrame, geojson: dict, metric: Metric, threshold: int = 3,
               base: str = "none", geo_level: str = "neighborhood") -> go.Figure:
    """A diverging map of a change (gains purple, losses orange, no change white), centred
    on zero; hidden areas grey."""
    view = MapView(metric, geo_level, threshold=threshold, base=base)
    shown = shown_mask(frame)
    limit = float(frame.loc[shown, "value"].abs().max()) if shown.any() else 1.0
    text = hover_text(frame, view)
    fig = go.Figure()
    if (~shown).any():
        fig.add_trace(go.Choroplethmap(
            geojson=geojson, locations=frame.loc[~shown, "geo_id"], z=[0] * int((~shown).sum()),
            colorscale=[[0, theme.NO_DATA], [1, theme.NO_DATA]], showscale=False,
            text=[t for t, s in zip(text, shown) if not s], hoverinfo="text",
            marker_line_color="white", marker_line_width=0.7))
    fig.add_trace(go.Choroplethmap(
        geojson=geojson, locations=frame.loc[shown, "geo_id"], z=frame.loc[shown, "value"],
        colorscale=theme.DIVERGING_NAME, zmid=0, zmin=-limit, zmax=limit,
        text=[t for t, s in zip(text, shown) if s], hoverinfo="text",
        customdata=frame.loc[shown, "geo_id"], marker_line_color="white", marker_line_width=0.7,
        colorbar={**_colour_bar(metric.label, [], []), "tickvals": None, "ticktext": None,
                  "len": 0.6, "tickformat": "+,d" if metric.format.endswith("0f}") else None}))
    _frame_map(fig, geojson, base, left_px=LEGEND_PX)
    return fig
