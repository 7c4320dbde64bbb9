"""The city's own edges: a profile keeps only some boundary features by a property's values,
and clips the neighborhoods to the city limits (the Census place of geography.place_fips).

The hand-made city is Riverton (docs/cities.md) on a county-wide boundary file: features
0.01° wide, side by side from 122.94° W, between 45.10° and 45.11° N.
"""
from __future__ import annotations

import json
import re
import math
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import responses
from shapely.geometry import box, mapping

from core import paths

from data_pipeline import city, geo, profiles, readers
from data_pipeline.cache import RawCache
from data_pipeline.cli import main
from core.errors import PipelineError
from data_pipeline.http import HttpClient
from data_pipeline.source import Build
from data_pipeline.sources import census_places
from tests.test_import import riverton_profile, sources, table

ROOT = Path(__file__).resolve().parents[1]
REALDATA = ROOT.parent / "shared" / "realdata"
WEST, SOUTH, NORTH, WIDTH = -122.94, 45.10, 45.11, 0.01
STATE, PLACE = "99", "12345"
PLACE_URL = "https://www2.census.gov/geo/tiger/GENZ2023/shp/cb_2023_99_place_500k.zip"
HEADER = ("Registration ID,Business Name,Trade Category,Start Date,End Date,Status,Home Based,"
          "Street,Zip,Latitude,Longitude")


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("ATLAS_DATA_DIR", str(tmp_path))
    return tmp_path


def write_profile(folder: Path, boundaries: str) -> Path:
    """Riverton's profile with place_fips and a [boundaries] table."""
    text = riverton_profile().replace('neighborhood_name = "nbhd_name"\n',
                                      f'neighborhood_name = "nbhd_name"\nplace_fips = "{PLACE}"\n')
    path = folder / "riverton.toml"
    path.write_text(text + "\n[boundaries]\n" + boundaries + "\n")
    return path


def strip(i: int, width: float = WIDTH):
    """The i-th feature's box, counted from the west."""
    west = WEST + i * WIDTH
    return box(west, SOUTH, west + width, NORTH)


def write_geojson(path: Path, features: list[tuple[dict, object]]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": properties, "geometry": mapping(shape)}
        for properties, shape in features]}))
    return path


def write_registry(path: Path, points: dict[str, float]) -> Path:
    """One business per id, at the longitude given, halfway between the box's edges."""
    rows = [f"{rid},Shop {rid},Retail,2020-01-01,,Active,N,1 Main St,99001,"
            f"{(SOUTH + NORTH) / 2},{lon}" for rid, lon in points.items()]
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


def box_km2(west: float, east: float, south: float = SOUTH, north: float = NORTH) -> float:
    """Area of a longitude/latitude box on the sphere of the Earth's mean radius."""
    radius = 6371.0088
    return radius ** 2 * math.radians(east - west) * (math.sin(math.radians(north))
                                                      - math.sin(math.radians(south)))


def reconciles(db: Path) -> bool:
    rows = sources(db)
    rejected = table(db, "SELECT source_id, count(*) n FROM rejected_records GROUP BY 1")
    counts = dict(rejected.values.tolist())
    return bool((rows["rows_raw"] == rows["rows_loaded"] + rows["rows_merged"]
                 + rows["rows_rejected"]).all()
                and all(rows.loc[s, "rows_rejected"] == counts.get(s, 0) for s in rows.index))


# Keep by a property's values ------------------------------------------------------------------

COUNTY = [({"nbhd_code": "A", "nbhd_name": "Alder", "TYPE": "City"}, strip(0)),
          ({"nbhd_code": "B", "nbhd_name": "Birch", "TYPE": " city "}, strip(1)),
          ({"nbhd_code": "T", "nbhd_name": "Tillman Town", "TYPE": "Town"}, strip(2)),
          ({"nbhd_code": "U", "nbhd_name": "County Land", "TYPE": "Unincorporated"}, strip(3))]
IN_EACH = {"R-1": -122.935, "R-2": -122.925, "R-3": -122.915, "R-4": -122.905}


@pytest.mark.parametrize("rule", ['keep_values = ["CITY"]', 'drop_values = ["town ", "Unincorporated"]'])
def test_a_county_wide_file_keeps_only_the_city_features(data_dir, rule):
    profile = write_profile(data_dir, f'keep_property = "type"\n{rule}')
    db = city.import_files(profile, write_registry(data_dir / "r.csv", IN_EACH),
                           write_geojson(data_dir / "county.geojson", COUNTY))
    assert table(db, "SELECT neighborhood_id FROM neighborhoods ORDER BY 1")["neighborhood_id"] \
        .tolist() == ["A", "B"]
    rows = sources(db).loc["neighborhoods"]
    assert rows[["rows_raw", "rows_loaded", "rows_merged", "rows_rejected"]].tolist() == [4, 2, 0, 2]
    cut = table(db, "SELECT row_number, reason, raw FROM rejected_records "
                    "WHERE source_id = 'neighborhoods' ORDER BY row_number")
    assert cut[["row_number", "reason"]].values.tolist() == [
        [3, "outside the city: TYPE is Town"], [4, "outside the city: TYPE is Unincorporated"]]
    assert json.loads(cut["raw"].iloc[0])["nbhd_name"] == "Tillman Town"
    assert table(db, "SELECT source_key FROM businesses ORDER BY 1")["source_key"].tolist() == \
        ["R-1", "R-2"]
    outside = table(db, "SELECT row_number, reason FROM rejected_records "
                        "WHERE source_id = 'businesses' ORDER BY row_number")
    assert outside.values.tolist() == [[3, "outside the city"], [4, "outside the city"]]
    assert reconciles(db)


def test_a_filter_that_keeps_nothing_is_one_sentence(data_dir):
    profile = write_profile(data_dir, 'keep_property = "Type"\nkeep_values = ["Village"]')
    with pytest.raises(PipelineError) as error:
        city.import_files(profile, write_registry(data_dir / "r.csv", IN_EACH),
                          write_geojson(data_dir / "county.geojson", COUNTY))
    assert str(error.value) == (
        f"{profile}: boundaries.keep_values ['Village'] keeps no feature of county.geojson, whose "
        "TYPE values are City, Town, Unincorporated, city; use values from that list.")


def test_a_property_the_file_lacks_is_named_with_its_key(data_dir):
    profile = write_profile(data_dir, 'keep_property = "kind"\ndrop_values = ["Town"]')
    with pytest.raises(PipelineError, match=r"^county.geojson has no property 'kind', which .*"
                                            r"riverton.toml names in boundaries.keep_property; "
                                            r"its properties are nbhd_code, nbhd_name, TYPE\.$"):
        city.import_files(profile, write_registry(data_dir / "r.csv", IN_EACH),
                          write_geojson(data_dir / "county.geojson", COUNTY))


# Clip to the city limits ----------------------------------------------------------------------

NEIGHBORHOODS = [({"nbhd_code": code, "nbhd_name": name}, strip(i))
                 for i, (code, name) in enumerate([("A", "Alder"), ("B", "Birch"), ("C", "Cove")])]
# The city limits take all of A, the west half of B and nothing of C (a neighbouring town's).
LIMITS = box(WEST - 0.01, SOUTH - 0.01, WEST + 1.5 * WIDTH, NORTH + 0.01)
NEIGHBOUR = box(WEST + 1.5 * WIDTH, SOUTH - 0.01, WEST + 3.5 * WIDTH, NORTH + 0.01)
CLIP_POINTS = {"R-1": -122.935, "R-2": -122.9275, "R-3": -122.9225, "R-4": -122.915}


def place_properties(code: str, name: str) -> dict:
    """A row of a Census cartographic boundary place file."""
    return {"STATEFP": STATE, "PLACEFP": code, "PLACENS": "00000001",
            "AFFGEOID": f"1600000US{STATE}{code}", "GEOID": f"{STATE}{code}", "NAME": name,
            "NAMELSAD": f"{name} city", "LSAD": "25", "ALAND": 1000, "AWATER": 0}


def place_zip(folder: Path) -> Path:
    """Two places of state 99 in the Census layout (NAD83 shapefile), zipped as it is shipped."""
    shapes = gpd.GeoDataFrame([place_properties(PLACE, "Riverton"),
                               place_properties("54321", "Cove")],
                              geometry=[LIMITS, NEIGHBOUR], crs="EPSG:4269")
    shapes.to_file(folder / "cb_2023_99_place_500k.shp")
    archive = folder / "cb_2023_99_place_500k.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for part in folder.glob("cb_2023_99_place_500k.*"):
            if part.suffix != ".zip":
                zipped.write(part, part.name)
    return archive


def test_clipping_to_the_place_halves_a_neighborhood_and_drops_one_outside(data_dir, capsys):
    profile = write_profile(data_dir, "clip_to_place = true")
    place = write_geojson(data_dir / "place.geojson",
                          [(place_properties("54321", "Cove"), NEIGHBOUR),
                           (place_properties(PLACE, "Riverton"), LIMITS)])
    args = ["import", "--city", str(profile), "--place", str(place),
            "--businesses", str(write_registry(data_dir / "r.csv", CLIP_POINTS)),
            "--neighborhoods", str(write_geojson(data_dir / "n.geojson", NEIGHBORHOODS))]
    assert main(args) == 0
    assert "clipping the neighborhoods to the city limits (place.geojson)" in capsys.readouterr().err
    db = data_dir / "riverton.duckdb"
    areas = table(db, "SELECT neighborhood_id, area_km2 FROM neighborhoods ORDER BY 1")
    assert areas["neighborhood_id"].tolist() == ["A", "B"]
    whole, half = box_km2(WEST, WEST + WIDTH), box_km2(WEST + WIDTH, WEST + 1.5 * WIDTH)
    assert areas["area_km2"].tolist() == pytest.approx([whole, half], rel=0.01)
    assert areas["area_km2"].iloc[1] / areas["area_km2"].iloc[0] == pytest.approx(0.5, rel=1e-3)
    rows = sources(db)
    assert rows.loc["neighborhoods", ["rows_raw", "rows_loaded", "rows_rejected"]].tolist() == [3, 2, 1]
    assert table(db, "SELECT row_number, reason FROM rejected_records WHERE source_id = "
                     "'neighborhoods'").values.tolist() == [[3, "outside the city limits"]]
    place_row = rows.loc["place"]
    assert place_row["kind"] == "neighborhoods" and place_row["rows_loaded"] == 1
    assert place_row["name"] == ("Census cartographic boundary files: places (1:500,000) "
                                 "(local file place.geojson)")
    assert table(db, "SELECT source_key FROM businesses ORDER BY 1")["source_key"].tolist() == \
        ["R-1", "R-2"]
    assert table(db, "SELECT row_number, reason FROM rejected_records WHERE source_id = "
                     "'businesses' ORDER BY 1").values.tolist() == \
        [[3, "outside the city"], [4, "outside the city"]]
    assert reconciles(db)


def test_without_a_place_file_the_import_says_it_does_not_clip(data_dir):
    profile = write_profile(data_dir, "clip_to_place = true")
    said: list[str] = []
    db = city.import_files(profile, write_registry(data_dir / "r.csv", CLIP_POINTS),
                           write_geojson(data_dir / "n.geojson", NEIGHBORHOODS), on_step=said.append)
    cache = RawCache(paths.raw_cache_dir(), "riverton")
    assert (f"no --place file and the Census place boundary not in the cache "
            f"({cache.path('places')}); the neighborhoods are not clipped to the city limits") in said
    assert table(db, "SELECT count(*) FROM neighborhoods").iloc[0, 0] == 3
    assert "place" not in sources(db).index


def test_a_place_file_without_clip_to_place_is_refused(data_dir):
    profile = write_profile(data_dir, 'keep_property = "nbhd_code"\ndrop_values = ["C"]')
    with pytest.raises(PipelineError, match=r"^The --place file is used only to clip the "
                                            r"neighborhoods to the city limits: set "
                                            r"boundaries.clip_to_place = true"):
        city.import_files(profile, write_registry(data_dir / "r.csv", CLIP_POINTS),
                          write_geojson(data_dir / "n.geojson", NEIGHBORHOODS),
                          place=write_geojson(data_dir / "p.geojson", [({}, LIMITS)]))


def test_a_place_code_the_file_lacks_is_one_sentence(data_dir):
    profile = write_profile(data_dir, "clip_to_place = true")
    place = write_geojson(data_dir / "p.geojson", [(place_properties("54321", "Cove"), NEIGHBOUR)])
    with pytest.raises(PipelineError, match=r"^p.geojson has no polygon of place 9912345, which "
                                            r".*riverton.toml names in geography.place_fips; "):
        city.import_files(profile, write_registry(data_dir / "r.csv", CLIP_POINTS),
                          write_geojson(data_dir / "n.geojson", NEIGHBORHOODS), place=place)


def test_limits_that_hold_no_neighborhood_are_one_sentence(data_dir):
    profile = write_profile(data_dir, "clip_to_place = true")
    place = write_geojson(data_dir / "p.geojson", [({"name": "Elsewhere"}, box(0, 0, 1, 1))])
    with pytest.raises(PipelineError, match=r"^No neighborhood of n.geojson lies within the city "
                                            r"limits \(Census place 9912345\); check "
                                            r"geography.place_fips in .*riverton.toml"):
        city.import_files(profile, write_registry(data_dir / "r.csv", CLIP_POINTS),
                          write_geojson(data_dir / "n.geojson", NEIGHBORHOODS), place=place)


# The Census place file: fetched, cached, reused offline ---------------------------------------

def fill_city_cache(cache: RawCache, folder: Path) -> None:
    registry = write_registry(folder / "r.csv", CLIP_POINTS)
    cache.write("businesses", "registry.csv", registry.read_bytes(),
                "https://data.riverton.example/resource/rvt1-biz1.json", {}, len(CLIP_POINTS))
    boundaries = write_geojson(folder / "n.geojson", NEIGHBORHOODS)
    cache.write("neighborhoods", "rvt1-nbh1.geojson", boundaries.read_bytes(),
                "https://data.riverton.example/resource/rvt1-nbh1.geojson", {}, 3)


@responses.activate
def test_the_place_zip_is_fetched_cached_and_reused_offline(data_dir, tmp_path):
    profile = write_profile(data_dir, "clip_to_place = true")
    cache = RawCache(paths.raw_cache_dir(), "riverton")
    responses.get(PLACE_URL, body=place_zip(tmp_path).read_bytes())
    path = census_places.fetch(STATE, 2023, cache, HttpClient(sleep=lambda seconds: None))
    assert path == cache.path("places") / "cb_2023_99_place_500k.zip"
    assert [(e["url"], e["rows"]) for e in cache.entries("places")] == [(PLACE_URL, 2)]
    place = census_places.parse(path, STATE, PLACE)
    assert place[["geoid", "name"]].values.tolist() == [["9912345", "Riverton city"]]
    assert place.crs.to_epsg() == 4326
    assert place.geometry.iloc[0].bounds == pytest.approx(LIMITS.bounds, abs=1e-6)

    fill_city_cache(cache, tmp_path)
    asked = len(responses.calls)
    said: list[str] = []
    db = city.build_city(profile, offline=True, on_step=said.append)
    assert len(responses.calls) == asked == 1
    assert "clipping the neighborhoods to the city limits (cb_2023_99_place_500k.zip)" in said
    rows = sources(db)
    assert rows.loc["place", "url"] == PLACE_URL
    assert rows.loc["neighborhoods", ["rows_loaded", "rows_rejected"]].tolist() == [2, 1]
    assert reconciles(db)


@responses.activate
def test_an_offline_build_without_the_cached_place_says_so_and_does_not_clip(data_dir, tmp_path):
    profile = write_profile(data_dir, "clip_to_place = true")
    cache = RawCache(paths.raw_cache_dir(), "riverton")
    fill_city_cache(cache, tmp_path)
    said: list[str] = []
    db = city.build_city(profile, offline=True, on_step=said.append)
    assert (f"the Census place boundary not in the cache ({cache.path('places')}); the "
            "neighborhoods are not clipped to the city limits") in said
    assert not responses.calls
    assert table(db, "SELECT count(*) FROM neighborhoods").iloc[0, 0] == 3
    assert "place" not in sources(db).index


@responses.activate
def test_a_build_fetches_the_missing_place(data_dir, tmp_path, monkeypatch):
    profile = profiles.load_profile(write_profile(data_dir, "clip_to_place = true"))
    cache = RawCache(paths.raw_cache_dir(), "riverton")
    responses.get(PLACE_URL, body=place_zip(tmp_path).read_bytes())
    said: list[str] = []
    build = Build(profile, said.append)
    client = HttpClient(sleep=lambda seconds: None)
    path = city._cached_or_fetched(census_places.PLACE, profile, cache, client, build)
    assert said == ["fetching the Census place boundary of place 12345"]
    assert path == cache.files("places") and len(responses.calls) == 1
    assert city._cached_or_fetched(census_places.PLACE, profile, cache, None, build) == path
    # cached: no request
    assert len(responses.calls) == 1 and len(said) == 1


# Profile keys ---------------------------------------------------------------------------------

CHICAGO = ROOT / "data" / "cities" / "chicago.toml"
NO_PLACE = "# no place_fips"


def chicago_with(folder: Path, geography: str = "", boundaries: str = "") -> Path:
    """The shipped Chicago profile with `geography` added; a `place_fips` in it (or
    NO_PLACE) stands in place of the profile's own."""
    text = CHICAGO.read_text()
    if "place_fips" in geography:
        text = re.sub(r"(?m)^place_fips = .*\n", "", text)
    text = text.replace('state_abbr = "IL"\n', f'state_abbr = "IL"\n{geography}\n')
    path = folder / "chicago.toml"
    path.write_text(text + (f"\n[boundaries]\n{boundaries}\n" if boundaries else ""))
    return path


@pytest.mark.parametrize("geography, boundaries, problem", [
    ("place_fips = 14000", "",
     "key 'geography.place_fips' must be a 5-digit string such as \"14000\""),
    ('place_fips = "1400"', "",
     "key 'geography.place_fips' must be a 5-digit string such as \"14000\""),
    ("", 'keep_property = 3\nkeep_values = ["City"]',
     "key 'boundaries.keep_property' must be a non-empty string"),
    ("", 'keep_property = "type"\nkeep_values = [1]',
     "key 'boundaries.keep_values' must be a string or a list of strings"),
    ("", 'keep_property = "type"\ndrop_values = true',
     "key 'boundaries.drop_values' must be a string or a list of strings"),
    ('place_fips = "14000"', 'clip_to_place = "yes"',
     "key 'boundaries.clip_to_place' must be true or false"),
    (NO_PLACE, "clip_to_place = true",
     "key 'boundaries.clip_to_place' needs 'geography.place_fips'; key 'layers[2].census' needs "
     "'geography.place_fips' (the city limits its areas are chosen by and cut to)"),
    ("", 'keep_property = "type"',
     "key 'boundaries.keep_property' needs 'boundaries.keep_values' or 'boundaries.drop_values'"),
    ("", 'keep_values = ["City"]',
     "key 'boundaries.keep_values' (or 'boundaries.drop_values') needs 'boundaries.keep_property'"),
    ("", 'keep_property = "type"\nkeep_values = ["City"]\ndrop_values = ["Town"]',
     "keys 'boundaries.keep_values' and 'boundaries.drop_values' cannot be given together"),
    ("", 'keep_proprety = "type"',
     "key 'boundaries.keep_proprety' is not a known key (see docs/cities.md)"),
])
def test_boundary_keys_of_the_wrong_kind_name_the_file_and_the_key(tmp_path, geography,
                                                                   boundaries, problem):
    path = chicago_with(tmp_path, geography, boundaries)
    with pytest.raises(PipelineError) as error:
        profiles.load_profile(path)
    assert str(error.value) == f"{path}: {problem}."


def test_boundary_keys_are_read_into_the_profile(tmp_path):
    path = chicago_with(tmp_path, 'place_fips = "14000"',
                        'keep_property = "type"\nkeep_values = "City"\nclip_to_place = true')
    profile = profiles.load_profile(path)
    assert profile.geography.place_fips == "14000"
    assert profile.boundaries == profiles.BoundaryRules("type", ("City",), (), True)
    assert profiles.load_profile("chicago").boundaries == profiles.BoundaryRules()


# Real data: the Illinois tract file as a county-wide neighborhood file -------------------------

def realdata(relative: str) -> Path:
    path = REALDATA / relative
    if not path.exists():
        pytest.skip(f"../shared/realdata is not here ({relative} missing)")
    return path


def tracts_as_neighborhoods(folder: Path, geography: str, boundaries: str) -> Path:
    """Chicago's profile reading census tracts as its neighborhoods (GEOID, NAME)."""
    path = chicago_with(folder, geography, boundaries)
    path.write_text(path.read_text()
                    .replace('neighborhood_id = "area_numbe"', 'neighborhood_id = "geoid"')
                    .replace('neighborhood_name = "community"', 'neighborhood_name = "name"'))
    return path


def test_real_illinois_tracts_keep_only_cook_county(tmp_path):
    path = realdata("census_tracts_cb/cb_2018_17_tract_500k.geojson")
    features = json.loads(path.read_text())["features"]
    cook = {f["properties"]["GEOID"] for f in features if f["properties"]["COUNTYFP"] == "031"}
    profile = tracts_as_neighborhoods(tmp_path, "", 'keep_property = "countyfp"\n'
                                                    'keep_values = ["031"]')
    boundaries = readers.read_boundaries(path, profiles.load_profile(profile))
    assert len(boundaries.shapes) == len(cook) > 1000
    assert set(boundaries.shapes["neighborhood_id"]) == cook
    assert boundaries.rows_raw == len(features)
    assert len(boundaries.rejected) == len(features) - len(cook)
    assert boundaries.rows_raw == len(boundaries.shapes) + boundaries.rows_merged \
        + len(boundaries.rejected)
    reasons = {reason for _, reason, _ in boundaries.rejected}
    assert "outside the city: COUNTYFP is 043" in reasons                     # DuPage County
    assert all(r.startswith("outside the city: COUNTYFP is ") for r in reasons)
    assert not any(r.endswith(" 031") for r in reasons)


def test_real_cook_tracts_clipped_to_chicago_keep_the_portals_chicago_tracts(tmp_path):
    """Chicago's 50 wards together are its city limits (a file without place codes is taken
    whole); the Chicago portal lists the 801 tracts within the city, noting those partly outside."""
    tracts = realdata("census_tracts_cb/cb_2018_17_tract_500k.geojson")
    wards = realdata("chicago_wards/wards_2015_2023_ward_only.geojson")
    portal = pd.read_csv(realdata("chicago_census_geography/census_tracts_2010_chicago_portal.csv"),
                         encoding="cp1252", dtype=str)
    path = tracts_as_neighborhoods(tmp_path, 'place_fips = "14000"', 'keep_property = "COUNTYFP"\n'
                                   'keep_values = ["031"]\nclip_to_place = true')
    place = census_places.parse(wards, "17", "14000")
    boundaries = readers.read_boundaries(tracts, profiles.load_profile(path), place)
    kept, listed = set(boundaries.shapes["neighborhood_id"]), set(portal["GEOID10"])
    missing = portal[portal["GEOID10"].isin(listed - kept)]
    assert len(listed) == 801 and len(missing) <= 2
    assert missing["NOTES"].str.contains("outside City Boundary").all()
    assert len(kept - listed) <= 5                      # slivers past the generalized edges
    reasons = [reason for _, reason, _ in boundaries.rejected]
    assert reasons.count("outside the city limits") == 1318 - len(kept)
    area = geo.area_km2(boundaries.shapes.geometry).sum()
    assert area == pytest.approx(geo.area_km2(place.geometry).sum(), rel=0.03)


def test_every_boundary_key_is_documented():
    docs = (ROOT / "docs" / "cities.md").read_text()
    keys = [k for k in profiles.SPEC if k.startswith("boundaries.") or k == "geography.place_fips"]
    assert len(keys) == 5 and [k for k in keys if f"`{k}`" not in docs] == []
    assert "## County-wide boundary files" in docs and "[--place P]" in docs
