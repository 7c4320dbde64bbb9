"""Choropleth maps of one figure by neighborhood or tract, drawn without a tile server.

One map trace holds every area (the shapes travel to the browser once): areas with a
published value get their class's colour, the others grey. Each area's name is written
inside it where it fits (`labels`), the chosen neighborhood is outlined, and the legend
(a colour bar naming each class's range in plain words) sits below the map, never over it.
The view (centre and zoom) and the names are fitted to the width of the map's frame, which
the page measures (`frame.map_width`): a phone sees the whole city, named as it fits there.
"""
from __future__ import annotations

import base64
import html
import textwrap
from dataclasses import dataclass

import pandas as pd
import plotly.colors as pcolors
import plotly.graph_objects as go

from core.i18n import _
from core.metrics import Metric

from . import classify, labels, theme, wording
from .formatting import grey_words, withheld_explanation
from .geometry import center_and_zoom, fitted_height, svg_path, svg_paths, world_px

OFFLINE_STYLE = "white-bg"       # draws polygons with no tiles: works with no internet
TILED_STYLE = "carto-positron"   # a street base map, only when online
BASE_MAPS = {"none": OFFLINE_STYLE, "streets": TILED_STYLE}
HIDDEN_CLASS = -1
LEGEND_COLUMNS = ["class", "range", "short", "areas", "colour"]
MAP_PX = 520            # the map's own height on screen; the legend is added below it
WIDTH_PX = 600          # the map's width when the page has not measured it (a desktop's column)
ROW_PX = 24             # one colour class in the legend
TITLE_LINE_PX = 19      # one line of the legend's title
MARGIN_PX = 10
OUTLINE, CASING = "#000000", "#ffffff"    # the chosen neighborhood's edge, and its halo


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
    width_px: int = WIDTH_PX       # the width of the map's frame on screen
    height_px: int | None = None   # the whole figure's height (an embed's); MAP_PX + legend
    legend_side: bool = False      # the legend left of the map (a short, wide frame: an embed)


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
        words = grey_words(view.threshold)
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
            rank = wording.rank_phrase(row.rank, row.ranked, view.geo_level,
                                       getattr(row, "areas", None))
            behind = wording.count_behind(metric, row.numerator, row.denominator)
            lines += [_("Rank: {rank}").format(rank=rank)] * bool(rank) + \
                [_("Based on: {count}").format(count=behind)] * bool(behind)
        else:
            lines.append(f"<span style='font-size:12px'>{why}</span>")
        if getattr(row, "low_count", False) and not suppressed:
            lines.append(f"<i>{wording.low_count_text()}</i>")
        if row.unreliable:
            lines.append(f"<i>{wording.unreliable_text(metric)}</i>")
        if caveat:
            lines.append(f"<span style='font-size:12px'>{caveat}</span>")
        texts.append("<br>".join(lines))
    return texts


def choropleth(frame: pd.DataFrame, geojson: dict, view: MapView,
               outline: dict | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """The classed map and its legend table. `frame` has geo_id, name, value, numerator,
    denominator, suppressed, unreliable, rank, ranked (as `queries.metric_by_area`);
    `outline` is the GeoJSON feature of a neighborhood to outline (`feature`)."""
    frame, legend = class_frame(frame, view)
    shown = legend[legend["class"].notna()]
    levels = ([HIDDEN_CLASS] if (frame["klass"] == HIDDEN_CLASS).any() else []) + \
        list(range(len(shown)))
    colours = {HIDDEN_CLASS: theme.NO_DATA, **dict(enumerate(shown["colour"]))}
    ticks = {HIDDEN_CLASS: grey_words(view.threshold),
             **{i: f"{t} ({wording.area_count(n)})"
                for i, (t, n) in enumerate(zip(shown["short"], shown["areas"]))}}
    title = _wrap(view.title or view.metric.label)
    texts = [ticks[lv] for lv in levels]
    below = 0 if view.legend_side else _legend_px(len(levels), title)
    left = _legend_width(title, texts) if view.legend_side else 0
    map_px = max(view.height_px - below - 2 * MARGIN_PX, 200) if view.height_px else \
        fitted_height(geojson, view.width_px - left, MAP_PX)
    bar = _colour_bar(title, levels, texts, below, map_px)
    if view.legend_side:
        bar.update(y=1, yanchor="top")
    trace = go.Choroplethmap(
        geojson=geojson, locations=frame["geo_id"], z=frame["klass"],
        text=hover_text(frame, view), hoverinfo="text", customdata=frame["geo_id"],
        colorscale=_steps([colours[lv] for lv in levels]),
        zmin=min(levels, default=0) - 0.5, zmax=max(levels, default=0) + 0.5,
        marker_line_color="white", marker_line_width=0.7,
        colorbar=bar)
    fig = go.Figure(trace)
    _frame_map(fig, geojson, view.base, below, outline, view.width_px, map_px, left)
    return fig, legend


def _steps(colours: list[str]) -> list[list]:
    """A stepped colour scale: one flat band per level."""
    n = max(len(colours), 1)
    scale = []
    for i, colour in enumerate(colours or [theme.NO_DATA]):
        scale += [[i / n, colour], [(i + 1) / n, colour]]
    return scale


def _title_px(title: str) -> int:
    return (title.count("<br>") + 1) * TITLE_LINE_PX + 6


def _legend_px(rows: int, title: str) -> int:
    """Room below the map for the legend: its title and one row per class."""
    return _title_px(title) + max(rows, 1) * ROW_PX + 18


def _colour_bar(title: str, levels: list[int], texts: list[str], below: int,
                map_px: int = MAP_PX) -> dict:
    """The legend, below the map at its left edge: a column of classes with their ranges
    (the title is drawn inside the bar's length, above the classes)."""
    plot = map_px + below
    return {"title": {"text": title, "side": "top", "font": {"size": 14}},
            "tickvals": levels, "ticktext": texts, "thickness": 16,
            "len": max(len(levels), 1) * ROW_PX + _title_px(title), "lenmode": "pixels",
            "x": 0, "xanchor": "left", "xpad": 0, "y": (below - 10) / plot, "yanchor": "top",
            "ypad": 0, "ticks": "", "tickfont": {"size": 13}, "outlinewidth": 0,
            "bgcolor": "rgba(255,255,255,0)"}


def _legend_width(title: str, texts: list[str]) -> int:
    """The width in pixels of a legend set left of the map: its longest line, the bar."""
    ticks = max((len(t) for t in texts), default=0) * 13 * 0.6 + 16 + 12
    heading = max(len(line) for line in title.split("<br>")) * 14 * 0.58
    return round(max(ticks, heading)) + 16


def _wrap(text: str, width: int = 22) -> str:
    return "<br>".join(textwrap.wrap(text, width))


def _frame_map(fig: go.Figure, geojson: dict, base: str, below: int,
               outline: dict | None = None, width_px: int = WIDTH_PX,
               map_px: int = MAP_PX, left: int = 0) -> None:
    """The map on top, `map_px` high and fitted to a frame `width_px` wide; `below` pixels
    for the legend under it (or `left` pixels beside it); names over the areas; the
    outlined neighborhood."""
    plot = map_px + below
    left_share = min(left / max(width_px - 2 * MARGIN_PX, 1), 0.6)
    center, zoom = center_and_zoom(geojson, width_px=width_px - left, height_px=map_px)
    fig.update_layout(**theme.base_layout(), clickmode="event+select")
    fig.update_layout(height=plot + 2 * MARGIN_PX,
                      margin={"l": MARGIN_PX, "r": MARGIN_PX, "t": MARGIN_PX, "b": MARGIN_PX},
                      map={"style": BASE_MAPS.get(base, OFFLINE_STYLE), "center": center,
                           "zoom": zoom, "domain": {"x": [left_share, 1], "y": [below / plot, 1]},
                           "layers": outline_layers(outline)})
    labels.add(fig, geojson, zoom, first=outline.get("id") if outline else None)


def feature(geojson: dict, geo_id: str | None) -> dict | None:
    """The feature of one area (to outline it), or None."""
    if not geo_id:
        return None
    return next((f for f in geojson.get("features", []) if f.get("id") == geo_id), None)


def outline_layers(outline: dict | None) -> list[dict]:
    """The chosen area's edge, black on a white halo, over every fill."""
    if not outline:
        return []
    source = {"type": "FeatureCollection", "features": [outline]}
    return [{"sourcetype": "geojson", "source": source, "type": "line", "color": colour,
             "line": {"width": width}, "name": name}
            for colour, width, name in ((CASING, 6, "outline halo"), (OUTLINE, 3, "outline"))]


def change_map(frame: pd.DataFrame, geojson: dict, metric: Metric, threshold: int = 3,
               base: str = "none", geo_level: str = "neighborhood",
               outline: dict | None = None, width_px: int = WIDTH_PX) -> go.Figure:
    """A diverging map of a change (gains purple, losses orange, no change white), centred
    on zero; hidden areas grey."""
    view = MapView(metric, geo_level, threshold=threshold, base=base)
    shown = shown_mask(frame)
    limit = float(frame.loc[shown, "value"].abs().max()) if shown.any() else 1.0
    text = hover_text(frame, view)
    title = _wrap(metric.label, 40)
    below = _legend_px(2, title)
    map_px = fitted_height(geojson, width_px, MAP_PX)
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
        colorbar={**_colour_bar(title, [], [], below, map_px), "tickvals": None,
                  "ticktext": None, "orientation": "h", "len": 0.8, "lenmode": "fraction",
                  "thickness": 14, "y": (below - 10 - _title_px(title)) / (map_px + below),
                  "tickformat": "+,d" if metric.format.endswith("0f}") else None}))
    _frame_map(fig, geojson, base, below, outline, width_px, map_px)
    return fig


def locator_map(geojson: dict, geo_id: str, height: int = 600) -> go.Figure:
    """Every neighborhood in grey, the chosen one in orange and outlined, each named where
    its name fits (presentation mode's map)."""
    ids = [f["id"] for f in geojson["features"]]
    names = [f["properties"].get("name", f["id"]) for f in geojson["features"]]
    trace = go.Choroplethmap(
        geojson=geojson, locations=ids, z=[1 if i == geo_id else 0 for i in ids], text=names,
        hoverinfo="text", colorscale=[[0, theme.NO_DATA], [0.5, theme.NO_DATA],
                                      [0.5, theme.HIGHLIGHT], [1, theme.HIGHLIGHT]],
        zmin=0, zmax=1, showscale=False, marker_line_color="white", marker_line_width=1.5)
    fig = go.Figure(trace)
    outline = feature(geojson, geo_id)
    center, zoom = center_and_zoom(geojson, width_px=1000, height_px=height)
    fig.update_layout(**theme.base_layout(), height=height,
                      map={"style": OFFLINE_STYLE, "center": center, "zoom": zoom,
                           "layers": outline_layers(outline)})
    labels.add(fig, geojson, zoom, font_px=16, first=geo_id)
    return fig


# ----------------------------------------------------------------------------- static preview

PREVIEW_CLASS = "atlas-map-preview"   # styles.SCREEN_CSS swaps it for the drawn map


def preview_html(fig: go.Figure, geojson: dict, width_px: int = WIDTH_PX) -> str | None:
    """The classed map as a static SVG with its legend, drawn on the server from the same
    shapes, colours, centre and zoom as `fig` (a `choropleth`), as tall as the figure: the
    page shows it at once and swaps in the interactive map when Plotly has drawn it (a new
    tab loads Plotly's 4.7 MB script first). None for a figure that is not one map trace."""
    trace = fig.data[0] if len(fig.data) else None
    layout = fig.layout
    if not isinstance(trace, go.Choroplethmap) or trace.z is None or layout.map.zoom is None:
        return None
    total, margin = int(layout.height or MAP_PX), MARGIN_PX
    plot_w, plot_h = width_px - 2 * margin, total - 2 * margin
    x0, y0 = (layout.map.domain.x or (0, 1))[0], (layout.map.domain.y or (0, 1))[0]
    map_w, map_h = round(plot_w * (1 - x0)), round(plot_h * (1 - y0))
    svg = _preview_svg(trace, geojson, layout.map, map_w, map_h)
    # An <img> of the SVG: st.html's sanitiser keeps an image but not inline SVG.
    source = base64.b64encode(svg.encode()).decode()
    alt = html.escape(_("A map of {name} (the interactive map is loading)").format(
        name=_plain(trace.colorbar.title.text or "")))
    image = (f'<img src="data:image/svg+xml;base64,{source}" alt="{alt}" style="display:block;'
             f'width:100%;height:{map_h}px;object-fit:none">')
    legend = _preview_legend(trace) if not x0 else ""
    return (f'<div class="{PREVIEW_CLASS}" style="height:{total}px;padding:{margin}px;'
            f'box-sizing:border-box;overflow:hidden;font-family:{theme.FONT_FAMILY};'
            f'color:#1a1a1a">{image}{legend}</div>')


def _preview_svg(trace: go.Choroplethmap, geojson: dict, view, width: int, height: int) -> str:
    """The areas in their class colours, fitted as MapLibre fits them, and the outline."""
    zoom, (ox, oy), paths = svg_paths(geojson)
    scale = 2 ** (view.zoom - zoom)
    cx, cy = world_px(view.center.lon, view.center.lat, view.zoom)
    move = (f"matrix({scale:.9g} 0 0 {scale:.9g} {width / 2 - cx + ox * scale:.2f} "
            f"{height / 2 - cy + oy * scale:.2f})")
    colours = _colour_of(trace)
    shapes = "".join(f'<path fill="{colours(z)}" d="{paths[str(gid)]}"/>'
                     for gid, z in zip(trace.locations, trace.z) if str(gid) in paths)
    edges = ""
    for layer in view.layers or ():
        if layer.type == "line" and layer.source:
            for feature in layer.source.get("features", []):
                edges += (f'<path fill="none" stroke="{layer.color}" stroke-width='
                          f'"{layer.line.width}" vector-effect="non-scaling-stroke" '
                          f'd="{svg_path(feature["geometry"], view.zoom)}"/>')
    outline = (f'<g transform="translate({width / 2 - cx:.2f} {height / 2 - cy:.2f})">'
               f"{edges}</g>") if edges else ""
    return (f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'xmlns="http://www.w3.org/2000/svg">'
            f'<g transform="{move}" stroke="white" stroke-width="{0.7 / scale:.3g}" '
            f'stroke-linejoin="round" fill-rule="evenodd">{shapes}</g>'
            f"{outline}</svg>")


def _colour_of(trace: go.Choroplethmap):
    """z → the colour the trace's (stepped) colour scale gives it."""
    scale = [(float(pos), colour) for pos, colour in trace.colorscale]
    low, high = float(trace.zmin), float(trace.zmax)

    def colour(z) -> str:
        share = (float(z) - low) / max(high - low, 1e-12)
        return next((c for pos, c in reversed(scale) if pos <= share), scale[0][1])
    return colour


def _preview_legend(trace: go.Choroplethmap) -> str:
    """The colour bar's title and classes as rows of a swatch and its range (the highest
    class on top, as the colour bar draws them)."""
    colours = _colour_of(trace)
    bar = trace.colorbar
    rows = "".join(
        f'<div style="display:flex;align-items:center;gap:6px;height:{ROW_PX}px">'
        f'<span style="width:16px;height:{ROW_PX}px;background:{colours(level)}"></span>'
        f"{html.escape(text)}</div>"
        for level, text in reversed(list(zip(bar.tickvals or (), bar.ticktext or ()))))
    title = "<br>".join(html.escape(line) for line in (bar.title.text or "").split("<br>"))
    return (f'<div style="margin-top:10px;font-size:13px"><div style="font-size:14px;'
            f'line-height:{TITLE_LINE_PX}px;margin-bottom:6px">{title}</div>{rows}</div>')


def _plain(text: str) -> str:
    return " ".join(text.replace("<br>", " ").split())
