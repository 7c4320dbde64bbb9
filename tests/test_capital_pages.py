"""Issue 16, part 4 under AppTest: the Capital & red tape page, and the 2020 downturn on the
profile, the compare page, the map explorer, the brief and Data & methods.

The charts of each page against `metrics_long` are checked for every page of the registry
in tests/test_app.py (tests/seen.py: `check_capital`); here: a city without loans, the
page's downloads, the words a visitor reads, and the brief.
"""
from __future__ import annotations

import io
import json
from datetime import date

import duckdb
import pandas as pd
import pytest
from pypdf import PdfReader

from core import metrics
from dashboard import brief, capital, cards, downturn, wording
from dashboard.db import open_database
from test_app_exports import buttons, check_against_database, read_download_csv
from test_app_exports import made  # noqa: F401 (a fixture)
from tests.apptest import assert_clean, param, run_page
from tests.seen import (assert_by_category, assert_line, assert_low_count_marks, same,
                        values)

PAGE = "pages/capital.py"
MADE = date(2026, 11, 25)


@pytest.fixture
def tiny_env(tiny_dir, monkeypatch):
    monkeypatch.setenv("ATLAS_DATA_DIR", str(tiny_dir))
    return tiny_dir


def query(db_path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def infos(at) -> str:
    return " ".join(i.value for i in at.info)


# --- The Capital & red tape page ---------------------------------------------------------

def test_a_city_without_loans_says_why_in_a_sentence(tiny_env):
    """The tiny city loaded no loans: each program says it is not available, and why (the
    registry's reason), instead of empty charts."""
    at = run_page(PAGE)
    assert_clean(at)
    said = infos(at)
    reasons = dict(query(tiny_env / "tiny.duckdb", "SELECT metric_id, not_available FROM "
                         "metric_registry WHERE metric_id IN ('sba_loans_per_1k_businesses', "
                         "'ppp_loans_per_1k_businesses')"))
    assert all(reasons.values()), reasons
    for program, metric_id in (("SBA 7(a) and 504 loans", "sba_loans_per_1k_businesses"),
                               ("PPP loans", "ppp_loans_per_1k_businesses")):
        assert f"{program}: not available for Tiny Town (test city): {reasons[metric_id]}." in said
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    loan_lines = [t for c in charts for t in c["data"] if t.get("type") == "scatter"
                  and "loan" in json.dumps(c.get("layout", {})).lower()]
    assert not loan_lines
    assert not [h.value for h in at.header if "Loans per 1,000" in h.value]


def test_the_page_follows_the_neighborhood_and_map_figure_of_the_link(app_env):
    at = run_page(PAGE, {"n": "N07", "metric": "sba_loan_amount_median", "year": "2015"})
    assert_clean(at)
    assert param(at, "n") == "N07" and param(at, "metric") == "sba_loan_amount_median"
    assert param(at, "year") == "2015"
    name = query(app_env / "demo.duckdb", "SELECT name FROM neighborhoods WHERE "
                 "neighborhood_id = 'N07'")[0][0]
    assert any(f"{name} and the city" in m.value for m in at.markdown)
    assert any("SBA 7(a) and 504 loans: median amount, 2015" in m.value for m in at.markdown)


def test_a_figure_of_another_page_falls_back_to_the_default_map_without_a_notice(app_env):
    at = run_page(PAGE, {"metric": "micro_per_1k_residents"})
    assert_clean(at)
    assert not at.warning
    assert param(at, "metric") in capital.map_choices(set(metrics.REGISTRY))


def test_the_default_map_is_the_rate_with_the_most_ranked_areas(app_env):
    """SBA loans per 1,000 businesses rest on fewer than 20 loans in most neighborhoods of
    the demo city (low count, never ranked): the map opens on PPP loans instead."""
    at = run_page(PAGE)
    chosen = param(at, "metric")
    ranked = {m: n for m, n in query(app_env / "demo.duckdb", """
        SELECT metric_id, count(*) FILTER (WHERE value IS NOT NULL AND NOT suppressed
                                            AND NOT coalesce(low_count, false))
        FROM metrics_long WHERE geo_level = 'neighborhood' AND year = (
            SELECT max(year) FROM metrics_long m WHERE m.metric_id = metrics_long.metric_id)
          AND metric_id IN ('sba_loans_per_1k_businesses', 'ppp_loans_per_1k_businesses',
                            'ppp_self_employed_per_1k_residents')
        GROUP BY 1""")}
    assert ranked[chosen] == max(ranked.values())
    assert chosen != "sba_loans_per_1k_businesses"


def test_every_download_of_the_page_opens_and_holds_the_database_s_numbers(app_env, made):  # noqa: F811
    at = run_page(PAGE)
    found = buttons(at, made)
    csvs = [k for k in found if k.endswith("_csv")]
    assert len(csvs) == len(at.get("plotly_chart")), csvs
    for key in csvs:
        header, body = read_download_csv(found[key]["make"]())
        assert not body.empty and any("Source:" in line for line in header), key
        if key.startswith("category_"):
            check_against_categories(body, app_env / "demo.duckdb")
        else:
            check_against_database(body, app_env / "demo.duckdb", threshold=0)
        if key.startswith("trend_"):
            assert "low_count" in body.columns, key
    geo = json.loads(found["capital_map_geojson"]["make"]())
    hoods = query(app_env / "demo.duckdb", "SELECT count(*) FROM neighborhoods")[0][0]
    assert len(geo["features"]) == hoods
    assert {"png", "svg"} <= {k.rsplit("_", 1)[1] for k in found}


def test_each_figure_says_its_caveat_and_low_counts_are_marked(app_env):
    at = run_page(PAGE)
    captions = " ".join(c.value for c in at.caption)
    assert "SBA data cover only loans the SBA guarantees" in captions
    assert "as the borrowers reported them" in captions
    assert capital.LOW_COUNT_MARK in captions
    tables = [d.value for d in at.dataframe]
    notes = pd.concat([t["Note"] for t in tables if "Note" in t.columns])
    assert (notes == wording.LOW_COUNT_NOTE).any()


# --- Red tape, when the registry has it --------------------------------------------------

COLUMN = {m: c for m, c in capital.BY_CATEGORY.items()}


def check_against_categories(body: pd.DataFrame, db_path) -> int:
    """Every row of a download by kind of business against `processing_by_category`: the
    value (rounded as the app shows it), the applications behind it, a hidden one
    'withheld'. Returns the rows checked."""
    for row in body.itertuples(index=False):
        level = "city" if row.geo_id == "city" else "neighborhood"
        column = COLUMN[row.metric_id]
        value, applications, hidden, low = query(
            db_path, f"SELECT {column}, applications, suppressed, low_count FROM "  # noqa: S608 (reviewed: a column of capital.BY_CATEGORY)
            "processing_by_category WHERE geo_level = ? AND geo_id = ? AND year = ? AND "
            "category = ?", [level, row.geo_id, int(row.year), row.category])[0]
        if hidden:
            assert row.value == "withheld" and pd.isna(row.denominator), row
            continue
        digits = 4 if row.metric_id in capital.OVER_30 else 0
        assert float(row.value) == pytest.approx(round(value, digits), abs=1e-9), row
        assert int(row.denominator) == applications, row
        assert (row.low_count == "True") == bool(low), row
        if row.metric_id in capital.OVER_30:
            assert int(row.numerator) == round(value * applications), row
    return len(body)


def test_red_tape_by_kind_of_business_is_the_city_s_latest_year_first(app_env):
    at = run_page(PAGE)
    assert_clean(at)
    assert any(h.value == "By kind of business" for h in at.subheader)
    charts = {c.proto.id.split("-", 2)[2]: json.loads(c.proto.spec)["data"]
              for c in at.get("plotly_chart")}
    with duckdb.connect(str(app_env / "demo.duckdb"), read_only=True) as con:
        assert_by_category(charts["category_days"], charts["category_over_30"], con, "city")
        year, city = con.execute("SELECT max(year), any_value(value) FROM processing_by_category, "
                                 "build_info WHERE key = 'city_name'").fetchone()
    titles = [m.value.replace("\\", "") for m in at.markdown]
    assert any(f"by kind of business: {city}, {year}**" in t for t in titles), titles
    table = next(d.value for d in at.dataframe if "Kind of business" in d.value.columns)
    rows = query(app_env / "demo.duckdb", "SELECT category, applications, median_days FROM "
                 "processing_by_category WHERE geo_level = 'city' AND year = ? "
                 "ORDER BY median_days DESC, p90_days DESC, category", [year])
    assert table[["Kind of business", "Applications"]].values.tolist() == [
        [c, f"{n:,}"] for c, n, _ in rows]
    assert table[metrics.get("processing_days_median").label].tolist() == [
        f"{d:,}" for _, _, d in rows]
    captions = " ".join(c.value for c in at.caption)
    assert "Calendar days, weekends and holidays included" in captions


def test_red_tape_by_kind_of_business_follows_the_neighborhood_and_year(app_env):
    at = run_page(PAGE, {"n": "N03"})
    at.radio(key="red_tape_place").set_value("N03").run()
    at.select_slider(key="red_tape_year").set_value(2019).run()
    assert_clean(at)
    charts = {c.proto.id.split("-", 2)[2]: json.loads(c.proto.spec)["data"]
              for c in at.get("plotly_chart")}
    with duckdb.connect(str(app_env / "demo.duckdb"), read_only=True) as con:
        assert_by_category(charts["category_days"], charts["category_over_30"], con, "N03", 2019)
    # A neighborhood's kinds of business are a few applications each: hatched and said.
    assert capital.CATEGORY_LOW_MARK in " ".join(c.value for c in at.caption)
    table = next(d.value for d in at.dataframe if "Kind of business" in d.value.columns)
    assert (table["Note"] == wording.LOW_COUNT_NOTE).any()


def test_red_tape_by_kind_of_business_downloads_hold_the_mart_s_numbers(app_env, made):  # noqa: F811
    at = run_page(PAGE, {"n": "N03"})
    at.radio(key="red_tape_place").set_value("N03").run()
    found = buttons(at, made)
    assert {"category_days_png", "category_days_svg", "category_days_csv",
            "category_over_30_png", "category_over_30_svg", "category_over_30_csv"} <= set(found)
    name = query(app_env / "demo.duckdb", "SELECT name FROM neighborhoods WHERE "
                 "neighborhood_id = 'N03'")[0][0]
    for key, figures in (("category_days_csv", capital.DAYS),
                         ("category_over_30_csv", capital.OVER_30)):
        header, body = read_download_csv(found[key]["make"]())
        year = int(body["year"].iloc[0])
        assert f"# Filters: area={name}, year={year}" in header
        assert set(body["metric_id"]) == set(figures) and set(body["geo_id"]) == {"N03"}
        kinds = query(app_env / "demo.duckdb", "SELECT count(*) FROM processing_by_category "
                      "WHERE geo_id = 'N03' AND year = ?", [year])[0][0]
        assert check_against_categories(body, app_env / "demo.duckdb") == kinds * len(figures)
        assert found[key]["file_name"].endswith(f"_{year}.csv")


def test_withheld_kinds_of_business_read_withheld(tiny_env, made):  # noqa: F811
    """The tiny city (threshold 3): in 2021 its one kind of business with applications,
    Professional services, has 2: withheld on the chart, in its table and its download."""
    at = run_page(PAGE)
    assert_clean(at)
    spec = next(json.loads(c.proto.spec) for c in at.get("plotly_chart")
                if c.proto.id.endswith("category_days"))
    notes = [a["text"] for a in spec["layout"]["annotations"]]
    assert "Professional services — withheld" in notes
    for trace in spec["data"]:          # no bar: a hidden figure is never drawn
        same(values(trace["x"]), [None], trace["name"])
    table = next(d.value for d in at.dataframe if "Kind of business" in d.value.columns)
    assert table.loc[0, metrics.get("processing_days_median").label] == "withheld"
    _, body = read_download_csv(buttons(at, made)["category_days_csv"]["make"]())
    assert (body["value"] == "withheld").all()
    assert check_against_categories(body, tiny_env / "tiny.duckdb") == 2


def test_a_city_without_processing_dates_says_not_available(tmp_path, monkeypatch):
    from data_pipeline.load import write_database
    from tests.tiny_city import tiny_city
    data = tiny_city()
    data.other_tables.pop("license_processing")
    write_database(data, tmp_path / "tiny.duckdb")
    monkeypatch.setenv("ATLAS_DATA_DIR", str(tmp_path))
    at = run_page(PAGE)
    assert_clean(at)
    assert f"{capital.RED_TAPE_WORDS}: not available for Tiny Town (test city)" in infos(at)
    assert not [s for s in at.subheader if s.value == "By kind of business"]
    assert not [c for c in at.get("plotly_chart") if "category_" in c.proto.id]


def test_missing_red_tape_reads_as_one_sentence():
    red = capital.red_tape_metrics() or [metrics.get("sba_loans")]
    said = capital.missing_sentences(red, set(), {m.id: "no dates" for m in red}, "Chicago",
                                     what=capital.RED_TAPE_WORDS)
    assert said == [f"{capital.RED_TAPE_WORDS}: not available for Chicago: no dates."]
    assert capital.missing_sentences(red, {m.id for m in red}, {}, "Chicago") == []
    assert capital.red_tape_gap("Chicago").startswith(f"{capital.RED_TAPE_WORDS}: not available")


def test_a_new_program_in_the_registry_gets_its_own_charts(monkeypatch):
    """The page finds programs by their count of loans: a third one needs no page code."""
    extra = [m for m in metrics.REGISTRY.values() if m.id.startswith("ppp_")]
    renamed = {m.id.replace("ppp_", "cdfi_", 1): m for m in extra}
    from dataclasses import replace
    registry = {**metrics.REGISTRY, **{i: replace(m, id=i) for i, m in renamed.items()}}
    monkeypatch.setattr(metrics, "REGISTRY", registry)
    monkeypatch.setattr(metrics, "by_group", lambda g: [m for m in registry.values() if m.group == g])
    assert [p.family for p in capital.programs()] == ["sba", "ppp", "cdfi"]
    first = capital.sections(set(registry))[0]
    assert [m.id for m in first.figures] == ["sba_loans_per_1k_businesses",
                                            "ppp_loans_per_1k_businesses",
                                            "cdfi_loans_per_1k_businesses"]


# --- The 2020 downturn on the other pages ------------------------------------------------

def not_yet_back(db_path) -> str:
    rows = query(db_path, "SELECT geo_id FROM metrics_long WHERE metric_id = "
                 "'downturn_recovery_years' AND geo_level = 'neighborhood' AND value IS NULL "
                 "AND NOT suppressed ORDER BY geo_id")
    assert rows, "the demo city has no neighborhood still below its 2019 level"
    return rows[0][0]


def test_the_profile_says_the_downturn_in_cards_and_words(app_env):
    hood = not_yet_back(app_env / "demo.duckdb")
    at = run_page("pages/profile.py", {"n": hood})
    assert_clean(at)
    assert any(h.value == "The 2020 downturn" for h in at.header)
    cards_shown = {m.label: m.value for m in at.metric}
    label = metrics.get("downturn_recovery_years").label
    assert cards_shown[label] == wording.NOT_YET_BACK_TEXT     # no "(2019)", never "not available"
    fall = query(app_env / "demo.duckdb", "SELECT value FROM metrics_long WHERE metric_id = "
                 "'downturn_drawdown' AND geo_id = ?", [hood])[0][0]
    assert cards_shown[metrics.get("downturn_drawdown").label] == f"{fall:.0%}"
    said = " ".join(m.value for m in at.markdown)
    assert "not yet back at that number in the latest year" in said


def test_a_city_without_2019_says_the_downturn_is_not_available(tiny_env):
    at = run_page("pages/profile.py")
    assert_clean(at)
    assert "The 2020 downturn: not available for Tiny Town (test city): " in infos(at)


def test_the_map_explorer_names_a_downturn_figure_without_a_stray_year(app_env):
    at = run_page("pages/map.py", {"metric": "downturn_drawdown"})
    assert_clean(at)
    label = metrics.get("downturn_drawdown").label
    assert any(m.value == f"**{label}**, by neighborhood." for m in at.markdown)
    assert not [s for s in at.select_slider if s.label == "Year"]   # one year: no slider
    options = at.selectbox(key="w_metric").options
    for group in (metrics.CAPITAL, metrics.RESILIENCE):
        assert any(metrics.get(m.id).label in options for m in metrics.by_group(group))


def test_compare_leaves_one_year_figures_out_of_the_trend(app_env):
    at = run_page("pages/compare.py")
    options = at.selectbox(key="w_metric").options
    assert not [o for o in options if o in {m.label for m in downturn.figures()}]
    assert any(h.value == "The 2020 downturn" for h in at.header)


def test_methods_says_how_loans_reach_the_neighborhoods(app_env):
    at = run_page("pages/methods.py")
    table = next(d.value for d in at.dataframe if "How it is split" in d.value.columns)
    loans = table[table["Figure"].str.startswith("loans")]
    assert set(loans["Figure"]) == {"loans (7(a)): borrower to neighborhood",
                                    "loans (504): borrower to neighborhood",
                                    "loans (PPP): borrower to neighborhood"}
    assert (loans["How it is split"].str.startswith("by the borrower's ZIP code")).all()


# --- Words and cards without Streamlit -------------------------------------------------------

def card_row(value, city=float("nan"), suppressed=False) -> pd.DataFrame:
    return pd.DataFrame([{"metric_id": "downturn_recovery_years", "year": 2019, "value": value,
                          "numerator": None, "denominator": None, "suppressed": suppressed,
                          "unreliable": False, "low_count": False, "moe": None, "rank": None,
                          "ranked": None, "city_value": city, "city_suppressed": False}])


def test_a_missing_recovery_reads_not_yet_back_and_a_withheld_one_withheld():
    (card,) = cards.cards(card_row(float("nan"), 3.0), ["downturn_recovery_years"], 0)
    assert (card.value, card.note) == ("not yet back", "not back at its 2019 level by the last "
                                       "year of data · City: 3")
    (card,) = cards.cards(card_row(None, suppressed=True), ["downturn_recovery_years"], 3)
    assert card.value == "withheld"
    (card,) = cards.cards(card_row(2.0, 3.0), ["downturn_recovery_years"], 0)
    assert card.label == metrics.get("downturn_recovery_years").label and card.value == "2"
    assert wording.value_text(metrics.get("survival_3y"), None, False, 0) == "no data"


def downturn_profile(**values) -> pd.DataFrame:
    rows = [{"metric_id": m, "value": v, "suppressed": False, "low_count": False,
             "city_value": -0.05 if m == "downturn_drawdown" else float("nan"),
             "city_suppressed": False} for m, v in values.items()]
    return pd.DataFrame(rows)


def test_the_downturn_sentences_say_the_fall_the_return_and_the_cushion():
    said = downturn.sentences("Old Mill", downturn_profile(
        downturn_drawdown=-0.12, downturn_low_year=2021.0, downturn_recovery_years=3.0,
        micro_downturn_drawdown=-0.04, micro_downturn_cushion=8.0))
    assert said == [
        "Old Mill's active businesses fell 12% from the end of 2019 to their low at the end "
        "of 2021 (the city's: fell 5%), and were back at it by the end of 2022.",
        "Its micro-businesses changed by -4% over the same years, 8 percentage points better "
        "than all its businesses: the micro sector cushioned the neighborhood."]
    rose = downturn.sentences("Old Mill", downturn_profile(
        downturn_drawdown=0.03, downturn_recovery_years=0.0, micro_downturn_drawdown=-0.02,
        micro_downturn_cushion=-5.0))
    assert rose[0].startswith("Old Mill's active businesses never fell below")
    assert "5 percentage points worse than all its businesses." in rose[1]
    one = downturn.sentences("Old Mill", downturn_profile(micro_downturn_drawdown=-0.02,
                                                         micro_downturn_cushion=1.2))
    assert "1 percentage point better than" in one[0]
    assert max(len(r) for r in downturn.card_rows()) <= downturn.CARDS_PER_ROW
    flagged = downturn_profile(downturn_drawdown=-0.5).assign(low_count=True)
    assert downturn.sentences("Old Mill", flagged) == []


# --- The brief ---------------------------------------------------------------------------

def pdf_pages(data: bytes) -> list[str]:
    return [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(data)).pages]


def test_the_brief_prints_the_downturn_and_stays_two_pages(demo_db):
    db = open_database(demo_db)
    hood = not_yet_back(demo_db)
    for target in (None, hood, "N01"):
        pages = pdf_pages(brief.make_brief(db, target, MADE))
        assert len(pages) == 2, (target, len(pages))
        assert "Change in active businesses, 2019 to the 2020–2022 low" in pages[0]
        assert "The 2020 downturn is read from counts on 31 December" in pages[1]
        assert "The 10 largest of" in pages[1] or "kinds of business" not in pages[1]
    content = brief.gather(db, hood, MADE)
    rows = {r.label: r for r in content.downturn}
    assert rows[metrics.get("downturn_recovery_years").label].here == "not yet back"


def test_a_brief_without_2019_says_so_in_one_row(tiny_dir):
    db = open_database(tiny_dir / "tiny.duckdb")
    content = brief.gather(db, "N1", MADE)
    assert [r.label for r in content.downturn] == ["The 2020 downturn"]
    pages = pdf_pages(brief.make_brief(db, "N1", MADE))
    assert len(pages) == 2
    assert "The 2020 downturn not available" in pages[0]


# --- The trend embed of loans, licence times and the downturn ------------------------------

@pytest.mark.parametrize("metric_id, with_city", [
    ("sba_loans_per_1k_businesses", True), ("ppp_loan_amount_median", True),
    ("sba_loan_amount_total", False), ("ppp_loans", False),
    ("processing_days_median", True), ("processing_over_30_share", True),
    ("downturn_drawdown", True)])
def test_the_trend_embed_draws_loans_licence_times_and_the_downturn(app_env, metric_id,
                                                                    with_city):
    """/embed?chart=trend takes them as it takes any figure: no notice, the area's values
    (and the city's, but for loans or dollars in total) over the years as in metrics_long,
    low-count values as open circles as on the Capital & red tape page."""
    at = run_page("pages/embed.py", {"chart": "trend", "metric": metric_id, "n": "N07"})
    assert_clean(at)
    assert not at.warning and param(at, "metric") == metric_id
    name = query(app_env / "demo.duckdb", "SELECT name FROM neighborhoods WHERE "
                 "neighborhood_id = 'N07'")[0][0]
    where = f"{name} and the city" if with_city else name
    assert at.markdown[0].value == f"### {metrics.get(metric_id).label}: {where}"
    (chart,) = at.get("plotly_chart")
    traces = json.loads(chart.proto.spec)["data"]
    places = ["N07", "city"] if with_city else ["N07"]
    assert [t["name"] for t in traces] == [name, "City"][:len(places)]
    with duckdb.connect(str(app_env / "demo.duckdb"), read_only=True) as con:
        for trace, geo_id in zip(traces, places):
            assert_line(trace, con, metric_id, geo_id)
            if metrics.get(metric_id).group != metrics.RESILIENCE:
                assert_low_count_marks(trace, con, metric_id, geo_id)


def test_the_capital_page_offers_each_trend_as_an_embed(app_env):
    at = run_page(PAGE, {"n": "N07"})
    snippets = [c.value for c in at.code if "<iframe" in c.value]
    for metric_id in ("ppp_loans_per_1k_businesses", "processing_days_p90"):
        assert any("chart=trend" in s and f"metric={metric_id}" in s and "n=N07" in s
                   for s in snippets), metric_id
