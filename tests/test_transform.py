"""Registry rows → business locations: renewals merged, rejects with reasons, rows reconciled.

The hand-made Chicago-style export (tests/fixtures/local/chicago_licenses.csv) holds, in
data rows 1-14: a bakery with three license terms (rows 1-3), a barber whose license was
cancelled (AAC, row 4), an expired tobacco shop (5), a home occupation (6), a suburban
row without coordinates (7), a point south of the city (8), a term that ends before it
starts (9), a repeat of row 1's ID (10), an unmapped category (11), two activities in one
cell (12), an unreadable start date (13) and a peddler licensed in his own name (14).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data_pipeline import profiles, readers, transform, transform_fields
from core.errors import PipelineError

LOCAL = Path(__file__).resolve().parent / "fixtures" / "local"


@pytest.fixture(scope="module")
def chicago():
    return profiles.load_profile("chicago")


@pytest.fixture(scope="module")
def areas(chicago):
    return readers.read_boundaries(LOCAL / "neighborhoods.geojson", chicago).shapes


def run(path: Path, profile, areas, **kwargs) -> transform.BusinessResult:
    return transform.transform_businesses(readers.read_registry(path, profile), profile, areas,
                                          **kwargs)


@pytest.fixture(scope="module")
def result(chicago, areas):
    return run(LOCAL / "chicago_licenses.csv", chicago, areas)


def by_key(result) -> pd.DataFrame:
    return result.businesses.set_index("source_key")


def test_three_terms_of_one_account_and_site_become_one_location(result):
    bakery = by_key(result).loc["100-1"]
    assert bakery["terms_merged"] == 3
    assert str(bakery["opened"]) == "2018-05-16"          # the first term's start
    assert bakery["closed"] is None                      # the last term runs to 2026
    assert bakery["neighborhood_id"] == "1" and bakery["name"] == "CORNER BAKERY"
    assert bakery["business_id"] == "businesses:100-1"


def test_closing_dates_come_from_expiry_before_the_as_of_date_or_from_status(result):
    assert result.as_of == pd.Timestamp("2024-06-01")     # the latest start in the file
    rows = by_key(result)
    assert str(rows.loc["300-1", "closed"]) == "2018-12-31"   # expired term
    assert str(rows.loc["200-1", "closed"]) == "2020-06-30"   # AAC: cancelled at its change date
    assert rows.loc["900-2", "closed"] is None                 # runs to 2026


def test_rejected_rows_carry_their_reason_and_raw_row(result):
    reasons = dict(zip(result.rejected["row_number"], result.rejected["reason"]))
    assert reasons == {7: "no coordinates", 8: "outside the city",
                       9: "term ends before it starts", 10: "repeated row id",
                       13: "unparseable opening date"}
    raw = json.loads(result.rejected.set_index("row_number").loc[13, "raw"])
    assert raw["LICENSE TERM START DATE"] == "13/45/2019" and raw["DOING BUSINESS AS NAME"] == "TYPO"


def test_raw_rows_equal_loaded_plus_merged_plus_rejected(result):
    assert (result.rows_raw, result.rows_loaded, result.rows_merged, result.rows_rejected) == \
        (14, 7, 2, 5)
    assert result.rows_raw == result.rows_loaded + result.rows_merged + result.rows_rejected
    assert result.businesses["terms_merged"].sum() == result.rows_loaded + result.rows_merged


def test_categories_map_to_sectors_and_unmapped_ones_are_counted(result):
    rows = by_key(result)
    assert rows.loc["900-2", ["raw_category", "naics_sector", "category"]].tolist() == \
        ["Retail Sales of General Merchandise", "44-45", "Retail shops"]   # first of two activities
    assert rows.loc["200-1", "category"] == "Personal services & repair"   # activity before license
    assert rows.loc["300-1", "naics_sector"] == "44-45"
    assert rows.loc["800-1", "category"] == "Other or unclassified"
    assert result.unmapped[["raw_category", "rows"]].values.tolist() == [["Hazardous Materials", 1]]


def test_home_based_addresses_and_sole_proprietor_names_are_not_kept(result):
    rows = by_key(result)
    home = rows.loc["400-1"]
    assert home["home_based"] and home["is_micro"] and pd.isna(home["address"])
    peddler = rows.loc["1000-1"]
    assert peddler["sole_proprietor"] and peddler["is_micro"] and pd.isna(peddler["name"])
    assert rows.loc["100-1", "address"] == "4100 N BROADWAY" and not rows.loc["100-1", "is_micro"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> transform.BusinessResult:
    """The tiny city's registry (tests/tiny_city.py) through the transform."""
    from tests import tiny_city
    folder = tmp_path_factory.mktemp("tiny")
    (folder / "tiny.toml").write_text(tiny_city.PROFILE)
    pd.DataFrame(tiny_city.registry_rows()).to_csv(folder / "tiny.csv", index=False)
    profile = profiles.load_profile(folder / "tiny.toml")
    return run(folder / "tiny.csv", profile, tiny_city.neighborhoods(), as_of="2024-01-15")


def test_each_micro_rule_marks_its_own_businesses_and_no_other(tiny):
    """Every micro-business of the tiny city is one by exactly one rule; a row that comes
    close to a rule ('N', 'Individual LLC', 'General') is not one."""
    from tests.tiny_city import BUSINESSES, HOME, LIMITED, MICRO_RULE, SOLE
    rows = tiny.businesses.set_index("source_key")
    assert set(MICRO_RULE.values()) == {HOME, SOLE, LIMITED}
    loaded = [b for b in BUSINESSES if b[0] in rows.index]
    assert {b[0] for b in BUSINESSES} - set(rows.index) == {"b21"}    # its term ends before it starts
    for business_id, *_, is_micro, _, _ in loaded:
        rule = MICRO_RULE.get(business_id)
        row = rows.loc[business_id]
        assert bool(row["is_micro"]) == is_micro == (rule is not None), business_id
        assert (bool(row["home_based"]), bool(row["sole_proprietor"])) == (rule == HOME, rule == SOLE)
    by_rule = {rule: sum(bool(rows.loc[b, "is_micro"]) for b, r in MICRO_RULE.items()
                         if r == rule and b in rows.index) for rule in (HOME, SOLE, LIMITED)}
    assert by_rule == {HOME: 6, SOLE: 5, LIMITED: 5}
    assert int(rows["is_micro"].sum()) == 16


def test_the_tiny_registry_transforms_into_the_tiny_city(tiny):
    """The published registry and the hand-made canonical city agree, business by business."""
    from tests.tiny_city import tiny_city
    columns = ["neighborhood_id", "category", "is_micro", "home_based", "sole_proprietor",
               "opened", "closed", "name"]
    made = tiny.businesses.set_index("source_key")[columns]
    expected = tiny_city().businesses.set_index("source_key").loc[made.index, columns]
    assert made.astype(str).equals(expected.astype(str)), made.compare(expected)


def test_a_rejected_home_based_row_keeps_no_name_address_or_point(tmp_path, chicago, areas):
    text = (LOCAL / "chicago_licenses.csv").read_text()
    text = text.replace("1 MAIN ST,EVANSTON,IL,60201,Limited Business License",
                        "1 MAIN ST,EVANSTON,IL,60201,Home Occupation")
    path = tmp_path / "licenses.csv"
    path.write_text(text)
    rejected = run(path, chicago, areas).rejected.set_index("row_number")
    raw = json.loads(rejected.loc[7, "raw"])
    assert "withheld" in raw and raw["LICENSE DESCRIPTION"] == "Home Occupation"
    assert not {"ADDRESS", "LEGAL NAME", "DOING BUSINESS AS NAME", "LATITUDE"} & set(raw)


def test_soda_json_pages_with_missing_keys(chicago, areas):
    result = run(LOCAL / "chicago_soda.json", chicago, areas)
    assert (result.rows_raw, result.rows_loaded, result.rows_merged, result.rows_rejected) == (4, 2, 1, 1)
    rows = by_key(result)
    tavern = rows.loc["2000-1"]     # its 2024 term has no expiration_date key and only a GeoJSON point
    assert tavern["terms_merged"] == 2 and str(tavern["opened"]) == "2021-01-01"
    assert tavern["closed"] is None
    assert (tavern["latitude"], tavern["longitude"]) == (41.96, -87.655)
    assert rows.loc["2100-1", ["name", "neighborhood_id", "naics_sector"]].tolist() == \
        ["PRAIRIE FLOWERS", "2", "44-45"]
    assert result.rejected["reason"].tolist() == ["no coordinates"]


def test_a_renamed_column_names_the_field_and_the_profile_key(tmp_path, chicago):
    text = (LOCAL / "chicago_licenses.csv").read_text()
    path = tmp_path / "licenses.csv"
    path.write_text(text.replace("LICENSE TERM START DATE", "TERM START", 1))
    with pytest.raises(PipelineError) as error:
        readers.read_registry(path, chicago)
    message = str(error.value)
    assert "licenses.csv has no column 'license_start_date' (nor 'LICENSE TERM START DATE')" in message
    assert "data/cities/chicago.toml names in fields.opened" in message


def test_bytes_that_are_not_utf8_are_read_as_windows_1252_and_counted(tmp_path, chicago, areas):
    data = (LOCAL / "chicago_licenses.csv").read_bytes().replace(b"QUICK CUTS,", b"QUICK CUTS \xa7 CO,")
    path = tmp_path / "licenses.csv"
    path.write_bytes(data)
    registry = readers.read_registry(path, chicago)
    assert registry.recoded_rows == 1
    result = transform.transform_businesses(registry, chicago, areas)
    assert by_key(result).loc["200-1", "name"] == "QUICK CUTS § CO"


def test_dates_parse_in_each_profile_format_and_impossible_ones_fail():
    values = pd.Series(["05/16/2018", "2021-01-01T00:00:00.000", "02/30/2020", "01/01/1066", None],
                       dtype="string")
    parsed = transform_fields.parse_dates(values, ("%m/%d/%Y", "ISO8601"))
    assert [None if pd.isna(d) else str(d.date()) for d in parsed] == \
        ["2018-05-16", "2021-01-01", None, None, None]


def test_points_are_read_from_every_location_format():
    values = pd.Series([{"type": "Point", "coordinates": [-87.6, 41.9]},
                        {"latitude": "41.8", "longitude": "-87.7", "human_address": "{}"},
                        "POINT (-122.41 37.77)", "(40.68, -73.99)", "no point", None], dtype=object)
    lat, lon = transform_fields.location_points(values)
    assert np.allclose(lat[:4], [41.9, 41.8, 37.77, 40.68]) and np.isnan(lat[4:]).all()
    assert np.allclose(lon[:4], [-87.6, -87.7, -122.41, -73.99])


def test_boundaries_from_geojson_and_from_the_portal_wkt_csv_agree(chicago):
    from_geojson = readers.read_boundaries(LOCAL / "neighborhoods.geojson", chicago).shapes
    from_csv = readers.read_boundaries(LOCAL / "neighborhoods.csv", chicago).shapes
    assert from_geojson["neighborhood_id"].tolist() == from_csv["neighborhood_id"].tolist() == ["1", "2"]
    assert from_geojson["name"].tolist() == ["North Side", "South Side"]
    assert from_geojson.geometry.geom_equals(from_csv.geometry).all()


def test_a_shapefile_without_prj_uses_the_profiles_crs(tmp_path, chicago):
    shapes = readers.read_boundaries(LOCAL / "neighborhoods.geojson", chicago).shapes
    shapes.rename(columns={"neighborhood_id": "area_numbe", "name": "community"}) \
        .to_crs("EPSG:3435").to_file(tmp_path / "areas.shp")
    (tmp_path / "areas.prj").unlink()
    back = readers.read_boundaries(tmp_path / "areas.shp", chicago).shapes
    assert back.geometry.iloc[0].centroid.distance(shapes.geometry.iloc[0].centroid) < 1e-6
    no_crs = profiles.Profile(**{**vars(chicago), "geography": profiles.Geography(
        **{**vars(chicago.geography), "boundary_crs": None})})
    with pytest.raises(PipelineError, match="has no coordinate system .* set geography.boundary_crs"):
        readers.read_boundaries(tmp_path / "areas.shp", no_crs)


def test_tract_geoids_regain_lost_zeros_and_clipping_debris_is_dropped(tmp_path):
    sf = profiles.load_profile("sf")
    square = [[-122.45, 37.75], [-122.44, 37.75], [-122.44, 37.76], [-122.45, 37.76], [-122.45, 37.75]]
    features = [
        {"type": "Feature", "properties": {"GEOID": "6075010100", "NAME": "101"},
         "geometry": {"type": "Polygon", "coordinates": [square]}},
        {"type": "Feature", "properties": {"GEOID": "06081600200", "NAME": "6002"},
         "geometry": {"type": "GeometryCollection", "geometries": [
             {"type": "Polygon", "coordinates": [square]},
             {"type": "LineString", "coordinates": [[-122.5, 37.7], [-122.4, 37.7]]}]}},
        {"type": "Feature", "properties": {"GEOID": "06075010200", "NAME": "102"},
         "geometry": {"type": "GeometryCollection", "geometries": [
             {"type": "Polygon", "coordinates": [square]},
             {"type": "Point", "coordinates": [-122.5, 37.7]}]}},
    ]
    path = tmp_path / "tracts.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    tracts = readers.read_tracts(path, sf)
    assert tracts["geoid"].tolist() == ["06075010100", "06075010200"]   # San Mateo's 081 left out
    assert set(tracts.geom_type) == {"Polygon"}


def test_a_million_rows_a_minute(chicago, areas, tmp_path):
    """Throughput: 60,000 rows (renewals, rejects and all) in well under 3.6 s, i.e. ≥1M rows/minute."""
    frame = pd.read_csv(LOCAL / "chicago_licenses.csv", dtype=str, keep_default_na=False)
    big = pd.concat([frame] * (60_000 // len(frame) + 1), ignore_index=True).head(60_000)
    copy = pd.Series(np.arange(len(big)) // len(frame)).astype(str)
    big["ID"] = big["ID"] + "-" + copy
    big["ACCOUNT NUMBER"] = big["ACCOUNT NUMBER"] + "-" + copy
    path = tmp_path / "big.csv"
    big.to_csv(path, index=False)
    result = run(path, chicago, areas)      # speed: benchmarks/bench_pipeline.py, not here
    assert result.rows_raw == 60_000
    assert result.rows_loaded + result.rows_merged + result.rows_rejected == 60_000


def test_swapped_coordinates_are_swapped_back_and_counted(tmp_path, chicago, areas):
    # A pair swapped by the portal that still reads as a place (Chicago's -87.65 is a possible
    # latitude) is told apart by the city's bounding box; one beyond ±90° by its range.
    text = (LOCAL / "chicago_licenses.csv").read_text()
    text = text.replace("AAI,,41.84,-87.66,", "AAI,,-87.66,41.84,")           # OLD SHOP
    text = text.replace("AAI,,41.97,-87.66,", "AAI,,-87.66,41.97,")           # SAFE STORAGE
    path = tmp_path / "swapped.csv"
    path.write_text(text)
    result = run(path, chicago, areas)
    rows = by_key(result)
    assert rows.loc["300-1", ["latitude", "longitude", "neighborhood_id"]].tolist() == [41.84, -87.66, "2"]
    assert rows.loc["800-1", ["latitude", "longitude", "neighborhood_id"]].tolist() == [41.97, -87.66, "1"]
    assert result.swapped_coordinates == 2 and result.rows_loaded == 7
    lat, lon, swapped, repeated = transform_fields.repair_points(
        np.array([-122.41, 37.77, 41.70, 34.0438, 0.0]), np.array([37.77, -122.41, -87.65, 34.0438, 0.0]))
    assert swapped.tolist() == [True, False, False, False, False]   # 41.70 south of the city: kept
    assert repeated.tolist() == [False, False, False, True, False]
    assert np.allclose(lat[:3], [37.77, 37.77, 41.70]) and np.isnan(lat[3:]).all()


def test_a_longitude_that_repeats_the_latitude_is_rejected_as_a_portal_error(tmp_path, chicago, areas):
    text = (LOCAL / "chicago_licenses.csv").read_text()
    text = text.replace("AAI,,41.84,-87.66,", "AAI,,41.84,41.84,")            # OLD SHOP, row 5
    text = text.replace('"(41.83, -87.64)"', '"(41.83, 41.83)"').replace(
        "AAI,,41.83,-87.64,", "AAI,,,,")                                     # HOME GOODS, row 12
    path = tmp_path / "repeated.csv"
    path.write_text(text)
    result = run(path, chicago, areas)
    reasons = dict(zip(result.rejected["row_number"], result.rejected["reason"]))
    assert reasons[5] == reasons[12] == transform.REPEATED_LATITUDE == \
        "longitude repeats the latitude: a portal error"
    assert reasons[7] == "no coordinates" and reasons[8] == "outside the city"
    assert result.swapped_coordinates == 0


def test_swaps_reach_build_info_and_status(tmp_path, monkeypatch, capsys):
    from data_pipeline import city
    from data_pipeline.cli import main
    monkeypatch.setenv("ATLAS_DATA_DIR", str(tmp_path))
    text = (LOCAL / "chicago_licenses.csv").read_text().replace("AAI,,41.84,-87.66,", "AAI,,-87.66,41.84,")
    path = tmp_path / "swapped.csv"
    path.write_text(text)
    steps = []
    db = city.import_files("chicago", path, LOCAL / "neighborhoods.geojson", on_step=steps.append)
    assert "1 row had latitude and longitude swapped; swapped back" in steps
    assert main(["status", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "Rows repaired on the way in\n  businesses: rows with latitude and longitude swapped back: 1\n" \
        in out


# --- Edges mutation testing (make mutants) found untested -------------------------------------

def edited(tmp_path, change) -> Path:
    """The Chicago fixture with `change(text) -> text` applied."""
    path = tmp_path / "licenses.csv"
    path.write_text(change((LOCAL / "chicago_licenses.csv").read_text()))
    return path


def test_a_business_home_based_in_any_term_stays_home_based(tmp_path, chicago, areas):
    """The bakery's first of three terms was a home occupation: the merged business is
    home-based (no address kept), though its latest term is not."""
    path = edited(tmp_path, lambda t: t.replace(
        "CHICAGO,IL,60613,Retail Food Establishment,\"Operation of a Deli, Butcher or Bakery\",ISSUE",
        "CHICAGO,IL,60613,Home Occupation,\"Operation of a Deli, Butcher or Bakery\",ISSUE", 1))
    bakery = by_key(run(path, chicago, areas)).loc["100-1"]
    assert bakery["terms_merged"] == 3
    assert bakery["home_based"] and bakery["is_micro"] and pd.isna(bakery["address"])


def test_a_status_that_says_closed_without_any_date_closes_at_the_as_of_date(tmp_path, chicago, areas):
    path = edited(tmp_path, lambda t: t.replace(
        "03/01/2019,02/28/2021,03/01/2019,AAC,06/30/2020", "03/01/2019,,03/01/2019,AAC,"))
    result = run(path, chicago, areas)
    assert str(by_key(result).loc["200-1", "closed"]) == str(result.as_of.date()) == "2024-06-01"


def test_a_latitude_without_a_longitude_is_no_point(tmp_path):
    """In a registry with latitude and longitude columns only (the tiny city's), a row with
    a latitude and no longitude is rejected for having no coordinates; one without an
    opening date for that."""
    from tests import tiny_city
    rows = tiny_city.registry_rows()
    rows[0]["Longitude"], rows[1]["Opened"] = "", ""
    (tmp_path / "tiny.toml").write_text(tiny_city.PROFILE)
    pd.DataFrame(rows).to_csv(tmp_path / "tiny.csv", index=False)
    result = run(tmp_path / "tiny.csv", profiles.load_profile(tmp_path / "tiny.toml"),
                 tiny_city.neighborhoods())
    reasons = dict(zip(result.rejected["row_number"], result.rejected["reason"]))
    assert reasons[1] == "no coordinates" and reasons[2] == "no opening date"


def test_a_business_without_any_category_is_counted_as_such(tmp_path, chicago, areas):
    path = edited(tmp_path, lambda t: t.replace("Hazardous Materials,,ISSUE", ",,ISSUE"))
    unmapped = run(path, chicago, areas).unmapped
    assert ["(no category)", 1] in unmapped[["raw_category", "rows"]].values.tolist()


def test_dates_outside_1850_to_2100_are_not_dates():
    values = pd.Series(["1849-12-31", "1850-01-01", "2100-12-31", "2101-01-01"])
    parsed = transform_fields.parse_dates(values, ("%Y-%m-%d",))
    assert parsed.isna().tolist() == [True, False, False, True]


def test_statuses_match_whatever_their_case():
    from types import SimpleNamespace
    profile = SimpleNamespace(fields=SimpleNamespace(status="status"), closed_statuses=("AAC", "Rev"))
    frame = pd.DataFrame({"status": ["aac", "AAC", "rev", "AAI", None]})
    assert transform_fields.closed_status(frame, profile).tolist() == [True, True, True, False, False]


def test_points_on_the_equator_or_the_meridian_are_places_and_beyond_180_are_not():
    lat, lon, _, _ = transform_fields.repair_points(np.array([0.0, 41.9, 0.0, 10.0]),
                                                    np.array([30.0, 0.0, 0.0, 180.5]))
    assert lat[:2].tolist() == [0.0, 41.9] and lon[:2].tolist() == [30.0, 0.0]
    assert np.isnan(lat[2:]).all() and np.isnan(lon[2:]).all()   # (0, 0); a longitude > 180


def test_the_first_of_several_activities_decides_the_sector(chicago):
    frame = pd.DataFrame({"business_activity": ["Retail Sales of General Merchandise | Hair Services "
                                                "| Sale of Furniture"],
                          "license_description": ["Limited Business License"]})
    raw, sector = transform_fields.sectors(frame, chicago)
    assert (raw.iloc[0], sector.iloc[0]) == ("Retail Sales of General Merchandise", "44-45")


def test_runs_of_white_space_become_one_space_and_zip_plus_four_its_zip():
    assert transform_fields.squeeze_spaces(pd.Series(["a   b\t\tc", "d"])).tolist() == ["a b c", "d"]
    frame = pd.DataFrame({"zip": ["60637-1234", "606371234", "ABCDE"]})
    zips = transform_fields.zip_codes(frame, "zip")
    assert zips.iloc[:2].tolist() == ["60637", "60637"] and pd.isna(zips.iloc[2])


def tiny_run(tmp_path, change=None) -> transform.BusinessResult:
    """The tiny city's registry, with `change(rows)` applied in place, through the transform."""
    from tests import tiny_city
    rows = tiny_city.registry_rows()
    if change:
        change(rows)
    (tmp_path / "tiny.toml").write_text(tiny_city.PROFILE)
    pd.DataFrame(rows).to_csv(tmp_path / "tiny.csv", index=False)
    return run(tmp_path / "tiny.csv", profiles.load_profile(tmp_path / "tiny.toml"),
               tiny_city.neighborhoods(), as_of="2024-01-15")


def test_the_businesses_table_has_the_canonical_columns_and_no_other(tmp_path):
    from data_pipeline import canonical
    businesses = tiny_run(tmp_path).businesses
    assert list(businesses.columns) == canonical.BUSINESS_COLUMNS
    assert businesses.index.tolist() == list(range(23))          # 24 rows, b21 rejected


def test_a_latitude_that_is_not_a_number_is_no_point_and_stops_nothing(tmp_path):
    """'n/a' in the latitude column of one row: that row has no coordinates, the other 23
    rows load as before."""
    def change(rows):
        rows[0]["Latitude"] = "n/a"
    result = tiny_run(tmp_path, change)
    reasons = dict(zip(result.rejected["row_number"], result.rejected["reason"]))
    assert reasons[1] == "no coordinates" and result.rows_loaded == 22


def test_a_swapped_pair_is_swapped_back_by_the_city_box_wherever_the_city_is():
    """A city whose longitude is larger than its latitude (Mumbai, about 19° N 72.8° E): the
    pair (72.85, 19.05) lies outside the city's box as given and inside it swapped."""
    box = (72.7, 18.9, 73.0, 19.3)                   # west, south, east, north
    lat, lon, swapped, _ = transform_fields.repair_points(np.array([72.85, 19.05, 19.5]),
                                                          np.array([19.05, 72.85, 72.85]), box)
    assert swapped.tolist() == [True, False, False]  # the last is north of the box, not swapped
    assert lat.tolist() == [19.05, 19.05, 19.5] and lon.tolist() == [72.85, 72.85, 72.85]


def test_a_naics_code_without_a_description_is_the_raw_category():
    """San Francisco publishes a NAICS code and its description: a row with the code only
    keeps the code as its raw category (and its sector), a row with neither has none."""
    sf = profiles.load_profile("sf")
    frame = pd.DataFrame({"naic_code": ["4400-4599", "7220-7229", None],
                          "naic_code_description": [None, "Food Services", None]})
    raw, sector = transform_fields.sectors(frame, sf)
    assert raw.iloc[:2].tolist() == ["4400-4599", "Food Services"] and pd.isna(raw.iloc[2])
    assert sector.iloc[:2].tolist() == ["44-45", "72"] and pd.isna(sector.iloc[2])


def test_a_naics_code_decides_the_sector_before_the_category_text(tmp_path):
    """A profile with a NAICS field (San Francisco's): the code's sector wins over the
    category text's, a code in a range ('4400-4599') is its sector, and a row without a
    code falls back to its category text."""
    from tests import tiny_city
    rows = tiny_city.registry_rows()
    for row in rows:
        row["NAICS"] = ""
    rows[0]["NAICS"], rows[1]["NAICS"] = "722511", "4400-4599"
    profile = tiny_city.PROFILE.replace('category = "category"',
                                        'category = "category"\nnaics = "naics"', 1)
    assert profile != tiny_city.PROFILE
    (tmp_path / "tiny.toml").write_text(profile)
    pd.DataFrame(rows).to_csv(tmp_path / "tiny.csv", index=False)
    coded = run(tmp_path / "tiny.csv", profiles.load_profile(tmp_path / "tiny.toml"),
                tiny_city.neighborhoods(), as_of="2024-01-15").businesses.set_index("source_key")
    plain = tiny_run(tmp_path).businesses.set_index("source_key")
    first, second = (str(rows[i]["License ID"]) for i in (0, 1))
    assert coded.loc[first, "naics_sector"] == "72"
    assert coded.loc[second, "naics_sector"] == "44-45"
    untouched = coded.index.difference([first, second])
    assert coded.loc[untouched, "naics_sector"].equals(plain.loc[untouched, "naics_sector"])
