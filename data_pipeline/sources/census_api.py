"""The Census Bureau's data API, as every Census source uses it: fetch a table, read a saved
answer, and the small readers of its values.

An answer is a JSON array of arrays, header row first, every value a string or null; a
request carries `key=` only when `CENSUS_API_KEY` is set, and the key never reaches the
cache (it is a secret parameter of the HTTP layer). Used by `census_acs`,
`business_patterns` and `nonemployer`.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from core.errors import PipelineError

from ..http import FetchError, HttpClient, census_key, decode_json
from ..source import Build, Source, facts
from ..transform_census import Counted


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


def year_in_name(path: Path) -> int | None:
    match = re.search(r"(?<!\d)(19|20)\d{2}(?!\d)", Path(path).name)
    return int(match.group(0)) if match else None


def read_county_table(source: Source, files: list[Path], build: Build,
                      parse: Callable[[Path, int], pd.DataFrame],
                      fit: Callable[[pd.DataFrame], Counted]) -> None:
    """Read a Census table of the profile's Business Patterns year, fit it to the city and
    add it, with its `sources` row, to the build (Business Patterns, Nonemployer Statistics)."""
    build.step(f"reading {source.label}")
    year = build.profile.years.cbp
    counted = fit(pd.concat([parse(path, year) for path in files], ignore_index=True))
    build.tables[source.tables[0]] = counted.frame
    build.add_row(source, str(year), files, counted, meta=facts(source.provenance, year=year))
