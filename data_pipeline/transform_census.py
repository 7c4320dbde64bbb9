"""Census inputs fitted to a city: tracts and their weights, ACS figures, LODES jobs,
Business Patterns and their ZIP weights.

Scope rule: a state or county file holds far more than the city. Rows outside the city
(tracts that do not overlap its neighborhoods, jobs in other tracts, ZIPs where the
registry has no business) are out of scope and are not counted as raw rows of the city;
rows inside the city that cannot be used are rejected with a reason.
"""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from . import canonical as c
from . import geo

INSIDE_SHARE = 0.001    # a tract counts as the city's when at least 0.1% of it is inside
NESTED_SHARE = 0.99     # a tract this much inside one neighborhood locates its jobs there
ACS_COLUMNS = [col for col in c.TRACT_COLUMNS if col not in ("geoid", "name", "geometry")]


@dataclass
class Counted:
    """A table fitted to the city with its reconciliation counts."""

    frame: pd.DataFrame
    rows_raw: int
    rows_rejected: int = 0
    rows_merged: int = 0
    rejected: pd.DataFrame | None = None

    @property
    def rows_loaded(self) -> int:
        return len(self.frame)


def city_tracts(shapes: gpd.GeoDataFrame,
                neighborhoods: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """The tracts overlapping the city (ACS columns empty) and their area weights."""
    weights = geo.tract_weights_by_area(shapes, neighborhoods)
    share = weights.groupby("geoid")["weight"].sum()
    inside = share[share >= INSIDE_SHARE].index
    tracts = shapes[shapes["geoid"].isin(inside)].reset_index(drop=True)
    for column in ACS_COLUMNS:
        tracts[column] = pd.NA
    tracts = gpd.GeoDataFrame(tracts[c.TRACT_COLUMNS], geometry="geometry", crs=shapes.crs)
    return tracts, weights[weights["geoid"].isin(inside)].reset_index(drop=True)


def attach_acs(tracts: gpd.GeoDataFrame, acs: pd.DataFrame, acs_year: int,
               source_id: str = "acs") -> tuple[gpd.GeoDataFrame, Counted]:
    """Tract figures from an ACS table (matched on the 11-digit GEOID)."""
    acs = acs.copy()
    acs["geoid"] = acs["geoid"].astype(str).str.strip().str.zfill(11)
    if "acs_year" not in acs:
        acs["acs_year"] = acs_year
    in_city = acs[acs["geoid"].isin(tracts["geoid"])]
    repeated = in_city["geoid"].duplicated(keep="first")
    figures = in_city[~repeated].set_index("geoid")
    out = tracts.drop(columns=ACS_COLUMNS).join(
        figures[[col for col in ACS_COLUMNS if col in figures]], on="geoid")
    for column in ACS_COLUMNS:
        if column not in out:
            out[column] = pd.NA
    rejected = _rejected_rows(in_city[repeated], source_id, "repeated tract GEOID")
    counted = Counted(figures.reset_index(), len(in_city), len(rejected), rejected=rejected)
    return gpd.GeoDataFrame(out[c.TRACT_COLUMNS], geometry="geometry", crs=tracts.crs), counted


def _rejected_rows(rows: pd.DataFrame, source_id: str, reason: str) -> pd.DataFrame:
    return pd.DataFrame({"source_id": source_id, "row_number": pd.NA, "reason": reason,
                         "raw": rows.astype(str).to_json(orient="records", lines=True).splitlines()
                         if len(rows) else []}, columns=c.REJECTED_COLUMNS)


def nested_neighborhoods(weights: pd.DataFrame) -> pd.Series:
    """Tract GEOID → neighborhood id, for tracts (almost) wholly inside one neighborhood."""
    nested = weights[weights["weight"] >= NESTED_SHARE]
    return nested.drop_duplicates("geoid").set_index("geoid")["neighborhood_id"]


def place_jobs(jobs: pd.DataFrame, jobs_by_sector: pd.DataFrame, county_geoids: list[str],
               tracts: gpd.GeoDataFrame | None,
               weights: pd.DataFrame | None) -> tuple[Counted, pd.DataFrame]:
    """Jobs rows of the city, located in a neighborhood when their tract is nested in one.

    Without tract shapes the city's extent is unknown: rows of the profile's counties are
    kept, with neighborhood_id NULL (the marts apportion by tract weights when they exist).
    """
    jobs = jobs.copy()
    jobs["tract_geoid"] = jobs["tract_geoid"].fillna(jobs["geo_id"].astype(str).str[:11])
    if tracts is not None and len(tracts):
        in_city = jobs["tract_geoid"].isin(tracts["geoid"])
        jobs["neighborhood_id"] = jobs["tract_geoid"].map(nested_neighborhoods(weights))
    else:
        in_city = jobs["tract_geoid"].str[:5].isin(county_geoids)
        jobs["neighborhood_id"] = None
    jobs = jobs[in_city]
    units = jobs[["geo_level", "geo_id"]].drop_duplicates()
    sectors = jobs_by_sector.merge(units, on=["geo_level", "geo_id"], how="inner")
    return Counted(jobs[c.JOB_COLUMNS].reset_index(drop=True), len(jobs)), sectors[c.JOB_SECTOR_COLUMNS]


def city_business_patterns(patterns: pd.DataFrame, zips: pd.Series,
                           county_geoids: list[str]) -> Counted:
    """Business Patterns rows of the city: its ZIPs (those in the registry) and its counties."""
    level = patterns["geo_level"]
    keep = ((level == "zip") & patterns["geo_id"].isin(set(zips.dropna()))) | \
           ((level == "county") & patterns["geo_id"].isin(county_geoids))
    rows = patterns[keep].reset_index(drop=True)
    return Counted(rows[c.BUSINESS_PATTERN_COLUMNS], len(rows))


def city_nonemployers(frame: pd.DataFrame, county_geoids: list[str]) -> Counted:
    """Nonemployer Statistics rows of the profile's counties."""
    rows = frame[frame["county_fips"].astype(str).isin(county_geoids)].reset_index(drop=True)
    return Counted(rows[c.NONEMPLOYER_COLUMNS], len(rows))
