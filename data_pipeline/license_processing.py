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

import numpy as np
import pandas as pd

from core import categories

from . import transform_fields as tf
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


def missing_columns(frame: pd.DataFrame, profile: Profile) -> list[str]:
    """The `[processing]` columns the registry file does not have (older exports lack them)."""
    return [name for names in profile.processing.columns().values() for name in names
            if name not in frame.columns]


def applications(frame: pd.DataFrame, profile: Profile, kept: pd.DataFrame,
                 businesses: pd.DataFrame, source_id: str) -> pd.DataFrame:
    """`license_processing` rows of the kept registry rows (`kept`: transform terms, indexed
    like `frame`, with their neighborhood) that carry both an application and an issue date;
    none when the profile maps no dates or the file lacks a column it names."""
    dates = profile.processing
    if not dates.enabled or kept.empty or missing_columns(frame, profile):
        return pd.DataFrame(columns=COLUMNS)
    rows = frame.loc[kept.index]
    applied, applied_bad = tf.dates(rows, dates.applied, profile.date_formats)
    issued, issued_bad = tf.dates(rows, dates.issued, profile.date_formats)
    dated = (applied.notna() | applied_bad) & (issued.notna() | issued_bad)
    days = (issued - applied).dt.days
    excluded = np.select([applied_bad | issued_bad, days < 0, days > MAX_DAYS],
                         [UNREADABLE, BEFORE, TOO_LONG], default="")
    kept = kept[dated]
    business_of = dict(zip(businesses["source_key"], businesses["business_id"]))
    out = pd.DataFrame({
        "source_id": source_id,
        "row_number": kept["row_number"].to_numpy(dtype="int64"),
        "business_id": kept["key"].astype(str).map(business_of).to_numpy(dtype=object),
        "neighborhood_id": kept["neighborhood_id"].astype(str).to_numpy(dtype=object),
        "category": kept["naics_sector"].map(categories.SECTORS)
                                        .fillna(categories.UNKNOWN_CATEGORY).to_numpy(dtype=object),
        "applied": applied[dated].dt.date.to_numpy(dtype=object),
        "issued": issued[dated].dt.date.to_numpy(dtype=object),
        "days": days[dated].astype("Int64").to_numpy(),
        "excluded": excluded[dated.to_numpy()],
    }, columns=COLUMNS)
    out["excluded"] = out["excluded"].where(out["excluded"] != "", None)
    return out.reset_index(drop=True)


def info(profile: Profile, table: pd.DataFrame) -> dict[str, str]:
    """`build_info` of the processing times: whether the profile maps the dates, and how many
    applications were counted and left out."""
    if not profile.processing.enabled or table.empty:
        return {"processing_dates": "none"}
    left_out = int(table["excluded"].notna().sum())
    return {"processing_dates": "yes",
            "processing_applications": str(len(table) - left_out),
            "processing_excluded": str(left_out)}
