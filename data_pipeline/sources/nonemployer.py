"""Nonemployer Statistics: businesses with no paid employees, by county and NAICS industry.

From the Census API `https://api.census.gov/data/<year>/nonemp` with
`get=NESTAB,NRCPTOT,<NAICS variable>&for=county:CCC&in=state:SS`: NESTAB is the number of
nonemployer establishments, NRCPTOT their receipts in thousands of dollars. Asking for the
NAICS variable in `get` without a value returns every industry level (sector to 6-digit);
`"00"` is all sectors. The figures go no lower than the county and follow the owner's
mailing address (from tax returns), not where the work is done: county context only.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from .. import canonical
from ..cache import RawCache
from core.errors import PipelineError
from ..http import HttpClient
from .. import transform_census as tc
from ..profiles import Profile
from ..source import Build, Source
from .census_api import (fetch_table, read_census_table, read_county_table, whole_numbers,
                         year_in_name)

CACHE_SOURCE = "nonemployers"
API_URL = "https://api.census.gov/data/{year}/nonemp"
SOURCE = {
    "name": "Nonemployer Statistics",
    "publisher": "US Census Bureau",
    "url": API_URL,
    "license": "Public domain (US Census Bureau)",
    "description": ("Businesses with no paid employees (mostly sole proprietors) and their "
                    "receipts, by county and NAICS industry, from federal tax records."),
    "wire_format": "JSON array of arrays, header row first; values are strings",
}


def naics_variable(year: int) -> str:
    """The Nonemployer API's industry variable for a reference year."""
    return "NAICS2012" if year < 2017 else "NAICS2017" if year <= 2022 else "NAICS2022"


def fetch(state: str, counties, year: int, cache: RawCache, client: HttpClient) -> list[Path]:
    """Fetch the counties' nonemployer counts, every industry, into the cache; return the files."""
    url, industry = API_URL.format(year=year), naics_variable(year)
    params = [("get", f"NESTAB,NRCPTOT,{industry}"), ("for", f"county:{','.join(counties)}"),
              ("in", f"state:{state}")]
    with cache.replacing(CACHE_SOURCE) as target:
        content, rows = fetch_table(client, url, params, "nonemployer statistics")
        cache.write(target, f"nonemp-{year}-{state}.json", content, url, params, rows)
    return cache.files(CACHE_SOURCE)


def parse(path: Path, year: int | None = None) -> pd.DataFrame:
    """NONEMPLOYER_COLUMNS rows from one saved Nonemployer API answer."""
    path = Path(path)
    raw = read_census_table(path, ["NESTAB", "state", "county"])
    if raw.empty:                                     # HTTP 204: nothing to report
        return canonical.empty_frame(canonical.NONEMPLOYER_COLUMNS)
    industries = [c for c in raw.columns if re.fullmatch(r"NAICS\d{4}", c)]
    if not industries:
        raise PipelineError(f"{path} has no NAICS column (e.g. NAICS2017) in its header; ask the "
                            "Nonemployer API for the industry variable.")
    out = pd.DataFrame({
        "county_fips": raw["state"].astype(str).str.zfill(2) + raw["county"].astype(str).str.zfill(3),
        "naics": raw[industries[0]].astype(str),
        "establishments": whole_numbers(raw["NESTAB"]),
        "receipts_1000": (pd.to_numeric(raw["NRCPTOT"].astype("string"), errors="coerce")
                          .astype("float64")
                          if "NRCPTOT" in raw else float("nan")),
    })
    out["year"] = year if year is not None else year_in_name(path)
    if out["year"].isna().any():
        raise PipelineError(f"Cannot tell the year of {path}; keep the cache file name "
                            "(nonemp-2021-…) or give the year.")
    out["year"] = out["year"].astype(int)
    return out[canonical.NONEMPLOYER_COLUMNS].reset_index(drop=True)


# ----------------------------------------------------------------------------- the unit

def fetch_for_build(profile: Profile, cache: RawCache, client, build: Build) -> list[Path]:
    build.step(f"fetching {NONEMPLOYERS.label}")
    g = profile.geography
    return fetch(g.state_fips, list(g.county_fips), profile.years.cbp, cache, client)


def read_into_build(files: list[Path], build: Build) -> None:
    read_county_table(NONEMPLOYERS, files, build, parse,
                      lambda frame: tc.city_nonemployers(frame, build.profile.county_geoids))


NONEMPLOYERS = Source(
    help="Census Nonemployer Statistics API JSON response(s)", many=True,
    name=CACHE_SOURCE, kind="nonemployers", label="Nonemployer Statistics",
    tables=("nonemployers",), provenance=SOURCE, fetch=fetch_for_build, read=read_into_build,
    absent="no Census Nonemployer Statistics were loaded")
