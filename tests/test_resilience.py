"""Resilience in the 2020 downturn (sql/marts/36_resilience.sql), worked out by hand.

A small city of its own: the three neighborhoods of tests/tiny_city.py, years 2018–2023,
and the businesses below instead of the tiny city's. N1 falls and gets back, its
micro-businesses hold; N2 falls and is not back, its micro-businesses fall further; N3
grows and has no micro-business at the end of 2019. Every figure is filed under 2019.
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from core import metrics
from data_pipeline import load
from tests.tiny_city import T1, T2, tiny_city

IDS = [m.id for m in metrics.by_group(metrics.RESILIENCE)]

# id, neighborhood, tract, micro, opened, closed
BUSINESSES = [
    ("a01", "N1", T1, True, "2015-01-01", None),
    ("a02", "N1", T1, True, "2016-01-01", None),
    ("a03", "N1", T1, False, "2017-01-01", "2020-06-01"),
    ("a04", "N1", T1, False, "2017-01-01", "2020-07-01"),
    ("a05", "N1", T1, True, "2018-01-01", "2021-03-01"),
    ("a06", "N1", T1, False, "2019-05-01", None),
    ("a07", "N1", T1, True, "2021-06-01", None),
    ("a08", "N1", T1, False, "2022-02-01", None),
    ("a09", "N1", T1, True, "2023-03-01", None),
    ("a10", "N1", T1, False, "2023-09-09", None),
    ("b01", "N2", T2, False, "2010-01-01", "2023-08-01"),    # after the downturn's window
    ("b02", "N2", T2, True, "2012-01-01", "2020-03-01"),
    ("b03", "N2", T2, True, "2013-01-01", "2022-05-01"),
    ("b04", "N2", T2, True, "2014-01-01", None),
    ("b05", "N2", T2, False, "2019-02-01", "2019-10-01"),    # opened and closed in 2019
    ("b06", "N2", T2, False, "2020-04-01", None),
    ("b07", "N2", T2, True, "2020-05-01", "2020-09-01"),     # opened and closed in 2020
    ("c01", "N3", T2, False, "2018-06-01", None),
    ("c02", "N3", T2, False, "2020-02-02", None),
]

# Active on 31 December, 2019 … 2023:
#   N1  6 (a01–a06) · 4 (a03, a04 closed) · 4 (a05 closed, a07 opened) · 5 (+a08)
#       · 7 (+a09 a10)
#   N2  4 (b01–b04; b05 came and went) · 4 (b02 closed, b06 opened; b07 came and went) · 4
#       · 3 (b03 closed) · 2 (b01 closed: lower still, but after 2022)
#   N3  1 · 2 · 2 · 2 · 2
#   city 11 · 10 · 10 · 10 · 11
# Micro-businesses on 31 December, 2019 … 2023:
#   N1  3 (a01 a02 a05) · 3 · 3 (a05 out, a07 in) · 3 · 4 (+a09)
#   N2  3 (b02 b03 b04) · 2 · 2 · 1 · 1
#   N3  0 · 0 · 0 · 0 · 0
#   city 6 · 5 · 5 · 4 · 5
ACTIVE = {"N1": [6, 4, 4, 5, 7], "N2": [4, 4, 4, 3, 2], "N3": [1, 2, 2, 2, 2],
          "city": [11, 10, 10, 10, 11]}
MICRO = {"N1": [3, 3, 3, 3, 4], "N2": [3, 2, 2, 1, 1], "N3": [0, 0, 0, 0, 0],
         "city": [6, 5, 5, 4, 5]}

# The low of 2020–2022 and its year (the later one of equals):
#   N1 4 in 2020 and 2021 → 2021; drawdown (4 − 6) ÷ 6 = −1/3; back to 6 or more first in
#      2023 (2022 has 5): 2023 − 2019 = 4 years.
#   N2 3 in 2022 (2023's 2 is outside the window); (3 − 4) ÷ 4 = −1/4; 2023 has 2: not
#      back (no value).
#   N3 1 → low 2 (2020–2022 all 2) → 2022; (2 − 1) ÷ 1 = +1 (it grew); never below: 0 years.
#   city 10 in 2020–2022 → 2022; (10 − 11) ÷ 11 = −1/11; 11 again in 2023: 4 years.
DRAWDOWN = {"N1": -1 / 3, "N2": -1 / 4, "N3": 1.0, "city": -1 / 11}
FALL = {"N1": -2, "N2": -1, "N3": 1, "city": -1}          # the numerator: low − 2019 level
LOW_YEAR = {"N1": 2021, "N2": 2022, "N3": 2022, "city": 2022}
RECOVERY = {"N1": 4, "N2": None, "N3": 0, "city": 4}
# Micro: N1 3 every year → low 3 in 2022, drawdown 0, never below: 0 years.
#   N2 1 in 2022; (1 − 3) ÷ 3 = −2/3; not back. N3 none at the end of 2019: no value.
#   city 4 in 2022; (4 − 6) ÷ 6 = −1/3; 2023 has 5 < 6: not back.
MICRO_DRAWDOWN = {"N1": 0.0, "N2": -2 / 3, "N3": None, "city": -1 / 3}
MICRO_LOW_YEAR = {"N1": 2022, "N2": 2022, "N3": None, "city": 2022}
MICRO_RECOVERY = {"N1": 0, "N2": None, "N3": None, "city": None}
# Cushion, points: 100 × (micro drawdown − drawdown).
#   N1 100 × (0 + 1/3) = 33.33 · N2 100 × (−2/3 + 1/4) = −41.67 · city 100 × (−1/3 + 1/11)
#   = −24.24 · N3 none (no micro-business in 2019).
CUSHION = {"N1": 100 / 3, "N2": -500 / 12, "N3": None, "city": 100 * (-1 / 3 + 1 / 11)}
# New and closed in 2020 + 2021:
#   N1 new a07 = 1, closed a03 a04 a05 = 3 → −2 (= 4 − 6); per 100: −200/6 = −33.33
#   N2 new b06 b07 = 2, closed b02 b07 = 2 → 0 (= 4 − 4); 0
#   N3 new c02 = 1, closed 0 → +1 (= 2 − 1); 100
#   city −2 + 0 + 1 = −1 (= 10 − 11); −100/11 = −9.09
NET = {"N1": -2, "N2": 0, "N3": 1, "city": -1}
NET_PER_100 = {"N1": -200 / 6, "N2": 0.0, "N3": 100.0, "city": -100 / 11}
# Compared with the city: the area's figure − the city's.
#   N1 −33.33 + 9.09 = −24.24 · N2 0 + 9.09 · N3 100 + 9.09 · city 0.
NET_VS_CITY = {area: v + 100 / 11 for area, v in NET_PER_100.items()}
BASE = {"N1": 6, "N2": 4, "N3": 1, "city": 11}
MICRO_BASE = {"N1": 3, "N2": 3, "N3": 0, "city": 6}


def downturn_city(first_year: int = 2018, last_year: int = 2023):
    """The tiny city's map and sources with BUSINESSES instead of its own."""
    city = tiny_city(first_year, last_year)
    template = city.businesses.iloc[[0] * len(BUSINESSES)].reset_index(drop=True)
    for i, (business_id, hood, tract, micro, opened, closed) in enumerate(BUSINESSES):
        template.loc[i, ["business_id", "source_key", "neighborhood_id", "tract_geoid",
                         "is_micro", "home_based", "sole_proprietor"]] = [
            business_id, business_id, hood, tract, micro, micro, False]
        template.loc[i, "longitude"] = (int(hood[1]) - 0.5) * 0.01
        template.loc[i, "opened"] = pd.Timestamp(opened).date()
        template.loc[i, "closed"] = pd.Timestamp(closed).date() if closed else None
    city.businesses = template
    city.sources.loc[city.sources["kind"] == "businesses",
                     ["rows_raw", "rows_loaded"]] = len(BUSINESSES)
    return city


def build(city, path: Path, threshold: int = 0) -> Path:
    return load.write_database(city, path, suppression_threshold=threshold)


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    path = build(downturn_city(), tmp_path_factory.mktemp("downturn") / "d.duckdb")
    with duckdb.connect(str(path), read_only=True) as connection:
        yield connection


def figures(con, metric_id: str, column: str = "value") -> dict:
    """{area: value} of one resilience figure, neighborhoods and the city."""
    rows = con.execute(f"SELECT geo_id, year, {column} FROM metrics_long WHERE metric_id = ? "  # noqa: S608 (reviewed: column names from this file)
                       "AND geo_level IN ('neighborhood', 'city')", [metric_id]).fetchall()
    assert {year for _, year, _ in rows} == {2019}, metric_id
    return {geo_id: value for geo_id, _, value in rows}


def assert_figures(actual: dict, expected: dict) -> None:
    assert set(actual) == set(expected)
    for area, value in expected.items():
        if value is None:
            assert actual[area] is None, area
        else:
            assert actual[area] == pytest.approx(value, abs=1e-9), area


def test_the_counts_behind_the_figures(con):
    """The hand counts above are the city's own counts (the rest follows from them)."""
    for metric_id, table in (("active_businesses", ACTIVE), ("micro_businesses", MICRO)):
        rows = con.execute("SELECT geo_id, year, value FROM metrics_long WHERE metric_id = ? "
                           "AND geo_level IN ('neighborhood', 'city') AND year >= 2019",
                           [metric_id]).fetchall()
        got = {}
        for geo_id, year, value in sorted(rows):
            got.setdefault(geo_id, []).append(value)
        assert got == table, metric_id


def test_drawdown_low_year_and_recovery_of_active_businesses(con):
    assert_figures(figures(con, "downturn_drawdown"), DRAWDOWN)
    assert_figures(figures(con, "downturn_drawdown", "numerator"), FALL)
    assert_figures(figures(con, "downturn_drawdown", "denominator"), BASE)
    assert_figures(figures(con, "downturn_low_year"), LOW_YEAR)
    assert_figures(figures(con, "downturn_recovery_years"), RECOVERY)


def test_not_yet_recovered_is_no_value_and_not_withheld(con):
    row = con.execute("SELECT value, suppressed, denominator FROM metrics_long WHERE "
                      "metric_id = 'downturn_recovery_years' AND geo_id = 'N2'").fetchone()
    assert row == (None, False, 4.0)
    caveat = metrics.get("downturn_recovery_years").caveat
    assert "not yet recovered" in caveat and "No value" in caveat


def test_the_same_for_micro_businesses_and_the_cushion(con):
    assert_figures(figures(con, "micro_downturn_drawdown"), MICRO_DRAWDOWN)
    assert_figures(figures(con, "micro_downturn_drawdown", "denominator"), MICRO_BASE)
    assert_figures(figures(con, "micro_downturn_low_year"), MICRO_LOW_YEAR)
    assert_figures(figures(con, "micro_downturn_recovery_years"), MICRO_RECOVERY)
    assert_figures(figures(con, "micro_downturn_cushion"), CUSHION)
    assert CUSHION["N1"] > 0 > CUSHION["N2"]     # micro held in N1, fell further in N2


def test_net_new_businesses_in_the_downturn_against_the_city(con):
    assert_figures(figures(con, "downturn_net_per_100"), NET_PER_100)
    assert_figures(figures(con, "downturn_net_per_100", "numerator"), NET)
    assert_figures(figures(con, "downturn_net_vs_city"), NET_VS_CITY)
    assert NET_VS_CITY["city"] == pytest.approx(0.0)
    # Net new = new − closed summed over 2020 and 2021, as the yearly counts give it.
    for area, net in NET.items():
        level = "city" if area == "city" else "neighborhood"
        flows = dict(con.execute(
            "SELECT metric_id, sum(value) FROM metrics_long WHERE geo_level = ? AND geo_id = ? "
            "AND year IN (2020, 2021) AND metric_id IN ('formations', 'closures') GROUP BY 1",
            [level, area]).fetchall())
        assert flows["formations"] - flows["closures"] == net, area


def test_every_figure_is_flagged_by_its_2019_base(con):
    """Every base here is below 20, so every figure is low count (the registry's basis is
    the denominator, the 2019 count)."""
    rows = con.execute("SELECT metric_id, denominator, low_count FROM metrics_long "
                       f"WHERE metric_id IN ({', '.join('?' * len(IDS))})", IDS).fetchall()  # noqa: S608 (reviewed: placeholders only)
    assert {m for m, _, _ in rows} == set(IDS) and len(rows) == 4 * len(IDS)
    assert all(low for _, _, low in rows)
    assert {metrics.get(m).low_count_basis for m in IDS} == {"denominator"}


def test_figures_are_absent_and_said_so_when_the_years_miss_2019(tmp_path):
    """The tiny city's own span, 2020–2023, has no 31 December 2019."""
    with duckdb.connect(str(build(downturn_city(2020, 2023), tmp_path / "t.duckdb")),
                        read_only=True) as con:
        rows = con.execute("SELECT count(*) FROM metrics_long WHERE metric_id IN "
                           f"({', '.join('?' * len(IDS))})", IDS).fetchone()[0]  # noqa: S608 (reviewed: placeholders only)
        why = dict(con.execute("SELECT metric_id, not_available FROM metric_registry").fetchall())
    assert rows == 0
    for metric_id in IDS:
        assert why[metric_id] == ("the registry does not cover 2019 and the downturn years "
                                  "after it (it covers 2020–2023)"), metric_id


def test_a_span_ending_in_2020_gives_the_fall_but_not_the_net(tmp_path):
    """2018–2020: the low is 2020's count alone; N1 is not back by 2020; no 2021 for the net."""
    with duckdb.connect(str(build(downturn_city(2018, 2020), tmp_path / "t.duckdb")),
                        read_only=True) as con:
        drawdown = figures(con, "downturn_drawdown")
        low_year = figures(con, "downturn_low_year")
        recovery = figures(con, "downturn_recovery_years")
        why = dict(con.execute("SELECT metric_id, not_available FROM metric_registry").fetchall())
    # 2020 levels: N1 4, N2 4, N3 2, city 10.
    assert_figures(drawdown, {"N1": -2 / 6, "N2": 0.0, "N3": 1.0, "city": -1 / 11})
    assert set(low_year.values()) == {2020}
    assert_figures(recovery, {"N1": None, "N2": 0, "N3": 0, "city": None})
    assert why["downturn_drawdown"] is None
    assert why["downturn_net_per_100"] == ("the registry does not cover 2019 and the downturn "
                                           "years after it (it covers 2018–2020)")


def test_a_figure_that_reads_a_hidden_count_is_hidden(con, tmp_path):
    """Built to withhold counts below 3: N2's micro-businesses (2 in 2020, 1 in 2022) and
    its 2 openings of 2020 are small. Whatever the suppression hides, every figure that
    reads it is withheld with no number, and every other figure is the one worked out
    above. Net new businesses stay shown: they equal the change in active businesses,
    which a neighborhood never hides."""
    with duckdb.connect(str(build(downturn_city(), tmp_path / "w.duckdb", threshold=3)),
                        read_only=True) as hidden:
        counts = hidden.execute("""
            SELECT geo_id, metric_id, year, suppressed FROM metrics_long
            WHERE geo_level IN ('neighborhood', 'city') AND year >= 2019
              AND metric_id IN ('micro_businesses', 'formations', 'closures')""").fetchall()
        rows = hidden.execute("SELECT geo_id, metric_id, value, numerator, suppressed "
                              "FROM metrics_long WHERE metric_id IN "
                              f"({', '.join('?' * len(IDS))})", IDS).fetchall()  # noqa: S608 (reviewed: placeholders only)
    withheld = {(g, m, y) for g, m, y, s in counts if s}
    assert ("N2", "micro_businesses", 2022) in withheld
    assert ("N2", "formations", 2020) in withheld
    micro_hidden = {g for g, m, y in withheld if m == "micro_businesses" and y <= 2022}
    micro_hidden_later = {g for g, m, _ in withheld if m == "micro_businesses"}
    expected_hidden = {(g, m) for g in micro_hidden
                       for m in ("micro_downturn_drawdown", "micro_downturn_low_year",
                                 "micro_downturn_cushion", "micro_downturn_recovery_years")}
    expected_hidden |= {(g, "micro_downturn_recovery_years") for g in micro_hidden_later}
    assert {(g, m) for g, m, _, _, s in rows if s} == expected_hidden
    for geo_id, metric_id, value, numerator, suppressed in rows:
        if suppressed:
            assert value is None and numerator is None, (geo_id, metric_id)
            continue
        truth = con.execute("SELECT value FROM metrics_long WHERE metric_id = ? AND geo_id = ?",
                            [metric_id, geo_id]).fetchone()[0]
        assert value == truth or value == pytest.approx(truth), (geo_id, metric_id)
    shown = {(g, m): v for g, m, v, _, s in rows if not s}
    assert shown[("N2", "downturn_net_per_100")] == 0.0


def test_the_demo_city_has_a_downturn_and_every_figure_for_every_neighborhood(demo_db):
    """Every neighborhood and the city have every figure, under 2019, as the demo's own
    yearly counts give it (worked out here again in pandas)."""
    with duckdb.connect(str(demo_db), read_only=True) as con:
        hoods = {n for n, in con.execute("SELECT neighborhood_id FROM neighborhoods").fetchall()}
        long = con.execute("SELECT geo_id, year, metric_id, value, suppressed FROM metrics_long "
                           "WHERE geo_level IN ('neighborhood', 'city')").df()
        last = con.execute("SELECT last_year FROM settings").fetchone()[0]
        names = dict(con.execute("SELECT name, neighborhood_id FROM neighborhoods").fetchall())
    mine = long[long["metric_id"].isin(IDS)]
    assert set(mine["year"]) == {2019} and not mine["suppressed"].any()
    for metric_id in IDS:
        assert set(mine.loc[mine["metric_id"] == metric_id, "geo_id"]) == hoods | {"city"}
    got = mine.set_index(["geo_id", "metric_id"])["value"]
    series = long[long["year"] >= 2019].pivot_table(index=["geo_id", "metric_id"],
                                                    columns="year", values="value")
    for area in hoods | {"city"}:
        for prefix, counted in (("", "active_businesses"), ("micro_", "micro_businesses")):
            level = series.loc[(area, counted)]
            low = level[[2020, 2021, 2022]].min()
            low_year = max(y for y in (2020, 2021, 2022) if level[y] == low)
            back = [y for y in range(low_year + 1, last + 1) if level[y] >= level[2019]]
            recovery = 0 if low >= level[2019] else (back[0] - 2019 if back else None)
            assert got[(area, f"{prefix}downturn_drawdown")] == pytest.approx(
                (low - level[2019]) / level[2019])
            assert got[(area, f"{prefix}downturn_low_year")] == low_year
            if recovery is None:
                assert pd.isna(got[(area, f"{prefix}downturn_recovery_years")]), area
            else:
                assert got[(area, f"{prefix}downturn_recovery_years")] == recovery, area
        flows = series.loc[(area, "formations"), [2020, 2021]].sum() - \
            series.loc[(area, "closures"), [2020, 2021]].sum()
        base = series.loc[(area, "active_businesses"), 2019]
        assert got[(area, "downturn_net_per_100")] == pytest.approx(100 * flows / base)
    # The story: the city fell in 2020 and was back in 3 years; Old Mill, the declining
    # neighborhood, fell furthest and is not back.
    assert got[("city", "downturn_drawdown")] < -0.03
    assert got[("city", "downturn_low_year")] == 2020
    drawdowns = {a: got[(a, "downturn_drawdown")] for a in hoods}
    assert min(drawdowns, key=drawdowns.get) == names["Old Mill"]
    assert pd.isna(got[(names["Old Mill"], "downturn_recovery_years")])
    assert sum(v < 0 for v in drawdowns.values()) > len(hoods) / 2


REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"
CHICAGO = (REALDATA / "chicago_business_licenses" / "business_licenses_sample10k_csv_2024.csv",
           REALDATA / "chicago_community_areas" / "community_areas_current.geojson")


@pytest.mark.skipif(not all(p.exists() for p in CHICAGO),
                    reason=f"the Chicago sample is not under {REALDATA}")
def test_the_chicago_sample_gives_the_figures_its_own_dates_give(tmp_path):
    """The 10,000-row sample of Chicago's licences (2010–2025): the city's fall, low year,
    recovery and net are worked out again here from the loaded businesses' dates, and
    every neighborhood's figures keep to their ranges."""
    from data_pipeline import city
    db = city.import_files("chicago", CHICAGO[0], CHICAGO[1], db=tmp_path / "chicago.duckdb")
    with duckdb.connect(str(db), read_only=True) as con:
        dates = con.execute("SELECT opened, closed FROM businesses").df()
        last = con.execute("SELECT last_year FROM settings").fetchone()[0]
        got = {(g, m): v for g, m, v in con.execute(
            "SELECT geo_id, metric_id, value FROM metrics_long WHERE metric_id IN "
            f"({', '.join('?' * len(IDS))})", IDS).fetchall()}  # noqa: S608 (reviewed: placeholders only)
        hoods = con.execute("SELECT count(*) FROM neighborhoods").fetchone()[0]

    def active(year: int) -> int:
        end = pd.Timestamp(f"{year}-12-31")
        opened, closed = pd.to_datetime(dates["opened"]), pd.to_datetime(dates["closed"])
        return int(((opened <= end) & (closed.isna() | (closed > end))).sum())

    level = {y: active(y) for y in range(2019, last + 1)}
    low = min(level[y] for y in (2020, 2021, 2022))
    low_year = max(y for y in (2020, 2021, 2022) if level[y] == low)
    back = [y for y in range(low_year + 1, last + 1) if level[y] >= level[2019]]
    assert got[("city", "downturn_drawdown")] == pytest.approx((low - level[2019]) / level[2019])
    assert got[("city", "downturn_low_year")] == low_year
    assert got[("city", "downturn_recovery_years")] == (
        0 if low >= level[2019] else back[0] - 2019 if back else None)
    assert got[("city", "downturn_net_per_100")] == pytest.approx(
        100 * (level[2021] - level[2019]) / level[2019])
    assert len({g for g, _ in got}) == hoods + 1
    for (geo_id, metric_id), value in got.items():
        if value is None:
            continue
        if metric_id.endswith("drawdown"):
            assert value >= -1, (geo_id, metric_id)
        elif metric_id.endswith("low_year"):
            assert value in (2020, 2021, 2022), (geo_id, metric_id)
        elif metric_id.endswith("recovery_years"):
            assert 0 <= value <= last - 2019 and value != 1, (geo_id, metric_id)
