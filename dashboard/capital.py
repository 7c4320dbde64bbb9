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

from core import metrics
from core.metrics import Metric

from . import charts, wording
from .formatting import as_sentence, not_available_text

RED_TAPE = getattr(metrics, "RED_TAPE", "Red tape")
# A program's figures by the ending of their id, in the order the page shows them.
PER_1K, MEDIAN, TOTAL, SMALL = ("_loans_per_1k_businesses", "_loan_amount_median",
                                "_loan_amount_total", "_loans_small_share")
SECTIONS = [
    (PER_1K, "Loans per 1,000 businesses"),
    (MEDIAN, "The median loan"),
    (TOTAL, "Dollars approved"),
    (SMALL, "Loans to borrowers with fewer than 5 jobs"),
]
# Said once on the page, so each chart's note keeps only what is its own.
SHARED_CAVEATS = (metrics.REGISTRY_CAVEAT, metrics.ACS_CAVEAT)
LOW_COUNT_MARK = (f"Open circles: low count (fewer than {metrics.LOW_COUNT} loans or cases behind "
                  "the figure); shown, but never ranked or named highest or lowest.")


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
    return [Program(m.id.removesuffix("_loans"), m.label.removesuffix(" approved"))
            for m in capital_metrics() if m.id.endswith("_loans")]


def sections(present: set[str]) -> list[Section]:
    """The rows of trend charts for the figures this database has: each program's figure
    side by side, then any other capital figure (PPP loans to the self-employed) alone."""
    found, used = [], set()
    for ending, title in SECTIONS:
        figures = tuple(m for p in programs() if (m := p.metric(ending)) and m.id in present)
        used |= {f"{p.family}{ending}" for p in programs()}
        if figures:
            found.append(Section(title, figures, with_city=ending != TOTAL))
    counts = {f"{p.family}_loans" for p in programs()}
    for m in capital_metrics():
        if m.id not in used | counts and m.id in present:
            found.append(Section(m.label, (m,)))
    return found


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
    return [as_sentence(f"{what or _join(labels)}: " + not_available_text(city, why))
            for why, labels in reasons.items()]


def program_gaps(present: set[str], unavailable: dict[str, str], city: str) -> list[str]:
    """For each loan program without figures here, why ('PPP loans: not available for …')."""
    said = []
    for p in programs():
        figures = [m for ending, _ in SECTIONS if (m := p.metric(ending))]
        if figures and not any(m.id in present for m in figures):
            why = unavailable.get(figures[0].id, "the loaded data do not give it")
            said.append(as_sentence(f"{p.name}: {not_available_text(city, why)}"))
    return said


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def own_caveat(metric: Metric) -> str:
    """The figure's caveat without the registry's and the ACS's (said once on the page)."""
    text = metric.caveat
    for shared in SHARED_CAVEATS:
        text = text.replace(shared, "")
    return " ".join(text.split())


def trend(series: pd.DataFrame, metric: Metric, threshold: int, geo_id: str,
          with_city: bool = True, title: str | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """The area's line (and the city's, dashed) over the years, as `charts.area_trend`,
    with low-count values drawn as open circles, said in the hover and the table's Note."""
    rows = series[(series["metric_id"] == metric.id)
                  & series["geo_id"].isin([geo_id, "city"] if with_city else [geo_id])]
    fig, _ = charts.area_trend(rows, metric, threshold, city=with_city, title=title,
                               order=[geo_id])
    places = [g for g in ([geo_id, "city"] if with_city and metric.kind != "count" else [geo_id])
              if (rows["geo_id"] == g).any()]
    for trace, place in zip(fig.data, places):
        one = rows[rows["geo_id"] == place]
        low = low_flags(one)
        trace.marker = {"symbol": ["circle-open" if f else "circle" for f in low], "size": 9,
                        "line": {"width": 2}}
        trace.text = [t + (" (low count)" if f else "") for t, f in zip(trace.text, low)]
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


RED_TAPE_WORDS = "Days from application to licence"


def red_tape_gap(city: str) -> str:
    """What the page says while the registry has no processing-time figures at all."""
    return as_sentence(f"{RED_TAPE_WORDS}: " + not_available_text(
        city, "this version of the atlas does not yet compute licence processing times"))
