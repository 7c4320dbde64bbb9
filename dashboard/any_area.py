"""Any area's profile: the figures of a drawn or uploaded outline (`area_shape`), worked out
on the spot from the canonical tables, never stored.

- Registry counts are exact: the businesses whose point lies in the area (or on its edge),
  counted by the definitions of `core/metrics.py` (active on 31 December, new, closed with
  a closing year before the opening year counted in the opening year, micro-businesses).
- ACS figures are apportioned from tracts by area share: weight = (tract ∩ area) ÷ tract,
  in an equal-area projection. Sums: Σ weight × estimate, MOE = √Σ (weight × MOE)².
  Derived figures by the ACS handbook: ratio X/Y, MOE = √(MOE_X² + (X/Y)²·MOE_Y²) ÷ Y;
  proportion (X a part of Y), MOE = √(MOE_X² − (X/Y)²·MOE_Y²) ÷ Y, or the ratio's when the
  term under the root is negative. A per-1,000-residents rate treats the count as exact.
- LODES jobs: a block row counts when its point (table `block_points`, when the build
  stored one) lies in the area; rows without a point (every row of a build that stores no
  block points, and rows known by tract or block group) are apportioned by their tract's
  area share, and the page says how many.

Privacy: only counts leave here, never a business's name or address. When the build hides
small counts (`suppress_below` > 0), registry counts of a drawn area are withheld: two
overlapping outlines would tell apart what the suppression hides.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from core import i18n, metrics
from core.categories import UNKNOWN_CATEGORY
from core.i18n import N_, _

from . import exports, queries
from .db import Database

EQUAL_AREA = "EPSG:6933"      # World Cylindrical Equal Area (as the pipeline's areas)
Z90 = 1.645                   # ACS margins of error are at 90%
ACS_EXTRA = {  # tract column → (label, unit) of a sum the neighborhood profile does not show
    "households": (N_("Households (ACS estimate)"), N_("households")),
    "labor_force": (N_("Residents in the labor force (ACS estimate)"), N_("residents")),
    "employed": (N_("Employed residents (ACS estimate)"), N_("residents")),
}
EMPLOYED_SHARE = N_("Share of the labor force employed (ACS estimate)")
SUM_FORMULA = N_("Σ weight × tract estimate over the tracts the area touches (weight = the "
                 "tract's area inside the area ÷ its area); MOE = √Σ (weight × tract MOE)².")
PROPORTION_FORMULA = N_("employed ÷ labor force, both apportioned; MOE = √(MOE_employed² − "
                        "share² × MOE_labor force²) ÷ labor force (ACS handbook, proportion; "
                        "the ratio formula with + when the term under the root is negative).")
JOBS_FORMULA = N_("Σ LODES jobs of the census blocks whose stored point lies in the area; a "
                  "row without a stored point (or known by tract) × its tract's area share.")
RATE_FORMULA = N_("{count} ÷ residents × 1,000; MOE = 1,000 × √(0 + (count ÷ residents)² × "
                  "MOE_residents²) ÷ residents (ACS handbook, ratio; the count is exact).")


# --- The Census Bureau's formulas ----------------------------------------------------------

def sum_moe(weighted_moes) -> float:
    """MOE of a sum of (apportioned) estimates: √Σ MOE²."""
    return math.sqrt(sum(m * m for m in weighted_moes))


def ratio_moe(x: float, y: float, moe_x: float, moe_y: float) -> float:
    """MOE of X / Y: √(MOE_X² + (X/Y)² × MOE_Y²) / Y."""
    return math.sqrt(moe_x ** 2 + (x / y) ** 2 * moe_y ** 2) / y


def proportion_moe(x: float, y: float, moe_x: float, moe_y: float) -> float:
    """MOE of X / Y when X is part of Y: √(MOE_X² − (X/Y)² × MOE_Y²) / Y; the ratio's
    formula when the term under the root is negative (ACS handbook)."""
    under = moe_x ** 2 - (x / y) ** 2 * moe_y ** 2
    return math.sqrt(under) / y if under >= 0 else ratio_moe(x, y, moe_x, moe_y)


# --- The result --------------------------------------------------------------------------

@dataclass(frozen=True)
class Figure:
    """One figure of the area, ready to show and export."""

    id: str
    label: str
    unit: str
    year: int | None
    value: float | None
    fmt: str
    formula: str
    moe: float | None = None
    numerator: float | None = None
    denominator: float | None = None
    low_count: bool = False
    unreliable: bool = False
    withheld: bool = False


@dataclass
class AreaProfile:
    area_km2: float                  # of the area inside the city
    year: int | None                 # the registry's last year
    figures: list[Figure] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)   # (label, why)
    notes: list[str] = field(default_factory=list)

    def get(self, figure_id: str) -> Figure | None:
        return next((f for f in self.figures if f.id == figure_id), None)


# --- Geometry ------------------------------------------------------------------------------

_CITY_SHAPES: dict[tuple[str, float], BaseGeometry] = {}


def city_shape(db: Database) -> BaseGeometry:
    """The union of the city's neighborhoods (kept per database file and its change time)."""
    key = (str(db.path), db.path.stat().st_mtime)
    if key not in _CITY_SHAPES:
        wkb = db.query("SELECT geometry_wkb FROM neighborhoods")["geometry_wkb"]
        _CITY_SHAPES[key] = shapely.union_all(shapely.from_wkb([bytes(w) for w in wkb]))
    return _CITY_SHAPES[key]


def in_city(db: Database, area: BaseGeometry) -> BaseGeometry:
    """The part of the area inside the city; AreaError when none is."""
    from .area_shape import AreaError
    inside = shapely.intersection(area, city_shape(db))
    if inside.is_empty or inside.area <= 0:
        raise AreaError(_("The area lies outside {city}: draw or upload one that overlaps "
                          "its {areas}.").format(city=exports.city_info(db)["name"],
                                                 areas=i18n.areas(plural=True)))
    return inside


def area_km2(area: BaseGeometry) -> float:
    return float(gpd.GeoSeries([area], crs="EPSG:4326").to_crs(EQUAL_AREA).area.iloc[0] / 1e6)


def tract_weights(db: Database, area: BaseGeometry) -> pd.DataFrame:
    """geoid, weight: the share of each tract's area inside `area` (tracts it touches)."""
    west, south, east, north = area.bounds
    tracts = db.query("SELECT * EXCLUDE (geometry_wkb), geometry_wkb FROM tracts")
    if tracts.empty:
        return tracts.assign(weight=[])
    shapes = gpd.GeoSeries(shapely.from_wkb([bytes(w) for w in tracts["geometry_wkb"]]),
                           crs="EPSG:4326")
    near = shapes.intersects(shapely.box(west, south, east, north)).to_numpy()
    tracts, shapes = tracts[near].reset_index(drop=True), shapes[near].reset_index(drop=True)
    pieces = shapes.intersection(area)
    whole = shapes.to_crs(EQUAL_AREA).area.to_numpy()
    inside = gpd.GeoSeries(pieces, crs="EPSG:4326").to_crs(EQUAL_AREA).area.to_numpy()
    tracts["weight"] = np.where(whole > 0, inside / np.where(whole > 0, whole, 1), 0.0)
    return tracts[tracts["weight"] > 0].drop(columns="geometry_wkb").reset_index(drop=True)


# --- Registry counts -----------------------------------------------------------------------

def businesses_in(db: Database, area: BaseGeometry) -> pd.DataFrame:
    """The businesses whose point lies in the area or on its edge: only what the counts
    need (never a name or an address)."""
    west, south, east, north = area.bounds
    frame = db.query(
        "SELECT latitude, longitude, is_micro, category, year(opened)::INTEGER AS open_year, "
        "greatest(coalesce(year(closed)::INTEGER, 9999), year(opened)::INTEGER) AS close_year "
        "FROM businesses WHERE latitude BETWEEN ? AND ? AND longitude BETWEEN ? AND ?",
        [south, north, west, east])
    inside = shapely.intersects_xy(area, frame["longitude"].to_numpy(),
                                   frame["latitude"].to_numpy())
    return frame[inside].drop(columns=["latitude", "longitude"]).reset_index(drop=True)


def last_year(db: Database) -> int | None:
    """The registry's last year: the one the neighborhood profile shows."""
    year = db.scalar("SELECT max(year) FROM metrics_long WHERE metric_id = 'active_businesses'")
    return None if year is None or pd.isna(year) else int(year)


def _active(b: pd.DataFrame, year: int) -> pd.Series:
    return (b["open_year"] <= year) & (b["close_year"] > year)


def _count(metric_id: str, year: int, value: float, withheld: bool) -> Figure:
    m = metrics.get(metric_id)
    return Figure(m.id, m.label, m.unit, year, None if withheld else float(value), m.format,
                  m.formula, numerator=None if withheld else float(value), withheld=withheld)


def _share(metric_id: str, year: int, part: float, whole: float, scale: float,
           withheld: bool, basis: float) -> Figure:
    m = metrics.get(metric_id)
    part, whole = float(part), float(whole)
    value = None if withheld or not whole else scale * part / whole
    return Figure(m.id, m.label, m.unit, year, value, m.format, m.formula,
                  numerator=None if withheld else part, denominator=None if withheld else whole,
                  low_count=not withheld and bool(basis < metrics.LOW_COUNT), withheld=withheld)


def registry_figures(db: Database, area: BaseGeometry, year: int, km2: float,
                     withheld: bool) -> list[Figure]:
    """The neighborhood profile's registry figures of the area for `year`."""
    b = businesses_in(db, area)
    active, before = _active(b, year), _active(b, year - 1)
    new, closed = (b["open_year"] == year).sum(), (b["close_year"] == year).sum()
    out = [_count("active_businesses", year, active.sum(), withheld)]
    if bool(db.scalar("SELECT coalesce(bool_or(is_micro), false) FROM businesses")):
        out.append(_count("micro_businesses", year, (active & b["is_micro"]).sum(), withheld))
    out += [_count("formations", year, new, withheld), _count("closures", year, closed, withheld),
            _count("net_formations", year, new - closed, withheld),
            _share("formations_per_100_active", year, new, before.sum(), 100, withheld, new),
            _share("closures_per_100_active", year, closed, before.sum(), 100, withheld, closed),
            _share("businesses_per_km2", year, active.sum(), km2, 1, withheld, active.sum())]
    for horizon in (1, 3, 5):
        cohort = b[b["open_year"] == year - horizon]
        stayed = (cohort["close_year"] > year).sum()
        out.append(_share(f"survival_{horizon}y", year - horizon, stayed, len(cohort), 1,
                          withheld, len(cohort)))
    return out + _diversity(b[active], year, withheld)


def _diversity(active: pd.DataFrame, year: int, withheld: bool) -> list[Figure]:
    counts = active.loc[active["category"] != UNKNOWN_CATEGORY, "category"].value_counts()
    n = int(counts.sum())
    p = counts.to_numpy() / n if n else np.array([])
    h = float(-(p * np.log(p)).sum()) if n else 0.0
    values = {"category_richness": float(len(counts)),
              "effective_categories": round(math.exp(max(h, 0.0)), 1),
              "shannon_diversity": round(max(h, 0.0), 2),
              "gini_simpson": round(max(1 - float((p * p).sum()), 0.0), 2) if n else None}
    out = []
    for metric_id, value in values.items():
        m = metrics.get(metric_id)
        out.append(Figure(m.id, m.label, m.unit, year, None if withheld else value, m.format,
                          m.formula, numerator=None if withheld else float(n),
                          low_count=not withheld and n < metrics.LOW_COUNT, withheld=withheld))
    return out


# --- ACS: residents and the sums beside them ---------------------------------------------

def _apportioned(weights: pd.DataFrame, column: str) -> tuple[float, float] | None:
    """(Σ w × estimate, √Σ (w × MOE)²) of a tract column; None where a tract lacks either."""
    moe = f"{column}_moe"
    if weights.empty or column not in weights or moe not in weights:
        return None
    if weights[column].isna().any() or weights[moe].isna().any():
        return None
    w = weights["weight"].to_numpy(dtype=float)
    return (float((w * weights[column].to_numpy(dtype=float)).sum()),
            sum_moe(w * weights[moe].to_numpy(dtype=float)))


def _unreliable(value: float, moe: float) -> bool:
    """As the marts mark residents: fewer than 100, or a CV above 40%."""
    return value < 100 or (value > 0 and moe / Z90 / value > 0.40)


def acs_figures(weights: pd.DataFrame, acs_year: int | None) -> tuple[list[Figure], dict]:
    """Residents, households, labor force, employed and the employed share; and the
    apportioned sums by column (for the per-resident rates)."""
    sums = {c: s for c in ("population", *ACS_EXTRA) if (s := _apportioned(weights, c))}
    out = []
    if "population" in sums:
        m, (value, moe) = metrics.get("residents"), sums["population"]
        out.append(Figure(m.id, m.label, m.unit, acs_year, value, m.format, m.formula, moe,
                          unreliable=_unreliable(value, moe)))
    for column, (label, unit) in ACS_EXTRA.items():
        if column in sums:
            value, moe = sums[column]
            out.append(Figure(column, _(label), _(unit), acs_year, value, "{:,.0f}",
                              _(SUM_FORMULA), moe, unreliable=_unreliable(value, moe)))
    if {"employed", "labor_force"} <= sums.keys() and sums["labor_force"][0] > 0:
        (x, moe_x), (y, moe_y) = sums["employed"], sums["labor_force"]
        moe = proportion_moe(x, y, moe_x, moe_y)
        out.append(Figure("employed_share", _(EMPLOYED_SHARE), _("share of the labor force"),
                          acs_year, x / y, "{:.1%}", _(PROPORTION_FORMULA), moe, x, y,
                          unreliable=y < 100 or (x > 0 and moe / Z90 / (x / y) > 0.40)))
    return out, sums


RATES = {"active_businesses": "businesses_per_1k_residents",
         "micro_businesses": "micro_per_1k_residents",
         "formations": "formations_per_1k_residents", "closures": "closures_per_1k_residents"}


def rate_figures(counts: list[Figure], residents: tuple[float, float] | None) -> list[Figure]:
    """Per 1,000 residents: 1,000 × count ÷ residents, MOE by the ratio formula (count exact)."""
    if residents is None or residents[0] <= 0:
        return []
    y, moe_y = residents
    out = []
    for count in counts:
        if count.id not in RATES:
            continue
        m = metrics.get(RATES[count.id])
        x = count.numerator
        value = None if count.withheld else 1000 * x / y
        moe = None if count.withheld else 1000 * ratio_moe(x, y, 0.0, moe_y)
        out.append(Figure(m.id, m.label, m.unit, count.year, value, m.format,
                          _(RATE_FORMULA).format(count=count.label), moe, x, y,
                          low_count=not count.withheld and x < metrics.LOW_COUNT,
                          unreliable=_unreliable(y, moe_y), withheld=count.withheld))
    return out


# --- LODES jobs ----------------------------------------------------------------------------

JOB_COLUMNS = ("jobs_total", "jobs_private", "jobs_small_firms", "jobs_young_firms")


def job_weights(db: Database, area: BaseGeometry, rows: pd.DataFrame,
                tracts: pd.DataFrame) -> tuple[np.ndarray, int, int]:
    """Each jobs row's weight in the area: 1 or 0 for a block whose point is stored
    (`block_points`: geoid, latitude, longitude), else its tract's area share. Returns the
    weights, the rows placed by their point and the rows apportioned."""
    by_tract = dict(zip(tracts.get("geoid", []), tracts.get("weight", [])))
    share = rows["tract_geoid"].map(by_tract).fillna(0.0).to_numpy(dtype=float)
    located = np.zeros(len(rows), dtype=bool)
    if db.has_table("block_points") and (rows["geo_level"] == "block").any():
        points = db.query("SELECT geoid AS geo_id, latitude, longitude FROM block_points")
        placed = rows[["geo_level", "geo_id"]].merge(points, on="geo_id", how="left")
        located = ((placed["geo_level"] == "block") & placed["latitude"].notna()).to_numpy()
        inside = shapely.intersects_xy(area, placed["longitude"].fillna(0).to_numpy(),
                                       placed["latitude"].fillna(0).to_numpy())
        share = np.where(located, inside.astype(float), share)
    return share, int(located.sum()), int((~located).sum())


def _job_sums(db: Database, area: BaseGeometry, tracts: pd.DataFrame, year: int
              ) -> tuple[dict[str, float | None], int, int]:
    """Each jobs column summed over the area for a year (None: no value that year)."""
    rows = db.query("SELECT geo_level, geo_id, tract_geoid, jobs_total, jobs_private, "
                    "jobs_small_firms, jobs_young_firms FROM jobs WHERE year = ?", [year])
    weight, located, apportioned = job_weights(db, area, rows, tracts)
    sums = {c: (None if rows[c].isna().all() else
                float((weight * rows[c].astype("float64").fillna(0).to_numpy()).sum()))
            for c in JOB_COLUMNS}
    return sums, located, apportioned


def jobs_figures(db: Database, area: BaseGeometry, tracts: pd.DataFrame
                 ) -> tuple[list[Figure], str | None]:
    """The jobs figures of the area for LODES's last year, and a note on how they were placed."""
    year = db.scalar("SELECT max(year) FROM jobs")
    if year is None or pd.isna(year):
        return [], None
    year = int(year)
    sums, located, apportioned = _job_sums(db, area, tracts, year)
    out = []
    for column in JOB_COLUMNS:
        if sums[column] is not None:
            m = metrics.get(column)
            out.append(Figure(m.id, m.label, m.unit, year, sums[column], m.format,
                              _(JOBS_FORMULA), numerator=sums[column]))
    for part in ("jobs_small_firms", "jobs_young_firms"):
        whole = sums["jobs_private"]
        if sums[part] is not None and whole:
            m = metrics.get(f"{part}_share")
            out.append(Figure(m.id, m.label, m.unit, year, sums[part] / whole, m.format,
                              m.formula, numerator=sums[part], denominator=whole,
                              low_count=whole < metrics.LOW_COUNT))
    before = _job_sums(db, area, tracts, year - 1)[0]["jobs_total"]
    if before is not None:
        m = metrics.get("jobs_change")
        out.append(Figure(m.id, m.label, m.unit, year, sums["jobs_total"] - before, m.format,
                          m.formula))
    note = _("Jobs of {year}: {located} census block(s) counted by their point, {apportioned} "
             "row(s) without a stored point split by their tract's area share.").format(
        year=year, located=i18n.integer(located), apportioned=i18n.integer(apportioned))
    return out, note


# --- The whole profile ---------------------------------------------------------------------

ZIP_WHY = N_("Census Business Patterns come by ZIP code, and this build stores no ZIP code "
             "shapes, so the share of a ZIP code inside a drawn area cannot be measured")
MEDIAN_INCOME_WHY = N_("a median cannot be added up from tracts: it would need the households "
                       "by income bracket of each tract, which this build does not load")


def profile(db: Database, area: BaseGeometry) -> AreaProfile:
    """Every figure of the area (its part inside the city), with what cannot be computed
    and why. AreaError when the area lies outside the city."""
    area = in_city(db, area)
    km2, year = area_km2(area), last_year(db)
    result = AreaProfile(km2, year)
    withheld = queries.suppression_threshold(db) > 0
    counts = registry_figures(db, area, year, km2, withheld) if year is not None else []
    tracts = (tract_weights(db, area) if queries.has_rows(db, "tracts")
              else pd.DataFrame(columns=["geoid", "weight"]))
    acs_year = db.scalar("SELECT max(acs_year) FROM tracts") if db.has_table("tracts") else None
    acs, sums = acs_figures(tracts, None if acs_year is None or pd.isna(acs_year)
                            else int(acs_year))
    jobs, jobs_note = jobs_figures(db, area, tracts)
    result.figures = [*counts, *rate_figures(counts, sums.get("population")), *acs, *jobs]
    _say_missing(db, result, tracts)
    if withheld:
        result.notes.append(_(
            "Registry counts of a drawn area are withheld in this build, which hides counts "
            "below {n}: two overlapping outlines would tell apart what that hides.").format(
            n=queries.suppression_threshold(db)))
    if jobs_note:
        result.notes.append(jobs_note)
    if not tracts.empty:
        result.notes.append(_("Census figures from {n} tract(s), each weighted by the share of "
                              "its area inside the outline.").format(n=len(tracts)))
    return result


def _say_missing(db: Database, result: AreaProfile, tracts: pd.DataFrame) -> None:
    """Figures the area has not, with why: the city's own reasons, then the area's."""
    city, why = exports.city_info(db)["name"], queries.not_available(db)
    from .formatting import not_available_text
    shown = {f.id for f in result.figures}
    for figure in list(result.figures):
        if figure.id in why:
            result.figures.remove(figure)
            result.missing.append((figure.label, not_available_text(city, why[figure.id])))
    wanted = ["residents", *RATES.values(), *JOB_COLUMNS]
    for metric_id in wanted:
        if metric_id in shown or any(label == metrics.get(metric_id).label
                                     for label, _w in result.missing):
            continue
        if metric_id in why:
            reason = not_available_text(city, why[metric_id])
        elif metric_id in JOB_COLUMNS:
            reason = _("no LODES jobs were loaded")
        elif tracts.empty:
            reason = _("the area touches no census tract with ACS figures")
        else:
            reason = _("the tracts it touches lack the ACS figure or its margin of error")
        result.missing.append((metrics.get(metric_id).label, reason))
    census = metrics.get("census_micro_establishments")
    result.missing.append((census.label, not_available_text(city, why[census.id])
                           if census.id in why else _(ZIP_WHY)))
    result.missing.append((_("Median household income"), _(MEDIAN_INCOME_WHY)))


# --- Downloads -----------------------------------------------------------------------------

def figures_frame(result: AreaProfile) -> pd.DataFrame:
    """The area's figures as a table (hidden values blank, flagged by `suppressed`)."""
    rows = [{"metric_id": f.id, "metric": f.label, "unit": f.unit, "year": f.year,
             "value": f.value, "moe": f.moe, "numerator": f.numerator,
             "denominator": f.denominator, "suppressed": f.withheld, "low_count": f.low_count,
             "unreliable": f.unreliable, "formula": f.formula} for f in result.figures]
    return pd.DataFrame(rows, columns=["metric_id", "metric", "unit", "year", "value", "moe",
                                       "numerator", "denominator", "suppressed", "low_count",
                                       "unreliable", "formula"])


def figures_meta(db: Database, result: AreaProfile, link: str | None,
                 made_on: date) -> exports.ExportMeta:
    """The download's header: the sources and vintages, the area and how it was computed."""
    ids = [f.id for f in result.figures if f.id in metrics.REGISTRY]
    return exports.ExportMeta(
        title=_("Figures for a drawn area of {km2} km²").format(
            km2=i18n.number(result.area_km2, "{:,.2f}")),
        source=exports.source_line(db, ids, ("neighborhoods", "acs")), made_on=made_on,
        filters={"area": link or _("outline too long for a link")},
        definitions=(_(SUM_FORMULA), _(RATE_FORMULA).format(count=_("count")),
                     _(PROPORTION_FORMULA), *result.notes),
        threshold=queries.suppression_threshold(db), city=exports.city_info(db)["name"],
        not_available=tuple(f"{label}: {why}" for label, why in result.missing))


def as_csv(db: Database, result: AreaProfile, link: str | None, made_on: date) -> bytes:
    return exports.as_csv(figures_frame(result), figures_meta(db, result, link, made_on))


def as_xlsx(db: Database, result: AreaProfile, link: str | None, made_on: date) -> bytes:
    return exports.as_xlsx(figures_frame(result), figures_meta(db, result, link, made_on))


def file_name(db: Database, ext: str = "csv") -> str:
    return exports.file_name(exports.city_info(db)["slug"], _("drawn area"), None, ext,
                             "figures")


# --- Data & methods ------------------------------------------------------------------------

METHOD = N_(
    "**Any area** (a drawn or uploaded outline, page *Any area*) is worked out on the spot "
    "and never stored. Registry counts are exact: the businesses whose point lies inside the "
    "outline or on its edge, counted by the definitions below. Census (ACS) figures are split "
    "from tracts by area share: each tract counts with weight w = (its area inside the "
    "outline) ÷ (its area), in an equal-area projection; a sum is Σ w × estimate with margin "
    "of error √Σ (w × MOE)². Derived figures follow the Census Bureau's ACS handbook: a rate "
    "per 1,000 residents has MOE = 1,000 × √(MOE_X² + (X/Y)² × MOE_Y²) ÷ Y with MOE_X = 0, "
    "the count being exact; a proportion such as the employed share of the labor force has "
    "MOE = √(MOE_X² − (X/Y)² × MOE_Y²) ÷ Y, or the ratio's formula when the term under the "
    "root is negative. A median (household income) cannot be added up from tracts and is "
    "not given. LODES jobs count by census block when the build stores the block's point; "
    "this build's jobs rows without one are split by their tract's area share, and the page "
    "says how many. When the build hides small counts, a drawn area's registry counts are "
    "withheld, since two overlapping outlines would tell apart what the suppression hides.")
