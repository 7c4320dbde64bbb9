"""docs/reliability.md cannot drift from the tests it names: each test it names exists, the
counts it quotes follow the tests' own settings, and its generated blocks are the measured
figures (the breaks' figures here; the fuzzing figures at the end of test_fuzz_parsers.py).
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

from dashboard.registry import PAGES
from tests import breaks

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "reliability.md"
WORDS = {10: "ten", 7: "seven", 20: "twenty"}


def functions(path: Path) -> set[str]:
    return {n.name for n in ast.walk(ast.parse(path.read_text()))
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}


def test_every_file_and_test_it_names_exists():
    text = DOC.read_text()
    named = re.findall(r"(tests/[\w/]+\.py)(?:::(\w+))?", text)
    assert len(named) >= 10
    for path, name in named:
        assert (ROOT / path).is_file(), path
        if name:
            assert name in functions(ROOT / path), f"{path}::{name}"
    for name in re.findall(r"`(test_\w+)`", text):          # bare test names
        assert any(name in functions(p) for p in (ROOT / "tests").glob("test_*.py")), name


def test_the_broken_on_purpose_figures_are_the_last_measured():
    assert breaks.block(DOC.read_text(), "figures") == breaks.figure_lines(breaks.load_results())


def test_the_counts_it_quotes_follow_the_tests():
    from tests import test_fuzz_parsers, test_hostile, test_privacy
    text = " ".join(DOC.read_text().split())
    runs = len(PAGES) * len(test_hostile.HOSTILE)
    assert f"{runs} AppTest runs on the tiny city and {len(PAGES)} on the demo" in text
    keys = re.search(r"gets every URL key \((.*?)\) at once", text).group(1)
    assert re.findall(r"`(\w+)`", keys) == test_hostile.URL_KEYS
    assert f"for each of {WORDS[len(test_fuzz_parsers.PARSERS)]} parsers, arbitrary bytes" in text
    extra = len(test_privacy.PAGE_VIEWS) - len(PAGES)
    assert f"every page ({len(PAGES)} default views and {extra} more" in text
