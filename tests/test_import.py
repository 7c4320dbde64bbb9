"""Real-city builds end to end: local exports (`import`) and the raw cache (`build --city`)."""
from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from core import paths

from data_pipeline import city
from data_pipeline.cache import RawCache
from data_pipeline.cli import main
from core.errors import PipelineError

ROOT = Path(__file__).resolve().parents[1]
LOCAL = ROOT / "tests" / "fixtures" / "local"


def table(db: Path, sql: str, params=()) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, list(params)).df()


def sources(db: Path) -> pd.DataFrame:
    return table(db, "SELECT * FROM sources ORDER BY source_id").set_index("source_id")


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("ATLAS_DATA_DIR", str(tmp_path))
    return tmp_path


def test_businesses_and_neighborhoods_alone_build_a_database(data_dir):
    db = city.import_files("chicago", LOCAL / "chicago_licenses.csv", LOCAL / "neighborhoods.geojson")
    assert db == data_dir / "chicago.duckdb"
    counts = table(db, "SELECT (SELECT count(*) FROM businesses) b, (SELECT count(*) FROM tracts) t, "
                       "(SELECT count(*) FROM jobs) j, (SELECT count(*) FROM rejected_records) r")
    assert counts.iloc[0].tolist() == [7, 0, 0, 5]
    rows = sources(db)
    assert rows.loc["businesses", ["rows_raw", "rows_loaded", "rows_merged", "rows_rejected"]].tolist() \
        == [14, 7, 2, 5]
    assert rows.loc["neighborhoods", ["rows_raw", "rows_loaded"]].tolist() == [2, 2]
    assert rows.loc["businesses", "url"] == "https://data.cityofchicago.org/d/r5kz-chrr"
    assert "chicago_licenses.csv" in rows.loc["businesses", "name"]
    info = dict(table(db, "SELECT key, value FROM build_info").values.tolist())
    assert info["is_demo"] == "false" and info["city_name"] == "Chicago"
    assert (info["state_fips"], info["county_fips"], info["data_as_of"]) == ("17", "031", "2024-06-01")
    assert (info["first_year"], info["last_year"]) == ("2010", "2024")   # capped at the as-of year
    assert info["registry_note"].startswith("Chicago's business licenses cover")
    home = table(db, "SELECT address, home_based FROM businesses WHERE source_key = '400-1'")
    assert home.iloc[0].tolist() == [None, True]


def test_tracts_acs_and_lodes_are_fitted_to_the_city(data_dir):
    db = city.import_files("chicago", LOCAL / "chicago_licenses.csv", LOCAL / "neighborhoods.csv",
                           tracts=LOCAL / "tracts.geojson", acs=LOCAL / "acs5-2023-17031.json",
                           lodes=[LOCAL / "il_wac_S000_JT00_2021.csv", LOCAL / "il_wac_S000_JT02_2021.csv"])
    tracts = table(db, "SELECT geoid, population, acs_year FROM tracts ORDER BY geoid")
    assert tracts["geoid"].tolist() == ["17031000100", "17031000200", "17031000300"]  # 400: outside
    assert tracts["population"].iloc[0] == 1200 and pd.isna(tracts["population"].iloc[1])  # sentinel
    assert tracts["acs_year"].tolist() == [2023, 2023, 2023]
    weights = table(db, "SELECT geoid, neighborhood_id, weight FROM tract_neighborhood_weights "
                        "ORDER BY geoid")
    assert weights[["geoid", "neighborhood_id"]].values.tolist() == \
        [["17031000100", "1"], ["17031000200", "2"], ["17031000300", "2"]]
    assert weights["weight"].tolist() == pytest.approx([1.0, 1.0, 0.6], abs=1e-3)  # 0.075 of 0.125° inside
    placed = table(db, "SELECT source_key, tract_geoid FROM businesses ORDER BY source_key")
    assert dict(placed.values.tolist())["100-1"] == "17031000100"
    assert dict(placed.values.tolist())["200-1"] == "17031000300"
    jobs = table(db, "SELECT geo_id, neighborhood_id, jobs_total, jobs_small_firms, jobs_young_firms "
                     "FROM jobs ORDER BY geo_id")
    assert jobs.astype(object).where(jobs.notna(), None).values.tolist() == [
        ["170310001001000", "1", 40, 12, 10],      # tract wholly in neighborhood 1
        ["170310002001000", "2", 10, 3, 2],
        ["170310003001000", None, 8, 0, 0]]        # tract split: apportioned by the marts
    rows = sources(db)
    assert rows.loc["acs", ["rows_raw", "rows_loaded", "rows_rejected"]].tolist() == [3, 3, 0]
    assert rows.loc["lodes", ["kind", "rows_raw", "rows_loaded"]].tolist() == ["jobs", 3, 3]
    assert rows.loc["tracts", "rows_loaded"] == 3


def test_tract_shapes_without_acs_give_tracts_without_population(data_dir):
    db = city.import_files("chicago", LOCAL / "chicago_licenses.csv", LOCAL / "neighborhoods.geojson",
                           tracts=LOCAL / "tracts.geojson")
    tracts = table(db, "SELECT count(*) n, count(population) with_population FROM tracts")
    assert tracts.iloc[0].tolist() == [3, 0]
    assert "acs" not in sources(db).index


def test_missing_boundaries_and_acs_without_tracts_are_one_sentence(data_dir):
    with pytest.raises(PipelineError, match=r"^Neighborhood boundaries are needed for the map: pass "
                                            r"--neighborhoods .* build --city chicago`"):
        city.import_files("chicago", LOCAL / "chicago_licenses.csv")
    with pytest.raises(PipelineError, match="need census tract shapes: pass --tracts too"):
        city.import_files("chicago", LOCAL / "chicago_licenses.csv", LOCAL / "neighborhoods.geojson",
                          acs=LOCAL / "acs5-2023-17031.json")
    with pytest.raises(PipelineError, match=r"No file at .*nope.csv \(given as --businesses\)"):
        city.import_files("chicago", data_dir / "nope.csv", LOCAL / "neighborhoods.geojson")


def test_cached_boundaries_serve_an_import_without_neighborhoods(data_dir):
    cache = RawCache(paths.raw_cache_dir(), "chicago")
    cache.write("neighborhoods", "igwz-8jzy.geojson", (LOCAL / "neighborhoods.geojson").read_bytes(),
                "https://data.cityofchicago.org/resource/igwz-8jzy.geojson", {}, 2)
    db = city.import_files("chicago", LOCAL / "chicago_soda.json")
    assert sources(db).loc["businesses", ["rows_raw", "rows_loaded", "rows_merged"]].tolist() == [4, 2, 1]


def riverton_profile() -> str:
    """The worked example of docs/cities.md, exactly as printed there."""
    text = (ROOT / "docs" / "cities.md").read_text()
    block = re.search(r"Save this as `data/cities/riverton.toml`:\n\n```toml\n(.*?)```", text, re.S)
    return block.group(1)


def test_a_fourth_city_needs_only_a_profile(data_dir):
    profile = data_dir / "riverton.toml"
    profile.write_text(riverton_profile())
    db = city.import_files(profile, LOCAL / "riverton.csv", LOCAL / "riverton_neighborhoods.geojson")
    assert db == data_dir / "riverton.duckdb"
    rows = sources(db).loc["businesses"]
    assert rows[["rows_raw", "rows_loaded", "rows_merged", "rows_rejected"]].tolist() == [6, 4, 0, 2]
    found = table(db, "SELECT source_key, neighborhood_id, category, closed, address, home_based "
                      "FROM businesses ORDER BY source_key")
    found = found.astype(object).where(found.notna(), None)
    assert found.values.tolist() == [
        ["R-1001", "OT", "Retail shops", None, "12 River St", False],
        ["R-1002", "OT", "Personal services & repair", pd.Timestamp("2022-06-30"), None, True],
        ["R-1003", "RS", "Restaurants, food & lodging", None, "3 Dock Rd", False],
        ["R-1005", "RS", "Other or unclassified", None, "1 Unknown Way", False]]
    reasons = table(db, "SELECT reason FROM rejected_records ORDER BY row_number")["reason"].tolist()
    assert reasons == ["outside the city", "repeated row id"]
    assert table(db, "SELECT raw_category, rows FROM unmapped_categories").values.tolist() == [["Consulting", 1]]
    names = table(db, "SELECT neighborhood_id, name FROM neighborhoods ORDER BY 1").values.tolist()
    assert names == [["OT", "Old Town"], ["RS", "Riverside"]]


def test_offline_build_with_an_empty_cache_says_what_is_missing_and_how_to_get_it(data_dir, capsys):
    assert main(["build", "--city", "chicago", "--offline"]) == 1
    err = capsys.readouterr().err.strip()
    # The boundaries are read first (the registry's businesses are placed in them).
    assert err == (f"Error: No cached neighborhood boundaries for chicago in "
                   f"{data_dir}/raw/chicago/neighborhoods; run `python -m data_pipeline build "
                   "--city chicago` with network access first, or use `python -m data_pipeline "
                   "import`.")
    RawCache(paths.raw_cache_dir(), "chicago").write(
        "neighborhoods", "igwz-8jzy.geojson", (LOCAL / "neighborhoods.geojson").read_bytes(),
        "https://data.cityofchicago.org/resource/igwz-8jzy.geojson", {}, 2)
    assert main(["build", "--city", "chicago", "--offline"]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err == (f"Error: No cached business registry for chicago in {data_dir}/raw/chicago/businesses; "
                   "run `python -m data_pipeline build --city chicago` with network access first, "
                   "or use `python -m data_pipeline import`.")


def test_the_import_command_builds_and_reports_its_steps(data_dir, capsys):
    args = ["import", "--city", "chicago", "--businesses", str(LOCAL / "chicago_licenses.csv"),
            "--neighborhoods", str(LOCAL / "neighborhoods.geojson"), "--db", str(data_dir / "c.duckdb")]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "transforming 14 registry rows" in err and "done:" in err
    assert sources(data_dir / "c.duckdb").loc["businesses", "rows_loaded"] == 7


def fill_cache(cache: RawCache) -> None:
    cache.write("businesses", "page-00001.json", (LOCAL / "chicago_soda.json").read_bytes(),
                "https://data.cityofchicago.org/resource/r5kz-chrr.json", {"$limit": 50000}, 4)
    cache.write("neighborhoods", "igwz-8jzy.geojson", (LOCAL / "neighborhoods.geojson").read_bytes(),
                "https://data.cityofchicago.org/resource/igwz-8jzy.geojson", {}, 2)


def test_offline_build_reads_the_cache_alone(data_dir, capsys):
    fill_cache(RawCache(paths.raw_cache_dir(), "chicago"))
    assert main(["build", "--city", "chicago", "--offline"]) == 0
    err = capsys.readouterr().err
    assert (f"ACS 5-year tract figures not in the cache ({data_dir}/raw/chicago/acs); building "
            "without them") in err
    rows = sources(data_dir / "chicago.duckdb")
    assert rows.loc["businesses", "url"] == "https://data.cityofchicago.org/resource/r5kz-chrr.json"
    assert rows.loc["businesses", ["rows_raw", "rows_loaded", "rows_merged", "rows_rejected"]].tolist() \
        == [4, 2, 1, 1]
    assert list(rows.index) == ["businesses", "neighborhoods"]


def test_offline_build_uses_every_cached_source(data_dir):
    cache = RawCache(paths.raw_cache_dir(), "chicago")
    fill_cache(cache)
    cached = {"tracts": ["tracts.geojson"], "acs": ["acs5-2023-17031.json"],
              "lodes": ["il_wac_S000_JT00_2021.csv", "il_wac_S000_JT02_2021.csv"],
              "business_patterns": ["cbp-2022-county-17-00.json", "cbp-2022-zip-001-00.json"],
              "nonemployers": ["nonemp-2022-17.json"]}
    for source, names in cached.items():
        for name in names:
            cache.write(source, name, (LOCAL / name).read_bytes(), f"https://example.test/{name}", {}, 1)
    db = city.build_city("chicago", offline=True)
    rows = sources(db)
    assert list(rows.index) == ["acs", "business_patterns", "businesses", "lodes",
                                "neighborhoods", "nonemployers", "tracts"]
    assert (rows["rows_raw"] == rows["rows_loaded"] + rows["rows_merged"] + rows["rows_rejected"]).all()
    patterns = table(db, "SELECT geo_level, geo_id, size_class, establishments FROM business_patterns "
                         "ORDER BY geo_level, size_class")
    assert patterns.values.tolist() == [["county", "17031", "001", 5000], ["county", "17031", "212", 2000],
                                        ["zip", "60640", "212", 40]]          # ZIP 99999: not the city's
    assert table(db, "SELECT county_fips FROM nonemployers")["county_fips"].tolist() == ["17031"]
    assert table(db, "SELECT * FROM zip_neighborhood_weights").values.tolist() == \
        [["60640", "1", 1.0, "business_share"]]
    assert table(db, "SELECT count(*) FROM jobs").iloc[0, 0] == 3
    assert rows.loc["acs", "url"] == "https://example.test/acs5-2023-17031.json"


def test_a_build_fetches_only_what_is_missing_or_stale(data_dir, monkeypatch):
    from data_pipeline.sources import (business_patterns, census_acs, census_places,
                                       census_tracts, census_zctas, lodes, nonemployer, socrata)
    calls = []

    def fetch_dataset(domain, dataset_id, cache, client, source="businesses", **kwargs):
        calls.append(dataset_id)
        fill_cache(cache)
        return cache.files(source)

    def unreachable(*args, **kwargs):
        calls.append("census")
        raise PipelineError("The Census API did not answer; try again later.")

    def fetch_geojson(domain, dataset_id, cache, client, source="neighborhoods", **kwargs):
        calls.append(dataset_id)
        cache.write(source, "igwz-8jzy.geojson", (LOCAL / "neighborhoods.geojson").read_bytes(),
                    "https://data.cityofchicago.org/resource/igwz-8jzy.geojson", {}, 2)
        return cache.files(source)[0]

    monkeypatch.setattr(socrata, "fetch_dataset", fetch_dataset)
    monkeypatch.setattr(socrata, "fetch_geojson", fetch_geojson)
    for module in (census_acs, census_tracts, lodes, business_patterns, nonemployer,
                   census_places, census_zctas):       # the last two: the ZIP-code layer
        monkeypatch.setattr(module, "fetch", unreachable)
    steps = []
    city.build_city("chicago", on_step=steps.append)
    # 5 Census inputs, then the ZIP-code layer's city limits and ZCTA file
    assert calls[:2] == ["igwz-8jzy", "r5kz-chrr"] and calls.count("census") == 5 + 2
    assert any("not available (The Census API did not answer" in s for s in steps)
    calls.clear()
    city.build_city("chicago", on_step=steps.append)     # fresh cache: no registry fetch
    assert "r5kz-chrr" not in calls
    assert sources(data_dir / "chicago.duckdb").loc["businesses", "rows_loaded"] == 2
