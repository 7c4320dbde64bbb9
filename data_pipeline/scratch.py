"""The registry's working database: DuckDB in memory, spilling to disk past a limit.

The registry is read into it and transformed there in SQL (`transform.py`), so a build
holds no copy of the registry in Python: memory stays bounded whatever the number of
rows. Python touches only distinct values (dates, categories, points), through
`lookup`. Tables the transform leaves here are handed on as `Staged`: `load.py` attaches the
build's database file to this connection and copies them across in SQL.
"""
from __future__ import annotations

import itertools
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import duckdb
import pandas as pd
import pyarrow as pa

# DuckDB's own memory for the working database; past it, it spills to a temporary
# folder. ATLAS_MEMORY_LIMIT overrides it (a DuckDB size: "2GB"). 600 MB keeps a whole
# import, Python and its libraries included, under 1 GB at any registry size (measured on
# 1M and 10M real-shaped rows: benchmarks/RESULTS.md); 500 MB spilled enough to cost 40%.
MEMORY_LIMIT = "600MB"
_numbers = itertools.count()
KEY = "key:"          # prefix of a lookup table's key columns


def connect() -> duckdb.DuckDBPyConnection:
    """A fresh in-memory working database with the memory limit and a spill folder."""
    con = duckdb.connect()
    limit_memory(con)
    spill = Path(tempfile.gettempdir()) / f"atlas-spill-{os.getpid()}-{next(_numbers)}"
    con.execute("SET temp_directory = ?", [str(spill)])   # made, and removed, by DuckDB
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET enable_progress_bar = false")
    return con


def limit_memory(con: duckdb.DuckDBPyConnection) -> None:
    """DuckDB's memory limit for a connection of the build (ATLAS_MEMORY_LIMIT or MEMORY_LIMIT)."""
    con.execute("SET memory_limit = ?", [os.environ.get("ATLAS_MEMORY_LIMIT", MEMORY_LIMIT)])


def q(name: str) -> str:
    """A column or table name as a quoted SQL identifier."""
    return '"' + str(name).replace('"', '""') + '"'


def lit(text: str) -> str:
    """A text as a SQL string literal (for names the code or the input's header gives)."""
    return "'" + str(text).replace("'", "''") + "'"


def lookup(con: duckdb.DuckDBPyConnection, name: str, source: str, keys: list[str],
           func: Callable[[pd.DataFrame], dict]) -> None:
    """Table `name`: each distinct combination of `keys` (columns of `source`) once, with
    the columns `func` computes from a frame of those combinations (a registry repeats
    its dates, categories and points thousands of times; Python sees each once).

    Key columns are named KEY + their name; join with `joined(name, keys, alias)`."""
    columns = ", ".join(q(k) for k in keys)
    frame = con.execute(f"SELECT DISTINCT {columns} FROM {source}").df()  # noqa: S608 (reviewed: quoted names only)
    computed = func(frame) if len(frame) else func(frame.astype("string"))
    table = pa.table({**{KEY + key: pa.array(frame[key], from_pandas=True) for key in keys},
                      **{column: _arrow(values) for column, values in computed.items()}})
    con.register(f"{name}_arrow", table)
    con.execute(f"CREATE OR REPLACE TABLE {q(name)} AS SELECT * FROM {q(name + '_arrow')}")  # noqa: S608 (reviewed: quoted names only)
    con.unregister(f"{name}_arrow")


def joined(name: str, keys: list[str], alias: str, on: str = "r") -> str:
    """`LEFT JOIN` of lookup `name` on its keys (missing values match missing values)."""
    condition = " AND ".join(f"{alias}.{q(KEY + k)} IS NOT DISTINCT FROM {on}.{q(k)}" for k in keys)
    return f"LEFT JOIN {q(name)} {alias} ON {condition}" if keys else f"CROSS JOIN {q(name)} {alias}"


def _arrow(values) -> pa.Array:
    series = pd.Series(values)
    if series.dtype == bool or str(series.dtype) == "boolean":
        return pa.array(series.astype("boolean"), type=pa.bool_(), from_pandas=True)
    if str(series.dtype).startswith("datetime64"):
        return pa.array(series.astype("datetime64[ns]"), from_pandas=True).cast(pa.date32())
    if series.dtype.kind == "f":
        return pa.array(series, type=pa.float64(), from_pandas=True)   # NaN → NULL
    return pa.array(series.astype("string"), type=pa.string(), from_pandas=True)


@dataclass
class Staged:
    """A table left in the working database: copied into the build's database in SQL,
    read into Python only on demand."""

    con: duckdb.DuckDBPyConnection
    name: str

    def __post_init__(self) -> None:
        catalog = self.con.execute("SELECT current_database()").fetchall()[0][0]
        self.qualified = f"{q(catalog)}.main.{q(self.name)}"   # also from an attached database

    def __len__(self) -> int:
        return self.con.execute(f"SELECT count(*) FROM {self.qualified}").fetchall()[0][0]  # noqa: S608 (reviewed: quoted names only)

    @property
    def columns(self) -> list[str]:
        return [row[0] for row in self.con.execute(f"DESCRIBE {self.qualified}").fetchall()]

    def df(self) -> pd.DataFrame:
        """The whole table as a frame (tests, and small tables); dates as `datetime.date`
        and text as `str`, None when missing, as the canonical frames hold them."""
        frame = self.con.execute(f"SELECT * FROM {self.qualified}").df()  # noqa: S608 (reviewed: quoted names only)
        types = dict(self.con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {self.qualified})").fetchall())  # noqa: S608 (reviewed: quoted names only)
        for column, kind in types.items():
            if kind == "DATE":
                dates = frame[column]
                frame[column] = dates.dt.date.astype(object).where(dates.notna(), None)
            elif kind == "VARCHAR":
                values = frame[column]
                frame[column] = values.astype(object).where(values.notna(), None)
        return frame
