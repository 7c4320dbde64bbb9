"""The app under AppTest: every page of the registry, its main controls, the URL.

Pages run on the demo city (as a visitor sees it first), on the tiny hand-made city
(numbers known by hand) and on a partial import without jobs, tracts or residents.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import registry
from dashboard.registry import EMBED, PAGES
from tests.apptest import APP, TIMEOUT_SECONDS, assert_clean, param, run_page
from tests.seen import PAGE_CHECKS, Seen, check_page


@pytest.fixture
def tiny_env(tiny_dir, monkeypatch):
    monkeypatch.setenv("ATLAS_DATA_DIR", str(tiny_dir))
    return tiny_dir


@pytest.fixture
def partial_env(partial_dir, monkeypatch):
    monkeypatch.setenv("ATLAS_DATA_DIR", str(partial_dir))
    return partial_dir


def what_is_seen(at: AppTest, db) -> Seen:
    """The page's charts (plotly figures as sent to the browser), URL and text."""
    figures = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    texts = [e.value for kind in ("title", "header", "subheader", "markdown", "caption", "info")
             for e in getattr(at, kind)]
    texts += [e.label for e in at.expander] + [d.value.to_csv() for d in at.dataframe]
    params = {k: param(at, k) for k in at.query_params}
    return Seen(figures, params, duckdb.connect(str(db), read_only=True), "\n".join(texts))


@pytest.mark.parametrize("page", PAGES, ids=[p.url_path for p in PAGES])
def test_page_renders_on_the_demo_city(app_env, page):
    """Each page as a visitor first sees it: its charts, their traces, areas and bars hold
    the database's values (tests/seen.py), not just a title."""
    at = run_page(page.path)
    assert_clean(at)
    assert any("Demo city" in i.value for i in at.info), "the demo banner is missing"
    assert at.title, "every page has a title"
    seen = what_is_seen(at, app_env / "demo.duckdb")
    try:
        check_page(page.url_path, seen)
    finally:
        seen.con.close()


def test_every_page_has_its_checks():
    assert set(PAGE_CHECKS) == {p.url_path for p in PAGES}


def test_page_files_are_named_in_the_registry_only():
    """Links and switches name a page by its address (`frame.page_link("map", …)`); its
    file is written once, in dashboard/registry.py."""
    root = Path(__file__).resolve().parents[1]
    assert all((root / spec.path).is_file() for spec in [*PAGES, EMBED])
    sources = [*(root / "dashboard").glob("*.py"), *(root / "pages").glob("*.py"), root / "app.py"]
    named = [f"{path.relative_to(root)}:{n}" for path in sources if path.name != "registry.py"
             for n, line in enumerate(path.read_text().splitlines(), 1)
             if re.search(r"[\"']pages/\w+\.py", line)]
    assert not named, f"page files written outside the registry: {named}"
    with pytest.raises(KeyError, match="no page at /nowhere"):
        registry.page("nowhere")


@pytest.mark.parametrize("page", PAGES, ids=[p.url_path for p in PAGES])
def test_page_renders_on_a_partial_import(partial_env, page):
    at = run_page(page.path)
    assert_clean(at)
    assert not any("Demo city" in i.value for i in at.info)


@pytest.mark.parametrize("path", ["pages/overview.py", "pages/jobs.py", "pages/profile.py"])
def test_a_partial_import_says_what_is_missing_in_a_sentence(partial_env, path):
    at = run_page(path)
    said = " ".join(i.value for i in at.info)
    assert "LODES" in said and "." in said


def test_overview_headlines_say_their_year(app_env):
    at = run_page("pages/overview.py")
    labels = [m.label for m in at.metric]
    assert labels, "no headline figures"
    assert all("(20" in label or "not available" in m.value
               for label, m in zip(labels, at.metric))


def test_map_year_comes_from_the_url(app_env):
    at = run_page("pages/map.py", {"year": "2019"})
    assert at.select_slider(key="w_year").value == 2019
    assert param(at, "year") == "2019"


def test_bad_year_in_the_url_falls_back_with_a_notice(app_env):
    at = run_page("pages/map.py", {"year": "<script>alert(1)</script>"})
    assert_clean(at)
    assert any("not available here" in w.value for w in at.warning)
    assert param(at, "year") == str(at.select_slider(key="w_year").value)


def ranking(at: AppTest):
    return at.dataframe[1].value   # [0] is the map's legend table, [1] the ranking


def test_map_metric_change_updates_ranking_and_url(tiny_env):
    at = run_page("pages/map.py")
    at.selectbox(key="w_metric").set_value("jobs_total").run()
    assert_clean(at)
    assert param(at, "metric") == "jobs_total"
    assert at.select_slider(key="w_year").value == 2022      # jobs end in 2022
    table = ranking(at)
    assert table["Area"].tolist() == ["Eastwater", "Millbrook", "Northgate"]
    assert table["Value"].tolist() == ["90", "48", "44"]


def test_map_year_category_and_classes_are_kept_in_the_url(tiny_env):
    at = run_page("pages/map.py", {"metric": "jobs_total"})
    at.select_slider(key="w_year").set_value(2021).run()
    assert ranking(at)["Value"].tolist() == ["75", "45", "40"]   # ¾·100, 20 + ¼·100, 40
    at.selectbox(key="w_classes").set_value("breaks").run()
    at.selectbox(key="w_k").set_value(3).run()
    at.selectbox(key="w_category").set_value("Retail shops").run()
    assert_clean(at)
    assert param(at, "metric") == "category_count"   # a category maps its own measures
    assert (param(at, "classes"), param(at, "k"), param(at, "category")) == \
        ("breaks", "3", "Retail shops")


def test_a_copied_map_link_reopens_the_same_view(tiny_env):
    first = run_page("pages/map.py")
    first.selectbox(key="w_metric").set_value("jobs_total").run()
    first.select_slider(key="w_year").set_value(2021).run()
    first.radio(key="w_level").set_value("tract").run()
    link = {k: param(first, k) for k in first.query_params}
    again = run_page("pages/map.py", link)
    assert_clean(again)
    for key in ("w_metric", "w_level"):
        widget = again.selectbox(key=key) if key == "w_metric" else again.radio(key=key)
        assert widget.value == (first.selectbox(key=key) if key == "w_metric"
                                else first.radio(key=key)).value
    assert again.select_slider(key="w_year").value == 2021
    assert ranking(again).equals(ranking(first))
    assert not again.warning


def test_profile_opens_the_neighborhood_of_the_link(tiny_env):
    at = run_page("pages/profile.py", {"n": "N2"})
    assert_clean(at)
    assert at.title[0].value == "Millbrook"
    links = [p.label for p in at.get("page_link")]
    assert "Compare with Northgate" in links
    at.selectbox(key="w_n").set_value("N3").run()
    assert at.title[0].value == "Eastwater" and param(at, "n") == "N3"
    jobs = next(m for m in at.metric if m.label.startswith("Jobs"))
    assert jobs.value == "90"


def test_compare_takes_two_to_four_neighborhoods_from_the_url(tiny_env):
    at = run_page("pages/compare.py", {"compare": "N1,N3"})
    assert_clean(at)
    assert at.multiselect(key="w_compare").value == ["N1", "N3"]
    panel_table = at.dataframe[0].value
    assert list(panel_table.columns) == ["Figure", "Year", "Northgate", "Eastwater", "City"]
    at.multiselect(key="w_compare").select("N2").run()
    assert param(at, "compare") == "N1,N3,N2"


def test_compare_with_a_bad_list_falls_back_with_a_notice(tiny_env):
    at = run_page("pages/compare.py", {"compare": "N1,nowhere"})
    assert_clean(at)
    assert any("not available here" in w.value for w in at.warning)
    assert len(at.multiselect(key="w_compare").value) == 2


def test_jobs_page_follows_the_neighborhood_and_year(tiny_env):
    at = run_page("pages/jobs.py", {"n": "N2", "year": "2022"})
    assert_clean(at)
    assert at.selectbox(key="w_n").value == "N2"
    assert at.selectbox(key="w_year").value == 2022      # one year of change: a select box
    gains = next(d.value for d in at.dataframe if "Change in jobs from the year before" in d.value)
    assert gains.iloc[0].tolist() == ["Eastwater", "+15"]   # 90 − 75


def test_diversity_page_changes_measure(tiny_env):
    at = run_page("pages/diversity.py", {"metric": "category_richness", "n": "N1"})
    assert_clean(at)
    assert at.selectbox(key="w_metric").value == "category_richness"
    at.selectbox(key="w_metric").set_value("effective_categories").run()
    assert_clean(at)
    assert param(at, "metric") == "effective_categories"


def test_methods_page_defines_every_figure(tiny_env):
    from core import metrics
    at = run_page("pages/methods.py")
    assert_clean(at)
    titles = " ".join(e.label for e in at.expander)
    assert all(m.label in titles for m in metrics.REGISTRY.values())
    assert "Tiny Town Business Registry" in at.dataframe[0].value["Source"].tolist()


def test_a_city_picker_appears_when_two_cities_are_built(tiny_dir, partial_dir, tmp_path,
                                                         monkeypatch):
    shutil.copy(tiny_dir / "tiny.duckdb", tmp_path / "tiny.duckdb")
    shutil.copy(partial_dir / "partial.duckdb", tmp_path / "partial.duckdb")
    monkeypatch.setenv("ATLAS_DATA_DIR", str(tmp_path))
    at = run_page("pages/overview.py", {"city": "tiny"})
    assert at.sidebar.selectbox(key="w_city").value == "tiny"
    assert at.title[0].value.startswith("Tiny Town")
    at.sidebar.selectbox(key="w_city").set_value("partial").run()
    assert_clean(at)
    assert param(at, "city") == "partial"


def link_to(at: AppTest, label_start: str) -> tuple[str, str]:
    """(page, query string) of the first page link whose label starts with `label_start`."""
    found = next(p for p in at.get("page_link") if p.label.startswith(label_start))
    return found.proto.page, found.proto.query_string


def test_a_newcomer_finds_the_fewest_opens_it_compares_and_sees_its_jobs(tiny_env):
    """The issue's 'done when', on the tiny city with jobs as the figure."""
    at = run_page("pages/map.py", {"metric": "jobs_total"})
    assert "Lowest: **Northgate** (44)" in " ".join(m.value for m in at.markdown)
    page, query = link_to(at, "Profile of the lowest: Northgate")
    assert (page, query) == ("profile", "city=tiny&n=N1")
    profile = run_page("pages/profile.py", dict(p.split("=") for p in query.split("&")))
    assert profile.title[0].value == "Northgate"
    assert link_to(profile, "Compare with Millbrook") == ("compare", "city=tiny&compare=N1%2CN2")
    assert link_to(profile, "Where its jobs are") == ("jobs", "city=tiny&n=N1")
    jobs = run_page("pages/jobs.py", {"n": "N1"})
    assert_clean(jobs)
    assert jobs.selectbox(key="w_n").value == "N1"
    assert {k: param(jobs, k) for k in ("city", "n")} == {"city": "tiny", "n": "N1"}


@pytest.mark.parametrize("start, then", [("profile", "diversity"), ("profile", "jobs"),
                                         ("jobs", "profile"), ("diversity", "jobs")])
def test_the_neighborhood_follows_the_visitor_from_page_to_page(app_env, start, then):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_SECONDS)   # a link straight to the page
    at.query_params["n"] = "N05"
    at.switch_page(registry.page(start).path).run()
    assert at.selectbox(key="w_n").value == "N05"
    at.query_params.clear()                 # the sidebar's links carry no query string
    assert "n" not in at.query_params
    at.switch_page(registry.page(then).path).run()
    assert_clean(at)
    assert at.selectbox(key="w_n").value == "N05" and param(at, "n") == "N05"


@pytest.mark.parametrize("path", ["pages/map.py", "pages/jobs.py", "pages/profile.py"])
def test_every_chart_says_where_its_numbers_come_from(app_env, path):
    at = run_page(path)
    assert_clean(at)
    with duckdb.connect(str(app_env / "demo.duckdb"), read_only=True) as con:
        names = {n for n, in con.execute("SELECT name FROM sources").fetchall()}
    lines = [c.value for c in at.caption if c.value.startswith("Source: ")]
    assert lines, "no source line under the charts"
    for line in lines:
        assert any(name in line for name in names) and "Data & methods" in line
