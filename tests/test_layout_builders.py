"""Issue 13, the builders without Streamlit: charts that name every category and fit a
phone, compare panels that name their year and keep each neighborhood's colour, the
diversity charts' labels, rounded downloads, the brief's mix, Data & methods in words, and
one definition of a micro-business.

Each test failed before its fix (see the docstrings for what it used to show)."""
from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core import metrics
from dashboard import (bars, brief, brief_pdf, cards, catalog, charts, downloads, embeds,
                       exports, formatting, maps, queries, theme)
from dashboard.db import open_database

ROOT = Path(__file__).resolve().parents[1]
CATEGORIES = [f"Kind of business number {i}" for i in range(20)]
MADE = date(2026, 11, 25)


@pytest.fixture(scope="module")
def demo(demo_db):
    return open_database(demo_db)


def mix_frame(areas: list[str], hidden: dict[str, set[str]] | None = None,
              city_hidden: set[str] = frozenset()) -> pd.DataFrame:
    """20 categories, shares falling with the category's number; `hidden`: per area, the
    categories whose count is withheld."""
    rows = []
    rng = np.random.default_rng(1)
    for geo_id in [*areas, "city"]:
        for i, category in enumerate(CATEGORIES):
            city_share = None if category in city_hidden else (20 - i) / 210
            gone = category in (city_hidden if geo_id == "city" else (hidden or {}).get(geo_id, ()))
            share = None if gone else float(rng.uniform(0.01, 0.12))
            rows.append({"geo_id": geo_id, "category": category,
                         "count": None if gone else 10.0 + i, "suppressed": gone,
                         "share": share, "city_share": city_share, "lq": None})
    return pd.DataFrame(rows)


def annotation_texts(fig) -> list[str]:
    return [a.text for a in fig.layout.annotations]


# --- The mix of businesses --------------------------------------------------------------

def test_mix_names_every_category_and_stays_a_sensible_height():
    """Was: labels skipped by the axis (10 of 20), 26 px × categories × places tall (about
    2,000 px for four neighborhoods), the axis at the bottom only."""
    areas = ["N1", "N2", "N3", "N4"]
    fig, _ = bars.category_mix(mix_frame(areas), {**{a: a for a in areas}, "city": "City"}, 3)
    texts = annotation_texts(fig)
    assert all(any(t.startswith(c) for t in texts) for c in CATEGORIES), texts
    assert fig.layout.height <= 1100, fig.layout.height
    assert fig.layout.xaxis2.side == "top" and fig.layout.xaxis2.overlaying == "x"
    assert fig.layout.xaxis2.matches == "x"
    assert [t.type for t in fig.data] == ["bar"] * 4 + ["scatter"]     # the city: a tick


def test_mix_on_a_slide_forces_every_category_onto_the_axis():
    fig, _ = bars.category_mix(mix_frame(["N1"]), {"N1": "One", "city": "City"}, 3,
                               names_above=False)
    assert fig.layout.yaxis.tickmode == "array"
    assert list(fig.layout.yaxis.tickvals) == list(fig.layout.yaxis.ticktext)
    assert sorted(fig.layout.yaxis.tickvals) == sorted(CATEGORIES)


def test_withheld_mix_rows_say_so_and_sit_last():
    """Was: a category whose city share was hidden sorted first (blank at the top), and a
    withheld count left its row empty."""
    mix = mix_frame(["N1", "N2"], hidden={"N1": {CATEGORIES[3]}},
                    city_hidden={CATEGORIES[0]})
    fig, table = bars.category_mix(mix, {"N1": "Alder", "N2": "Birch", "city": "City"}, 3)
    order = list(fig.data[0].y)
    assert order[-1] == CATEGORIES[0] and order[0] == CATEGORIES[1]
    texts = annotation_texts(fig)
    assert f"{CATEGORIES[3]} — withheld: Alder" in texts
    assert any(t.startswith(CATEGORIES[0]) and "withheld" in t for t in texts)
    assert table["Category"].iloc[0] == CATEGORIES[1]


def test_a_blank_mix_draws_nothing_and_says_so():
    mix = mix_frame(["N1"], hidden={"N1": set(CATEGORIES)}, city_hidden=set(CATEGORIES))
    fig, _ = bars.category_mix(mix, {"N1": "One", "city": "City"}, 3)
    assert charts.EMPTY_TEXT in annotation_texts(fig)


# --- Compare ---------------------------------------------------------------------------

def test_a_neighborhood_keeps_its_colour_when_another_is_added():
    """Was: colours by the order of the selection (`theme.colour(i)`)."""
    everyone = [f"N{i:02d}" for i in range(1, 37)]
    two = theme.area_colours(["N07", "N12"], everyone)
    three = theme.area_colours(["N07", "N12", "N03"], everyone)
    assert three["N07"] == two["N07"] and three["N12"] == two["N12"]
    assert theme.area_colours(["N12", "N07"], everyone) == two         # not by order
    assert len(set(three.values())) == 3
    four = theme.area_colours(["N01", "N07", "N13", "N19"], everyone)   # same place mod 6
    assert len(set(four.values())) == 4


def profile_rows() -> pd.DataFrame:
    rows = []
    for geo_id, value in (("N1", 0.7), ("N2", 0.8)):
        rows += [{"geo_id": geo_id, "metric_id": "survival_3y", "year": 2022, "value": value,
                  "suppressed": False, "city_value": 0.71},
                 {"geo_id": geo_id, "metric_id": "jobs_small_firms_share", "year": 2024,
                  "value": value / 2, "suppressed": False, "city_value": 0.28},
                 {"geo_id": geo_id, "metric_id": "micro_per_1k_residents", "year": 2025,
                  "value": 20 + value, "suppressed": False, "city_value": 25.8}]
    return pd.DataFrame(rows).assign(unreliable=False)


def test_compare_panels_name_their_year():
    """Was: "Side by side, latest year" and panel titles with no year."""
    shown = [metrics.get(m) for m in ("micro_per_1k_residents", "survival_3y",
                                      "jobs_small_firms_share")]
    colours = {"N1": "#009E73", "N2": "#CC79A7"}
    fig, table = bars.side_by_side(profile_rows(), shown, {"N1": "Alder", "N2": "Birch"}, 3,
                                   colours)
    titles = [a.text.replace("<br>", " ") for a in fig.layout.annotations if a.xref == "paper"]
    assert titles[0].startswith("Micro-businesses per 1,000 residents (2025)")
    assert "(businesses opened in 2022)" in titles[1]
    assert "(2024)" in titles[2]
    assert all(len(line) <= bars.PANEL_TITLE_WIDTH
               for a in fig.layout.annotations if a.xref == "paper" for line in a.text.split("<br>"))
    assert list(fig.data[0].marker.color) == ["#009E73", "#CC79A7"]
    assert list(table["Year"]) == [2025, 2022, 2024]


# --- Diversity ---------------------------------------------------------------------------

def lq_frame() -> pd.DataFrame:
    values = [0.55, 0.64, 0.92, 1.04, 1.32, 2.1]
    return pd.DataFrame({"category": CATEGORIES[:6], "lq": values, "suppressed": False,
                         "count": 30, "share": 0.1, "city_share": 0.1})


def test_quotient_values_never_sit_on_the_category_names():
    """Was: the value outside each bar's end, so a bar going left wrote "0.55×" on
    "Retail shops" ("Retail shops0.55×")."""
    fig, _ = bars.quotients(lq_frame(), "Alder", 3)
    (bar,) = fig.data
    assert bar.textposition == "none"
    values = [a for a in fig.layout.annotations if a.text.endswith("×")]
    names = [a for a in fig.layout.annotations if a.text in CATEGORIES]
    assert len(values) == 6 and all(a.x >= 0 and a.xanchor == "left" for a in values)
    assert len(names) == 6 and all(a.xref == "paper" and a.x == 0 for a in names)
    assert fig.layout.yaxis.showticklabels is False


def scatter_frames(n: int = 30):
    rng = np.random.default_rng(4)
    ids = [f"N{i:02d}" for i in range(n)]
    names = [f"Place {i}" for i in range(n)]
    x = pd.DataFrame({"geo_id": ids, "name": names, "value": rng.uniform(100, 900, n),
                      "suppressed": False})
    y = pd.DataFrame({"geo_id": ids, "name": names, "value": rng.uniform(2.0, 2.6, n),
                      "suppressed": False})
    return x, y


def test_the_scatter_names_its_dots_and_its_y_axis_clears_the_title():
    """Was: dots with no names, and a turned y title taller than the plot, over the title."""
    x, y = scatter_frames()
    fig, _ = bars.scatter(x, y, metrics.get("businesses_per_km2"),
                          metrics.get("shannon_diversity"), highlight="N05", title="A title")
    assert not fig.layout.yaxis.title.text
    (above,) = [a for a in fig.layout.annotations if a.text == metrics.get("shannon_diversity").label]
    assert above.yref == "paper" and above.y == 1 and above.yanchor == "bottom"
    hover = [h for t in fig.data for h in t.hovertext]
    assert all(f"<b>{n}</b>" in " ".join(hover) for n in x["name"])
    shown = [s for t in fig.data for s in t.text if s]
    assert "<b>Place 5</b>" in shown and 3 <= len(shown) <= 10


def test_scatter_labels_do_not_overlap():
    x, y = scatter_frames(36)
    both = x.merge(y[["geo_id", "value"]], on="geo_id", suffixes=("_x", "_y"))
    labels = bars.readable_labels(both, "N05")
    assert labels and list(labels)[0] == 5
    width, height = bars.LABEL_BOX
    px = (both["value_x"] - both["value_x"].min()) / np.ptp(both["value_x"]) * width
    py = (both["value_y"].max() - both["value_y"]) / np.ptp(both["value_y"]) * height
    boxes = []
    for i, (text, side) in labels.items():
        w = 7.0 * len(str(both.at[i, "name"])) + 4
        left = px[i] - w if side == "top left" else px[i] if side == "top right" else px[i] - w / 2
        boxes.append((left, py[i] - 23, left + w, py[i] - 8))
    for a in range(len(boxes)):
        for b in range(a + 1, len(boxes)):
            p, q = boxes[a], boxes[b]
            assert not (p[0] < q[2] and q[0] < p[2] and p[1] < q[3] and q[1] < p[3])


def test_diversity_headlines_explain_in_words_not_formulas():
    """Was: the page's explanation ended with the formula (H = −Σ pᵢ ln pᵢ …)."""
    for metric_id in ("shannon_diversity", "diversity_evenness", "effective_categories",
                      "category_richness", "gini_simpson"):
        words = metrics.get(metric_id).description
        assert not re.search(r"[=Σ√ᵢ^]|\bln\b|\be\^", words), words
        assert metrics.get(metric_id).formula      # the formula is still there, elsewhere


# --- Line charts on a phone ----------------------------------------------------------------

def test_long_legend_entries_and_many_years_fit_a_phone(demo):
    """Was: one-line legend entries wider than a phone, and every cohort year labelled on
    the survival chart (dtick 1: "20 20 20" on a phone)."""
    ids = ["survival_1y", "survival_3y", "survival_5y", "jobs_total", "jobs_small_firms",
           "jobs_young_firms"]
    series = queries.area_series(demo, ids, ["N07"])
    fig, _ = charts.survival(series, [metrics.get(m) for m in ids[:3]], 0, "N07")
    assert fig.layout.xaxis.dtick is None and fig.layout.xaxis.tickformat == "d"
    jobs, _ = charts.several_lines(series, [metrics.get(m) for m in ids[3:]], 0, "N07")
    for trace in [*fig.data, *jobs.data]:
        assert all(len(line) <= charts.LEGEND_WIDTH for line in trace.name.split("<br>")), trace.name
    assert "<br>" in jobs.data[1].name       # "Jobs at small firms (fewer than 20 employees)"


# --- Downloads ---------------------------------------------------------------------------

def test_csv_values_are_rounded_as_each_figure_shows():
    """Was: 43.70257966616085 in the CSV."""
    frame = pd.DataFrame({
        "geo_id": ["N1", "N1", "N1", "N1", "N1"],
        "metric_id": ["micro_per_1k_residents", "survival_3y", "shannon_diversity",
                      "active_businesses", "micro_per_1k_residents"],
        "year": [2024] * 5,
        "value": [43.70257966616085, 0.7123456, 2.4567, 274.0, None],
        "numerator": [220.0, 31.0, None, None, 220.0],
        "denominator": [5034.123456, 43.0, None, None, 5034.123456],
        "suppressed": [False, False, False, False, True]})
    meta = exports.ExportMeta("t", "Source: x", MADE)
    body = pd.read_csv(io.BytesIO(exports.table_csv(frame, meta)), comment="#", dtype=str)
    assert body["value"].tolist() == ["43.7", "0.7123", "2.46", "274", "withheld"]
    assert body["denominator"].tolist()[0] == "5034.12"
    assert exports.decimals(metrics.get("survival_3y")) == exports.SHARE_DECIMALS == 4
    assert exports.decimals(metrics.get("location_quotient")) == 2
    shares = exports.rounded(pd.DataFrame({"share": [0.123456789], "lq": [1.23456]}))
    assert shares.iloc[0].tolist() == [0.1235, 1.23]


def test_image_subtitle_says_demo_city_once(demo):
    """Was: "Port Juniper (demo city) (demo city: synthetic figures)"."""
    said = downloads.subtitle(demo, downloads.Download("T", year=2024))
    assert said.count("demo city") == 1 and said.startswith("Port Juniper (demo city:")


def test_colour_classes_say_what_their_count_counts(demo):
    """Was: "2.41 to 2.53 (7)"."""
    data = queries.metric_by_area(demo, "micro_per_1k_residents", 2024)
    view = maps.MapView(metrics.get("micro_per_1k_residents"), "neighborhood")
    from dashboard import geometry
    fig, legend = maps.choropleth(data, geometry.shapes_geojson(demo, "neighborhood"), view)
    ticks = [t for trace in fig.data if getattr(trace, "colorbar", None)
             for t in (trace.colorbar.ticktext or ())]
    counted = [t for t in ticks if t != formatting.grey_words(queries.suppression_threshold(demo))]
    assert counted and all(re.search(r"\(\d+ areas?\)$", t) for t in counted), counted


def test_the_readme_iframe_is_as_tall_as_the_app_s_snippet():
    readme = (ROOT / "README.md").read_text()
    snippet = re.search(r"<iframe[^>]*height=\"(\d+)\"", readme, re.S)
    chart = re.search(r"height=(\d+)&embed=true", readme)
    assert snippet and chart
    assert int(snippet.group(1)) == int(chart.group(1)) + downloads.FRAME_EXTRA
    assert int(chart.group(1)) == embeds.DEFAULT_HEIGHT


# --- The brief ---------------------------------------------------------------------------

def test_the_brief_says_which_categories_it_leaves_out(demo):
    """Was: the ten largest categories drawn, the rest left out without a word."""
    content = brief.gather(demo, None, MADE)
    assert len(content.categories) == brief.TOP_CATEGORIES
    note = brief.left_out_note(content)
    total = len(content.categories) + len(content.left_out)
    assert note.startswith(f"The {brief.TOP_CATEGORIES} largest of {total} kinds")
    assert f"the other {len(content.left_out)} kinds" in note
    assert all(c in note for c in content.left_out["category"])
    from pypdf import PdfReader
    text = " ".join(" ".join(p.extract_text().split()) for p in
                    PdfReader(io.BytesIO(brief_pdf.draw(content))).pages)
    assert "are not drawn" in text


def test_the_brief_uses_the_app_s_colours():
    """Was: new and closed businesses in blue and yellow-orange (the app: purple and
    orange), the city's share as a black tick (the app: grey)."""
    rgb = brief_pdf._rgb
    assert brief_pdf.NEW == rgb(theme.GAIN) and brief_pdf.CLOSED == rgb(theme.LOSS)
    assert brief_pdf.AREA_BAR == rgb(theme.colour(0)) and brief_pdf.CITY_TICK == rgb(theme.CITY)


# --- Data & methods ----------------------------------------------------------------------

def test_splitting_methods_read_as_words(demo):
    """Was: "business_share", "nested" in the Method column."""
    split = catalog.apportionment(demo)
    assert not split.empty
    for method in split["How it is split"]:
        assert "_" not in method and method not in ("nested", "area", "business_share"), method
    assert all(w and "_" not in w for w in catalog.METHOD_WORDS.values())


def test_publisher_has_a_table_of_its_own(demo):
    """Was: Publisher the 9th of 11 columns, cut off at the table's edge."""
    assert list(catalog.provenance(demo).columns)[:2] == ["Source", "Publisher"]
    assert "Publisher" not in catalog.sources(demo).columns


def test_how_to_cite_names_product_city_sources_page_and_date(demo):
    said = catalog.citation(demo, "http://atlas.example.org/methods", MADE)
    vintages = demo.query("SELECT name, vintage FROM sources")
    assert said.startswith(f"{theme.PRODUCT_NAME}, Port Juniper (demo city: synthetic figures).")
    assert all(f"{n}, {v}" in said for n, v in vintages.itertuples(index=False))
    assert "http://atlas.example.org/methods" in said and "2026-11-25" in said


# --- One definition of a micro-business ------------------------------------------------------

def plain(text: str) -> str:
    return " ".join(re.sub(r"[*`]", "", text).split())


def test_a_micro_business_is_defined_once_and_the_same_everywhere():
    """Was: the README said "firms of fewer than five people", the page "flagged
    home-based, sole proprietor or limited"."""
    readme = plain((ROOT / "README.md").read_text())
    assert "fewer than five" not in readme and "flagged home-based" not in readme
    assert plain(metrics.MICRO_WORDS) in readme
    assert metrics.get("micro_businesses").description == metrics.MICRO_DEFINITION
    assert metrics.MICRO_WORDS in metrics.get("micro_per_1k_residents").description
    assert cards.definitions(["micro_businesses"]).endswith(metrics.MICRO_DEFINITION)
    assert cards.definitions(["jobs_total"]) == ""
    for path in ("docs/metrics.md", "docs/dashboard.md"):
        assert "limited by the city profile" not in (ROOT / path).read_text()
