"""Census ACS 5-year detailed tables by tract: population, households, income, labor force.

One request per county to `https://api.census.gov/data/<year>/acs/acs5` with
`get=NAME,<variables>&for=tract:*&in=state:SS&in=county:CCC` (plus `key=` when
`CENSUS_API_KEY` is set; the key is never written to the cache). The answer is a JSON
array of arrays, header row first, every value a string or null. Negative sentinel
values (-666666666 and kin) mean "no estimate" and become NULL, counted in the stats.

The Census API helpers every Census source shares are in `census_api`.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..cache import RawCache
from ..http import HttpClient
from .. import transform_census as tc
from ..profiles import Profile
from ..source import Build, Source, facts
from .census_api import fetch_table, read_census_table, year_in_name

CACHE_SOURCE = "acs"
API_URL = "https://api.census.gov/data/{year}/acs/acs5"
SOURCE = {
    "name": "American Community Survey 5-year estimates (detailed tables)",
    "publisher": "US Census Bureau",
    "url": API_URL,
    "license": "Public domain (US Census Bureau)",
    "description": ("Tract population, households, median household income, labor force and "
                    "employed residents, each with its 90% margin of error."),
    "wire_format": "JSON array of arrays, header row first; values are strings or null",
}
# Canonical column → ACS 5-year estimate variable; the margin of error is the same name with M.
VARIABLES = {
    "population": "B01003_001E",               # Total population
    "households": "B11001_001E",               # Household type: total households
    "median_household_income": "B19013_001E",  # Median household income (inflation-adjusted dollars)
    "labor_force": "B23025_002E",              # Employment status: in labor force (incl. Armed Forces)
    "employed": "B23025_004E",                 # Civilian labor force: employed
}
MOE_VARIABLES = {f"{column}_moe": var[:-1] + "M" for column, var in VARIABLES.items()}
GEOGRAPHY = ["state", "county", "tract"]
# Estimate / margin annotations the API sends as numbers (ACS "Notes on special values").
SENTINELS = {-666666666.0, -999999999.0, -888888888.0, -222222222.0, -555555555.0, -333333333.0}
CONTROLLED_MOE = -555555555.0   # in a margin column: "estimate is controlled", no sampling error
OUTPUT_COLUMNS = ["geoid", "name", "acs_year", *[c for pair in zip(VARIABLES, MOE_VARIABLES)
                                                  for c in pair]]


def fetch(state: str, counties, year: int, cache: RawCache, client: HttpClient) -> list[Path]:
    """Fetch the tracts of each county into the cache; return the cached files."""
    url = API_URL.format(year=year)
    variables = ",".join(["NAME", *VARIABLES.values(), *MOE_VARIABLES.values()])
    with cache.replacing(CACHE_SOURCE, resume=True) as target:
        for county in counties:
            if cache.kept(target, f"acs5-{year}-{state}{county}.json"):   # before an interruption
                continue
            params = [("get", variables), ("for", "tract:*"),
                      ("in", f"state:{state}"), ("in", f"county:{county}")]
            content, rows = fetch_table(client, url, params, f"ACS tracts of county {state}{county}")
            cache.write(target, f"acs5-{year}-{state}{county}.json", content, url, params, rows)
    return cache.files(CACHE_SOURCE)


def parse(path_or_paths, year: int | None = None) -> tuple[pd.DataFrame, dict]:
    """Tract rows (OUTPUT_COLUMNS) from saved ACS answers, and stats about what was cleaned.

    `year` is the ACS vintage; without it, it is read from file names like `acs5-2022-…`.
    """
    paths = [Path(path_or_paths)] if isinstance(path_or_paths, (str, Path)) else list(path_or_paths)
    stats = {"rows": 0, "sentinel_values_by_column": {}, "controlled_moe_by_column": {},
             "unreadable_values_by_column": {}, "duplicate_tracts": 0}
    frames = [_parse_file(path, year, stats) for path in paths]
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=OUTPUT_COLUMNS)
    before = len(out)
    out = out.drop_duplicates("geoid", keep="last").reset_index(drop=True)
    stats["duplicate_tracts"] = before - len(out)
    stats["rows"] = len(out)
    return out[OUTPUT_COLUMNS], stats


def _parse_file(path: Path, year: int | None, stats: dict) -> pd.DataFrame:
    needed = [*VARIABLES.values(), *MOE_VARIABLES.values(), *GEOGRAPHY]
    raw = read_census_table(path, needed)
    out = pd.DataFrame({"geoid": tract_geoids(raw)})
    out["name"] = raw["NAME"].to_numpy() if "NAME" in raw else None
    out["acs_year"] = year if year is not None else year_in_name(path)
    for column, variable in {**VARIABLES, **MOE_VARIABLES}.items():
        out[column] = _numbers(raw[variable], column, stats)
    return out


def tract_geoids(raw: pd.DataFrame) -> pd.Series:
    """11-character tract GEOIDs from the state, county and tract columns, zero-padded."""
    parts = [raw[name].astype("string").str.strip().str.zfill(width)
             for name, width in zip(GEOGRAPHY, (2, 3, 6))]
    return (parts[0] + parts[1] + parts[2]).astype(object).reset_index(drop=True)


def _numbers(values: pd.Series, column: str, stats: dict) -> np.ndarray:
    """Floats from API strings; sentinels → NaN (a controlled margin → 0), all counted."""
    text = values.astype("string").str.strip()
    numbers = pd.to_numeric(text, errors="coerce").astype("float64").to_numpy(copy=True)
    absent = text.isna().to_numpy() | (text == "").fillna(False).to_numpy()
    unreadable = np.isnan(numbers) & ~absent
    controlled = (numbers == CONTROLLED_MOE) if column.endswith("_moe") else np.zeros(len(numbers), bool)
    sentinel = np.isin(numbers, list(SENTINELS)) & ~controlled
    numbers[sentinel] = np.nan
    numbers[controlled] = 0.0
    _count(stats["sentinel_values_by_column"], column, sentinel.sum())
    _count(stats["controlled_moe_by_column"], column, controlled.sum())
    _count(stats["unreadable_values_by_column"], column, unreadable.sum())
    return numbers


def _count(counter: dict, column: str, count) -> None:
    if count:
        counter[column] = counter.get(column, 0) + int(count)


# ----------------------------------------------------------------------------- the unit

def fetch_for_build(profile: Profile, cache: RawCache, client, build: Build) -> list[Path]:
    build.step(f"fetching {ACS.label}")
    g = profile.geography
    return fetch(g.state_fips, list(g.county_fips), profile.years.acs, cache, client)


def read_into_build(files: list[Path], build: Build) -> None:
    """The ACS figures of each of the city's tracts (read after the tracts)."""
    year = build.profile.years.acs
    if "tracts" not in build.tables:
        build.step(f"{ACS.label} need the census tract shapes; building without them")
        return
    build.step(f"reading ACS {year} tract figures")
    figures = parse(files, year=year)[0]
    build.tables["tracts"], counted = tc.attach_acs(build.tables["tracts"], figures, year)
    build.add_row(ACS, f"ACS 5-year {year}", files, counted, meta=facts(SOURCE, year=year))
    build.rejected.append(counted.rejected)


ACS = Source(
    help="Census ACS API JSON response(s)", many=True,
    name=CACHE_SOURCE, kind="acs", label="ACS 5-year tract figures", tables=("tracts",),
    provenance=SOURCE, fetch=fetch_for_build, read=read_into_build,
    absent="no Census population (ACS) was loaded", needs=("tracts",),
    loaded_when="EXISTS (SELECT 1 FROM tracts WHERE population IS NOT NULL)")
