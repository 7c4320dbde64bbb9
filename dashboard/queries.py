"""Queries over `metrics_long`. Every value is a parameter; identifiers come from allow-lists.

Ranks: 1 is the highest value; only published (not suppressed, not missing) values are
ranked, and `ranked` says how many areas were.
"""
from __future__ import annotations

import pandas as pd

from core import i18n

from .db import Database

GEO_LEVELS = ("neighborhood", "tract")
# The areas of each level, written once: their id, name and shape (queries, maps, exports).
_AREAS = {
    "neighborhood": "SELECT neighborhood_id AS geo_id, name, geometry_wkb FROM neighborhoods",
    "tract": "SELECT geoid AS geo_id, coalesce(name, geoid) AS name, geometry_wkb FROM tracts",
}


def _marks(values: list) -> str:
    return ", ".join("?" for _ in values) or "NULL"


def area_sql(geo_level: str) -> str:
    """The areas of a level as SQL text (geo_id, name, geometry_wkb): one of two fixed
    queries; an unknown level raises."""
    if geo_level not in GEO_LEVELS:
        raise ValueError(f"unknown geography {geo_level!r}")
    return _AREAS[geo_level]


def area_shapes(db: Database, geo_level: str) -> pd.DataFrame:
    """geo_id, name and geometry_wkb of every area of a level, by geo_id."""
    return db.query(f"SELECT geo_id, name, geometry_wkb FROM ({area_sql(geo_level)}) ORDER BY 1")  # noqa: S608 (reviewed: a fixed query)


def has_rows(db: Database, table: str) -> bool:
    """Whether a table exists and holds at least one row (table names from code only)."""
    return db.has_table(table) and bool(db.scalar(f"SELECT count(*) > 0 FROM {table}"))  # noqa: S608 (reviewed: placeholders only)


def suppression_threshold(db: Database) -> int:
    """Counts below this were withheld at build time; 0 (the default): none was."""
    if not db.has_table("settings"):
        return 0
    return int(db.scalar("SELECT suppression_threshold FROM settings") or 0)


# A value that may headline (be ranked, named highest or lowest, set a colour class's
# end): published, and flagged neither low count nor unreliable.
SOUND = ("m.value IS NOT NULL AND NOT m.suppressed AND NOT coalesce(m.low_count, false) "
         "AND NOT coalesce(m.unreliable, false)")


def metric_ids(db: Database, geo_level: str = "neighborhood") -> list[str]:
    """Metrics with at least one published value at this level."""
    return db.query("SELECT DISTINCT metric_id FROM metrics_long WHERE geo_level = ? "
                    "AND value IS NOT NULL ORDER BY 1", [geo_level])["metric_id"].tolist()


def geo_levels(db: Database) -> list[str]:
    """The levels that have areas and published figures: neighborhood, and tract if any."""
    found = db.query("SELECT DISTINCT geo_level FROM metrics_long WHERE value IS NOT NULL")
    present = set(found["geo_level"])
    return [level for level in GEO_LEVELS if level in present]


def metric_years(db: Database, metric_id: str, geo_level: str = "neighborhood") -> list[int]:
    """Years in which the metric has at least one published value at this level."""
    frame = db.query("SELECT DISTINCT year FROM metrics_long WHERE metric_id = ? AND "
                     "geo_level = ? AND value IS NOT NULL ORDER BY year", [metric_id, geo_level])
    return [int(y) for y in frame["year"]]


def areas(db: Database, geo_level: str = "neighborhood") -> pd.DataFrame:
    """geo_id and name of every area of a level, by name; a name ending in a number in
    number order ("Ward 2" before "Ward 10")."""
    return db.query(f"""SELECT geo_id, name FROM ({area_sql(geo_level)})
        ORDER BY regexp_replace(name, '[0-9]+$', ''),
                 TRY_CAST(regexp_extract(name, '([0-9]+)$', 1) AS BIGINT) NULLS FIRST,
                 name, geo_id""")  # noqa: S608 (reviewed: placeholders only)


def area_name(db: Database, geo_id: str, geo_level: str = "neighborhood") -> str | None:
    """The name of one area of a level; None when the level has no such area."""
    name = db.scalar(f"SELECT name FROM ({area_sql(geo_level)}) WHERE geo_id = ?", [geo_id])  # noqa: S608 (reviewed: a fixed query)
    return None if name is None else str(name)


def metric_by_area(db: Database, metric_id: str, year: int,
                   geo_level: str = "neighborhood") -> pd.DataFrame:
    """One row per area: value, the count behind it, flags, and its rank (1 = highest)."""
    return ranked_by_area(db, """
        SELECT geo_id, value, numerator, denominator, suppressed, unreliable, low_count
        FROM metrics_long WHERE metric_id = ? AND year = ? AND geo_level = ?""",
                          [metric_id, year, geo_level], geo_level)


def ranked_by_area(db: Database, values_sql: str, params: list,
                   geo_level: str = "neighborhood") -> pd.DataFrame:
    """Every area of the level with its row of `values_sql` (geo_id, value, numerator,
    denominator, suppressed, unreliable, low_count), ranked by value (1 = highest). Only
    sound values are ranked: hidden, missing, low-count and unreliable values get no rank
    and come after the ranked ones. `ranked` is how many areas have a rank, `areas` how
    many the level has."""
    return db.query(f"""
        WITH m AS ({values_sql})
        SELECT a.geo_id, a.name, m.value, m.numerator, m.denominator,
               coalesce(m.suppressed, false) AS suppressed,
               coalesce(m.unreliable, false) AS unreliable,
               coalesce(m.low_count, false) AS low_count,
               CASE WHEN {SOUND} THEN rank() OVER (PARTITION BY ({SOUND})
                                                   ORDER BY m.value DESC) END AS rank,
               count(CASE WHEN {SOUND} THEN 1 END) OVER () AS ranked,
               count(*) OVER () AS areas
        FROM ({area_sql(geo_level)}) a LEFT JOIN m USING (geo_id)
        ORDER BY coalesce({SOUND}, false) DESC, m.value DESC NULLS LAST, a.name""", params)  # noqa: S608 (reviewed: placeholders only)


def city_value(db: Database, metric_id: str, year: int) -> pd.Series | None:
    """The city-wide row (value, numerator, denominator, suppressed) of a metric in a year."""
    frame = db.query("SELECT value, numerator, denominator, suppressed FROM metrics_long "
                     "WHERE geo_level = 'city' AND metric_id = ? AND year = ?", [metric_id, year])
    return None if frame.empty else frame.iloc[0]


def city_series(db: Database, metric_ids: list[str]) -> pd.DataFrame:
    """City-wide values of some metrics for every year (year, metric_id, value, suppressed)."""
    return db.query(f"""
        SELECT year, metric_id, value, suppressed FROM metrics_long
        WHERE geo_level = 'city' AND metric_id IN ({_marks(metric_ids)}) ORDER BY year""",  # noqa: S608 (reviewed: placeholders only)
                    metric_ids)


def _named(frame: pd.DataFrame) -> pd.DataFrame:
    """The city's row named in the reader's language, and categories too (the marts hold
    English words)."""
    if i18n.language() == i18n.DEFAULT or frame.empty:
        return frame
    frame.loc[frame["geo_id"] == "city", "name"] = i18n.gettext("City")
    if "category" in frame:
        frame["category"] = frame["category"].map(
            lambda c: i18n.gettext(c) if isinstance(c, str) else c)
    return frame


def area_series(db: Database, metric_ids: list[str], geo_ids: list[str],
                geo_level: str = "neighborhood", with_city: bool = True) -> pd.DataFrame:
    """Values over the years for some areas (and the city): geo_id, name, year, metric_id,
    value, numerator, denominator, suppressed, unreliable. The city's geo_id is 'city'."""
    names = f"SELECT geo_id, name FROM ({area_sql(geo_level)}) UNION ALL SELECT 'city', 'City'"  # noqa: S608 (reviewed: a fixed query)
    return _named(db.query(f"""
        SELECT m.geo_id, a.name, m.year, m.metric_id, m.value, m.numerator, m.denominator,
               m.suppressed, m.unreliable, m.low_count
        FROM metrics_long m JOIN ({names}) a USING (geo_id)
        WHERE m.metric_id IN ({_marks(metric_ids)})
          AND ((m.geo_level = ? AND m.geo_id IN ({_marks(geo_ids)}))
               OR (? AND m.geo_level = 'city'))
        ORDER BY m.metric_id, m.geo_id, m.year""",  # noqa: S608 (reviewed: placeholders only)
                    [*metric_ids, geo_level, *geo_ids, with_city]))


def latest_city_values(db: Database, metric_ids: list[str]) -> pd.DataFrame:
    """For each metric, its city-wide value in the latest year that has one."""
    return db.query(f"""
        SELECT metric_id, year, value, suppressed FROM metrics_long
        WHERE geo_level = 'city' AND metric_id IN ({_marks(metric_ids)})
          AND (value IS NOT NULL OR suppressed)
        QUALIFY row_number() OVER (PARTITION BY metric_id ORDER BY year DESC) = 1""",  # noqa: S608 (reviewed: placeholders only)
                    metric_ids)


def area_profile(db: Database, geo_id: str, metric_ids: list[str],
                 geo_level: str = "neighborhood") -> pd.DataFrame:
    """For each metric, the area's figures in the latest year the metric has at this level
    (published or hidden), with the city's value and the area's rank that year (`ranked`:
    how many areas have a rank, `areas`: how many the level has)."""
    frame = db.query(f"""
        WITH latest AS (
            SELECT metric_id, max(year) AS year FROM metrics_long
            WHERE geo_level = ? AND metric_id IN ({_marks(metric_ids)})
              AND (value IS NOT NULL OR suppressed)
            GROUP BY metric_id),
        ranked AS (
            SELECT m.*, CASE WHEN {SOUND} THEN rank() OVER (
                       PARTITION BY m.metric_id, ({SOUND}) ORDER BY m.value DESC) END AS rank,
                   count(CASE WHEN {SOUND} THEN 1 END)
                       OVER (PARTITION BY m.metric_id) AS ranked
            FROM metrics_long m JOIN latest l USING (metric_id, year)
            WHERE m.geo_level = ?)
        SELECT r.metric_id, r.year, r.value, r.numerator, r.denominator, r.suppressed,
               r.unreliable, r.low_count, r.moe, r.rank, r.ranked,
               c.value AS city_value, c.suppressed AS city_suppressed
        FROM ranked r
        LEFT JOIN metrics_long c ON c.geo_level = 'city' AND c.metric_id = r.metric_id
                                AND c.year = r.year
        WHERE r.geo_id = ?""", [geo_level, *metric_ids, geo_level, geo_id])  # noqa: S608 (reviewed: placeholders only)
    if geo_level not in GEO_LEVELS:    # the city's own row: no areas to rank among
        return frame.assign(areas=None)
    return frame.assign(areas=db.scalar(f"SELECT count(*) FROM ({area_sql(geo_level)})"))  # noqa: S608 (reviewed: a fixed query)


def processing_by_category(db: Database, geo_id: str = "city") -> pd.DataFrame:
    """Days from a licence application to its issue by kind of business, for one
    neighborhood or the city ('city'), every year (`processing_by_category`): geo_id, name,
    year, category, applications, median_days, p90_days, share_over_30, suppressed,
    low_count. Empty when the registry dates no applications."""
    if not db.has_table("processing_by_category"):
        return pd.DataFrame(columns=["geo_id", "name", "year", "category", "applications",
                                     "median_days", "p90_days", "share_over_30",
                                     "suppressed", "low_count"])
    names = f"SELECT geo_id, name FROM ({area_sql('neighborhood')}) UNION ALL SELECT 'city', 'City'"  # noqa: S608 (reviewed: a fixed query)
    return _named(db.query(f"""
        SELECT p.geo_id, a.name, p.year, p.category, p.applications, p.median_days,
               p.p90_days, p.share_over_30, p.suppressed, p.low_count
        FROM processing_by_category p JOIN ({names}) a USING (geo_id)
        WHERE p.geo_id = ? AND p.geo_level = CASE WHEN ? = 'city' THEN 'city'
                                                  ELSE 'neighborhood' END
        ORDER BY p.year, p.category""", [geo_id, geo_id]))  # noqa: S608 (reviewed: placeholders only)


def tract_neighborhood(db: Database) -> dict[str, str]:
    """Tract GEOID → the neighborhood holding most of its residents (for clicks on tracts)."""
    frame = db.query("""
        SELECT geoid, neighborhood_id FROM tract_neighborhood_weights
        QUALIFY row_number() OVER (PARTITION BY geoid ORDER BY weight DESC, neighborhood_id) = 1""")
    return dict(zip(frame["geoid"], frame["neighborhood_id"]))


def not_available(db: Database) -> dict[str, str]:
    """Metric id → why this city's data cannot give it (only for metrics it cannot give)."""
    if not db.has_table("metric_registry") or "not_available" not in db.columns("metric_registry"):
        return {}
    frame = db.query("SELECT metric_id, not_available FROM metric_registry "
                     "WHERE not_available IS NOT NULL")
    return dict(zip(frame["metric_id"], frame["not_available"]))
