"""A real city's ZIP-code layer from the Census ZIP Code Tabulation Areas (issue 17).

`build --city chicago` runs against the fake servers of test_faults, which answer the
national ZCTA file and the city limits with the recorded zips of
tests/fixtures/recorded/census/ (made-up polygons in the real layout). The city limits are
the box from -87.7 to -87.6 east and 41.8 to 42.0 north less its north-east corner
(0.02 by 0.02 degrees); the ZCTAs:

    60601  -87.75…-87.65, 41.90…42.05   inside: -87.70…-87.65, 41.90…42.00       0.005 deg²
    60602  -87.65…-87.55, 41.90…42.05   inside: -87.65…-87.60, 41.90…42.00 less
                                         the corner                             0.0046 deg²
    60603  -87.75…-87.55, 41.75…41.90   inside: -87.70…-87.60, 41.80…41.90        0.01 deg²
    60604  in the cut-off corner: in the limits' bounding box, outside the city
    60699  -87.9…-87.8: outside the bounding box, never read

The registry's two located businesses: LAKE VIEW TAVERN at (41.96, -87.655), in 60601,
and PRAIRIE FLOWERS at (41.82, -87.62), in 60603; both open through 2023.
"""
from __future__ import annotations

import contextlib
import io
import tomllib
from pathlib import Path

import duckdb
import geopandas as gpd
import pandas as pd
import pytest
import responses

from core.errors import PipelineError
from data_pipeline import city, profiles
from data_pipeline.cli import main
from data_pipeline.sources import census_zctas
from tests.test_faults import LOCAL, RECORDED, ZIPPED, FakeServers, one_sentence_error

ZCTA_URL = "https://www2.census.gov/geo/tiger/GENZ2020/shp/cb_2020_us_zcta520_500k.zip"


def frame(path: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).df()


def build_chicago(data: Path, fakes: FakeServers, args=()) -> tuple[int, str]:
    """`build --city chicago` into `data` against the fake servers; (exit code, stderr)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ATLAS_DATA_DIR", str(data))
        patch.delenv("CENSUS_API_KEY", raising=False)
        patch.delenv("SOCRATA_APP_TOKEN", raising=False)
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            fakes.install(mock)
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                code = main(["build", "--city", "chicago", *args])
    return code, err.getvalue()


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, FakeServers]:
    data, fakes = tmp_path_factory.mktemp("zips") / "data", FakeServers()
    code, err = build_chicago(data, fakes)
    assert code == 0, err
    return data, fakes


# --- The build ---------------------------------------------------------------------------

def test_a_city_build_fetches_the_national_zcta_file_once(built):
    data, fakes = built
    assert fakes.asked("zcta") == [ZCTA_URL]
    assert (data / "raw" / "chicago" / "layer_zips" / "cb_2020_us_zcta520_500k.zip").is_file()
    again = FakeServers()
    code, err = build_chicago(data, again)          # the 2020 file is kept for good
    assert code == 0, err
    assert again.asked("zcta") == []


def test_the_zip_database_sits_beside_the_first(built):
    data, _ = built
    assert {p.name for p in data.glob("*.duckdb")} == {
        "chicago.duckdb", "chicago.wards.duckdb", "chicago.zips.duckdb"}
    info = dict(frame(data / "chicago.zips.duckdb", "SELECT key, value FROM build_info")
                .itertuples(index=False))
    assert (info["layer"], info["area_singular"], info["area_plural"]) == (
        "zips", "ZIP code", "ZIP codes")


def test_the_areas_are_the_zctas_that_meet_the_city(built):
    data, _ = built
    areas = frame(data / "chicago.zips.duckdb", "SELECT neighborhood_id, name FROM neighborhoods "
                                                "ORDER BY 1")
    assert areas.values.tolist() == [["60601", "ZIP code 60601"], ["60602", "ZIP code 60602"],
                                     ["60603", "ZIP code 60603"]]
    rejected = frame(data / "chicago.zips.duckdb", "SELECT reason, raw FROM rejected_records "
                                                   "WHERE source_id = 'neighborhoods'")
    assert rejected["reason"].tolist() == ["outside the city limits"]
    assert '"GEOID20": "60604"' in rejected["raw"].iloc[0]
    row = frame(data / "chicago.zips.duckdb", "SELECT rows_raw, rows_loaded, rows_rejected "
                                              "FROM sources WHERE source_id = 'neighborhoods'")
    assert row.iloc[0].tolist() == [4, 3, 1]        # 60699 lies outside the box read


def test_each_zip_is_cut_to_the_city_limits(built):
    data, _ = built
    shapes = frame(data / "chicago.zips.duckdb", "SELECT neighborhood_id, geometry_wkb "
                                                 "FROM neighborhoods ORDER BY 1")
    area = gpd.GeoSeries.from_wkb(shapes["geometry_wkb"].map(bytes)).area
    assert dict(zip(shapes["neighborhood_id"], area)) == pytest.approx(
        {"60601": 0.1 * 0.05, "60602": 0.1 * 0.05 - 0.02 * 0.02, "60603": 0.1 * 0.1}, rel=1e-6)


def test_business_counts_per_zip_are_the_businesses_inside_each(built):
    data, _ = built
    path = data / "chicago.zips.duckdb"
    placed = frame(path, "SELECT name, neighborhood_id FROM businesses ORDER BY 1")
    assert placed.values.tolist() == [["LAKE VIEW TAVERN", "60601"], ["PRAIRIE FLOWERS", "60603"]]
    active = frame(path, "SELECT geo_id, value FROM metrics_long WHERE metric_id = "
                         "'active_businesses' AND year = 2023 AND geo_level = 'neighborhood'")
    assert dict(active.itertuples(index=False)) == {"60601": 1, "60602": 0, "60603": 1}


def test_the_sources_row_names_the_census_zcta_file(built):
    data, _ = built
    row = frame(data / "chicago.zips.duckdb", "SELECT name, publisher, url, vintage, license "
                                              "FROM sources WHERE source_id = 'neighborhoods'")
    assert row.iloc[0].tolist() == [census_zctas.SOURCE["name"],
                                    "US Census Bureau, Geography Division", ZCTA_URL, "2020",
                                    "Public domain (US Census Bureau)"]
    assert "ZIP Code Tabulation Areas" in row.iloc[0]["name"]


@pytest.mark.parametrize("answer,said", [
    ((404, {}, "Not Found"), ZCTA_URL),
    ((200, {"Content-Type": "text/html"}, "<html>maintenance</html>"),
     f"The Census download server at {ZCTA_URL} did not send a zip file"),
])
def test_a_bad_or_missing_zcta_file_is_one_sentence_and_the_other_layers_stand(
        tmp_path, answer, said):
    fakes = FakeServers()
    fakes.faults["zcta"] = [answer] * 5
    code, err = build_chicago(tmp_path / "data", fakes)
    assert code == 0, err
    line = next(line for line in err.splitlines() if "the ZIP codes were not built" in line)
    assert said in line and line.rstrip().endswith(".") and "Traceback" not in err
    assert {p.name for p in (tmp_path / "data").glob("*.duckdb")} == {
        "chicago.duckdb", "chicago.wards.duckdb"}


def test_an_unreadable_zcta_file_names_the_file(tmp_path):
    broken = tmp_path / "cb_2020_us_zcta520_500k.zip"
    broken.write_bytes(b"PK\x03\x04 not a zip after all")
    with pytest.raises(PipelineError) as error:
        city.import_files("chicago", LOCAL / "chicago_licenses.csv", broken,
                          place=RECORDED / ZIPPED["place"], layer="zips", db=tmp_path / "z.duckdb")
    assert str(error.value).startswith(f"Could not read the neighborhood boundary file {broken.name}")


# --- Import -------------------------------------------------------------------------------

def test_import_takes_a_users_zcta_file_for_the_zip_layer(tmp_path, monkeypatch):
    monkeypatch.setenv("ATLAS_DATA_DIR", str(tmp_path / "data"))
    db = city.import_files("chicago", LOCAL / "chicago_licenses.csv", RECORDED / ZIPPED["zcta"],
                           place=RECORDED / ZIPPED["place"], layer="zips")
    assert db == tmp_path / "data" / "chicago.zips.duckdb"
    assert frame(db, "SELECT neighborhood_id FROM neighborhoods ORDER BY 1")[
        "neighborhood_id"].tolist() == ["60601", "60602", "60603"]
    name = frame(db, "SELECT name FROM sources WHERE source_id = 'neighborhoods'")["name"].iloc[0]
    assert name == (f"{census_zctas.SOURCE['name']} (local file {ZIPPED['zcta']})")


def test_import_without_the_city_limits_is_one_sentence(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ATLAS_DATA_DIR", str(tmp_path / "data"))
    code = main(["import", "--city", "chicago", "--layer", "zips",
                 "--businesses", str(LOCAL / "chicago_licenses.csv"),
                 "--neighborhoods", str(RECORDED / ZIPPED["zcta"])])
    assert code == 1
    line = one_sentence_error(capsys.readouterr().err)
    assert "are chosen and cut by the city limits (Census place 1714000)" in line
    assert "--place" in line


# --- The profile ----------------------------------------------------------------------------

def chicago_with(layer: dict, **geography) -> dict:
    raw = tomllib.loads(profiles.profile_path("chicago").read_text(encoding="utf-8"))
    raw["layers"] = [layer]
    raw["geography"].update(geography)
    return raw


ZIPS = {"id": "zips", "singular": "ZIP code", "plural": "ZIP codes", "id_field": "GEOID20"}


@pytest.mark.parametrize("census,problem", [
    ('census = "zip5"', "key 'layers[2].census' is 'zip5', which is not a Census boundary file "
                        "the pipeline reads; use \"zcta\" (the ZIP Code Tabulation Areas)"),
    ('census = "zcta"\ndataset = "abcd-1234"',
     "keys 'layers[2].census' and 'layers[2].dataset' cannot be given together"),
])
def test_a_wrong_census_layer_is_refused_naming_the_key(tmp_path, census, problem):
    text = profiles.profile_path("chicago").read_text(encoding="utf-8")
    assert text.count('census = "zcta"') == 1
    path = tmp_path / "town.toml"
    path.write_text(text.replace('census = "zcta"', census), encoding="utf-8")
    with pytest.raises(PipelineError) as error:
        profiles.load_profile(path)
    message = str(error.value)
    assert message == f"{path}: {problem}."


def test_a_census_layer_needs_the_city_limits():
    raw = chicago_with({**ZIPS, "census": "zcta"})
    del raw["geography"]["place_fips"]
    assert "key 'layers[1].census' needs 'geography.place_fips' (the city limits its areas " \
           "are chosen by and cut to)" in profiles.check(raw)
