"""Plain words about a metric's numbers: what a class covers, the count behind a rate, a
rank, a caveat short enough for a tooltip. Labels and units come from the registry."""
from __future__ import annotations

import math
import re
import textwrap

import pandas as pd

from core import i18n
from core.i18n import N_, _
from core.metrics import LOW_COUNT, NOT_YET_BACK, RESILIENCE, Metric

from .formatting import format_value, ordinal, suppressed_text

# English here (the catalog's msgids); `level_nouns` says them in the reader's language.
LEVEL_NOUNS = {"neighborhood": (N_("neighborhood"), N_("neighborhoods")),
               "tract": (N_("tract"), N_("tracts"))}


def level_nouns(level: str) -> tuple[str, str]:
    """('neighborhood', 'neighborhoods') in the reader's language; for the neighborhood
    level, the nouns of the layer shown ('ward', 'wards': `i18n.areas`)."""
    if level == "neighborhood":
        return i18n.areas(), i18n.areas(plural=True)
    one, many = LEVEL_NOUNS.get(level, (N_("area"), N_("areas")))
    return _(one), _(many)
# What a rate is divided by, said plainly, by the registry's unit.
DENOMINATORS = {
    "per 1,000 residents": N_("residents"),
    "per km²": "km²",
    "per 100 active businesses": N_("businesses active at the start of the year"),
    "share of the year's new businesses": N_("new businesses that year"),
    "share of private jobs": N_("private-sector jobs"),
}
def unreliable_text(metric) -> str:
    """'unreliable: <why>', the why from the metric's registry entry."""
    return _("unreliable: {why}").format(why=metric.unreliable_words)


# The English notes (tests and callers that compare); the functions say them translated.
LOW_COUNT_TEXT = f"low count: fewer than {LOW_COUNT} businesses or events behind it"
UNRELIABLE_NOTE, LOW_COUNT_NOTE = "unreliable", f"low count (under {LOW_COUNT})"


def low_count_text() -> str:
    return _("low count: fewer than {n} businesses or events behind it").format(n=LOW_COUNT)


def unreliable_note() -> str:
    """Short notes for tables (whole words that fit a narrow column)."""
    return _("unreliable")


def low_count_note() -> str:
    return _("low count (under {n})").format(n=LOW_COUNT)


def flags_note(row) -> str:
    """'low count (under 20)', 'unreliable', both, or '' for a sound or hidden value."""
    if bool(row.get("suppressed", False)):
        return ""
    notes = [low_count_note()] * bool(row.get("low_count", False)) + \
        [unreliable_note()] * bool(row.get("unreliable", False))
    return "; ".join(notes)


def noun(metric: Metric) -> str:
    """What the values count, for a legend line ('micro-businesses per 1,000 residents');
    empty for indexes and shares, whose label heads the legend instead."""
    if metric.kind not in ("count", "rate", "estimate"):
        return ""
    label = re.sub(r"\s*\([^)]*\)", "", metric.label).strip()
    return label[:1].lower() + label[1:] if not label[:2].isupper() else label


def rank_phrase(rank, ranked, geo_level: str = "neighborhood", areas=None) -> str:
    """'3rd of 36 neighborhoods', '36th of 36 neighborhoods (the lowest)'; when some areas
    are not ranked (low count, unreliable, withheld or no figure), out of how many:
    '1st of the 2 wards ranked, out of 50 (the highest)'. '' with no rank or when only one
    area is ranked. Rank 1 is the highest value."""
    if _missing(rank) or _missing(ranked):
        return ""
    rank, ranked = int(rank), int(ranked)
    if ranked < 2:   # '1st of 1' ranks nothing
        return ""
    plural = level_nouns(geo_level)[1]
    extreme = _(" (the highest)") if rank == 1 and ranked > 1 else \
        _(" (the lowest)") if rank == ranked and ranked > 1 else ""
    if not _missing(areas) and int(areas) > ranked:
        return _("{rank} of the {ranked} {plural} ranked, out of {areas}").format(
            rank=ordinal(rank), ranked=ranked, plural=plural, areas=int(areas)) + extreme
    return _("{rank} of {ranked} {plural}").format(rank=ordinal(rank), ranked=ranked,
                                                   plural=plural) + extreme


def count_behind(metric: Metric, numerator, denominator) -> str:
    """The count a rate or share stands on: '42 of 310 new businesses that year',
    '42 ÷ 8,650 residents'; '' for plain counts or when hidden."""
    if metric.kind not in ("rate", "share") or _missing(numerator):
        return ""
    unit = metric.english("unit")
    below = _(DENOMINATORS.get(unit, ""))
    if _missing(denominator):
        return _("{n} counted").format(n=i18n.integer(numerator))
    size = i18n.number(denominator, "{:,.2f}" if unit == "per km²" else "{:,.0f}")
    if metric.kind == "share":
        return _("{n} of {size} {below}").format(n=i18n.integer(numerator), size=size,
                                                 below=below).strip()
    return f"{i18n.integer(numerator)} ÷ {size} {below}".strip()


NOT_YET_BACK_TEXT = N_("not yet back")


def value_text(metric: Metric, value, suppressed: bool, threshold: int) -> str:
    """The value as a reader should see it; a suppressed figure (count, rate or index)
    never a number but 'withheld', the same word whatever the reason; years to recover
    with no value: 'not yet back' (the registry's caveat says so)."""
    if suppressed:
        return suppressed_text(threshold)
    if _missing(value) and not_yet_back(metric):
        return _(NOT_YET_BACK_TEXT)
    return format_value(value, metric.format)


def not_yet_back(metric: Metric) -> bool:
    """Whether a missing value of the metric means 'not yet recovered', not 'no data'."""
    return NOT_YET_BACK.strip() in metric.english("caveat")


def area_count(n: int) -> str:
    """'7 areas', '1 area': how many areas a colour class holds, said in the legend."""
    return i18n.ngettext("{n} area", "{n} areas", int(n)).format(n=i18n.integer(int(n)))


def year_phrase(metric: Metric, year: int) -> str:
    """The year a figure is for, said plainly: '2024', or for a survival rate the year the
    businesses opened ('businesses opened in 2022')."""
    if metric.id.startswith("survival_"):
        return _("businesses opened in {year}").format(year=year)
    if metric.group == RESILIENCE:     # filed under 2019, about 2019 to the 2020–2022 low
        return _("the 2020 downturn")
    return str(year)


def short_caveat(metric: Metric, width: int = 60, sentences: int = 1) -> str:
    """The caveat's first sentence(s), wrapped with <br> for a plotly tooltip."""
    if not metric.caveat:
        return ""
    parts = re.split(r"(?<=[.;])\s+", metric.caveat.strip())
    text = " ".join(parts[:sentences])
    return "<br>".join(textwrap.wrap(text, width))


def _missing(value) -> bool:
    try:
        return value is None or math.isnan(float(value))
    except (TypeError, ValueError):
        return value is pd.NA
