"""County and ZIP Code Business Patterns: establishments by employment size class and NAICS.

Both come from the Census CBP API, `https://api.census.gov/data/<year>/cbp`. Since reference
year 2019 the ZIP Code Business Patterns are part of that API (geography `zip code`); the
separate `zbp` API ends with 2018. Asking for `EMPSZES` in `get` returns every size class
("212" = establishments with 1 to 4 employees, the micro class; "001" = all); the NAICS
code is a predicate (`NAICS2017=00` = all sectors). The industry variable is named after
the NAICS edition: NAICS2017 for 2017–2023, NAICS2022 afterwards (`naics_variable`).

Caveats that travel with the numbers (CBP technical documentation): size classes are set
by paid employment in the pay period including March 12, and the "1 to 4" class also
holds establishments with nobody on payroll then but wages paid some time in the year;
since 2017, cells of fewer than 3 establishments are not published, so summed cells
undercount.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from .. import canonical
from ..cache import RawCache, public_params
from core.errors import PipelineError
from ..http import HttpClient
from .. import transform_census as tc
from ..profiles import Profile
from ..source import Build, Source
from .census_api import (fetch_table, read_census_table, read_county_table, whole_numbers,
                         year_in_name)

CACHE_SOURCE = "business_patterns"
API_URL = "https://api.census.gov/data/{year}/cbp"
SOURCE = {
    "name": "County Business Patterns and ZIP Code Business Patterns",
    "publisher": "US Census Bureau",
    "url": API_URL,
    "license": "Public domain (US Census Bureau)",
    "description": ("Establishments with paid employees by employment size class (EMPSZES; "
                    "'1 to 4 employees' is the micro class) and NAICS industry, by county and "
                    "by ZIP code."),
    "wire_format": "JSON array of arrays, header row first; values are strings",
}
ZIP_BATCH = 50
ALL_SECTORS = "00"


def naics_variable(year: int) -> str:
    """The CBP API's industry variable for a reference year."""
    return "NAICS2012" if year < 2017 else "NAICS2017" if year <= 2023 else "NAICS2022"


def fetch(state: str, counties, year: int, cache: RawCache, client: HttpClient, zips=(),
          naics=(ALL_SECTORS,)) -> list[Path]:
    """Fetch county (and, given `zips`, ZIP) size-class counts into the cache; return the files."""
    url, industry = API_URL.format(year=year), naics_variable(year)
    variables = f"ESTAB,EMPSZES,EMPSZES_LABEL,{industry}"
    zips = sorted({str(z).zfill(5) for z in zips})
    requests = []
    for code in naics:
        requests.append((f"cbp-{year}-county-{state}-{code}.json", f"county business patterns ({code})",
                         [("get", variables), ("for", f"county:{','.join(counties)}"),
                          ("in", f"state:{state}"), (industry, code)]))
        for start in range(0, len(zips), ZIP_BATCH):
            batch = zips[start:start + ZIP_BATCH]
            requests.append((f"cbp-{year}-zip-{start // ZIP_BATCH + 1:03d}-{code}.json",
                             f"ZIP business patterns ({code})",
                             [("get", variables), ("for", f"zip code:{','.join(batch)}"),
                              (industry, code)]))
    with cache.replacing(CACHE_SOURCE, resume=True) as target:
        for name, what, params in requests:
            if _kept(cache, target, name, params):   # fetched before an interruption
                continue
            content, rows = fetch_table(client, url, params, what)
            cache.write(target, name, content, url, params, rows)
    return cache.files(CACHE_SOURCE)


def _kept(cache: RawCache, target: str, name: str, params: list) -> bool:
    """True when `target` holds this file, fetched with the same parameters."""
    entry = cache.kept(target, name)
    return bool(entry) and entry["params"] == json.loads(json.dumps(public_params(params)))


def parse(path: Path, year: int | None = None) -> pd.DataFrame:
    """BUSINESS_PATTERN_COLUMNS rows from one saved CBP answer (county or ZIP geography)."""
    path = Path(path)
    raw = read_census_table(path, ["ESTAB", "EMPSZES"])
    if raw.empty:                                     # HTTP 204: no establishments to report
        return canonical.empty_frame(canonical.BUSINESS_PATTERN_COLUMNS)
    industry = _industry_column(raw)
    if "LFO" in raw:                                  # legal form: keep the all-forms total
        raw = raw[raw["LFO"].astype(str) == "001"]
    out = pd.DataFrame({"geo_level": None, "geo_id": _geo_ids(raw, path)}, index=raw.index)
    out["geo_level"] = "zip" if "zip code" in raw else "county"
    out["year"] = year if year is not None else year_in_name(path)
    if out["year"].isna().any():
        raise PipelineError(f"Cannot tell the year of {path}; keep the cache file name "
                            "(cbp-2021-…) or give the year.")
    out["naics"] = raw[industry] if industry else ALL_SECTORS
    out["size_class"] = raw["EMPSZES"].astype(str).str.zfill(3)
    out["size_label"] = raw["EMPSZES_LABEL"] if "EMPSZES_LABEL" in raw else None
    out["establishments"] = whole_numbers(raw["ESTAB"])
    out["year"] = out["year"].astype(int)
    return out[canonical.BUSINESS_PATTERN_COLUMNS].reset_index(drop=True)


def _industry_column(raw: pd.DataFrame) -> str | None:
    names = [c for c in raw.columns if re.fullmatch(r"NAICS\d{4}", c)]
    return names[0] if names else None


def _geo_ids(raw: pd.DataFrame, path: Path) -> pd.Series:
    if "zip code" in raw:
        return raw["zip code"].astype(str).str.zfill(5)
    if "county" in raw and "state" in raw:
        return raw["state"].astype(str).str.zfill(2) + raw["county"].astype(str).str.zfill(3)
    raise PipelineError(f"{path} has neither a 'zip code' nor 'state' and 'county' columns; "
                        "ask the CBP API for county or ZIP code geography.")


# ----------------------------------------------------------------------------- the unit

def fetch_for_build(profile: Profile, cache: RawCache, client, build: Build) -> list[Path]:
    build.step(f"fetching {PATTERNS.label}")
    g = profile.geography
    return fetch(g.state_fips, list(g.county_fips), profile.years.cbp, cache, client,
                 zips=build.zips)


def read_into_build(files: list[Path], build: Build) -> None:
    """The city's ZIP codes and counties of the Business Patterns (read after the registry)."""
    read_county_table(PATTERNS, files, build, parse, lambda frame: tc.city_business_patterns(
        frame, pd.Series(build.zips, dtype=object), build.profile.county_geoids))


PATTERNS = Source(
    help="Census CBP/ZBP API JSON response(s)", many=True,
    name=CACHE_SOURCE, kind="business_patterns", label="County and ZIP Business Patterns",
    tables=("business_patterns",), provenance=SOURCE, fetch=fetch_for_build, read=read_into_build,
    absent="no Census ZIP Business Patterns were loaded")
