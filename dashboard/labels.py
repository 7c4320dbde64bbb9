"""Area names on maps: each name inside its own area, none touching another, biggest areas first.

A name is set where its area has most room (the centre of the largest circle inside it,
else its centroid) when its text box fits inside the area at the map's zoom: on one line,
on two, or shortened ("Clover Heights" → "Clover Hts"; a prefix every name shares, such as
"Census Tract", is left out). An area with room for none of them stays unnamed, as does one
whose name would touch the name of a larger area (or of the chosen one, placed first).
Placing depends only on the shapes, the zoom and the type size, so it is done once for each
and remembered. The names are drawn as text traces over the choropleth: dark type on light
fills, white type on dark ones.

    labels.add(fig, geojson, zoom=11.3)            # after the choropleth traces
    labels.placed(fig)                              # [(geo_id, name as drawn, lon, lat), …]
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import plotly.colors as pcolors
import plotly.graph_objects as go
import shapely

TRACE_NAME = "Area names"
FONT_PX = 12
LINE_HEIGHT = 1.2        # MapLibre's text-line-height, in ems
PAD_PX = 3               # kept free around a name (MapLibre keeps 2 px: text-padding)
MAX_LINE_EM = 9.5        # MapLibre wraps a line longer than 10 ems by itself (text-max-width)
TILE_PX = 512            # MapLibre's world is 512 px wide at zoom 0
DARK_INK, LIGHT_INK = "#1a1a1a", "#ffffff"
LABEL_FONT = "Liberation Sans, Arial, Helvetica, sans-serif"   # the widths below assume it
NBSP, BREAK = "\u00a0", "<br>"   # no wrapping inside a line; a line break plotly passes on
_NARROW, _SEMI, _WIDE = set("ijlI.,'!|:;"), set("frtJ()/-"), set("mwMW")
SHORT_WORDS = {"heights": "Hts", "park": "Pk", "point": "Pt", "square": "Sq",
               "street": "St", "avenue": "Ave", "mount": "Mt", "saint": "St",
               "north": "N", "south": "S", "east": "E", "west": "W", "fort": "Ft",
               "center": "Ctr", "centre": "Ctr", "village": "Vlg", "terrace": "Ter",
               "junction": "Jct", "creek": "Crk", "ridge": "Rdg", "gardens": "Gdns"}


@dataclass(frozen=True)
class Label:
    """One name as drawn: its area, the text (lines joined by <br>), where, its box in pixels."""

    geo_id: str
    text: str
    lon: float
    lat: float
    width_px: float
    height_px: float


# --- Text ------------------------------------------------------------------------------

def em_width(text: str) -> float:
    """The width of one line in ems: a bold sans-serif (Arial, Liberation Sans, Open Sans
    bold measure within these), rounded up."""
    total = 0.0
    for char in text:
        if char in " \u00a0":
            total += 0.3
        elif char in _NARROW:
            total += 0.3
        elif char in _SEMI:
            total += 0.42
        elif char in _WIDE:
            total += 0.95
        elif char.isupper():
            total += 0.76
        else:
            total += 0.63
    return total


def box_px(lines: tuple[str, ...], font_px: float = FONT_PX) -> tuple[float, float]:
    """Width and height in pixels of a name set on these lines, with its free margin."""
    width = max(em_width(line) for line in lines) * font_px
    return width + 2 * PAD_PX, len(lines) * LINE_HEIGHT * font_px + 2 * PAD_PX


def common_prefix(names: list[str]) -> str:
    """Whole words every name starts with and none consists of ('Census Tract '), else ''."""
    if len(names) < 2:
        return ""
    split = [n.split() for n in names]
    words = []
    for column in zip(*split):
        if len(set(column)) != 1:
            break
        words.append(column[0])
    if not words or any(len(s) <= len(words) for s in split):
        return ""
    return " ".join(words) + " "


def shorten(name: str) -> str:
    return " ".join(SHORT_WORDS.get(w.lower(), w) for w in name.split())


def two_lines(name: str) -> tuple[str, str] | None:
    """The name on two lines, split at the space that makes the longer line shortest."""
    words = name.split()
    if len(words) < 2:
        return None
    cuts = [(" ".join(words[:i]), " ".join(words[i:])) for i in range(1, len(words))]
    return min(cuts, key=lambda pair: max(em_width(pair[0]), em_width(pair[1])))


def variants(name: str) -> list[tuple[str, ...]]:
    """The ways a name may be set, best first: one line, two lines, shortened on one or two."""
    found: list[tuple[str, ...]] = []
    for text in dict.fromkeys([name, shorten(name)]):
        for lines in ((text,), two_lines(text)):
            if lines and lines not in found and max(map(em_width, lines)) <= MAX_LINE_EM:
                found.append(lines)
    return found


def as_text(lines: tuple[str, ...]) -> str:
    """Lines as the map draws them: no break inside a line, <br> between lines."""
    return BREAK.join(line.replace(" ", NBSP) for line in lines)


def as_name(text: str) -> str:
    """A drawn label back to plain words (for tests and tables)."""
    return text.replace(BREAK, " ").replace(NBSP, " ")


# --- Shapes in Web-Mercator units (0–1 across the world, y down) -----------------------

def to_unit(lon, lat):
    lon, lat = np.asarray(lon, float), np.clip(np.asarray(lat, float), -85.0, 85.0)
    x = (lon + 180.0) / 360.0
    y = 0.5 - np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) / (2 * np.pi)
    return x, y


def from_unit(x, y):
    lon = np.asarray(x, float) * 360.0 - 180.0
    lat = np.degrees(np.arctan(np.sinh(np.pi * (1 - 2 * np.asarray(y, float)))))
    return lon, lat


@dataclass(frozen=True)
class Shapes:
    """A FeatureCollection ready for placing names: areas in Mercator units, by size."""

    ids: list[str]
    names: list[str]
    polygons: np.ndarray     # shapely geometries in Mercator units
    anchors: np.ndarray      # (n, 2): centre of the largest inscribed circle
    centroids: np.ndarray    # (n, 2)
    radii: np.ndarray        # radius of that circle, in units
    order: list[int]         # indices, largest area first


def prepare(geojson: dict) -> Shapes:
    features = [f for f in geojson.get("features", []) if f.get("geometry")]
    ids = [str(f.get("id", f.get("properties", {}).get("geo_id"))) for f in features]
    props = [f.get("properties") or {} for f in features]
    raw = [str(p.get("name") or i) for p, i in zip(props, ids)]
    prefix = common_prefix(raw)
    names = [n[len(prefix):] for n in raw]
    geoms = np.array([shapely.geometry.shape(f["geometry"]) for f in features], dtype=object)
    if not len(geoms):
        empty = np.zeros((0, 2))
        return Shapes([], [], geoms, empty, empty, np.zeros(0), [])
    geoms = shapely.make_valid(shapely.transform(geoms, lambda xy: np.column_stack(to_unit(*xy.T))))
    circles = shapely.maximum_inscribed_circle(geoms)
    anchors = shapely.get_coordinates(shapely.get_point(circles, 0))
    radii = shapely.length(circles)
    centroids = shapely.get_coordinates(shapely.centroid(geoms))
    order = sorted(range(len(ids)), key=lambda i: -float(shapely.area(geoms[i])))
    return Shapes(ids, names, geoms, anchors, centroids, radii, order)


_PREPARED: OrderedDict[int, tuple[dict, Shapes, dict]] = OrderedDict()
_LOCK = threading.Lock()
_KEEP = 8


def _prepared(geojson: dict) -> tuple[Shapes, dict]:
    """Shapes and a cache of placements for this FeatureCollection (the object, kept alive
    while remembered, so its id is not reused)."""
    key = id(geojson)
    with _LOCK:
        if key in _PREPARED and _PREPARED[key][0] is geojson:
            _PREPARED.move_to_end(key)
            return _PREPARED[key][1], _PREPARED[key][2]
    shapes = prepare(geojson)
    with _LOCK:
        _PREPARED[key] = (geojson, shapes, {})
        while len(_PREPARED) > _KEEP:
            _PREPARED.popitem(last=False)
    return shapes, _PREPARED[key][2]


# --- Placing ---------------------------------------------------------------------------

def place(geojson: dict, zoom: float, font_px: float = FONT_PX,
          first: str | None = None) -> list[Label]:
    """The names that fit at this zoom, largest areas first (`first`, if given, before all)."""
    shapes, placements = _prepared(geojson)
    key = (round(zoom, 3), round(font_px, 2), first)
    with _LOCK:
        if key in placements:
            return placements[key]
    found = _place(shapes, zoom, font_px, first)
    with _LOCK:
        placements[key] = found
        while len(placements) > 32:
            placements.pop(next(iter(placements)))
    return found


def _place(shapes: Shapes, zoom: float, font_px: float, first: str | None) -> list[Label]:
    scale = TILE_PX * 2 ** zoom                      # pixels per Mercator unit
    lowest = (LINE_HEIGHT * font_px + 2 * PAD_PX) / 2 / scale   # half the smallest box
    order = list(shapes.order)
    if first in shapes.ids:
        order.insert(0, order.pop(order.index(shapes.ids.index(first))))
    taken: list[tuple[float, float, float, float]] = []
    placed = []
    for i in order:
        if shapes.radii[i] < lowest:                 # not even one line's height fits
            continue
        found = _fit(shapes, i, scale, font_px, taken)
        if found:
            lines, (x, y), (w, h) = found
            taken.append((x - w / 2, y - h / 2, x + w / 2, y + h / 2))
            lon, lat = from_unit(x, y)
            placed.append(Label(shapes.ids[i], as_text(lines), float(lon), float(lat),
                                w * scale, h * scale))
    return placed


def _fit(shapes: Shapes, i: int, scale: float, font_px: float, taken: list):
    """The first way of setting area i's name whose box lies inside the area and clear of
    the names already placed: (lines, centre, size) in Mercator units."""
    polygon = shapes.polygons[i]
    shapely.prepare(polygon)
    pad = PAD_PX / scale
    for lines in variants(shapes.names[i]):
        w, h = (v / scale for v in box_px(lines, font_px))
        if h / 2 - pad > shapes.radii[i]:
            continue
        for x, y in _candidates(shapes, i, w, h):
            # The box less its free margin must lie in the area; with it, clear of others.
            inner = shapely.box(x - w / 2 + pad, y - h / 2 + pad, x + w / 2 - pad, y + h / 2 - pad)
            if polygon.contains(inner) and not _overlaps(taken, x, y, w, h):
                return lines, (float(x), float(y)), (w, h)
    return None


def _candidates(shapes: Shapes, i: int, w: float, h: float) -> list[tuple[float, float]]:
    """Where to try the centre of a w × h box: the centre of the area's largest inscribed
    circle, its centroid, then around the circle's centre."""
    (x, y), (cx, cy) = shapes.anchors[i], shapes.centroids[i]
    around = [(x + dx * w / 4, y + dy * h / 2) for dy in (0, -1, 1) for dx in (-1, 1, 0)
              if dx or dy]
    return [(x, y), (cx, cy), *around]


def _overlaps(taken: list, x: float, y: float, w: float, h: float) -> bool:
    if not taken:
        return False
    boxes = np.asarray(taken)
    return bool(np.any((boxes[:, 0] < x + w / 2) & (boxes[:, 2] > x - w / 2)
                       & (boxes[:, 1] < y + h / 2) & (boxes[:, 3] > y - h / 2)))


# --- On the figure ---------------------------------------------------------------------

def fills(fig: go.Figure, wanted: set[str] | None = None) -> dict[str, str]:
    """The fill colour of each area (or of the `wanted` ones) as the choropleths draw it."""
    found: dict[str, str] = {}
    for trace in fig.data:
        if trace.type != "choroplethmap" or trace.locations is None:
            continue
        named = isinstance(trace.colorscale, str)
        scale = [(float(at), _tuple(colour)) for at, colour in
                 (pcolors.get_colorscale(trace.colorscale) if named else trace.colorscale)]
        ids = [str(g) for g in trace.locations]
        z = np.asarray(trace.z, dtype=float)
        keep = [i for i, g in enumerate(ids) if wanted is None or g in wanted]
        if not keep or not len(z):
            continue
        low = trace.zmin if trace.zmin is not None else float(np.nanmin(z))
        high = trace.zmax if trace.zmax is not None else float(np.nanmax(z))
        points = np.clip((np.nan_to_num(z[keep], nan=low) - low) / ((high - low) or 1.0), 0, 1)
        for i, point in zip(keep, points):
            found[ids[i]] = _sample(scale, float(point))
    return found


def _tuple(colour: str) -> tuple[float, ...]:
    rgb = pcolors.convert_colors_to_same_type(colour, "rgb")[0][0]
    return tuple(float(c) for c in pcolors.unlabel_rgb(rgb))


def _sample(scale: list[tuple[float, tuple]], point: float) -> str:
    """The colour at `point` (0–1) of a colour scale: linear between its stops."""
    for (a, low), (b, high) in zip(scale, scale[1:]):
        if a <= point <= b:
            t = 0.0 if b == a else (point - a) / (b - a)
            return "rgb({:.0f}, {:.0f}, {:.0f})".format(*[lo + (hi - lo) * t
                                                          for lo, hi in zip(low, high)])
    return "rgb({:.0f}, {:.0f}, {:.0f})".format(*scale[-1][1])


def ink(colour: str) -> str:
    """Dark or white type, whichever contrasts more with the fill (WCAG luminance)."""
    channels = [c / 255 for c in _tuple(colour)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return LIGHT_INK if (1.05 / (luminance + 0.05)) > ((luminance + 0.05) / 0.05) else DARK_INK


def add(fig: go.Figure, geojson: dict, zoom: float, font_px: float = FONT_PX,
        first: str | None = None) -> list[Label]:
    """Replace the figure's name traces with the names that fit at `zoom`: one text trace
    for dark type and one for white, over the areas. Returns the names placed."""
    fig.data = [t for t in fig.data if t.name != TRACE_NAME]
    found = place(geojson, zoom, font_px, first)
    colours = fills(fig, {label.geo_id for label in found})
    for colour in (DARK_INK, LIGHT_INK):
        chosen = [label for label in found
                  if ink(colours.get(label.geo_id, "rgb(217,217,217)")) == colour]
        if not chosen:
            continue
        fig.add_trace(go.Scattermap(
            lon=[label.lon for label in chosen], lat=[label.lat for label in chosen],
            text=[label.text for label in chosen], customdata=[label.geo_id for label in chosen],
            mode="text", name=TRACE_NAME, showlegend=False, hoverinfo="skip",
            textfont={"size": font_px, "color": colour, "weight": "bold"},
            meta={"first": first}))
    return found


def annotate(fig: go.Figure, geojson: dict, center: dict, zoom: float,
             plot_px: tuple[float, float], map_x: tuple[float, float],
             font_px: float = FONT_PX, first: str | None = None) -> list[Label]:
    """For a static image: the names as annotations over the map (text the image keeps
    sharp, an SVG keeps as text), in place of the text traces. The map fills `map_x` of the
    plot area's width and all its height; `plot_px` is that area's size in pixels."""
    fig.data = [t for t in fig.data if t.name != TRACE_NAME]
    found = place(geojson, zoom, font_px, first)
    colours = fills(fig, {label.geo_id for label in found})
    scale = TILE_PX * 2 ** zoom
    cx, cy = to_unit(center["lon"], center["lat"])
    width, height = plot_px
    map_w = width * (map_x[1] - map_x[0])
    notes = []
    for label in found:
        ux, uy = to_unit(label.lon, label.lat)
        notes.append(go.layout.Annotation(
            text=label.text, name=f"{TRACE_NAME}|{label.geo_id}", showarrow=False,
            xref="paper", yref="paper", xanchor="center", yanchor="middle", align="center",
            x=float(map_x[0] + (map_w / 2 + (ux - cx) * scale) / width),
            y=float(1 - (height / 2 + (uy - cy) * scale) / height),
            font={"size": font_px, "family": LABEL_FONT, "weight": "bold",
                  "color": ink(colours.get(label.geo_id, "rgb(217,217,217)"))}))
    fig.layout.annotations = [*notes, *fig.layout.annotations]   # under the figure's own notes
    return found


def placed(fig) -> list[tuple[str, str, float, float]]:
    """(geo_id, name as drawn, lon, lat) of every name on a figure's text traces (a plotly
    Figure or its dict)."""
    data = fig.data if hasattr(fig, "data") else fig.get("data", [])
    out = []
    for trace in data:
        get = trace.get if isinstance(trace, dict) else lambda k, t=trace: getattr(t, k, None)
        if get("name") != TRACE_NAME:
            continue
        out += [(str(g), as_name(t), float(x), float(y))
                for g, t, x, y in zip(get("customdata"), get("text"), get("lon"), get("lat"))]
    return out


def annotated(fig) -> list[tuple[str, str]]:
    """(geo_id, name as drawn) of every name a static image carries as an annotation."""
    layout = fig.layout if hasattr(fig, "layout") else fig.get("layout", {})
    notes = layout.annotations if hasattr(layout, "annotations") else layout.get("annotations", [])
    out = []
    for note in notes or ():
        name = note.name if hasattr(note, "name") else note.get("name")
        text = note.text if hasattr(note, "text") else note.get("text")
        if name and str(name).startswith(TRACE_NAME + "|"):
            out.append((str(name).split("|", 1)[1], as_name(text)))
    return out


def first_of(fig: go.Figure) -> str | None:
    """The area whose name was placed before all others (the chosen one), if any."""
    for trace in fig.data:
        if trace.name == TRACE_NAME and isinstance(trace.meta, dict):
            return trace.meta.get("first")
    return None
