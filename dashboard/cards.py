"""Headline figure cards: the value in words, the city's value and the rank beside it."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from core import metrics
from core.i18n import _

from . import wording
from .formatting import format_value, suppressed_text, withheld_explanation

@dataclass(frozen=True)
class Card:
    label: str      # 'Micro-businesses per 1,000 residents (2025)'
    value: str      # '14.2', 'withheld', 'not available'
    note: str       # 'City: 11.0 · 3rd of 36 neighborhoods'
    help: str       # the description and the caveat


def cards(profile: pd.DataFrame, metric_ids: list[str], threshold: int,
          geo_level: str = "neighborhood", unavailable: dict[str, str] | None = None,
          city: str = "this city") -> list[Card]:
    """One card per metric, in order; a metric without a row says 'not available' and why
    (`unavailable`: metric id → reason, from `queries.not_available`)."""
    rows = profile.set_index("metric_id")
    why = unavailable or {}
    return [_card(metrics.get(m), rows.loc[m] if m in rows.index else None, threshold, geo_level,
                  _("for {city}: {reason}").format(
                      city=city if city != "this city" else _("this city"),
                      reason=_(why.get(m, "the loaded data do not give it"))))
            for m in metric_ids]


def _card(metric, row: pd.Series | None, threshold: int, geo_level: str,
          missing: str = "") -> Card:
    """`missing`: the rest of 'not available …' ('for Chicago: no LODES jobs were loaded')."""
    help_text = f"{metric.description} {metric.caveat}".strip()
    if row is not None and pd.isna(row["value"]) and not bool(row["suppressed"]) \
            and wording.not_yet_back(metric):
        return Card(metric.label, _(wording.NOT_YET_BACK_TEXT),
                    _("not back at its 2019 level by the last year of data")
                    + _city_note(row, metric), help_text)
    if row is None or (pd.isna(row["value"]) and not bool(row["suppressed"])):
        return Card(metric.label, _("not available"), missing, help_text)
    hidden = bool(row["suppressed"])
    value = wording.value_text(metric, row["value"], hidden, threshold)
    notes = []
    if hidden:
        help_text = f"{help_text} {withheld_explanation(threshold)}".strip()
    if hidden and metric.kind != "count":
        notes = [_("count behind it {withheld}").format(withheld=suppressed_text(threshold))]
    if not hidden and pd.notna(row.get("moe")) and metric.kind == "estimate":
        value += f" ± {format_value(row['moe'], metric.format)}"
    if pd.notna(row["city_value"]) and not bool(row["city_suppressed"]):
        notes.append(_("City: {value}").format(value=format_value(row["city_value"],
                                                                  metric.format)))
    rank = wording.rank_phrase(row["rank"], row["ranked"], geo_level, row.get("areas"))
    if rank and not hidden and metric.id != "residents" and metric.english("unit") != "year":
        notes.append(rank)
    if bool(row.get("low_count", False)) and not hidden:
        notes.append(wording.low_count_note())
        help_text = f"{help_text} {_(metrics.LOW_COUNT_RULE)}"
    if bool(row["unreliable"]):
        notes.append(wording.unreliable_note())
    # A downturn figure's label names its years (it is filed under 2019): no "(2019)".
    label = metric.label if metric.group == metrics.RESILIENCE else \
        f"{metric.label} ({int(row['year'])})"
    return Card(label, value, " · ".join(notes), help_text)


def _city_note(row: pd.Series, metric) -> str:
    if pd.notna(row["city_value"]) and not bool(row["city_suppressed"]):
        return " · " + _("City: {value}").format(value=format_value(row["city_value"],
                                                                    metric.format))
    if not bool(row["city_suppressed"]):
        return " · " + _("City: {value}").format(value=_(wording.NOT_YET_BACK_TEXT))
    return ""


def definitions(metric_ids: list[str]) -> str:
    """What a micro-business is, in the registry's words, when a micro figure is shown
    (said on the page where the figure is); '' otherwise."""
    if any(m.startswith("micro") for m in metric_ids):
        return _("Micro-businesses: {definition}").format(definition=_(metrics.MICRO_DEFINITION))
    return ""
