"""Any area (issue 17, part 2): a drawn area's figures against a hand computation on the tiny
city (tests/tiny_city.py), upload validation, and the permalink.

The drawn area is the box lon 0.0045–0.0225, lat 0.001–0.009. The tiny city's businesses sit
at lat 0.005 and lon 0.005 (N1), 0.015 (N2), 0.025 (N3): the box holds those of N1 and N2.
Tract T1 is lon 0–0.015, T2 lon 0.015–0.03, both lat 0–0.01; the box covers
(0.015 − 0.0045)/0.015 × 0.8 = 0.56 of T1 and (0.0225 − 0.015)/0.015 × 0.8 = 0.40 of T2
(at the equator, an equal-area projection keeps these shares).
"""
from __future__ import annotations

import json
import math
from datetime import date

import duckdb
import pytest
from shapely.geometry import MultiPolygon, Point, Polygon, box

from dashboard import any_area, area_shape
from dashboard.db import open_database

AREA = box(0.0045, 0.001, 0.0225, 0.009)
W1, W2 = 0.56, 0.40          # the box's share of T1 and of T2
# Labour force and employed added to the tiny tracts: (estimate, MOE) of T1 and T2.
LABOR = {"99001000100": (100.0, 30.0), "99001000200": (1200.0, 200.0)}
EMPLOYED = {"99001000100": (90.0, 30.0), "99001000200": (1100.0, 150.0)}


def _tiny(folder, threshold=0, block_points=False):
    from data_pipeline.load import write_database
    from tests.tiny_city import tiny_city
    data = tiny_city()
    tracts = data.tracts
    for column, values in (("labor_force", LABOR), ("employed", EMPLOYED)):
        tracts[column] = tracts["geoid"].map(lambda g: values[g][0])
        tracts[f"{column}_moe"] = tracts["geoid"].map(lambda g: values[g][1])
    path = folder / "tiny.duckdb"
    write_database(data, path, suppression_threshold=threshold)
    if block_points:   # what an import given the LODES crosswalk stores (see lodes.py)
        con = duckdb.connect(str(path))
        con.execute("INSERT INTO block_points VALUES ('990010001001001', 0.005, 0.005), "
                    "('990010001001002', 0.005, 0.012), ('990010002001001', 0.005, 0.025)")
        con.close()
    return path


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return open_database(_tiny(tmp_path_factory.mktemp("area")))


@pytest.fixture(scope="module")
def result(tiny):
    return any_area.profile(tiny, AREA)


def _value(result, figure_id):
    return result.get(figure_id).value


def test_registry_counts_are_exact(result):
    # Active on 31 Dec 2023 among N1 and N2 (b01–b16, b23): b01 b03 b05 b07 b08 b09 b11 b13
    # b14 b16 (b06 closed on 31 Dec 2023 does not count); micro of them: b01 b03 b05 b08 b09
    # b13; opened in 2023: b07, b16; closed in 2023: b06.
    assert result.year == 2023
    assert _value(result, "active_businesses") == 10
    assert _value(result, "micro_businesses") == 6
    assert _value(result, "formations") == 2
    assert _value(result, "closures") == 1
    assert _value(result, "net_formations") == 1
    # active on 31 Dec 2022: the ten but b07, b16, plus b06 → 9; 2 new per 9 active
    assert _value(result, "formations_per_100_active") == pytest.approx(200 / 9)
    # opened in 2020 (b03 b04 b11 b12): still open at the end of 2023 b03, b11
    assert _value(result, "survival_3y") == pytest.approx(0.5)
    assert result.get("survival_3y").low_count      # a cohort of 4 < 20
    # categories of the 10 active, the unknown one (b14) left out: retail 4, food 2,
    # professional 1, personal 2 → H = −Σ p ln p over 9
    shares = [4 / 9, 2 / 9, 1 / 9, 2 / 9]
    h = -sum(p * math.log(p) for p in shares)
    assert _value(result, "effective_categories") == round(math.exp(h), 1)


def test_residents_and_their_margin_are_apportioned_by_hand(result):
    residents = result.get("residents")
    assert residents.value == pytest.approx(W1 * 150 + W2 * 2000, rel=1e-6)        # 884
    assert residents.moe == pytest.approx(math.sqrt((W1 * 40) ** 2 + (W2 * 300) ** 2),
                                          rel=1e-6)                               # 122.07
    assert residents.year == 2022


def test_a_rate_per_resident_and_its_margin_follow_the_ratio_formula(result):
    y, moe_y = W1 * 150 + W2 * 2000, math.sqrt((W1 * 40) ** 2 + (W2 * 300) ** 2)
    rate = result.get("micro_per_1k_residents")
    assert rate.value == pytest.approx(1000 * 6 / y, rel=1e-6)
    # MOE(X/Y) = √(MOE_X² + (X/Y)² MOE_Y²) / Y with MOE_X = 0 (an exact count), × 1,000
    assert rate.moe == pytest.approx(1000 * math.sqrt(0 + (6 / y) ** 2 * moe_y ** 2) / y,
                                     rel=1e-6)
    assert rate.low_count and not rate.withheld


def test_a_proportion_falls_back_to_the_ratio_formula_when_the_root_is_negative(result):
    lf = W1 * 100 + W2 * 1200
    lf_moe = math.sqrt((W1 * 30) ** 2 + (W2 * 200) ** 2)
    emp = W1 * 90 + W2 * 1100
    emp_moe = math.sqrt((W1 * 30) ** 2 + (W2 * 150) ** 2)
    share = result.get("employed_share")
    assert share.value == pytest.approx(emp / lf, rel=1e-6)
    assert emp_moe ** 2 - (emp / lf) ** 2 * lf_moe ** 2 < 0     # this case: the fallback
    assert share.moe == pytest.approx(math.sqrt(emp_moe ** 2 + (emp / lf) ** 2 * lf_moe ** 2)
                                      / lf, rel=1e-6)
    assert result.get("labor_force").moe == pytest.approx(lf_moe, rel=1e-6)


def test_proportion_and_ratio_formulas_by_hand():
    assert any_area.proportion_moe(50, 200, 20, 10) == pytest.approx(
        math.sqrt(400 - 0.0625 * 100) / 200)
    assert any_area.ratio_moe(50, 200, 20, 10) == pytest.approx(
        math.sqrt(400 + 0.0625 * 100) / 200)
    assert any_area.sum_moe([3, 4]) == pytest.approx(5)


def test_jobs_without_block_points_are_split_by_tract_area_share(result):
    # LODES's last year, 2022: T1's blocks 44 + 18 jobs, T2's block 120
    assert result.get("jobs_total").year == 2022
    assert _value(result, "jobs_total") == pytest.approx(W1 * (44 + 18) + W2 * 120, rel=1e-6)
    assert any("0 census block" in n and "3 row" in n for n in result.notes)
    # 2021: T1's blocks 40 + 20, T2's 100, split by the same shares
    assert _value(result, "jobs_change") == pytest.approx(
        W1 * (44 + 18) + W2 * 120 - (W1 * (40 + 20) + W2 * 100), rel=1e-6)


def test_jobs_come_from_the_blocks_whose_point_is_in_the_area(tmp_path):
    db = open_database(_tiny(tmp_path, block_points=True))
    found = any_area.profile(db, AREA)
    # blocks …1001 (lon 0.005) and …1002 (lon 0.012) are inside, …2001 (lon 0.025) is not
    assert _value(found, "jobs_total") == 44 + 18
    assert _value(found, "jobs_private") == 32 + 18
    assert _value(found, "jobs_small_firms_share") == pytest.approx((14 + 9) / (32 + 18))
    assert any("3 census block" in n for n in found.notes)


def test_what_an_area_cannot_have_says_why(result):
    why = dict(result.missing)
    assert "median cannot be added up" in why["Median household income"]
    assert "no ZIP code shapes" in why[
        "Establishments with 1–4 employees (Census ZIP Business Patterns, apportioned)"]


def test_registry_counts_are_withheld_when_the_build_hides_small_counts(tmp_path):
    db = open_database(_tiny(tmp_path, threshold=3))
    found = any_area.profile(db, AREA)
    active = found.get("active_businesses")
    assert active.withheld and active.value is None
    assert found.get("micro_per_1k_residents").value is None
    assert found.get("residents").value == pytest.approx(884, rel=1e-6)
    assert any("withheld" in n for n in found.notes)


def test_the_csv_holds_the_figures_with_sources_and_formulas(tiny, result):
    text = any_area.as_csv(tiny, result, "abc", date(2026, 1, 2)).decode()
    assert "# Source: " in text and "ACS 5-year estimates, 2018–2022" in text
    assert "MOE = √Σ (weight × tract MOE)²" in text
    row = next(line for line in text.splitlines() if line.startswith("residents,"))
    assert ",2022,884,122," in row              # rounded as the app shows them
    assert "Business b" not in text        # never a business's name


def test_the_workbook_holds_the_same_figures(tiny, result):
    import io
    import openpyxl
    book = openpyxl.load_workbook(io.BytesIO(any_area.as_xlsx(tiny, result, "abc", date(2026, 1, 2))))
    rows = list(book["Figures"].iter_rows(values_only=True))
    residents = next(r for r in rows if r[0] == "residents")
    assert residents[4:6] == (884, 122)
    assert any("MOE = √Σ (weight × tract MOE)²" in str(r[1]) for r in book["About"].iter_rows(values_only=True))


def test_an_area_outside_the_city_is_refused(tiny):
    with pytest.raises(area_shape.AreaError, match="outside"):
        any_area.profile(tiny, box(1, 1, 2, 2))


# --- Uploads -----------------------------------------------------------------------------

def _geojson(geometry) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": geometry}]}).encode()


def test_an_uploaded_feature_collection_gives_the_same_area():
    ring = [[0.0045, 0.001], [0.0225, 0.001], [0.0225, 0.009], [0.0045, 0.009], [0.0045, 0.001]]
    area = area_shape.parse_geojson(_geojson({"type": "Polygon", "coordinates": [ring]}),
                                    "corridor.geojson")
    assert area.equals(AREA)


@pytest.mark.parametrize("data, name, words", [
    (b"{not json", "a.geojson", "not valid JSON"),
    (b"[1, 2]", "a.json", "not GeoJSON"),
    (_geojson({"type": "Point", "coordinates": [0, 0]}), "a.geojson", "holds a Point"),
    (_geojson({"type": "Polygon", "coordinates": [[[350000, 4600000], [350100, 4600000],
                                                   [350100, 4600100], [350000, 4600000]]]}),
     "a.geojson", "not longitude and latitude"),
    (_geojson({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [2, 2], [0, 0]]]}),
     "a.geojson", "encloses no area"),
    (b'{"type": "FeatureCollection", "features": []}', "a.geojson", "holds no features"),
    (_geojson({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}),
     "a.shp", "not a GeoJSON file"),
    (b" " * (area_shape.MAX_UPLOAD_BYTES + 1), "a.geojson", "bytes, more than"),
])
def test_uploads_are_refused_with_one_sentence_naming_the_problem(data, name, words):
    with pytest.raises(area_shape.AreaError, match=words) as error:
        area_shape.parse_geojson(data, name)
    assert str(error.value).count(". ") == 0 and str(error.value).endswith(".")


def test_an_upload_with_too_many_points_is_refused():
    ring = [[math.cos(t / 4000 * 2 * math.pi), math.sin(t / 4000 * 2 * math.pi)]
            for t in range(area_shape.MAX_VERTICES + 1)]
    with pytest.raises(area_shape.AreaError, match="more than 20,000 points"):
        area_shape.parse_geojson(_geojson({"type": "Polygon", "coordinates": [ring]}), "a.json")


# --- The permalink -----------------------------------------------------------------------

def test_the_polyline_encoder_matches_googles_example():
    points = [(38.5, -120.2), (40.7, -120.95), (43.252, -126.453)]
    assert area_shape.encode_polyline(points) == "_p~iF~ps|U_ulLnnqC_mqNvxq`@"
    assert area_shape.decode_polyline("_p~iF~ps|U_ulLnnqC_mqNvxq`@") == points


def test_an_area_with_a_hole_and_two_parts_survives_the_link():
    outer = Polygon([(-87.7, 41.8), (-87.6, 41.8), (-87.6, 41.9), (-87.7, 41.9)],
                    [[(-87.68, 41.82), (-87.62, 41.82), (-87.62, 41.88), (-87.68, 41.88)]])
    area = MultiPolygon([outer, box(-87.5, 41.8, -87.45, 41.85)])
    text = area_shape.encode_area(area)
    back = area_shape.decode_area(text)
    assert back.symmetric_difference(area).area < 1e-9
    assert set(text) - set(area_shape.RING + area_shape.PART) <= {chr(c) for c in range(63, 127)}


def test_a_drawn_outline_round_trips_through_the_link_at_5_decimals():
    area = area_shape.drawn_area([0.004512, 0.0225, 0.0225, 0.004512], [0.001, 0.001, 0.009, 0.009])
    back = area_shape.decode_area(area_shape.encode_area(area))
    assert [tuple(round(v, 5) for v in p) for p in area.exterior.coords] == list(back.exterior.coords)


def test_a_link_beyond_the_limit_is_refused_with_a_clear_error():
    circle = Point(-87.65, 41.85).buffer(0.05, quad_segs=200)   # 800 points
    with pytest.raises(area_shape.AreaError, match="more than the 2,000 a link may hold"):
        area_shape.encode_area(circle)
    with pytest.raises(area_shape.AreaError, match="more than the 2,000"):
        area_shape.decode_area("_p~iF~ps|U" * 300)
    with pytest.raises(area_shape.AreaError, match="damaged"):
        area_shape.decode_area("_p~iF~ps|")


# --- The page ----------------------------------------------------------------------------

def test_the_page_opened_from_a_link_shows_the_areas_figures(tiny, monkeypatch):
    from tests.apptest import run_page
    monkeypatch.setenv("ATLAS_DATA_DIR", str(tiny.path.parent))
    at = run_page("pages/any_area.py", {"area": area_shape.encode_area(AREA)})
    shown = {m.label: m.value for m in at.metric}
    assert shown["Active businesses"] == "10"
    assert shown["Residents (ACS estimate)"] == "884"
    assert shown["Micro-businesses per 1,000 residents"] == "6.8"
    captions = [c.value for c in at.caption]
    assert any("± 122 (90%)" in c for c in captions)
    assert any("± 0.9 (90%)" in c for c in captions)
    assert not at.error


def test_the_area_is_still_there_after_a_visit_to_another_page(tiny, monkeypatch):
    from tests.apptest import param, run_page
    monkeypatch.setenv("ATLAS_DATA_DIR", str(tiny.path.parent))
    link = area_shape.encode_area(AREA)
    at = run_page("pages/any_area.py", {"area": link})
    at.switch_page("pages/methods.py").run()
    del at.query_params["area"]                  # the sidebar's links carry no query
    at.switch_page("pages/any_area.py").run()
    assert {m.label: m.value for m in at.metric}["Active businesses"] == "10"
    assert param(at, "area") == link


def test_the_page_says_a_broken_link_in_one_sentence(tiny, monkeypatch):
    from tests.apptest import param, run_page
    monkeypatch.setenv("ATLAS_DATA_DIR", str(tiny.path.parent))
    at = run_page("pages/any_area.py", {"area": "_p~iF~ps|"})
    assert any("not available here" in w.value and "damaged" in w.value for w in at.warning)
    assert not at.metric and not at.error
    assert param(at, "area") is None            # the broken value is dropped from the address


def test_a_neighborhood_drawn_as_an_area_has_the_marts_counts(demo_db):
    """The same counting rules as the marts: a neighborhood's outline as the area gives its
    published counts (the demo's points lie inside, not on, the edges)."""
    import shapely
    db = open_database(demo_db)
    hood, wkb = db.query("SELECT neighborhood_id, geometry_wkb FROM neighborhoods "
                         "ORDER BY neighborhood_id LIMIT 1 OFFSET 6").iloc[0]
    found = any_area.profile(db, shapely.from_wkb(bytes(wkb)))
    published = dict(db.query(
        "SELECT metric_id, value FROM metrics_long WHERE geo_id = ? AND year = ? AND metric_id "
        "IN ('active_businesses', 'micro_businesses', 'formations', 'closures', "
        "'category_richness')", [hood, found.year]).itertuples(index=False))
    assert len(published) == 5
    for metric_id, value in published.items():
        assert _value(found, metric_id) == value, metric_id


def test_an_imported_lodes_crosswalk_places_the_job_blocks_by_point(tmp_path, monkeypatch):
    """`import --lodes` with the state's crosswalk beside the WAC files stores the city's job
    blocks' points, and a drawn area counts the jobs of the blocks inside it, whole."""
    from pathlib import Path
    from data_pipeline import city
    local = Path(__file__).resolve().parent / "fixtures" / "local"
    monkeypatch.setenv("ATLAS_DATA_DIR", str(tmp_path))
    xwalk = tmp_path / "il_xwalk.csv"
    xwalk.write_text("tabblk2020,st,blklatdd,blklondd\n"
                     "170310001001000,17,41.95,-87.65\n"       # 40 jobs (tract …0100)
                     "170310002001000,17,41.85,-87.69\n"       # 10 jobs (tract …0200)
                     "170310003001000,17,41.85,-87.62\n"       # 8 jobs, outside the area
                     "170310009009000,17,41.85,-87.61\n")      # no jobs: not kept
    db_path = city.import_files(
        "chicago", local / "chicago_licenses.csv", local / "neighborhoods.csv",
        tracts=local / "tracts.geojson", lodes=[local / "il_wac_S000_JT00_2021.csv",
                                                local / "il_wac_S000_JT02_2021.csv", xwalk])
    db = open_database(db_path)
    points = db.query("SELECT geoid FROM block_points ORDER BY geoid")["geoid"].tolist()
    assert points == ["170310001001000", "170310002001000", "170310003001000"]
    found = any_area.profile(db, box(-87.70, 41.80, -87.64, 41.98))
    assert _value(found, "jobs_total") == 40 + 10
    assert any("3 census block" in n and " 0 row" in n for n in found.notes)
