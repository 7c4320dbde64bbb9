"""Residents (ACS-like) and jobs (LODES-like) of the demo city's tracts.

Margins of error follow the shape of real ACS tract estimates: roughly proportional to
the square root of the estimate plus a floor, so small estimates carry large relative
margins. Jobs are drawn per tract and year with the city-wide 2020 drop, the role's
trend and a little noise (LODES is noise-infused too); the split by sector is a
multinomial draw, so sectors always add up to the total.
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from core.categories import LODES_CNS_SECTORS
from . import roles

TINY_TRACT_MAX = 95    # the rail-yard tract: a rate over so few residents is unreliable


def describe_residents(tracts: gpd.GeoDataFrame, neighborhoods: gpd.GeoDataFrame,
                       acs_year: int, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Tracts with population, households, income, labor force, employed (+ MOEs)."""
    out = tracts.copy()
    cast = _cast(out, neighborhoods)
    tiny = _tiny_tract(out, neighborhoods)
    counts, income = _estimates(cast, out["area_km2"].to_numpy(), tiny, rng)
    out["acs_year"] = acs_year
    for column, (values, k, floor) in counts.items():
        out[column] = values
        out[f"{column}_moe"] = _count_moe(values, k, floor, rng)
    income_moe = income * (0.06 + 3.5 / np.sqrt(np.maximum(counts["households"][0], 1)))
    out["median_household_income"] = np.where(tiny, np.nan, income)
    out["median_household_income_moe"] = np.where(tiny, np.nan, np.round(income_moe))
    commerce = out["area_km2"].to_numpy() * rng.lognormal(0, 0.6, len(out))
    out["commerce"] = np.where(tiny, commerce * 3, commerce)   # where storefronts go
    return out


def _estimates(cast: list[roles.Role], area: np.ndarray, tiny: np.ndarray,
               rng: np.random.Generator) -> tuple[dict, np.ndarray]:
    """Counts (with the MOE shape: k·√estimate + floor) and median household income."""
    n = len(cast)
    population = np.array([c.residents_per_km2 for c in cast]) * area * rng.lognormal(0, 0.3, n)
    population[tiny] = rng.integers(25, TINY_TRACT_MAX)
    population = np.round(population)
    size = np.array([c.household_size for c in cast]) * rng.lognormal(0, 0.06, n)
    households = np.round(population / size)
    income = np.round(np.array([c.income for c in cast]) * rng.lognormal(0, 0.2, n), -2)
    labor = np.round(population * rng.uniform(0.5, 0.68, n))
    jobless = np.where([c is roles.ROLES["declining"] for c in cast], 0.11, 0.05)
    employed = np.round(labor * (1 - jobless * rng.lognormal(0, 0.3, n)))
    counts = {"population": (population, 9, 15), "households": (households, 7, 12),
              "labor_force": (labor, 8, 14), "employed": (employed, 8, 14)}
    return counts, income


def _cast(tracts: pd.DataFrame, neighborhoods: pd.DataFrame) -> list[roles.Role]:
    role_of = dict(zip(neighborhoods["neighborhood_id"], neighborhoods["role"]))
    return [roles.ROLES[role_of[h]] for h in tracts["neighborhood_id"]]


def _tiny_tract(tracts: pd.DataFrame, neighborhoods: pd.DataFrame) -> np.ndarray:
    """The largest tract of the industrial neighborhood: rail yards, hardly anyone lives."""
    industrial = neighborhoods.loc[neighborhoods["role"] == "industrial", "neighborhood_id"]
    candidates = tracts["neighborhood_id"].isin(industrial).to_numpy()
    area = np.where(candidates, tracts["area_km2"].to_numpy(), -1)
    return np.arange(len(tracts)) == area.argmax()


def _count_moe(estimate: np.ndarray, k: float, floor: float,
               rng: np.random.Generator) -> np.ndarray:
    return np.round(k * np.sqrt(estimate) * rng.lognormal(0, 0.15, len(estimate)) + floor)


def simulate_jobs(tracts: gpd.GeoDataFrame, neighborhoods: gpd.GeoDataFrame,
                  years: np.ndarray, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Jobs per tract and year (total, private, small firms, young firms) and by sector."""
    cast = _cast(tracts, neighborhoods)
    level = _first_year_jobs(tracts, neighborhoods, rng)
    trend = np.array([c.jobs_trend for c in cast])
    macro = np.array([1.012 ** (y - years[0]) * roles.JOBS_YEAR_EFFECT.get(y, 1.0) for y in years])
    spread = 0.012 + 0.8 / np.sqrt(np.maximum(level, 1))   # noise-infused, like LODES
    noise = rng.lognormal(0, 1, (len(tracts), len(years))) ** spread[:, None]
    totals = level[:, None] * trend[:, None] ** (years - years[0])[None, :] * macro * noise
    totals = np.maximum(np.round(totals), 8).astype(int)
    mix = _sector_mix(cast, rng)
    by_sector = rng.multinomial(totals.ravel(), np.repeat(mix, len(years), axis=0))
    jobs = pd.DataFrame({
        "geo_level": "tract",
        "geo_id": np.repeat(tracts["geoid"].to_numpy(), len(years)),
        "tract_geoid": np.repeat(tracts["geoid"].to_numpy(), len(years)),
        "neighborhood_id": np.repeat(tracts["neighborhood_id"].to_numpy(), len(years)),
        "year": np.tile(years, len(tracts)),
        "jobs_total": totals.ravel(),
    })
    _private_small_young(jobs, by_sector, cast, years, rng)
    return jobs, _long_sectors(jobs, by_sector)


def _first_year_jobs(tracts: pd.DataFrame, neighborhoods: pd.DataFrame,
                     rng: np.random.Generator) -> np.ndarray:
    """A neighborhood's jobs (role density × area), shared among its tracts by commerce."""
    per_km2 = {row.neighborhood_id: roles.ROLES[row.role].jobs_per_km2 * row.area_km2
               for row in neighborhoods.itertuples()}
    hood_jobs = tracts["neighborhood_id"].map(per_km2).to_numpy()
    share = tracts["commerce"] / tracts.groupby("neighborhood_id")["commerce"].transform("sum")
    return hood_jobs * share.to_numpy() * rng.lognormal(0, 0.1, len(tracts))


def _sector_mix(cast: list[roles.Role], rng: np.random.Generator) -> np.ndarray:
    """Each tract's share of jobs in CNS01..CNS20: its role's mix, perturbed."""
    base = np.array([[c.job_sectors.get(s, 0.3) for s in LODES_CNS_SECTORS] for c in cast])
    base = base / base.sum(axis=1, keepdims=True)
    return np.array([rng.dirichlet(row * 60) for row in base])


def _private_small_young(jobs: pd.DataFrame, by_sector: np.ndarray, cast: list[roles.Role],
                         years: np.ndarray, rng: np.random.Generator) -> None:
    """Private jobs = all minus public administration and most public schools and some
    public hospitals; small-firm and young-firm jobs are shares of the private ones."""
    col = {s: i for i, s in enumerate(LODES_CNS_SECTORS)}
    public = (by_sector[:, col["92"]] + np.round(0.6 * by_sector[:, col["61"]])
              + np.round(0.15 * by_sector[:, col["62"]])).astype(int)
    private = jobs["jobs_total"].to_numpy() - np.maximum(public, 1)
    n_years = len(years)
    small = np.repeat([c.small_share for c in cast], n_years) * np.repeat(
        rng.lognormal(0, 0.12, len(cast)), n_years)
    small *= np.where(jobs["year"].to_numpy() == 2020, 0.93, 1.0)
    young = np.repeat([c.young_share for c in cast], n_years) * rng.lognormal(0, 0.15, len(jobs))
    jobs["jobs_private"] = private
    jobs["jobs_small_firms"] = rng.binomial(private, np.clip(small, 0, 0.9))
    jobs["jobs_young_firms"] = rng.binomial(private, np.clip(young, 0, 0.6))


def _long_sectors(jobs: pd.DataFrame, by_sector: np.ndarray) -> pd.DataFrame:
    out = pd.DataFrame({
        "geo_level": "tract",
        "geo_id": np.repeat(jobs["geo_id"].to_numpy(), len(LODES_CNS_SECTORS)),
        "year": np.repeat(jobs["year"].to_numpy(), len(LODES_CNS_SECTORS)),
        "naics_sector": np.tile(np.array(LODES_CNS_SECTORS, dtype=object), len(jobs)),
        "jobs": by_sector.ravel(),
    })
    return out[out["jobs"] > 0].reset_index(drop=True)
