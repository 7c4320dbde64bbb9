"""The Capital & red tape page's logic without Streamlit: which loan and processing-time
figures a database has, how they are grouped on the page, and their trend charts with
low-count values marked.

The figures come from the metric registry's groups (`core.metrics`: "Capital", and "Red
tape" once it is registered); a loan program is found by its count of loans
(`<family>_loans`) and its other figures by the registry's id endings, so a third program
added to the registry appears here without a change.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from core import i18n, metrics
from core.i18n import N_, _
from core.metrics import Metric

from . import bars, charts, theme, wording
from .formatting import as_sentence, not_available_text, suppressed_text

RED_TAPE = getattr(metrics, "RED_TAPE", "Red tape")
# A program's figures by the ending of their id, in the order the page shows them.
PER_1K, MEDIAN, TOTAL, SMALL = ("_loans_per_1k_businesses", "_loan_amount_median",
                                "_loan_amount_total", "_loans_small_share")
SECTIONS = [
    (PER_1K, N_("Loans per 1,000 businesses")),
    (MEDIAN, N_("The median loan")),
    (TOTAL, N_("Dollars approved")),
    (SMALL, N_("Loans to borrowers with fewer than 5 jobs")),
]
# Said once on the page, so each chart's note keeps only what is its own.
SHARED_CAVEATS = (metrics.REGISTRY_CAVEAT, metrics.ACS_CAVEAT)
LOW_COUNT_MARK = N_("Open circles: low count (fewer than 20 loans or cases behind the figure); "
                    "shown, but never ranked or named highest or lowest.")


@dataclass(frozen=True)
class Program:
    """One loan program of the registry: its family ('sba') and name ('SBA 7(a) and 504
    loans'), from its count of loans."""

    family: str
    name: str

    def metric(self, ending: str) -> Metric | None:
        return metrics.REGISTRY.get(f"{self.family}{ending}")


@dataclass(frozen=True)
class Section:
    """A row of charts: a heading and one figure per program (or one figure alone)."""

    title: str
    figures: tuple[Metric, ...]
    with_city: bool = True      # a total in dollars has no city line: it would dwarf an area


def capital_metrics() -> list[Metric]:
    return [m for m in metrics.by_group(metrics.CAPITAL) if m.table == "metrics_long"]


def red_tape_metrics() -> list[Metric]:
    return [m for m in metrics.by_group(RED_TAPE) if m.table == "metrics_long"]


def programs() -> list[Program]:
    """The loan programs of the registry, in its order."""
    return [Program(m.id.removesuffix("_loans"), m.english("label").removesuffix(" approved"))
            for m in capital_metrics() if m.id.endswith("_loans")]


def sections(present: set[str]) -> list[Section]:
    """The rows of trend charts for the figures this database has: each program's figure
    side by side, then any other capital figure (PPP loans to the self-employed) alone."""
    found, used = [], set()
    for ending, title in SECTIONS:
        figures = tuple(m for p in programs() if (m := p.metric(ending)) and m.id in present)
        used |= {f"{p.family}{ending}" for p in programs()}
        if figures:
            found.append(Section(_(title), figures, with_city=all(map(city_line, figures))))
    counts = {f"{p.family}_loans" for p in programs()}
    for m in capital_metrics():
        if m.id not in used | counts and m.id in present:
            found.append(Section(m.label, (m,)))
    return found


def city_line(metric: Metric) -> bool:
    """Whether the figure's trend has the city's line beside the area's: not for a program's
    loans or dollars in total (the city's would dwarf an area's)."""
    totals = {f"{p.family}{ending}" for p in programs() for ending in ("_loans", TOTAL)}
    return metric.id not in totals and metric.kind != "count"


def map_choices(present: set[str]) -> list[str]:
    """The capital and red-tape figures the map can show (registry order), the capital
    rates first."""
    ids = [m.id for m in [*capital_metrics(), *red_tape_metrics()] if m.id in present]
    return sorted(ids, key=lambda i: (metrics.get(i).group != metrics.CAPITAL,
                                      metrics.get(i).kind != "rate"))


def red_tape_charts(present: set[str]) -> list[Metric]:
    """The processing-time figures drawn over the years (their counts are on the map)."""
    return [m for m in red_tape_metrics() if m.id in present and m.kind != "count"]


def default_map_figure(ranked: dict[str, int], choices: list[str]) -> str:
    """The map's figure when the link names none: the rate with the most ranked areas in
    its latest year (`ranked`: id → how many; a map of low-count values says little)."""
    rates = [m for m in choices if metrics.get(m).kind == "rate"] or choices
    return max(rates, key=lambda m: (ranked.get(m, 0), -rates.index(m)))


def missing_sentences(figures: list[Metric], present: set[str], unavailable: dict[str, str],
                      city: str, what: str = "") -> list[str]:
    """'Days from application to licence: not available for Tiny Town: the registry has no
    application dates.' — one sentence per reason for the figures this database lacks;
    `what` names them when none is here (else their labels are listed)."""
    reasons: dict[str, list[str]] = {}
    what = what if not any(m.id in present for m in figures) else ""
    for m in figures:
        if m.id not in present:
            why = unavailable.get(m.id, "the loaded data do not give it")
            reasons.setdefault(why, []).append(m.label)
    what = _(what)
    return [as_sentence(f"{what or _join(labels)}: " + not_available_text(city, why))
            for why, labels in reasons.items()]


def program_gaps(present: set[str], unavailable: dict[str, str], city: str) -> list[str]:
    """For each loan program without figures here, why ('PPP loans: not available for …')."""
    said = []
    for p in programs():
        figures = [m for ending, _ in SECTIONS if (m := p.metric(ending))]
        if figures and not any(m.id in present for m in figures):
            why = unavailable.get(figures[0].id, "the loaded data do not give it")
            said.append(as_sentence(f"{_(p.name)}: {not_available_text(city, why)}"))
    return said


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else _("{some} and {last}").format(
        some=", ".join(words[:-1]), last=words[-1])


def own_caveat(metric: Metric) -> str:
    """The figure's caveat without the registry's and the ACS's (said once on the page)."""
    text = metric.caveat
    for shared in SHARED_CAVEATS:
        text = text.replace(i18n.in_areas(shared), "")
    return " ".join(text.split())


def trend(series: pd.DataFrame, metric: Metric, threshold: int, geo_id: str,
          with_city: bool = True, title: str | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """The area's line (and the city's, dashed) over the years, as `charts.area_trend`,
    with low-count values drawn as open circles, said in the hover and the table's Note."""
    rows = series[(series["metric_id"] == metric.id)
                  & series["geo_id"].isin([geo_id, "city"] if with_city else [geo_id])]
    fig, _table = charts.area_trend(rows, metric, threshold, city=with_city, title=title,
                               order=[geo_id])
    places = [g for g in ([geo_id, "city"] if with_city and metric.kind != "count" else [geo_id])
              if (rows["geo_id"] == g).any()]
    for trace, place in zip(fig.data, places):
        one = rows[rows["geo_id"] == place]
        low = low_flags(one)
        trace.marker = {"symbol": ["circle-open" if f else "circle" for f in low], "size": 9,
                        "line": {"width": 2}}
        trace.text = [t + (_(" (low count)") if f else "") for t, f in zip(trace.text, low)]
    if metric.format.startswith("$"):     # $2M, $150k: a dollar axis a phone shows whole
        fig.update_yaxes(tickprefix="$", tickformat="~s")
    return fig, flagged_table(rows, metric, threshold)


def low_flags(rows: pd.DataFrame) -> list[bool]:
    """Whether each shown value is flagged low count (a hidden one is not: it is withheld)."""
    low = rows.get("low_count", pd.Series(False, index=rows.index)).fillna(False).astype(bool)
    return list(low & ~rows["suppressed"].astype(bool) & rows["value"].notna())


def flagged_table(rows: pd.DataFrame, metric: Metric, threshold: int) -> pd.DataFrame:
    """Area, year, the value in words and its note ('low count (under 20)', 'unreliable')."""
    table = pd.DataFrame({
        "Area": rows["name"].to_numpy(), "Year": rows["year"].to_numpy(),
        metric.label: charts.text_values(rows, metric, threshold),
        "Note": [wording.flags_note(row) for _, row in rows.iterrows()],
    })
    return table.sort_values(["Area", "Year"], kind="stable").reset_index(drop=True)


def has_low_count(rows: pd.DataFrame, metric: Metric) -> bool:
    return any(low_flags(rows[rows["metric_id"] == metric.id]))


RED_TAPE_WORDS = N_("Days from application to licence")


def red_tape_gap(city: str) -> str:
    """What the page says while the registry has no processing-time figures at all."""
    return as_sentence(f"{_(RED_TAPE_WORDS)}: " + not_available_text(
        city, "this version of the atlas does not yet compute licence processing times"))


# --- Red tape by kind of business (the `processing_by_category` mart) -----------------------

# A figure of the mart → its column there; the days first, then the share over 30 days.
BY_CATEGORY = {"processing_days_median": "median_days", "processing_days_p90": "p90_days",
               "processing_over_30_share": "share_over_30"}
DAYS, OVER_30 = ("processing_days_median", "processing_days_p90"), ("processing_over_30_share",)
DAY_BARS = {"processing_days_median": (N_("Median"), theme.GAIN),
            "processing_days_p90": (N_("9 in 10 within (90th percentile)"), theme.DIVERGING[5])}
CATEGORY_LOW_MARK = N_("Hatched bars: low count (fewer than 20 applications behind the "
                       "figure); shown, but never named highest or lowest.")
CATEGORY_BAR_PX = 10         # one bar; the days draw two a row, the share one


def category_year(rows: pd.DataFrame, year: int) -> pd.DataFrame:
    """The rows of one year, slowest kind of business first (by median, then 90th
    percentile); withheld figures last."""
    one = rows[rows["year"] == year]
    return one.sort_values(["median_days", "p90_days", "category"],
                           ascending=[False, False, True], na_position="last",
                           kind="stable").reset_index(drop=True)


def category_bars(rows: pd.DataFrame, figures: tuple[str, ...], threshold: int,
                  title: str | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """Horizontal bars by kind of business (rows of one area and year, in their order): the
    median and 90th-percentile days (`DAYS`), or the share over 30 days (`OVER_30`); each
    bar's value at its end, low-count bars hatched, a withheld figure said by its name."""
    order = list(rows["category"])
    fig = go.Figure()
    hidden = rows["suppressed"].astype(bool).to_numpy()
    low = (rows["low_count"].fillna(False).astype(bool) & ~rows["suppressed"].astype(bool)).to_numpy()
    for metric_id in figures:
        metric, column = metrics.get(metric_id), BY_CATEGORY[metric_id]
        name, colour = DAY_BARS.get(metric_id, (metric.label, theme.GAIN))
        name = _(name)
        texts = [_category_text(metric, v, h, threshold) for v, h in zip(rows[column], hidden)]
        fig.add_trace(go.Bar(
            y=order, x=rows[column].where(~hidden), orientation="h", name=name,
            text=[t if t != suppressed_text(threshold) else "" for t in texts],
            textposition="outside", constraintext="none", cliponaxis=False,
            textfont={"size": 13},
            customdata=[t + (_(" (low count)") if f else "") for t, f in zip(texts, low)],
            hovertemplate=f"%{{y}}<br>{name}: %{{customdata}}<extra></extra>",
            marker={"color": colour, "pattern": {
                "shape": ["/" if f else "" for f in low], "fillmode": "overlay",
                "fgcolor": "white", "solidity": 0.45}}))
    row = CATEGORY_BAR_PX * len(figures) + bars.NAME_PX + 8
    share = figures == OVER_30
    charts.style(fig, max(220, len(order) * row + 130), title=title, zero=False,
                 x_title=_("share of applications") if share else _("calendar days"))
    widest = pd.to_numeric(pd.concat([rows[BY_CATEGORY[m]] for m in figures]),
                           errors="coerce").max()
    reach = (float(widest) if pd.notna(widest) else 1.0) * 1.18 or 1.0
    fig.update_layout(barmode="group", bargap=1 - CATEGORY_BAR_PX * len(figures) / row,
                      hovermode="closest", showlegend=not share, margin={"b": 90},
                      legend={"orientation": "h", "yref": "container", "y": 0,
                              "yanchor": "bottom", "x": 0, "traceorder": "normal"})
    fig.update_xaxes(range=[0, reach], rangemode="tozero",
                     **({"tickformat": ".0%"} if share else {}))
    fig.update_yaxes(autorange="reversed")
    said = {c: suppressed_text(threshold) for c, h in zip(order, hidden) if h}
    bars.label_rows(fig, order, CATEGORY_BAR_PX * len(figures), said)
    return fig, category_table(rows, threshold)


def _category_text(metric: Metric, value, hidden: bool, threshold: int) -> str:
    if hidden:
        return suppressed_text(threshold)
    if pd.isna(value):
        return _("no data")
    return i18n.number(value, metric.format)


def category_table(rows: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Kind of business, applications, the three figures in words and each row's note."""
    hidden = rows["suppressed"].astype(bool)
    table = pd.DataFrame({"Kind of business": rows["category"].to_numpy(),
                          "Applications": [i18n.integer(n) for n in rows["applications"]]})
    for metric_id, column in BY_CATEGORY.items():
        metric = metrics.get(metric_id)
        table[metric.label] = [_category_text(metric, v, h, threshold)
                               for v, h in zip(rows[column], hidden)]
    table["Note"] = [wording.flags_note(row) for _, row in rows.iterrows()]
    return table


def category_data(rows: pd.DataFrame, figures: tuple[str, ...]) -> pd.DataFrame:
    """The numbers behind a chart by kind of business, one row per figure (as a chart's
    download over the years: metric_id, value, and the applications as its base)."""
    parts = []
    for metric_id in figures:
        column = BY_CATEGORY[metric_id]
        over = (rows["share_over_30"] * rows["applications"]).round() \
            if metric_id in OVER_30 else pd.Series(float("nan"), index=rows.index)
        parts.append(pd.DataFrame({
            "geo_id": rows["geo_id"], "name": rows["name"], "year": rows["year"],
            "category": rows["category"], "metric_id": metric_id,
            "metric": metrics.get(metric_id).label, "value": rows[column].astype("float64"),
            "numerator": over, "denominator": rows["applications"],
            "suppressed": rows["suppressed"].astype(bool),
            "low_count": rows["low_count"].fillna(False).astype(bool)}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def category_caption(rows: pd.DataFrame, year: int) -> str:
    """Calendar days, the year, and the low-count mark when a bar is hatched."""
    said = _("Calendar days, weekends and holidays included, from the application to the "
             "licence, over the applications issued in {year}.").format(year=year)
    low = rows["low_count"].fillna(False).astype(bool) & ~rows["suppressed"].astype(bool)
    return f"{said} {_(CATEGORY_LOW_MARK)}" if low.any() else said
