"""Issue 13 under AppTest: what the pages say and hold (the browser checks how it looks, in
test_browser_layout.py). Each test failed before its fix."""
from __future__ import annotations

import json
import re
from datetime import date

import pytest

from core import metrics
from dashboard import styles
from dashboard.registry import PAGES
from tests.apptest import assert_clean, run_page


def html_bodies(at) -> list[str]:
    return [e.proto.body for e in at.get("html")]


def copy_link(body: str) -> bool:
    """The Copy link button and its script (the page's CSS only styles it)."""
    return f">{styles.COPY_LINK_LABEL}</button>" in body and "navigator.clipboard" in body


def figures(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def unescaped(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


@pytest.mark.parametrize("page", PAGES, ids=[p.url_path for p in PAGES])
def test_every_page_has_copy_link_and_a_print_stylesheet(app_env, page):
    """Was: no way to copy the view's address but the browser's bar; Print of a page
    printed the sidebar and cut the charts."""
    at = run_page(page.path)
    assert_clean(at)
    bodies = html_bodies(at)
    assert sum(copy_link(b) for b in bodies) == 1
    assert sum("@media print" in b for b in bodies) == 1


def test_slides_and_embeds_have_the_print_style_but_no_copy_link(app_env):
    for path, params in (("pages/profile.py", {"n": "N07", "present": "1", "slide": "4"}),
                         ("pages/embed.py", {"chart": "mix", "n": "N07"})):
        at = run_page(path, params)
        bodies = html_bodies(at)
        assert any("@media print" in b for b in bodies)
        assert not any(copy_link(b) for b in bodies)


def test_chart_titles_sit_above_the_chart(app_env):
    """Was: titles drawn inside the chart (cut on a phone, under the chart's toolbar)."""
    at = run_page("pages/overview.py")
    assert all(not f["layout"].get("title", {}).get("text") for f in figures(at))
    said = [unescaped(m.value) for m in at.markdown]
    assert "**Businesses opened (up) and closed (down)**" in said
    assert "**Active businesses on 31 December**" in said


def panel_colours(at) -> list[str]:
    return figures(at)[0]["data"][0]["marker"]["color"]


def test_compare_names_each_panel_s_year_and_keeps_colours(app_env):
    """Was: "latest year" for every panel (survival is the 2022 cohort, jobs 2024) and a
    neighborhood's colour changing when a third was added."""
    at = run_page("pages/compare.py", {"compare": "N07,N12"})
    assert_clean(at)
    assert "Side by side, latest year" not in [h.value for h in at.header]
    titles = [a["text"].replace("<br>", " ") for a in figures(at)[0]["layout"]["annotations"]
              if a.get("xref") == "paper"]
    survival = next(t for t in titles if t.startswith("Still open after 3 years"))
    assert re.search(r"\(businesses opened in 20\d\d\)", survival), survival
    jobs = next(t for t in titles if t.startswith("Share of private jobs at small firms"))
    jobs_year = re.search(r"\((20\d\d)\)", jobs).group(1)
    assert jobs_year not in survival      # each panel its own year
    two = panel_colours(at)
    at = run_page("pages/compare.py", {"compare": "N07,N12,N03"})
    three = panel_colours(at)
    assert three[:2] == two and len(set(three)) == 3
    mix = figures(at)[3]["data"]     # after the panels, the downturn and the trend
    assert [t["marker"]["color"] for t in mix[:3]] == three


def test_the_compare_mix_is_not_two_thousand_pixels_tall(app_env):
    at = run_page("pages/compare.py", {"compare": "N07,N12,N03,N20"})
    mix = figures(at)[3]["layout"]
    assert mix["height"] <= 1100 and mix["xaxis2"]["side"] == "top"


def test_diversity_explains_in_words_and_keeps_the_formula_a_click_away(app_env):
    """Was: "… 0 when all are of one kind. H = −Σ pᵢ ln pᵢ, …" as the headline explanation."""
    at = run_page("pages/diversity.py", {"metric": "shannon_diversity"})
    assert_clean(at)
    metric = metrics.get("shannon_diversity")
    said = [m.value for m in at.markdown]
    assert metric.description in said
    assert not any(metric.formula in m for m in said[:said.index(metric.description) + 1])
    (how,) = [e for e in at.expander if e.label == "How it is computed"]
    assert any(metric.formula in m.value for m in how.markdown)


def test_methods_page_cites_and_says_its_methods_in_words(app_env):
    """Was: no "how to cite", the Publisher column cut off, "business_share" and "nested"."""
    at = run_page("pages/methods.py")
    assert_clean(at)
    (cite,) = [c.value for c in at.code if c.value.startswith("Main Street Atlas, ")]
    assert "Port Juniper" in cite and "seed 42" in cite and "/methods" in cite
    assert date.today().isoformat() in cite
    (sources,) = [t.value for t in at.table]      # a table that wraps, not a cut-off grid
    assert sources.index.name == "Source" and sources.columns[0] == "Publisher"
    assert sources["Publisher"].str.len().min() > 0
    tables = [d.value for d in at.dataframe]
    (split,) = [t for t in tables if "How it is split" in t.columns]
    assert not any("_" in m or m == "nested" for m in split["How it is split"])


@pytest.mark.parametrize("path", ["pages/overview.py", "pages/profile.py", "pages/compare.py"])
def test_a_micro_business_is_defined_where_the_figure_is(app_env, path):
    at = run_page(path)
    assert any(metrics.MICRO_DEFINITION in c.value for c in at.caption)
