"""The 'Capital and red tape' slide (`slides.capital`, `metrics.CAPITAL_RED_TAPE`): its cards
print metrics_long on the demo city; a city without loans says why in a sentence."""
from __future__ import annotations

from core import metrics
from dashboard import queries, slides
from dashboard.db import open_database
from dashboard.formatting import format_value


def place(db, geo_id: str) -> slides.Place:
    names = dict(zip(queries.areas(db)["geo_id"], queries.areas(db)["name"]))
    return slides.Place(db, geo_id, names[geo_id], {"features": []},
                        queries.suppression_threshold(db))


def test_the_capital_slide_prints_metrics_long_on_the_demo_city(demo_db):
    db = open_database(demo_db)
    shown = slides.capital(place(db, "N07"))
    assert shown.title.startswith("Capital and red tape in ")
    assert len(shown.cards) == len(metrics.CAPITAL_RED_TAPE) and not shown.lines
    for metric_id, card in zip(metrics.CAPITAL_RED_TAPE, shown.cards):
        m = metrics.get(metric_id)
        row = db.query("SELECT year, value, low_count FROM metrics_long WHERE metric_id = ? "
                       "AND geo_id = 'N07' AND value IS NOT NULL ORDER BY year DESC LIMIT 1",
                       [metric_id]).iloc[0]
        assert card.label == f"{m.label} ({row.year})"
        assert card.value == format_value(row.value, m.format), metric_id
        assert ("low count" in card.note) == bool(row.low_count), metric_id
    assert "SBA-backed loans only" in shown.note and "calendar days" in shown.note


def test_a_city_without_loans_says_why_on_the_slide(tiny_dir):
    db = open_database(tiny_dir / "tiny.duckdb")
    shown = slides.capital(place(db, "N1"))
    assert "PPP loans: not available for Tiny Town (test city): no PPP loans were loaded." \
        in shown.lines
    assert not any(c.label.startswith(("PPP", "SBA")) for c in shown.cards)
