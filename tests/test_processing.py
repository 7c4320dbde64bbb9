"""Red tape: calendar days from a licence application to its issue, worked out by hand.

The tiny city's registry (tests/tiny_city.py, one row per business) with two more
columns, Applied and Issued, mapped by the profile's `[processing]` table. Percentiles
are nearest-rank: of n applications sorted by days, the median is the ⌈n/2⌉-th and the
90th percentile the ⌈9n/10⌉-th (an interpolating quantile would give other numbers
for the city below: a median of 25 days, a 90th percentile of 272.6).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from core import metrics
from core.errors import PipelineError
from data_pipeline import city, license_processing, profiles
from tests import tiny_city

PROCESSING_KEYS = '\n[processing]\napplied = "applied"\nissued = "issued"\n'
ISSUED_2021 = dt.date(2021, 6, 1)
# business → days from application to issue in 2021 (neighborhood and category: BUSINESSES)
DAYS_2021 = {
    "b01": 10, "b02": 40, "b03": 31, "b04": 30, "b05": 5,     # N1: 30 is not over 30 days
    "b09": 0, "b10": 100, "b11": 7,                           # N2
    "b12": -3,                                                # N2: issued before applied
    "b13": 2000,                                              # N2: more than 5 years
    "b17": 1826,                                              # N3: 5 years exactly: counted
    "b19": 20,                                                # N3
    "b21": 12,     # N3, but its row is rejected (term ends before it starts): no application
}
OTHER = {
    "b20": ("2022-01-01", "2022-02-15"),        # N3, 45 days, issued in 2022
    "b22": ("2019-01-01", "2019-02-01"),        # issued before the build's first year
    "b18": ("someday", "2021-06-01"),           # N3: an application date that cannot be read
    "b23": ("2021-01-01", ""),                  # not issued: no application here
}
IDS = [m.id for m in metrics.by_group(metrics.RED_TAPE)]


def registry(dated: bool = True) -> pd.DataFrame:
    rows = pd.DataFrame(tiny_city.registry_rows())
    if dated:
        applied, issued = [], []
        for business in rows["License ID"]:
            if business in DAYS_2021:
                applied.append(str(ISSUED_2021 - dt.timedelta(days=DAYS_2021[business])))
                issued.append(str(ISSUED_2021))
            else:
                applied.append(OTHER.get(business, ("", ""))[0])
                issued.append(OTHER.get(business, ("", ""))[1])
        rows["Applied"], rows["Issued"] = applied, issued
    return rows


def build(folder: Path, profile_text: str, rows: pd.DataFrame, threshold: int | None = None,
          name: str = "tiny") -> Path:
    (folder / f"{name}.toml").write_text(profile_text)
    rows.to_csv(folder / f"{name}.csv", index=False)
    tiny_city.neighborhoods().to_file(folder / "areas.geojson", driver="GeoJSON")
    return city.import_files(folder / f"{name}.toml", folder / f"{name}.csv",
                             folder / "areas.geojson", db=folder / f"{name}.duckdb",
                             suppression_threshold=threshold)


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    path = build(tmp_path_factory.mktemp("processing"), tiny_city.PROFILE + PROCESSING_KEYS,
                 registry())
    with duckdb.connect(str(path), read_only=True) as connection:
        yield connection


def figures(con, metric_id: str, year: int, column: str = "value") -> dict:
    return dict(con.execute(f"SELECT geo_id, {column} FROM metrics_long "  # noqa: S608 (reviewed: test column names)
                            "WHERE metric_id = ? AND year = ?", [metric_id, year]).fetchall())


def test_each_dated_row_is_one_application_and_impossible_intervals_are_kept_apart(con):
    rows = con.execute("SELECT business_id, neighborhood_id, days, excluded FROM "
                       "license_processing ORDER BY business_id").fetchall()
    by_business = {b.split(":")[1]: (hood, days, why) for b, hood, days, why in rows}
    # b21's row is rejected, b23 was never issued, b24 has no dates: none is an application.
    assert set(by_business) == set(DAYS_2021) - {"b21"} | {"b20", "b22", "b18"}
    assert by_business["b12"] == ("N2", -3, license_processing.BEFORE)
    assert by_business["b13"] == ("N2", 2000, license_processing.TOO_LONG)
    assert by_business["b18"] == ("N3", None, license_processing.UNREADABLE)
    assert by_business["b17"] == ("N3", 1826, None)
    assert by_business["b03"] == ("N1", 31, None)
    info = dict(con.execute("SELECT key, value FROM build_info").fetchall())
    assert (info["processing_applications"], info["processing_excluded"]) == ("12", "3")   # 10 in 2021, b20, b22


def test_median_p90_and_share_over_30_days_by_hand(con):
    # 2021, counted days: N1 [5, 10, 30, 31, 40]; N2 [0, 7, 100]; N3 [20, 1826];
    # the city [0, 5, 7, 10, 20, 30, 31, 40, 100, 1826].
    assert figures(con, "processing_applications", 2021) == {"N1": 5, "N2": 3, "N3": 2,
                                                             "city": 10}
    # Median: ⌈n/2⌉-th: N1 3rd, N2 2nd, N3 1st, the city 5th.
    assert figures(con, "processing_days_median", 2021) == {"N1": 30, "N2": 7, "N3": 20,
                                                            "city": 20}
    # 90th percentile: ⌈9n/10⌉-th: N1 5th, N2 3rd, N3 2nd, the city 9th.
    assert figures(con, "processing_days_p90", 2021) == {"N1": 40, "N2": 100, "N3": 1826,
                                                         "city": 100}
    # More than 30 days: N1 31, 40; N2 100; N3 1826; the city those four.
    share = figures(con, "processing_over_30_share", 2021)
    assert share == pytest.approx({"N1": 2 / 5, "N2": 1 / 3, "N3": 1 / 2, "city": 4 / 10})
    assert figures(con, "processing_over_30_share", 2021, "numerator") == \
        {"N1": 2, "N2": 1, "N3": 1, "city": 4}


def test_every_area_has_a_row_in_each_year_with_applications_and_small_bases_are_flagged(con):
    # 2022: only b20 (N3, 45 days); 2019 is before the build's years; 2020 and 2023 have none.
    assert figures(con, "processing_days_median", 2022) == {"N1": None, "N2": None, "N3": 45,
                                                            "city": 45}
    assert figures(con, "processing_applications", 2022) == {"N1": 0, "N2": 0, "N3": 1,
                                                             "city": 1}
    years = {y for y, in con.execute("SELECT DISTINCT year FROM metrics_long "
                                     "WHERE metric_id LIKE 'processing%'").fetchall()}
    assert years == {2021, 2022}
    flags = con.execute("SELECT metric_id, bool_and(low_count), bool_or(low_count) "
                        "FROM metrics_long WHERE metric_id LIKE 'processing%' "
                        "GROUP BY 1").fetchall()
    assert {m: (a, o) for m, a, o in flags} == {
        "processing_applications": (False, False), "processing_days_median": (True, True),
        "processing_days_p90": (True, True), "processing_over_30_share": (True, True)}


def test_by_category_by_hand(con):
    rows = con.execute("SELECT category, applications, median_days, p90_days, share_over_30 "
                       "FROM processing_by_category WHERE geo_level = 'city' AND year = 2021 "
                       "ORDER BY category").fetchall()
    # Food: b03 31, b04 30, b10 100, b11 7, b17 1826; retail: b01 10, b02 40, b09 0;
    # professional services: b05 5, b19 20.
    assert rows == [
        (tiny_city.PRO, 2, 5, 20, 0.0),
        (tiny_city.FOOD, 5, 31, 1826, 3 / 5),
        (tiny_city.RETAIL, 3, 10, 40, pytest.approx(1 / 3)),
    ]
    n3 = con.execute("SELECT category, applications, median_days FROM processing_by_category "
                     "WHERE geo_id = 'N3' AND year = 2021 ORDER BY category").fetchall()
    assert n3 == [(tiny_city.PRO, 1, 20), (tiny_city.FOOD, 1, 1826)]


def test_the_figures_are_registered_and_available(con):
    rows = con.execute("SELECT metric_id, available, not_available FROM metric_registry "
                       "WHERE metric_group = ?", [metrics.RED_TAPE]).fetchall()
    assert rows == [(metric_id, True, None) for metric_id in IDS]
    assert {"processing_days_median", "processing_days_p90",
            "processing_over_30_share"} <= set(IDS)


def test_a_registry_without_the_dates_says_not_available(tmp_path):
    path = build(tmp_path, tiny_city.PROFILE, registry(dated=False))
    with duckdb.connect(str(path), read_only=True) as con:
        present = con.execute("SELECT count(*) FROM metrics_long WHERE metric_id LIKE "
                              "'processing%'").fetchone()[0]
        why = dict(con.execute("SELECT metric_id, not_available FROM metric_registry "
                               "WHERE metric_group = ?", [metrics.RED_TAPE]).fetchall())
        info = dict(con.execute("SELECT key, value FROM build_info").fetchall())
    assert present == 0
    assert why == {metric_id: "the registry has no application and issue dates"
                   for metric_id in IDS}
    assert info["processing_dates"] == "none"


def test_with_a_threshold_the_days_of_few_applications_are_withheld(tmp_path):
    path = build(tmp_path, tiny_city.PROFILE + PROCESSING_KEYS, registry(), threshold=3)
    with duckdb.connect(str(path), read_only=True) as con:
        median = figures(con, "processing_days_median", 2021)
        withheld = figures(con, "processing_days_median", 2021, "suppressed")
        count = figures(con, "processing_applications", 2021)
        by_category = con.execute("SELECT count(*) FILTER (WHERE suppressed), count(*) FILTER "
                                  "(WHERE suppressed AND median_days IS NOT NULL) "
                                  "FROM processing_by_category").fetchone()
    assert median == {"N1": 30, "N2": 7, "N3": None, "city": 20}       # N3: 2 applications
    assert withheld == {"N1": False, "N2": False, "N3": True, "city": False}
    assert count["N3"] == 2                 # a count of applications is not withheld
    assert by_category[0] > 0 and by_category[1] == 0


def test_the_profile_keys_are_checked_with_the_file_and_the_key(tmp_path):
    path = tmp_path / "half.toml"
    path.write_text(tiny_city.PROFILE + '\n[processing]\napplied = "applied"\n')
    with pytest.raises(PipelineError, match=r"half\.toml: keys 'processing\.applied' and "
                                            r"'processing\.issued' must be given together\.$"):
        profiles.load_profile(path)
    path.write_text(tiny_city.PROFILE + '\n[processing]\napplied = 5\nissued = "issued"\n')
    with pytest.raises(PipelineError, match=r"key 'processing\.applied' must be a string or a "
                                            r"list of strings"):
        profiles.load_profile(path)
    path.write_text(tiny_city.PROFILE + '\n[processing]\napplied = ["a", "b"]\nissued = "i"\n')
    assert profiles.load_profile(path).processing == profiles.Processing(("a", "b"), ("i",))


def test_a_registry_file_without_the_columns_builds_without_processing_times(tmp_path):
    """An older export may lack the date columns: the build goes on, says so, and the
    figures read not available."""
    steps = []
    (tmp_path / "tiny.toml").write_text(tiny_city.PROFILE + PROCESSING_KEYS)
    registry(dated=False).to_csv(tmp_path / "tiny.csv", index=False)
    tiny_city.neighborhoods().to_file(tmp_path / "areas.geojson", driver="GeoJSON")
    path = city.import_files(tmp_path / "tiny.toml", tmp_path / "tiny.csv",
                             tmp_path / "areas.geojson", db=tmp_path / "t.duckdb",
                             on_step=steps.append)
    with duckdb.connect(str(path), read_only=True) as con:
        why = {w for w, in con.execute("SELECT not_available FROM metric_registry "
                                       "WHERE metric_group = ?", [metrics.RED_TAPE]).fetchall()}
    assert why == {"the registry has no application and issue dates"}
    assert any("has no column applied, issued that" in s and "[processing]" in s for s in steps)


REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"
CHICAGO_SAMPLE = REALDATA / "chicago_business_licenses" / "business_licenses_sample10k_csv_2024.csv"
CHICAGO_AREAS = REALDATA / "chicago_community_areas" / "community_areas_current.geojson"


@pytest.mark.skipif(not CHICAGO_SAMPLE.is_file(), reason="the real Chicago sample is not here")
def test_the_real_chicago_sample_gives_plausible_processing_times(tmp_path):
    """PROVENANCE.md: 2,301 rows date their application; those kept and issued in 2010–2024
    give days from 0 to a few years, one interval over five years left out."""
    path = city.import_files("chicago", CHICAGO_SAMPLE, CHICAGO_AREAS, db=tmp_path / "c.duckdb")
    with duckdb.connect(str(path), read_only=True) as con:
        counted, left_out, lowest = con.execute(
            "SELECT count(*) FILTER (WHERE excluded IS NULL), count(excluded), min(days) "
            "FROM license_processing").fetchone()
        city_rows = con.execute(
            "SELECT metric_id, year, value FROM metrics_long WHERE geo_level = 'city' "
            "AND metric_id LIKE 'processing%'").df()
        hoods = con.execute("SELECT count(DISTINCT geo_id) FROM metrics_long WHERE metric_id = "
                            "'processing_applications' AND geo_level = 'neighborhood' "
                            "AND value > 0").fetchone()[0]
    assert 1500 < counted <= 2301 and left_out >= 1 and lowest >= 0
    wide = city_rows.pivot(index="year", columns="metric_id", values="value")
    assert set(wide.index) == set(range(2010, 2025))
    assert (wide["processing_days_median"] <= wide["processing_days_p90"]).all()
    assert wide["processing_days_median"].between(0, 60).all()
    assert wide["processing_over_30_share"].between(0.05, 0.6).all()
    assert hoods > 60
