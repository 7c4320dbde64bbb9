"""The 2020 downturn of a neighborhood in words: how far its businesses fell, when they were
back, and whether its micro-businesses cushioned it (the registry's "Resilience" group,
sql/marts/36_resilience.sql). No Streamlit; the profile and the brief say these sentences.
"""
from __future__ import annotations

import pandas as pd

from core import i18n, metrics
from core.i18n import _
# The figures a brief's downturn table and the compare page's panels show, in order.
KEY = ("downturn_drawdown", "downturn_recovery_years", "downturn_net_vs_city",
       "micro_downturn_drawdown", "micro_downturn_cushion")
CARDS_PER_ROW = 4   # five to a row cut "not yet back" to "not yet ba…" on a 1440 screen


def figures() -> list[metrics.Metric]:
    """Every downturn figure of the registry, in its order."""
    return [m for m in metrics.by_group(metrics.RESILIENCE) if m.table == "metrics_long"]


def key_figures() -> list[str]:
    """The ids of `KEY` the registry has (a renamed figure drops out, never breaks a page)."""
    return [m for m in KEY if m in metrics.REGISTRY]


def card_rows() -> list[list[str]]:
    """The profile's rows of downturn cards: all businesses, then micro-businesses."""
    ids = [m.id for m in figures()]
    micro = [m for m in ids if m.startswith("micro_")]
    rows = [r for r in ([m for m in ids if m not in micro], micro) if r]
    return [r[i:i + CARDS_PER_ROW] for r in rows for i in range(0, len(r), CARDS_PER_ROW)]


def _value(rows: pd.DataFrame, metric_id: str) -> float | None:
    """A published, sound value of the area ('' when hidden, missing or low count)."""
    if metric_id not in rows.index:
        return None
    row = rows.loc[metric_id]
    if bool(row["suppressed"]) or pd.isna(row["value"]) or bool(row.get("low_count", False)):
        return None
    return float(row["value"])


def _city(rows: pd.DataFrame, metric_id: str) -> float | None:
    if metric_id not in rows.index:
        return None
    row = rows.loc[metric_id]
    return None if pd.isna(row["city_value"]) or bool(row["city_suppressed"]) else float(row["city_value"])


def sentences(name: str, profile: pd.DataFrame) -> list[str]:
    """Two sentences at most from `queries.area_profile` rows of the downturn figures; a
    withheld or low-count figure is left unsaid (its card says why)."""
    rows = profile.set_index("metric_id")
    said = []
    fall, low_year = _value(rows, "downturn_drawdown"), _value(rows, "downturn_low_year")
    if fall is not None:
        city = _city(rows, "downturn_drawdown")
        versus = "" if city is None else _(" (the city's: {change})").format(change=_change(city))
        if fall < 0:
            text = (_("{name}'s active businesses fell {fall} from the end of 2019 to their "
                      "low").format(name=name, fall=i18n.percent(-fall))
                    + (_(" at the end of {year}").format(year=f"{low_year:.0f}") if low_year
                       else "") + versus)
        else:
            text = _("{name}'s active businesses never fell below their end-of-2019 number in "
                     "2020–2022").format(name=name) + versus
        said.append(text + _recovery(rows) + ".")
    cushion, micro = _value(rows, "micro_downturn_cushion"), _value(rows, "micro_downturn_drawdown")
    if cushion is not None and micro is not None:
        points = i18n.ngettext("{n} percentage point", "{n} percentage points",
                               round(abs(cushion))).format(n=f"{abs(cushion):.0f}")
        how = (_("as well as") if round(cushion) == 0 else
               (_("{points} better than") if cushion > 0 else _("{points} worse than")).format(
                   points=points))
        said.append(_("Its micro-businesses changed by {change} over the same years, {how} all "
                      "its businesses").format(change=i18n.number(micro, "{:+.0%}"), how=how)
                    + (_(": the micro sector cushioned the {area}.").format(area=i18n.areas())
                       if cushion >= 0.5 else "."))
    return said


def _change(value: float) -> str:
    if value < 0:
        return _("fell {share}").format(share=i18n.percent(-value))
    return _("rose {share}").format(share=i18n.percent(value)) if value > 0 else _("no change")


def _recovery(rows: pd.DataFrame) -> str:
    if "downturn_recovery_years" not in rows.index:
        return ""
    row = rows.loc["downturn_recovery_years"]
    if bool(row["suppressed"]):
        return ""
    if pd.isna(row["value"]):
        return _(", and were not yet back at that number in the latest year")
    years = int(row["value"])
    return "" if years == 0 else _(", and were back at it by the end of {year}").format(
        year=2019 + years)


def year_words(metric: metrics.Metric, year: int) -> str:
    """The year a figure is for as a title says it: '2024', or '2019 to the 2020–2022 low'
    said already by a downturn figure's label (''): it is filed under 2019."""
    return "" if metric.group == metrics.RESILIENCE else str(year)
