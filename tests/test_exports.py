"""Data downloads open and hold what they claim; hidden figures stay hidden.

Hand counts from tests/tiny_city.py, active businesses on 31 December 2023: Northgate (N1)
b01 b03 b05 b07 b08 = 5 (b06 closed that day), Millbrook (N2) b09 b11 b13 b14 b16 = 5,
Eastwater (N3) b17 b19 b20 b22 = 4; the city 14. Micro-businesses in N1: b01 b03 b05 b08
= 4 of 9 in the city. New businesses in N1 in 2023: b07 alone, so hidden.
"""
from __future__ import annotations

import io
import json
from datetime import date

import openpyxl
import pandas as pd
import pytest
import shapely

from dashboard import exports
from core import metrics
from dashboard.db import open_database
from dashboard.images import file_name, slugify

MADE = date(2026, 11, 25)


@pytest.fixture(scope="module")
def tiny(tiny_dir):
    return open_database(tiny_dir / "tiny.duckdb")


def read_csv(data: bytes) -> tuple[list[str], pd.DataFrame]:
    text = data.decode("utf-8")
    header = [line for line in text.splitlines() if line.startswith("#")]
    return header, pd.read_csv(io.StringIO(text), comment="#", keep_default_na=False)


def test_the_source_line_names_each_source_with_its_vintage(tiny):
    line = exports.source_line(tiny, ["micro_per_1k_residents"], ("neighborhoods",))
    assert line == ("Source: ACS 5-year estimates, 2018–2022; Tiny Town Business Registry, "
                    "2024-01-15; Tiny Town Neighborhoods, 2023")
    assert "LODES" not in line   # jobs are not behind this metric


def test_the_brief_lists_every_source_with_its_publisher_from_the_same_query(tiny):
    full = exports.source_list(tiny, publishers=True)
    assert "ACS 5-year estimates (Test fixture), vintage 2018–2022" in full
    assert len(full) == tiny.scalar("SELECT count(*) FROM sources")
    assert exports.source_list(tiny, ["acs"]) == ["ACS 5-year estimates, 2018–2022"]
    assert exports.source_list(tiny, []) == []


def test_an_area_is_named_from_the_area_query_and_an_unknown_one_raises(tiny):
    assert exports.area_name(tiny, "N1") == "Northgate"
    assert exports.area_name(tiny, None) == exports.city_info(tiny)["name"]
    with pytest.raises(KeyError, match="no neighborhood 'Q9'"):
        exports.area_name(tiny, "Q9")


def test_file_names_say_what_they_hold():
    assert file_name("chicago", "Micro-businesses per 1,000 residents", 2023, "png") == \
        "chicago_micro-businesses-per-1k-residents_2023.png"
    assert file_name("new_york", "Businesses per km²", 2022, "svg", "square") == \
        "new-york_businesses-per-km2_2022_square.svg"
    assert slugify("Café & Bäckerei (Zürich)") == "cafe-backerei"


def test_table_csv_has_a_header_block_and_never_a_hidden_number(tiny):
    frame = exports.area_values(tiny, "formations", 2023)
    meta = exports.metric_meta(tiny, ["formations"], "New businesses by neighborhood", MADE,
                               {"year": 2023, "category": "all"})
    header, body = read_csv(exports.table_csv(frame, meta))
    keys = [line.split(":", 1)[0] for line in header]
    assert keys == ["# Title", "# City", "# Areas", "# Source", "# Filters", "# Definition",
                    "# Suppressed", "# Flags", "# Made"]
    flags = next(line for line in header if line.startswith("# Flags"))
    assert "low_count: A rate, share, survival figure or diversity index computed from " \
           "fewer than 20 businesses or events" in flags
    assert "# Filters: year=2023, category=all" in header
    assert header[-1] == "# Made: with Main Street Atlas on 2026-11-25"
    said = next(line for line in header if line.startswith("# Suppressed"))
    assert '"withheld" marks a hidden figure' in said
    assert ("Withheld: fewer than 3 businesses (0, 1 or 2), or hidden so that a smaller "
            "count cannot be worked out from the totals") in said
    # 2023 openings: b07 in N1, b16 in N2, b20 in N3 — one each, all hidden
    assert list(body["value"]) == ["withheld"] * 3
    assert set(body["numerator"]) == {""} and set(body["suppressed"]) == {True}


def test_hide_suppressed_drops_a_number_even_when_the_caller_left_it_in():
    frame = pd.DataFrame({"category": ["Retail", "Food"], "count": [2, 40],
                          "suppressed": [True, False], "city_value": [7.0, 90.0],
                          "city_value_suppressed": [False, True]})
    out = exports.hide_suppressed(frame, 3)
    assert out["count"].tolist() == ["withheld", 40]
    assert out["city_value"].tolist() == [7.0, "withheld"]


def test_neighborhood_csv_numbers_equal_the_database(tiny):
    frame = exports.neighborhood_figures(tiny, "N1")
    header, body = read_csv(exports.as_csv(frame, exports.figures_meta(tiny, "N1", MADE)))
    assert "# Filters: neighborhood=Northgate (N1)" in header
    rows = body[body["category"] == ""].set_index(["metric_id", "year"])
    assert rows.loc[("active_businesses", 2023), "value"] == "5"
    assert rows.loc[("active_businesses", 2023), "city_value"] == "14"
    assert rows.loc[("active_businesses", 2023), "rank"] == "1"     # tied with Millbrook
    assert rows.loc[("micro_businesses", 2023), "value"] == "4"
    assert rows.loc[("formations", 2023), "value"] == "withheld"
    db = tiny.query("SELECT metric_id, year, value, suppressed FROM metrics_long "
                    "WHERE geo_level = 'neighborhood' AND geo_id = 'N1'")
    assert len(db) == len(rows)
    for r in db.itertuples(index=False):
        printed = rows.loc[(r.metric_id, r.year), "value"]
        if r.suppressed:
            assert printed == "withheld"
        elif pd.isna(r.value):
            assert printed == ""
        else:
            digits = exports.decimals(metrics.get(r.metric_id))    # rounded as it shows
            assert float(printed) == pytest.approx(round(r.value, digits), abs=1e-9)


def test_neighborhood_figures_include_every_category_count(tiny):
    frame = exports.neighborhood_figures(tiny, "N3")
    counts = frame[(frame["metric_id"] == "category_count") & (frame["year"] == 2023)]
    expected = tiny.query("SELECT category, count, suppressed FROM category_counts WHERE "
                          "geo_level = 'neighborhood' AND geo_id = 'N3' AND year = 2023")
    assert sorted(counts["category"]) == sorted(expected["category"])
    assert counts["value"][counts["suppressed"]].isna().all()


def test_xlsx_holds_the_same_figures_and_an_about_sheet(tiny):
    frame = exports.neighborhood_figures(tiny, "N1")
    book = openpyxl.load_workbook(io.BytesIO(
        exports.as_xlsx(frame, exports.figures_meta(tiny, "N1", MADE))))
    assert book.sheetnames == ["Figures", "About"]
    sheet = book["Figures"]
    head = [c.value for c in sheet[1]]
    assert head == exports.FIGURE_COLUMNS
    rows = [dict(zip(head, (c.value for c in row))) for row in sheet.iter_rows(min_row=2)]
    assert len(rows) == len(frame)
    active = next(r for r in rows if r["metric_id"] == "active_businesses" and r["year"] == 2023)
    assert active["value"] == 5 and active["city_value"] == 14
    hidden = next(r for r in rows if r["metric_id"] == "formations" and r["year"] == 2023)
    assert hidden["value"] == "withheld" and hidden["numerator"] is None
    about = {r[0].value: r[1].value for r in book["About"].iter_rows(min_row=2)}
    assert about["Source"].startswith("ACS 5-year estimates, 2018–2022")


def test_map_geojson_has_one_valid_feature_per_area(tiny):
    data = json.loads(exports.map_geojson(tiny, "businesses_per_1k_residents", 2023,
                                          made_on=MADE))
    assert data["type"] == "FeatureCollection" and data["made"].endswith("2026-11-25")
    assert "Tiny Town Neighborhoods, 2023" in data["source"]
    by_id = {f["id"]: f for f in data["features"]}
    assert sorted(by_id) == ["N1", "N2", "N3"]
    for feature in data["features"]:
        geom = shapely.from_geojson(json.dumps(feature["geometry"]))
        assert geom.is_valid and geom.geom_type in ("Polygon", "MultiPolygon")
    # N1: 5 active businesses ÷ (0.6 × 150 residents) × 1,000
    assert by_id["N1"]["properties"]["value"] == pytest.approx(5 / 90 * 1000)
    assert by_id["N1"]["properties"]["value_text"] == "55.6"
    assert by_id["N1"]["properties"]["name"] == "Northgate"


def test_map_geojson_of_tracts_and_of_a_hidden_category(tiny):
    tracts = json.loads(exports.map_geojson(tiny, "active_businesses", 2023, "tract"))
    assert len(tracts["features"]) == 2
    retail = json.loads(exports.map_geojson(tiny, "category_count", 2023,
                                            category="Retail shops"))
    for feature in retail["features"]:
        props = feature["properties"]
        assert props["category"] == "Retail shops"
        if props["suppressed"]:
            assert props["value"] is None and props["value_text"] == "withheld"
            assert props["rank"] is None


def test_export_modules_work_without_streamlit():
    import subprocess
    import sys
    code = ("import sys, dashboard.exports, dashboard.images, dashboard.brief, "
            "dashboard.brief_pdf, dashboard.__main__; "
            "sys.exit('streamlit' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


# --- The demo city: a scan of every kind of export ---------------------------------------

@pytest.fixture(scope="module")
def demo(withheld_db):
    return open_database(withheld_db)


def private_strings(db) -> set[str]:
    """Names and addresses of home-based or sole-proprietor businesses, spaces normalized."""
    frame = db.query("SELECT name, address FROM businesses WHERE home_based OR sole_proprietor")
    values = pd.concat([frame["name"], frame["address"]]).dropna().astype(str)
    return {" ".join(v.split()) for v in values if v.strip()}


def leaks(fields: set[str], private: set[str], longest: int = 8) -> set[str]:
    """Private strings found in any field as a run of whole words."""
    found = set()
    for field in fields:
        words = field.split()
        for i in range(len(words)):
            for j in range(i + 1, min(i + longest, len(words)) + 1):
                if " ".join(words[i:j]) in private:
                    found.add(" ".join(words[i:j]))
    return found


def small_counts(body: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Rows of a figures CSV that publish a count below the threshold."""
    counts = body[body["metric_id"].map(lambda m: metrics.get(m).kind == "count")]
    numbers = pd.to_numeric(counts["value"], errors="coerce")
    return counts[numbers.notna() & (numbers < threshold)]


def test_no_demo_download_holds_a_private_business_or_a_small_count(demo):
    from pypdf import PdfReader

    from dashboard import brief, mix, queries
    private, threshold = private_strings(demo), queries.suppression_threshold(demo)
    assert len(private) > 1000          # the scan has something to look for
    fields: set[str] = set()
    for nid in demo.query("SELECT neighborhood_id FROM neighborhoods")["neighborhood_id"]:
        frame = exports.neighborhood_figures(demo, nid)
        header, body = read_csv(exports.as_csv(frame, exports.figures_meta(demo, nid, MADE)))
        assert small_counts(body, threshold).empty, nid
        fields |= set(header) | set(body.astype(str).to_numpy().ravel())
    book = openpyxl.load_workbook(io.BytesIO(exports.as_xlsx(
        frame, exports.figures_meta(demo, nid, MADE))))
    fields |= {str(c.value) for sheet in book for row in sheet.iter_rows() for c in row}
    year = max(queries.metric_years(demo, "active_businesses"))
    for metric_id in queries.metric_ids(demo):
        collection = json.loads(exports.map_geojson(demo, metric_id, year, made_on=MADE))
        props = [f["properties"] for f in collection["features"]]
        fields |= {str(v) for p in props for v in p.values()}
        fields |= {collection["title"], collection["source"]}
        if metrics.get(metric_id).kind == "count":
            assert all(p["value"] >= threshold for p in props if p["value"] is not None)
    for category in mix.categories(demo, year):
        collection = json.loads(exports.map_geojson(demo, "category_count", year,
                                                    category=category))
        shown = [f["properties"]["value"] for f in collection["features"]
                 if not f["properties"]["suppressed"] and f["properties"]["value"] is not None]
        assert all(v >= threshold for v in shown), category
    for nid in (None, nid):
        reader = PdfReader(io.BytesIO(brief.make_brief(demo, nid, MADE)))
        fields |= {line for page in reader.pages for line in page.extract_text().splitlines()}
    assert len(fields) > 1000
    assert leaks(fields, private) == set()


def test_a_complementary_hidden_count_reads_withheld_never_fewer_than(withheld_db, tmp_path):
    """A count of 3 or more hidden only to protect a smaller one (complementary
    suppression) must not be called "fewer than 3": it reads like any hidden cell."""
    import shutil

    import duckdb

    from dashboard import brief, maps, wording
    from data_pipeline import marts

    truth_path = tmp_path / "truth.duckdb"
    shutil.copy(withheld_db, truth_path)
    con = duckdb.connect(str(truth_path))
    try:
        marts.build_marts(con, suppression_threshold=0)     # every count, nothing hidden
        truth = con.execute("SELECT geo_id, year, metric_id, value FROM metrics_long "
                            "WHERE geo_level = 'neighborhood'").df()
    finally:
        con.close()
    db = open_database(withheld_db)
    published = db.query("SELECT geo_id, year, metric_id, suppressed FROM metrics_long "
                         "WHERE geo_level = 'neighborhood'")
    both = published.merge(truth, on=["geo_id", "year", "metric_id"])
    counts = [m for m in both["metric_id"].unique() if metrics.get(m).kind == "count"]
    big = both[both["suppressed"] & both["metric_id"].isin(counts) & (both["value"] >= 3)]
    assert len(big), "the demo city has complementary-hidden counts"
    cell = big.sort_values(["metric_id", "geo_id", "year"]).iloc[0]
    metric = metrics.get(cell.metric_id)

    frame = exports.neighborhood_figures(db, cell.geo_id)
    header, body = read_csv(exports.as_csv(frame, exports.figures_meta(db, cell.geo_id, MADE)))
    row = body[(body["metric_id"] == cell.metric_id) & (body["year"] == int(cell.year))
               & (body["category"] == "")].iloc[0]
    assert row["value"] == "withheld" and row["numerator"] == ""
    figures = body[["value", "city_value"]].astype(str)     # labels may say "fewer than 20"
    assert not figures.apply(lambda c: c.str.contains("fewer than")).any().any()

    area = exports.area_values(db, cell.metric_id, int(cell.year))
    area = area[area["geo_id"] == cell.geo_id]
    view = maps.MapView(metric, threshold=3)
    for text in (wording.value_text(metric, None, True, 3),
                 brief.value_words(metric, None, True, 3),
                 maps.hover_text(area, view)[0].split("<br>")[1]):
        assert "withheld" in text and "fewer than" not in text, text
    geo = json.loads(exports.map_geojson(db, cell.metric_id, int(cell.year)))
    (feature,) = [f for f in geo["features"] if f["id"] == cell.geo_id]
    assert feature["properties"]["value_text"] == "withheld"
    assert feature["properties"]["value"] is None
