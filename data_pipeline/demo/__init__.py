"""The built-in demo city, Port Juniper: synthetic, deterministic, plainly fictional.

`generate(seed)` fills every table of a `CityData` from one `numpy.random.default_rng(seed)`
and nothing else (no clock, no network): the same seed gives the same database, another
seed another city. It stands in for every source of `data_pipeline.sources` at once (its
`sources` rows say which), and lives apart from them. The pieces of this package:

- `geography` — outline, 36 neighborhoods, tracts nested inside them
- `roles` — what each kind of neighborhood is like (the story of the city)
- `census` — ACS-like residents and LODES-like jobs per tract
- `registry` — the businesses, their openings and closures, points
- `licenses` — the registry's raw license terms and bad rows, and their reconciliation
- `patterns` — ZIP Business Patterns and county Nonemployer Statistics
- `loans` — SBA 7(a)/504 and PPP loans by ZIP code
- `words` — names, descriptions and licence words
- `layers` — further sets of areas: six districts and twelve ZIP codes made of the neighborhoods
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import canonical as c
from ..load import Step, write_database
from core import paths

from . import census as demo_census
from . import layers as demo_layers
from . import geography as demo_geography
from . import licenses as demo_licenses
from . import loans as demo_loans
from . import patterns as demo_patterns
from . import registry as demo_registry
from .roles import ROLE_NAMES, ROLES
from .words import NEIGHBORHOOD_NAMES

CITY_NAME = "Port Juniper (demo city)"
CITY_SLUG = "demo"
FIRST_YEAR, LAST_YEAR = 2012, 2025
AS_OF = np.datetime64(f"{LAST_YEAR}-12-31")
GENERATED_AT = pd.Timestamp(f"{LAST_YEAR}-12-31 00:00")
JOBS_YEARS = np.arange(FIRST_YEAR, LAST_YEAR)           # LODES runs a year or two behind
CENSUS_YEARS = np.arange(FIRST_YEAR, LAST_YEAR - 1)     # Business Patterns, Nonemployers
REGISTRY_SOURCE = "demo_registry"
PUBLISHER = "Main Street Atlas demo generator (synthetic data)"
LICENSE = "Synthetic data, free to use (CC0)"


def generate(seed: int = 42) -> c.CityData:
    """Port Juniper for `seed`: every table filled, rows reconciled, nothing real."""
    rng = np.random.default_rng(seed)
    place = demo_geography.build_geography(rng, ROLE_NAMES, NEIGHBORHOOD_NAMES)
    tracts = demo_census.describe_residents(place.tracts, place.neighborhoods, LAST_YEAR, rng)
    world = demo_registry.simulate_businesses(place.neighborhoods, tracts, FIRST_YEAR,
                                              LAST_YEAR, rng)
    raw = demo_licenses.raw_registry(world, place.outline, AS_OF, rng)
    registry = demo_licenses.reconcile(raw, place.outline, tracts, REGISTRY_SOURCE)
    businesses = registry.businesses[c.BUSINESS_COLUMNS]
    jobs, jobs_by_sector = demo_census.simulate_jobs(tracts, place.neighborhoods, JOBS_YEARS, rng)
    zip_of = demo_patterns.assign_zips(place.neighborhoods)
    patterns = demo_patterns.business_patterns(businesses, zip_of, CENSUS_YEARS, rng)
    county = demo_geography.STATE_FIPS + demo_geography.COUNTY_FIPS
    nonemployers = demo_patterns.nonemployers(businesses, county, CENSUS_YEARS, rng)
    # A stream of its own, so that adding the loans changed no other table of the demo.
    loans = demo_loans.simulate_loans(businesses, zip_of, np.arange(FIRST_YEAR, LAST_YEAR + 1),
                                      np.random.default_rng([seed, 16]))
    # Licence processing dates, from a stream of their own too.
    processing = demo_licenses.license_processing(registry, REGISTRY_SOURCE,
                                                  np.random.default_rng([seed, 162]))
    neighborhoods = gpd.GeoDataFrame(place.neighborhoods[c.NEIGHBORHOOD_COLUMNS],
                                     geometry="geometry", crs=place.neighborhoods.crs)
    tract_shapes = gpd.GeoDataFrame(tracts[c.TRACT_COLUMNS], geometry="geometry", crs=tracts.crs)
    tables = {"neighborhoods": neighborhoods, "tracts": tract_shapes[["geoid", "geometry"]],
              "acs": tract_shapes.drop(columns="geometry"), "raw": raw, "jobs": jobs,
              "patterns": patterns, "nonemployers": nonemployers,
              "ppp": loans[loans["program"] == "PPP"], "sba": loans[loans["program"] != "PPP"]}
    return c.CityData(
        city_name=CITY_NAME, city_slug=CITY_SLUG, neighborhoods=neighborhoods,
        businesses=businesses, sources=_sources(seed, tables, registry),
        tracts=tract_shapes, tract_weights=_nested_weights(tracts), jobs=jobs,
        jobs_by_sector=jobs_by_sector, business_patterns=patterns,
        zip_weights=demo_patterns.zip_weights(businesses, zip_of), nonemployers=nonemployers,
        rejected=registry.rejected, unmapped_categories=registry.unmapped,
        build_info=_build_info(seed, place.neighborhoods),
        other_tables={"loans": loans, "license_processing": processing})


def _nested_weights(tracts: pd.DataFrame) -> pd.DataFrame:
    """Each tract lies wholly inside one neighborhood: weight 1, method 'nested'."""
    return pd.DataFrame({"geoid": tracts["geoid"].to_numpy(),
                         "neighborhood_id": tracts["neighborhood_id"].to_numpy(),
                         "weight": 1.0, "method": "nested"})


def _build_info(seed: int, neighborhoods: pd.DataFrame) -> dict[str, str]:
    named = dict(zip(neighborhoods["role"], neighborhoods["name"]))
    guide = "; ".join(f"{named[role]} is {ROLES[role].label}" for role in ROLE_NAMES)
    return {
        "is_demo": "true", "seed": str(seed),
        "first_year": str(FIRST_YEAR), "last_year": str(LAST_YEAR),
        "state_fips": demo_geography.STATE_FIPS, "county_fips": demo_geography.COUNTY_FIPS,
        "demo_note": (f"Port Juniper is a made-up city: every place, business and number "
                      f"here is synthetic, generated from seed {seed}."),
        "demo_guide": guide + ".",
        "registry_note": ("The demo registry lists two-year license terms; renewals are "
                          "merged into one business location."),
        "data_as_of": str(AS_OF),
        "layer": "neighborhoods", "area_singular": "neighborhood",
        "area_plural": "neighborhoods",
    }


def _sources(seed: int, tables: dict[str, pd.DataFrame],
             registry: demo_licenses.Reconciled) -> pd.DataFrame:
    """One row per generated input, with its rows accounted for."""
    def simple(source_id, kind, name, key):
        rows = len(tables[key])
        return (source_id, kind, name, _digest(tables[key]), rows, rows, 0, 0)
    rows = [
        (REGISTRY_SOURCE, "businesses", "Port Juniper business licenses (synthetic)",
         _digest(tables["raw"]), registry.rows_raw, len(registry.businesses),
         registry.rows_merged, len(registry.rejected)),
        simple("demo_neighborhoods", "neighborhoods", "Port Juniper neighborhoods (synthetic)",
               "neighborhoods"),
        simple("demo_tracts", "tracts", "Census tracts of Port Juniper (synthetic)", "tracts"),
        simple("demo_acs", "acs", "ACS-like residents by tract (synthetic)", "acs"),
        simple("demo_jobs", "jobs", "LODES-like jobs by tract (synthetic)", "jobs"),
        simple("demo_business_patterns", "business_patterns",
               "ZIP Business Patterns-like establishments (synthetic)", "patterns"),
        simple("demo_nonemployers", "nonemployers",
               "Nonemployer Statistics-like county counts (synthetic)", "nonemployers"),
        simple("demo_ppp_loans", "ppp_loans", "PPP-like loans by ZIP code (synthetic)", "ppp"),
        simple("demo_sba_loans", "sba_loans", "SBA 7(a)- and 504-like loans by ZIP code (synthetic)",
               "sba"),
    ]
    out = pd.DataFrame(rows, columns=["source_id", "kind", "name", "sha256", "rows_raw",
                                      "rows_loaded", "rows_merged", "rows_rejected"])
    out["publisher"], out["url"], out["license"] = PUBLISHER, None, LICENSE
    out["vintage"] = f"synthetic, seed {seed}"
    out["fetched_at"] = GENERATED_AT
    return out[c.SOURCE_COLUMNS]


def _digest(frame: pd.DataFrame) -> str:
    """sha256 of a table's content (geometry as WKB), the same for the same seed."""
    plain = pd.DataFrame(frame).copy()
    if "geometry" in plain:
        plain["geometry"] = [bytes(b).hex() for b in shapely.to_wkb(plain["geometry"].to_numpy())]
    hashed = pd.util.hash_pandas_object(plain, index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()


def build_demo(db: Path | str, seed: int = 42, on_step: Step | None = None,
               suppression_threshold: int | None = None, layers: bool = True) -> Path:
    """Generate the synthetic demo city for `seed` and load it atomically into `db`; with
    `layers`, its districts and ZIP codes too, beside it (`demo.districts.duckdb`,
    `demo.zips.duckdb`)."""
    step = on_step or (lambda message: None)
    step(f"generating the demo city (seed {seed})")
    data = generate(seed=seed)
    others = [(layer, demo_layers.regroup(data, layer))
              for layer in (demo_layers.LAYERS if layers else ())]
    written = write_database(data, db, on_step=step, suppression_threshold=suppression_threshold)
    for layer, regrouped in others:
        step(f"the same city by {layer.singular}")
        write_database(regrouped, paths.layer_path(Path(db), layer.id), on_step=step,
                       suppression_threshold=suppression_threshold)
    return written
