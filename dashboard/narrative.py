"""A few plain sentences about one neighborhood, generated from its numbers.

"Millbrook has 14.2 micro-businesses per 1,000 residents, 3rd of 36 neighborhoods (the
city: 11.0)." Hidden figures are said to be withheld, unreliable ones flagged; nothing here
invents a number the marts did not publish.
"""
from __future__ import annotations

import pandas as pd

from core import i18n, metrics
from core.i18n import N_, _
from core.metrics import STORY   # the figures the sentences speak about, in order

from . import wording
from .formatting import format_value, withheld_explanation


def sentences(name: str, profile: pd.DataFrame, quotients: pd.DataFrame | None,
              threshold: int, geo_level: str = "neighborhood") -> list[str]:
    """Sentences about an area from `queries.area_profile` rows and its location quotients;
    the hidden figures are named together in one sentence at the end."""
    rows = profile.set_index("metric_id")
    story = [m for m in STORY if m in rows.index]
    hidden = [m for m in story if bool(rows.at[m, "suppressed"])]
    said = [_sentence(name, metrics.get(m), rows.loc[m], geo_level)
            for m in story if m not in hidden]
    said = [s for s in said if s]
    if quotients is not None:
        said += _mix_sentences(name, quotients)
    if hidden:
        labels = [metrics.get(m).label.lower() for m in hidden]
        said.append(_("Withheld for {name}: {figures} (fewer than {threshold}, or hidden to "
                      "protect a smaller count).").format(name=name, figures=_join(labels),
                                                         threshold=threshold))
    return said


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else _("{some} and {last}").format(
        some=", ".join(words[:-1]), last=words[-1])


def _sentence(name: str, metric, row: pd.Series, geo_level: str) -> str:
    if pd.isna(row["value"]):
        return ""
    value = format_value(row["value"], metric.format)
    noun = wording.noun(metric) or metric.label.lower()
    rank = wording.rank_phrase(row["rank"], row["ranked"], geo_level, row.get("areas"))
    city = ("" if pd.isna(row["city_value"]) or bool(row["city_suppressed"])
            else _("; city-wide: {value}").format(value=format_value(row["city_value"],
                                                                     metric.format)))
    text = (_phrase(name, metric, value, noun, int(row["year"])) + (f", {rank}" if rank else "")
            + city + ".")
    if bool(row.get("low_count", False)):
        text += " " + _("Treat it with caution: it rests on fewer than 20 businesses or "
                        "events (low count), so it is not ranked.")
    elif bool(row["unreliable"]):
        text += " " + _("Treat it with caution: it rests on {why}.").format(
            why=metric.unreliable_words)
    return text


TEMPLATES = {
    "formations": N_("In {year}, {value} new businesses opened in {name}"),
    "closures": N_("In {year}, {value} businesses in {name} closed"),
    "survival_3y": N_("{value} of the businesses that opened in {name} in {year} were still "
                      "open 3 years later"),
    "jobs_small_firms_share": N_("{value} of {name}'s private jobs in {year} were at firms "
                                 "with fewer than 20 employees"),
    "effective_categories": N_("In {year}, {name}'s business mix was as varied as {value} "
                               "equally common kinds of business"),
}


DEFAULT_TEMPLATE = N_("In {year}, {name} had {value} {noun}")


def _phrase(name: str, metric, value: str, noun: str, year: int) -> str:
    template = _(TEMPLATES.get(metric.id, DEFAULT_TEMPLATE))
    return template.format(name=name, value=value, noun=noun, year=year)


def _mix_sentences(name: str, quotients: pd.DataFrame) -> list[str]:
    """What the area has unusually much and unusually little of (location quotients)."""
    sound = ~quotients["low_count"].astype(bool) if "low_count" in quotients else True
    shown = quotients[~quotients["suppressed"].astype(bool) & quotients["lq"].notna() & sound]
    if shown.empty:
        return []
    top, low = shown.nlargest(1, "lq").iloc[0], shown.nsmallest(1, "lq").iloc[0]
    parts = []
    if top["lq"] >= 1.2:
        parts.append(_("unusually many businesses in {category} ({times} times their share "
                       "citywide)").format(category=_(top["category"]).lower(),
                                           times=i18n.number(top["lq"], "{:.1f}")))
    if low["lq"] <= 0.8:
        parts.append(_("unusually few in {category} ({times} times)").format(
            category=_(low["category"]).lower(), times=i18n.number(low["lq"], "{:.1f}")))
    return [_("Compared with the city, {name} has {parts}.").format(
        name=name, parts=_(" and ").join(parts))] if parts else []


def hidden_note(threshold: int) -> str:
    return withheld_explanation(threshold) + " " + _("A figure computed from a withheld count "
                                                     "is withheld too.")
