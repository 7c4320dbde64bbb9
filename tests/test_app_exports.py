"""Downloads, presentation mode and the embed page under AppTest.

A download button's bytes are made only when it is clicked (a deferred callable), so the
`made` fixture records each callable Streamlit registers and the tests call it, as the
server would on a click. Images need Chromium and are checked in test_browser_exports.py.
"""
from __future__ import annotations

import io
import json

import duckdb
import openpyxl
import pandas as pd
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager

from core import metrics
from dashboard import embeds, exports, frame, images, slides
from tests.apptest import assert_clean, param, run_page

MAP_LINK = {"metric": "micro_per_1k_residents", "year": "2024"}


@pytest.fixture
def made(monkeypatch) -> dict:
    """Every deferred download registered while the test runs: file id → its maker,
    file name and MIME type."""
    found: dict[str, dict] = {}
    original = MediaFileManager.add_deferred

    def record(self, data_callable, mimetype, coordinates, file_name=None, *, element_id=""):
        file_id = original(self, data_callable, mimetype, coordinates, file_name=file_name,
                           element_id=element_id)
        found[file_id] = {"make": data_callable, "file_name": file_name, "mime": mimetype}
        return file_id

    monkeypatch.setattr(MediaFileManager, "add_deferred", record)
    return found


def buttons(at, made: dict) -> dict[str, dict]:
    """The page's download buttons by widget key, each with its label, maker and name."""
    found = {}
    for button in at.download_button:
        key = button.proto.id.split("-", 2)[2]
        disabled = button.proto.disabled
        entry = {"make": None, "file_name": None} if disabled else made[button.proto.deferred_file_id]
        found[key] = {**entry, "label": button.label, "disabled": disabled}
    return found


def read_download_csv(data: bytes) -> tuple[list[str], pd.DataFrame]:
    text = data.decode("utf-8")
    header = [line for line in text.splitlines() if line.startswith("# ")]
    return header, pd.read_csv(io.StringIO(text), comment="#", dtype=str)


def metrics_long(db_path, metric_id: str, year: int | None = None) -> pd.DataFrame:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        sql = "SELECT * FROM metrics_long WHERE metric_id = ?"
        params = [metric_id]
        if year is not None:
            sql, params = sql + " AND year = ?", params + [year]
        return con.execute(sql, params).df()
    finally:
        con.close()


def check_against_database(body: pd.DataFrame, db_path, threshold: int = 3) -> int:
    """Every row of a download that names geo_id, metric_id and year: a published value
    equals metrics_long's, a hidden one reads "withheld" with no count beside it.
    Returns the number of hidden rows seen."""
    hidden_seen = 0
    for metric_id, rows in body.groupby("metric_id"):
        truth = metrics_long(db_path, metric_id).set_index(["geo_id", "year"])
        for row in rows.itertuples(index=False):
            expected = truth.loc[(row.geo_id, int(row.year))]
            if isinstance(expected, pd.DataFrame):   # the same id at two levels: pick one
                expected = expected[expected["geo_level"] != "tract"].iloc[0]
            if bool(expected["suppressed"]):
                hidden_seen += 1
                assert row.value == "withheld", (metric_id, threshold, row)
                assert pd.isna(row.numerator), (metric_id, row)
            elif pd.isna(expected["value"]):
                assert pd.isna(row.value)
            else:
                digits = exports.decimals(metrics.get(metric_id))    # rounded as it shows
                assert float(row.value) == pytest.approx(round(float(expected["value"]), digits),
                                                         abs=1e-9)
    return hidden_seen


# --- Download buttons --------------------------------------------------------------------

def test_map_downloads_are_named_for_what_they_hold(app_env, made):
    at = run_page("pages/map.py", MAP_LINK)
    assert_clean(at)
    found = buttons(at, made)
    stem = "demo_micro-businesses-per-1k-residents_2024"
    assert {k: v["file_name"] for k, v in found.items() if k.startswith("map_")} == {
        "map_png": f"{stem}.png", "map_svg": f"{stem}.svg", "map_csv": f"{stem}.csv",
        "map_geojson": f"{stem}.geojson"}
    at.radio(key="map_preset").set_value("square").run()
    assert buttons(at, made)["map_png"]["file_name"] == f"{stem}_square.png"


def test_map_csv_numbers_equal_the_database(withheld_env, withheld_db, made):
    # 2013 openings: two neighborhoods hidden, one of them to protect the other's small count
    at = run_page("pages/map.py", {"metric": "formations", "year": "2013"})
    header, body = read_download_csv(buttons(at, made)["map_csv"]["make"]())
    assert any(line.startswith("# Source: ") for line in header)
    assert "# Filters: year=2013, level=neighborhood, category=all" in header
    neighborhoods = metrics_long(withheld_db, "formations", 2013)
    assert len(body) == (neighborhoods["geo_level"] == "neighborhood").sum()
    assert check_against_database(body, withheld_db) > 0, "2013 has hidden areas in the demo"


def test_map_geojson_has_one_feature_per_neighborhood(app_env, demo_db, made):
    at = run_page("pages/map.py", MAP_LINK)
    collection = json.loads(buttons(at, made)["map_geojson"]["make"]())
    con = duckdb.connect(str(demo_db), read_only=True)
    ids = {r[0] for r in con.execute("SELECT neighborhood_id FROM neighborhoods").fetchall()}
    con.close()
    assert sorted(f["id"] for f in collection["features"]) == sorted(ids)
    truth = metrics_long(demo_db, "micro_per_1k_residents", 2024).set_index("geo_id")
    for feature in collection["features"]:
        props = feature["properties"]
        if props["suppressed"]:
            assert props["value"] is None and props["value_text"] == "withheld"
        else:
            assert props["value"] == pytest.approx(truth.loc[feature["id"], "value"])


def test_profile_offers_the_brief_and_the_figures(withheld_env, withheld_db, made):
    at = run_page("pages/profile.py", {"n": "N03"})
    assert_clean(at)
    name = at.title[0].value
    found = buttons(at, made)
    slug = images.slugify(name)
    assert found["brief_pdf"]["label"] == "Download brief (PDF)"
    assert found["brief_pdf"]["file_name"] == f"demo_{slug}_brief.pdf"
    assert found["figures_csv"]["file_name"] == f"demo_{slug}_figures.csv"
    assert found["figures_xlsx"]["file_name"] == f"demo_{slug}_figures.xlsx"

    from pypdf import PdfReader
    pdf = PdfReader(io.BytesIO(found["brief_pdf"]["make"]()))
    assert name in "".join(page.extract_text() for page in pdf.pages)

    _, body = read_download_csv(found["figures_csv"]["make"]())
    figures = body[body["category"].isna()]
    figures = figures.assign(geo_id="N03")
    assert check_against_database(figures, withheld_db) > 0, "N03 has hidden figures"

    book = openpyxl.load_workbook(io.BytesIO(found["figures_xlsx"]["make"]()))
    assert book.sheetnames == ["Figures", "About"]
    assert book["Figures"].max_row == len(body) + 1


def test_chart_csvs_equal_the_database_and_hide_small_counts(withheld_env, withheld_db, made):
    """Every line chart's CSV on the profile of a neighborhood with hidden figures."""
    at = run_page("pages/profile.py", {"n": "N03"})
    hidden = 0
    for key, entry in buttons(at, made).items():
        if not key.endswith("_csv") or key == "figures_csv":
            continue
        _, body = read_download_csv(entry["make"]())
        assert not body.empty, key
        if {"geo_id", "metric_id", "year"} <= set(body.columns):
            hidden += check_against_database(body, withheld_db)
    assert hidden > 0


def test_without_a_browser_the_image_buttons_say_why(app_env, made, monkeypatch):
    reason = "No browser here; the camera button on each chart still saves a PNG."
    monkeypatch.setattr(images, "browser_available", lambda: (False, reason))
    frame._images_possible.clear()
    try:
        at = run_page("pages/map.py", MAP_LINK)
        found = buttons(at, made)
        assert found["map_png"]["disabled"] and found["map_svg"]["disabled"]
        assert not found["map_csv"]["disabled"]
        assert reason in [c.value for c in at.caption]
    finally:
        frame._images_possible.clear()


# --- Privacy: every download of several pages -------------------------------------------

def private_strings(db_path) -> set[str]:
    con = duckdb.connect(str(db_path), read_only=True)
    rows = con.execute("SELECT name, address FROM businesses "
                       "WHERE home_based OR sole_proprietor").fetchall()
    con.close()
    return {" ".join(str(v).split()) for row in rows for v in row if v and str(v).strip()}


def fields_of(data: bytes, file_name: str) -> set[str]:
    """The cells, property values or text lines of a download, spaces normalized."""
    if file_name.endswith(".csv"):
        header, body = read_download_csv(data)
        cells = set(header) | set(body.astype(str).to_numpy().ravel())
    elif file_name.endswith(".geojson"):
        collection = json.loads(data)
        cells = {str(v) for f in collection["features"] for v in f["properties"].values()}
    elif file_name.endswith(".xlsx"):
        book = openpyxl.load_workbook(io.BytesIO(data))
        cells = {str(c.value) for sheet in book for row in sheet.iter_rows() for c in row}
    elif file_name.endswith(".pdf"):
        from pypdf import PdfReader
        cells = {line for page in PdfReader(io.BytesIO(data)).pages
                 for line in page.extract_text().splitlines()}
    else:
        return set()
    return {" ".join(str(c).split()) for c in cells}


PAGES_TO_SCAN = [("pages/overview.py", {}), ("pages/map.py", MAP_LINK),
                 ("pages/profile.py", {"n": "N03"}), ("pages/jobs.py", {"n": "N03"}),
                 ("pages/diversity.py", {"n": "N03"}), ("pages/compare.py", {"compare": "N03,N36"})]


def test_no_download_holds_a_private_business(app_env, demo_db, made):
    private = private_strings(demo_db)
    assert len(private) > 1000
    fields: set[str] = set()
    for path, params in PAGES_TO_SCAN:
        at = run_page(path, params)
        assert_clean(at)
        for entry in buttons(at, made).values():
            if not entry["file_name"].endswith((".png", ".svg")):
                fields |= fields_of(entry["make"](), entry["file_name"])
        made.clear()
    assert len(fields) > 1000
    assert fields & private == set()


# --- Presentation mode -------------------------------------------------------------------

def test_presentation_shows_the_slide_of_the_link_and_moves_on(app_env):
    at = run_page("pages/profile.py", {"n": "N07", "present": "1", "slide": "2"})
    assert_clean(at)
    assert at.title[0].value.startswith("Where ")
    assert not at.sidebar.children or all(not c for c in at.sidebar.children.values())
    assert not any("Demo city" in i.value for i in at.info), "no banner on a slide"
    assert "synthetic" in at.caption[-1].value
    at.button(key="slide_next").click().run()
    assert_clean(at)
    assert param(at, "slide") == "3" and param(at, "present") == "1"
    at.button(key="slide_prev").click().run()
    at.button(key="slide_prev").click().run()
    assert param(at, "slide") == "1" and at.title[0].value.endswith("at a glance")
    assert at.button(key="slide_prev").disabled


@pytest.mark.parametrize("number", range(1, len(slides.SLIDES) + 1))
def test_every_slide_renders(app_env, number):
    at = run_page("pages/profile.py", {"n": "N07", "present": "1", "slide": str(number)})
    assert_clean(at)
    assert not at.warning
    assert f"Slide {number} of {len(slides.SLIDES)}" in " ".join(m.value for m in at.markdown)


def test_presentation_with_bad_values_falls_back_with_a_notice(app_env):
    at = run_page("pages/profile.py", {"n": "nowhere", "present": "1", "slide": "99"})
    assert_clean(at)
    notices = " ".join(w.value for w in at.warning)
    assert "'nowhere'" in notices and "'99'" in notices
    assert param(at, "slide") == "1"


def test_presentation_on_a_partial_import(partial_dir, monkeypatch):
    monkeypatch.setenv("ATLAS_DATA_DIR", str(partial_dir))
    at = run_page("pages/profile.py", {"present": "1", "slide": "5"})
    assert_clean(at)
    assert "LODES" in " ".join(m.value for m in at.markdown)


# --- Embed page ----------------------------------------------------------------------------

@pytest.mark.parametrize("chart", list(embeds.EMBEDS))
def test_every_embeddable_chart_renders_alone(app_env, chart):
    at = run_page("pages/embed.py", {"chart": chart, "n": "N07"})
    assert_clean(at)
    assert not at.warning and not at.title
    assert len(at.get("plotly_chart")) == 1
    assert at.caption[-1].value.startswith("Source: ")
    assert not any("Demo city" in i.value for i in at.info)


def test_embedded_map_follows_the_link(app_env):
    at = run_page("pages/embed.py", {"chart": "map", **MAP_LINK})
    assert at.markdown[0].value == "### Micro-businesses per 1,000 residents, 2024, by neighborhood"
    assert param(at, "year") == "2024"


def test_embed_with_bad_values_falls_back_with_a_notice(app_env):
    at = run_page("pages/embed.py", {"chart": "pie", "metric": "nonsense", "year": "1850"})
    assert_clean(at)
    notices = " ".join(w.value for w in at.warning)
    assert "'pie'" in notices and "'nonsense'" in notices and "'1850'" in notices
    assert param(at, "chart") == "map" and len(at.get("plotly_chart")) == 1


def test_the_map_offers_an_iframe_snippet_of_its_view(app_env):
    at = run_page("pages/map.py", MAP_LINK)
    snippet = next(c.value for c in at.code if "<iframe" in c.value)
    assert "/embed?" in snippet and "chart=map" in snippet
    assert "metric=micro_per_1k_residents" in snippet and "year=2024" in snippet


def test_download_slide_and_embed_logic_needs_no_streamlit():
    import subprocess
    import sys
    code = ("import sys; import dashboard.downloads, dashboard.slides, dashboard.embeds; "
            "sys.exit('streamlit' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0
