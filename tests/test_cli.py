"""The pipeline CLI: deterministic demo builds, status, one-sentence errors."""
from __future__ import annotations

import duckdb
import pandas as pd

from data_pipeline.cli import main


def all_tables(path) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(path), read_only=True) as con:
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()]
        return {name: con.execute(f'SELECT * FROM "{name}" ORDER BY ALL').df() for name in names}


def test_demo_build_twice_gives_identical_tables(tmp_path, demo_db):
    assert main(["build", "--demo", "--db", str(tmp_path / "a.duckdb")]) == 0
    first, second = all_tables(tmp_path / "a.duckdb"), all_tables(demo_db)
    assert list(first) == list(second)
    assert "metrics_long" in first
    for name in first:
        pd.testing.assert_frame_equal(first[name], second[name], obj=name)


def test_another_seed_gives_another_city(tmp_path, demo_db):
    assert main(["build", "--demo", "--seed", "5", "--db", str(tmp_path / "b.duckdb")]) == 0
    assert not all_tables(tmp_path / "b.duckdb")["businesses"].equals(
        all_tables(demo_db)["businesses"])


def test_status_lists_tables_sources_and_reconciliation(demo_db, capsys):
    assert main(["status", "--db", str(demo_db)]) == 0
    out = capsys.readouterr().out
    assert "Port Juniper" in out
    assert "businesses" in out and "metrics_long" in out
    assert "DOES NOT RECONCILE" not in out
    assert out.count(" ok") >= 3


def test_status_of_a_missing_database_is_one_sentence(tmp_path, capsys):
    assert main(["status", "--db", str(tmp_path / "none.duckdb")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("Error: No database at") and "build --demo" in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
