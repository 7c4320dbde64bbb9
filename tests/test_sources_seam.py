"""The seam every source goes through (`data_pipeline.source`, `data_pipeline.sources.SOURCES`).

A new input must need only its own unit (plus its metrics and mart SQL): the toy source
below brings its table, fetch, reading, rejected rows and provenance, and the import, the
load, the reconciliation and `status` take it up without a line changed elsewhere.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from data_pipeline import city, load
from data_pipeline.source import Build, Source
from data_pipeline.sources import SOURCES
from data_pipeline.status import print_status
from data_pipeline.transform_census import Counted
from tests.test_import import LOCAL, data_dir, sources, table  # noqa: F401 (fixture)

SCHEMA = (Path(load.__file__).with_name("sql") / "schema.sql").read_text()


def test_every_source_is_a_complete_unit():
    names = [s.name for s in SOURCES]
    assert len(names) == len(set(names)) and len({s.folder for s in SOURCES}) == len(SOURCES)
    for source in SOURCES:
        for key in ("name", "publisher", "url", "license", "description"):
            assert source.provenance.get(key), f"{source.name} has no provenance {key}"
        assert re.fullmatch(r"no [a-zA-Z0-9 ()]+ (was|were) loaded", source.absent), source.absent
        for name in source.tables:   # every table it fills exists, in the schema or its own
            assert re.search(rf"CREATE TABLE (IF NOT EXISTS )?{name} \(", SCHEMA + source.schema), \
                (source.name, name)
        if source.required:
            assert "{slug}" in source.missing and "{path}" in source.missing
    # Each source comes after every source whose results it reads.
    order = {name: i for i, name in enumerate(names)}
    assert order["place"] < order["neighborhoods"] < order["businesses"] < order["tracts"] \
        < order["acs"] < order["lodes"]
    assert order["businesses"] < order["business_patterns"]     # the registry's ZIP codes


# A toy input: micro-loans by neighborhood, one CSV.
TOY_SCHEMA = """CREATE TABLE toy_loans (
    loan_id VARCHAR PRIMARY KEY, neighborhood_id VARCHAR NOT NULL, amount DOUBLE NOT NULL);"""


def _toy_fetch(profile, cache, client, build: Build) -> list[Path]:
    raise AssertionError("the import must not fetch")


def _toy_read(files: list[Path], build: Build) -> None:
    raw = pd.read_csv(files[0], dtype=str)
    amount = pd.to_numeric(raw["amount"], errors="coerce")
    bad = amount.isna()
    build.reject(TOY.name, [(i + 1, "amount is not a number", row.to_dict())
                            for i, row in raw[bad].iterrows()])
    good = raw[~bad].assign(amount=amount[~bad])
    build.tables["toy_loans"] = good.rename(columns={"area": "neighborhood_id"})
    build.add_row(TOY, "2024", files, Counted(good, len(raw), int(bad.sum())))


TOY = Source(name="toy_loans", kind="toy_loans", label="toy loans", tables=("toy_loans",),
             provenance={"name": "Toy micro-loans", "publisher": "Test fixture",
                         "url": "https://example.org/loans", "license": "CC0",
                         "description": "Loans by neighborhood."},
             fetch=_toy_fetch, read=_toy_read, absent="no toy loans were loaded",
             schema=TOY_SCHEMA)


@pytest.fixture
def toy_source():
    SOURCES.append(TOY)
    yield TOY
    SOURCES.remove(TOY)


def test_a_new_source_needs_only_its_own_unit(data_dir, toy_source, tmp_path, capsys):  # noqa: F811
    loans = tmp_path / "loans.csv"
    loans.write_text("loan_id,area,amount\nL1,1,5000\nL2,2,12500.5\nL3,2,lots\n")
    db = city.import_sources("chicago", {"businesses": [LOCAL / "chicago_licenses.csv"],
                                         "neighborhoods": [LOCAL / "neighborhoods.geojson"],
                                         "toy_loans": [loans]})
    assert table(db, "SELECT loan_id, neighborhood_id, amount FROM toy_loans ORDER BY 1"
                 ).values.tolist() == [["L1", "1", 5000.0], ["L2", "2", 12500.5]]
    row = sources(db).loc["toy_loans"]
    assert row[["kind", "name", "publisher", "vintage"]].tolist() == \
        ["toy_loans", "Toy micro-loans (local file loans.csv)", "Test fixture", "2024"]
    assert row[["rows_raw", "rows_loaded", "rows_rejected"]].tolist() == [3, 2, 1]
    rejected = table(db, "SELECT row_number, reason, raw FROM rejected_records "
                         "WHERE source_id = 'toy_loans'")
    assert rejected[["row_number", "reason"]].values.tolist() == [[3, "amount is not a number"]]
    assert '"lots"' in rejected["raw"].iloc[0]
    print_status(db)
    out = capsys.readouterr().out
    assert "toy_loans: Toy micro-loans (local file loans.csv) [2024]" in out
    assert "3 raw = 2 loaded + 0 merged + 1 rejected  ok" in out
    assert ("Not loaded: census tract shapes (no census tract shapes were loaded); ACS 5-year "
            "tract figures (no Census population (ACS) was loaded); LODES jobs") in out


def test_a_build_without_the_new_source_keeps_its_table_empty(data_dir, toy_source):  # noqa: F811
    db = city.import_files("chicago", LOCAL / "chicago_licenses.csv", LOCAL / "neighborhoods.geojson")
    assert table(db, "SELECT count(*) FROM toy_loans").iloc[0, 0] == 0
    assert "toy_loans" not in sources(db).index


def test_a_figure_without_its_source_says_which_source_is_missing(data_dir):  # noqa: F811
    db = city.import_files("chicago", LOCAL / "chicago_licenses.csv", LOCAL / "neighborhoods.geojson",
                           tracts=LOCAL / "tracts.geojson")
    reasons = dict(table(db, "SELECT metric_id, not_available FROM metric_registry").values.tolist())
    assert reasons["jobs_total"] == reasons["jobs_small_firms_share"] == "no LODES jobs were loaded"
    assert reasons["residents"] == reasons["micro_per_1k_residents"] == \
        "no Census population (ACS) was loaded"
    assert reasons["census_micro_establishments"] == "no Census ZIP Business Patterns were loaded"
    assert pd.isna(reasons["active_businesses"])          # available
