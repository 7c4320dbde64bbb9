"""Data downloads: the table behind a chart as CSV with a header block, a map's data as
GeoJSON, a neighborhood's figures as CSV or XLSX. Pure functions returning bytes.

Privacy: everything here reads the marts (`metrics_long`, `category_counts`,
`location_quotients`), the area tables and `sources` — never a business's name or address.
A hidden figure stays hidden: its cell holds the word "withheld", never the number.
"""
from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
import shapely

from core import i18n, metrics
from core.i18n import _

from . import mix, queries, theme
from .db import FIRST_LAYER, Database
from .formatting import not_available_text, suppressed_text, withheld_explanation
from .images import file_name

# A `suppressed` column hides these columns of its row; `<column>_suppressed` hides <column>.
HIDDEN_WITH_ROW = ("value", "count", "lq", "share", "numerator", "denominator", "moe", "cv",
                   "rank")
TEXT_COLUMNS = ("value", "count", "lq")   # where the word "withheld" is written
CATEGORY_MEASURES = ("category_count", "location_quotient")
PRECISION_DEGREES = 1e-6   # about 10 cm: plenty for a neighborhood map, a smaller file
# Rounding in CSV and Excel files (see docs/exports.md, "Rounding"): a metric's value as many
# decimals as the app shows it, a share 4 (43.21%); these columns by what they hold.
SHARE_DECIMALS = 4
COLUMN_DECIMALS = {"share": SHARE_DECIMALS, "city_share": SHARE_DECIMALS, "lq": 2,
                   "numerator": 2, "denominator": 2, "cv": 4}
BY_METRIC = ("value", "city_value", "moe")   # rounded by the row's metric
OTHER_DECIMALS = 4


@dataclass(frozen=True)
class ExportMeta:
    """What a download holds, said in its header block (CSV) or About sheet (XLSX)."""

    title: str
    source: str                                  # 'Source: …' with vintages
    made_on: date
    filters: dict[str, object] = field(default_factory=dict)
    definitions: tuple[str, ...] = ()
    threshold: int = 3
    city: str = ""
    areas: str = ""                              # the areas shown: 'Wards', 'Neighborhoods'
    not_available: tuple[str, ...] = ()          # 'Label: not available for <city>: <why>'

    def lines(self) -> list[tuple[str, str]]:
        rows = [(_("Title"), self.title), (_("City"), self.city), (_("Areas"), self.areas),
                (_("Source"), _no_prefix(self.source)),
                (_("Filters"), ", ".join(f"{k}={v}" for k, v in self.filters.items())
                 or _("none"))]
        rows += [(_("Definition"), d) for d in self.definitions]
        rows += [(_("Not available"), n) for n in self.not_available]
        rows += [(_("Suppressed"), suppressed_words(self.threshold)),
                 (_("Flags"), _("low_count: {rule} unreliable: a rate over fewer than 100 "
                                "residents or with a margin of error above 40%.").format(
                     rule=_(metrics.LOW_COUNT_RULE))),
                 (_("Made"), made_words(self.made_on))]
        return [(k, v) for k, v in rows if v]


def made_words(made_on: date) -> str:
    """'with Main Street Atlas on 2026-12-04' (es: 'con Main Street Atlas el 4 de …')."""
    day = made_on.isoformat() if i18n.language() == i18n.DEFAULT else i18n.day(made_on)
    return _("with {product} on {day}").format(product=theme.PRODUCT_NAME, day=day)


def suppressed_words(threshold: int = 3) -> str:
    empty = _("An empty cell means no data.")
    if threshold <= 0:
        return f"{_('none')}. {withheld_explanation(threshold)} {empty}"
    return (_('"{word}" marks a hidden figure.').format(word=suppressed_text(threshold))
            + f" {withheld_explanation(threshold)} {empty}")


def _no_prefix(source: str) -> str:
    for prefix in ("source:", _("Source:").lower()):
        if source.lower().startswith(prefix):
            return source.split(":", 1)[1].strip()
    return source


# --- Provenance ------------------------------------------------------------------------

def city_info(db: Database) -> dict[str, str]:
    """name, slug and is_demo ('true'/'false') from build_info. The slug, which begins every
    file name, says a layer other than the first: `chicago-wards`."""
    info = db.info()
    slug = info.get("city_slug") or db.path.stem.split(".")[0]
    layer = info.get("layer")
    if layer and layer != FIRST_LAYER:
        slug = f"{slug}-{layer.replace('_', '-')}"
    return {"name": info.get("city_name") or slug, "slug": slug,
            "is_demo": info.get("is_demo", "false")}


def source_line(db: Database, metric_ids: list[str], extra_kinds: tuple[str, ...] = ()) -> str:
    """'Source: City of Chicago Business Licenses, 2024-11-02; ACS 5-year estimates,
    2019–2023' for the sources the metrics depend on (plus `extra_kinds`, e.g. the
    neighborhood boundaries of a map)."""
    kinds = sorted({k for m in metric_ids for k in metrics.get(m).sources} | set(extra_kinds))
    return _("Source:") + " " + ("; ".join(source_list(db, kinds))
                                or _("not recorded in this database"))


def source_list(db: Database, kinds: list[str] | None = None,
                publishers: bool = False) -> list[str]:
    """The sources of some kinds (None: every source loaded), each said once with its
    vintage: 'ACS 5-year estimates, 2018–2022' by name for a source line, or with
    `publishers` 'ACS 5-year estimates (Census Bureau), vintage 2018–2022' by kind then
    name, as the brief lists them."""
    rows = db.query("SELECT name, publisher, vintage FROM sources "
                    "WHERE ?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], kind) "
                    "ORDER BY kind, name", [kinds, kinds])
    if not publishers:
        rows = rows.sort_values("name", kind="stable")
    said = (_source_words(name, publisher, vintage, publishers)
            for name, publisher, vintage in rows.itertuples(index=False))
    return list(dict.fromkeys(said))


def _source_words(name: str, publisher: str | None, vintage: str | None,
                  with_publisher: bool) -> str:
    if with_publisher:
        return (f"{_(name)}{f' ({_(publisher)})' if publisher else ''}, "
                + _("vintage {vintage}").format(vintage=_(_dash(vintage)) if vintage
                                                else _("unknown")))
    return f"{_(name)}, {_(_dash(vintage))}" if vintage else _(name)


def _dash(vintage: str) -> str:
    """'2018-2022' → '2018–2022' (a range of years), dates left alone."""
    parts = str(vintage).split("-")
    if len(parts) == 2 and all(p.strip().isdigit() and len(p.strip()) == 4 for p in parts):
        return f"{parts[0].strip()}–{parts[1].strip()}"
    return str(vintage)


def definition(metric_id: str) -> str:
    m = metrics.get(metric_id)
    return _("{label} ({unit}): {description} Computed as {formula}").format(
        label=m.label, unit=m.unit, description=m.description, formula=m.formula)


def metric_meta(db: Database, metric_ids: list[str], title: str, made_on: date,
                filters: dict | None = None, extra_kinds: tuple[str, ...] = ()) -> ExportMeta:
    """The header of a download of some metrics: source, definitions, threshold, city."""
    return ExportMeta(title=title, source=source_line(db, metric_ids, extra_kinds),
                      made_on=made_on, filters=dict(filters or {}),
                      definitions=tuple(definition(m) for m in metric_ids),
                      threshold=queries.suppression_threshold(db), city=city_info(db)["name"],
                      areas=i18n.areas(plural=True, capital=True),
                      not_available=not_available_lines(db, metric_ids))


def not_available_lines(db: Database, metric_ids: list[str]) -> tuple[str, ...]:
    """'Label: not available for <city>: <why>' for each metric this city cannot give."""
    why, city = queries.not_available(db), city_info(db)["name"]
    return tuple(f"{metrics.get(m).label}: {not_available_text(city, why[m])}"
                 for m in metric_ids if m in why)


# --- Tables ----------------------------------------------------------------------------

def hide_suppressed(frame: pd.DataFrame, threshold: int = 3) -> pd.DataFrame:
    """Blank every flagged value; write "withheld" in its value cell instead."""
    out = frame.copy()
    small = suppressed_text(threshold)
    flags = {c: [c[: -len("_suppressed")]] for c in out.columns
             if c.endswith("_suppressed") and c[: -len("_suppressed")] in out.columns}
    if "suppressed" in out.columns:
        flags["suppressed"] = [c for c in HIDDEN_WITH_ROW if c in out.columns]
    for flag, columns in flags.items():
        hidden = out[flag].fillna(False).astype(bool)
        for column in columns:
            out[column] = out[column].astype(object).where(~hidden, None)
        words = [c for c in columns if c in TEXT_COLUMNS or flag != "suppressed"][:1]
        for column in words:
            out.loc[hidden, column] = small
    for column in out.columns:   # whole numbers as integers: '5', not '5.0'
        if out[column].dtype == object or pd.api.types.is_float_dtype(out[column]):
            out[column] = pd.Series([_whole(v) for v in out[column]], index=out.index,
                                    dtype=object)
    return out


def decimals(metric: metrics.Metric) -> int:
    """How many decimals a download keeps of the metric's values: as many as its format
    shows ('{:,.1f}' → 1, counts → 0), and 4 for a share ('{:.0%}' → 0.4321 = 43.21%)."""
    found = re.search(r"\.(\d+)([f%])", metric.format)
    if not found:
        return OTHER_DECIMALS
    return SHARE_DECIMALS if found.group(2) == "%" else int(found.group(1))


def rounded(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame's numbers rounded for a file a person opens (43.70257966616085 → 43.7): a
    metric's value, its city value and margin of error by `decimals` of the row's metric;
    shares, quotients and the counts behind a rate by `COLUMN_DECIMALS`; any other decimal
    number to 4 places. Words ("withheld") and whole numbers are left as they are."""
    out = frame.copy()
    places = (out["metric_id"].map(lambda m: decimals(metrics.get(m)) if m in metrics.REGISTRY
                                   else OTHER_DECIMALS)
              if "metric_id" in out.columns else pd.Series(OTHER_DECIMALS, index=out.index))
    for column in out.columns:
        if column in BY_METRIC:
            digits = places
        elif column in COLUMN_DECIMALS:
            digits = pd.Series(COLUMN_DECIMALS[column], index=out.index)
        elif pd.api.types.is_float_dtype(out[column]) or out[column].dtype == object:
            digits = pd.Series(OTHER_DECIMALS, index=out.index)
        else:
            continue
        out[column] = pd.Series([_round(v, int(d)) for v, d in zip(out[column], digits)],
                                index=out.index, dtype=object)
    return out


def _round(value, digits: int):
    if isinstance(value, float) and not math.isnan(value) and not math.isinf(value):
        return round(value, digits)
    return value


def _whole(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def table_csv(frame: pd.DataFrame, meta: ExportMeta) -> bytes:
    """UTF-8 CSV: a '# Key: value' header block, then the table (hidden values as words).
    Read it back with `pd.read_csv(path, comment="#")`."""
    out = io.StringIO()
    for key, value in meta.lines():
        out.write(f"# {key}: {value}\n".replace("\r", " "))
    body = hide_suppressed(rounded(frame), meta.threshold)
    body.to_csv(out, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    return out.getvalue().encode("utf-8")


# --- Map data --------------------------------------------------------------------------

def area_values(db: Database, metric_id: str, year: int, level: str = "neighborhood",
                category: str | None = None) -> pd.DataFrame:
    """One row per area (as `queries.metric_by_area`); a category measure needs `category`."""
    if metric_id in CATEGORY_MEASURES:
        if not category:
            raise ValueError(f"{metric_id} needs a category")
        return mix.category_by_area(db, category, year, metric_id, level)
    return queries.metric_by_area(db, metric_id, year, level)


def map_geojson(db: Database, metric_id: str, year: int, level: str = "neighborhood",
                category: str | None = None, made_on: date | None = None) -> bytes:
    """A FeatureCollection, one feature per area with its value (null and "withheld"
    when hidden), rank and flags; the source, definition and date as foreign members."""
    shapes = queries.area_shapes(db, level)      # an unknown level raises ValueError
    values = area_values(db, metric_id, year, level, category)
    geoms = dict(zip(shapes["geo_id"], shapely.set_precision(
        shapely.from_wkb(shapes["geometry_wkb"].map(bytes).to_numpy()), PRECISION_DEGREES)))
    metric, threshold = metrics.get(metric_id), queries.suppression_threshold(db)
    features = [_feature(row, geoms[row.geo_id], metric, year, category, threshold)
                for row in values.itertuples(index=False) if row.geo_id in geoms]
    extra = ("neighborhoods",) if level == "neighborhood" else ("tracts",)
    collection = {"type": "FeatureCollection",
                  "title": f"{metric.label}{f' — {_(category)}' if category else ''}, {year}",
                  "source": source_line(db, [metric_id], extra),
                  "definition": definition(metric_id),
                  "suppressed": suppressed_words(threshold),
                  "made": made_words(made_on or date.today()),
                  "features": features}
    return json.dumps(collection, ensure_ascii=False, allow_nan=False).encode("utf-8")


def _feature(row, geom, metric: metrics.Metric, year: int, category: str | None,
             threshold: int) -> dict:
    hidden = bool(row.suppressed)
    value = None if hidden or _missing(row.value) else float(row.value)
    text = (suppressed_text(threshold) if hidden else
            _("no data") if value is None else i18n.number(value, metric.format))
    props = {"geo_id": row.geo_id, "name": row.name, "metric_id": metric.id,
             "metric": metric.label, "unit": metric.unit, "year": int(year),
             "category": category, "value": value, "value_text": text, "suppressed": hidden,
             "unreliable": bool(row.unreliable),
             "low_count": bool(getattr(row, "low_count", False)) and not hidden,
             "rank": None if hidden or _missing(row.rank) else int(row.rank),
             "ranked": int(row.ranked)}
    return {"type": "Feature", "id": row.geo_id, "properties": props,
            "geometry": json.loads(shapely.to_geojson(geom))}


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


# --- A neighborhood's figures ----------------------------------------------------------

FIGURE_COLUMNS = ["metric_id", "metric", "category", "unit", "year", "value", "suppressed",
                  "unreliable", "low_count", "moe", "numerator", "denominator", "rank", "ranked",
                  "city_value", "city_value_suppressed"]


def neighborhood_figures(db: Database, neighborhood_id: str) -> pd.DataFrame:
    """Every metric × year for one neighborhood (and every category's count and location
    quotient), with its rank among the neighborhoods and the city's value. Hidden values
    are already blank (NaN) here, flagged by `suppressed`."""
    frame = pd.concat([_metric_rows(db, neighborhood_id), _category_rows(db, neighborhood_id)],
                      ignore_index=True)
    order = {m: i for i, m in enumerate(metrics.REGISTRY)}
    frame["metric"] = frame["metric_id"].map(lambda m: metrics.get(m).label)
    frame["unit"] = frame["metric_id"].map(lambda m: metrics.get(m).unit)
    frame = frame.sort_values(["metric_id", "category", "year"], na_position="first",
                              key=lambda s: s.map(order) if s.name == "metric_id" else s)
    hidden = frame["suppressed"].astype(bool)
    for column in ("value", "moe", "numerator", "denominator", "rank"):
        frame[column] = frame[column].astype("float64").where(~hidden)
    city_hidden = frame["city_value_suppressed"].fillna(False).astype(bool)
    frame["city_value"] = frame["city_value"].astype("float64").where(~city_hidden)
    return frame[FIGURE_COLUMNS].reset_index(drop=True)


_RANKED = """
    CASE WHEN {v} IS NOT NULL AND NOT suppressed AND NOT {flags} THEN rank() OVER (
        PARTITION BY {keys}, ({v} IS NOT NULL AND NOT suppressed AND NOT {flags})
        ORDER BY {v} DESC) END AS rank,
    count(CASE WHEN {v} IS NOT NULL AND NOT suppressed AND NOT {flags} THEN 1 END)
        OVER (PARTITION BY {keys}) AS ranked"""


def _metric_rows(db: Database, neighborhood_id: str) -> pd.DataFrame:
    return db.query(f"""
        WITH ranked AS (
            SELECT *, {_RANKED.format(v='value', keys='metric_id, year',
                                      flags='(low_count OR unreliable)')}
            FROM metrics_long WHERE geo_level = 'neighborhood')
        SELECT r.metric_id, NULL::VARCHAR AS category, r.year, r.value, r.suppressed,
               r.unreliable, r.low_count, r.moe, r.numerator, r.denominator, r.rank, r.ranked,
               c.value AS city_value, coalesce(c.suppressed, false) AS city_value_suppressed
        FROM ranked r
        LEFT JOIN metrics_long c ON c.geo_level = 'city' AND c.geo_id = 'city'
             AND c.metric_id = r.metric_id AND c.year = r.year
        WHERE r.geo_id = ?""", [neighborhood_id])  # noqa: S608 (reviewed: placeholders only)


def _category_rows(db: Database, neighborhood_id: str) -> pd.DataFrame:
    counts = db.query(f"""
        WITH ranked AS (
            SELECT *, {_RANKED.format(v='count', keys='category, year', flags='false')}
            FROM category_counts WHERE geo_level = 'neighborhood')
        SELECT 'category_count' AS metric_id, r.category, r.year, r.count::DOUBLE AS value,
               r.suppressed, false AS unreliable, false AS low_count, r.rank, r.ranked,
               c.count::DOUBLE AS city_value, c.suppressed AS city_value_suppressed
        FROM ranked r LEFT JOIN category_counts c ON c.geo_level = 'city'
             AND c.category = r.category AND c.year = r.year
        WHERE r.geo_id = ?""", [neighborhood_id])  # noqa: S608 (reviewed: placeholders only)
    quotients = db.query(f"""
        WITH ranked AS (
            SELECT *, {_RANKED.format(v='lq', keys='category, year', flags='low_count')}
            FROM location_quotients WHERE geo_level = 'neighborhood')
        SELECT 'location_quotient' AS metric_id, category, year, lq AS value, suppressed,
               false AS unreliable, low_count, count::DOUBLE AS numerator, rank, ranked,
               1.0 AS city_value, false AS city_value_suppressed
        FROM ranked WHERE geo_id = ?""", [neighborhood_id])  # noqa: S608 (reviewed: placeholders only)
    return pd.concat([counts, quotients], ignore_index=True)


def figures_meta(db: Database, neighborhood_id: str | None, made_on: date) -> ExportMeta:
    name = area_name(db, neighborhood_id)
    ids = list(metrics.REGISTRY)
    return metric_meta(db, ids, _("All figures for {name}").format(name=name), made_on,
                       {i18n.areas(): f"{name} ({neighborhood_id})"})


def area_name(db: Database, neighborhood_id: str | None) -> str:
    """The neighborhood's name, or the city's for None."""
    if neighborhood_id is None:
        return city_info(db)["name"]
    name = queries.area_name(db, neighborhood_id)
    if name is None:
        raise KeyError(f"no neighborhood {neighborhood_id!r}")
    return name


def as_csv(frame: pd.DataFrame, meta: ExportMeta) -> bytes:
    return table_csv(frame, meta)


def as_xlsx(frame: pd.DataFrame, meta: ExportMeta) -> bytes:
    """A workbook: 'Figures' (hidden values as words) and 'About' (the header block)."""
    out = io.BytesIO()
    body = hide_suppressed(rounded(frame), meta.threshold)
    figures, about_name = _("Figures"), _("About")     # the sheets' names
    about = pd.DataFrame(meta.lines(), columns=[about_name, ""])
    with pd.ExcelWriter(out, engine="openpyxl") as writer:
        body.to_excel(writer, sheet_name=figures, index=False)
        about.to_excel(writer, sheet_name=about_name, index=False)
        sheet = writer.sheets[figures]
        sheet.freeze_panes = "A2"
        for letter, width in (("A", 26), ("B", 44), ("C", 28), ("D", 24)):
            sheet.column_dimensions[letter].width = width
        writer.sheets[about_name].column_dimensions["B"].width = 120
    return out.getvalue()


def figures_file_name(db: Database, neighborhood_id: str, ext: str) -> str:
    return file_name(city_info(db)["slug"], area_name(db, neighborhood_id), None, ext,
                     "figures")
