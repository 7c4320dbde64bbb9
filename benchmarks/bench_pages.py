"""Server time of the map page at 2,000 polygons, per control change.

    .venv/bin/python -m benchmarks.bench_pages [--areas 2000] [--repeat 5]

Builds (once, into benchmarks/work/) a synthetic city of `--areas` round-ish
neighborhoods (65 vertices each) with businesses in every one, through the real loader
and marts (with suppression off: this times drawing, not publishing); then runs the map page under Streamlit's AppTest, changes each control in
turn, and reports the server time of each rerun (the script run plus serialising what
it draws, which is what a visitor waits for before the browser starts drawing). The
target is under 300 ms per change once the process caches are warm.

It also times the pieces of one redraw: the ranking query, the classification, the
figure and its JSON.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from data_pipeline import canonical as c
from core.categories import SECTORS

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "work"
YEARS = (2022, 2024)
TARGET_MS = 300


def synthetic_city(areas: int, per_area: int = 12, seed: int = 1) -> c.CityData:
    """`areas` neighborhoods on a grid, each a 65-vertex blob, with businesses inside."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(areas)))
    ids = [f"A{i:05d}" for i in range(areas)]
    centres = np.array([(i % side, i // side) for i in range(areas)], dtype=float) * 0.01
    shapes = shapely.buffer(shapely.points(centres), 0.0049, quad_segs=16)
    hoods = gpd.GeoDataFrame({"neighborhood_id": ids, "name": [f"Area {i}" for i in range(areas)]},
                             geometry=shapes, crs="EPSG:4326")
    n = areas * per_area
    owner = rng.integers(0, areas, n)
    opened = pd.to_datetime("2019-01-01") + pd.to_timedelta(rng.integers(0, 6 * 365, n), "D")
    closed = opened + pd.to_timedelta(rng.integers(200, 4000, n), "D")
    sectors = list(SECTORS)
    sector = rng.choice(sectors, n)
    businesses = pd.DataFrame({
        "business_id": [f"b{i}" for i in range(n)], "source": "bench", "source_key": [f"b{i}" for i in range(n)],
        "name": None, "license_type": "General", "raw_category": sector,
        "category": [SECTORS[s] for s in sector], "naics_sector": sector,
        "home_based": rng.random(n) < 0.4, "sole_proprietor": False, "is_micro": rng.random(n) < 0.5,
        "opened": opened.date, "closed": [d.date() if d.year <= YEARS[1] else None for d in closed],
        "address": None, "latitude": centres[owner, 1], "longitude": centres[owner, 0],
        "neighborhood_id": [ids[o] for o in owner], "tract_geoid": None, "terms_merged": 1})
    sources = pd.DataFrame([{"source_id": "bench", "kind": "businesses", "name": "Benchmark registry",
                             "publisher": "benchmark", "url": None, "vintage": "synthetic",
                             "license": "CC0", "fetched_at": pd.Timestamp("2025-01-01"), "sha256": None,
                             "rows_raw": n, "rows_loaded": n, "rows_merged": 0, "rows_rejected": 0}])
    return c.CityData(city_name=f"Benchmark city ({areas} areas)", city_slug="bench",
                      neighborhoods=hoods, businesses=businesses, sources=sources,
                      build_info={"is_demo": "false", "first_year": str(YEARS[0]),
                                  "last_year": str(YEARS[1])})


def database(areas: int) -> Path:
    """The synthetic city's database, built once per size."""
    from data_pipeline.load import write_database
    folder = WORK / f"areas_{areas}"
    target = folder / "bench.duckdb"
    if not target.exists():
        started = time.perf_counter()
        # Threshold 0: nothing to hide, so the build skips the suppression search (which
        # is the slow part at this size); the page draws the same 2,000 shapes either way.
        write_database(synthetic_city(areas), target, on_step=print, suppression_threshold=0)
        print(f"built {target} in {time.perf_counter() - started:.1f} s")
    return folder


def time_run(at) -> float:
    started = time.perf_counter()
    at.run()
    elapsed = (time.perf_counter() - started) * 1000
    if at.exception or at.error:
        raise SystemExit(f"the page failed: {[e.value for e in [*at.exception, *at.error]]}")
    return elapsed


def interactions(at) -> list[tuple[str, callable]]:
    """Control changes a visitor makes, in order (each one a rerun)."""
    return [
        ("metric → micro-businesses", lambda: at.selectbox(key="w_metric").set_value("micro_businesses")),
        ("year → first year", lambda: at.select_slider(key="w_year").set_value(YEARS[0])),
        ("classes → natural breaks", lambda: at.selectbox(key="w_classes").set_value("breaks")),
        ("number of classes → 7", lambda: at.selectbox(key="w_k").set_value(7)),
        ("category → retail shops", lambda: at.selectbox(key="w_category").set_value("Retail shops")),
        ("category → all", lambda: at.selectbox(key="w_category").set_value("all")),
        ("year → last year", lambda: at.select_slider(key="w_year").set_value(YEARS[1])),
        ("metric → new businesses", lambda: at.selectbox(key="w_metric").set_value("formations")),
    ]


def bench_page(folder: Path, repeat: int) -> dict[str, list[float]]:
    from streamlit.testing.v1 import AppTest
    os.environ["ATLAS_DATA_DIR"] = str(folder)
    timings: dict[str, list[float]] = {}
    for round_ in range(repeat + 1):          # round 0 fills the process caches
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        at.run()
        at.switch_page("pages/map.py")
        first = time_run(at)
        if round_ == 0:
            print(f"cold first draw of the map page: {first:.0f} ms")
        for name, change in interactions(at):
            change()
            ms = time_run(at)
            if round_:
                timings.setdefault(name, []).append(ms)
    return timings


def bench_pieces(folder: Path, repeat: int) -> dict[str, float]:
    """Median ms of each piece of one redraw, outside Streamlit."""
    import plotly.io as pio
    from dashboard import geometry, maps, queries
    from dashboard.db import open_database
    from core import metrics
    db = open_database(folder / "bench.duckdb")
    shapes = geometry.shapes_geojson(db, "neighborhood")
    view = maps.MapView(metrics.get("active_businesses"), scheme="breaks", k=7)
    steps = {
        "query (uncached)": lambda: queries.metric_by_area(db, "active_businesses", YEARS[1]),
        "classify + figure": lambda: maps.choropleth(frame, shapes, view),
        "figure to JSON": lambda: pio.to_json(figure, validate=False),
    }
    frame = steps["query (uncached)"]()
    figure, _ = steps["classify + figure"]()
    result = {}
    for name, step in steps.items():
        runs = []
        for _ in range(repeat):
            started = time.perf_counter()
            step()
            runs.append((time.perf_counter() - started) * 1000)
        result[name] = statistics.median(runs)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--areas", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    folder = database(args.areas)
    for name, ms in bench_pieces(folder, args.repeat).items():
        print(f"  {name:<22} {ms:7.1f} ms")
    timings = bench_page(folder, args.repeat)
    print(f"\nmap page, {args.areas:,} areas: server time per control change (ms)")
    worst = 0.0
    for name, runs in timings.items():
        median = statistics.median(runs)
        worst = max(worst, median)
        print(f"  {name:<30} median {median:7.1f}   max {max(runs):7.1f}")
    verdict = "within" if worst < TARGET_MS else "OVER"
    print(f"\nslowest median {worst:.0f} ms: {verdict} the {TARGET_MS} ms target")


if __name__ == "__main__":
    main()
