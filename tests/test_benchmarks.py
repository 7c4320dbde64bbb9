"""The benchmark suite: its synthetic inputs are what they claim, its naive baselines do
the same work as the pipeline, and `python -m benchmarks.run --quick` writes a RESULTS.md
with every section. No timing is asserted: these figures depend on the machine."""
from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from benchmarks import bench_assign, bench_browser, bench_pipeline, synthetic
from benchmarks.measure import (Figure, Section, Stopped, Target, descendants, in_child,
                                rss_mb)
from benchmarks.run import results_text, QUICK
from conftest import REALDATA
from dashboard.registry import PAGES

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ["Machine", "Pipeline end to end", "Pipeline against its baselines", "Marts", "Neighborhood assignment",
            "Server time per page and per map control", "Browser: navigation to a drawn map",
            "Server memory with concurrent sessions", "Misses and plans"]


@pytest.fixture(scope="module")
def small_inputs(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("bench-inputs")
    return (synthetic.write_registry(3_000, folder=folder),
            synthetic.write_neighborhoods(20, folder=folder))


def test_the_synthetic_registry_has_the_portal_export_columns_and_its_mess(small_inputs):
    registry, _ = small_inputs
    frame = pd.read_csv(registry, dtype=str, keep_default_na=False)
    assert len(frame) == 3_000
    assert list(frame.columns) == synthetic.COLUMNS
    terms = frame.groupby(["ACCOUNT NUMBER", "SITE NUMBER"]).size()
    assert (terms > 1).sum() > 100, "renewals must be there to merge"
    assert set(frame.loc[frame["APPLICATION TYPE"] == "RENEW", "ACCOUNT NUMBER"]) <= set(
        frame.loc[frame["APPLICATION TYPE"] == "ISSUE", "ACCOUNT NUMBER"]) | {""}
    assert (frame["LATITUDE"] == "").any() and frame["ID"].duplicated().any()
    assert (frame["LICENSE TERM START DATE"] == "13/45/2019").any()
    assert frame["DATE ISSUED"].str.fullmatch(r"\d\d/\d\d/\d{4}").all()


def test_the_synthetic_columns_are_the_real_export_s():
    real = REALDATA / "chicago_business_licenses" / "business_licenses_sample10k_csv_2024.csv"
    if not real.exists():
        pytest.skip(f"the real Chicago sample is not at {real} (../shared is absent)")
    with open(real, newline="") as handle:
        assert next(csv.reader(handle)) == synthetic.COLUMNS


def test_the_synthetic_neighborhoods_tile_the_city_box(small_inputs):
    _, geojson = small_inputs
    shapes = gpd.read_file(geojson)
    assert len(shapes) == 20 and sorted(shapes["area_numbe"]) == list(range(1, 21))
    assert shapes.is_valid.all()
    box = shapely.box(*synthetic.EXTENT)
    union = shapely.union_all(shapes.geometry.to_numpy())
    areas = shapely.area(shapes.geometry.to_numpy())
    assert areas.sum() == pytest.approx(union.area, rel=1e-9)         # no overlaps
    assert union.area == pytest.approx(box.area, rel=1e-3)            # no gaps


def test_the_naive_import_finds_the_same_businesses_in_the_same_places(small_inputs):
    from data_pipeline.profiles import load_profile
    from data_pipeline.city import assemble
    registry, geojson = small_inputs
    data = assemble(load_profile("chicago"), {"businesses": [registry], "neighborhoods": [geojson]},
                    lambda message: None)
    real = set(zip(data.businesses["source_key"], data.businesses["neighborhood_id"]))
    naive = bench_pipeline.naive_import(registry, geojson, 3_000)
    counted = data.sources.set_index("source_id").loc["businesses"]
    assert counted["rows_raw"] == 3_000 and len(real) == counted["rows_loaded"]
    assert {(key, str(found["area"])) for key, found in naive.items()} == real


def test_phases_add_up_the_time_between_progress_messages():
    marks = [(0.0, "reading the neighborhood boundaries (x)"),
             (1.0, "reading the business registry"),
             (3.0, "transforming 10 registry rows"), (7.0, "creating schema"),
             (7.5, "loading 10 businesses"), (8.0, "building marts"), (20.0, "checking row counts"),
             (20.5, "swapping in the new database")]
    assert bench_pipeline.phase_seconds(marks, 21.0) == {
        "read": 3.0, "transform": 4.0, "load": 1.0, "marts": 12.0, "check": 0.5, "swap": 0.5}


def test_the_three_ways_of_assigning_points_agree_on_two_squares():
    squares = gpd.GeoDataFrame({"neighborhood_id": ["west", "east"]},
                               geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)],
                               crs="EPSG:4326")
    lat, lon = np.array([0.5, 0.5, 0.25, 5.0]), np.array([0.5, 1.5, 1.9, 0.5])
    from data_pipeline.geo import assign_points
    expected = ["west", "east", "east", None]
    assert list(assign_points(lat, lon, squares, "neighborhood_id")) == expected
    assert bench_assign.loop_ids(lat, lon, squares) == expected
    joined = bench_assign.sjoin_ids(lat, lon, squares)
    assert list(joined[:3]) == expected[:3] and pd.isna(joined[3])
    assert bench_assign.agreement(np.array(expected, dtype=object), joined) == 1.0


def test_a_figure_is_the_median_of_its_runs_against_the_naive_way_and_its_target():
    figure = Figure("load", "s", [3.0, 1.0, 2.0], naive=10.0, target=Target(2.5, "≤ 2.5 s"))
    assert (figure.median, figure.ratio, figure.met) == (2.0, 5.0, True)
    speed = Figure("speed", "rows/s", [500.0], naive=50.0, higher_is_better=True,
                   target=Target(100.0, "≤ 100"))
    assert (speed.ratio, speed.met) == (10.0, False)
    assert Figure("none", "s").median is None and Figure("none", "s").met is None


def test_results_show_each_figure_with_its_naive_ratio_and_target():
    section = Section("Pipeline end to end", "What was run.", [
        Figure("1,000,000 rows: end to end", "s", [30.0, 25.0, 28.0], naive=280.0,
               target=Target(20.0, "≤ 20 s"))], misses=["1,000,000 rows took 28 s."])
    text = results_text({"cores (nproc)": "2"}, [section], quick=False, minutes=1.0)
    row = next(line for line in text.splitlines() if line.startswith("| 1,000,000 rows"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[:7] == ["1,000,000 rows: end to end", "28.0 s", "3 (25.0 s – 30.0 s)",
                         "280.0 s", "×10.0", "≤ 20 s", "**no**"]
    assert "| cores (nproc) | 2 |" in text


def test_memory_counts_a_process_and_its_children():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(10)"])
    try:
        assert child.pid in descendants(os.getpid())
        assert rss_mb(os.getpid()) > rss_mb(os.getpid(), with_children=False) > 10
    finally:
        child.kill()
        child.wait()


def test_the_quick_suite_writes_every_section(tmp_path):
    """The whole suite at tiny sizes, without the browser (see the next test for that)."""
    out = tmp_path / "RESULTS.md"
    done = subprocess.run([sys.executable, "-m", "benchmarks.run", "--quick", "--skip-browser",
                           "--out", str(out), "--work", str(tmp_path / "work")],
                          cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    text = out.read_text()
    assert re.findall(r"^## (.+)$", text, flags=re.MULTILINE) == SECTIONS
    assert re.search(r"\| cores \(nproc\) \| \d+ \|", text)
    assert re.search(r"\| memory \(MemTotal\) \| [\d.]+ GB \|", text)
    size = QUICK.sizes[0]
    assert re.search(rf"^\| {size:,} rows \(one run\): end to end \| [\d.,]+ s \|", text, re.M)
    assert re.search(rf"^\| {size:,} rows \(one run\): parse \+ merge \+ assign \| [\d.,]+ s "
                     r"\| 1 \| [\d.,]+ s \| ×[\d.,]+ \|", text, re.M)
    if synthetic.REAL_SAMPLE.exists():          # the baselines resample the real sample
        for name in ("the pipeline", "(a) pandas + to_datetime + geopandas.sjoin",
                     "(c) floor: DuckDB reads the CSV into a table"):
            assert re.search(rf"^\| {re.escape(name)}: end to end \| [\d.,]+ s \| 1 \|",
                             text, re.M), name
        assert "(b) the pipeline before issue 14" not in text     # no history in a quick run
    else:
        assert "Skipped: the real Chicago sample it resamples is not here" in text
    for areas in QUICK.areas:
        assert re.search(rf"^\| {QUICK.points:,} points into {areas} polygons: assign_points \| "
                         r"[\d.]+ s \|", text, re.M)
    for spec in PAGES:
        assert re.search(rf"^\| 20 polygons, page: {re.escape(spec.title)} \| [\d,]+ ms \| 1 \| "
                         r"[\d,]+ ms \|", text, re.M), spec.title
    assert re.search(r"^\| 20 polygons, map control change .*\| [\d,]+ ms \|", text, re.M)
    assert text.count("Skipped: not measured in this run (--skip-browser).") == 2


@pytest.mark.browser
def test_the_browser_bench_times_a_drawn_map_and_reads_the_server_memory(browser, tiny_dir,
                                                                          tmp_path):
    shutil.copy(tiny_dir / "tiny.duckdb", tmp_path / "tiny.duckdb")
    with bench_browser.streamlit_server(tmp_path) as (url, pid):
        idle = rss_mb(pid)
        context = bench_browser.new_context(browser)
        page, marks = bench_browser.open_map(context, url)
        assert page.locator(bench_browser.MAP_CANVAS).count() >= 1
        assert 0 < marks["title"] <= marks["canvas"] <= marks["drawn"]
        assert 0 < marks["shown"] <= marks["drawn"]
        assert rss_mb(pid) > idle > 20
        context.close()


def test_work_in_a_child_process_returns_its_result_or_says_why_it_stopped(small_inputs):
    assert in_child(max, 1, 2, timeout=60, memory_limit_mb=4096) == 2
    with pytest.raises(Stopped, match="failed: ValueError"):
        in_child(int, "not a number", timeout=60, memory_limit_mb=4096)
    with pytest.raises(Stopped, match="time limit"):
        in_child(time.sleep, 30, timeout=0.5, memory_limit_mb=4096)
    registry, geojson = small_inputs
    stopped = bench_pipeline.run_child(registry, geojson, timeout=0.3)
    assert stopped["stopped"].startswith("still running at its time limit")


def test_assign_points_and_sjoin_agree_on_every_point_edges_and_corners_included():
    from data_pipeline.geo import assign_points
    shapes = bench_assign.polygons(200)
    lat, lon = bench_assign.points(20_000)
    # Points on shared edges and corners: every vertex of every polygon, and NaN points.
    corners = shapely.get_coordinates(shapes.geometry.to_numpy())
    lat = np.concatenate([lat, corners[:, 1], [np.nan]])
    lon = np.concatenate([lon, corners[:, 0], [0.0]])
    ours = assign_points(lat, lon, shapes, "neighborhood_id")
    theirs = bench_assign.sjoin_ids(lat, lon, shapes)
    assert bench_assign.agreement(ours, theirs) == 1.0
    assert pd.notna(ours[20_000:-1]).all() and ours[-1] is None   # corners are inside some area
