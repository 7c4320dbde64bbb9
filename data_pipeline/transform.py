"""Registry rows → business locations, driven by the city profile.

1. Map the profile's columns to canonical ones (`transform_fields`).
2. Read points as portals publish them: swapped latitude and longitude are swapped back
   (and counted); a longitude that repeats the latitude is a portal error. With geocoding
   on, rows with an address and no usable point are placed by the Census Geocoder.
   Reject rows that cannot be used, with their reason: a repeated row id, no business
   key, no or unparseable dates, a term that ends before it starts, no coordinates (and
   why: no geocoder match, not geocoded yet, a repeated latitude), a point outside every
   neighborhood. Nothing is dropped silently.
3. Merge license terms and renewals into one business location per business key:
   opened = the earliest start; closed = the latest term's end when that is before the
   data's as-of date, or the status date when the latest term's status says closed or
   revoked; terms_merged counts the rows merged.
4. Place each location in a neighborhood and a tract (point in polygon), map its
   category to a NAICS sector and a plain-language category, and apply the privacy
   rules: no address for home-based businesses, no name for sole proprietors.

Raw rows = loaded + merged + rejected, always.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from . import canonical as c
from core import categories
from . import geo
from . import transform_fields as tf
from .profiles import Profile
from .readers import Registry, raw_records
from .sources.census_geocoder import Geocoder

WITHHELD = "name, address and location withheld (home-based business or sole proprietor)"
REPEATED_LATITUDE = "longitude repeats the latitude: a portal error"
NO_MATCH = "no coordinates; the Census geocoder found no match for the address"
TIE = "no coordinates; the Census geocoder found several matches for the address"
NOT_GEOCODED = "no coordinates; address not geocoded yet (build with network access)"
NOT_YET = "not geocoded"      # geocode_match of a row whose address has no answer yet
PLACED = ("exact", "non-exact")


@dataclass
class BusinessResult:
    businesses: pd.DataFrame     # BUSINESS_COLUMNS
    zips: pd.Series              # ZIP code of each business, aligned with `businesses`
    rejected: pd.DataFrame       # REJECTED_COLUMNS
    unmapped: pd.DataFrame       # UNMAPPED_COLUMNS
    rows_raw: int
    rows_merged: int
    as_of: pd.Timestamp
    swapped_coordinates: int = 0  # rows whose latitude and longitude were swapped back
    geocoded: int | None = None   # distinct addresses the geocoder placed; None: not asked
    kept: pd.DataFrame | None = None  # the rows kept (extract_terms, with their neighborhood)

    @property
    def rows_loaded(self) -> int:
        return len(self.businesses)

    @property
    def rows_rejected(self) -> int:
        return len(self.rejected)


def transform_businesses(registry: Registry, profile: Profile, neighborhoods: gpd.GeoDataFrame,
                         tracts: gpd.GeoDataFrame | None = None, source_id: str = "businesses",
                         as_of=None, geocoder: Geocoder | None = None) -> BusinessResult:
    """Turn raw registry rows into canonical business locations plus rejects.

    With geocoding on in the profile, rows that have an address but no usable point get
    the point `geocoder` finds for the address (see sources/census_geocoder.py).
    """
    bounds = tuple(neighborhoods.total_bounds) if len(neighborhoods) else None
    terms = extract_terms(registry, profile, bounds)
    geocoded = geocode_terms(terms, geocoder) if profile.geocode.enabled else None
    as_of = pd.Timestamp(as_of).normalize() if as_of is not None else latest_date(terms)
    terms["neighborhood_id"] = place_points(terms, neighborhoods, "neighborhood_id")
    reasons = rejection_reasons(terms)
    rejected = rejected_records(registry, profile, terms, reasons, source_id)
    kept = terms[pd.isna(reasons)]
    locations = merge_terms(kept, as_of)
    if tracts is not None and len(tracts):
        locations["tract_geoid"] = place_points(locations, tracts, "geoid")
    else:
        locations["tract_geoid"] = None
    businesses = canonical_businesses(locations, source_id)
    return BusinessResult(businesses, locations["zip"].reset_index(drop=True), rejected,
                          unmapped_categories(businesses, source_id), len(terms),
                          len(kept) - len(locations), as_of,
                          int(terms["swapped"].sum()), geocoded, kept)


def extract_terms(registry: Registry, profile: Profile, bounds=None) -> pd.DataFrame:
    """One row per raw row: the canonical fields, parsed but not yet judged.

    `bounds` (the city's bounding box) tells swapped coordinates from places elsewhere.
    """
    frame, f, formats = registry.frame, profile.fields, profile.date_formats
    opened, opened_bad = tf.dates(frame, f.opened, formats)
    end, end_bad = tf.dates(frame, f.closed, formats)
    status_date, _ = tf.dates(frame, (f.status_date,) if f.status_date else (), formats)
    latitude, longitude, swapped, repeated = tf.repair_points(*tf.published_points(frame, profile),
                                                              bounds)
    raw_category, sector = tf.sectors(frame, profile)
    terms = pd.DataFrame({
        "row_number": np.arange(1, len(frame) + 1),
        "row_id": tf.text(frame, f.row_id) if f.row_id else pd.NA,
        "key": tf.business_key(frame, f.key),
        "name": tf.first_text(frame, f.name),
        "license_type": tf.text(frame, f.license_type) if f.license_type else pd.NA,
        "raw_category": raw_category, "naics_sector": sector,
        "opened": opened, "opened_bad": opened_bad, "end": end, "end_bad": end_bad,
        "status_closed": tf.closed_status(frame, profile), "status_date": status_date,
        "latitude": latitude, "longitude": longitude, "swapped": swapped, "repeated": repeated,
        "geocode_match": None,
        "address": tf.joined_text(frame, f.address, " "), "zip": tf.zip_codes(frame, f.zip),
        "home_based": tf.flag(frame, profile.home_based),
        "sole_proprietor": tf.flag(frame, profile.sole_proprietor),
        "limited": tf.flag(frame, profile.limited),
    }, index=frame.index)
    if profile.geocode.enabled:
        terms["city"], terms["state"] = tf.geocode_places(frame, profile)
    return terms


def geocode_terms(terms: pd.DataFrame, geocoder: Geocoder | None) -> int | None:
    """Points by address for usable rows with an address and no point (in place).

    Each such row gets its `geocode_match` ('exact', 'non-exact', 'tie', 'no match', or
    'not geocoded' when the geocoder has no answer yet — or there is no geocoder) and, when
    matched, the point. Returns how many distinct addresses were placed (None: no answers).
    """
    no_point = np.isnan(terms["latitude"].to_numpy()) | np.isnan(terms["longitude"].to_numpy())
    wanted = no_point & terms["address"].notna().to_numpy(bool) & pd.isna(row_problems(terms))
    rows = np.flatnonzero(wanted)
    if not len(rows):
        return None
    if geocoder is None:
        terms.iloc[rows, terms.columns.get_loc("geocode_match")] = NOT_YET
        return None
    asked = terms.iloc[rows][["address", "city", "state", "zip"]].rename(columns={"address": "street"})
    found = geocoder(asked)
    match = found["match"].to_numpy(dtype=object)
    placed = np.isin(match, PLACED)
    terms.iloc[rows, terms.columns.get_loc("geocode_match")] = np.where(pd.isna(match), NOT_YET, match)
    for column in ("latitude", "longitude"):
        terms.iloc[rows[placed], terms.columns.get_loc(column)] = found[column].to_numpy()[placed]
    answered = pd.notna(match).any()
    return int(found.loc[placed, "id"].nunique()) if answered else None


def place_points(rows: pd.DataFrame, polygons: gpd.GeoDataFrame, id_column: str) -> np.ndarray:
    """The polygon id of each row's point, testing each distinct point once (renewals share one)."""
    points = rows[["latitude", "longitude"]].drop_duplicates()
    ids = geo.assign_points(points["latitude"], points["longitude"], polygons, id_column)
    found = pd.DataFrame({"latitude": points["latitude"].to_numpy(),
                          "longitude": points["longitude"].to_numpy(), "id": ids})
    placed = rows[["latitude", "longitude"]].merge(found, how="left", on=["latitude", "longitude"])
    return placed["id"].to_numpy(dtype=object)


def latest_date(terms: pd.DataFrame) -> pd.Timestamp:
    """The data's as-of date when none is given: the latest start it records (not after today)."""
    today = pd.Timestamp.today().normalize()
    latest = terms["opened"].max()
    return today if pd.isna(latest) else min(latest, today)


def row_problems(terms: pd.DataFrame) -> np.ndarray:
    """The first reason a row cannot be used whatever its point, or None."""
    return _first_reasons(len(terms), [
        (terms["row_id"].notna() & terms["row_id"].duplicated(keep="first"), "repeated row id"),
        (terms["key"].isna(), "no business key"),
        (terms["opened_bad"], "unparseable opening date"),
        (terms["opened"].isna(), "no opening date"),
        (terms["end_bad"], "unparseable closing date"),
        (terms["end"] < terms["opened"], "term ends before it starts"),
    ])


def rejection_reasons(terms: pd.DataFrame) -> np.ndarray:
    """The first reason each row cannot be used, or None.

    A row without a point says why: the geocoder found no match or several, its address
    is not geocoded yet, or the portal repeated the latitude as the longitude.
    """
    no_point = np.isnan(terms["latitude"].to_numpy()) | np.isnan(terms["longitude"].to_numpy())
    match = terms["geocode_match"].to_numpy(dtype=object)
    reasons = row_problems(terms)
    return _first_reasons(len(terms), [
        (no_point & (match == "no match"), NO_MATCH),
        (no_point & (match == "tie"), TIE),
        (no_point & (match == NOT_YET), NOT_GEOCODED),
        (no_point & terms["repeated"].to_numpy(bool), REPEATED_LATITUDE),
        (no_point, "no coordinates"),
        (terms["neighborhood_id"].isna(), "outside the city"),
    ], reasons)


def _first_reasons(n: int, checks: list, reasons: np.ndarray | None = None) -> np.ndarray:
    reasons = np.full(n, None, dtype=object) if reasons is None else reasons
    for mask, reason in checks:
        mask = np.asarray(mask, dtype=bool)
        reasons[mask & pd.isna(reasons)] = reason
    return reasons


def rejected_records(registry: Registry, profile: Profile, terms: pd.DataFrame,
                     reasons: np.ndarray, source_id: str) -> pd.DataFrame:
    """Rejected rows with their reason and the raw row as JSON (private fields withheld)."""
    positions = np.flatnonzero(pd.notna(reasons))
    records = raw_records(registry, positions)
    private = (terms["home_based"] | terms["sole_proprietor"]).to_numpy()[positions]
    if private.any():
        keep = _shareable_columns(registry, profile)
        records = [_withheld(record, keep) if p else record for record, p in zip(records, private)]
    return pd.DataFrame({
        "source_id": source_id,
        "row_number": terms["row_number"].to_numpy()[positions],
        "reason": reasons[positions].astype(str),
        "raw": records,
    }, columns=c.REJECTED_COLUMNS)


def _withheld(record: str, keep: set[str]) -> str:
    shown = {k: v for k, v in json.loads(record).items() if k in keep}
    return json.dumps(shown | {"withheld": WITHHELD}, ensure_ascii=False)


def _shareable_columns(registry: Registry, profile: Profile) -> set[str]:
    """Original names of the mapped columns that identify neither a person nor a home."""
    f = profile.fields
    private = set(f.name) | set(f.address) | {f.latitude, f.longitude, f.location}
    used = {name for names in f.columns().values() for name in names} - private
    to_original = dict(zip(registry.frame.columns, registry.original_columns))
    return {to_original.get(name, name) for name in used}


def merge_terms(kept: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """One row per business key: the latest term's details, the earliest start, flags of any term.

    The terms are ordered once (by key in order of first appearance, start, end; a term
    without an end last) and each key's last term is taken: one copy of the kept rows,
    not a sort, a de-duplication and a join of them."""
    codes = pd.factorize(kept["key"])[0]
    opened, end = (_nat_last(kept[column]) for column in ("opened", "end"))
    order = np.lexsort((end, opened, codes))       # stable: ties keep their row order
    sorted_codes = codes[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = sorted_codes[1:] != sorted_codes[:-1]
    starts = np.flatnonzero(first)
    ends = np.append(starts[1:], len(order))[:len(starts)]
    summary = {"opened": kept["opened"].to_numpy()[order][starts],   # the earliest start
               "terms_merged": (ends - starts).astype("int64")}
    for flag in ("home_based", "sole_proprietor", "limited"):
        flags = kept[flag].to_numpy(bool)[order]
        summary[flag] = (np.logical_or.reduceat(flags, starts) if len(starts)
                         else np.zeros(0, dtype=bool))
    lasts = ends - 1
    locations = kept.iloc[order[lasts]].drop(columns=list(summary), errors="ignore")
    locations = locations.assign(**summary).reset_index(drop=True)
    locations["closed"] = closing_dates(locations, as_of)
    return locations


def _nat_last(dates: pd.Series) -> np.ndarray:
    """Dates as sortable integers, a missing date after every other."""
    values = dates.to_numpy("datetime64[ns]")
    return np.where(np.isnat(values), np.iinfo("int64").max, values.view("int64"))


def closing_dates(locations: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """NULL while active; the latest term's end once past; the status date if closed by status."""
    end = locations["end"]
    closed = end.where(end < as_of)
    by_status = locations["status_date"].fillna(end).fillna(as_of).clip(upper=as_of)
    closed = closed.mask(locations["status_closed"].astype(bool), by_status)
    return closed.where(closed.isna() | (closed >= locations["opened"]), locations["opened"])


def canonical_businesses(locations: pd.DataFrame, source_id: str) -> pd.DataFrame:
    """Locations in BUSINESS_COLUMNS, with the privacy rules applied."""
    home, sole = locations["home_based"].astype(bool), locations["sole_proprietor"].astype(bool)
    sector = locations["naics_sector"]
    out = pd.DataFrame({
        "business_id": source_id + ":" + locations["key"].astype(str),
        "source": source_id,
        "source_key": locations["key"].astype(str),
        "name": locations["name"].mask(sole),
        "license_type": locations["license_type"],
        "raw_category": locations["raw_category"],
        "category": sector.map(categories.SECTORS).fillna(categories.UNKNOWN_CATEGORY).astype(str),
        "naics_sector": sector,
        "home_based": home, "sole_proprietor": sole,
        "is_micro": home | sole | locations["limited"].astype(bool),
        "opened": locations["opened"].dt.date,
        "closed": locations["closed"].dt.date.astype(object).where(locations["closed"].notna(), None),
        "address": locations["address"].mask(home),
        "latitude": locations["latitude"], "longitude": locations["longitude"],
        "neighborhood_id": locations["neighborhood_id"].astype(str),
        "tract_geoid": locations["tract_geoid"],
        "terms_merged": locations["terms_merged"].astype("int64"),
        "geocode_match": locations["geocode_match"],
    })
    return out[c.BUSINESS_COLUMNS].reset_index(drop=True)


def unmapped_categories(businesses: pd.DataFrame, source_id: str) -> pd.DataFrame:
    """Loaded business locations whose category the profile does not map, by raw category."""
    unmapped = businesses[businesses["naics_sector"].isna()]
    counts = unmapped["raw_category"].fillna("(no category)").value_counts()
    return pd.DataFrame({"source_id": source_id, "raw_category": counts.index.astype(str),
                         "rows": counts.to_numpy(dtype="int64")}, columns=c.UNMAPPED_COLUMNS)
