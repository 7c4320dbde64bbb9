"""What a brief prints, as data: `BriefContent` and its table rows, and the notes said
from them (what the mix leaves out, what is not available for the city).

`brief.gather` fills it from the marts and `brief_pdf.draw` lays it out: `brief` imports
`brief_pdf` and this module, `brief_pdf` only this one (no import cycle).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from core import i18n, metrics
from core.i18n import N_, _

from .formatting import as_sentence, not_available_text

DEMO_NOTE = N_("These are demo figures from a synthetic city, not real data.")


@dataclass
class Row:
    """One line of the headline or jobs table, as printed."""

    label: str
    here: str
    city: str = ""
    rank: str = ""
    missing: str = ""    # why the figure is not available for this city ('' when it is)
    unreliable: str = ""  # why the value is marked unreliable ('' when it is not)
    metric_id: str = field(default="", compare=False)   # the figure's id ('' for a gap)


@dataclass
class BriefContent:
    city: str
    place: str
    is_city: bool
    is_demo: bool
    year: int | None
    made_on: date
    threshold: int
    headline: list[Row]
    sentences: list[str]
    trend: pd.DataFrame                     # year, formations, closures (NaN = hidden)
    categories: pd.DataFrame                # category, count, suppressed, share, city_share
    hidden_categories: int
    jobs: list[Row]
    jobs_year: int | None
    sources: list[str]
    methods: str
    shapes: list[tuple[str, object]] = field(default_factory=list)   # (geo_id, shapely geom)
    highlight: str | None = None
    demo_note: str = DEMO_NOTE
    left_out: pd.DataFrame | None = None    # the categories past the top ones (not drawn)
    downturn: list[Row] = field(default_factory=list)   # the 2020 downturn (`downturn.KEY`)
    capital: list[Row] = field(default_factory=list)    # `metrics.CAPITAL_RED_TAPE`


def left_out_note(c: BriefContent) -> str:
    """What the mix leaves out: 'The 10 largest of 18 kinds of business here; the other 8
    (6% of its businesses) are not drawn: Wholesale, …'; '' when nothing is left out."""
    rest = c.left_out if c.left_out is not None else pd.DataFrame()
    if rest.empty:
        return ""
    shown = len(c.categories)
    share = rest.loc[~rest["suppressed"].astype(bool), "share"].fillna(0).sum()
    where = _("the city") if c.is_city else c.place
    return i18n.ngettext(
        "The {shown} largest of {total} kinds of business in {where}; the other {rest} kind "
        "({share} of its businesses) is not drawn: {names}.",
        "The {shown} largest of {total} kinds of business in {where}; the other {rest} kinds "
        "({share} of its businesses) are not drawn: {names}.", len(rest)).format(
        shown=shown, total=shown + len(rest), where=where, rest=len(rest),
        share=i18n.percent(share), names=", ".join(rest["category"]))


def missing_note(city: str, rows: list[Row]) -> str:
    """'Not available for Chicago: residents and jobs (no Census population (ACS) was
    loaded; …).' for the rows of a table that read 'not available'; '' when none do."""
    reasons: dict[str, list[str]] = {}
    for row in rows:
        if row.missing:
            reasons.setdefault(row.missing, []).append(lower_first(row.label))
    if not reasons:
        return ""
    parts = [f"{', '.join(labels)}: {why}" for why, labels in reasons.items()]
    return as_sentence(not_available_text(city, "; ".join(parts)))


def unreliable_note(rows: list[Row]) -> str:
    """'Unreliable: PPP loans per 1,000 businesses, 2021 (more loans than registered
    businesses: …).' for the rows marked unreliable, the why from the registry; '' when none."""
    said = [f"{row.label} ({row.unreliable})" for row in rows if row.unreliable]
    return as_sentence(_("Unreliable: {why}").format(why="; ".join(said))) if said else ""


def gaps(ids: list[str], unavailable: dict[str, str]) -> list[tuple[str, str]]:
    """(what, why) for the figures of `ids` this city cannot give, one pair per reason: what
    is the loan program when they are all of one ('PPP loans'), else their group."""
    reasons: dict[str, list[str]] = {}
    for metric_id in ids:
        if metric_id in unavailable:
            reasons.setdefault(unavailable[metric_id], []).append(metric_id)
    return [(_what(found), why) for why, found in reasons.items()]


def _what(ids: list[str]) -> str:
    families = {i.split("_")[0] for i in ids}
    count = f"{next(iter(families))}_loans"
    if len(families) == 1 and count in metrics.REGISTRY:
        return metrics.get(count).english("label").removesuffix(" approved")
    return metrics.get(ids[0]).group


def lower_first(label: str) -> str:
    """'Micro-businesses' → 'micro-businesses'; 'PPP loans' stays as it is."""
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


def is_missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))
