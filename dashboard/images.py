"""Chart and map images ready to publish: title, subtitle, source line with vintage, date
made, product name; rendered on the server (PNG or SVG) by kaleido and a headless browser.

    fig = images.publishable(chart, "New businesses", "Port Juniper, 2015–2024",
                             exports.source_line(db, ["formations"]), date.today(), "16:9")
    png = images.render(fig, "png", "16:9")

Without a Chrome or Chromium, `render` raises `ExportUnavailable` whose message says why
(`browser_available()` tells before trying); plotly's own camera button still works.
"""
from __future__ import annotations

import asyncio
import atexit
import html
import math
import os
import re
import struct
import textwrap
import threading
import unicodedata
import zlib
from dataclasses import dataclass
from datetime import date

import plotly.graph_objects as go

from . import labels, theme
from core import i18n
from core.i18n import N_, _

from .formatting import WITHHELD, gap_note, grey_note
from .geometry import center_and_zoom

FORMATS = ("png", "svg")
MAP_TRACES = ("choroplethmap", "scattermap", "densitymap", "choroplethmapbox",
              "scattermapbox", "densitymapbox")
OFFLINE_MAP_STYLE = "white-bg"   # the only map style that renders without tiles
MAP_MARGIN = 0.15   # an image's map zooms out a little more than the page's (a zoom level)
START_TIMEOUT, RENDER_TIMEOUT = 60.0, 60.0
NO_BROWSER = N_("Images are made on the server with a Chrome or Chromium browser, and none was "
              "found: install Debian's chromium (apt-get install -y chromium), set "
              "BROWSER_PATH, or run plotly_get_chrome; the camera button on each chart still "
              "saves a PNG.")


@dataclass(frozen=True)
class Preset:
    """An image size: layout in CSS pixels, times `scale` for the file's pixels."""

    name: str
    label: str
    width: int
    height: int
    scale: float
    font_size: int
    dpi: int | None = None          # written into the PNG for print

    @property
    def pixels(self) -> tuple[int, int]:
        return round(self.width * self.scale), round(self.height * self.scale)


PRESETS: dict[str, Preset] = {p.name: p for p in [
    Preset("16:9", N_("Slide or web page, 16:9 (1600 × 900 pixels)"), 1600, 900, 1.0, 20),
    Preset("square", N_("Social media, square (1080 × 1080 pixels)"), 1080, 1080, 1.0, 20),
    Preset("print", N_("Print, 8 × 4.5 inches at 300 dpi (2400 × 1350 pixels)"), 768, 432,
           300 / 96, 12, dpi=300),
]}
DEFAULT_PRESET = "16:9"


class ExportUnavailable(RuntimeError):
    """No image could be made; the message says why in one sentence."""


# --- File names ------------------------------------------------------------------------

def slugify(text: str) -> str:
    """'Micro-businesses per 1,000 residents' → 'micro-businesses-per-1k-residents'."""
    text = re.sub(r"\([^)]*\)", " ", str(text))
    text = re.sub(r"(\d),000\b", r"\1k", text).replace("²", "2").replace("%", " pct ")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", "-", text.lower())
    return re.sub(r"-{2,}", "-", text).strip("-") or "figure"


def file_name(city_slug: str, what: str, year: int | str | None, ext: str,
              suffix: str = "") -> str:
    """`chicago_micro-businesses-per-1k-residents_2023.png`: city, what, year, extra."""
    parts = [slugify(city_slug), slugify(what)]
    parts += [str(year)] if year not in (None, "") else []
    parts += [slugify(suffix)] if suffix else []
    return "_".join(parts) + "." + ext.lstrip(".").lower()


# --- The publishable figure ------------------------------------------------------------

def publishable(fig: go.Figure, title: str, subtitle: str, source_line: str,
                made_on: date, preset: str = DEFAULT_PRESET, note: str | None = None,
                threshold: int = 3) -> go.Figure:
    """A copy of `fig` sized for `preset` with its title, subtitle and a footer naming the
    source, the date and the product. `note` defaults to a line explaining hidden values
    when the figure has any (gaps in a chart, grey areas on a map)."""
    out = go.Figure(fig)
    p = _layout_size(_preset(preset), is_map(out))
    pad = round(p.font_size * 1.2)           # the white edge around everything
    note = _hidden_note(out, threshold) if note is None else note
    footer = _footer(source_line, made_on, note, p)
    footer_px = round(len(footer.split("<br>")) * p.font_size * 0.8 * 1.35) + pad
    bottom_px = footer_px + _bottom_extra(out, p)
    left_px = max(pad, _left_margin(out, p))
    out.update_layout(
        width=p.width, height=p.height, paper_bgcolor="white",
        font={"family": theme.FONT_FAMILY, "size": p.font_size, "color": "#1a1a1a"},
        title={"text": f"<b>{_escape(title)}</b>", "subtitle": {"text": _escape(subtitle)},
               "x": pad / p.width, "xref": "container", "xanchor": "left",
               "y": 1 - pad * 0.6 / p.height, "yref": "container", "yanchor": "top",
               "font": {"size": round(p.font_size * 1.45)}},
        margin={"t": round(p.font_size * 3.6 + pad), "b": bottom_px, "l": left_px,
                "r": round(p.font_size * 2.5) if is_map(out) else pad},
    )
    out.add_annotation(text=footer, xref="paper", x=0, xanchor="left", xshift=pad - left_px,
                       yref="paper", y=0, yanchor="bottom", yshift=pad // 2 - bottom_px,
                       showarrow=False, align="left",
                       font={"size": round(p.font_size * 0.8), "color": "#444"})
    _place_legend(out, footer_px, p)
    if is_map(out):
        _fit_map(out, p)
    return out


def _layout_size(p: Preset, for_map: bool) -> Preset:
    """Maps are drawn on a canvas that does not scale up: lay them out at full pixel size."""
    if not for_map or p.scale == 1:
        return p
    width, height = p.pixels
    return Preset(p.name, p.label, width, height, 1.0, round(p.font_size * p.scale), p.dpi)


def _preset(name: str) -> Preset:
    if name not in PRESETS:
        raise ValueError(f"unknown image size {name!r}; choose one of {', '.join(PRESETS)}")
    return PRESETS[name]


def _escape(text: str) -> str:
    return html.escape(str(text or ""), quote=False)


def _footer(source_line: str, made_on: date, note: str, p: Preset) -> str:
    """Source, note and 'Made with … on …', wrapped to the image's width."""
    width = max(40, int((p.width - 48) / (p.font_size * 0.8 * 0.55)))
    said = (_("Source"), "source")
    source = source_line if source_line.lower().startswith(tuple(w.lower() for w in said)) \
        else _("Source: {line}").format(line=source_line)
    lines = textwrap.wrap(source, width)
    lines += textwrap.wrap(note, width) if note else []
    lines.append(_("Made with {product} on {day}").format(
        product=theme.PRODUCT_NAME, day=made_on.isoformat() if i18n.language() == i18n.DEFAULT
        else i18n.day(made_on)))
    return "<br>".join(_escape(line) for line in lines)


def _bottom_extra(fig: go.Figure, p: Preset) -> int:
    """Room between the plot and the footer: axis labels and title, a legend below."""
    extra = 8
    if fig.layout.xaxis.title.text or any(t.type in ("scatter", "bar") for t in fig.data):
        extra += round(p.font_size * 3)
    if _legend_below(fig):
        extra += round(p.font_size * 2.2)
    return extra


def _left_margin(fig: go.Figure, p: Preset) -> int:
    if is_map(fig) or not fig.data:
        return 0
    return round(p.font_size * (4.5 if fig.layout.yaxis.title.text else 3.2))


def _legend_below(fig: go.Figure) -> bool:
    shown = fig.layout.showlegend is not False and sum(
        1 for t in fig.data if t.showlegend is not False and t.type in ("scatter", "bar")) > 1
    return shown and fig.layout.legend.orientation == "h"


def _place_legend(fig: go.Figure, footer_px: int, p: Preset) -> None:
    """A horizontal legend sits just above the footer, whatever the image's height."""
    if _legend_below(fig):
        fig.update_layout(legend={"orientation": "h", "yref": "container", "yanchor": "bottom",
                                  "y": (footer_px + 4) / p.height, "x": 0, "xanchor": "left",
                                  "font": {"size": p.font_size}})


def _hidden_note(fig: go.Figure, threshold: int) -> str:
    if is_map(fig) and any(_(WITHHELD) in " ".join(map(str, _ticktext(t))) for t in fig.data):
        return grey_note(threshold)
    if any(_has_gap(t) for t in fig.data if t.type in ("scatter", "bar")):
        return gap_note(threshold)
    return ""


def _ticktext(trace) -> tuple:
    bar = getattr(trace, "colorbar", None)
    return tuple(bar.ticktext or ()) if bar is not None else ()


def _has_gap(trace) -> bool:
    values = trace.x if getattr(trace, "orientation", None) == "h" else trace.y
    if values is None:
        return False
    return any(v is None or (isinstance(v, float) and math.isnan(v)) for v in values)


# --- Maps ------------------------------------------------------------------------------

def is_map(fig: go.Figure) -> bool:
    return any(t.type in MAP_TRACES for t in fig.data)


def _fit_map(fig: go.Figure, p: Preset) -> None:
    """White background (no tiles: the only style that exports), the legend in a column
    right of the map (never over it), a centre and zoom that fit the shapes in the rest of
    the plot area, and the areas' names placed again for that zoom and type size."""
    plot_w = p.width - fig.layout.margin.l - fig.layout.margin.r
    height = p.height - fig.layout.margin.t - fig.layout.margin.b
    column = _legend_column(fig, p, plot_w, height)
    width = plot_w - column
    shapes = next((t.geojson for t in fig.data if isinstance(getattr(t, "geojson", None), dict)),
                  None)
    view = {"style": OFFLINE_MAP_STYLE, "domain": {"x": [0, width / plot_w], "y": [0, 1]}}
    if shapes and shapes.get("features"):
        center, zoom = center_and_zoom(shapes, max(width, 100), max(height, 100), MAP_MARGIN)
        view.update(center=center, zoom=zoom)
    key = "mapbox" if any(t.type.endswith("mapbox") for t in fig.data) else "map"
    fig.update_layout({key: view})
    if shapes and shapes.get("features") and key == "map":
        labels.annotate(fig, shapes, view["center"], view["zoom"], (plot_w, height),
                        (0, width / plot_w), font_px=round(p.font_size * 0.7),
                        first=labels.first_of(fig))


def _legend_column(fig: go.Figure, p: Preset, plot_w: float, plot_h: float) -> int:
    """Move each colour bar into a column right of the map; the column's width in pixels
    (0 when the map has no colour bar)."""
    bars = [t for t in fig.data if hasattr(t, "colorbar") and t.showscale is not False]
    if not bars:
        return 0
    tick_px, title_px = round(p.font_size * 0.85), round(p.font_size * 0.8)
    column = 0
    for trace in bars:
        bar = trace.colorbar
        title = str(bar.title.text or "")
        ticks = [str(t) for t in (bar.ticktext or ())] or ["+0,000"]
        text_w = max(len(t) for t in ticks) * tick_px * 0.6 + p.font_size * 1.6
        title_w = max((len(line) for line in title.split("<br>")), default=0) * title_px * 0.6
        column = max(column, round(max(text_w, title_w) + p.font_size * 1.5))
        title_h = (title.count("<br>") + 1) * title_px * 1.35 + 8
        rows = len(bar.tickvals) if bar.tickvals is not None else 0
        length = rows * tick_px * 1.8 + title_h if rows else min(plot_h * 0.6, 320 + title_h)
        bar.update(orientation="v", x=1 - (column - p.font_size) / plot_w, xanchor="left",
                   xpad=0, y=1, yanchor="top", ypad=0, lenmode="pixels", len=length,
                   thickness=p.font_size, bgcolor="rgba(255,255,255,0)",
                   tickfont={"size": tick_px}, title={"font": {"size": title_px}})
    return column


# --- Rendering -------------------------------------------------------------------------

def browser_available() -> tuple[bool, str]:
    """Whether images can be made here, and if not, why (one sentence)."""
    try:
        from choreographer.browsers.chromium import Chromium
        import kaleido  # noqa: F401
    except ImportError:
        return False, _("Images need the kaleido package, which is not installed here.")
    if _RENDERER.failure:
        return False, _RENDERER.failure
    path = Chromium.find_browser(skip_local=False)
    if not path or not os.access(path, os.X_OK):
        return False, NO_BROWSER
    return True, ""


def render(fig: go.Figure, fmt: str = "png", preset: str = DEFAULT_PRESET) -> bytes:
    """The figure as PNG or SVG bytes at the preset's size (a print PNG records its dpi)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown image format {fmt!r}; choose png or svg")
    p = _preset(preset)
    ok, reason = browser_available()
    if not ok:
        raise ExportUnavailable(reason)
    width = fig.layout.width or p.width   # a map is laid out at full pixel size
    height = fig.layout.height or p.height
    opts = {"format": fmt, "width": width, "height": height,
            "scale": p.pixels[0] / width if fmt == "png" else 1}
    data = _RENDERER.render(fig.to_dict(), opts)
    return with_dpi(data, p.dpi) if fmt == "png" and p.dpi else data


def with_dpi(png: bytes, dpi: int) -> bytes:
    """The PNG with a pHYs chunk saying `dpi` (replacing any), so print software sizes it."""
    chunks, pos = [], 8
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        chunks.append((kind, png[pos:pos + 12 + length]))
        pos += 12 + length
    per_metre = round(dpi / 0.0254)
    body = b"pHYs" + struct.pack(">IIB", per_metre, per_metre, 1)
    phys = struct.pack(">I", 9) + body + struct.pack(">I", zlib.crc32(body))
    kept = [raw for kind, raw in chunks if kind != b"pHYs"]
    return png[:8] + kept[0] + phys + b"".join(kept[1:])


class _Renderer:
    """One headless browser per process, started on first use on its own event-loop
    thread; renders are serialized by a lock (Streamlit sessions share it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._kaleido = None
        self.failure = ""

    def render(self, fig: dict, opts: dict) -> bytes:
        with self._lock:
            if self._kaleido is None:
                self._start()
            future = asyncio.run_coroutine_threadsafe(
                self._kaleido.calc_fig(fig, opts=opts), self._loop)
            try:
                return future.result(timeout=RENDER_TIMEOUT)
            except Exception as error:  # the browser may have died: start afresh next time
                self._stop()
                raise ExportUnavailable(f"The image could not be made ({_reason(error)}); "
                                        "try again, or use the chart's camera button.") from error

    def _start(self) -> None:
        loop = asyncio.new_event_loop()
        threading.Thread(target=loop.run_forever, name="kaleido", daemon=True).start()
        try:
            self._kaleido = asyncio.run_coroutine_threadsafe(_open_kaleido(), loop).result(
                timeout=START_TIMEOUT)
        except Exception as error:
            loop.call_soon_threadsafe(loop.stop)
            self.failure = (f"The browser that makes images did not start "
                            f"({_reason(error)}); the camera button on each chart still "
                            "saves a PNG.")
            raise ExportUnavailable(self.failure) from error
        self._loop = loop
        atexit.register(self._stop)

    def _stop(self) -> None:
        kaleido, loop, self._kaleido, self._loop = self._kaleido, self._loop, None, None
        if kaleido is None or loop is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(kaleido.close(), loop).result(timeout=10)
        except Exception:  # closing a dead browser: nothing left to do
            pass
        loop.call_soon_threadsafe(loop.stop)


async def _open_kaleido():
    import kaleido
    browser = kaleido.Kaleido(n=1, mathjax=False, timeout=RENDER_TIMEOUT)
    await browser.open()
    return browser


def _reason(error: BaseException) -> str:
    text = str(error).strip().split("\n")[0] or type(error).__name__
    return text[:160]


_RENDERER = _Renderer()
