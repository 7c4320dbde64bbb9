"""The canonical bundle every source produces and the loader writes.

A build (demo, real city, local import) ends by filling a `CityData`; `load.write_database`
turns it into a DuckDB file. Column lists here mirror `sql/schema.sql`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

NEIGHBORHOOD_COLUMNS = ["neighborhood_id", "name", "geometry"]
TRACT_COLUMNS = [
    "geoid", "name", "acs_year",
    "population", "population_moe", "households", "households_moe",
    "median_household_income", "median_household_income_moe",
    "labor_force", "labor_force_moe", "employed", "employed_moe",
    "geometry",
]
BUSINESS_COLUMNS = [
    "business_id", "source", "source_key", "name", "license_type", "raw_category",
    "category", "naics_sector", "home_based", "sole_proprietor", "is_micro",
    "opened", "closed", "address", "latitude", "longitude",
    "neighborhood_id", "tract_geoid", "terms_merged", "geocode_match",
]
JOB_COLUMNS = [
    "geo_level", "geo_id", "tract_geoid", "neighborhood_id", "year",
    "jobs_total", "jobs_private", "jobs_small_firms", "jobs_young_firms",
]
JOB_SECTOR_COLUMNS = ["geo_level", "geo_id", "year", "naics_sector", "jobs"]
BUSINESS_PATTERN_COLUMNS = [
    "geo_level", "geo_id", "year", "naics", "size_class", "size_label", "establishments",
]
ZIP_WEIGHT_COLUMNS = ["zip", "neighborhood_id", "weight", "method"]
NONEMPLOYER_COLUMNS = ["county_fips", "year", "naics", "establishments", "receipts_1000"]
SOURCE_COLUMNS = [
    "source_id", "kind", "name", "publisher", "url", "vintage", "license", "fetched_at",
    "sha256", "rows_raw", "rows_loaded", "rows_merged", "rows_rejected",
]
REJECTED_COLUMNS = ["source_id", "row_number", "reason", "raw"]
UNMAPPED_COLUMNS = ["source_id", "raw_category", "rows"]

# CityData field → the table it is loaded into (a source's other tables: `other_tables`).
FIELD_TABLES = {
    "neighborhoods": "neighborhoods", "businesses": "businesses", "tracts": "tracts",
    "tract_weights": "tract_neighborhood_weights", "jobs": "jobs",
    "jobs_by_sector": "jobs_by_sector", "business_patterns": "business_patterns",
    "zip_weights": "zip_neighborhood_weights", "nonemployers": "nonemployers",
    "unmapped_categories": "unmapped_categories",
}


def empty_frame(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})


@dataclass
class CityData:
    """Everything one build loads. Optional tables may stay empty ("not available")."""

    city_name: str
    city_slug: str
    neighborhoods: gpd.GeoDataFrame           # NEIGHBORHOOD_COLUMNS, EPSG:4326
    businesses: pd.DataFrame                  # BUSINESS_COLUMNS
    sources: pd.DataFrame                     # SOURCE_COLUMNS
    tracts: gpd.GeoDataFrame | None = None    # TRACT_COLUMNS, EPSG:4326
    tract_weights: pd.DataFrame | None = None  # geoid, neighborhood_id, weight, method
    jobs: pd.DataFrame = field(default_factory=lambda: empty_frame(JOB_COLUMNS))
    jobs_by_sector: pd.DataFrame = field(default_factory=lambda: empty_frame(JOB_SECTOR_COLUMNS))
    business_patterns: pd.DataFrame = field(
        default_factory=lambda: empty_frame(BUSINESS_PATTERN_COLUMNS))
    zip_weights: pd.DataFrame = field(default_factory=lambda: empty_frame(ZIP_WEIGHT_COLUMNS))
    nonemployers: pd.DataFrame = field(default_factory=lambda: empty_frame(NONEMPLOYER_COLUMNS))
    rejected: pd.DataFrame = field(default_factory=lambda: empty_frame(REJECTED_COLUMNS))
    unmapped_categories: pd.DataFrame = field(
        default_factory=lambda: empty_frame(UNMAPPED_COLUMNS))
    build_info: dict[str, str] = field(default_factory=dict)
    other_tables: dict[str, pd.DataFrame] = field(default_factory=dict)   # tables of newer sources
    # Rejected rows a source left in its working database (scratch.Staged), loaded after `rejected`.
    staged_rejected: list = field(default_factory=list)

    def in_memory(self) -> "CityData":
        """The bundle with every staged table read into a frame (small builds and tests)."""
        def frame(value):
            return value if isinstance(value, pd.DataFrame) or value is None else value.df()
        for name in FIELD_TABLES:
            setattr(self, name, frame(getattr(self, name)))
        self.other_tables = {table: frame(value) for table, value in self.other_tables.items()}
        parts = [self.rejected, *(frame(part) for part in self.staged_rejected)]
        self.rejected = pd.concat([p for p in parts if len(p)] or [self.rejected],
                                  ignore_index=True)[REJECTED_COLUMNS]
        self.staged_rejected = []
        return self

    def row_tables(self) -> dict[str, pd.DataFrame]:
        """Every table without shapes, by table name, as `load` inserts them (the shapes,
        tracts' weights and build_info are written first)."""
        fields = {table: getattr(self, name) for name, table in FIELD_TABLES.items()
                  if table not in ("neighborhoods", "tracts", "tract_neighborhood_weights")}
        return {**fields, **self.other_tables, "sources": self.sources,
                "rejected_records": self.rejected}
