"""Build the metric marts (sql/marts.sql) inside a freshly loaded database."""
from __future__ import annotations

from pathlib import Path

import duckdb

MARTS_SQL = Path(__file__).with_name("sql") / "marts.sql"


def build_marts(con: duckdb.DuckDBPyConnection, suppression_threshold: int = 3) -> None:
    """Create the marts from the canonical tables; the threshold hides small counts."""
    con.execute("CREATE OR REPLACE TABLE settings AS SELECT ?::INTEGER AS suppression_threshold",
                [suppression_threshold])
    con.execute(MARTS_SQL.read_text())
