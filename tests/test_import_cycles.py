"""No module of the dashboard imports, directly or through others, a module that imports it
(was: `brief` imported `brief_pdf` inside a function while `brief_pdf` imported `brief`).
grimp, which import-linter uses, also sees imports inside functions."""
from __future__ import annotations

import grimp
import pytest


def cycles(package: str) -> list[tuple[str, str]]:
    """(a, b) for each direct import a → b of `package` where b leads back to a."""
    graph = grimp.build_graph(package)
    return sorted((a, b) for a in graph.modules
                  for b in graph.find_modules_directly_imported_by(a)
                  if b.startswith(f"{package}.") and graph.find_shortest_chain(importer=b, imported=a))


@pytest.mark.parametrize("package", ["dashboard", "core"])
def test_no_import_cycle(package):
    assert not cycles(package), f"modules that import each other: {cycles(package)}"


def test_a_cycle_is_found(tmp_path, monkeypatch):
    """The check can fail: two modules importing each other (one inside a function)."""
    pkg = tmp_path / "loop"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from .b import g\n    return g\n")
    (pkg / "b.py").write_text("from . import a\n\ndef g():\n    return a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert cycles("loop") == [("loop.a", "loop.b"), ("loop.b", "loop.a")]
