"""What a visitor sees on each page, checked against the database.

The same checks run on the figures AppTest gets (tests/test_app.py) and on the ones the
browser drew (tests/test_browser.py): for every page of the registry, how many charts, how
many traces, areas and bars each has, and their values against `metrics_long` and the
other marts — a page that stops after its title, or a map with no areas, fails here.

    seen = Seen(figures, params, con, text)
    check_page("jobs", seen)

`figures` are plotly figure dicts ({"data": [...], "layout": {...}}; arrays may be plain
lists or plotly's base64 `{"dtype", "bdata"}` form), `params` the page's URL query (the
app writes every control's value there), `con` a read-only DuckDB connection to the
database the page showed, `text` the page's visible text.
"""
from __future__ import annotations

import base64
import math
from dataclasses import dataclass

import duckdb
import numpy as np

from core import metrics


@dataclass
class Seen:
    figures: list[dict]
    params: dict[str, str]
    con: duckdb.DuckDBPyConnection
    text: str = ""

    def traces(self, chart: int) -> list[dict]:
        return self.figures[chart]["data"]

    def areas(self, chart: int) -> list[dict]:
        """A map's area traces (choropleths), without the text traces naming the areas."""
        return [t for t in self.traces(chart) if t["type"] == "choroplethmap"]


def values(array) -> list:
    """A plotly array as a list: plain lists, base64 typed arrays and `{"0": …}` objects."""
    if array is None:
        return []
    if isinstance(array, dict) and "bdata" in array:
        flat = np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"])
        return flat.reshape(array["shape"]).tolist() if "shape" in array else flat.tolist()
    if isinstance(array, dict):
        return [array[k] for k in sorted(array, key=int)]
    return list(array)


def number(value) -> float:
    return math.nan if value is None else float(value)


def same(actual: list, expected: list, what: str) -> None:
    """Two lists of numbers equal to 1e-6 (None and NaN both mean 'no value')."""
    assert len(actual) == len(expected), f"{what}: {len(actual)} values, expected {len(expected)}"
    for i, (a, e) in enumerate(zip(actual, expected)):
        a, e = number(a), number(e)
        assert (math.isnan(a) and math.isnan(e)) or abs(a - e) <= 1e-6 * max(1, abs(e)), \
            f"{what}: value {i} is {a}, the database says {e}"


# --- The database, as a visitor's chart should show it --------------------------------------

def series(con, metric_id: str, geo_id: str = "city") -> tuple[list[int], list[float]]:
    """Years and shown values (None where withheld) of one metric for an area or the city."""
    level = "city" if geo_id == "city" else "neighborhood"
    rows = con.execute("SELECT year, CASE WHEN NOT suppressed THEN value END FROM metrics_long "
                       "WHERE metric_id = ? AND geo_level = ? AND geo_id = ? ORDER BY year",
                       [metric_id, level, geo_id]).fetchall()
    return [r[0] for r in rows], [r[1] for r in rows]


def by_area(con, metric_id: str, year: int) -> dict[str, tuple[float | None, bool]]:
    rows = con.execute("SELECT geo_id, value, suppressed FROM metrics_long WHERE metric_id = ? "
                       "AND geo_level = 'neighborhood' AND year = ?", [metric_id, year]).fetchall()
    return {g: (v, s) for g, v, s in rows}


def neighborhoods(con) -> dict[str, str]:
    return dict(con.execute("SELECT neighborhood_id, name FROM neighborhoods").fetchall())


def assert_line(trace: dict, con, metric_id: str, geo_id: str, sign: int = 1) -> None:
    """A line or bar trace over the years holds the metric's values for the area."""
    years, shown = series(con, metric_id, geo_id)
    assert years, f"no {metric_id} for {geo_id} in the database"
    same(values(trace["x"]), years, f"{metric_id} {geo_id}: years")
    same(values(trace["y"]), [None if v is None else sign * v for v in shown],
         f"{metric_id} {geo_id}")


def assert_lines(traces: list[dict], con, metric_ids: list[str], geo_id: str) -> None:
    assert len(traces) == len(metric_ids), [t.get("name") for t in traces]
    for trace, metric_id in zip(traces, metric_ids):
        assert trace["name"].replace("<br>", " ") == metrics.get(metric_id).label   # wrapped legend
        assert_line(trace, con, metric_id, geo_id)


def assert_flows(traces: list[dict], con, geo_id: str) -> None:
    """Openings up, closures down: two bar traces, one bar a year."""
    assert [t["type"] for t in traces] == ["bar", "bar"]
    assert_line(traces[0], con, "formations", geo_id)
    assert_line(traces[1], con, "closures", geo_id, sign=-1)


def polygons(geometry: dict) -> list[list]:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"][0]]
    if geometry["type"] == "MultiPolygon":
        return [part[0] for part in geometry["coordinates"]]
    raise AssertionError(f"an area drawn as a {geometry['type']}")


def assert_map(traces: list[dict], con, metric_id: str, year: int) -> None:
    """Every neighborhood is drawn once, as a polygon, and says its value from the database."""
    hoods = neighborhoods(con)
    drawn = [g for t in traces for g in values(t["locations"])]
    assert sorted(drawn) == sorted(hoods), f"{len(drawn)} areas drawn of {len(hoods)}"
    spec = metrics.get(metric_id)
    truth = by_area(con, metric_id, year)
    for trace in traces:
        features = {f["id"]: f for f in trace["geojson"]["features"]}
        assert set(values(trace["locations"])) <= set(features), "an area has no shape"
        for geo_id, text in zip(values(trace["locations"]), values(trace["text"])):
            rings = polygons(features[geo_id]["geometry"])
            assert rings and all(len(ring) >= 4 for ring in rings), f"{geo_id}: no polygon"
            value, hidden = truth[geo_id]
            shown = "withheld" if hidden else spec.format.format(value) if value is not None else "no data"
            assert f"<b>{hoods[geo_id]}</b>" in text and f"{spec.label}: {shown}" in text, text


def assert_classes(trace: dict, con, metric_id: str, year: int) -> None:
    """A choropleth's classes follow the values: a larger value never has a lower class."""
    truth = by_area(con, metric_id, year)
    pairs = sorted((truth[g][0], k) for g, k in zip(values(trace["locations"]), values(trace["z"]))
                   if truth[g][0] is not None and not truth[g][1])
    assert pairs, "no area coloured by its value"
    classes = [k for _, k in pairs]
    assert classes == sorted(classes) and len(set(classes)) > 1, pairs


def assert_mix(traces: list[dict], con, geo_ids: list[str], year: int) -> None:
    """One bar trace per area (and the city), one bar per category: its share of the area's
    active businesses."""
    assert len(traces) == len(geo_ids) + 1
    categories = [c for c, in con.execute(
        "SELECT category FROM category_counts WHERE geo_level = 'city' AND year = ?", [year]).fetchall()]
    for trace, geo_id in zip(traces, [*geo_ids, "city"]):
        level = "city" if geo_id == "city" else "neighborhood"
        counts = dict(con.execute("SELECT category, CASE WHEN NOT suppressed THEN count END "
                                  "FROM category_counts WHERE geo_level = ? AND geo_id = ? "
                                  "AND year = ?", [level, geo_id, year]).fetchall())
        total = con.execute("SELECT value FROM metrics_long WHERE metric_id = 'active_businesses' "
                            "AND geo_level = ? AND geo_id = ? AND year = ?",
                            [level, geo_id, year]).fetchone()[0]
        labels = values(trace["y"])
        assert sorted(labels) == sorted(categories), geo_id
        same(values(trace["x"]), [None if counts.get(c) is None else counts[c] / total
                                  for c in labels], f"business mix of {geo_id}")


# --- The pages -------------------------------------------------------------------------------

def check_overview(seen: Seen) -> None:
    assert len(seen.figures) == 2, f"{len(seen.figures)} charts"
    assert_flows(seen.traces(0), seen.con, "city")
    assert_lines(seen.traces(1), seen.con, ["active_businesses"], "city")


def check_map(seen: Seen) -> None:
    assert len(seen.figures) == 1
    metric_id, year = seen.params["metric"], int(seen.params["year"])
    (trace,) = seen.areas(0)
    assert_map([trace], seen.con, metric_id, year)
    assert_classes(trace, seen.con, metric_id, year)


def check_profile(seen: Seen) -> None:
    hood, con = seen.params["n"], seen.con
    assert len(seen.figures) == 5, f"{len(seen.figures)} charts"
    assert_flows(seen.traces(0), con, hood)
    rate = seen.traces(1)
    assert len(rate) == 2
    assert_line(rate[0], con, "formations_per_1k_residents", hood)
    assert_line(rate[1], con, "formations_per_1k_residents", "city")
    survival = seen.traces(2)
    assert len(survival) == 6
    for i, metric_id in enumerate(["survival_1y", "survival_3y", "survival_5y"]):
        assert_line(survival[2 * i], con, metric_id, hood)
        assert_line(survival[2 * i + 1], con, metric_id, "city")
    latest = con.execute("SELECT max(year) FROM metrics_long WHERE geo_level = 'neighborhood' "
                         "AND geo_id = ?", [hood]).fetchone()[0]
    assert_mix(seen.traces(3), con, [hood], latest)
    assert_lines(seen.traces(4), con, ["jobs_total", "jobs_small_firms", "jobs_young_firms"], hood)


COMPARE_PANELS = ["micro_per_1k_residents", "businesses_per_1k_residents",
                  "formations_per_100_active", "closures_per_100_active", "survival_3y",
                  "jobs_small_firms_share", "effective_categories"]


DOWNTURN_PANELS = ["downturn_drawdown", "downturn_recovery_years", "downturn_net_vs_city",
                   "micro_downturn_drawdown", "micro_downturn_cushion"]


def assert_panels(traces: list[dict], con, metric_ids: list[str], chosen: list[str]) -> None:
    """One bar trace per figure: each neighborhood's value in the figure's latest year."""
    assert len(traces) == len(metric_ids)
    for trace, metric_id in zip(traces, metric_ids):
        year = con.execute("SELECT max(year) FROM metrics_long WHERE geo_level = 'neighborhood' "
                           "AND metric_id = ? AND (value IS NOT NULL OR suppressed)",
                           [metric_id]).fetchone()[0]
        truth = by_area(con, metric_id, year)
        same(values(trace["x"]), [None if truth[g][1] else truth[g][0] for g in chosen], metric_id)


def check_compare(seen: Seen) -> None:
    chosen, con = seen.params["compare"].split(","), seen.con
    assert 2 <= len(chosen) <= 4 and len(seen.figures) == 4, f"{len(seen.figures)} charts"
    assert_panels(seen.traces(0), con, COMPARE_PANELS, chosen)
    assert_panels(seen.traces(1), con, DOWNTURN_PANELS, chosen)
    lines = seen.traces(2)
    metric_id = seen.params["metric"]
    assert len(lines) == len(chosen) + 1
    for trace, geo_id in zip(lines, [*chosen, "city"]):
        assert_line(trace, con, metric_id, geo_id)
    year = con.execute("SELECT max(year) FROM category_counts").fetchone()[0]
    assert_mix(seen.traces(3), con, chosen, year)


def check_jobs(seen: Seen) -> None:
    hood, year, con = seen.params["n"], int(seen.params["year"]), seen.con
    jobs = ["jobs_total", "jobs_small_firms", "jobs_young_firms"]
    assert len(seen.figures) == 8, f"{len(seen.figures)} charts"
    assert_lines(seen.traces(0), con, jobs, "city")
    assert_lines(seen.traces(1), con, jobs, hood)
    for chart, metric_id in ((2, "jobs_small_firms_share"), (3, "jobs_young_firms_share")):
        hood_line, city_line = seen.traces(chart)
        assert_line(hood_line, con, metric_id, hood)
        assert_line(city_line, con, metric_id, "city")
    change = seen.areas(4)
    assert_map(change, con, "jobs_change", year)
    truth = by_area(con, "jobs_change", year)
    shown = change[-1]
    same(values(shown["z"]), [truth[g][0] for g in values(shown["locations"])], "jobs change map")
    (bars,) = seen.traces(5)
    changes = sorted((v for v, hidden in truth.values() if v is not None and not hidden), reverse=True)
    expected = [v for v in changes if v > 0][:8] + [v for v in changes if v < 0][-8:]
    same(values(bars["x"]), expected, "jobs gained and lost")
    assert_flows(seen.traces(6), con, hood)
    (sectors,) = seen.traces(7)
    assert len(values(sectors["y"])) >= 3 and min(values(sectors["x"])) > 0


def check_diversity(seen: Seen) -> None:
    metric_id, hood, year, con = (seen.params["metric"], seen.params["n"], int(seen.params["year"]),
                                  seen.con)
    assert len(seen.figures) == 4, f"{len(seen.figures)} charts"
    (trace,) = seen.areas(0)
    assert_map([trace], con, metric_id, year)
    assert_classes(trace, con, metric_id, year)
    assert_mix(seen.traces(1), con, [hood], year)
    (bars,) = seen.traces(2)
    quotients = dict(con.execute(
        "SELECT category, lq FROM location_quotients WHERE geo_level = 'neighborhood' AND geo_id = ? "
        "AND year = ? AND NOT suppressed AND lq > 0", [hood, year]).fetchall())
    labels = values(bars["y"])
    assert sorted(labels) == sorted(quotients)
    same(values(bars["x"]), [math.log10(quotients[c]) for c in labels], "location quotients")
    others, chosen = seen.traces(3)
    x_metric = seen.params["x"]
    density, variety = by_area(con, x_metric, year), by_area(con, metric_id, year)
    both = {g for g in density if density[g][0] is not None and variety[g][0] is not None
            and not density[g][1] and not variety[g][1]}
    assert values(chosen["customdata"]) == ([hood] if hood in both else [])
    assert sorted(values(others["customdata"])) == sorted(both - {hood})
    for trace in (others, chosen):
        for g, x, y in zip(values(trace["customdata"]), values(trace["x"]), values(trace["y"])):
            same([x, y], [density[g][0], variety[g][0]], f"{g} in the scatter")


# The capital page's trend charts in order: (figure, with the city's line); then the red
# tape's, when the database has them; then the map.
CAPITAL_TRENDS = [("sba_loans_per_1k_businesses", True), ("ppp_loans_per_1k_businesses", True),
                  ("sba_loan_amount_median", True), ("ppp_loan_amount_median", True),
                  ("sba_loan_amount_total", False), ("ppp_loan_amount_total", False),
                  ("sba_loans_small_share", True), ("ppp_loans_small_share", True),
                  ("ppp_self_employed_per_1k_residents", True),
                  ("processing_days_median", True), ("processing_days_p90", True),
                  ("processing_over_30_share", True)]
# What each figure's note must say, when the figure is on the page.
CAPITAL_CAVEATS = {"sba": "SBA data cover only loans the SBA guarantees",
                   "ppp": "PPP business types and jobs are as the borrowers reported them",
                   "processing": "Processing time counts calendar days"}


def low_counts(con, metric_id: str, geo_id: str) -> list[bool]:
    """Per year, whether the shown value is flagged low count."""
    level = "city" if geo_id == "city" else "neighborhood"
    return [bool(r[0]) for r in con.execute(
        "SELECT coalesce(low_count, false) AND NOT suppressed AND value IS NOT NULL "
        "FROM metrics_long WHERE metric_id = ? AND geo_level = ? AND geo_id = ? ORDER BY year",
        [metric_id, level, geo_id]).fetchall()]


def assert_low_count_marks(trace: dict, con, metric_id: str, geo_id: str) -> None:
    """A low-count value is drawn as an open circle and says so on hover; others are filled."""
    flags = low_counts(con, metric_id, geo_id)
    symbols = values(trace["marker"]["symbol"])
    assert symbols == ["circle-open" if f else "circle" for f in flags], (metric_id, geo_id)
    assert [t.endswith("(low count)") for t in values(trace["text"])] == flags


def processing_rows(con, geo_id: str, year: int | None = None) -> list[tuple]:
    """(category, median, p90, share over 30, hidden, low count) of an area in a year (the
    latest by default), slowest kind of business first as the page orders them."""
    level = "city" if geo_id == "city" else "neighborhood"
    if year is None:
        year = con.execute("SELECT max(year) FROM processing_by_category WHERE geo_level = "
                           "'city'").fetchone()[0]
    return con.execute(
        "SELECT category, median_days, p90_days, share_over_30, suppressed, "
        "low_count AND NOT suppressed FROM processing_by_category WHERE geo_level = ? AND "
        "geo_id = ? AND year = ? ORDER BY median_days DESC NULLS LAST, p90_days DESC NULLS "
        "LAST, category", [level, geo_id, year]).fetchall()


def assert_by_category(days: list[dict], over_30: list[dict], con, geo_id: str,
                       year: int | None = None) -> None:
    """The red tape by kind of business: median and 90th-percentile bars, then the share
    over 30 days, each the mart's number in the mart's order; low-count bars hatched."""
    rows = processing_rows(con, geo_id, year)
    assert rows, f"no applications by kind of business for {geo_id}"
    for trace, column in zip([*days, *over_30], (1, 2, 3)):
        assert values(trace["y"]) == [r[0] for r in rows], trace.get("name")
        same(values(trace["x"]), [None if r[4] else r[column] for r in rows], trace.get("name"))
        assert values(trace["marker"]["pattern"]["shape"]) == ["/" if r[5] else "" for r in rows]
    assert len(days) == 2 and len(over_30) == 1


def check_capital(seen: Seen) -> None:
    hood, con = seen.params["n"], seen.con
    present = {m for m, in con.execute("SELECT DISTINCT metric_id FROM metrics_long WHERE "
                                       "geo_level = 'neighborhood' AND value IS NOT NULL").fetchall()}
    trends = [(m, city) for m, city in CAPITAL_TRENDS if m in present]
    by_category = 2 if processing_rows(con, "city") else 0
    assert len(seen.figures) == len(trends) + by_category + 1, f"{len(seen.figures)} charts"
    if by_category:     # the city's, in the latest year, until a visitor picks another
        assert_by_category(seen.traces(len(trends)), seen.traces(len(trends) + 1), con, "city")
    for chart, (metric_id, with_city) in enumerate(trends):
        traces = seen.traces(chart)
        assert len(traces) == 1 + with_city, (metric_id, [t.get("name") for t in traces])
        for trace, geo_id in zip(traces, [hood, "city"]):
            assert_line(trace, con, metric_id, geo_id)
            assert_low_count_marks(trace, con, metric_id, geo_id)
    assert any(f for m, _ in trends for f in low_counts(con, m, hood)), "no low count to mark"
    text = " ".join(seen.text.split())
    for prefix, words in CAPITAL_CAVEATS.items():
        if any(m.startswith(prefix) for m, _ in trends):
            assert words in text, words
    assert "placed by the borrower's ZIP code" in text
    metric_id, year = seen.params["metric"], int(seen.params["year"])
    (trace,) = seen.areas(len(trends) + by_category)
    assert_map([trace], con, metric_id, year)
    assert_classes(trace, con, metric_id, year)


def check_methods(seen: Seen) -> None:
    assert not seen.figures
    names = [n for n, in seen.con.execute("SELECT name FROM sources").fetchall()]
    text = " ".join(seen.text.split())
    assert names and all(name in text for name in names), names
    labels = [label for label, in seen.con.execute("SELECT label FROM metric_registry").fetchall()]
    assert all(label in text for label in labels)
    if seen.con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = "
                        "'loans'").fetchone()[0] and seen.con.execute(
            "SELECT count(*) FROM loans").fetchone()[0]:
        assert "by the borrower's ZIP code, split by the share of the ZIP code's registered " \
               "businesses in each neighborhood" in text


def check_area(seen: Seen) -> None:
    """Any area, first seen: the map to draw on holds every neighborhood's outline (one ring
    per polygon ring of the database, in one trace) and name (on hover), and no figure
    before an area."""
    import shapely
    assert len(seen.figures) == 1, f"{len(seen.figures)} charts"
    rows = seen.con.execute("SELECT name, geometry_wkb FROM neighborhoods ORDER BY name").fetchall()
    shapes = shapely.from_wkb([bytes(w) for _, w in rows])
    rings = sum(1 + len(p.interiors) for s in shapes for p in getattr(s, "geoms", [s]))
    lines, _grid, names = seen.traces(0)[:3]
    assert values(lines["x"]).count(None) == rings
    assert values(names["hovertext"]) == [name for name, _ in rows]
    assert "No area yet" in seen.text


PAGE_CHECKS = {"overview": check_overview, "map": check_map, "profile": check_profile,
               "compare": check_compare, "jobs": check_jobs, "diversity": check_diversity,
               "capital": check_capital, "any_area": check_area, "methods": check_methods}


def check_page(url_path: str, seen: Seen) -> None:
    PAGE_CHECKS[url_path](seen)
