"""Census ACS 5-year detailed tables by tract: population, households, income, labor force.

One request per county to `https://api.census.gov/data/<year>/acs/acs5` with
`get=NAME,<variables>&for=tract:*&in=state:SS&in=county:CCC` (plus `key=` when
`CENSUS_API_KEY` is set; the key is never written to the cache). The answer is a JSON
array of arrays, header row first, every value a string or null. Negative sentinel
values (-666666666 and kin) mean "no estimate" and become NULL, counted in the stats.

Helpers for any Census API table (`fetch_table`, `read_census_table`) live here too; the
Business Patterns and Nonemployer modules use them.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..cache import RawCache
from core.errors import PipelineError
from ..http import FetchError, HttpClient, census_key, decode_json

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


def fetch_table(client: HttpClient, url: str, params: list[tuple[str, str]],
                what: str) -> tuple[bytes, int]:
    """One Census API table: its raw bytes (`[]` for "no rows") and its number of data rows.

    The key is added to the request only, as a secret parameter.
    """
    key = census_key()
    request_params = [*params, ("key", key)] if key else list(params)
    response = client.get(url, params=request_params, secret_params=("key",))
    table = decode_json(response, what, empty=[])
    if not _is_table(table):
        raise FetchError(f"Census API at {url} did not send a table (an array of arrays) for "
                         f"{what}; check the year and variables asked for.", url)
    missing = _missing_variables(table, params)
    if missing:
        raise FetchError(f"Census API at {url} sent {what} without {missing[0]!r} in its header; "
                         "check the year in the city profile (that vintage may not have it).", url)
    return (response.content if table else b"[]"), max(len(table) - 1, 0)


def _missing_variables(table: list, params: list[tuple[str, str]]) -> list[str]:
    """Variables asked for in `get` that the answer's header lacks (none for an empty answer)."""
    if not table:
        return []
    asked = [v for name, value in params if name == "get" for v in str(value).split(",")]
    header = {str(h) for h in table[0]}
    return [v for v in asked if v not in header]


def _is_table(table) -> bool:
    return isinstance(table, list) and all(isinstance(row, list) for row in table)


def read_census_table(path: Path, needed: list[str]) -> pd.DataFrame:
    """A saved Census API answer as a DataFrame of strings; PipelineError naming what is wrong."""
    path = Path(path)
    try:
        table = json.loads(path.read_bytes() or b"[]")
    except (OSError, ValueError) as error:
        raise PipelineError(f"{path} is not a readable Census API answer ({error}); fetch it "
                            "again or check the file.") from None
    if not _is_table(table) or (table and not all(isinstance(h, str) for h in table[0])):
        raise PipelineError(f"{path} is not a Census API table (a JSON array of arrays with a "
                            "header row first); fetch it again or check the file.")
    if not table:
        return pd.DataFrame({name: pd.Series(dtype="object") for name in needed})
    header, rows = table[0], table[1:]
    missing = [name for name in needed if name not in header]
    if missing:
        raise PipelineError(f"{path} has no column {missing[0]!r} in its header; ask the Census "
                            f"API for {', '.join(missing)} (the city profile's year may not have it).")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise PipelineError(f"{path} repeats the column {repeated[0]!r} in its header; fetch it again.")
    if any(len(row) != len(header) for row in rows):
        raise PipelineError(f"{path} has rows whose length differs from its header; fetch it again.")
    nested = next(((number, name) for number, row in enumerate(rows, start=2)
                   for name, value in zip(header, row) if isinstance(value, (list, dict))), None)
    if nested:
        raise PipelineError(f"{path} has a list or object in column {nested[1]!r} of row "
                            f"{nested[0]}, where a value belongs; fetch it again.")
    return pd.DataFrame(rows, columns=header, dtype="object")


def whole_numbers(values: pd.Series) -> pd.Series:
    """Counts from API values: anything not a finite whole number becomes NULL."""
    numbers = pd.to_numeric(values.astype("string").str.strip(), errors="coerce").astype("float64")
    usable = np.isfinite(numbers) & (numbers % 1 == 0) & (numbers.abs() < 2 ** 53)
    return numbers.where(usable).astype("Int64")


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


def year_in_name(path: Path) -> int | None:
    match = re.search(r"(?<!\d)(19|20)\d{2}(?!\d)", Path(path).name)
    return int(match.group(0)) if match else None


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
