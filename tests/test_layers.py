"""More than one set of areas per city (issue 17, part 1): a profile's `[[layers]]`, each
built into a database of its own with its shapes standing in for the neighborhoods, and the
dashboard's `?layer=` switch.

The demo city's second layer is six districts made of its neighborhoods
and its twelve ZIP codes (`data_pipeline/demo/layers.py`); Chicago's is its 50 wards (../shared/realdata, skipped
when absent).
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from core import i18n, paths
from core.metrics import REGISTRY
from dashboard import db as dbmod
from dashboard import exports, find, images, queries
from data_pipeline import city, geo, profiles
from data_pipeline.demo import layers as demo_layers
from data_pipeline.load import write_database
from tests import tiny_city as tiny
from tests.apptest import assert_clean, run_page
from tests.test_app_exports import buttons, made, read_download_csv  # noqa: F401, F811 (a fixture)

REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"
COUNTS = [m.id for m in REGISTRY.values() if m.kind == "count" and m.unit == "businesses"]


def frame(path: Path, sql: str, params=()) -> pd.DataFrame:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, list(params)).df()


def by_area(path: Path) -> pd.DataFrame:
    return frame(path, "SELECT geo_level, geo_id, year, metric_id, value, suppressed "
                       "FROM metrics_long WHERE geo_level IN ('neighborhood', 'city')")


# --- The profile -------------------------------------------------------------------------

def test_each_shipped_profile_lists_its_districts_and_its_zip_codes():
    found = {slug: [(layer.id, layer.singular) for layer in profiles.load_profile(slug).layers]
             for slug in ("chicago", "nyc", "sf")}
    zips = ("zips", "ZIP code")
    assert found == {
        "chicago": [("neighborhoods", "neighborhood"), ("wards", "ward"), zips],
        "nyc": [("neighborhoods", "neighborhood"), ("council_districts", "council district"),
                zips],
        "sf": [("neighborhoods", "neighborhood"),
               ("supervisor_districts", "supervisor district"), zips]}
    for slug in found:   # the ZIP codes from the Census file, cut to the city limits
        profile = profiles.load_profile(slug)
        assert profile.layer("zips").census == "zcta" and profile.geography.place_fips
        assert profile.layer(found[slug][1][0]).dataset is not None


@pytest.mark.parametrize("layer,problem", [
    ({"id": "wards", "singular": "ward", "plural": "wards"}, "key 'layers[1].id_field' is missing"),
    ({"id": "Wards!", "singular": "ward", "plural": "wards", "id_field": "ward"},
     "key 'layers[1].id' must be lowercase letters"),
    ({"id": "neighborhoods", "singular": "x", "plural": "xs", "id_field": "x"},
     "key 'layers[1].id' repeats 'neighborhoods'"),
    ({"id": "wards", "singular": "ward", "plural": "wards", "id_field": "ward", "colour": "red"},
     "key 'layers[1].colour' is not a known key"),
    ({"id": "wards", "singular": "ward", "plural": "wards", "id_field": "ward", "dataset": "x"},
     "key 'layers[1].dataset' must be a Socrata dataset id"),
])
def test_a_wrong_layer_is_named_by_its_key(layer, problem):
    import tomllib
    raw = tomllib.loads(profiles.profile_path("chicago").read_text(encoding="utf-8"))
    raw["layers"] = [layer]
    assert any(p.startswith(problem) for p in profiles.check(raw)), profiles.check(raw)


def test_an_unknown_layer_is_one_sentence():
    with pytest.raises(Exception, match="has no layer 'precincts'; its layers are "
                                        "neighborhoods, wards, zips"):
        profiles.load_profile("chicago").layer("precincts")


def test_a_layer_database_sits_beside_the_first(tmp_path):
    assert paths.layer_path(tmp_path / "chicago.duckdb", "wards") == tmp_path / "chicago.wards.duckdb"
    for name in ("demo.duckdb", "demo.districts.duckdb", "chicago.duckdb", "chicago.wards.duckdb"):
        (tmp_path / name).touch()
    assert list(dbmod.available_databases(tmp_path)) == ["demo", "chicago"]
    assert list(dbmod.available_layers(tmp_path / "demo.duckdb")) == ["neighborhoods", "districts"]
    assert dbmod.available_layers(tmp_path / "chicago.duckdb") == {
        "neighborhoods": tmp_path / "chicago.duckdb", "wards": tmp_path / "chicago.wards.duckdb"}


# --- The demo city's districts -------------------------------------------------------------

def test_every_district_has_every_figure_a_neighborhood_has(demo_dir):
    hoods, districts = by_area(demo_dir / "demo.duckdb"), by_area(demo_dir / "demo.districts.duckdb")
    first = hoods[hoods["geo_level"] == "neighborhood"]
    second = districts[districts["geo_level"] == "neighborhood"]
    assert second["geo_id"].nunique() == 6
    assert set(second["metric_id"]) == set(first["metric_id"])
    per_district = second.groupby("geo_id")["metric_id"].nunique()
    assert (per_district == first["metric_id"].nunique()).all()
    info = dict(frame(demo_dir / "demo.districts.duckdb", "SELECT key, value FROM build_info")
                .itertuples(index=False))
    assert (info["layer"], info["area_singular"], info["area_plural"]) == (
        "districts", "district", "districts")


def test_district_counts_are_the_sums_of_their_neighborhoods_and_of_the_city(demo_dir):
    """Counts (registry and apportioned Census residents) add up: a district's value is the
    sum of its six neighborhoods', and the districts' sum is the city's, in every year."""
    hoods = by_area(demo_dir / "demo.duckdb")
    districts = by_area(demo_dir / "demo.districts.duckdb")
    shapes = frame(demo_dir / "demo.duckdb", "SELECT neighborhood_id, geometry_wkb FROM neighborhoods")
    shapes = gpd.GeoDataFrame(shapes, geometry=gpd.GeoSeries.from_wkb(
        shapes["geometry_wkb"].map(bytes)), crs="EPSG:4326")
    district_of = demo_layers.district_of(shapes)
    for metric_id in ["active_businesses", "micro_businesses", "formations", "closures",
                      "residents", "jobs_total"]:
        first = hoods[(hoods["metric_id"] == metric_id) & (hoods["geo_level"] == "neighborhood")]
        summed = (first.assign(geo_id=first["geo_id"].map(district_of))
                  .groupby(["geo_id", "year"])["value"].sum())
        second = districts[(districts["metric_id"] == metric_id)
                           & (districts["geo_level"] == "neighborhood")]
        assert not second.empty, metric_id
        mine = second.set_index(["geo_id", "year"])["value"]
        pd.testing.assert_series_equal(mine.sort_index(), summed.sort_index(), check_names=False,
                                       rtol=1e-9)
        town = districts[(districts["metric_id"] == metric_id)
                         & (districts["geo_level"] == "city")].set_index("year")["value"]
        by_year = second.groupby("year")["value"].sum()
        assert by_year.to_dict() == pytest.approx(town.reindex(by_year.index).to_dict()), metric_id


def test_district_shapes_are_unions_of_six_neighborhoods(demo_dir):
    areas = frame(demo_dir / "demo.districts.duckdb", "SELECT neighborhood_id, name FROM neighborhoods "
                                                     "ORDER BY neighborhood_id")
    assert areas["neighborhood_id"].tolist() == [f"D{i}" for i in range(1, 7)]
    assert areas["name"].tolist() == [f"District {i}" for i in range(1, 7)]
    sources = frame(demo_dir / "demo.districts.duckdb",
                    "SELECT rows_raw, rows_loaded, rows_merged FROM sources "
                    "WHERE source_id = 'demo_neighborhoods'")
    assert sources.iloc[0].tolist() == [36, 6, 30]


def test_the_demo_zip_codes_get_their_own_census_counts_whole(demo_dir):
    """The demo's ZIP-code layer: each area is one ZIP code, so the Census establishments
    with 1 to 4 employees of a ZIP code reach it whole (12 pairs for 12 ZIP codes)."""
    path = demo_dir / "demo.zips.duckdb"
    mine = frame(path, "SELECT geo_id, year, value FROM metrics_long WHERE geo_level = "
                       "'neighborhood' AND metric_id = 'census_micro_establishments'")
    zbp = frame(path, "SELECT geo_id, year, establishments::DOUBLE AS value FROM "
                      "business_patterns WHERE geo_level = 'zip' AND naics = '00' "
                      "AND size_class = '212'")
    both = mine.merge(zbp, on=["geo_id", "year"], suffixes=("", "_zbp"))
    assert len(both) == len(mine) == len(zbp) > 0
    assert (both["value"] == both["value_zbp"]).all()
    steps = frame(path, "SELECT method, pairs, source_units FROM apportionment "
                        "WHERE step LIKE 'Census establishments%'")
    assert steps.iloc[0].tolist() == ["business_share", 12, 12]
    names = frame(path, "SELECT name FROM neighborhoods ORDER BY 1")["name"]
    assert names.iloc[0] == "ZIP code 99001" and len(names) == 12


# --- A hand-computed second layer on the tiny city ------------------------------------------

def test_tiny_city_wards_by_hand(tmp_path):
    """Two wards over the tiny city: W1 = N1 + N2 (x from 0 to 2 steps), W2 = N3. The
    pipeline's own point placement and area weights do the apportioning:
    T1 (x 0–1.5) lies in W1, T2 (x 1.5–3) one third in W1 and two thirds in W2, so
    W1 has 150 + 2000/3 residents and W2 4000/3; the businesses are those of their
    neighborhoods."""
    data = tiny.tiny_city()
    step = tiny.STEP
    wards = gpd.GeoDataFrame({"neighborhood_id": ["W1", "W2"], "name": ["Ward 1", "Ward 2"]},
                             geometry=[box(0, 0, 2 * step, step), box(2 * step, 0, 3 * step, step)],
                             crs="EPSG:4326")
    data.neighborhoods = wards
    data.businesses["neighborhood_id"] = geo.assign_points(
        data.businesses["latitude"], data.businesses["longitude"], wards, "neighborhood_id")
    data.tract_weights = geo.tract_weights_by_area(data.tracts, wards)
    data.zip_weights = data.zip_weights.iloc[0:0]
    data.jobs = data.jobs.iloc[0:0]
    data.other_tables = {k: v for k, v in data.other_tables.items() if k != "license_processing"}
    data.build_info = {**data.build_info, **city.layer_info(profiles.Layer(
        "wards", "ward", "wards", "ward"))}
    path = write_database(data, tmp_path / "tiny.wards.duckdb")
    values = by_area(path)
    residents = values[(values["metric_id"] == "residents") & (values["year"] == 2022)]
    got = residents.set_index("geo_id")["value"]
    assert got["W1"] == pytest.approx(150 + 2000 / 3)
    assert got["W2"] == pytest.approx(2000 * 2 / 3)
    assert got["W1"] + got["W2"] == pytest.approx(got["city"])
    active = values[(values["metric_id"] == "active_businesses") & (values["year"] == 2023)]
    active = active.set_index("geo_id")["value"]
    frame_ = tiny.businesses_frame()
    alive = frame_[(pd.to_datetime(frame_["opened"]) <= "2023-12-31")
                   & (frame_["closed"].isna() | (pd.to_datetime(frame_["closed"]) > "2023-12-31"))
                   & ~(pd.to_datetime(frame_["closed"]) < pd.to_datetime(frame_["opened"]))]
    in_w1 = alive["neighborhood_id"].isin(["N1", "N2"])
    assert active["W1"] == in_w1.sum()
    assert active["W2"] == (~in_w1).sum()


# --- The dashboard ---------------------------------------------------------------------------

def test_the_layer_switch_changes_profile_compare_and_map(app_env):
    at = run_page("pages/profile.py", {"layer": "districts"})
    assert_clean(at)
    areas = next(s for s in at.sidebar.selectbox if s.label == "Areas")
    assert areas.options == ["Neighborhoods", "Districts", "ZIP codes"]
    picker = next(s for s in at.selectbox if s.label == "District")
    assert picker.options[:2] == ["District 1", "District 2"]
    assert at.title[0].value == "District 1"
    at = run_page("pages/compare.py", {"layer": "districts"})
    assert_clean(at)
    assert at.title[0].value == "Compare districts"
    assert any(m.label == "Districts (two to four)" for m in at.multiselect)
    at = run_page("pages/map.py", {"layer": "districts", **{"metric": "active_businesses"}})
    assert_clean(at)
    assert any(s.label == "Outline a district" for s in at.selectbox)
    assert any("by district" in m.value for m in at.markdown)



def test_numbered_areas_are_named_in_the_readers_language(app_env, demo_dir):
    """"District 2", "ZIP code 99001" are the build's own words for areas without a name:
    a Spanish reader sees "Distrito 2", "Código postal 99001" (and can search for them);
    a name from a boundary file ("Old Mill") stays as the city writes it."""
    at = run_page("pages/profile.py", {"layer": "districts", "n": "D2", "lang": "es"})
    assert_clean(at)
    assert at.title[0].value == "Distrito 2"
    picker = next(s for s in at.selectbox if s.label == "Distrito")
    assert picker.options[:2] == ["Distrito 1", "Distrito 2"]
    for layer, english, spanish in (("zips", "ZIP code 99001", "Código postal 99001"),
                                    ("districts", "District 1", "Distrito 1")):
        db = dbmod.open_database(demo_dir / f"demo.{layer}.duckdb")
        assert queries.areas(db)["name"].iloc[0] == english
        with i18n.using("es"), i18n.using_areas(*db.areas()):
            assert queries.areas(db)["name"].iloc[0] == spanish
            assert exports.area_name(db, queries.areas(db)["geo_id"].iloc[0]) == spanish
            found = find.search(db, spanish.lower())
            assert found.found and found.name == spanish
    first = dbmod.open_database(demo_dir / "demo.duckdb")
    english = queries.areas(first)["name"].tolist()
    with i18n.using("es"):
        assert queries.areas(first)["name"].tolist() == english and "Old Mill" in english

def test_without_the_layer_the_profile_is_of_neighborhoods(app_env):
    at = run_page("pages/profile.py")
    assert_clean(at)
    assert any(s.label == "Neighborhood" for s in at.selectbox)
    assert "layer" not in at.query_params


def test_a_district_download_says_its_layer(app_env, made):  # noqa: F811 (the fixture)
    at = run_page("pages/profile.py", {"layer": "districts", "n": "D2"})
    assert_clean(at)
    found = buttons(at, made)
    assert found["figures_csv"]["file_name"] == "demo-districts_district-2_figures.csv"
    header, _body = read_download_csv(found["figures_csv"]["make"]())
    assert "# Areas: Districts" in header
    assert any(line.startswith("# Filters: district=District 2 (D2)") for line in header)


def test_district_words_in_spanish(demo_dir):
    db = dbmod.open_database(demo_dir / "demo.districts.duckdb")
    with i18n.using("es"), i18n.using_areas(*db.areas()):
        assert i18n.areas(plural=True, capital=True) == "Distritos"
        assert exports.city_info(db)["slug"] == "demo-districts"
        assert "Distritos" in exports.metric_meta(db, ["active_businesses"], "t",
                                                  pd.Timestamp("2024-01-01").date()).lines()[2]


# --- Chicago's wards (real boundaries) --------------------------------------------------------

@pytest.mark.skipif(not REALDATA.is_dir(), reason=f"the real-data samples are not at {REALDATA}")
def test_chicago_wards_from_the_real_boundaries(tmp_path, monkeypatch):
    """The 10k licence sample, the 2023 ward map and the Census tracts: 50 wards named
    "Ward 1" … "Ward 50", each with every figure the community-area build has; the
    registry's counts add up to the city's and the tracts' weights reconcile."""
    monkeypatch.setenv("ATLAS_DATA_DIR", str(tmp_path))
    given = dict(businesses=REALDATA / "chicago_business_licenses/business_licenses_sample10k_csv_2024.csv",
                 tracts=REALDATA / "census_tracts_cb/cb_2018_17_tract_500k.geojson")
    first = city.import_files("chicago", neighborhoods=REALDATA / "chicago_community_areas/"
                              "community_areas_current.geojson", **given)
    wards = city.import_files("chicago", neighborhoods=REALDATA / "chicago_wards/"
                              "wards_2023_p293-wvbd_socrata_plus_fillcolor.geojson",
                              layer="wards", **given)
    assert wards == tmp_path / "chicago.wards.duckdb" and first == tmp_path / "chicago.duckdb"
    names = frame(wards, "SELECT name FROM neighborhoods")["name"]
    assert sorted(names) == sorted(f"Ward {i}" for i in range(1, 51))
    areas, values = by_area(first), by_area(wards)
    mine = values[values["geo_level"] == "neighborhood"]
    theirs = areas[areas["geo_level"] == "neighborhood"]
    assert set(mine["metric_id"]) == set(theirs["metric_id"])
    assert (mine.groupby("geo_id")["metric_id"].nunique() == theirs["metric_id"].nunique()).all()
    for metric_id in ("active_businesses", "micro_businesses", "formations"):
        year = mine.loc[mine["metric_id"] == metric_id, "year"].max()
        rows = values[(values["metric_id"] == metric_id) & (values["year"] == year)]
        town = rows.loc[rows["geo_level"] == "city", "value"].iloc[0]
        assert rows.loc[rows["geo_level"] == "neighborhood", "value"].sum() == town, metric_id
    # Tract weights (the ACS apportionment; the sample has no ACS responses, PROVENANCE.md
    # "Not found"): each tract's weights over the wards add up to the share of it inside
    # the city, at most 1, and to within 0.1% of its weights over the community areas
    # (the two maps' outer edges differ by survey lines).
    weights = {path: frame(path, "SELECT geoid, sum(weight) AS w FROM tract_neighborhood_weights "
                                 "GROUP BY geoid").set_index("geoid")["w"] for path in (first, wards)}
    assert weights[wards].max() <= 1 + 1e-6
    assert weights[wards].sum() == pytest.approx(weights[first].sum(), rel=1e-3)
    assert len(weights[wards]) == len(weights[first]) > 800
    db = dbmod.open_database(wards)
    with i18n.using_areas(*db.areas()):
        assert queries.areas(db)["name"].tolist() == [f"Ward {i}" for i in range(1, 51)]
        assert exports.figures_file_name(db, "12", "csv") == "chicago-wards_ward-12_figures.csv"
    assert images.slugify("Ward 12") == "ward-12"



# New York's council districts and San Francisco's supervisor districts (real boundaries)
OTHER_DISTRICTS = {
    "nyc": ("council_districts", "Council district", 51,
            dict(businesses="nyc_dcwp_businesses/legally_operating_businesses_redhook_csv.csv"),
            "nyc_nta/nynta2020_23a/nynta2020.shp",
            "nyc_council_districts/council_districts_2023_socrata.geojson"),
    "sf": ("supervisor_districts", "Supervisor district", 11,
           dict(businesses="sf_registered_business/registered_business_gas_stations_soda_2017.json",
                tracts="sf_census_geography/cb_2020_06_tract_500k_clipped_to_sf.geojson"),
           "sf_analysis_neighborhoods/analysis_neighborhoods_socrata.geojson",
           "sf_supervisor_districts/supervisor_districts_2022_trimmed_hcgx-vtsb.geojson"),
}


@pytest.mark.skipif(not REALDATA.is_dir(), reason=f"the real-data samples are not at {REALDATA}")
@pytest.mark.parametrize("slug", sorted(OTHER_DISTRICTS))
def test_real_district_maps_of_new_york_and_san_francisco(tmp_path, monkeypatch, slug):
    """The DCWP Red Hook sample on the 51 council districts (2023 map), the DataSF sample on
    the 11 supervisor districts (2022): every district named, the same figures as the
    neighborhood build, the businesses of each set adding up to the same city, and (SF) the
    tracts' weights over the districts within 0.1% of those over the neighborhoods."""
    monkeypatch.setenv("ATLAS_DATA_DIR", str(tmp_path))
    layer, noun, count, given, first_file, layer_file = OTHER_DISTRICTS[slug]
    given = {key: REALDATA / path for key, path in given.items()}
    first = city.import_files(slug, neighborhoods=REALDATA / first_file, **given)
    districts = city.import_files(slug, neighborhoods=REALDATA / layer_file, layer=layer, **given)
    assert districts == tmp_path / f"{slug}.{layer}.duckdb"
    db = dbmod.open_database(districts)
    with i18n.using_areas(*db.areas()):
        assert queries.areas(db)["name"].tolist() == [f"{noun} {i}" for i in range(1, count + 1)]
    mine, theirs = by_area(districts), by_area(first)
    assert set(mine["metric_id"]) == set(theirs["metric_id"])
    for values in (mine, theirs):
        rows = values[values["metric_id"] == "active_businesses"]
        year = rows["year"].max()
        rows = rows[rows["year"] == year]
        town = rows.loc[rows["geo_level"] == "city", "value"].iloc[0]
        assert rows.loc[rows["geo_level"] == "neighborhood", "value"].sum() == town > 0
    placed = "SELECT count(*) AS n FROM businesses"
    assert frame(districts, placed)["n"][0] == frame(first, placed)["n"][0]
    if "tracts" in given:
        weights = {path: frame(path, "SELECT sum(weight) AS w FROM tract_neighborhood_weights")
                   ["w"][0] for path in (first, districts)}
        assert weights[districts] == pytest.approx(weights[first], rel=1e-3)

def test_page_titles_name_the_areas_shown():
    from dashboard.registry import page, title
    assert title(page("profile")) == "Neighborhood profile"
    with i18n.using_areas("ward", "wards"):
        assert (title(page("profile")), title(page("compare")), title(page("map"))) == (
            "Ward profile", "Compare wards", "Map explorer")
        with i18n.using("es"):
            assert (title(page("profile")), title(page("compare"))) == (
                "Perfil: Distrito municipal", "Comparar distritos municipales")


def test_the_brief_from_the_command_line_of_a_district(demo_dir, tmp_path, monkeypatch):
    from pypdf import PdfReader

    from dashboard.__main__ import main
    monkeypatch.setenv("ATLAS_DATA_DIR", str(demo_dir))
    out = tmp_path / "d2.pdf"
    assert main(["brief", "--city", "demo", "--layer", "districts", "--neighborhood",
                 "District 2", "--out", str(out)]) == 0
    text = PdfReader(out).pages[0].extract_text()
    assert "DISTRICT BRIEF" in text and "of 6 districts" in text.replace("\n", " ")
    assert main(["brief", "--city", "demo", "--layer", "wards", "--out", str(out)]) == 1


def test_find_names_the_areas_shown(demo_dir):
    from dashboard import find
    db = dbmod.open_database(demo_dir / "demo.districts.duckdb")
    with i18n.using_areas(*db.areas()):
        assert find.search(db, "district 2").sentence() == "“district 2” is the district District 2."
        assert "matches 6 districts" in find.search(db, "district").sentence()
        with i18n.using("es"):
            assert find.search(db, "district 2").sentence() == (
                "“district 2” es el distrito Distrito 2.")       # its English name found too


def test_a_slide_and_an_embed_of_a_district_take_the_layer_from_the_link(app_env):
    at = run_page("pages/profile.py", {"layer": "districts", "n": "D2", "present": "1",
                                       "slide": "1"})
    assert_clean(at)
    assert not at.sidebar.children          # presentation mode: no sidebar, no switch
    assert "District 2" in " ".join(str(m.value) for m in at.markdown)
    at = run_page("pages/embed.py", {"layer": "districts", "chart": "map", "n": "D2",
                                     "metric": "active_businesses"})
    assert_clean(at)
    assert not at.sidebar.children
    assert "by district" in " ".join(str(m.value) for m in [*at.markdown, *at.caption, *at.title])
