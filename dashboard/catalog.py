"""What a database is made of, for the Data & methods page: sources, rejected rows, the
metric registry as built, apportionment, and the suppression settings."""
from __future__ import annotations

from datetime import date

import pandas as pd

from core import i18n, metrics
from core.i18n import N_, _

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


# The column names of the tables above (SQL aliases): the pages say them translated.
COLUMNS = (N_("Address"), N_("Adds up"), N_("Fetched"), N_("Figure"), N_("How it is split"),
           N_("Licence"), N_("Loaded"), N_("Merged"), N_("Pairs of areas"), N_("Publisher"),
           N_("Reason"), N_("Registry category"), N_("Rejected"), N_("Rows in"), N_("Rows"),
           N_("Source units"), N_("Source"), N_("Vintage"), N_("Areas"), N_("Values"),
           N_("Withheld"), N_("Low count"), N_("Unreliable"), N_("Not available because"),
           N_("yes"), N_("NO"))


def citation(db: Database, page_url: str, on: date) -> str:
    """How to cite a page: the product, the city, the sources with their vintages, the
    page's address and the date it was read."""
    info = db.info()
    city = city_label(info.get("city_name") or db.path.stem, info.get("is_demo") == "true")
    rows = db.query("SELECT name, vintage FROM sources ORDER BY kind, name")
    used = "; ".join(f"{_(n)}, {_(v)}" if v else _(n) for n, v in rows.itertuples(index=False))
    return _("{product}, {city}. Sources: {used}. {url} (accessed {day}).").format(
        product=theme.PRODUCT_NAME, city=city, used=used or _("not recorded"), url=page_url,
        day=on.isoformat() if i18n.language() == i18n.DEFAULT else i18n.day(on))


def rejected_by_reason(db: Database) -> pd.DataFrame:
    return db.query("""
        SELECT s.name AS "Source", r.reason AS "Reason", count(*) AS "Rows"
        FROM rejected_records r LEFT JOIN sources s USING (source_id)
        GROUP BY 1, 2 ORDER BY 1, 3 DESC""")


def unmapped_categories(db: Database) -> pd.DataFrame:
    return db.query("""
        SELECT raw_category AS "Registry category", rows AS "Rows"
        FROM unmapped_categories ORDER BY rows DESC LIMIT 25""")


def _said(metric_id: str, field: str, english):
    """A registry word of the database in the reader's language: the code's entry when it
    still says the same in English, else the word as the catalog has it."""
    metric = metrics.REGISTRY.get(metric_id)
    if metric is not None and metric.english(field) == english:
        return getattr(metric, field)
    return _(english) if isinstance(english, str) else english


def registry(db: Database) -> pd.DataFrame:
    """The metric registry as this database was built (with the sources' vintages);
    the code's registry when the table is missing."""
    if db.has_table("metric_registry"):
        frame = db.query("SELECT * FROM metric_registry")
        if i18n.language() == i18n.DEFAULT:
            return frame
        for column in ("label", "description", "unit", "formula", "caveat"):
            if column in frame:     # the registry's words, translated with the areas named
                frame[column] = [_said(metric_id, column, w)
                                 for metric_id, w in zip(frame["metric_id"], frame[column])]
        if "source_vintages" in frame:     # 'name, vintage; …' with each source's own words
            said = db.query("SELECT name, vintage FROM sources")
            words = [w for pair in said.itertuples(index=False) for w in pair if w]

            def translated(text):
                for word in sorted(set(words), key=len, reverse=True):
                    text = text.replace(word, _(word))
                return text
            frame["source_vintages"] = frame["source_vintages"].map(
                lambda t: translated(t) if isinstance(t, str) else t)
        return frame
    rows = [{"metric_id": m.id, "label": m.label, "description": m.description,
             "unit": m.unit, "formula": m.formula, "metric_group": m.group,
             "caveat": m.caveat, "source_vintages": None, "available": None}
            for m in metrics.REGISTRY.values()]
    return pd.DataFrame(rows)


# How a figure reached the neighborhoods, in words (the `method` of the weights tables).
METHOD_WORDS = {
    "nested": N_("whole: each tract lies inside one {area}"),
    "area": N_("by the share of the tract's area in each {area}"),
    "block_population": N_("by the residents of the census blocks in each part"),
    "business_share": N_("by the share of the ZIP code's registered businesses in each {area}"),
    "tract weights": N_("by the tract's weights (its share in each {area})"),
    "location of the block": N_("where the workplace is: its census block lies in the {area}"),
    "location of the tract": N_("where the workplace is: its census tract lies in the {area}"),
    # loans (`loans.placement`): by the borrower's ZIP code, or a geocoded address
    "zip": N_("by the borrower's ZIP code, split by the share of the ZIP code's registered "
           "businesses in each {area}"),
    "address": N_("where the borrower's address lies (geocoded)"),
}


def method_words(method: str) -> str:
    """A splitting method in plain words, naming the areas shown ("each ward"); an unknown
    one as written, underscores as spaces."""
    if method not in METHOD_WORDS:
        return str(method).replace("_", " ")
    return _(METHOD_WORDS[method]).format(area=i18n.areas())


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
    "acs": N_("No census population (ACS) was loaded, so figures per 1,000 residents are "
           "not available."),
    "jobs": N_("No LODES jobs were loaded, so the jobs figures are not available."),
    "tracts": N_("No census tracts were loaded, so maps show {areas} only."),
    "business_patterns": N_("No Census Business Patterns were loaded, so the Census count of "
                         "establishments with 1–4 employees is not available."),
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
    return [i18n.in_areas(MISSING_SOURCE[kind]) for kind, found in present.items() if not found]


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
        share = (lambda n: i18n.percent(n / row.figures)) if row.figures else (lambda n: "")
        level = row.geo_level or ""
        rows.append({"Figure": _(row.label), "Areas": _(level),
                     "Values": int(row.figures),
                     "Withheld": share(row.withheld) if row.figures else "",
                     "Low count": share(row.low_count) if row.figures else "",
                     "Unreliable": share(row.unreliable) if row.figures else "",
                     "Not available because": row.not_available or ""})
    return pd.DataFrame(rows)
