"""Presentation mode without Streamlit: a neighborhood told in six slides for a projector.

`/profile?n=N07&present=1&slide=2` (see docs/dashboard.md). Each slide is one entry of
`SLIDES`; only the slide on screen is built. A slide has a title, a few lines or headline
cards, and at most one figure, drawn with large type.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import plotly.graph_objects as go

from core import i18n, metrics
from core.i18n import N_, _

from . import bars, cards, charts, exports, maps, mix, narrative, queries
from .brief_content import gaps
from .db import Database
from .formatting import as_sentence, not_available_text

SLIDE_FONT = 24
SLIDE_HEIGHT = 540          # a slide's figure: with its title and footer it fits 1440 × 900
MIX_HEIGHT = 650            # the mix slide has no line of text above its figure
MIX_LABEL_FONT = 19         # every one of up to 20 category names fits beside its bars
TREND_METRICS = ["micro_per_1k_residents", "businesses_per_1k_residents", "active_businesses"]


@dataclass
class Slide:
    """What one slide shows."""

    title: str
    lines: list[str] = field(default_factory=list)
    cards: list[cards.Card] = field(default_factory=list)
    figure: go.Figure | None = None
    source: str = ""
    note: str = ""          # a footnote (a definition, a caveat) under the source line


@dataclass(frozen=True)
class Place:
    """The neighborhood being presented, and the shapes of the city's neighborhoods."""

    db: Database
    geo_id: str
    name: str
    shapes: dict
    threshold: int


def headline(place: Place) -> Slide:
    profile = queries.area_profile(place.db, place.geo_id, metrics.HEADLINE)
    present = set(profile["metric_id"])
    found = cards.cards(profile, [m for m in metrics.HEADLINE if m in present], place.threshold)
    lines = narrative.sentences(place.name, profile, None, place.threshold)[:3]
    return Slide(_("{name} at a glance").format(name=place.name), lines, found,
                 source=exports.source_line(place.db, metrics.HEADLINE),
                 note=cards.definitions(metrics.HEADLINE))


def where(place: Place) -> Slide:
    count = len(place.shapes["features"])
    line = _("{name} in orange, among the city's {count} {areas}.").format(
        areas=i18n.areas(plural=True),
        name=place.name, count=count)
    return Slide(_("Where {name} is").format(name=place.name), [line], [], locator_map(place.shapes, place.geo_id),
                 exports.source_line(place.db, [], ("neighborhoods",)))


def trend(place: Place) -> Slide:
    present = set(queries.metric_ids(place.db))
    chosen = next((m for m in TREND_METRICS if m in present), None)
    if chosen is None:
        return Slide(_("Over the years"), [_("No yearly figures in this database yet.")])
    metric = metrics.get(chosen)
    series = queries.area_series(place.db, [chosen], [place.geo_id])
    figure, _table = charts.area_trend(series, metric, place.threshold)
    return Slide(f"{metric.label}: " + _("{name} and the city").format(name=place.name), [], [],
                 big(figure),
                 exports.source_line(place.db, [chosen]))


def business_mix(place: Place) -> Slide:
    years = mix.category_years(place.db) if queries.has_rows(place.db, "category_counts") else []
    if not years:
        return Slide(_("Mix of businesses"), [_("No business categories in this database.")])
    shares = mix.category_mix(place.db, [place.geo_id], years[-1])
    figure, _table = bars.category_mix(shares, {place.geo_id: place.name, "city": _("City")},
                                  place.threshold, names_above=False)
    figure = big(figure, MIX_HEIGHT)
    # Every category named: type a little smaller than the rest, and no label skipped.
    figure.update_yaxes(tickfont={"size": MIX_LABEL_FONT})
    figure.update_layout(legend={"font": {"size": MIX_LABEL_FONT + 1}}, margin={"b": 120})
    return Slide(_("Kinds of business in {name}, {year}").format(name=place.name, year=years[-1]),
                 [], [], figure, exports.source_line(place.db, ["category_count"]),
                 note=_("Bars: the share of the {area}'s businesses in each kind; "
                        "grey tick: the city's share.").format(area=i18n.areas()))


def jobs(place: Place) -> Slide:
    series = queries.area_series(place.db, metrics.JOBS_TRIO, [place.geo_id],
                                 with_city=False)
    shown = [metrics.get(m) for m in metrics.JOBS_TRIO if (series["metric_id"] == m).any()]
    if not shown:
        return Slide(_("Jobs"), [_("No jobs figures in this database: they come from LEHD LODES "
                                   "workplace data, which this build did not load.")])
    figure, _table = charts.several_lines(series, shown, place.threshold, place.geo_id,
                                     y_title=_("jobs"))
    return Slide(_("Jobs located in {name}").format(name=place.name), [], [], big(figure),
                 exports.source_line(place.db, metrics.JOBS_TRIO), note=_(metrics.LODES_CAVEAT))


def capital(place: Place) -> Slide:
    """Loans and licence times (`metrics.CAPITAL_RED_TAPE`): a card per figure the city has,
    a sentence per reason for those it has not."""
    ids, unavailable = metrics.CAPITAL_RED_TAPE, queries.not_available(place.db)
    profile = queries.area_profile(place.db, place.geo_id, ids)
    present = [m for m in ids if m in set(profile["metric_id"])]
    found = cards.cards(profile, present, place.threshold)
    city = exports.city_info(place.db)["name"]
    lines = [as_sentence(f"{_(what)}: {not_available_text(city, why)}")
             for what, why in gaps([m for m in ids if m not in present], unavailable)]
    unsure = sorted({metrics.get(m).unreliable_words for m in profile.loc[
        profile["unreliable"].astype(bool), "metric_id"]})
    note = " ".join([*(as_sentence(_("Unreliable: {why}").format(why=w)) for w in unsure),
                     _("SBA: SBA-backed loans only. PPP business types are self-reported. "
                       "Loans placed by address or ZIP code. Licence times in calendar days.")])
    return Slide(_("Capital and red tape in {name}").format(name=place.name), lines, found,
                 source=exports.source_line(place.db, present), note=note)


SLIDES: list[tuple[str, Callable[[Place], Slide]]] = [
    (N_("Headline figures"), headline),
    (N_("Map"), where),
    (N_("Trend"), trend),
    (N_("Mix of businesses"), business_mix),
    (N_("Jobs"), jobs),
    (N_("Capital and red tape"), capital),
]


def build(place: Place, number: int) -> Slide:
    """Slide `number` (1-based) of the neighborhood."""
    return SLIDES[number - 1][1](place)


def big(figure: go.Figure, height: int = SLIDE_HEIGHT) -> go.Figure:
    """Type that reads from the back of a room, and a taller plot."""
    figure.update_layout(height=height, font={"size": SLIDE_FONT, "color": "#000000"},
                         title=None, margin={"t": 20, "l": 20, "r": 20, "b": 20},
                         legend={"font": {"size": SLIDE_FONT}})
    figure.update_xaxes(tickfont={"size": SLIDE_FONT}, linecolor="#000000")
    figure.update_yaxes(tickfont={"size": SLIDE_FONT}, linecolor="#000000")
    return figure


def locator_map(shapes: dict, geo_id: str) -> go.Figure:
    """Every neighborhood in grey, the chosen one in orange and outlined, each named where
    its name fits (`maps.locator_map`)."""
    return maps.locator_map(shapes, geo_id, SLIDE_HEIGHT)
