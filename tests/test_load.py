"""Atomic builds: a failed or killed build leaves the previous database exactly as it was."""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from data_pipeline import load
from core.errors import ReconciliationError
from data_pipeline import demo

ROOT = Path(__file__).resolve().parents[1]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def table_rows(path: Path, table: str) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


@pytest.fixture(scope="module")
def city():
    return demo.generate(seed=7)


@pytest.fixture
def previous(tmp_path, demo_db) -> Path:
    target = tmp_path / "city.duckdb"
    target.write_bytes(demo_db.read_bytes())
    return target


@pytest.mark.parametrize("failing_step", ["loading", "building marts", "checking row counts",
                                          "swapping in the new database"])
def test_failure_mid_build_keeps_previous_database(city, previous, failing_step):
    before = digest(previous)

    def explode(message: str) -> None:
        if message.startswith(failing_step):
            raise RuntimeError(f"injected failure at {message}")

    with pytest.raises(RuntimeError, match="injected failure"):
        load.write_database(city, previous, on_step=explode)
    assert digest(previous) == before
    assert [p.name for p in previous.parent.iterdir()] == [previous.name]


def test_rows_that_do_not_reconcile_refuse_the_build(city, previous):
    before = digest(previous)
    broken = city.sources.copy()
    broken.loc[broken["kind"] == "businesses", "rows_raw"] += 1
    city_broken = type(city)(**{**city.__dict__, "sources": broken})
    with pytest.raises(ReconciliationError, match="do not reconcile"):
        load.write_database(city_broken, previous)
    assert digest(previous) == before


def test_a_business_twice_refuses_the_build(city, previous):
    """business_id has no index (its memory would grow with the registry): the check after
    the load stands in for the primary key."""
    before = digest(previous)
    doubled = pd.concat([city.businesses, city.businesses.iloc[[3]]], ignore_index=True)
    sources = city.sources.copy()
    sources.loc[sources["kind"] == "businesses", ["rows_raw", "rows_loaded"]] += 1
    broken = type(city)(**{**city.__dict__, "businesses": doubled, "sources": sources})
    with pytest.raises(ReconciliationError, match=f"'{city.businesses['business_id'].iloc[3]}' "
                                                  "is in the businesses table 2 times"):
        load.write_database(broken, previous)
    assert digest(previous) == before


def test_successful_build_replaces_the_database(city, previous):
    load.write_database(city, previous)
    assert table_rows(previous, "businesses") == len(city.businesses)
    with duckdb.connect(str(previous), read_only=True) as con:
        seed = con.execute("SELECT value FROM build_info WHERE key = 'seed'").fetchone()[0]
    assert seed == "7"


@pytest.mark.parametrize("kill_at", ["generating", "loading", "building marts",
                                     "checking row counts"])
def test_killed_build_leaves_previous_database_intact(previous, kill_at):
    """SIGKILL the build when it reports a step: no cleanup code gets to run."""
    before = digest(previous)
    build = subprocess.Popen(
        [sys.executable, "-m", "data_pipeline", "build", "--demo", "--seed", "9",
         "--db", str(previous)], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    for line in build.stderr:
        if kill_at in line:
            os.kill(build.pid, signal.SIGKILL)
            break
    build.wait()
    assert build.returncode == -signal.SIGKILL
    assert digest(previous) == before
    # The next build cleans up what the killed one left behind.
    load.remove_leftovers(previous)
    assert [p.name for p in previous.parent.iterdir()] == [previous.name]
