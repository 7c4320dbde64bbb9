"""The neighborhood brief: a two-page PDF for a community meeting, made without a browser.

    pdf_bytes = brief.make_brief(db, "N07", date.today())   # None: the city's brief

`gather` reads everything the brief shows into a `BriefContent` (testable on its own);
`brief_pdf.draw` lays it out with fpdf2 (locator map, tables, trend chart and bars drawn
as PDF vector graphics). Hidden figures are said as "withheld".
"""
from __future__ import annotations

from datetime import date

import pandas as pd
import shapely

from core import metrics
from core import i18n
from core.i18n import N_, _

from . import brief_pdf, downturn, exports, mix, narrative, queries, wording
from .brief_content import DEMO_NOTE, BriefContent, Row, gaps, is_missing
from .brief_content import left_out_note as left_out_note   # part of the brief's interface
from .db import Database
from .formatting import format_value, ordinal, suppressed_text
from .images import file_name

TREND = ["formations", "closures"]
TOP_CATEGORIES = 10
MIN_CATEGORIES = 4      # the mix draws at least these many, however full the pages
MAX_SENTENCES = 5
MIN_SENTENCES = 2     # the fewest the first page keeps when it would overflow
METHODS = N_(
    "Counts come from the city's business registry: a business is active in a year if it "
    "was open on 31 December. Rates per 1,000 residents use one ACS 5-year estimate of the "
    "population, split from census tracts to {areas}. Jobs are LEHD LODES workplace "
    "jobs; small firms have fewer than 20 employees and young firms are 0 to 3 years old, "
    "both measured for the whole firm nationwide, private jobs only. {disclosure} A rate, "
    "share or index computed from fewer than 20 businesses or events is marked \"low "
    "count\". Ranks run from 1 (highest value) and count only areas whose figure is shown "
    "and not marked low count or unreliable.")
PUBLISHED = N_("The registry is public record, so its counts are published as they are.")
WITHHELD_RULE = N_("Counts below {t} are shown as \"{small}\", and so are a few larger counts "
                 "hidden so that a smaller count cannot be worked out from the totals, and any "
                 "figure computed from a withheld count.")


def make_brief(db: Database, neighborhood_id: str | None, made_on: date) -> bytes:
    """The PDF brief of one neighborhood, or of the city when `neighborhood_id` is None:
    two pages, with fewer sentences when the first page would overflow and the mix drawing
    fewer kinds of business when the second would (the ones left out are named under it)."""
    content = gather(db, neighborhood_id, made_on)
    data, pages, first = brief_pdf.render(content)
    while first > 1 and len(content.sentences) > MIN_SENTENCES:
        content.sentences = content.sentences[:-1]
        data, pages, first = brief_pdf.render(content)
    every = pd.concat([content.categories, content.left_out], ignore_index=True)
    for top in range(len(content.categories) - 1, MIN_CATEGORIES - 1, -1):
        if pages <= brief_pdf.PAGES:
            break
        content.categories, content.left_out = every.head(top), every.iloc[top:].reset_index(drop=True)
        data, pages, _rest = brief_pdf.render(content)
    return data


def brief_file_name(db: Database, neighborhood_id: str | None) -> str:
    info = exports.city_info(db)
    what = _("city") if neighborhood_id is None else exports.area_name(db, neighborhood_id)
    return file_name(info["slug"], what, None, "pdf", "brief")


def gather(db: Database, neighborhood_id: str | None, made_on: date) -> BriefContent:
    """Everything the brief prints, read from the marts (never from `businesses`)."""
    info, threshold = exports.city_info(db), queries.suppression_threshold(db)
    place = exports.area_name(db, neighborhood_id)
    latest = _latest(db, neighborhood_id, list(dict.fromkeys(
        metrics.BRIEF_HEADLINE + metrics.BRIEF_JOBS + metrics.STORY
        + tuple(downturn.key_figures()) + metrics.CAPITAL_RED_TAPE)))
    year = _year_of(latest, "active_businesses")
    categories = _categories(db, neighborhood_id, year)
    trend = _trend(db, neighborhood_id)
    return BriefContent(
        city=info["name"], place=place, is_city=neighborhood_id is None,
        is_demo=info["is_demo"] == "true", year=year, made_on=made_on, threshold=threshold,
        headline=_rows(latest, metrics.BRIEF_HEADLINE, threshold, neighborhood_id is None,
                       queries.not_available(db)),
        sentences=_sentences(db, place, neighborhood_id, latest, threshold, year),
        trend=trend, categories=categories.head(TOP_CATEGORIES),
        left_out=categories.iloc[TOP_CATEGORIES:].reset_index(drop=True),
        hidden_categories=int(categories["suppressed"].sum()),
        jobs=_rows(latest, metrics.BRIEF_JOBS, threshold, neighborhood_id is None,
                   queries.not_available(db)),
        jobs_year=_year_of(latest, "jobs_total"),
        sources=_sources(db), methods=_(METHODS).format(disclosure=_(WITHHELD_RULE).format(
            t=threshold, small=suppressed_text(threshold)) if threshold > 0 else _(PUBLISHED),
            areas=i18n.areas(plural=True)),
        shapes=_shapes(db), highlight=neighborhood_id,
        demo_note=_(db.info().get("demo_note") or DEMO_NOTE),
        downturn=_downturn_rows(latest, threshold, neighborhood_id is None,
                                queries.not_available(db)),
        capital=capital_rows(latest, threshold, neighborhood_id is None,
                             queries.not_available(db)))


def capital_rows(latest: pd.DataFrame, threshold: int, is_city: bool,
                 missing: dict[str, str]) -> list[Row]:
    """The capital and red-tape block (`metrics.CAPITAL_RED_TAPE`): a row per figure the
    city has, and one 'not available' row per reason for those it has not ('PPP loans')."""
    ids = metrics.CAPITAL_RED_TAPE
    rows = _rows(latest, [m for m in ids if m not in missing], threshold, is_city)
    return rows + [Row(_(what), _("not available"), missing=_(why))
                   for what, why in gaps(ids, missing)]


def _downturn_rows(latest: pd.DataFrame, threshold: int, is_city: bool,
                   missing: dict[str, str]) -> list[Row]:
    """The downturn's rows of the headline table; one 'not available' row when the city
    cannot give any of them (a registry that does not reach back to 2019)."""
    rows = _rows(latest, downturn.key_figures(), threshold, is_city, missing)
    if rows and all(r.missing for r in rows):
        return [Row(_("The 2020 downturn"), _("not available"), missing=rows[0].missing)]
    return rows


def _latest(db: Database, neighborhood_id: str | None, ids: list[str]) -> pd.DataFrame:
    """One row per metric: its latest year's value with the city's value and the rank."""
    if neighborhood_id is not None:
        return queries.area_profile(db, neighborhood_id, ids)
    # the city's own row (with its low-count and unreliable flags); it is not ranked
    frame = queries.area_profile(db, "city", ids, geo_level="city")
    return frame.assign(rank=float("nan"), ranked=float("nan"), city_value=float("nan"),
                        city_suppressed=False)


def _year_of(latest: pd.DataFrame, metric_id: str) -> int | None:
    found = latest.loc[latest["metric_id"] == metric_id, "year"]
    return None if found.empty else int(found.iloc[0])


def _rows(latest: pd.DataFrame, ids: list[str], threshold: int, is_city: bool,
          missing: dict[str, str] | None = None) -> list[Row]:
    rows = []
    by_id = {r["metric_id"]: r for r in latest.to_dict("records")}
    for metric_id in ids:
        if metric_id not in by_id:
            if metric_id in (missing or {}):
                rows.append(Row(_short(metrics.get(metric_id).label), _("not available"),
                                missing=_(missing[metric_id])))
            continue
        r, m = by_id[metric_id], metrics.get(metric_id)
        here = value_words(m, r["value"], bool(r["suppressed"]), threshold)
        if r.get("low_count") and not bool(r["suppressed"]) and not is_missing(r["value"]):
            here += _(" (low count)")
        why = ""
        if r.get("unreliable") and not bool(r["suppressed"]):
            here, why = here + _(" (unreliable)"), wording.unreliable_text(m)
        # a downturn figure's label says its years (it is filed under 2019)
        label = _short(m.label) if m.group == metrics.RESILIENCE else f"{_short(m.label)}, {r['year']}"
        city = "" if is_city else value_words(m, r.get("city_value"),
                                              bool(r.get("city_suppressed")), threshold)
        rank = "" if is_city else rank_text(r.get("rank"), r.get("ranked"), r.get("areas"))
        rows.append(Row(label, here, city, rank, unreliable=why, metric_id=metric_id))
    return rows


def value_words(metric: metrics.Metric, value, suppressed: bool, threshold: int) -> str:
    """The value as printed: 'withheld' for any hidden figure (a count, or a rate or share
    whose count is hidden), 'no data' when missing."""
    if suppressed:
        return suppressed_text(threshold)
    if is_missing(value) and wording.not_yet_back(metric):
        return _(wording.NOT_YET_BACK_TEXT)
    return format_value(value, metric.format)


def rank_text(rank, ranked, areas=None) -> str:
    """'3rd of 36'; '1st of 2 ranked, out of 50' when some areas are not ranked (low count,
    unreliable, withheld, no figure); '' without a rank."""
    if is_missing(rank) or is_missing(ranked) or int(ranked) < 2:   # '1st of 1' ranks nothing
        return ""
    if not is_missing(areas) and int(areas) > int(ranked):
        return _("{rank} of {ranked} ranked, out of {areas}").format(
            rank=ordinal(int(rank)), ranked=int(ranked), areas=int(areas))
    return _("{rank} of {ranked}").format(rank=ordinal(int(rank)), ranked=int(ranked))


def _short(label: str) -> str:
    for said in (" (city registry)", " (ACS estimate)"):
        label = label.replace(said, "").replace(_(said), "")
    return label


def _trend(db: Database, neighborhood_id: str | None) -> pd.DataFrame:
    if neighborhood_id is None:
        series = queries.city_series(db, TREND)
    else:
        series = queries.area_series(db, TREND, [neighborhood_id], with_city=False)
    series = series.assign(value=series["value"].where(~series["suppressed"].astype(bool)))
    wide = series.pivot_table(index="year", columns="metric_id", values="value",
                              aggfunc="first", dropna=False)
    return wide.reindex(columns=TREND).reset_index().sort_values("year")


def _categories(db: Database, neighborhood_id: str | None, year: int | None) -> pd.DataFrame:
    """The area's categories by count (hidden ones last), with its and the city's shares."""
    columns = ["category", "count", "suppressed", "share", "city_share"]
    if year is None:
        return pd.DataFrame(columns=columns)
    geo = "city" if neighborhood_id is None else neighborhood_id
    frame = mix.category_mix(db, [] if neighborhood_id is None else [neighborhood_id], year)
    frame = frame[frame["geo_id"] == geo].copy()
    frame["suppressed"] = frame["suppressed"].astype(bool)
    frame = frame[frame["suppressed"] | (frame["count"].fillna(0) > 0)]
    frame = frame.sort_values(["suppressed", "count", "category"], ascending=[True, False, True])
    return frame[columns].reset_index(drop=True)


def _sentences(db: Database, place: str, neighborhood_id: str | None, latest: pd.DataFrame,
               threshold: int, year: int | None) -> list[str]:
    """The profile page's sentences (`narrative`), the first few: the brief has room for 5."""
    quotients = (mix.location_quotients(db, neighborhood_id, year)
                 if neighborhood_id is not None and year is not None else None)
    hidden = latest["suppressed"].astype(bool)
    said = narrative.sentences(place, latest[~hidden], quotients, threshold)
    if neighborhood_id is None and year is not None:
        said.insert(1, _extremes(db, "micro_per_1k_residents", year))
    said = [s for s in said if s][:MAX_SENTENCES]
    if hidden[latest["metric_id"].isin(metrics.STORY)].any() and len(said) < MAX_SENTENCES:
        said.append(_("Some figures for {place} are withheld (fewer than {threshold}, or "
                      "hidden to protect a smaller count).").format(place=place,
                                                                    threshold=threshold))
    return said


def _extremes(db: Database, metric_id: str, year: int) -> str:
    """'… was highest in A (40.2) and lowest in B (3.1)': the city brief's range."""
    frame = queries.metric_by_area(db, metric_id, year)
    shown = frame[frame["rank"].notna()].sort_values("value")
    if len(shown) < 2:
        return ""
    metric, low, high = metrics.get(metric_id), shown.iloc[0], shown.iloc[-1]
    return _("Among the {count} {areas} with a published figure, {figure} ranged from "
             "{low} in {low_name} to {high} in {high_name}.").format(
        areas=i18n.areas(plural=True), count=len(shown), figure=metric.label.lower(), low=i18n.number(low["value"], metric.format),
        low_name=low["name"], high=i18n.number(high["value"], metric.format),
        high_name=high["name"])


def _sources(db: Database) -> list[str]:
    """'Name (publisher), vintage V' for every source loaded into the database."""
    return exports.source_list(db, publishers=True)


def _shapes(db: Database) -> list[tuple[str, object]]:
    """Neighborhood outlines, simplified to about 1/500 of the city's width."""
    frame = queries.area_shapes(db, "neighborhood")
    geoms = shapely.from_wkb(frame["geometry_wkb"].map(bytes).to_numpy())
    if len(geoms) == 0:
        return []
    west, south, east, north = shapely.total_bounds(geoms)
    tolerance = max(east - west, north - south, 1e-9) / 500
    simple = shapely.simplify(geoms, tolerance, preserve_topology=True)
    return list(zip(frame["geo_id"], simple))
