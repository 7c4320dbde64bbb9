"""The PDF brief: its content against hand counts, the PDF's pages and text (pypdf), the
Latin-1 fallback, and `python -m dashboard brief`.

Hand counts (tests/tiny_city.py), 31 December 2023: Northgate (N1) has 5 active businesses
(b01 b03 b05 b07 b08), tied first with Millbrook (5) ahead of Eastwater (4), of 14 in the
city; 4 of N1's are micro-businesses (b01 b03 b05 b08), of 9 in the city; N1's one opening
in 2023 (b07) is hidden. Jobs 2022: N1 44 of 182 in the city, 3rd of 3.
"""
from __future__ import annotations

import io
import subprocess
import sys
from datetime import date

import pandas as pd
import pytest
from pypdf import PdfReader

from conftest import ROOT
from core import metrics
from dashboard import __main__ as cli
from dashboard import brief, brief_pdf, exports, queries
from dashboard.brief import Row
from dashboard.db import open_database

MADE = date(2026, 11, 25)


@pytest.fixture(scope="module")
def tiny(tiny_dir):
    return open_database(tiny_dir / "tiny.duckdb")


def pdf_text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def page_texts(data: bytes) -> list[str]:
    return [flat(page.extract_text()) for page in PdfReader(io.BytesIO(data)).pages]


def assert_two_pages(data: bytes) -> None:
    """Page 1: the place, its headline figures and trend; page 2: the mix, jobs, sources."""
    first, second = page_texts(data)
    assert "Headline figures" in first and "page 1 of 2" in first
    assert "The business mix" in second and "page 2 of 2" in second
    assert "Headline figures" not in second and "The business mix" not in first


def flat(text: str) -> str:
    return " ".join(text.split())


def test_the_headline_table_holds_hand_counted_figures(tiny):
    content = brief.gather(tiny, "N1", MADE)
    rows = {r.label: r for r in content.headline}
    assert rows["Active businesses, 2023"] == Row("Active businesses, 2023", "5", "14", "1st of 3")
    assert rows["Micro-businesses, 2023"].here == "4"
    assert rows["Micro-businesses, 2023"].city == "9"
    assert rows["New businesses, 2023"].here == "withheld"
    # new (1) and closed are withheld, but their difference is the change in the active
    # count, which is never withheld: 5 active at the end of 2023 and of 2022 → +0
    assert rows["Net new businesses, 2023"].here == "+0"
    jobs = {r.label: r for r in content.jobs}
    assert jobs["Jobs, 2022"] == Row("Jobs, 2022", "44", "182", "3rd of 3")
    assert content.place == "Northgate" and content.city == "Tiny Town (test city)"


def test_the_category_mix_never_shows_a_hidden_count(tiny):
    content = brief.gather(tiny, "N3", MADE)
    expected = tiny.query("SELECT category, count, suppressed FROM category_counts "
                          "WHERE geo_level = 'neighborhood' AND geo_id = 'N3' AND year = 2023")
    cats = content.categories.set_index("category")
    for row in expected.itertuples(index=False):
        if row.category in cats.index and row.suppressed:
            assert cats.at[row.category, "count"] != cats.at[row.category, "count"]  # NaN


def test_the_pdf_has_two_pages_with_the_name_figures_sources_and_date(tiny):
    data = brief.make_brief(tiny, "N1", MADE)
    pages, text = pdf_text(data)
    assert pages == 2
    assert_two_pages(data)
    text = flat(text)
    for words in ("Northgate, Tiny Town (test city)", "Active businesses, 2023 5 14 1st of 3",
                  "Jobs, 2022 44 182 3rd of 3", "New businesses, 2023 withheld",
                  "Withheld: fewer than 3 businesses (0, 1 or 2), or hidden so that a smaller count "
                  "cannot be worked out from the totals",
                  "ACS 5-year estimates (Test fixture), vintage 2018–2022",
                  "Made with Main Street Atlas on 2026-11-25", "Northgate (orange)"):
        assert words in text, words


def test_the_city_brief_speaks_of_the_city(tiny):
    data = brief.make_brief(tiny, None, MADE)
    pages, text = pdf_text(data)
    text = flat(text)
    assert pages == 2
    assert_two_pages(data)
    assert "CITY BRIEF" in text and "Active businesses, 2023 14" in text
    assert "Micro-businesses, 2023 9" in text and "Figure City-wide" in text
    assert " of 3" not in text    # no ranks: the city is not ranked


def test_the_brief_sentences_come_from_the_numbers(tiny):
    said = brief.gather(tiny, "N1", MADE).sentences
    assert 3 <= len(said) <= 5
    assert said[0].startswith("In 2023, Northgate had 44.4 micro-businesses per 1,000 residents")
    assert any("44 jobs" in s and "182" in s for s in said)


def test_without_dejavu_the_brief_falls_back_to_latin1(tiny, monkeypatch):
    monkeypatch.setattr(brief_pdf, "FONT_DIRS", [])
    pages, text = pdf_text(brief.make_brief(tiny, "N1", MADE))
    assert pages == 2 and "Northgate" in text
    assert "2018-2022" in text and "–" not in text


def test_the_brief_of_the_demo_city_prints_its_numbers(demo_db):
    db = open_database(demo_db)
    nid, name = db.query("SELECT neighborhood_id, name FROM neighborhoods ORDER BY 1").iloc[0]
    profile = queries.area_profile(db, nid, ["active_businesses", "jobs_total"])
    pages, text = pdf_text(brief.make_brief(db, nid, MADE))
    text = flat(text)
    assert pages == 2 and name in text and "synthetic" in text
    for row in profile.itertuples(index=False):
        shown = "withheld" if row.suppressed else f"{row.value:,.0f}"
        assert f", {row.year} {shown}" in text, row.metric_id


def test_cli_writes_one_brief_and_a_stack(tiny_dir, tmp_path, capsys):
    db = str(tiny_dir / "tiny.duckdb")
    out = tmp_path / "northgate.pdf"
    assert cli.main(["brief", "--db", db, "--neighborhood", "northgate", "--out", str(out),
                     "--date", "2026-11-25"]) == 0
    assert "Northgate" in pdf_text(out.read_bytes())[1]
    assert cli.main(["brief", "--db", db, "--all", "--out-dir", str(tmp_path / "all")]) == 0
    names = sorted(p.name for p in (tmp_path / "all").iterdir())
    assert names == ["tiny_city_brief.pdf", "tiny_eastwater_brief.pdf",
                     "tiny_millbrook_brief.pdf", "tiny_northgate_brief.pdf"]


@pytest.mark.parametrize("args, words", [
    (["--neighborhood", "Q9"], "No neighborhood 'Q9' in Tiny Town (test city)"),
    (["--all"], "add --out-dir"),
])
def test_cli_errors_are_one_sentence_and_exit_1(tiny_dir, capsys, args, words):
    assert cli.main(["brief", "--db", str(tiny_dir / "tiny.duckdb"), *args]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("Error: ") and words in err and "\n" not in err


def test_cli_finds_a_city_by_slug_or_name_and_says_when_it_is_missing(tiny_dir, monkeypatch):
    monkeypatch.setenv("ATLAS_DATA_DIR", str(tiny_dir))
    assert cli.find_database("tiny", None) == tiny_dir / "tiny.duckdb"
    assert cli.find_database("Tiny Town (test city)", None) == tiny_dir / "tiny.duckdb"
    with pytest.raises(cli.BriefError, match="python -m data_pipeline build --city chicago"):
        cli.find_database("Chicago", None)


def test_python_m_dashboard_brief_runs(tiny_dir, tmp_path):
    out = tmp_path / "city.pdf"
    done = subprocess.run([sys.executable, "-m", "dashboard", "brief", "--db",
                           str(tiny_dir / "tiny.duckdb"), "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(out)
    assert "Tiny Town (test city)" in pdf_text(out.read_bytes())[1]
    assert exports.city_info(open_database(tiny_dir / "tiny.duckdb"))["slug"] == "tiny"


def test_a_figure_the_city_cannot_give_reads_not_available_with_why(partial_dir):
    """The partial city has no LODES and no ACS: the brief says so in words, once."""
    from dashboard.db import open_database
    db = open_database(partial_dir / "partial.duckdb")
    _, text = pdf_text(brief.make_brief(db, "N1", MADE))
    text = flat(text)
    assert "Micro-businesses per 1,000 residents not available" in text
    assert "no Census population (ACS) was loaded" in text
    assert "no LODES jobs were loaded" in text or "No jobs data in this database." in text
    assert "withheld" not in text.lower().split("not available")[0][-200:]


# --- Capital and red tape (metrics.CAPITAL_RED_TAPE) -----------------------------------

def _shown(row) -> str:
    """A block row's value without its low-count or unreliable mark."""
    return row.here.replace(" (low count)", "").replace(" (unreliable)", "")


@pytest.mark.parametrize("geo_id", [None, "N07"])
def test_the_capital_block_prints_metrics_long_on_the_demo_city(demo_db, geo_id):
    db = open_database(demo_db)
    rows = brief.gather(db, geo_id, MADE).capital
    assert len(rows) == len(metrics.CAPITAL_RED_TAPE)
    for metric_id, row in zip(metrics.CAPITAL_RED_TAPE, rows):
        m = metrics.get(metric_id)
        expected = db.query(
            "SELECT year, value, low_count, unreliable FROM metrics_long WHERE metric_id = ? "
            "AND geo_id = ? AND value IS NOT NULL ORDER BY year DESC LIMIT 1",
            [metric_id, geo_id or "city"]).iloc[0]
        assert row.label.startswith(m.label) and row.label.endswith(f", {expected.year}")
        assert _shown(row) == m.format.format(expected.value), metric_id
        assert ("(low count)" in row.here) == bool(expected.low_count), metric_id
        assert ("(unreliable)" in row.here) == bool(expected.unreliable), metric_id
    _, text = pdf_text(brief.make_brief(db, geo_id, MADE))
    text = flat(text)
    assert "Capital and red tape" in text and "SBA-backed loans" in text
    assert "calendar days" in text and "self-reported" in text
    for row in rows:
        assert f"{row.label} {row.here}" in text, row.label


def test_a_city_without_loans_says_why_in_the_capital_block(tiny):
    rows = brief.gather(tiny, "N1", MADE).capital
    assert Row("PPP loans", "not available", missing="no PPP loans were loaded") in rows
    assert Row("SBA 7(a) and 504 loans", "not available",
               missing="no SBA 7(a) or 504 loans were loaded") in rows
    _, text = pdf_text(brief.make_brief(tiny, "N1", MADE))
    text = flat(text)
    assert "PPP loans not available" in text
    assert ("Not available for Tiny Town (test city): PPP loans: no PPP loans were loaded"
            in text or "PPP loans: no PPP loans were loaded" in text)
    assert "SBA-backed loans" not in text     # no caveat for figures that are not there


def test_an_unreliable_loan_rate_says_why_from_the_registry():
    from dashboard.brief_content import unreliable_note
    latest = pd.DataFrame([{"metric_id": "ppp_loans_per_1k_businesses", "year": 2021,
                            "value": 1250.0, "suppressed": False, "low_count": False,
                            "unreliable": True, "city_value": 300.0, "city_suppressed": False,
                            "rank": None, "ranked": None}])
    rows = brief.capital_rows(latest, 0, False, {})
    assert rows[0].here == "1,250.0 (unreliable)"
    note = unreliable_note(rows)
    assert metrics.get("ppp_loans_per_1k_businesses").unreliable_words in note
    assert note.startswith("Unreliable: PPP loans per 1,000 businesses, 2021")


def test_every_demo_brief_keeps_two_pages_with_the_capital_block(demo_db):
    db = open_database(demo_db)
    ids = list(db.query("SELECT neighborhood_id FROM neighborhoods ORDER BY 1")["neighborhood_id"])
    for geo_id in [None, *ids[:3], "N02", "N17"]:
        data = brief.make_brief(db, geo_id, MADE)
        assert_two_pages(data)
        assert "Capital and red tape" in page_texts(data)[1], geo_id
