"""Lay out a `BriefContent` as an A4 PDF with fpdf2: text, tables, and the locator map,
trend chart and category bars drawn as vector graphics (no browser, no image files).

Type: DejaVu Sans when the font file is found (any Unicode text prints), else the PDF core
font Helvetica with the text reduced to Latin-1 (dashes and symbols spelled plainly).
"""
from __future__ import annotations

import math
from pathlib import Path

import shapely
from fpdf import FPDF

from core import i18n, metrics
from core.i18n import N_, _

from . import theme
from .brief_content import (BriefContent, Row, is_missing, left_out_note, missing_note,
                            unreliable_note)
from .formatting import suppressed_text, withheld_explanation

FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"),
             Path("/usr/local/share/fonts"), Path("/Library/Fonts"),
             Path("C:/Windows/Fonts")]
LATIN1 = {"–": "-", "—": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "÷": "/", "×": "x",
          "≥": ">=", "≤": "<=", "−": "-", "…": "...", "•": "-", "Σ": "sum ", "ᵢ": "i"}
INK, GREY, LIGHT = (26, 26, 26), (110, 110, 110), (217, 217, 217)
MARGIN, PAGE_W = 14.0, 210.0
WIDTH = PAGE_W - 2 * MARGIN


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


# The app's colours: new and closed businesses as in its openings chart, the area's bar and
# the city's tick as in its mix chart, the chosen neighborhood as on its maps.
NEW, CLOSED, HIGHLIGHT = _rgb(theme.GAIN), _rgb(theme.LOSS), _rgb(theme.HIGHLIGHT)
AREA_BAR, CITY_TICK = _rgb(theme.colour(0)), _rgb(theme.CITY)


def find_font(name: str = "DejaVuSans.ttf") -> Path | None:
    return next((d / name for d in FONT_DIRS if (d / name).is_file()), None)


class BriefPDF(FPDF):
    """A4 portrait with the product line and page number in every footer."""

    def __init__(self, footer_text: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_text = footer_text
        regular, bold = find_font("DejaVuSans.ttf"), find_font("DejaVuSans-Bold.ttf")
        self.unicode = regular is not None and bold is not None
        if self.unicode:
            self.add_font("DejaVu", "", str(regular))
            self.add_font("DejaVu", "B", str(bold))
        self.family = "DejaVu" if self.unicode else "Helvetica"
        self.set_margins(MARGIN, 12, MARGIN)
        self.set_auto_page_break(True, margin=16)

    def clean(self, text: str) -> str:
        if self.unicode:
            return text
        for a, b in LATIN1.items():
            text = text.replace(a, b)
        return text.encode("latin-1", "replace").decode("latin-1")

    def font(self, size: float, bold: bool = False, colour=INK) -> None:
        self.set_font(self.family, "B" if bold else "", size)
        self.set_text_color(*colour)

    def write_cell(self, w: float, h: float, text: str, **kw) -> None:
        self.cell(w, h, self.clean(text), **kw)

    def fit_cell(self, w: float, h: float, text: str, size: float, bold: bool = False,
                 **kw) -> None:
        """A one-line cell whose type shrinks (to 6.5 pt at most) until the text fits."""
        text = self.clean(text)
        self.font(size, bold)
        while size > 6.5 and self.get_string_width(text) > w - 1.5:
            size -= 0.5
            self.font(size, bold)
        self.cell(w, h, text, **kw)

    def write_lines(self, w: float, h: float, text: str, **kw) -> None:
        self.multi_cell(w, h, self.clean(text), new_x="LMARGIN", new_y="NEXT", align="L", **kw)

    def footer(self) -> None:
        self.set_y(-12)
        self.font(7.5, colour=GREY)
        self.write_cell(WIDTH * 0.8, 5, self.footer_text)
        self.write_cell(WIDTH * 0.2, 5, _("page {page} of {total}").format(
            page=self.page_no(), total="{nb}"), align="R")


PAGES = 2   # a brief is two A4 pages (`brief.make_brief` makes its content fit)


def draw(content: BriefContent) -> bytes:
    """The brief as PDF bytes (two A4 pages when the content fits)."""
    return render(content)[0]


def render(content: BriefContent) -> tuple[bytes, int, int]:
    """The brief as PDF bytes, how many pages it took, and how many its first page's
    content (the place, headline figures and trend) took."""
    pdf = BriefPDF(_made(content) + f" · {content.city}"
                   + (_(": synthetic data") if content.is_demo else ""))
    pdf.set_title(_("{place}: {area} brief").format(place=content.place, area=i18n.areas()))
    pdf.set_author(theme.PRODUCT_NAME)
    pdf.alias_nb_pages()
    pdf.add_page()
    _header(pdf, content)
    top = pdf.get_y()
    _locator(pdf, content, MARGIN, top, 66, 66)
    pdf.set_xy(MARGIN + 72, top)
    _sentences(pdf, content, WIDTH - 72)
    pdf.set_y(max(pdf.get_y(), top + 68) + 2)
    _heading(pdf, _("Headline figures"))
    _table(pdf, content.headline + content.downturn, content.is_city, content.city)
    _heading(pdf, _("New and closed businesses by year"))
    _trend(pdf, content, MARGIN, pdf.get_y(), WIDTH, 46)
    first = pdf.page_no()
    pdf.add_page()
    _heading(pdf, _("The business mix") + (f", {content.year}" if content.year else ""))
    _bars(pdf, content)
    jobs_title = _("Jobs at small and young firms")
    _heading(pdf, f"{jobs_title}{f', {content.jobs_year}' if content.jobs_year else ''}")
    if content.jobs:
        _table(pdf, content.jobs, content.is_city, content.city)
    else:
        _note(pdf, _("No jobs data in this database."))
    if content.capital:
        _heading(pdf, _("Capital and red tape"))
        _table(pdf, content.capital, content.is_city, content.city, row_h=4.8)
    _footnotes(pdf, content)
    return bytes(pdf.output()), pdf.page_no(), first


DOWNTURN_NOTE = N_("The 2020 downturn is read from counts on 31 December: the fall from 2019 "
                 "to the lowest year-end of 2020–2022, the years until the 2019 number was "
                 "back (\"not yet back\" when it was not by the last year), net new "
                 "businesses in 2020–2021 per 100 active against the city's, and "
                 "micro-businesses' fall minus all businesses' in percentage points (above 0: "
                 "the micro sector cushioned the area). A registry records a closure when a "
                 "licence lapses, often a year or more after the business stopped trading.")


LOANS_NOTE = N_("SBA figures cover only SBA-backed loans (7(a) and 504); PPP business types "
              "are self-reported; a loan is placed by its geocoded address, else by ZIP code "
              "split by where the ZIP's registered businesses are, so an area's loans are "
              "estimates.")
RED_TAPE_NOTE = N_("Days from application to licence are calendar days.")


def capital_note(rows: list[Row]) -> str:
    """The caveats of the capital and red-tape figures the block shows ('' for none)."""
    groups = {metrics.get(r.metric_id).group for r in rows if r.metric_id}
    return " ".join(_(note) for group, note in ((metrics.CAPITAL, LOANS_NOTE),
                                             (metrics.RED_TAPE, RED_TAPE_NOTE))
                    if group in groups)


def _header(pdf: BriefPDF, c: BriefContent) -> None:
    kind = _("City brief") if c.is_city else _("{area} brief").format(
        area=i18n.areas(capital=True))
    demo = _(" · demo city: every figure is synthetic") if c.is_demo else ""
    pdf.font(8.5, True, GREY)
    pdf.write_lines(WIDTH, 4.5, f"{kind.upper()} · {c.city}{demo}")
    pdf.font(22, True)
    pdf.write_lines(WIDTH, 10, c.place if c.is_city else f"{c.place}, {c.city}")
    pdf.font(10.5, colour=GREY)
    year = (" " + _("Figures for {year} unless a row says otherwise.").format(year=c.year)
            if c.year else "")
    pdf.write_lines(WIDTH, 5.5, _("Micro-businesses, new and closed businesses, the 2020 "
                                  "downturn, jobs, the mix, loans and licence times.") + year)
    pdf.ln(3)


def _heading(pdf: BriefPDF, text: str) -> None:
    pdf.ln(1.5)
    pdf.font(12, True)
    pdf.write_lines(WIDTH, 7, text)
    pdf.set_draw_color(*LIGHT)
    pdf.line(MARGIN, pdf.get_y(), MARGIN + WIDTH, pdf.get_y())
    pdf.ln(1.5)


def _note(pdf: BriefPDF, text: str, size: float = 8.5) -> None:
    pdf.font(size, colour=GREY)
    pdf.write_lines(WIDTH, size * 0.5, text)


def _sentences(pdf: BriefPDF, c: BriefContent, width: float) -> None:
    x = pdf.get_x()
    pdf.font(11, True)
    pdf.write_cell(width, 6, _("In brief"), new_x="LEFT", new_y="NEXT")
    for sentence in c.sentences:
        pdf.set_x(x)
        pdf.font(10.5)
        pdf.multi_cell(width, 5.3, pdf.clean(f"• {sentence}"), new_x="LEFT", new_y="NEXT",
                       align="L")
        pdf.ln(1.2)
    if c.is_demo:
        pdf.set_x(x)
        _note_at(pdf, width, c.demo_note)


def _note_at(pdf: BriefPDF, width: float, text: str) -> None:
    pdf.font(8.5, colour=GREY)
    pdf.multi_cell(width, 4.2, pdf.clean(text), new_x="LEFT", new_y="NEXT", align="L")


def _table(pdf: BriefPDF, rows: list[Row], is_city: bool, city: str = "",
           row_h: float = 5.6) -> None:
    widths = [112, 70] if is_city else [102, 30, 30, 20]
    heads = [_("Figure"), _("City-wide")] if is_city else [_("Figure"), _("Here"), _("City"),
                                                           _("Rank")]
    pdf.font(8.5, True, GREY)
    for w, head in zip(widths, heads):
        pdf.write_cell(w, 5.5, head, align="L" if head == heads[0] else "R")
    pdf.ln()
    for i, row in enumerate(rows):
        cells = [row.label, row.here] if is_city else [row.label, row.here, row.city, row.rank]
        if i % 2 == 0:
            pdf.set_fill_color(245, 245, 245)
        for j, (w, text) in enumerate(zip(widths, cells)):
            pdf.fit_cell(w, row_h, text, 9 if row_h < 5.6 else 9.5, bold=j == 1, align="L" if j == 0 else "R",
                         fill=i % 2 == 0)
        pdf.ln()
    for note in (unreliable_note(rows), missing_note(city, rows)):
        if note:
            pdf.ln(0.5)
            _note_at(pdf, sum(widths), note)
    pdf.ln(1)


# --- Graphics --------------------------------------------------------------------------

def _locator(pdf: BriefPDF, c: BriefContent, x: float, y: float, w: float, h: float) -> None:
    """The city's neighborhoods in grey, this one in the highlight colour."""
    if not c.shapes:
        return
    to_page = _projection([g for _, g in c.shapes], x, y, w, h)
    pdf.set_line_width(0.2)
    for geo_id, geom in c.shapes:
        chosen = geo_id == c.highlight
        pdf.set_fill_color(*(HIGHLIGHT if chosen else LIGHT))
        pdf.set_draw_color(255, 255, 255)
        for polygon in getattr(geom, "geoms", [geom]):
            pdf.polygon(to_page(polygon.exterior), style="DF")
            pdf.set_fill_color(255, 255, 255)
            for hole in polygon.interiors:
                pdf.polygon(to_page(hole), style="F")
            pdf.set_fill_color(*(HIGHLIGHT if chosen else LIGHT))
    pdf.font(7.5, colour=GREY)
    pdf.set_xy(x, y + h - 1)
    caption = _("The city's {areas}").format(areas=i18n.areas(plural=True)) if c.is_city else \
        _("{place} (orange) in {city}").format(place=c.place, city=c.city)
    pdf.write_cell(w, 4, caption, align="C")


def _projection(geoms: list, x: float, y: float, w: float, h: float):
    """A function from a ring in longitude/latitude to page points that fit the box."""
    west, south, east, north = shapely.total_bounds(geoms)
    squash = math.cos(math.radians((south + north) / 2))   # degrees of longitude are shorter
    scale = min(w / max((east - west) * squash, 1e-9), h / max(north - south, 1e-9))
    ox = x + (w - (east - west) * squash * scale) / 2
    oy = y + (h - (north - south) * scale) / 2

    def to_page(ring) -> list[tuple[float, float]]:
        return [(ox + (lon - west) * squash * scale, oy + (north - lat) * scale)
                for lon, lat in ring.coords]
    return to_page


def _nice_step(top: float) -> float:
    raw = max(top, 1) / 4
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


def _trend(pdf: BriefPDF, c: BriefContent, x: float, y: float, w: float, h: float) -> None:
    """Lines of new and closed businesses by year; hidden years are gaps."""
    t = c.trend
    years = [int(v) for v in t["year"]]
    values = t[["formations", "closures"]].to_numpy(dtype=float)
    shown = values[~(values != values)]    # drop NaN
    if len(years) < 2 or shown.size == 0:
        _note(pdf, _("Not enough published years to draw a trend."))
        return
    step = _nice_step(float(shown.max()))
    top = step * math.ceil(float(shown.max()) / step) or step
    left, bottom, plot_w, plot_h = x + 14, y + h - 8, w - 18, h - 14
    px = lambda i: left + plot_w * i / (len(years) - 1)          # noqa: E731
    py = lambda v: bottom - plot_h * v / top                       # noqa: E731
    pdf.font(7.5, colour=GREY)
    pdf.set_line_width(0.15)
    pdf.set_draw_color(*LIGHT)
    for k in range(int(round(top / step)) + 1):
        pdf.line(left, py(k * step), left + plot_w, py(k * step))
        pdf.set_xy(x, py(k * step) - 2)
        pdf.write_cell(12, 4, i18n.integer(k * step), align="R")
    for i, year in enumerate(years):
        if len(years) <= 12 or i % 2 == 0 or i == len(years) - 1:
            pdf.set_xy(px(i) - 6, bottom + 1)
            pdf.write_cell(12, 4, str(year), align="C")
    for column, colour in ((0, NEW), (1, CLOSED)):
        _line(pdf, [(px(i), py(v)) if v == v else None for i, v in enumerate(values[:, column])],
              colour)
    _legend(pdf, left, y, c.threshold, bool((values != values).any()))


def _line(pdf: BriefPDF, points: list, colour: tuple[int, int, int]) -> None:
    pdf.set_draw_color(*colour)
    pdf.set_fill_color(*colour)
    pdf.set_line_width(0.6)
    run: list[tuple[float, float]] = []
    for point in points + [None]:
        if point is None:
            if len(run) > 1:
                pdf.polyline(run)
            run = []
            continue
        run.append(point)
        pdf.circle(point[0], point[1], 0.7, style="F")


def _legend(pdf: BriefPDF, x: float, y: float, threshold: int, gaps: bool) -> None:
    pdf.font(8)
    for label, colour in ((_("New businesses"), NEW), (_("Closed businesses"), CLOSED)):
        pdf.set_fill_color(*colour)
        pdf.rect(x, y + 1.2, 4, 1.6, style="F")
        pdf.set_xy(x + 5, y)
        pdf.write_cell(34, 4, label)
        x += 38
    if gaps:
        pdf.font(7.5, colour=GREY)
        pdf.set_xy(x, y)
        pdf.write_cell(80, 4, _("A gap: {withheld}").format(withheld=suppressed_text(threshold)))


def _bars(pdf: BriefPDF, c: BriefContent) -> None:
    """The top categories: a bar for the share of the area's businesses, the city's share
    as a tick; hidden counts said in words, without a bar."""
    frame = c.categories
    if frame.empty:
        _note(pdf, _("No category counts in this database."))
        return
    label_w, bar_w, text_w = 62, 74, WIDTH - 136
    top = max(float(frame["share"].fillna(0).max()), float(frame["city_share"].fillna(0).max()),
              0.01)
    pdf.font(8.5, True, GREY)
    pdf.write_cell(label_w + bar_w, 5, _("Share of active businesses (bar: here; grey tick: "
                                         "city)"))
    pdf.write_cell(text_w, 5, _("Businesses here"), align="R", new_x="LMARGIN", new_y="NEXT")
    for row in frame.itertuples(index=False):
        _bar_row(pdf, row, top, c.threshold, (label_w, bar_w, text_w))
    note = left_out_note(c)
    if note:
        pdf.ln(0.5)
        _note(pdf, note)
    if c.hidden_categories:
        _note(pdf, i18n.ngettext(
            "{n} category has its count withheld (fewer than {threshold}, or hidden to protect "
            "a smaller count).",
            "{n} categories have their counts withheld (fewer than {threshold}, or hidden to "
            "protect a smaller count).", c.hidden_categories).format(
                n=c.hidden_categories, threshold=c.threshold))


def _bar_row(pdf: BriefPDF, row, top: float, threshold: int,
             widths: tuple[float, float, float]) -> None:
    label_w, bar_w, text_w = widths
    y = pdf.get_y()
    pdf.fit_cell(label_w, 6, row.category, 9)
    if not row.suppressed and not is_missing(row.share):
        pdf.set_fill_color(*AREA_BAR)
        pdf.rect(MARGIN + label_w, y + 1.2, bar_w * row.share / top, 3.6, style="F")
    if not is_missing(row.city_share):
        cx = MARGIN + label_w + bar_w * row.city_share / top
        pdf.set_draw_color(*CITY_TICK)
        pdf.set_line_width(0.7)
        pdf.line(cx, y + 0.4, cx, y + 5.6)
    pdf.set_x(MARGIN + label_w + bar_w)
    here = (suppressed_text(threshold) if row.suppressed else i18n.integer(row.count)
            + ("" if is_missing(row.share) else f" ({i18n.percent(row.share)})"))
    pdf.write_cell(text_w, 6, here, align="R", new_x="LMARGIN", new_y="NEXT")


def _footnotes(pdf: BriefPDF, c: BriefContent) -> None:
    _heading(pdf, _("Sources and methods"))
    pdf.font(7)
    if c.sources:   # one paragraph: a source's line rarely fills the width
        pdf.write_lines(WIDTH, 3.3, _("Sources: {sources}.").format(sources="; ".join(c.sources)))
    pdf.ln(1)
    notes = [c.methods, _(DOWNTURN_NOTE) if c.downturn else "", capital_note(c.capital)]
    pdf.write_lines(WIDTH, 3.3, " ".join(n for n in notes if n))
    pdf.ln(1)
    pdf.write_lines(WIDTH, 3.3, withheld_explanation(c.threshold))
    pdf.ln(1)
    pdf.write_lines(WIDTH, 3.3, _made(c) + ".")


def _made(c: BriefContent) -> str:
    """'Made with Main Street Atlas on 2026-12-04' (es: '… el 4 de diciembre de 2026')."""
    day = c.made_on.isoformat() if i18n.language() == i18n.DEFAULT else i18n.day(c.made_on)
    return _("Made with {product} on {day}").format(product=theme.PRODUCT_NAME, day=day)
