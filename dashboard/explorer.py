"""The map explorer's logic without Streamlit: which figures can be mapped, their values by
area, the ranking beside the map, and which profile a click opens."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from core import i18n, metrics
from core.i18n import _
from core.metrics import Metric

from . import classify, mix, queries, wording
from .formatting import flagged_sentence, withheld_sentence
from .db import Database

CATEGORY_METRICS = ["category_count", "location_quotient"]


@dataclass(frozen=True)
class MapDefaults:
    """The map's view where the link says nothing, by URL key: the map explorer's and the
    map embed's (the year: the latest the figure has)."""

    metric: str = "micro_per_1k_residents"
    level: str = "neighborhood"
    category: str = mix.ALL
    classes: str = classify.DEFAULT_SCHEME
    k: int = classify.DEFAULT_CLASSES


DEFAULTS = MapDefaults()


def default_metric(choices: list[str]) -> str:
    """The default figure if it is among `choices`, else the first of them."""
    return DEFAULTS.metric if DEFAULTS.metric in choices else choices[0]


def metric_choices(db: Database, geo_level: str, category: str) -> list[str]:
    """Metric ids the map can show: the category's measures when a category is chosen,
    else every registry metric with published values at this level (registry order)."""
    if category != mix.ALL:
        return CATEGORY_METRICS
    present = set(queries.metric_ids(db, geo_level))
    return [m for m in metrics.LONG_METRICS if m in present]


def years(db: Database, metric_id: str, geo_level: str, category: str) -> list[int]:
    if metric_id in CATEGORY_METRICS:
        return mix.category_years(db)
    return queries.metric_years(db, metric_id, geo_level)


def values(db: Database, metric_id: str, year: int, geo_level: str,
           category: str) -> pd.DataFrame:
    """One row per area: value, count behind it, flags, rank (as `queries.metric_by_area`)."""
    if metric_id in CATEGORY_METRICS:
        return mix.category_by_area(db, category, year, metric_id, geo_level)
    return queries.metric_by_area(db, metric_id, year, geo_level)


def title(metric: Metric, category: str) -> str:
    """The figure's name on the map: the metric, or the category's measure."""
    if category == mix.ALL:
        return metric.label
    if metric.id == "category_count":
        return _("{category}: active businesses").format(category=_(category))
    return _("{category}: concentration compared with the city").format(category=_(category))


def ranking(frame: pd.DataFrame, metric: Metric, threshold: int) -> pd.DataFrame:
    """Rank, area, value in words, and a note (low count, unreliable), best first; flagged
    values have no rank and follow the ranked ones."""
    table = pd.DataFrame({
        _("Rank"): ["" if pd.isna(r) else str(int(r)) for r in frame["rank"]],
        _("Area"): frame["name"],
        _("Value"): [wording.value_text(metric, v, bool(s), threshold)
                  for v, s in zip(frame["value"], frame["suppressed"])],
        _("Note"): [wording.flags_note(row) for _row, row in frame.iterrows()],
    })
    order = frame["rank"].astype("float64").fillna(float("inf")).to_numpy().argsort(kind="stable")
    return table.iloc[order].reset_index(drop=True)


def extremes(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series] | None:
    """The rows of the highest and the lowest published value; None if none is published."""
    shown = frame[frame["rank"].notna()]
    if shown.empty:
        return None
    return shown.loc[shown["value"].idxmax()], shown.loc[shown["value"].idxmin()]


def extremes_text(frame: pd.DataFrame, metric: Metric, geo_level: str) -> str:
    """'Highest: A (14.2). Lowest: B (3.1). 36 of 36 neighborhoods have a published value.'"""
    found = extremes(frame)
    if found is None:
        return _("No area has a published value for this figure and year.")
    top, low = found
    level = wording.level_nouns(geo_level)[1]
    ranked = int(frame["rank"].notna().sum())
    return _("Highest: **{top}** ({top_value}). Lowest: **{low}** ({low_value}). {ranked} of "
             "{total} {level} are ranked.").format(
        top=top["name"], top_value=i18n.number(top["value"], metric.format), low=low["name"],
        low_value=i18n.number(low["value"], metric.format), ranked=ranked, total=len(frame),
        level=level)


def disclosure_text(frame: pd.DataFrame, geo_level: str, threshold: int,
                    metric: Metric | None = None) -> str:
    """What is withheld and what is flagged among these areas, one sentence each."""
    level = wording.level_nouns(geo_level)[1]
    hidden = frame["suppressed"].astype(bool)
    shown = frame["value"].notna() & ~hidden
    low = shown & frame.get("low_count", pd.Series(False, index=frame.index)).astype(bool)
    unreliable = shown & frame["unreliable"].astype(bool) & ~low
    return " ".join(t for t in (
        withheld_sentence(int(hidden.sum()), len(frame), level, threshold),
        flagged_sentence(int(low.sum()), int(unreliable.sum()), len(frame), level,
                         *([metric.unreliable_words] if metric else []))) if t)


def clicked_area(event) -> str | None:
    """The geo_id of the area a map click selected, if any."""
    points = (event or {}).get("selection", {}).get("points", []) if event else []
    for point in points:
        found = point.get("location") or point.get("customdata")
        if isinstance(found, list):
            found = found[0] if found else None
        if found:
            return str(found)
    return None


def profile_target(db: Database, geo_id: str, geo_level: str) -> str | None:
    """The neighborhood whose profile a click on an area opens (a tract: the neighborhood
    holding most of its residents)."""
    if geo_level == "neighborhood":
        return geo_id
    return queries.tract_neighborhood(db).get(geo_id)
