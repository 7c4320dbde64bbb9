"""Census sources on recorded answers: ACS, tract shapes, LODES, Business Patterns, Nonemployer."""
from __future__ import annotations

import gzip
import json
import math
import zipfile
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import geopandas as gpd
import pandas as pd
import pytest
import responses
from shapely.geometry import box

from data_pipeline import canonical
from data_pipeline.cache import RawCache
from core.errors import PipelineError
from data_pipeline.http import FetchError, HttpClient
from data_pipeline.sources import (business_patterns, census_acs, census_places, census_tracts,
                                   census_zctas, lodes, nonemployer, socrata)

ROOT = Path(__file__).resolve().parents[1]
RECORDED = ROOT / "tests" / "fixtures" / "recorded"
REALDATA = ROOT.parent / "shared" / "realdata"
KEY = "SENTINEL-KEY-123"
ACS_URL = "https://api.census.gov/data/2023/acs/acs5"
ACS_ANSWER = (RECORDED / "census" / "acs5_2023_17031_tracts.json").read_text()


@pytest.fixture
def client() -> HttpClient:
    return HttpClient(sleep=lambda seconds: None)


@pytest.fixture
def cache(tmp_path) -> RawCache:
    return RawCache(tmp_path / "raw", "chicago")


@pytest.fixture
def key(monkeypatch) -> str:
    monkeypatch.setenv("CENSUS_API_KEY", KEY)
    return KEY


def realdata(relative: str) -> Path:
    path = REALDATA / relative
    if not path.exists():
        pytest.skip(f"../shared/realdata is not here ({relative} missing)")
    return path


def all_text_under(folder: Path) -> str:
    names = "\n".join(str(p) for p in folder.rglob("*"))
    return names + "".join(p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file())


# ACS ------------------------------------------------------------------------------------------

@responses.activate
def test_acs_asks_one_request_per_county_and_keeps_the_key_out_of_the_cache(cache, client, key):
    responses.get(ACS_URL, body=ACS_ANSWER)
    responses.get(ACS_URL, body=ACS_ANSWER.replace('"031"', '"043"'))
    paths = census_acs.fetch("17", ["031", "043"], 2023, cache, client)
    asked = [parse_qsl(urlsplit(c.request.url).query) for c in responses.calls]
    assert [q for q in asked[0] if q[0] in ("for", "in", "key")] == [
        ("for", "tract:*"), ("in", "state:17"), ("in", "county:031"), ("key", KEY)]
    assert ("in", "county:043") in asked[1]
    get = dict(asked[0])["get"].split(",")
    assert get[0] == "NAME" and "B01003_001E" in get and "B23025_004M" in get
    assert [p.name for p in paths] == ["acs5-2023-17031.json", "acs5-2023-17043.json"]
    assert [e["rows"] for e in cache.entries("acs")] == [6, 6]
    assert KEY not in all_text_under(cache.root)


@responses.activate
def test_acs_without_a_key_sends_none(cache, client, monkeypatch):
    monkeypatch.delenv("CENSUS_API_KEY", raising=False)
    responses.get(ACS_URL, body=ACS_ANSWER)
    census_acs.fetch("17", ["031"], 2023, cache, client)
    assert "key=" not in responses.calls[0].request.url


@responses.activate
def test_acs_refused_key_is_a_clear_error_without_the_key(cache, client, key):
    html = (RECORDED / "census" / "invalid_key.html").read_text()
    responses.get(ACS_URL, body=html, content_type="text/html")
    with pytest.raises(FetchError) as caught:
        census_acs.fetch("17", ["031"], 2023, cache, client)
    assert "the key in CENSUS_API_KEY was refused" in str(caught.value)
    assert KEY not in str(caught.value)
    assert not cache.has("acs")


@responses.activate
def test_acs_500s_end_in_an_error_naming_the_url_not_the_key(cache, key):
    responses.get(ACS_URL, status=503)
    naps: list[float] = []
    with pytest.raises(FetchError) as caught:
        census_acs.fetch("17", ["031"], 2023, cache, HttpClient(max_retries=3, sleep=naps.append))
    assert str(caught.value).startswith(f"Census API at {ACS_URL} answered HTTP 503 three times")
    assert KEY not in str(caught.value) and naps == [1.0, 2.0]


def test_acs_sentinels_become_null_and_are_counted(tmp_path):
    path = RECORDED / "census" / "acs5_2023_17031_tracts.json"
    tracts, stats = census_acs.parse(path)
    assert list(tracts.columns) == census_acs.OUTPUT_COLUMNS
    assert set(census_acs.OUTPUT_COLUMNS) == set(canonical.TRACT_COLUMNS) - {"geometry"}
    assert list(tracts["geoid"]) == ["17031010100", "17031010201", "17031010202", "17031839100",
                                     "17031980000", "17031980100"]
    assert (tracts["acs_year"] == 2023).all()
    first = tracts.iloc[0]
    assert (first["population"], first["population_moe"], first["median_household_income"]) == (
        4823.0, 677.0, 48750.0)
    airport, other = tracts.iloc[4], tracts.iloc[5]
    assert airport["population"] == 0 and math.isnan(airport["median_household_income"])
    assert math.isnan(other["households"]) and math.isnan(other["labor_force"])
    assert math.isnan(other["employed"]) and math.isnan(other["employed_moe"])      # JSON null
    assert other["population_moe"] == 0.0            # -555555555: controlled, no sampling error
    assert stats["rows"] == 6
    assert stats["sentinel_values_by_column"] == {
        "households": 1, "households_moe": 1, "median_household_income": 2,
        "median_household_income_moe": 3, "labor_force": 1, "labor_force_moe": 1}
    assert stats["controlled_moe_by_column"] == {"population_moe": 1}
    assert stats["unreadable_values_by_column"] == {}


def test_acs_geoids_are_zero_padded_from_state_county_and_tract(tmp_path):
    header = ["NAME", *census_acs.VARIABLES.values(), *census_acs.MOE_VARIABLES.values(),
              "state", "county", "tract"]
    row = ["Census Tract 101.01", *["10"] * 10, "6", "75", "10101"]       # an export lost zeros
    path = tmp_path / "export.json"
    path.write_text(json.dumps([header, row]))
    tracts, _ = census_acs.parse([path], year=2022)
    assert tracts["geoid"].tolist() == ["06075010101"] and tracts["acs_year"].tolist() == [2022]


def test_acs_malformed_answers_name_the_file_and_the_variable(tmp_path):
    header = json.loads(ACS_ANSWER)[0]
    missing = tmp_path / "acs5-2023-missing.json"
    missing.write_text(json.dumps([[h for h in header if h != "B19013_001E"], ["x"] * 13]))
    with pytest.raises(PipelineError, match=r"acs5-2023-missing.json has no column 'B19013_001E'"):
        census_acs.parse(missing)
    flat = tmp_path / "flat.json"
    flat.write_text(json.dumps({"error": "unknown"}))
    with pytest.raises(PipelineError, match=r"flat.json is not a Census API table"):
        census_acs.parse(flat)


# Tract shapes ---------------------------------------------------------------------------------

def tiny_tract_zip(folder: Path) -> Path:
    """A 3-tract cartographic-boundary-style shapefile (NAD83), zipped like the Census ships it."""
    shapes = gpd.GeoDataFrame(
        {"STATEFP": ["17", "17", "17"], "COUNTYFP": ["031", "031", "043"],
         "TRACTCE": ["010100", "839100", "840000"], "GEOID": ["17031010100", "17031839100", "17043840000"],
         "NAME": ["101", "8391", "8400"],
         "NAMELSAD": ["Census Tract 101", "Census Tract 8391", "Census Tract 8400"]},
        geometry=[box(-87.67, 42.01, -87.66, 42.02), box(-87.63, 41.88, -87.62, 41.89),
                  box(-88.0, 41.8, -87.99, 41.81)], crs="EPSG:4269")
    shapes.to_file(folder / "cb_2022_17_tract_500k.shp")
    archive = folder / "cb_2022_17_tract_500k.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for part in folder.glob("cb_2022_17_tract_500k.*"):
            if part.suffix != ".zip":
                zipped.write(part, part.name)
    return archive


@responses.activate
def test_tract_zip_is_fetched_cached_and_read_for_the_counties_asked(tmp_path, cache, client):
    archive = tiny_tract_zip(tmp_path)
    url = "https://www2.census.gov/geo/tiger/GENZ2022/shp/cb_2022_17_tract_500k.zip"
    responses.get(url, body=archive.read_bytes())
    path = census_tracts.fetch("17", 2022, cache, client)
    assert path.name == "cb_2022_17_tract_500k.zip" and cache.entries("tracts")[0]["rows"] == 3
    cook = census_tracts.parse(path, counties=["031"])
    assert cook["geoid"].tolist() == ["17031010100", "17031839100"]
    assert cook["name"].tolist() == ["Census Tract 101", "Census Tract 8391"]
    assert cook.crs.to_epsg() == 4326
    assert cook.geometry.iloc[0].bounds == pytest.approx((-87.67, 42.01, -87.66, 42.02), abs=1e-4)


@responses.activate
def test_an_html_page_instead_of_the_zip_is_refused(cache, client):
    url = "https://www2.census.gov/geo/tiger/GENZ2031/shp/cb_2031_17_tract_500k.zip"
    responses.get(url, body="<html>Not here</html>")
    with pytest.raises(FetchError, match=r"did not send a zip file; check the year \(2031\)"):
        census_tracts.fetch("17", 2031, cache, client)


def test_geojson_geoids_that_lost_their_zero_are_rebuilt(tmp_path):
    features = [{"type": "Feature", "geometry": box(-122.5, 37.7, -122.4, 37.8).__geo_interface__,
                 "properties": {"GEOID": 6075010100, "NAME": "101"}}]
    path = tmp_path / "tracts.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    sf = census_tracts.parse(path, counties=["075"])
    assert sf["geoid"].tolist() == ["06075010100"] and sf["name"].tolist() == ["Census Tract 101"]


def test_real_cook_county_tracts_from_the_illinois_file():
    path = realdata("census_tracts_cb/cb_2018_17_tract_500k.geojson")
    cook = census_tracts.parse(path, counties=["031"])
    assert len(cook) == 1318
    assert cook["geoid"].str.len().eq(11).all() and cook["geoid"].str.startswith("17031").all()
    assert cook["geoid"].is_unique and cook.crs.to_epsg() == 4326
    with pytest.raises(PipelineError, match="has no tracts in counties 999"):
        census_tracts.parse(path, counties=["999"])


# LODES ----------------------------------------------------------------------------------------

def gzipped(name: str, folder: Path, as_name: str | None = None) -> Path:
    target = folder / (as_name or f"{name}.gz")
    target.write_bytes(gzip.compress((RECORDED / "lodes" / name).read_bytes()))
    return target


@responses.activate
def test_lodes_downloads_both_job_types_per_year(cache, client, tmp_path):
    base = "https://lehd.ces.census.gov/data/lodes/LODES8/ca/wac/"
    for jt in ("JT00", "JT02"):
        responses.get(f"{base}ca_wac_S000_{jt}_2021.csv.gz",
                      body=gzipped(f"ca_wac_S000_{jt}_2021.csv", tmp_path).read_bytes())
    crosswalk = ("tabblk2020,st,stusps,blklatdd,blklondd\n"
                 "060750101001000,06,CA,37.8,-122.41\n060750102001000,06,CA,37.79,-122.42\n")
    responses.get("https://lehd.ces.census.gov/data/lodes/LODES8/ca/ca_xwalk.csv.gz",
                  body=gzip.compress(crosswalk.encode()))
    paths = lodes.fetch("CA", [2021], cache, client)
    assert [p.name for p in paths] == ["ca_wac_S000_JT00_2021.csv.gz", "ca_wac_S000_JT02_2021.csv.gz",
                                       "ca_xwalk.csv.gz"]
    assert [e["rows"] for e in cache.entries("lodes")] == [5, 4, 2]
    assert lodes.is_crosswalk(paths[2]) and not lodes.is_crosswalk(paths[0])
    points = lodes.block_points(paths[2:], {"060750102001000", "069999999999999"})
    assert points.values.tolist() == [["060750102001000", 37.79, -122.42]]


@responses.activate
def test_a_state_without_a_crosswalk_says_so(cache, client):
    url = "https://lehd.ces.census.gov/data/lodes/LODES8/zz/zz_xwalk.csv.gz"
    responses.get(url, status=404)
    with pytest.raises(FetchError, match=r"LODES has no geography crosswalk for ZZ .*zz_xwalk"):
        lodes.fetch("zz", [], cache, client)


@responses.activate
def test_lodes_missing_year_says_to_choose_another(cache, client):
    url = "https://lehd.ces.census.gov/data/lodes/LODES8/ca/wac/ca_wac_S000_JT00_2031.csv.gz"
    responses.get(url, status=404)
    with pytest.raises(FetchError, match=r"LODES has no JT00 file for CA 2031 .*years.lodes"):
        lodes.fetch("ca", [2031], cache, client, job_types=("JT00",))


def test_lodes_jobs_take_totals_from_jt00_and_firm_size_and_age_from_jt02(tmp_path):
    files = [gzipped("ca_wac_S000_JT00_2021.csv", tmp_path),
             RECORDED / "lodes" / "ca_wac_S000_JT02_2021.csv"]          # one gzipped, one plain
    jobs, sectors, stats = lodes.parse(files, keep_geoids_prefixes=["06075"])
    assert list(jobs.columns) == canonical.JOB_COLUMNS
    assert list(sectors.columns) == canonical.JOB_SECTOR_COLUMNS
    assert jobs["geo_id"].tolist() == ["060750101001000", "060750101001001", "060750117002003",
                                       "060750201001012"]
    assert (jobs["geo_level"] == "block").all() and (jobs["year"] == 2021).all()
    assert jobs["tract_geoid"].tolist() == ["06075010100", "06075010100", "06075011700", "06075020100"]
    assert jobs["jobs_total"].sum() == 40 + 7 + 25 + 3
    assert jobs["jobs_private"].tolist() == [40, 7, 0, 3]       # the public block has no private jobs
    assert jobs["jobs_small_firms"].sum() == 11 + 5 + 3          # CFS01
    assert jobs["jobs_young_firms"].sum() == (4 + 3) + (2 + 1) + 0   # CFA01 + CFA02
    assert jobs["neighborhood_id"].isna().all()
    assert stats["rows_outside_kept_areas"] == 2                  # the Alameda block, in both files
    assert stats["firm_size_and_age"][2021].startswith("from JT02")
    by_sector = sectors.groupby("naics_sector")["jobs"].sum().to_dict()
    assert by_sector == {"44-45": 10, "53": 5, "54": 10, "62": 5, "72": 17, "81": 3, "92": 25}
    assert sectors["jobs"].sum() == jobs["jobs_total"].sum()


def test_lodes_without_jt02_leaves_firm_size_and_age_null_and_says_why(tmp_path):
    plain_named = gzipped("ca_wac_S000_JT00_2021.csv", tmp_path, as_name="ca_wac_S000_JT00_2021.csv")
    jobs, _, stats = lodes.parse([plain_named])                    # gzip content behind a .csv name
    assert jobs["jobs_total"].sum() == 87
    assert jobs["jobs_private"].isna().all() and jobs["jobs_small_firms"].isna().all()
    assert jobs["jobs_young_firms"].isna().all()
    assert "no private-jobs (JT02) file for 2021" in stats["firm_size_and_age"][2021]


def test_lodes_jt02_before_2011_has_no_firm_size_or_age(tmp_path):
    files = [tmp_path / "ca_wac_S000_JT00_2009.csv", tmp_path / "ca_wac_S000_JT02_2009.csv"]
    for jt, target in zip(("JT00", "JT02"), files):
        target.write_bytes((RECORDED / "lodes" / f"ca_wac_S000_{jt}_2021.csv").read_bytes())
    jobs, _, stats = lodes.parse(files)
    assert jobs["jobs_private"].sum() == 62 and jobs["jobs_small_firms"].isna().all()
    assert "start in 2011" in stats["firm_size_and_age"][2009]


def test_lodes_files_must_say_their_job_type_and_come_with_jt00(tmp_path):
    unnamed = tmp_path / "wac.csv"
    unnamed.write_bytes((RECORDED / "lodes" / "ca_wac_S000_JT00_2021.csv").read_bytes())
    with pytest.raises(PipelineError, match="Cannot tell the job type of"):
        lodes.parse([unnamed])
    with pytest.raises(PipelineError, match=r"has no all-jobs \(JT00\) file for 2021"):
        lodes.parse([RECORDED / "lodes" / "ca_wac_S000_JT02_2021.csv"])


def test_real_sf_block_groups_total_the_files_c000(tmp_path):
    path = realdata("lodes_wac/sf_msa41860_wac_JT00_2023_by_blockgroup.csv")
    expected = int(pd.read_csv(path, usecols=["C000"])["C000"].sum())
    jobs, sectors, stats = lodes.parse([path])
    assert jobs["jobs_total"].sum() == expected == 2_497_939
    assert (jobs["geo_level"] == "block_group").all() and jobs["geo_id"].str.len().eq(12).all()
    assert jobs["geo_id"].str.startswith("06").sum() == len(jobs)   # the lost zero is back
    assert stats["jobs_total_by_year"] == {2023: 2_497_939}
    assert sectors["jobs"].sum() == 2_497_939                        # CNS01..20 sum to C000
    assert jobs["jobs_small_firms"].isna().all()
    sf, _, sf_stats = lodes.parse([path], keep_geoids_prefixes=["06075"])
    assert len(sf) == 678 and sf_stats["rows_outside_kept_areas"] == len(jobs) - 678
    primary = realdata("lodes_wac/sf_msa41860_wac_JT01_2023_by_blockgroup.csv")
    _, _, both = lodes.parse([path, primary])
    assert both["ignored_files"][0]["file"] == primary.name


# Business Patterns and Nonemployer ------------------------------------------------------------

@responses.activate
def test_business_patterns_fetch_counties_and_zip_batches(cache, client, key):
    url = "https://api.census.gov/data/2021/cbp"
    responses.get(url, body=(RECORDED / "census" / "cbp_2021_county_17031_00.json").read_text())
    responses.get(url, body=(RECORDED / "census" / "cbp_2021_zip_00.json").read_text())
    paths = business_patterns.fetch("17", ["031"], 2021, cache, client, zips=["60601", "60614", 2134])
    asked = [dict(parse_qsl(urlsplit(c.request.url).query)) for c in responses.calls]
    assert asked[0]["for"] == "county:031" and asked[0]["in"] == "state:17"
    assert asked[0]["NAICS2017"] == "00" and asked[0]["get"] == "ESTAB,EMPSZES,EMPSZES_LABEL,NAICS2017"
    assert asked[1]["for"] == "zip code:02134,60601,60614"
    assert [p.name for p in paths] == ["cbp-2021-county-17-00.json", "cbp-2021-zip-001-00.json"]
    assert KEY not in all_text_under(cache.root)
    county = business_patterns.parse(paths[0])
    assert list(county.columns) == canonical.BUSINESS_PATTERN_COLUMNS
    micro = county[county["size_class"] == "212"].iloc[0]
    assert (micro["geo_level"], micro["geo_id"], micro["year"], micro["establishments"]) == (
        "county", "17031", 2021, 74032)
    assert micro["size_label"] == "Establishments with 1 to 4 employees"
    zips = business_patterns.parse(paths[1])
    assert set(zips["geo_id"]) == {"60601", "60614", "02134"} and (zips["geo_level"] == "zip").all()
    assert zips.loc[zips["size_class"] == "212", "establishments"].sum() == 842 + 731 + 160


def test_naics_variable_follows_the_edition():
    assert business_patterns.naics_variable(2016) == "NAICS2012"
    assert business_patterns.naics_variable(2021) == "NAICS2017"
    assert nonemployer.naics_variable(2022) == "NAICS2017"
    assert nonemployer.naics_variable(2023) == "NAICS2022"


@responses.activate
def test_nonemployers_by_county_and_industry(cache, client, key):
    responses.get("https://api.census.gov/data/2021/nonemp",
                  body=(RECORDED / "census" / "nonemp_2021_17.json").read_text())
    [path] = nonemployer.fetch("17", ["031", "043"], 2021, cache, client)
    asked = dict(parse_qsl(urlsplit(responses.calls[0].request.url).query))
    assert asked["get"] == "NESTAB,NRCPTOT,NAICS2017" and asked["for"] == "county:031,043"
    table = nonemployer.parse(path)
    assert list(table.columns) == canonical.NONEMPLOYER_COLUMNS
    cook = table[(table["county_fips"] == "17031") & (table["naics"] == "00")].iloc[0]
    assert (cook["establishments"], cook["receipts_1000"], cook["year"]) == (543210, 21987654.0, 2021)
    assert sorted(table["county_fips"].unique()) == ["17031", "17043"]


@responses.activate
def test_no_content_from_the_census_means_an_empty_table(cache, client):
    responses.get("https://api.census.gov/data/2021/nonemp", status=204)
    [path] = nonemployer.fetch("17", ["031"], 2021, cache, client)
    assert cache.entries("nonemployers")[0]["rows"] == 0
    assert nonemployer.parse(path).empty


# Every source describes itself, and the docs say the same ------------------------------------

SOURCE_MODULES = [socrata, census_acs, census_tracts, census_places, census_zctas, lodes,
                  business_patterns, nonemployer]


@pytest.mark.parametrize("module", SOURCE_MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_every_source_is_described_and_documented(module):
    info = module.SOURCE
    for field in ("name", "publisher", "url", "license", "description", "wire_format"):
        assert info.get(field), f"{module.__name__}.SOURCE has no {field}"
    docs = (ROOT / "docs" / "sources.md").read_text()
    assert info["name"] in docs and info["url"] in docs and info["license"] in docs
