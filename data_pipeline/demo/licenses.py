"""The demo registry as a portal would serve it, and its reconciliation.

A real business registry lists license *terms*: a business renews every two years, so
one location appears as several rows; the last term of a closed business ends on the
day it was cancelled. The export also holds bad rows. `raw_registry` renders the
simulated businesses that way and mixes in rows with no coordinates, outside the city,
with a term that ends before it starts, and repeated license ids. `reconcile` then does
what the pipeline does with any registry: reject bad rows with a reason, merge the
terms of each business into one location, map the license text to a sector.
"""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from core import categories

from .. import geo
from ..license_processing import BEFORE, COLUMNS, MAX_DAYS, TOO_LONG
from . import words

TERM_DAYS = 730
DAY = np.timedelta64(1, "D")
RAW_COLUMNS = ["license_id", "business_key", "doing_business_as", "license_type",
               "license_description", "ownership", "address", "latitude", "longitude",
               "term_start", "term_end", "status"]
REASONS = {"duplicate": "duplicate license id (an earlier row has the same id)",
           "no_coordinates": "no coordinates",
           "outside": "location outside the city boundary",
           "bad_term": "license term ends before it starts"}


@dataclass
class Reconciled:
    businesses: pd.DataFrame   # canonical BUSINESS_COLUMNS
    rejected: pd.DataFrame     # canonical REJECTED_COLUMNS
    unmapped: pd.DataFrame     # canonical UNMAPPED_COLUMNS
    rows_raw: int
    rows_merged: int
    kept: pd.DataFrame | None = None   # the raw rows kept (for license_processing)


def raw_registry(world: pd.DataFrame, outline: shapely.Geometry, as_of: np.datetime64,
                 rng: np.random.Generator) -> pd.DataFrame:
    """License-term rows in export order (by term start), bad rows mixed in."""
    terms = _terms(world, as_of)
    bad = pd.concat([_duplicates(terms, rng), _without_coordinates(terms, rng),
                     _outside(terms, outline, rng), _backwards_terms(terms, rng)],
                    ignore_index=True)
    bad["business_key"] = [f"demo-x{i + 1:05d}" if k is None else k
                           for i, k in enumerate(bad["business_key"])]
    raw = pd.concat([terms.assign(copy=0), bad], ignore_index=True)
    raw = raw.sort_values(["term_start", "license_id", "copy"], kind="stable")
    return raw[RAW_COLUMNS].reset_index(drop=True)


def _terms(world: pd.DataFrame, as_of: np.datetime64) -> pd.DataFrame:
    """Expand each business into its two-year terms; cancelled ones end on closing."""
    opened = world["opened"].to_numpy()
    closed = world["closed"].to_numpy()
    is_closed = ~np.isnat(closed)
    span = (np.where(is_closed, closed - DAY, as_of) - opened) // DAY
    count = span // TERM_DAYS + 1
    rows = np.repeat(np.arange(len(world)), count)
    k = np.arange(len(rows)) - np.repeat(np.cumsum(count) - count, count)
    last = k == count[rows] - 1
    start = opened[rows] + (k * TERM_DAYS) * DAY
    end = start + (TERM_DAYS - 1) * DAY
    cancelled = last & is_closed[rows]
    end[cancelled] = closed[rows][cancelled]
    terms = pd.DataFrame({
        "business_key": world["business_key"].to_numpy()[rows],
        "doing_business_as": world["name"].to_numpy()[rows],
        "license_type": world["license_type"].to_numpy()[rows],
        "license_description": world["description"].to_numpy()[rows],
        "ownership": world["ownership"].to_numpy()[rows],
        "address": world["address"].to_numpy()[rows],
        "latitude": world["latitude"].to_numpy()[rows],
        "longitude": world["longitude"].to_numpy()[rows],
        "term_start": start, "term_end": end,
        "status": np.select([cancelled, k == 0], ["Cancelled", "Issued"], "Renewed"),
    })
    terms = terms.sort_values(["term_start", "business_key"], kind="stable")
    terms.insert(0, "license_id", [f"TL{i + 1:07d}" for i in range(len(terms))])
    return terms


def _pick(terms: pd.DataFrame, share: float, rng: np.random.Generator) -> pd.DataFrame:
    count = int(rng.poisson(len(terms) * share))
    return terms.iloc[np.sort(rng.choice(len(terms), count, replace=False))].copy()


def _fresh(rows: pd.DataFrame, start: int) -> pd.DataFrame:
    """Rows of businesses that never made it in: new license ids, no business key yet."""
    rows["license_id"] = [f"TX{start + i:07d}" for i in range(len(rows))]
    rows["business_key"] = None
    rows["copy"] = 0
    return rows


def _duplicates(terms: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    return _pick(terms, 0.003, rng).assign(copy=1)


def _without_coordinates(terms: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    rows = _fresh(_pick(terms, 0.002, rng), 1)
    rows["latitude"] = np.nan
    rows["longitude"] = np.nan
    return rows


def _outside(terms: pd.DataFrame, outline: shapely.Geometry,
             rng: np.random.Generator) -> pd.DataFrame:
    """Suburban addresses that slipped into the city's export: 1-6 km past the limit."""
    rows = _fresh(_pick(terms, 0.0015, rng), 100_001)
    minx, miny, maxx, maxy = outline.buffer(0.07).bounds
    x, y = np.empty(0), np.empty(0)
    while len(x) < len(rows):
        cx, cy = rng.uniform(minx, maxx, 4 * len(rows)), rng.uniform(miny, maxy, 4 * len(rows))
        gap = shapely.distance(outline, shapely.points(cx, cy))
        keep = (gap > 0.012) & (gap < 0.07)
        x, y = np.concatenate([x, cx[keep]]), np.concatenate([y, cy[keep]])
    rows["longitude"], rows["latitude"] = x[: len(rows)], y[: len(rows)]
    return rows


def _backwards_terms(terms: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    rows = _fresh(_pick(terms, 0.001, rng), 200_001)
    rows["term_end"] = rows["term_start"] - rng.integers(1, 400, len(rows)) * DAY
    return rows


def reconcile(raw: pd.DataFrame, outline: shapely.Geometry, tracts: gpd.GeoDataFrame,
              source_id: str) -> Reconciled:
    """Reject bad rows with a reason, merge each business's terms, map categories."""
    reason = _reasons(raw, outline)
    good = raw[reason.isna().to_numpy()]
    rejected = _rejected_rows(raw, reason, source_id)
    businesses = _merge_terms(good, source_id)
    businesses["tract_geoid"] = geo.assign_points(businesses["latitude"], businesses["longitude"],
                                                  tracts, "geoid")
    tract_hood = dict(zip(tracts["geoid"], tracts["neighborhood_id"]))
    businesses["neighborhood_id"] = businesses["tract_geoid"].map(tract_hood)
    unmapped = (good.loc[~good["license_description"].isin(words.RAW_CATEGORIES),
                         "license_description"].value_counts().rename("rows").reset_index()
                .rename(columns={"license_description": "raw_category"}))
    unmapped.insert(0, "source_id", source_id)
    return Reconciled(businesses, rejected, unmapped, rows_raw=len(raw),
                      rows_merged=len(good) - len(businesses), kept=good)


def _reasons(raw: pd.DataFrame, outline: shapely.Geometry) -> pd.Series:
    """The first problem of each row, in plain words (NaN for a good row)."""
    lat, lon = raw["latitude"].to_numpy(), raw["longitude"].to_numpy()
    has_point = np.isfinite(lat) & np.isfinite(lon)
    shapely.prepare(outline)
    inside = np.zeros(len(raw), dtype=bool)
    inside[has_point] = shapely.contains_xy(outline, lon[has_point], lat[has_point])
    checks = [raw["license_id"].duplicated().to_numpy(), ~has_point, ~inside,
              (raw["term_end"] < raw["term_start"]).to_numpy()]
    texts = [REASONS["duplicate"], REASONS["no_coordinates"], REASONS["outside"],
             REASONS["bad_term"]]
    chosen = np.select(checks, texts, default="")
    return pd.Series(np.where(chosen == "", None, chosen), index=raw.index)


PRIVATE_COLUMNS = ("doing_business_as", "legal_name", "name", "address", "latitude", "longitude")


def _rejected_rows(raw: pd.DataFrame, reason: pd.Series, source_id: str) -> pd.DataFrame:
    bad = reason.notna().to_numpy()
    shown = raw[bad].copy()
    for column in ("term_start", "term_end"):
        shown[column] = shown[column].dt.strftime("%Y-%m-%d")
    # As in a real import: no name, address or location of a home or a sole proprietor.
    private = (shown["license_type"].isin(words.HOME_LICENSES)
               | (shown["ownership"] == "Sole proprietor")).to_numpy()
    shown = shown.astype({c: object for c in PRIVATE_COLUMNS if c in shown})
    shown.loc[private, [c for c in PRIVATE_COLUMNS if c in shown]] = None
    as_json = shown.to_json(orient="records", lines=True).splitlines() if len(shown) else []
    return pd.DataFrame({"source_id": source_id, "row_number": np.flatnonzero(bad) + 1,
                         "reason": reason[bad].to_numpy(), "raw": as_json})


def _merge_terms(good: pd.DataFrame, source_id: str) -> pd.DataFrame:
    """One location per business key: opened = first term, the rest from the last term."""
    ordered = good.sort_values(["business_key", "term_start"], kind="stable")
    first = ordered.groupby("business_key", sort=True)
    latest = ordered.drop_duplicates("business_key", keep="last").set_index("business_key")
    home = latest["license_type"].isin(words.HOME_LICENSES).to_numpy()
    sole = (latest["ownership"] == "Sole proprietor").to_numpy()
    sector = latest["license_description"].map(words.RAW_CATEGORIES)
    out = pd.DataFrame({
        "business_id": latest.index.to_numpy(), "source": source_id,
        "source_key": latest.index.to_numpy(), "name": latest["doing_business_as"].to_numpy(),
        "license_type": latest["license_type"].to_numpy(),
        "raw_category": latest["license_description"].to_numpy(),
        "category": [categories.category_of(s) for s in sector.to_numpy()],
        "naics_sector": sector.to_numpy(dtype=object), "home_based": home,
        "sole_proprietor": sole,
        "is_micro": home | sole | (latest["license_type"] == words.LIMITED_LICENSE).to_numpy(),
        "opened": first["term_start"].min().to_numpy(),
        "closed": latest["term_end"].where(latest["status"] == "Cancelled").to_numpy(),
        "address": np.where(home, None, latest["address"].to_numpy()),
        "latitude": latest["latitude"].to_numpy(), "longitude": latest["longitude"].to_numpy(),
        "terms_merged": first.size().to_numpy(),
        "geocode_match": None,             # the demo's points are its own, like a portal's
    })
    out["naics_sector"] = out["naics_sector"].where(out["naics_sector"].notna(), None)
    return out


# --- Licence processing dates (the demo's `license_processing`) ----------------------------

# Median calendar days from application to issue of a new licence, by sector (food and
# drink wait for inspections); a wide log-normal spread around it, slower in 2020–2021.
PROCESSING_MEDIAN_DAYS = {"72": 35.0, "62": 45.0, "44-45": 12.0}
PROCESSING_OTHER_DAYS, PROCESSING_SPREAD, PROCESSING_SLOWDOWN = 8.0, 1.1, 1.6
PROCESSING_BAD_SHARE = 0.002     # of each kind of impossible interval


def license_processing(registry: Reconciled, source_id: str,
                       rng: np.random.Generator) -> pd.DataFrame:
    """Application and issue dates of each kept first term (a new licence; renewals carry
    none, as in Chicago's registry), in `license_processing` columns. Issued = the term's
    start. A few intervals are impossible (issued before applied, over five years), to be
    left out as the pipeline leaves out a real registry's. `rng` is a stream of its own."""
    first = registry.kept[~registry.kept["business_key"].duplicated()]   # in order of start
    sector = first["license_description"].map(words.RAW_CATEGORIES)
    issued = first["term_start"].to_numpy("datetime64[D]")
    year = issued.astype("datetime64[Y]").astype(int) + 1970
    median = sector.map(PROCESSING_MEDIAN_DAYS).fillna(PROCESSING_OTHER_DAYS).to_numpy()
    median = median * np.where((year == 2020) | (year == 2021), PROCESSING_SLOWDOWN, 1.0)
    days = np.floor(median * rng.lognormal(0.0, PROCESSING_SPREAD, len(first))).astype(int)
    kind = rng.random(len(first))
    days = np.where(kind < PROCESSING_BAD_SHARE, -rng.integers(1, 60, len(first)), days)
    days = np.where((kind >= PROCESSING_BAD_SHARE) & (kind < 2 * PROCESSING_BAD_SHARE),
                    rng.integers(MAX_DAYS + 1, 4000, len(first)), days)
    hood = dict(zip(registry.businesses["business_id"], registry.businesses["neighborhood_id"]))
    out = pd.DataFrame({
        "source_id": source_id, "row_number": first.index.to_numpy(dtype="int64") + 1,
        "business_id": first["business_key"].to_numpy(dtype=object),
        "neighborhood_id": first["business_key"].map(hood).to_numpy(dtype=object),
        "category": [categories.category_of(s) for s in sector.to_numpy(dtype=object)],
        "applied": issued - days.astype("timedelta64[D]"), "issued": issued, "days": days,
        "excluded": np.select([days < 0, days > MAX_DAYS], [BEFORE, TOO_LONG], "")},
        columns=COLUMNS)
    out["excluded"] = out["excluded"].where(out["excluded"] != "", None)
    return out[out["neighborhood_id"].notna()].reset_index(drop=True)
