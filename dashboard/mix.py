"""Queries about what kinds of business an area has: category counts, location quotients,
and jobs by sector. Values are parameters; hidden counts stay hidden (NULL, suppressed)."""
from __future__ import annotations

import pandas as pd

from core import i18n
from core.categories import SECTORS, UNKNOWN_CATEGORY

from .db import Database
from .queries import ranked_by_area

ALL = "all"   # the category filter's "every category" value


def named(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its categories in the reader's language (the marts hold the English
    names; a filter keeps those, as the URL does)."""
    if i18n.language() != i18n.DEFAULT and "category" in frame and len(frame):
        frame["category"] = frame["category"].map(
            lambda c: i18n.gettext(c) if isinstance(c, str) else c)
    return frame


def categories(db: Database, year: int | None = None, geo_level: str | None = None) -> list[str]:
    """Categories with businesses in the city (in `year` if given), by name; with
    `geo_level`, only if the marts count categories at that level."""
    if geo_level and not db.scalar("SELECT count(*) > 0 FROM category_counts WHERE geo_level = ?",
                                   [geo_level]):
        return []
    frame = db.query("SELECT DISTINCT category FROM category_counts WHERE geo_level = 'city' "
                     "AND (? IS NULL OR year = ?) ORDER BY 1", [year, year])
    return frame["category"].tolist()


def category_years(db: Database) -> list[int]:
    frame = db.query("SELECT DISTINCT year FROM category_counts ORDER BY 1")
    return [int(y) for y in frame["year"]]


def category_by_area(db: Database, category: str, year: int, measure: str,
                     geo_level: str = "neighborhood") -> pd.DataFrame:
    """Like `queries.metric_by_area` for one category: `measure` 'category_count' (active
    businesses of the category) or 'location_quotient'."""
    value, table, low = {"category_count": ("count", "category_counts", "false"),
                         "location_quotient": ("lq", "location_quotients", "low_count")}[measure]
    return ranked_by_area(db, f"""
        SELECT geo_id, {value} AS value, count AS numerator, NULL::DOUBLE AS denominator,
               suppressed, false AS unreliable, {low} AS low_count
        FROM {table} WHERE category = ? AND year = ? AND geo_level = ?""",  # noqa: S608 (reviewed: placeholders only)
                          [category, year, geo_level], geo_level)


def category_mix(db: Database, geo_ids: list[str], year: int,
                 geo_level: str = "neighborhood") -> pd.DataFrame:
    """Active businesses by category for some areas and the city: geo_id, category, count,
    suppressed, share (of the area's shown and hidden businesses; NULL when hidden),
    city_share, lq."""
    marks = ", ".join("?" for _ in geo_ids) or "NULL"
    return named(db.query(f"""
        WITH totals AS (
            SELECT geo_id, value AS total FROM metrics_long
            WHERE metric_id = 'active_businesses' AND year = ?
              AND (geo_level = 'city' OR (geo_level = ? AND geo_id IN ({marks})))),
        counts AS (
            SELECT geo_id, category, count, suppressed FROM category_counts
            WHERE year = ? AND (geo_level = 'city' OR (geo_level = ? AND geo_id IN ({marks}))))
        SELECT c.geo_id, c.category, c.count, c.suppressed, c.count / nullif(t.total, 0) AS share,
               cc.count / nullif(ct.total, 0) AS city_share, lq.lq
        FROM counts c
        LEFT JOIN totals t USING (geo_id)
        LEFT JOIN counts cc ON cc.geo_id = 'city' AND cc.category = c.category
        LEFT JOIN totals ct ON ct.geo_id = 'city'
        LEFT JOIN location_quotients lq ON lq.geo_level = ? AND lq.geo_id = c.geo_id
             AND lq.year = ? AND lq.category = c.category AND NOT lq.suppressed
        ORDER BY c.geo_id, c.category""",  # noqa: S608 (reviewed: placeholders only)
                    [year, geo_level, *geo_ids, year, geo_level, *geo_ids, geo_level, year]))


def location_quotients(db: Database, geo_id: str, year: int,
                       geo_level: str = "neighborhood") -> pd.DataFrame:
    """An area's location quotient for each category (hidden ones included, flagged)."""
    return named(db.query("""
        SELECT category, count, share, city_share, lq, suppressed, low_count
        FROM location_quotients
        WHERE geo_level = ? AND geo_id = ? AND year = ? ORDER BY lq DESC NULLS LAST, category""",
                    [geo_level, geo_id, year]))


def jobs_years(db: Database) -> list[int]:
    frame = db.query("SELECT DISTINCT year FROM jobs_by_sector ORDER BY 1")
    return [int(y) for y in frame["year"]]


def jobs_by_sector(db: Database, neighborhood_id: str | None, year: int) -> pd.DataFrame:
    """Jobs by NAICS sector in a neighborhood (None: the city) in a year: sector, jobs.

    A unit known by its neighborhood counts there; a unit known only by its tract is split
    by the tract's weights (the same rule as the jobs marts)."""
    frame = db.query("""
        WITH placed AS (
            SELECT s.naics_sector, s.jobs * 1.0 AS jobs, j.neighborhood_id
            FROM jobs_by_sector s JOIN jobs j USING (geo_level, geo_id, year)
            WHERE s.year = ? AND j.neighborhood_id IS NOT NULL
            UNION ALL
            SELECT s.naics_sector, s.jobs * w.weight, w.neighborhood_id
            FROM jobs_by_sector s JOIN jobs j USING (geo_level, geo_id, year)
            JOIN tract_neighborhood_weights w ON w.geoid = j.tract_geoid
            WHERE s.year = ? AND j.neighborhood_id IS NULL)
        SELECT naics_sector AS sector, sum(jobs) AS jobs FROM placed
        WHERE ? IS NULL OR neighborhood_id = ?
        GROUP BY 1 ORDER BY 2 DESC""", [year, year, neighborhood_id, neighborhood_id])
    frame["category"] = frame["sector"].map(SECTORS).fillna(UNKNOWN_CATEGORY)
    return named(frame)


def hide_small(frame: pd.DataFrame, column: str, threshold: int) -> pd.DataFrame:
    """Mark rows below the threshold as suppressed; when exactly one row is hidden, hide
    the next smallest too, so the total minus the shown rows does not reveal it."""
    frame = frame.copy()
    values = frame[column].round()
    frame["suppressed"] = values < threshold
    if frame["suppressed"].sum() == 1 and len(frame) > 1:
        frame.loc[values[~frame["suppressed"]].idxmin(), "suppressed"] = True
    frame[column] = frame[column].where(~frame["suppressed"])
    return frame
