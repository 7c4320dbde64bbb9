"""What a database is made of, for the Data & methods page: sources, rejected rows, the
metric registry as built, apportionment, and the suppression settings."""
from __future__ import annotations

from datetime import date

import pandas as pd

from core import metrics

from . import theme
from .db import Database
from .formatting import city_label
from .queries import has_rows


def sources(db: Database) -> pd.DataFrame:
    """Every source with its vintage, fetch time and how its rows were accounted for."""
    frame = db.query("""
        SELECT name AS "Source", vintage AS "Vintage",
               strftime(fetched_at, '%Y-%m-%d %H:%M UTC') AS "Fetched",
               rows_raw AS "Rows in", rows_loaded AS "Loaded", rows_merged AS "Merged",
               rows_rejected AS "Rejected",
               CASE WHEN rows_raw = rows_loaded + rows_merged + rows_rejected
                    THEN 'yes' ELSE 'NO' END AS "Adds up"
        FROM sources ORDER BY kind, name""")
    return frame


def provenance(db: Database) -> pd.DataFrame:
    """Who publishes each source, under which licence, and where it is (a table of its own,
    so that no column is cut off)."""
    return db.query("""
        SELECT name AS "Source", publisher AS "Publisher", vintage AS "Vintage",
               license AS "Licence", url AS "Address"
        FROM sources ORDER BY kind, name""")


def citation(db: Database, page_url: str, on: date) -> str:
    """How to cite a page: the product, the city, the sources with their vintages, the
    page's address and the date it was read."""
    info = db.info()
    city = city_label(info.get("city_name") or db.path.stem, info.get("is_demo") == "true")
    rows = db.query("SELECT name, vintage FROM sources ORDER BY kind, name")
    used = "; ".join(f"{n}, {v}" if v else n for n, v in rows.itertuples(index=False))
    return (f"{theme.PRODUCT_NAME}, {city}. Sources: {used or 'not recorded'}. "
            f"{page_url} (accessed {on.isoformat()}).")


def rejected_by_reason(db: Database) -> pd.DataFrame:
    return db.query("""
        SELECT s.name AS "Source", r.reason AS "Reason", count(*) AS "Rows"
        FROM rejected_records r LEFT JOIN sources s USING (source_id)
        GROUP BY 1, 2 ORDER BY 1, 3 DESC""")


def unmapped_categories(db: Database) -> pd.DataFrame:
    return db.query("""
        SELECT raw_category AS "Registry category", rows AS "Rows"
        FROM unmapped_categories ORDER BY rows DESC LIMIT 25""")


def registry(db: Database) -> pd.DataFrame:
    """The metric registry as this database was built (with the sources' vintages);
    the code's registry when the table is missing."""
    if db.has_table("metric_registry"):
        return db.query("SELECT * FROM metric_registry")
    rows = [{"metric_id": m.id, "label": m.label, "description": m.description,
             "unit": m.unit, "formula": m.formula, "metric_group": m.group,
             "caveat": m.caveat, "source_vintages": None, "available": None}
            for m in metrics.REGISTRY.values()]
    return pd.DataFrame(rows)


# How a figure reached the neighborhoods, in words (the `method` of the weights tables).
METHOD_WORDS = {
    "nested": "whole: each tract lies inside one neighborhood",
    "area": "by the share of the tract's area in each neighborhood",
    "block_population": "by the residents of the census blocks in each part",
    "business_share": "by the share of the ZIP code's registered businesses in each neighborhood",
    "tract weights": "by the tract's weights (its share in each neighborhood)",
    "location of the block": "where the workplace is: its census block lies in the neighborhood",
    "location of the tract": "where the workplace is: its census tract lies in the neighborhood",
    # loans (`loans.placement`): by the borrower's ZIP code, or a geocoded address
    "zip": "by the borrower's ZIP code, split by the share of the ZIP code's registered "
           "businesses in each neighborhood",
    "address": "where the borrower's address lies (geocoded)",
}


def method_words(method: str) -> str:
    """A splitting method in plain words; an unknown one as written, underscores as spaces."""
    return METHOD_WORDS.get(method, str(method).replace("_", " "))


def apportionment(db: Database) -> pd.DataFrame:
    if not db.has_table("apportionment"):
        return pd.DataFrame()
    frame = db.query("""
        SELECT step AS "Figure", method AS "How it is split", pairs AS "Pairs of areas",
               source_units AS "Source units" FROM apportionment""")
    frame["How it is split"] = frame["How it is split"].map(method_words)
    return frame


def settings(db: Database) -> dict:
    if not has_rows(db, "settings"):
        return {}
    return db.query("SELECT * FROM settings").iloc[0].to_dict()


# What each kind of source brings, said when it is missing.
MISSING_SOURCE = {
    "acs": "No census population (ACS) was loaded, so figures per 1,000 residents are "
           "not available.",
    "jobs": "No LODES jobs were loaded, so the jobs figures are not available.",
    "tracts": "No census tracts were loaded, so maps show neighborhoods only.",
    "business_patterns": "No Census Business Patterns were loaded, so the Census count of "
                         "establishments with 1–4 employees is not available.",
}


def gaps(db: Database) -> list[str]:
    """One sentence per kind of input this database lacks."""
    present = {
        "acs": has_rows(db, "tracts") and bool(db.scalar(
            "SELECT count(population) > 0 FROM tracts")),
        "jobs": has_rows(db, "jobs"),
        "tracts": has_rows(db, "tracts"),
        "business_patterns": has_rows(db, "business_patterns"),
    }
    return [MISSING_SOURCE[kind] for kind, found in present.items() if not found]


def disclosure(db: Database) -> pd.DataFrame:
    """Per figure and level: how many values, and the share withheld, flagged low count or
    unreliable; or why the figure is not available."""
    if not db.has_table("disclosure"):
        return pd.DataFrame()
    frame = db.query("""
        SELECT d.metric_id, d.geo_level, d.figures, d.withheld, d.low_count, d.unreliable,
               d.not_available, r.label
        FROM disclosure d JOIN metric_registry r USING (metric_id)""")
    rows = []
    for row in frame.itertuples(index=False):
        share = (lambda n: f"{n / row.figures:.0%}") if row.figures else (lambda n: "")
        rows.append({"Figure": row.label, "Areas": row.geo_level or "",
                     "Values": int(row.figures),
                     "Withheld": share(row.withheld) if row.figures else "",
                     "Low count": share(row.low_count) if row.figures else "",
                     "Unreliable": share(row.unreliable) if row.figures else "",
                     "Not available because": row.not_available or ""})
    return pd.DataFrame(rows)
