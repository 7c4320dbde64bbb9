"""Queries over the marts. Every value is a parameter; identifiers come from allow-lists."""
from __future__ import annotations

import pandas as pd

from .db import Database

GEO_LEVELS = ("neighborhood", "tract")


def suppression_threshold(db: Database) -> int:
    if not db.has_table("settings"):
        return 3
    return int(db.scalar("SELECT suppression_threshold FROM settings") or 3)


def metric_ids(db: Database) -> list[str]:
    """Metrics that have at least one value in this database."""
    return db.query("SELECT DISTINCT metric_id FROM metrics_long ORDER BY 1")["metric_id"].tolist()


def metric_years(db: Database, metric_id: str, geo_level: str = "neighborhood") -> list[int]:
    frame = db.query("SELECT DISTINCT year FROM metrics_long WHERE metric_id = ? AND geo_level = ? "
                     "ORDER BY year", [metric_id, geo_level])
    return [int(y) for y in frame["year"]]


def metric_by_area(db: Database, metric_id: str, year: int,
                   geo_level: str = "neighborhood") -> pd.DataFrame:
    """One row per area: value, the count behind it, flags, and its rank (1 = highest)."""
    if geo_level not in GEO_LEVELS:
        raise ValueError(f"unknown geography {geo_level!r}")
    names = ("SELECT neighborhood_id AS geo_id, name FROM neighborhoods" if geo_level == "neighborhood"
             else "SELECT geoid AS geo_id, coalesce(name, geoid) AS name FROM tracts")
    return db.query(f"""
        WITH m AS (
            SELECT geo_id, value, numerator, denominator, suppressed, unreliable
            FROM metrics_long WHERE metric_id = ? AND year = ? AND geo_level = ?)
        SELECT a.geo_id, a.name, m.value, m.numerator, m.denominator,
               coalesce(m.suppressed, false) AS suppressed,
               coalesce(m.unreliable, false) AS unreliable,
               CASE WHEN m.value IS NOT NULL AND NOT m.suppressed
                    THEN rank() OVER (PARTITION BY (m.value IS NOT NULL AND NOT m.suppressed)
                                      ORDER BY m.value DESC) END AS rank,
               count(CASE WHEN m.value IS NOT NULL AND NOT m.suppressed THEN 1 END) OVER () AS ranked
        FROM ({names}) a LEFT JOIN m USING (geo_id)
        ORDER BY m.value DESC NULLS LAST, a.name""", [metric_id, year, geo_level])


def city_series(db: Database, metric_ids: list[str]) -> pd.DataFrame:
    """City-wide values of some metrics for every year (long: year, metric_id, value, suppressed)."""
    marks = ", ".join("?" for _ in metric_ids)
    return db.query(f"""
        SELECT year, metric_id, value, suppressed FROM metrics_long
        WHERE geo_level = 'city' AND metric_id IN ({marks}) ORDER BY year""", metric_ids)


def latest_city_values(db: Database, metric_ids: list[str]) -> pd.DataFrame:
    """For each metric, its city-wide value in the latest year that has one."""
    marks = ", ".join("?" for _ in metric_ids)
    return db.query(f"""
        SELECT metric_id, year, value, suppressed FROM metrics_long
        WHERE geo_level = 'city' AND metric_id IN ({marks}) AND (value IS NOT NULL OR suppressed)
        QUALIFY row_number() OVER (PARTITION BY metric_id ORDER BY year DESC) = 1""", metric_ids)
