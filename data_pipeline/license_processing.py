"""Licence processing times: the calendar days from a licence application to its issue.

A registry that dates its applications (the profile's `[processing]` columns: `applied`,
`issued`) gives one row of `license_processing` per application: per registry row (a
licence term, a renewal, a change of location), not per merged business location. Only
rows the registry reading kept (loaded or merged into a location) count, each with its
term's neighborhood and category. A row with an empty date (an application never dated,
or not issued yet) is no application here.

An interval that cannot be right is kept, with its reason in `excluded`, and left out of
every figure (sql/marts/37_processing.sql): an issue before the application, more than
five years (MAX_DAYS) between them, or a date that cannot be read. `info` counts them for
`build_info`.
"""
from __future__ import annotations

import duckdb
import pandas as pd

from core import categories

from .profiles import Profile

MAX_DAYS = 1826   # five years of 365.25 days
BEFORE = "issued before applied"
TOO_LONG = f"more than 5 years ({MAX_DAYS:,} days) from application to issue"
UNREADABLE = "an application or issue date that could not be read"
COLUMNS = ["source_id", "row_number", "business_id", "neighborhood_id", "category", "applied",
           "issued", "days", "excluded"]
SCHEMA = """
CREATE TABLE IF NOT EXISTS license_processing (
    source_id       VARCHAR NOT NULL,   -- sources.source_id of the registry
    row_number      BIGINT NOT NULL,    -- 1-based row of the registry (one application)
    business_id     VARCHAR NOT NULL,   -- businesses.business_id it was merged into
    neighborhood_id VARCHAR NOT NULL,   -- of the row's own point
    category        VARCHAR NOT NULL,   -- plain-language category of the row's own licence
    applied         DATE,               -- application date (NULL: could not be read)
    issued          DATE,               -- issue date (NULL: could not be read)
    days            INTEGER,            -- issued − applied, calendar days
    excluded        VARCHAR             -- NULL: counted; else why the interval is left out
);
"""


def missing_columns(columns: list[str], profile: Profile) -> list[str]:
    """The `[processing]` columns the registry file does not have (older exports lack them)."""
    return [name for names in profile.processing.columns().values() for name in names
            if name not in columns]


def applications(con: duckdb.DuckDBPyConnection, source_id: str, dated: bool) -> None:
    """Table `license_processing` of the registry's working database: the kept rows of
    `judged` (the transform's terms: neighborhood, key and sector of each row) that carry
    both an application and an issue date; none unless `dated` (the profile maps the
    dates and the file has their columns, so `judged` carries them)."""
    if not dated:
        con.execute(f"CREATE OR REPLACE TABLE license_processing AS "  # noqa: S608 (reviewed: code-owned names)
                    f"SELECT * FROM ({EMPTY}) WHERE false")
        return
    con.register("sector_names", pd.DataFrame({"sector": list(categories.SECTORS),
                                               "category": list(categories.SECTORS.values())}))
    con.execute("""
        CREATE OR REPLACE TABLE license_processing AS
        SELECT $source AS source_id, row_number, $source || ':' || key AS business_id,
               neighborhood_id, coalesce(s.category, $unknown) AS category, applied, issued,
               date_diff('day', applied, issued)::INTEGER AS days,
               CASE WHEN applied_bad OR issued_bad THEN $unreadable
                    WHEN issued < applied THEN $before
                    WHEN date_diff('day', applied, issued) > $max_days THEN $too_long END AS excluded
        FROM judged j LEFT JOIN sector_names s ON s.sector = j.naics_sector
        WHERE reason IS NULL AND (applied IS NOT NULL OR applied_bad)
          AND (issued IS NOT NULL OR issued_bad)
        ORDER BY row_number""", {"source": source_id, "unknown": categories.UNKNOWN_CATEGORY,
                                 "unreadable": UNREADABLE, "before": BEFORE, "too_long": TOO_LONG,
                                 "max_days": MAX_DAYS})
    con.unregister("sector_names")


EMPTY = """SELECT NULL::VARCHAR AS source_id, NULL::BIGINT AS row_number,
    NULL::VARCHAR AS business_id, NULL::VARCHAR AS neighborhood_id, NULL::VARCHAR AS category,
    NULL::DATE AS applied, NULL::DATE AS issued, NULL::INTEGER AS days, NULL::VARCHAR AS excluded"""


def info(profile: Profile, con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """`build_info` of the processing times: whether the profile maps the dates, and how many
    applications were counted and left out."""
    counted, left_out = con.execute("SELECT count(excluded IS NULL OR NULL), count(excluded) "
                                    "FROM license_processing").fetchall()[0]
    if not profile.processing.enabled or counted + left_out == 0:
        return {"processing_dates": "none"}
    return {"processing_dates": "yes", "processing_applications": str(counted),
            "processing_excluded": str(left_out)}
