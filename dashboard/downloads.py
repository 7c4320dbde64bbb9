"""What each chart's download buttons hand out, without Streamlit.

A page describes a chart's downloads once with a `Download` (its title, the metrics and
year it shows, the numbers behind it, a map's geography); `frame.chart` turns that into
buttons whose bytes come from the functions here, made only when a visitor clicks.

    spec = Download("Micro-businesses per 1,000 residents", metric_ids=("micro_per_1k_residents",),
                    year=2024, data=values, geo=("micro_per_1k_residents", 2024, "neighborhood", None))
    name = file_name(db, spec, "png", "16:9")     # demo_micro-businesses-per-1k-residents_2024.png
    png = image_bytes(db, figure, spec, "png", "16:9", date.today())

Hidden values stay hidden: CSV and GeoJSON go through `exports` (which writes "withheld",
never the number) and images show a gap or grey area, as the chart on screen does.
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from core import metrics

from . import exports, images, queries
from .db import Database
from .formatting import city_label

MIME = {"png": "image/png", "svg": "image/svg+xml", "csv": "text/csv",
        "geojson": "application/geo+json",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pdf": "application/pdf"}
SERIES_COLUMNS = ["geo_id", "name", "metric_id", "metric", "year", "value", "numerator",
                  "denominator", "suppressed", "unreliable", "low_count"]
IMAGE_CACHE_SIZE = 24
FRAME_EXTRA = 180   # pixels of an iframe above and below the chart: title, source line


@dataclass(frozen=True)
class Download:
    """What a chart's downloads hold and how their files are named.

    `data` is the numbers behind the chart (a `suppressed` column marks hidden rows); when
    it is None the chart's table twin is written instead. `geo` is (metric_id, year, level,
    category) for a map, which adds a GeoJSON download."""

    title: str
    metric_ids: tuple[str, ...] = ()
    year: int | str | None = None
    what: str = ""                      # file-name words; the title by default
    subtitle: str = ""
    data: pd.DataFrame | None = field(default=None, compare=False, hash=False)
    filters: tuple[tuple[str, str], ...] = ()
    geo: tuple[str, int, str, str | None] | None = None
    extra_kinds: tuple[str, ...] = ()   # more source kinds, e.g. a map's boundaries

    @property
    def formats(self) -> tuple[str, ...]:
        return ("png", "svg", "csv") + (("geojson",) if self.geo else ())


def series_data(series: pd.DataFrame, metric_ids: list[str] | tuple[str, ...],
                geo_ids: list[str] | None = None) -> pd.DataFrame:
    """Rows of `queries.area_series` for some metrics (and areas), with the metric's label:
    the numbers behind a line or bar chart over the years."""
    rows = series[series["metric_id"].isin(list(metric_ids))]
    if geo_ids is not None:
        rows = rows[rows["geo_id"].isin(list(geo_ids))]
    rows = rows.assign(metric=rows["metric_id"].map(lambda m: metrics.get(m).label))
    return rows[[c for c in SERIES_COLUMNS if c in rows.columns]].reset_index(drop=True)


def area_data(frame: pd.DataFrame, metric_id: str, year: int) -> pd.DataFrame:
    """One row per area (as `queries.metric_by_area`) with the metric and year named: the
    numbers behind a map or a ranking."""
    front = frame.assign(metric_id=metric_id, metric=metrics.get(metric_id).label, year=year)
    first = ["geo_id", "name", "metric_id", "metric", "year"]
    return front[first + [c for c in front.columns if c not in first]]


def profile_data(profile: pd.DataFrame) -> pd.DataFrame:
    """Rows of `queries.area_profile` with the city's hidden flag named so that
    `exports.hide_suppressed` blanks a hidden city value too."""
    out = profile.rename(columns={"city_suppressed": "city_value_suppressed"})
    return out.assign(metric=out["metric_id"].map(lambda m: metrics.get(m).label))


def without(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """The frame without some columns (a city share worked out from a count that may be
    hidden at the city level is left out of a download)."""
    return frame.drop(columns=[c for c in columns if c in frame.columns])


# --- File names ------------------------------------------------------------------------

def city_slug(db: Database) -> str:
    return exports.city_info(db)["slug"]


def file_name(db: Database, spec: Download, fmt: str, preset: str = images.DEFAULT_PRESET) -> str:
    """`demo_micro-businesses-per-1k-residents_2024.png`; a square or print image says so."""
    suffix = preset if fmt in ("png", "svg") and preset != images.DEFAULT_PRESET else ""
    return images.file_name(city_slug(db), spec.what or spec.title, spec.year, fmt, suffix)


# --- Bytes -----------------------------------------------------------------------------

def csv_bytes(db: Database, spec: Download, table: pd.DataFrame, made_on: date) -> bytes:
    """The numbers behind the chart as CSV, with the header block (source, definitions,
    filters, date); hidden values written as words."""
    ids = [m for m in spec.metric_ids if m in metrics.REGISTRY]
    meta = exports.metric_meta(db, ids, spec.title, made_on, dict(spec.filters),
                               spec.extra_kinds)
    return exports.table_csv(spec.data if spec.data is not None else table, meta)


def geojson_bytes(db: Database, spec: Download, made_on: date) -> bytes:
    if spec.geo is None:
        raise ValueError(f"“{spec.title}” is not a map: it has no GeoJSON")
    metric_id, year, level, category = spec.geo
    return exports.map_geojson(db, metric_id, int(year), level, category, made_on)


def subtitle(db: Database, spec: Download) -> str:
    """The image's second line: the city (and that it is synthetic), and the year."""
    info = exports.city_info(db)
    city = city_label(info["name"], info["is_demo"] == "true")
    parts = [city, spec.subtitle, str(spec.year) if spec.year not in (None, "") else ""]
    return " · ".join(p for p in parts if p)


def publishable_figure(db: Database, figure: go.Figure, spec: Download, preset: str,
                       made_on: date) -> go.Figure:
    """The chart with its title, subtitle and footer (source, hidden note, date)."""
    ids = [m for m in spec.metric_ids if m in metrics.REGISTRY]
    source = exports.source_line(db, ids, spec.extra_kinds)
    return images.publishable(figure, spec.title, subtitle(db, spec), source, made_on, preset,
                              threshold=queries.suppression_threshold(db))


_IMAGES: OrderedDict[str, bytes] = OrderedDict()
_IMAGES_LOCK = threading.Lock()


def image_bytes(db: Database, figure: go.Figure, spec: Download, fmt: str, preset: str,
                made_on: date) -> bytes:
    """PNG or SVG bytes of the publishable chart, remembered for a few charts so a second
    click (or another visitor's) does not start the browser again."""
    ready = publishable_figure(db, figure, spec, preset, made_on)
    key = _image_key(db, ready, fmt, preset)
    with _IMAGES_LOCK:
        if key in _IMAGES:
            _IMAGES.move_to_end(key)
            return _IMAGES[key]
    data = images.render(ready, fmt, preset)
    with _IMAGES_LOCK:
        _IMAGES[key] = data
        while len(_IMAGES) > IMAGE_CACHE_SIZE:
            _IMAGES.popitem(last=False)
    return data


def _image_key(db: Database, figure: go.Figure, fmt: str, preset: str) -> str:
    digest = hashlib.sha256(figure.to_json().encode("utf-8")).hexdigest()
    return f"{db.path}:{db.path.stat().st_mtime}:{fmt}:{preset}:{digest}"


def snippet(base_url: str, params: dict[str, str], title: str, chart_height: int = 480) -> str:
    """The iframe a newsroom pastes to show one chart or map (see docs/exports.md): tall
    enough for the title, a chart of `chart_height` pixels and the source line."""
    from urllib.parse import urlencode
    query = urlencode({**params, "height": chart_height, "embed": "true"})
    return (f'<iframe src="{base_url.rstrip("/")}/embed?{query}" title="{title}" '
            f'width="100%" height="{chart_height + FRAME_EXTRA}" style="border:0" '
            'loading="lazy"></iframe>')
