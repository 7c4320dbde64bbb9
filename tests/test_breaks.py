"""The deliberate breaks of tests/breaks.py are well-formed and were caught when last run.

Cheap (no break is applied here): `make breaks` and `make mutants` apply them. A break whose
text no longer occurs exactly once, that names a test that does not exist, or whose last
recorded run failed no test (or ran another version of it) fails here.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests import breaks

ROOT = Path(__file__).resolve().parents[1]


def test_ids_are_unique_and_the_sql_list_is_long_enough():
    ids = [b.id for b in breaks.ALL]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", i) for i in ids)
    sql = breaks.SQL_MUTATIONS
    assert len(sql) >= 20
    assert all(b.path.startswith(breaks.SQL) and b.path.endswith(".sql") for b in sql)
    assert {b.kind for b in sql} >= {"operator", "year", "filter", "constant", "operand"}
    assert {Path(b.path).name for b in sql} == {p.name for p in (ROOT / breaks.SQL).glob("*.sql")}


@pytest.mark.parametrize("brk", breaks.ALL, ids=[b.id for b in breaks.ALL])
def test_each_break_still_applies_to_the_code(brk):
    path = ROOT / brk.path
    assert path.exists(), brk.path
    text = path.read_text()
    changed = brk.apply(text)                     # StaleBreak unless `old` occurs once
    assert changed != text and brk.what and brk.tests
    if path.suffix == ".py":
        ast.parse(changed)                        # a break is a change of meaning, not syntax


def functions_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)
            and n.name.startswith("test_")}


@pytest.mark.parametrize("brk", breaks.ALL, ids=[b.id for b in breaks.ALL])
def test_each_break_names_tests_that_exist(brk):
    args = list(brk.tests)
    for i, arg in enumerate(args):
        if arg.startswith("-") or (i and args[i - 1] == "-k"):
            continue
        file, _, name = arg.partition("::")
        assert (ROOT / file).is_file(), arg
        if name:
            assert name.split("[")[0] in functions_in(ROOT / file), arg


@pytest.mark.parametrize("brk", breaks.ALL, ids=[b.id for b in breaks.ALL])
def test_each_break_failed_a_test_when_last_run(brk):
    result = breaks.load_results().get(brk.id)
    assert result, f"{brk.id} was never run: python -m tests.breaks run --only {brk.id}"
    assert result["key"] == brk.key(), \
        f"{brk.id} changed since its last run: python -m tests.breaks run --only {brk.id}"
    assert result["killed"] and result["failed"], f"{brk.id} failed no test: {result}"
    for test in result["failed"]:
        file, _, name = test.partition("::")
        assert name.split("[")[0] in functions_in(ROOT / file), f"{brk.id}: {test} is gone"


def test_the_docs_show_the_last_results():
    results = breaks.load_results()
    for (name, marker), make in breaks.BLOCKS.items():
        text = (ROOT / name).read_text()
        assert breaks.block(text, marker) == make(results), \
            f"{name} ({marker}) is out of date: python -m tests.breaks docs"
