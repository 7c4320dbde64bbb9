"""docs/architecture.md's recipe "Add a metric", followed on a toy metric.

Step 1 adds one registry entry, step 2 one mart file (a metric file of its own, 31–44,
runs after 30_metrics.sql); the build, the registry table, the docs' registry block and the
Data & methods page's catalog then carry the figure without another line changed.
"""
from __future__ import annotations

import shutil

import duckdb
import pytest

from core import metrics
from dashboard import catalog
from dashboard.db import open_database
from data_pipeline import load, marts
from tests.test_metrics import ACTIVE, MICRO, YEARS
from tests.tiny_city import tiny_city

TOY = metrics.Metric(
    "storefront_businesses", "Businesses that are not micro-businesses",
    "Active businesses the registry does not mark as micro-businesses.", "businesses",
    "active businesses − micro-businesses, on 31 December.", ("businesses",), None,
    ("businesses",), metrics.BUSINESSES, "{:,.0f}", "count", metrics.REGISTRY_CAVEAT)
TOY_SQL = """
INSERT INTO metrics_long
SELECT a.geo_level, a.geo_id, a.year, 'storefront_businesses', a.shown - m.shown,
       a.shown - m.shown, NULL, a.hidden OR m.hidden, false, NULL, NULL
FROM _published a
JOIN _published m ON m.measure = 'micro' AND m.geo_level = a.geo_level
                 AND m.geo_id = a.geo_id AND m.year = a.year
WHERE a.measure = 'active';
"""


@pytest.fixture
def toy_metric(tmp_path, monkeypatch):
    monkeypatch.setattr(metrics, "_METRICS", [*metrics._METRICS, TOY])             # step 1
    monkeypatch.setitem(metrics.REGISTRY, TOY.id, TOY)
    monkeypatch.setattr(metrics, "LONG_METRICS", [*metrics.LONG_METRICS, TOY.id])
    folder = tmp_path / "marts"
    shutil.copytree(marts.MARTS_DIR, folder)
    (folder / "31_storefronts.sql").write_text(TOY_SQL)                         # step 2
    monkeypatch.setattr(marts, "MARTS_DIR", folder)
    monkeypatch.setattr(marts, "PUBLISH", sorted(p.name for p in folder.glob("[3-9][0-9]_*.sql")))
    return tmp_path


def test_the_metric_recipe_works_as_written(toy_metric):
    path = load.write_database(tiny_city(), toy_metric / "tiny.duckdb")
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute("SELECT geo_id, year, value FROM metrics_long "
                           "WHERE metric_id = ? AND geo_level = 'neighborhood'",
                           [TOY.id]).fetchall()
        label, available = con.execute("SELECT label, available FROM metric_registry "
                                       "WHERE metric_id = ?", [TOY.id]).fetchone()
        wide = con.execute(f"SELECT sum({TOY.id}) FROM neighborhood_metrics").fetchone()[0]
    # By hand: active − micro (tests/test_metrics.py), N1 [3,4,5,5] − [2,4,5,4] = [1,0,0,1].
    expected = {(area, year): a - m for area in ACTIVE
                for year, a, m in zip(YEARS, ACTIVE[area], MICRO[area])}
    assert {(g, y): v for g, y, v in rows} == expected
    assert (label, available) == (TOY.label, True)
    assert wide == sum(expected.values())                                     # the wide table
    assert f"`{TOY.id}` | {TOY.label}" in metrics.markdown()                   # step 3: the docs
    shown = catalog.registry(open_database(path))                             # Data & methods
    assert TOY.label in set(shown["label"])
