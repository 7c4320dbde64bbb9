"""The demo city: deterministic, big enough, geographically nested, and honest about rows."""
from __future__ import annotations

import json

import duckdb
import numpy as np
import pandas as pd
import pytest
import shapely

from data_pipeline import canonical as c
from data_pipeline import geo
from data_pipeline.demo import build_demo
from core.categories import SECTORS, UNKNOWN_CATEGORY
from data_pipeline import demo

FRAMES = ["neighborhoods", "tracts", "tract_weights", "businesses", "sources", "jobs",
          "jobs_by_sector", "business_patterns", "zip_weights", "nonemployers", "rejected",
          "unmapped_categories"]


@pytest.fixture(scope="module")
def city() -> c.CityData:
    return demo.generate(seed=42)


@pytest.fixture(scope="module")
def names(city) -> pd.Series:
    return city.neighborhoods.set_index("neighborhood_id")["name"]


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame with its geometry as WKB bytes, so two frames compare exactly."""
    out = pd.DataFrame(frame).copy()
    if "geometry" in out:
        out["geometry"] = shapely.to_wkb(out["geometry"].to_numpy())
    return out


def active_on_december_31(businesses: pd.DataFrame, year: int) -> pd.Series:
    end = pd.Timestamp(f"{year}-12-31")
    return (businesses["opened"] <= end) & (businesses["closed"].isna() | (businesses["closed"] > end))


def test_same_seed_gives_identical_tables(city):
    again = demo.generate(seed=42)
    for name in FRAMES:
        pd.testing.assert_frame_equal(comparable(getattr(city, name)),
                                      comparable(getattr(again, name)), obj=name)
    assert (again.city_name, again.build_info) == (city.city_name, city.build_info)


def test_another_seed_gives_another_city(city):
    other = demo.generate(seed=43)
    assert other.build_info["seed"] == "43"
    for name in ("neighborhoods", "tracts", "businesses", "jobs", "business_patterns"):
        mine, theirs = comparable(getattr(city, name)), comparable(getattr(other, name))
        assert not mine.equals(theirs), f"{name} did not change with the seed"


def test_city_is_big_enough_and_plainly_fictional(city):
    assert len(city.neighborhoods) >= 30
    assert len(city.tracts) >= 120
    assert len(city.businesses) >= 40_000
    years = city.businesses["opened"].dt.year
    first, last = int(city.build_info["first_year"]), int(city.build_info["last_year"])
    assert last - first + 1 >= 10
    assert set(range(first, last + 1)) <= set(years)
    assert city.city_name == "Port Juniper (demo city)" and city.city_slug == "demo"
    info = city.build_info
    assert (info["is_demo"], info["seed"], info["state_fips"], info["county_fips"]) == (
        "true", "42", "00", "001")
    assert "synthetic" in info["demo_note"]
    assert city.neighborhoods.crs.to_epsg() == 4326 and city.tracts.crs.to_epsg() == 4326
    lon, lat = city.neighborhoods.geometry.union_all().centroid.coords[0]
    assert abs(lat - 41.0) < 0.1 and abs(lon + 95.5) < 0.1


def test_every_tract_lies_inside_exactly_one_neighborhood(city):
    hoods = city.neighborhoods.set_index("neighborhood_id").geometry
    given = city.tract_weights.set_index("geoid")
    assert given.index.is_unique and set(given.index) == set(city.tracts["geoid"])
    assert set(given["method"]) == {"nested"} and (given["weight"] == 1.0).all()
    home = given.loc[city.tracts["geoid"], "neighborhood_id"]
    assert all(hoods[h].covers(t) for h, t in zip(home, city.tracts.geometry))
    by_area = geo.tract_weights_by_area(city.tracts, city.neighborhoods)
    assert by_area["geoid"].is_unique and len(by_area) == len(city.tracts)
    assert np.allclose(by_area["weight"], 1.0)
    assert (by_area.set_index("geoid")["neighborhood_id"] == given["neighborhood_id"]).all()
    assert given.groupby("neighborhood_id").size().min() >= 4


def test_shapes_are_valid_irregular_polygons_with_plain_ids(city):
    hoods = city.neighborhoods
    assert hoods.is_valid.all() and city.tracts.is_valid.all()
    assert list(hoods["neighborhood_id"]) == [f"N{i:02d}" for i in range(1, len(hoods) + 1)]
    assert hoods["name"].is_unique
    vertices = shapely.get_num_coordinates(hoods.geometry.to_numpy())
    assert vertices.min() > 20, "neighborhoods should have wobbly edges, not plain polygons"
    geoids = city.tracts["geoid"]
    assert geoids.is_unique and geoids.str.fullmatch(r"00001\d{6}").all()


def test_business_points_fall_in_their_neighborhood_and_tract(city):
    b = city.businesses
    hood = geo.assign_points(b["latitude"], b["longitude"], city.neighborhoods, "neighborhood_id")
    tract = geo.assign_points(b["latitude"], b["longitude"], city.tracts, "geoid")
    assert (hood == b["neighborhood_id"].to_numpy()).all()
    assert (tract == b["tract_geoid"].to_numpy()).all()


def test_sources_reconcile_and_rejected_rows_say_why(city):
    s = city.sources.set_index("source_id")
    assert (s["rows_raw"] == s["rows_loaded"] + s["rows_merged"] + s["rows_rejected"]).all()
    kept = city.rejected.groupby("source_id").size().reindex(s.index, fill_value=0)
    assert (kept == s["rows_rejected"]).all()
    b = city.businesses
    registry = s.loc["demo_registry"]
    assert registry["rows_loaded"] == len(b)
    assert registry["rows_merged"] == b["terms_merged"].sum() - len(b)
    assert set(s["kind"]) >= {"businesses", "neighborhoods", "tracts", "acs", "jobs",
                              "business_patterns", "nonemployers"}
    assert s["url"].isna().all() and s["publisher"].str.contains("synthetic").all()
    assert city.rejected["row_number"].is_unique
    raw = city.rejected.assign(row=[json.loads(r) for r in city.rejected["raw"]])
    by_reason = {reason: group["row"].tolist() for reason, group in raw.groupby("reason")}
    assert len(by_reason) == 4
    assert all(r["latitude"] is None for r in by_reason["no coordinates"])
    assert all(r["term_end"] < r["term_start"]
               for r in by_reason["license term ends before it starts"])
    outside = by_reason["location outside the city boundary"]
    assert not any(geo.assign_points([r["latitude"] for r in outside],
                                     [r["longitude"] for r in outside],
                                     city.neighborhoods, "neighborhood_id"))


def test_businesses_follow_the_canonical_rules(city):
    b = city.businesses
    assert list(b.columns) == c.BUSINESS_COLUMNS
    assert b["business_id"].is_unique and b["business_id"].str.fullmatch(r"demo-\d{6}").all()
    assert (b["source_key"] == b["business_id"]).all() and set(b["source"]) == {"demo_registry"}
    assert (b["is_micro"] >= (b["home_based"] | b["sole_proprietor"])).all()
    assert set(b.loc[b["is_micro"] & ~b["home_based"] & ~b["sole_proprietor"],
                     "license_type"]) == {"Limited business"}
    assert set(b["category"]) <= set(SECTORS.values()) | {UNKNOWN_CATEGORY}
    assert b["naics_sector"].dropna().isin(list(SECTORS)).all()
    unknown = b["category"] == UNKNOWN_CATEGORY
    assert (unknown == b["naics_sector"].isna()).all() and unknown.any()
    assert set(b.loc[unknown, "raw_category"]) == set(city.unmapped_categories["raw_category"])
    assert b.loc[b["home_based"], "address"].isna().all()
    assert (b["terms_merged"] > 1).mean() > 0.5
    assert (b["closed"].dropna() > b.loc[b["closed"].notna(), "opened"]).all()
    stock = b[b["opened"] < "2012-01-01"]
    assert len(stock) > 1000 and active_on_december_31(stock, 2012).sum() > 1000


def test_openings_dip_and_closures_rise_in_2020(city):
    opened = city.businesses["opened"].dt.year.value_counts()
    closed = city.businesses["closed"].dt.year.value_counts()
    assert opened[2020] < 0.8 * opened[2019] and opened[2021] > opened[2020]
    assert closed[2020] > 1.3 * closed[2019]


def test_home_based_share_differs_between_corridor_and_edges(city, names):
    b = city.businesses
    share = b.groupby("neighborhood_id")["home_based"].mean()
    outline = city.neighborhoods.geometry.union_all().boundary
    touching = shapely.length(shapely.intersection(
        city.neighborhoods.geometry.boundary.to_numpy(), outline)) > 0
    edges = city.neighborhoods.loc[touching, "neighborhood_id"]
    corridor = names[names == "Market Street"].index[0]
    assert share[corridor] < 0.15
    assert share[edges].median() > 0.5


def test_one_neighborhood_grows_and_one_declines(city, names):
    b = city.businesses.assign(name=city.businesses["neighborhood_id"].map(names))
    growing = b[b["name"] == "Prairie Commons"]
    openings = growing["opened"].dt.year.value_counts().sort_index().loc[2012:]
    assert openings.is_monotonic_increasing and openings.iloc[-1] > 3 * openings.iloc[0]
    declining = b[b["name"] == "Old Mill"]
    assert active_on_december_31(declining, 2025).sum() < 0.8 * active_on_december_31(
        declining, 2012).sum()


def test_jobs_add_up_and_tell_the_story(city, names):
    jobs = city.jobs
    years = sorted(jobs["year"].unique())
    assert len(jobs) == len(city.tracts) * len(years) and len(years) >= 10
    sums = city.jobs_by_sector.groupby(["geo_id", "year"])["jobs"].sum()
    assert sums.reindex(pd.MultiIndex.from_frame(jobs[["geo_id", "year"]])).to_numpy().tolist() \
        == jobs["jobs_total"].tolist()
    assert (jobs["jobs_private"] < jobs["jobs_total"]).all()
    assert (jobs["jobs_small_firms"] <= jobs["jobs_private"]).all()
    assert (jobs["jobs_young_firms"] <= jobs["jobs_private"]).all()
    by_year = jobs.groupby("year")["jobs_total"].sum()
    assert by_year[2020] < 0.95 * by_year[2019] and by_year[2022] > by_year[2020]
    share = jobs[jobs["year"] == 2019].groupby("neighborhood_id")["jobs_total"].sum()
    assert names[share.idxmax()] == "Market Street" and share.max() > 0.3 * share.sum()
    growing = jobs[jobs["neighborhood_id"].map(names) == "Prairie Commons"]
    series = growing.groupby("year")["jobs_total"].sum()
    assert series.iloc[-1] > 2 * series.iloc[0]


def test_residents_carry_margins_of_error(city):
    t = city.tracts
    assert (t["acs_year"] == int(city.build_info["last_year"])).all()
    assert (t["population"] < 100).sum() >= 1
    cv = t["population_moe"] / 1.645 / t["population"]
    assert cv[t["population"] < 100].min() > 0.4
    small, large = t["population"].quantile([0.25, 0.75])
    assert cv[t["population"] <= small].median() > cv[t["population"] >= large].median()
    assert (t["labor_force"] >= t["employed"]).all() and (t["population"] >= t["labor_force"]).all()


def test_zip_weights_and_business_patterns(city):
    w = city.zip_weights
    assert np.allclose(w.groupby("zip")["weight"].sum(), 1.0)
    assert w.groupby("zip").size().min() >= 2 and w["neighborhood_id"].is_unique
    zip_of = w.set_index("neighborhood_id")["zip"]
    counts = city.businesses["neighborhood_id"].map(zip_of).value_counts()
    one = w.iloc[0]
    mine = (city.businesses["neighborhood_id"] == one["neighborhood_id"]).sum()
    assert one["weight"] == pytest.approx(mine / counts[one["zip"]])
    bp = city.business_patterns
    assert set(bp["geo_id"]) <= set(w["zip"]) and set(bp["geo_level"]) == {"zip"}
    assert set(bp["size_class"]) == {"001", "212", "220", "230", "241"}
    wide = bp[bp["naics"] == "00"].pivot_table(index=["geo_id", "year"], columns="size_class",
                                               values="establishments")
    assert (wide["001"] >= wide[["212", "220", "230", "241"]].sum(axis=1)).all()
    assert not ((bp["year"] >= 2017) & (bp["establishments"] < 3)).any()
    ne = city.nonemployers
    assert set(ne["county_fips"]) == {"00001"} and "00" in set(ne["naics"])


def test_build_demo_loads_every_table(tmp_path, city):
    db = build_demo(tmp_path / "d.duckdb")
    expected = {"neighborhoods": len(city.neighborhoods), "tracts": len(city.tracts),
                "businesses": len(city.businesses), "jobs": len(city.jobs),
                "jobs_by_sector": len(city.jobs_by_sector),
                "business_patterns": len(city.business_patterns),
                "zip_neighborhood_weights": len(city.zip_weights),
                "nonemployers": len(city.nonemployers), "sources": len(city.sources),
                "rejected_records": len(city.rejected),
                "tract_neighborhood_weights": len(city.tracts)}
    with duckdb.connect(str(db), read_only=True) as con:
        for table, rows in expected.items():
            assert con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == rows, table
        seed = con.execute("SELECT value FROM build_info WHERE key = ?", ["seed"]).fetchone()[0]
    assert seed == "42"
