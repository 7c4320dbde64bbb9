"""The import on the real-shaped registry, beside its three baselines (issue 14).

    .venv/bin/python -m benchmarks.bench_baselines [--rows 1000000] [--repeat 3]

Every run is a whole command in a fresh process, timed from its start to its end
(interpreter start-up included), its peak memory the process's own `ru_maxrss` (from
`os.wait4`), and its CPU time (user + system): on a shared, loaded machine the wall
time varies several-fold, the CPU time much less. The input is the real Chicago licence sample resampled with every column kept
(`synthetic.write_real_shaped`) and the 77 real community areas:

- the pipeline: `python -m data_pipeline import` from this tree;
- (a) what a user would write: `pandas.read_csv` + `to_datetime` + `geopandas.sjoin`, the
  result saved into DuckDB (`user_script` below);
- (b) the pipeline before issue 14: the same command from a `git worktree` of BEFORE;
- (c) the floor: DuckDB reading the same CSV into a table of a database file, nothing else.

A ratio is the baseline's median time ÷ the pipeline's.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import synthetic
from .measure import Figure, Section, Target

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "41164ce5af24afbe7ce05ee79800b79d9f2efde0"   # the commit before issue 14's changes
TARGET_SECONDS, TARGET_PEAK_MB = 6.0, 1024.0           # 1M rows, start-up included

USER_SCRIPT = """
import sys, duckdb, geopandas as gpd, pandas as pd
csv, areas, db = sys.argv[1:4]
frame = pd.read_csv(csv, dtype=str)
for column in ("LICENSE TERM START DATE", "LICENSE TERM EXPIRATION DATE", "DATE ISSUED"):
    frame[column] = pd.to_datetime(frame[column], format="%m/%d/%Y", errors="coerce")
frame = frame.dropna(subset=["LATITUDE", "LONGITUDE"])
points = gpd.GeoDataFrame(frame, crs="EPSG:4326", geometry=gpd.points_from_xy(
    frame["LONGITUDE"].astype(float), frame["LATITUDE"].astype(float)))
joined = gpd.sjoin(points, gpd.read_file(areas)[["area_numbe", "geometry"]], predicate="within")
with duckdb.connect(db) as con:
    con.register("joined", pd.DataFrame(joined.drop(columns="geometry")))
    con.execute("CREATE TABLE licences AS SELECT * FROM joined")
"""
FLOOR_SCRIPT = """
import sys, duckdb
with duckdb.connect(sys.argv[3]) as con:
    con.execute("CREATE TABLE raw AS SELECT * FROM read_csv(?, all_varchar = true)", [sys.argv[1]])
"""


def before_tree() -> Path:
    """A worktree of BEFORE (made once, beside the benchmark inputs)."""
    tree = synthetic.WORK / f"before-{BEFORE[:7]}"
    if not (tree / "data_pipeline").exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), BEFORE], cwd=ROOT,
                       check=True, capture_output=True)
    return tree


def commands(csv: Path, areas: Path, db: Path,
             with_before: bool = True) -> dict[str, tuple[list[str], Path]]:
    """Each contender's command line and the folder it runs in ((b) left out unless
    `with_before`: it needs this repository's history)."""
    pipeline = ["-m", "data_pipeline", "import", "--city", "chicago", "--businesses", str(csv),
                "--neighborhoods", str(areas), "--db", str(db)]
    plan = {"the pipeline": ([sys.executable, *pipeline], ROOT),
            "(a) pandas + to_datetime + geopandas.sjoin": (
                [sys.executable, "-c", USER_SCRIPT, str(csv), str(areas), str(db)], ROOT)}
    if with_before:
        plan["(b) the pipeline before issue 14"] = ([sys.executable, *pipeline], before_tree())
    plan["(c) floor: DuckDB reads the CSV into a table"] = (
        [sys.executable, "-c", FLOOR_SCRIPT, str(csv), str(areas), str(db)], ROOT)
    return plan


def run_once(command: list[str], folder: Path, db: Path, timeout: float) -> dict:
    """Wall seconds and peak MB of one command; "stopped" when it fails or runs too long."""
    db.unlink(missing_ok=True)
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=folder, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    deadline = started + timeout
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            child.kill()
            os.wait4(child.pid, 0)
            return {"stopped": f"ran past {timeout:.0f} s"}
        time.sleep(0.02)
    took = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    db.unlink(missing_ok=True)
    if child.returncode:
        error = child.stderr.read().decode(errors="replace").strip().splitlines()
        return {"stopped": f"failed: {(error or ['?'])[-1][:200]}"}
    return {"seconds": took, "peak_mb": usage.ru_maxrss / 1024,
            "cpu_seconds": usage.ru_utime + usage.ru_stime}


TITLE = "Pipeline against its baselines"


def measure(rows: int = 1_000_000, repeat: int = 3, timeout: float = 600.0,
            areas: Path | None = None, label: str = "", with_before: bool = True) -> Section:
    """Time and peak memory of the pipeline and its baselines, interleaved run by run."""
    if not synthetic.REAL_SAMPLE.exists():
        return Section(TITLE + label, "", skipped=(
            f"the real Chicago sample it resamples is not here ({synthetic.REAL_SAMPLE})"))
    csv = synthetic.write_real_shaped(rows)
    areas = areas or synthetic.REAL_AREAS
    runs: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="atlas-baselines-") as folder:
        db = Path(folder) / "out.duckdb"
        plan = commands(csv, areas, db, with_before)
        for _ in range(repeat):
            for name, (command, cwd) in plan.items():
                runs.setdefault(name, []).append(run_once(command, cwd, db, timeout))
    section = Section(TITLE + label, (
        f"{rows:,} rows of the real Chicago licence sample resampled with every column "
        f"({csv.stat().st_size / 1e6:,.0f} MB of CSV), {areas.name}; each a whole command in "
        "a fresh process, start-up included, runs interleaved; peak = the process's ru_maxrss."
        " \"naive\" here is the baseline's median and the ratio baseline ÷ pipeline."))
    section.figures = figures(rows, runs)
    section.misses = [f"{f.name}: median {f.median:,.1f} {f.unit} against {f.target.text} "
                      "(where it goes: the notes under this section in RESULTS.md)"
                      for f in section.figures if f.target and f.target.met(f.median) is False]
    return section


def figures(rows: int, runs: dict[str, list[dict]]) -> list[Figure]:
    """Each contender's time and peak; a baseline's time carries the pipeline's median as
    its "naive" column, so its ratio reads baseline ÷ pipeline (above 1: the pipeline is
    faster; the floor's is below 1 by construction)."""
    ours = [r["seconds"] for r in runs["the pipeline"] if "seconds" in r]
    found = []
    for name, results in runs.items():
        done = [r for r in results if "seconds" in r]
        stopped = "; ".join(sorted({r["stopped"] for r in results if "stopped" in r}))
        main = name == "the pipeline" and rows == 1_000_000
        timed = Figure(f"{name}: end to end", "s", [r["seconds"] for r in done],
                       target=Target(TARGET_SECONDS, "≤ 6 s") if main else None,
                       stopped=bool(stopped), note=stopped)
        if name != "the pipeline" and ours:
            timed.naive, timed.higher_is_better = statistics.median(ours), True
            timed.naive_note = "the pipeline's median in the same runs"
        cpu = Figure(f"{name}: CPU time (user + system)", "s",
                     [r["cpu_seconds"] for r in done],
                     note="less sensitive than wall time to other work on a shared machine")
        peak = Figure(f"{name}: peak memory", "MB", [r["peak_mb"] for r in done],
                      target=Target(TARGET_PEAK_MB, "≤ 1 GB") if main else None)
        found += [timed, cpu, peak]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--areas", type=int, help="synthetic neighborhoods instead of the real 77")
    args = parser.parse_args()
    areas = synthetic.write_neighborhoods(args.areas) if args.areas else None
    section = measure(args.rows, args.repeat, areas=areas)
    for figure in section.figures:
        ratio = f"  ×{figure.ratio:.2f}" if figure.ratio is not None else ""
        runs = ", ".join(f"{value:,.1f}" for value in figure.runs)
        print(f"{figure.name:<62} {figure.median or float('nan'):10,.1f} {figure.unit}"
              f"  [{runs}]{ratio}  {figure.note}")


if __name__ == "__main__":
    main()
