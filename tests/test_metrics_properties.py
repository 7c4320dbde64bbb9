"""Properties of the marts over random cities (hypothesis), and the honesty rules.

The reader we guard against knows every published figure, the sums that tie them (areas
add up to the city, categories to an area's active businesses, active(y) − active(y−1) =
new − closed) and that no count is negative, but not which withheld cells are zero.
`pinned_counts` plays that reader with linear programmes built from the published tables
only — not from the marts' internals.
"""
from __future__ import annotations

import math

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog
from shapely.geometry import box

from data_pipeline import canonical, load, marts, suppression
from core.categories import UNKNOWN_CATEGORY
from data_pipeline.geo import WGS84
from tests.tiny_city import tiny_city

COUNTS = ["active_businesses", "micro_businesses", "formations", "closures", "jobs_total",
          "jobs_private", "jobs_small_firms", "jobs_young_firms", "census_micro_establishments"]
SURVIVAL = {"survival_1y": "survivors_1y", "survival_3y": "survivors_3y",
            "survival_5y": "survivors_5y"}
# What each published figure is computed from: (count, years back). Shown only if all are.
INPUTS = {
    "micro_per_1k_residents": [("micro_businesses", 0)],
    "businesses_per_1k_residents": [("active_businesses", 0)],
    "businesses_per_km2": [("active_businesses", 0)],
    "formations_per_1k_residents": [("formations", 0)],
    "closures_per_1k_residents": [("closures", 0)],
    "formations_per_100_active": [("formations", 0), ("active_businesses", 1)],
    "closures_per_100_active": [("closures", 0), ("active_businesses", 1)],
    # new − closed = active(y) − active(y − 1): published from the active counts
    "net_formations": [("active_businesses", 0), ("active_businesses", 1)],
    "jobs_change": [("jobs_total", 0), ("jobs_total", 1)],
    "jobs_small_firms_share": [("jobs_small_firms", 0), ("jobs_private", 0)],
    "jobs_young_firms_share": [("jobs_young_firms", 0), ("jobs_private", 0)],
    **{m: [("formations", 0)] for m in SURVIVAL},
    **{m: [("active_businesses", 0)] for m in ("category_richness", "shannon_diversity",
                                               "diversity_evenness", "effective_categories",
                                               "gini_simpson")},
}
# Published from these instead when they are all shown (then the figure tells nothing more):
# net new businesses = new − closed of the same year, also in the first year, whose year
# before is outside the window.
OR_FROM = {"net_formations": [("formations", 0), ("closures", 0)]}
FAST = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=10)


# --- The reader ------------------------------------------------------------------------------

def pinned_counts(value: np.ndarray, hidden: np.ndarray, lines: list[list[tuple[int, float]]],
                  threshold: int) -> list[int]:
    """Hidden cells of 1 to threshold−1 whose minimum and maximum, given the lines and
    "no count is negative", coincide."""
    unknown = np.flatnonzero(hidden)
    position = {int(c): i for i, c in enumerate(unknown)}
    a = np.zeros((len(lines), unknown.size))
    b = np.zeros(len(lines))
    for r, members in enumerate(lines):
        for c, k in members:
            if hidden[c]:
                a[r, position[c]] += k
            else:
                b[r] -= k * value[c]
    found = []
    for c in np.flatnonzero(hidden & (value > 0) & (value < threshold)):
        goal = np.zeros(unknown.size)
        goal[position[int(c)]] = 1.0
        low = linprog(goal, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
        high = linprog(-goal, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
        assert low.status == 0, "the published figures must be consistent"
        if high.status == 0 and high.x[position[int(c)]] - low.x[position[int(c)]] < 1e-6:
            found.append(int(c))
    return found


def published_cells(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every published count: key columns, value (NaN when hidden), hidden."""
    counts = con.execute(f"""
        SELECT geo_level, geo_id, year, metric_id AS measure, '' AS category, numerator AS value
        FROM metrics_long WHERE metric_id IN ({', '.join('?' for _ in COUNTS)})""", COUNTS).df()
    survivors = con.execute(f"""
        SELECT geo_level, geo_id, year, metric_id AS measure, '' AS category, numerator AS value
        FROM metrics_long WHERE metric_id IN ({', '.join('?' for _ in SURVIVAL)})""",
                            list(SURVIVAL)).df()
    survivors["measure"] = survivors["measure"].map(SURVIVAL)
    categories = con.execute("SELECT geo_level, geo_id, year, 'category' AS measure, category, "
                             "count AS value FROM category_counts").df()
    cells = pd.concat([counts, survivors, categories], ignore_index=True)
    return cells.assign(hidden=cells["value"].isna())


def reader_lines(cells: pd.DataFrame, first_year: int) -> list[list[tuple[int, float]]]:
    """The sums a reader can form, over the row positions of `cells` (truth in 'truth')."""
    lines = []
    for level in ("neighborhood", "tract"):
        parts = cells[cells["geo_level"] == level]
        city = cells[cells["geo_level"] == "city"].set_index(["measure", "category", "year"])
        for key, group in parts.groupby(["measure", "category", "year"]):
            if key in city.index and city.loc[key, f"rest_{level}"] >= 0 and abs(
                    cells.loc[int(city.loc[key, f"rest_{level}"]), "truth"]) < 1e-9:
                lines.append([(i, 1.0) for i in group.index]
                             + [(int(city.loc[key, "row"]), -1.0),
                                (int(city.loc[key, f"rest_{level}"]), 1.0)])
    mix = cells[cells["measure"].isin(["category", "active_businesses"])
                & cells["geo_level"].isin(["neighborhood", "city"])]
    for _, group in mix.groupby(["geo_level", "geo_id", "year"]):
        if (group["measure"] == "category").any():
            lines.append([(i, 1.0 if m == "category" else -1.0)
                          for i, m in zip(group.index, group["measure"])])
    flow = cells[cells["measure"].isin(["active_businesses", "formations", "closures"])
                 & cells["geo_level"].isin(["neighborhood", "city"])]
    keyed = {(g, a, y, m): i for i, g, a, y, m in zip(
        flow.index, flow["geo_level"], flow["geo_id"], flow["year"], flow["measure"])}
    for (g, a, y, m), i in keyed.items():
        if m == "active_businesses" and y > first_year:
            lines.append([(i, 1.0), (keyed[(g, a, y - 1, m)], -1.0),
                          (keyed[(g, a, y, "formations")], -1.0),
                          (keyed[(g, a, y, "closures")], 1.0)])
    return lines


def with_rests(cells: pd.DataFrame) -> pd.DataFrame:
    """Add, per city cell, what the areas of each level do not hold (businesses without a
    tract, jobs of tracts outside the city). A level's sum is a line only when that is 0:
    the reader may assume the areas cover the city, and is right only then."""
    cells = cells.reset_index(drop=True).assign(row=lambda f: f.index)
    keys = ["measure", "category", "year"]
    city = cells[cells["geo_level"] == "city"]
    extra = []
    for level in ("neighborhood", "tract"):
        sums = cells[cells["geo_level"] == level].groupby(keys)["truth"].sum()
        rest = city.set_index(keys)["truth"] - sums.reindex(city.set_index(keys).index).fillna(0)
        extra.append(rest.reset_index().assign(geo_level=f"rest_{level}", geo_id="", value=0.0,
                                               hidden=False))
    cells = pd.concat([cells, *extra], ignore_index=True).assign(row=lambda f: f.index)
    for level in ("neighborhood", "tract"):
        rests = cells[cells["geo_level"] == f"rest_{level}"].set_index(keys)["row"]
        cells[f"rest_{level}"] = [rests.get(k, -1) for k in zip(*(cells[c] for c in keys))]
    return cells


def overlap_lines(cells: pd.DataFrame, con) -> tuple[pd.DataFrame, list]:
    """Where tracts and neighborhoods overlap (by the published weights), a group's tracts
    and neighborhoods hold the same businesses — a line whenever nothing is left over."""
    pairs = con.execute("SELECT geoid, neighborhood_id FROM tract_neighborhood_weights "
                        "WHERE weight > 0").fetchall()
    group: dict[tuple[str, str], int] = {}
    for tract, hood in pairs:  # merge the groups of both ends
        a, b = ("tract", tract), ("neighborhood", hood)
        ga, gb = group.setdefault(a, len(group)), group.setdefault(b, len(group))
        group = {node: ga if g == gb else g for node, g in group.items()}
    placed = cells.assign(group=[group.get(k) for k in zip(cells["geo_level"], cells["geo_id"])])
    placed = placed[placed["group"].notna()]
    tract_measures = set(cells.loc[cells["geo_level"] == "tract", "measure"])
    placed = placed[placed["measure"].isin(tract_measures)]
    rests, lines = [], []
    for (g, measure, year), members in placed.groupby(["group", "measure", "year"]):
        sign = np.where(members["geo_level"] == "tract", 1.0, -1.0)
        rest = -(sign * members["truth"]).sum()
        if abs(rest) > 1e-9:  # the sum holds only when nothing is left over
            continue
        rests.append({"geo_level": "rest_overlap", "geo_id": str(g), "year": year,
                      "measure": measure, "category": "", "truth": rest, "hidden": False})
        lines.append(list(zip(members.index, sign)) + [(len(cells) + len(rests) - 1, 1.0)])
    return pd.concat([cells, pd.DataFrame(rests)], ignore_index=True), lines


KEY = ["geo_level", "geo_id", "year", "measure", "category"]


def reader_view(truth_con, published_con) -> tuple[pd.DataFrame, list[list[tuple[int, float]]]]:
    """The published cells (true value in 'truth', 'hidden') and the reader's lines."""
    published = published_cells(published_con)
    truth = published_cells(truth_con).rename(columns={"value": "truth"})[KEY + ["truth"]]
    cells = with_rests(published.merge(truth, on=KEY, how="left"))
    first = published_con.execute("SELECT first_year FROM settings").fetchone()[0]
    lines = reader_lines(cells, first)
    cells, more = overlap_lines(cells, published_con)
    return cells, lines + more


def recoverable(truth_con, published_con, threshold: int) -> pd.DataFrame:
    """Hidden small counts the reader can work out from the published tables."""
    cells, lines = reader_view(truth_con, published_con)
    found = pinned_counts(cells["truth"].to_numpy(float), cells["hidden"].to_numpy(bool),
                          lines, threshold)
    return cells.loc[found, KEY + ["truth"]]


def hidden_inputs_shown(con) -> pd.DataFrame:
    """Published figures computed from a hidden count (there must be none)."""
    frame = con.execute("SELECT geo_level, geo_id, year, metric_id, value, suppressed "
                        "FROM metrics_long").df()
    status = frame.set_index(["geo_level", "geo_id", "year", "metric_id"])["suppressed"]
    def shown(row, inputs) -> bool:
        return not any(status.get((row.geo_level, row.geo_id, row.year - back, count), True)
                       for count, back in inputs)

    bad = [row for row in frame[~frame["suppressed"] & frame["value"].notna()].itertuples()
           if not shown(row, INPUTS.get(row.metric_id, []))
           and not (row.metric_id in OR_FROM and shown(row, OR_FROM[row.metric_id]))]
    return pd.DataFrame(bad)


# --- Random cities -------------------------------------------------------------------------

CATEGORIES = ["Retail shops", "Restaurants, food & lodging", "Professional services",
              UNKNOWN_CATEGORY]


@st.composite
def cities(draw) -> canonical.CityData:
    n_hoods = draw(st.integers(2, 3))
    n_tracts = draw(st.integers(1, 3))
    first = 2016
    last = first + draw(st.integers(2, 6))
    hoods = [f"N{i}" for i in range(n_hoods)]
    tracts = [f"990010{i:05d}" for i in range(n_tracts)]
    rows = draw(st.lists(_business(hoods, tracts, first, last), min_size=1, max_size=30))
    weights = _weights(draw, tracts, hoods)
    population = draw(st.lists(st.floats(0, 4000), min_size=n_tracts, max_size=n_tracts))
    city = tiny_city(first_year=first, last_year=last)
    frame = pd.DataFrame(rows, columns=["neighborhood_id", "tract_geoid", "category", "is_micro",
                                        "opened", "closed"])
    frame = frame.assign(business_id=[f"r{i}" for i in range(len(frame))])
    businesses = city.businesses.iloc[[0] * len(frame)].reset_index(drop=True)
    for column in frame.columns:
        businesses[column] = frame[column]
    businesses["source_key"] = businesses["business_id"]
    sources = city.sources.copy()
    sources.loc[sources["kind"] == "businesses", ["rows_raw", "rows_loaded"]] = len(frame)
    neighborhoods = gpd.GeoDataFrame(
        {"neighborhood_id": hoods, "name": hoods},
        geometry=[box(i * 0.01, 0, (i + 1) * 0.01, 0.01) for i in range(n_hoods)], crs=WGS84)
    tract_frame = pd.DataFrame(city.tracts.drop(columns="geometry").iloc[[0] * n_tracts])
    tract_frame = tract_frame.assign(geoid=tracts, population=population,
                                     population_moe=[p / 10 for p in population])
    return canonical.CityData(
        city_name="Random Town", city_slug="random", neighborhoods=neighborhoods,
        businesses=businesses, sources=sources,
        tracts=gpd.GeoDataFrame(tract_frame, geometry=[box(0, 0, 0.01, 0.01)] * n_tracts,
                                crs=WGS84),
        tract_weights=weights, jobs=draw(_jobs(hoods, tracts, first)),
        build_info={"first_year": str(first), "last_year": str(last)})


@st.composite
def _jobs(draw, hoods, tracts, first) -> pd.DataFrame:
    """One workplace per tract and year (two years), known by neighborhood or not."""
    rows = []
    for i, tract in enumerate(tracts):
        hood = draw(st.sampled_from(hoods + [None]))
        for year in (first, first + 1):
            total = draw(st.integers(0, 12))
            private = draw(st.integers(0, total))
            rows.append((f"block{i}", tract, hood, year, total, private,
                         draw(st.integers(0, private)), draw(st.integers(0, private))))
    frame = pd.DataFrame(rows, columns=["geo_id", "tract_geoid", "neighborhood_id", "year",
                                        "jobs_total", "jobs_private", "jobs_small_firms",
                                        "jobs_young_firms"])
    return frame.assign(geo_level="block")[canonical.JOB_COLUMNS]


def _business(hoods, tracts, first, last):
    dates = st.dates(pd.Timestamp(first - 6, 1, 1).date(), pd.Timestamp(last, 12, 31).date())
    return st.tuples(st.sampled_from(hoods), st.sampled_from(tracts + [None]),
                     st.sampled_from(CATEGORIES), st.booleans(), dates,
                     st.one_of(st.none(), dates))


def _weights(draw, tracts, hoods) -> pd.DataFrame:
    """For each tract, random shares of some neighborhoods, summing to 1."""
    rows = []
    for tract in tracts:
        chosen = draw(st.lists(st.sampled_from(hoods), min_size=1, unique=True))
        raw = draw(st.lists(st.integers(1, 10), min_size=len(chosen), max_size=len(chosen)))
        rows += [(tract, hood, r / sum(raw)) for hood, r in zip(chosen, raw)]
    return pd.DataFrame(rows, columns=["geoid", "neighborhood_id", "weight"]).assign(
        method="area")


def build_twice(city: canonical.CityData, folder, threshold: int = 3):
    """The city with everything shown (the truth), and as published at `threshold`."""
    truth = load.write_database(city, folder / "truth.duckdb", suppression_threshold=0)
    published = folder / "published.duckdb"
    published.write_bytes(truth.read_bytes())
    with duckdb.connect(str(published)) as con:
        marts.build_marts(con, suppression_threshold=threshold)
    return truth, published


# --- Properties ------------------------------------------------------------------------------

@FAST
@given(city=cities())
def test_no_hidden_small_count_can_be_worked_out(city, tmp_path_factory):
    truth, published = build_twice(city, tmp_path_factory.mktemp("random"))
    with duckdb.connect(str(truth), read_only=True) as t, \
            duckdb.connect(str(published), read_only=True) as p:
        cells, lines = reader_view(t, p)
        assert hidden_inputs_shown(p).empty
        leaked = p.execute("SELECT count(*) FROM metrics_long WHERE suppressed "
                           "AND (value IS NOT NULL)").fetchone()[0]
    assert leaked == 0
    value, hidden = cells["truth"].to_numpy(float), cells["hidden"].to_numpy(bool)
    assert pinned_counts(value, hidden, lines, 3) == []
    headline = (cells["measure"].eq("active_businesses")
                & cells["geo_level"].isin(["neighborhood", "city"])).to_numpy()
    assert not hidden[headline].any()  # a neighborhood's or the city's: never hidden
    small = (cells["geo_level"].isin(["neighborhood", "tract", "city"]).to_numpy()
             & ~headline & (value < 3))
    shown = small & ~hidden
    assert (value[shown] > 0).all()  # a hidden count may be 0: zeros are hidden too
    # A 1 or 2 is shown only when the never-hidden counts give it away anyway ...
    assert set(np.flatnonzero(shown)) <= set(pinned_counts(value, hidden | shown, lines, 3))
    # ... so wherever a small count exists, something is hidden.
    assert hidden.any() or not small.any()


def test_no_hidden_count_of_the_tiny_city_can_be_worked_out(tmp_path):
    truth, published = build_twice(tiny_city(), tmp_path)
    with duckdb.connect(str(truth), read_only=True) as t, \
            duckdb.connect(str(published), read_only=True) as p:
        assert recoverable(t, p, 3).empty
        assert hidden_inputs_shown(p).empty
        active = p.execute("SELECT geo_id, year, value, suppressed FROM metrics_long WHERE "
                           "metric_id = 'active_businesses' AND geo_level <> 'tract'").df()
        flows = p.execute("SELECT metric_id, suppressed FROM metrics_long WHERE geo_id = 'city' "
                          "AND year = 2021 AND metric_id IN ('formations', 'closures')").fetchall()
    # Every neighborhood's and the city's number of active businesses is shown, N3's 2 of
    # 2020 too.
    assert not active["suppressed"].any()
    assert active.set_index(["geo_id", "year"]).loc[("N3", 2020), "value"] == 2
    # The city closed 2 businesses in 2021 and opened 5: with the active counts shown,
    # new − closed is known, so the 5 is withheld with the 2.
    assert dict(flows) == {"formations": True, "closures": True}


def test_the_reader_does_find_counts_left_unprotected(tmp_path):
    """The checker itself: hide only the small counts, and it works them out."""
    truth = load.write_database(tiny_city(), tmp_path / "truth.duckdb", suppression_threshold=0)
    naive = tmp_path / "naive.duckdb"
    naive.write_bytes(truth.read_bytes())
    with duckdb.connect(str(naive)) as con:
        con.execute("UPDATE metrics_long SET numerator = NULL WHERE numerator < 3")
        con.execute("UPDATE category_counts SET count = NULL WHERE count < 3")
    with duckdb.connect(str(truth), read_only=True) as t, \
            duckdb.connect(str(naive), read_only=True) as p:
        found = recoverable(t, p, 3)
    keys = set(found[["geo_level", "geo_id", "year", "measure"]].itertuples(index=False, name=None))
    assert ("neighborhood", "N3", 2020, "active_businesses") in keys  # 9 − 3 − 4


def test_the_reader_works_out_a_flow_from_the_active_counts(tmp_path):
    """The checker with the active counts shown (as the marts always show them): hiding
    only the small counts gives the city's 2 closures of 2021 away (5 new − the change in
    active businesses)."""
    truth = load.write_database(tiny_city(), tmp_path / "truth.duckdb", suppression_threshold=0)
    naive = tmp_path / "naive.duckdb"
    naive.write_bytes(truth.read_bytes())
    with duckdb.connect(str(naive)) as con:
        con.execute("UPDATE metrics_long SET numerator = NULL WHERE numerator < 3 AND NOT "
                    "(metric_id = 'active_businesses' AND geo_level <> 'tract')")
        con.execute("UPDATE category_counts SET count = NULL WHERE count < 3")
    with duckdb.connect(str(truth), read_only=True) as t, \
            duckdb.connect(str(naive), read_only=True) as p:
        found = recoverable(t, p, 3)
    keys = set(found[["geo_level", "geo_id", "year", "measure"]].itertuples(index=False, name=None))
    assert ("city", "city", 2021, "closures") in keys


@FAST
@given(city=cities())
def test_indices_survival_and_apportionment(city, tmp_path_factory):
    path = load.write_database(city, tmp_path_factory.mktemp("random") / "c.duckdb",
                               suppression_threshold=0)
    with duckdb.connect(str(path), read_only=True) as con:
        wide = con.execute("SELECT * FROM neighborhood_metrics").df()
        city_wide = con.execute("SELECT * FROM city_metrics").df()
        residents = con.execute("SELECT geo_level, sum(value) FROM metrics_long "
                                "WHERE metric_id = 'residents' GROUP BY 1").fetchall()
        tracts = con.execute("SELECT sum(population) FROM tracts").fetchone()[0]
    both = pd.concat([wide, city_wide])
    richness = both["category_richness"]
    # Shannon H ≤ ln(richness) (H is rounded to 2 decimals: allow half a unit).
    assert (both["shannon_diversity"][richness > 0]
            <= np.log(richness[richness > 0]) + 0.005).all()
    assert both["diversity_evenness"].dropna().between(0, 1).all()
    # Survival does not rise with the horizon.
    for short, long in (("survival_1y", "survival_3y"), ("survival_3y", "survival_5y")):
        pair = both[[short, long]].dropna()
        assert (pair[long] <= pair[short] + 1e-12).all()
    # Apportioned residents add up to the tracts' (weights of each tract sum to 1).
    for _, total in residents:
        assert total == pytest.approx(tracts, rel=1e-3)


# --- The suppression engine on random tables ----------------------------------------------------

@settings(deadline=None, max_examples=60)
@given(table=st.lists(st.lists(st.integers(0, 9).map(lambda v: v if v < 6 else v * 3),
                               min_size=2, max_size=6), min_size=2, max_size=6),
       threshold=st.integers(1, 5))
def test_engine_protects_every_small_cell_of_a_table(table, threshold):
    """A table with row, column and grand totals: no hidden small cell is pinned."""
    width = min(len(row) for row in table)
    grid = np.array([row[:width] for row in table], dtype=float)
    value, lines = table_cells(grid)
    hidden = suppression.protect_cells(value, np.ones(value.size, bool), *as_arrays(lines),
                                       threshold)
    assert hidden[value < threshold].all()
    assert pinned_counts(value, hidden, lines, threshold) == []


def as_arrays(lines: list[list[tuple[int, float]]]) -> tuple[np.ndarray, ...]:
    """The engine's form of the lines: line, cell and coefficient per member."""
    line = np.array([r for r, members in enumerate(lines) for _ in members], dtype=np.int64)
    cell = np.array([c for members in lines for c, _ in members], dtype=np.int64)
    coef = np.array([k for members in lines for _, k in members], dtype=float)
    return line, cell, coef


def table_cells(grid: np.ndarray) -> tuple[np.ndarray, list[list[tuple[int, float]]]]:
    """Cells (interior, row totals, column totals, grand total) and the sums tying them."""
    rows, cols = grid.shape
    full = np.zeros((rows + 1, cols + 1))
    full[:rows, :cols] = grid
    full[:rows, cols] = grid.sum(axis=1)
    full[rows, :cols] = grid.sum(axis=0)
    full[rows, cols] = grid.sum()
    index = np.arange(full.size).reshape(full.shape)
    lines = [[(int(index[r, c]), 1.0) for c in range(cols)] + [(int(index[r, cols]), -1.0)]
             for r in range(rows + 1)]
    lines += [[(int(index[r, c]), 1.0) for r in range(rows)] + [(int(index[rows, c]), -1.0)]
              for c in range(cols + 1)]
    return full.ravel(), lines


def test_engine_hides_a_lone_small_cell_with_a_partner():
    # One row: 2 + 5 + 9 = 16. Hiding the 2 alone would give it away (16 − 5 − 9).
    value = np.array([2.0, 5.0, 9.0, 16.0])
    line, cell, coef = np.zeros(4, int), np.arange(4), np.array([1.0, 1.0, 1.0, -1.0])
    hidden = suppression.protect_cells(value, np.ones(4, bool), line, cell, coef, 3)
    assert hidden.tolist() == [True, True, False, False]  # the next smallest goes too
    assert math.isclose(value[~hidden].sum(), 25.0)



def test_two_small_counts_that_share_a_sum_take_one_partner_from_the_line_they_pin():
    """1 + 4 + 5 + 6 = 16 and 1 + 2 = 3, with the 1 and the 2 below the threshold of 3.
    Hidden alone, the first line gives the 1 away and then the second the 2. Hiding the
    4 frees both (the reader knows only 1 + 4 = 5 and 1 + 2 = 3); hiding the 3 as well, the
    smaller partner on the shorter line, protects nothing more."""
    value = np.array([1.0, 2.0, 4.0, 5.0, 6.0, 16.0, 3.0])   # s, s2, x1, x2, x3, total, sum
    lines = [[(0, 1.0), (2, 1.0), (3, 1.0), (4, 1.0), (5, -1.0)],
             [(0, 1.0), (1, 1.0), (6, -1.0)]]
    hidden = suppression.protect_cells(value, np.ones(value.size, bool), *as_arrays(lines), 3)
    assert hidden.tolist() == [True, True, True, False, False, False, False]
    assert pinned_counts(value, hidden, lines, 3) == []

@settings(deadline=None, max_examples=30)
@given(table=st.lists(st.lists(st.integers(0, 9), min_size=3, max_size=7), min_size=3,
                      max_size=7),
       hide=st.lists(st.booleans(), min_size=64, max_size=64))
def test_sparse_and_dense_pinning_agree(table, hide):
    """Large groups are solved with a sparse factorisation: it must find the same pinned
    cells as the dense solution does on the same group."""
    width = min(len(row) for row in table)
    value, lines = table_cells(np.array([row[:width] for row in table], dtype=float))
    line, cell, coef = as_arrays(lines)
    unknown = np.array(hide[:value.size]) & (value > 0)
    keep = unknown[cell]
    assume(keep.any())
    cells, dense = suppression.group_pinned(line[keep], cell[keep], coef[keep])
    same, sparse = suppression.group_pinned(line[keep], cell[keep], coef[keep], dense_up_to=0)
    assert cells.tolist() == same.tolist()
    assert dense.tolist() == sparse.tolist()


# --- Hidden zeros ------------------------------------------------------------------------------

def test_a_hidden_zero_protects_a_small_count(monkeypatch):
    """1 + 0 + 9 = 10 with the 1 and the 0 hidden: the reader knows only that they add up
    to 1, and either may be the 1. When every hidden zero was taken as known, the 9 went
    too."""
    value = np.array([1.0, 0.0, 9.0, 10.0])
    lines = [[(0, 1.0), (1, 1.0), (2, 1.0), (3, -1.0)]]
    hidden = suppression.protect_cells(value, np.ones(4, bool), *as_arrays(lines), 3)
    assert hidden.tolist() == [True, True, False, False]
    assert pinned_counts(value, hidden, lines, 3) == []
    monkeypatch.setattr(suppression, "fixed_zeros",  # the former rule: zeros never protect
                        lambda value, hidden, *rest: hidden & (value == 0))
    hidden = suppression.protect_cells(value, np.ones(4, bool), *as_arrays(lines), 3)
    assert hidden.tolist() == [True, True, True, False]




def test_a_headline_count_is_hidden_only_when_nothing_else_protects_as_well():
    """1 + 4 + 6 = 11, the 4 an area's micro-businesses (a headline count, `keep`): the 6
    goes with the 1, though the 4 is smaller; with no headline count the 4 goes."""
    value = np.array([1.0, 4.0, 6.0, 11.0])
    lines = [[(0, 1.0), (1, 1.0), (2, 1.0), (3, -1.0)]]
    keep = np.array([False, True, False, False])
    hidden = suppression.protect_cells(value, np.ones(4, bool), *as_arrays(lines), 3, keep=keep)
    assert hidden.tolist() == [True, False, True, False]
    hidden = suppression.protect_cells(value, np.ones(4, bool), *as_arrays(lines), 3)
    assert hidden.tolist() == [True, True, False, False]

@pytest.mark.parametrize("answer", ["no solution", "not a direction"])
def test_when_the_solver_fails_a_hidden_zero_counts_as_known(answer, monkeypatch):
    """The safe side: if the linear programme gives no answer, or one that breaks a line,
    the zero is taken as known, so the 1 of 1 + 0 + 9 = 10 is protected by the 9 as well."""
    from types import SimpleNamespace

    def failing(c, **kwargs):
        if answer == "no solution":
            return SimpleNamespace(status=2, x=None)
        return SimpleNamespace(status=0, x=np.ones(len(c)))   # 1 + 1 ≠ 0 on the line

    monkeypatch.setattr(suppression, "linprog", failing)
    value = np.array([1.0, 0.0, 9.0, 10.0])
    lines = [[(0, 1.0), (1, 1.0), (2, 1.0), (3, -1.0)]]
    hidden = suppression.protect_cells(value, np.ones(4, bool), *as_arrays(lines), 3)
    assert hidden.tolist() == [True, True, True, False]

# s + z1 + a = t1, z1 + p + b = t2, z2 − p + c = t3, with s = 1, p = 2 and both zeros
# hidden: z1 = 2 − p ≥ 0 and z2 = p − 2 ≥ 0 hold both zeros at 0 (no single line shows
# it), and then s = 1 and p = 2 can be worked out unless more is hidden.
HELD_ZEROS = (np.array([1, 0, 4, 5, 2, 7, 9, 0, 6, 4], dtype=float),
              [[(0, 1.0), (1, 1.0), (2, 1.0), (3, -1.0)],
               [(1, 1.0), (4, 1.0), (5, 1.0), (6, -1.0)],
               [(7, 1.0), (4, -1.0), (8, 1.0), (9, -1.0)]])


def test_zeros_the_lines_hold_at_zero_do_not_protect():
    value, lines = HELD_ZEROS
    primary = value < 3
    fixed = suppression.fixed_zeros(value, primary, primary & (value > 0), *as_arrays(lines))
    assert np.flatnonzero(fixed).tolist() == [1, 7]
    hidden = suppression.protect_cells(value, np.ones(value.size, bool), *as_arrays(lines), 3)
    assert hidden.sum() > primary.sum()
    assert pinned_counts(value, hidden, lines, 3) == []


@pytest.mark.parametrize("naive", ["every hidden zero may move", "peeling without the LP"])
def test_counting_on_zeros_the_lines_hold_gives_counts_away(naive, monkeypatch):
    """The reader catches an engine that counts on those zeros: the test above can fail."""
    if naive == "every hidden zero may move":
        monkeypatch.setattr(suppression, "fixed_zeros",
                            lambda value, hidden, *rest: np.zeros_like(hidden))
    else:
        monkeypatch.setattr(suppression, "_lp_fixed",
                            lambda cells, zero, *rest: np.zeros_like(zero))
    value, lines = HELD_ZEROS
    hidden = suppression.protect_cells(value, np.ones(value.size, bool), *as_arrays(lines), 3)
    assert pinned_counts(value, hidden, lines, 3) == [0, 4]


def test_a_count_the_shown_counts_give_away_is_shown():
    """An area's only category holds all its 2 active businesses, a count never hidden: the
    category count is given away whatever else is hidden, so it is shown (hiding it would
    protect no one) and nothing is hidden for it."""
    value = np.array([2.0, 2.0, 5.0, 7.0])  # category, active (never hidden), other area, city
    lines = [[(0, 1.0), (1, -1.0)], [(0, 1.0), (2, 1.0), (3, -1.0)]]
    hideable = np.array([True, False, True, True])
    hidden = suppression.protect_cells(value, hideable, *as_arrays(lines), 3)
    assert not hidden.any()


@st.composite
def line_systems(draw) -> tuple[np.ndarray, list[list[tuple[int, float]]], np.ndarray]:
    """Random counts, random sums of them with coefficients ±1 (each closed by a cell that
    holds its total), and which cells may be hidden."""
    n = draw(st.integers(3, 10))
    values = [float(v) for v in draw(st.lists(st.sampled_from([0, 0, 1, 2, 3, 5, 8]),
                                              min_size=n, max_size=n))]
    member = st.tuples(st.integers(0, n - 1), st.sampled_from([1.0, -1.0]))
    lines = []
    for members in draw(st.lists(st.lists(member, min_size=1, max_size=4,
                                          unique_by=lambda m: m[0]), min_size=1, max_size=7)):
        total = sum(k * values[c] for c, k in members)
        values.append(abs(total))
        lines.append(members + [(len(values) - 1, -1.0 if total >= 0 else 1.0)])
    hideable = draw(st.lists(st.sampled_from([True, True, True, False]),
                             min_size=len(values), max_size=len(values)))
    return np.array(values), lines, np.array(hideable)


@settings(deadline=None, max_examples=300)
@given(system=line_systems(), hide=st.lists(st.booleans(), min_size=17, max_size=17))
@example(system=(*HELD_ZEROS, None), hide=[True, True] + [False] * 2 + [True] + [False] * 2
         + [True] + [False] * 9)
def test_the_engine_and_the_reader_agree_on_what_can_be_worked_out(system, hide):
    """Exactly, both ways: the engine's fixed zeros and row spaces pin a hidden count iff
    the reader's linear programmes find its least and greatest value equal."""
    value, lines, _ = system
    hidden = np.array(hide[:value.size])
    exposed, _ = suppression.exposed_cells(value, hidden, hidden & (value > 0),
                                           *as_arrays(lines))
    assert np.flatnonzero(exposed).tolist() == sorted(
        pinned_counts(value, hidden, lines, math.inf))


@settings(deadline=None, max_examples=200)
@given(system=line_systems())
@example(system=(*HELD_ZEROS, np.ones(10, bool)))
def test_engine_protects_every_small_count_of_random_lines(system):
    """Some cells never hidden: no hidden small count is pinned, and a small count is shown
    only when the never-hidden cells give it away."""
    value, lines, hideable = system
    hidden = suppression.protect_cells(value, hideable, *as_arrays(lines), 3)
    assert not hidden[~hideable].any()
    assert pinned_counts(value, hidden, lines, 3) == []
    shown = hideable & (value < 3) & ~hidden
    assert (value[shown] > 0).all()
    assert set(np.flatnonzero(shown)) <= set(pinned_counts(value, hidden | shown, lines, 3))


# --- A count single complements do not free: its surroundings --------------------------------

def chain(links: int, fork: int | None = None) -> tuple[np.ndarray, np.ndarray,
                                                         list[list[tuple[int, float]]]]:
    """s + a1 = T0 and a_k + a_k+1 = T_k for k = 1 … links − 1, with s = 1 (cell 0), the
    links a_k = 4 + k (cell k) and the totals T never hidden; `fork` adds a published 40
    to the line of a_fork. With a_1 … a_r hidden, the published a_r+1 gives a_r away, that
    a_r−1, and so on down to s: s is free only once the whole chain is hidden, or a cell
    on one line only (the fork) is hidden beside the last hidden link."""
    value = [1.0] + [4.0 + k for k in range(1, links + 1)]
    hideable = [True] * (links + 1)
    lines = []
    for k in range(links):
        members = [(k, 1.0), (k + 1, 1.0)]
        if k == fork:
            value.append(40.0)
            hideable.append(True)
            members.append((len(value) - 1, 1.0))
        value.append(sum(value[c] for c, _ in members))
        hideable.append(False)
        lines.append(members + [(len(value) - 1, -1.0)])
    return np.array(value), np.array(hideable), lines


@pytest.fixture
def surroundings_calls(monkeypatch) -> list[tuple[list[int], list[int]]]:
    """The stuck cells and radii of every call to `_surroundings` during a test."""
    calls, real = [], suppression._surroundings

    def recording(stuck, radius, *rest):
        calls.append((stuck.tolist(), radius.tolist()))
        return real(stuck, radius, *rest)

    monkeypatch.setattr(suppression, "_surroundings", recording)
    return calls


def test_a_count_still_given_away_after_its_tries_has_its_surroundings_hidden_wider_each_round(
        surroundings_calls):
    """A chain of STUCK_AFTER + 4 links: each round hides one more link (the one next to the
    last hidden), which frees nothing until the last. s has had its STUCK_AFTER tries of
    single complements after round STUCK_AFTER; from then on its surroundings are hidden,
    within 1, 2, 3, then 4 lines (each time widened to the next published link)."""
    stuck = suppression.STUCK_AFTER
    value, hideable, lines = chain(stuck + 4)
    hidden = suppression.protect_cells(value, hideable, *as_arrays(lines), 3)
    assert np.flatnonzero(hidden).tolist() == list(range(stuck + 5))   # s and every link
    assert pinned_counts(value, hidden, lines, 3) == []
    assert surroundings_calls == [([0], [1]), ([0], [2]), ([0], [3]), ([0], [4])]


@pytest.mark.parametrize("rounds", ["fork reached in the last round of tries",
                                    "fork reached in the first round stuck"])
def test_a_stuck_count_has_every_published_cell_around_it_hidden(rounds, surroundings_calls):
    """The same chain with a published 40 on the line of a_fork. Round r hides a_r, so the
    line of a_fork is the last that holds published cells (a_fork+1 and the 40) in round
    fork + 1. While s still has tries left that round, the single cell that frees s is
    hidden: the 40 (on no other line). Once s is stuck, its surroundings are hidden: the 40
    and a_fork+1 together."""
    stuck = suppression.STUCK_AFTER
    fork = stuck - 1 if rounds.endswith("tries") else stuck
    value, hideable, lines = chain(stuck + 4, fork)
    forty = int(np.flatnonzero(value == 40.0)[0])
    hidden = suppression.protect_cells(value, hideable, *as_arrays(lines), 3)
    assert pinned_counts(value, hidden, lines, 3) == []
    if rounds.endswith("tries"):
        assert np.flatnonzero(hidden).tolist() == list(range(fork + 1)) + [forty]
        assert surroundings_calls == []
    else:
        assert np.flatnonzero(hidden).tolist() == list(range(fork + 2)) + [forty]
        assert surroundings_calls == [([0], [1])]


# The walk of `_surroundings` by hand: 13 cells, 7 lines (only who shares a line counts).
#   cell   0  1  2  3  4   5  6  7  8  9   10  11  12
#   value  1  4  6  2  30  7  0  8  9  12  0   1   3
# 0, 3, 6 and 11 hidden; 4 never hidden; 8 a headline count (`keep`); 10 a published zero.
# lines: {0 1 2} {2 3 5} {1 4} {4 7} {3 6 8} {5 9 10} {11 12}
WALK = dict(value=np.array([1, 4, 6, 2, 30, 7, 0, 8, 9, 12, 0, 1, 3], dtype=float),
            hideable=np.arange(13) != 4, hidden=np.isin(np.arange(13), [0, 3, 6, 11]),
            line=np.array([0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6]),
            cell=np.array([0, 1, 2, 2, 3, 5, 1, 4, 4, 7, 3, 6, 8, 5, 9, 10, 11, 12]),
            keep=np.arange(13) == 8)


@pytest.mark.parametrize("stuck, radius, expected", [
    ([0], [1], [1, 2]),          # 0's line: 1 and 2
    ([0], [2], [1, 2, 5]),       # through 1 and 2: 3 (hidden), 4 (never hidden), 5
    ([0], [3], [1, 2, 5, 9]),    # through 3 and 5: 6 (hidden), 8 (keep), 9, 10 (a zero);
                                 # never 7, behind the never-hidden 4
    ([6], [1], [2, 5]),          # 6's line holds only 3 (hidden) and 8 (keep): one line more
    ([0, 6], [1, 1], [1, 2]),    # one radius, one walk: 0's line leaves something, 5 waits
    ([11, 0], [3, 1], [1, 2, 12]),  # two radii, two walks: 11's line holds 12, and no more
])
def test_the_surroundings_of_a_stuck_count_by_hand(stuck, radius, expected):
    found = suppression._surroundings(np.array(stuck), np.array(radius), WALK["value"],
                                      WALK["hideable"], WALK["hidden"], WALK["line"],
                                      WALK["cell"], WALK["keep"])
    assert found.tolist() == expected


def test_the_surroundings_are_headline_counts_only_when_nothing_else_is_left():
    """0 (stuck) shares a line with 1, and 1 with 2, both headline counts (`keep`): the
    walk widens while it finds only those, and hides both when nothing else is in reach."""
    value = np.array([1.0, 5.0, 6.0])
    found = suppression._surroundings(np.array([0]), np.array([1]), value, np.ones(3, bool),
                                      np.array([True, False, False]), np.array([0, 0, 1, 1]),
                                      np.array([0, 1, 1, 2]), np.array([False, True, True]))
    assert found.tolist() == [1, 2]
