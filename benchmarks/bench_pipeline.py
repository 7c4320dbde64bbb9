"""The pipeline end to end on synthetic registries, and the same work done row by row.

    .venv/bin/python -m benchmarks.bench_pipeline [--rows 100000] [--areas 77] [--repeat 3]

Each run is the real import path (`data_pipeline.city.import_files`: parse, merge
renewals, assign to neighborhoods, load, marts, checks, atomic swap) in a child process
of its own, so its peak memory (`ru_maxrss`) is its own. The child times each step from
the pipeline's own progress messages.

The naive baseline parses, merges and assigns a subsample row by row (`iterrows`,
`datetime.strptime`, a dict of businesses, `shapely` `contains` against every polygon in
turn, no index); its time is extrapolated linearly to the full size and compared with
the same phases (read + transform) of the real pipeline.
"""
from __future__ import annotations

import argparse
import json
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import pandas as pd
import shapely

from . import synthetic
from .measure import Figure, Section, Target, seconds, stop_reason

ROOT = Path(__file__).resolve().parents[1]
TARGET_ROWS = 1_000_000
TARGET_SECONDS, TARGET_PEAK_MB = 20.0, 2048.0
# The pipeline's progress messages, by their first words, and the phase each one opens.
PHASES = {"reading the neighborhood": "read", "reading the business": "read",
          "transforming": "transform", "creating schema": "load", "loading": "load",
          "building marts": "marts", "checking row counts": "check",
          "swapping in": "swap"}
NAIVE_SAMPLE = 20_000
DATE = "%m/%d/%Y"               # the export's date format
STEP = "step: "                 # how the child prints each progress message
MEMORY_LIMIT_MB = 12 * 1024     # a child past this is stopped: the machine is shared


# ----------------------------------------------------------------------------- one run

def run_import(csv: Path, geojson: Path, db: Path, say=lambda message: None) -> dict:
    """Import once in this process; seconds in total and by phase, and peak memory.

    `say` hears each progress message as it comes (the child prints them, so a run that
    is stopped still tells where it was)."""
    from data_pipeline.city import import_files
    marks: list[tuple[float, str]] = []

    def step(message: str) -> None:
        marks.append((time.perf_counter(), message))
        say(message)

    started = time.perf_counter()
    import_files("chicago", businesses=csv, neighborhoods=geojson, db=db, on_step=step)
    ended = time.perf_counter()
    return {"seconds": ended - started, "phases": phase_seconds(marks, ended),
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def phase_of(message: str) -> str:
    return next((p for words, p in PHASES.items() if message.startswith(words)), "other")


def phase_seconds(marks: list[tuple[float, str]], ended: float) -> dict[str, float]:
    """Time from each progress message to the next, summed by phase."""
    phases: dict[str, float] = {}
    for (at, message), (until, _) in zip(marks, [*marks[1:], (ended, "")]):
        phase = phase_of(message)
        phases[phase] = phases.get(phase, 0.0) + until - at
    return phases


def run_child(csv: Path, geojson: Path, timeout: float, db: Path | None = None,
              memory_limit_mb: float = MEMORY_LIMIT_MB) -> dict:
    """One import in a fresh Python process (its own peak memory).

    Without `db` the database goes to a temporary folder and is thrown away. A child that
    runs out of time or grows past `memory_limit_mb` is stopped (this machine is shared);
    the result then says so under "stopped", as it does when the import fails."""
    with tempfile.TemporaryDirectory(prefix="atlas-bench-") as folder:
        target = db or Path(folder) / "chicago.duckdb"
        command = [sys.executable, "-m", "benchmarks.bench_pipeline", "--child", str(csv),
                   str(geojson), str(target)]
        with open(Path(folder) / "out.txt", "w+") as out, \
                open(Path(folder) / "err.txt", "w+") as err:
            child = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=err)
            stopped = watch(child, timeout, memory_limit_mb)
            out.seek(0), err.seek(0)
            output, errors = out.read(), err.read()
    lines = output.strip().splitlines()
    if child.returncode == 0 and not stopped:
        return json.loads(lines[-1])
    reached = [line.removeprefix(STEP) for line in lines if line.startswith(STEP)]
    where = f" in the {phase_of(reached[-1])} phase" if reached else ""
    return {"stopped": (stopped or "failed: " + last_line(errors)) + where}


def last_line(text: str) -> str:
    """The error of a traceback and its message (the last "SomethingError: …" line)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if re.match(r"^[\w.]*(Error|Exception)\b", line)]
    return (errors or lines or ["no output"])[-1][:300]


def watch(child: subprocess.Popen, timeout: float, memory_limit_mb: float) -> str:
    """Wait for the child; stop it when it runs too long or too big (and say why)."""
    deadline = time.monotonic() + timeout
    while child.poll() is None:
        reason = stop_reason(child.pid, deadline, memory_limit_mb)
        if reason:
            child.kill()
            child.wait()
            return reason
        time.sleep(0.2)
    return ""


# ----------------------------------------------------------------------------- naive

def naive_seconds_per_row(csv: Path, geojson: Path, sample: int) -> float:
    """Parse, merge and assign the first `sample` rows one at a time; seconds per row."""
    return seconds(lambda: naive_import(csv, geojson, sample)) / sample


def naive_import(csv: Path, geojson: Path, sample: int) -> dict[str, dict]:
    """Business locations by key, built the way a first script would build them."""
    shapes = json.loads(geojson.read_text())["features"]
    polygons = [(f["properties"]["area_numbe"], shapely.geometry.shape(f["geometry"]))
                for f in shapes]
    frame = pd.read_csv(csv, dtype=str, nrows=sample, keep_default_na=False)
    locations: dict[str, dict] = {}
    seen_ids: set[str] = set()
    for _, row in frame.iterrows():
        term = naive_term(row, seen_ids)
        if term is None:
            continue
        term["area"] = naive_area(term["lat"], term["lon"], polygons)
        if term["area"] is not None:
            naive_merge(locations, term)
    return locations


def naive_term(row: pd.Series, seen_ids: set[str]) -> dict | None:
    """A row's fields, parsed; None when it cannot be used."""
    if row["ID"] in seen_ids:
        return None
    seen_ids.add(row["ID"])
    if not row["ACCOUNT NUMBER"] or not row["LATITUDE"]:
        return None
    try:
        opened = datetime.strptime(row["LICENSE TERM START DATE"] or row["DATE ISSUED"], DATE)
        end = datetime.strptime(row["LICENSE TERM EXPIRATION DATE"], DATE)
    except ValueError:
        return None
    if end < opened:
        return None
    return {"key": f"{row['ACCOUNT NUMBER']}-{row['SITE NUMBER']}", "opened": opened,
            "end": end, "lat": float(row["LATITUDE"]), "lon": float(row["LONGITUDE"]),
            "status": row["LICENSE STATUS"],
            "category": row["BUSINESS ACTIVITY"] or row["LICENSE DESCRIPTION"],
            "home_based": row["LICENSE DESCRIPTION"] == "Home Occupation"}


def naive_area(lat: float, lon: float, polygons: list) -> object:
    point = shapely.geometry.Point(lon, lat)
    for area, polygon in polygons:
        if polygon.contains(point):
            return area
    return None


def naive_merge(locations: dict[str, dict], term: dict) -> None:
    known = locations.get(term["key"])
    if known is None:
        locations[term["key"]] = {**term, "terms": 1}
        return
    opened = min(known["opened"], term["opened"])
    latest = term if term["end"] >= known["end"] else known
    locations[term["key"]] = {**latest, "opened": opened, "terms": known["terms"] + 1,
                              "home_based": known["home_based"] or term["home_based"]}


# ----------------------------------------------------------------------------- the section

def measure(sizes: list[int], areas: int = 77, repeat: int = 3, big_repeat: int = 1,
            big: int = 5_000_000, naive_sample: int = NAIVE_SAMPLE, timeout: float = 1800.0,
            also_areas: tuple[int, ...] = ()) -> Section:
    """Figures for every size: seconds, rows per second, peak memory, and the naive ratio;
    then one run of each size up to the target's with `also_areas` neighborhoods."""
    section = Section("Pipeline end to end", (
        f"`data_pipeline.city.import_files` on a synthetic Chicago-style license export with "
        f"{areas:,} neighborhoods (Chicago has 77 community areas): parse, merge renewals, "
        "assign to neighborhoods, load, marts, reconciliation checks and the atomic swap, each "
        "run in a fresh child process (peak memory = its `ru_maxrss`, Python and libraries "
        "included; a run is stopped past "
        f"{MEMORY_LIMIT_MB / 1024:.0f} GB or {timeout / 60:.0f} minutes). The time excludes "
        "interpreter start-up and generating the input."))
    geojson = synthetic.write_neighborhoods(areas)
    sample = min(naive_sample, min(sizes))
    per_row = [naive_seconds_per_row(synthetic.write_registry(min(sizes)), geojson, sample)
               for _ in range(repeat)]
    for rows in sorted(sizes):
        runs, stopped = _runs(synthetic.write_registry(rows), geojson,
                              big_repeat if rows >= big else repeat, timeout)
        section.figures += size_figures(rows, runs, per_row, sample, stopped)
    for extra in also_areas:
        for rows in [n for n in sorted(sizes) if n <= TARGET_ROWS]:
            runs, stopped = _runs(synthetic.write_registry(rows),
                                  synthetic.write_neighborhoods(extra), 1, timeout)
            total, _, _, peak = size_figures(rows, runs, [], 0, stopped, extra)
            section.figures += [total, peak]
    section.misses += misses(section)
    return section


def _runs(csv: Path, geojson: Path, repeat: int, timeout: float) -> tuple[list[dict], str]:
    """The finished runs, and why the last one was stopped (if it was)."""
    runs = []
    for _ in range(repeat):
        run = run_child(csv, geojson, timeout)
        if "stopped" in run:
            return runs, run["stopped"]
        runs.append(run)
    return runs, ""


def size_figures(rows: int, runs: list[dict], naive_per_row: list[float], sample: int,
                 stopped: str = "", areas: int | None = None) -> list[Figure]:
    """The figures of one registry size: time, speed, the naive comparison, peak memory."""
    label = f"{rows:,} rows" + (f", {areas:,} neighborhoods" if areas else "")
    label += " (one run)" if len(runs) == 1 else ""
    timed = Target(TARGET_SECONDS, f"≤ {TARGET_SECONDS:.0f} s") if rows == TARGET_ROWS else None
    stop = {"stopped": bool(stopped), "note": f"stopped: {stopped}" if stopped else ""}
    total = Figure(f"{label}: end to end", "s", [r["seconds"] for r in runs],
                   target=timed,
                   details={"phases": median_phases(runs)}, **stop)
    total.note = "; ".join(n for n in (phase_note(total.details["phases"]), stop["note"]) if n)
    speed = Figure(f"{label}: rows per second", "rows/s", [rows / r["seconds"] for r in runs],
                   higher_is_better=True)
    core = Figure(f"{label}: parse + merge + assign", "s",
                  [r["phases"].get("read", 0) + r["phases"].get("transform", 0) for r in runs])
    if naive_per_row:
        core.naive = sorted(naive_per_row)[len(naive_per_row) // 2] * rows
        core.naive_note = (f"row by row (iterrows, strptime, a dict, shapely contains over "
                           f"every polygon), timed on {sample:,} rows and extrapolated "
                           f"linearly, median of {len(naive_per_row)}")
    peak = Figure(f"{label}: peak memory", "MB", [r["peak_mb"] for r in runs],
                  target=Target(TARGET_PEAK_MB, "< 2 GB") if timed else None,
                  details={"phases": total.details["phases"]}, **stop)
    return [total, speed, core, peak]


def median_phases(runs: list[dict]) -> dict[str, float]:
    """Median seconds of each phase, in pipeline order."""
    order = ["read", "transform", "load", "marts", "check", "swap", "other"]
    return {p: statistics.median(r["phases"].get(p, 0.0) for r in runs)
            for p in order} if runs else {}


def phase_note(phases: dict[str, float]) -> str:
    shown = [f"{p} {s:.1f} s" for p, s in phases.items() if s >= 0.05]
    return "by phase: " + ", ".join(shown) if shown else ""


# What would meet a missed target, by the phase that took the time (see RESULTS.md).
MARTS_FIX = ("What would meet it: update the factorisation of the large group instead of "
             "redoing it every round (only a few cells change per round), and find each "
             "round's complements for all exposed cells of the group at once.")
PHASE_PLANS = {
    "marts": "The marts' small-count suppression (`suppression.protect_cells`) takes most of that "
             "time: with many counts under 3 per neighborhood × year × category, most hidden "
             "cells are linked into one large group, factorised (sparse, symmetric positive "
             "definite) once per round, for several rounds. " + MARTS_FIX,
    "transform": "What would meet it: parse each distinct date text once (a registry repeats "
                 "its dates), keep only the columns the profile uses, and merge renewals with "
                 "one sorted group-by instead of a sort, a drop_duplicates and a join.",
    "read": "What would meet it: read only the columns the profile uses (pyarrow's "
            "`include_columns`) instead of all 34 as text.",
    "load": "What would meet it: insert Arrow tables into DuckDB instead of pandas object "
            "columns.",
}
MEMORY_PLAN = ("The registry is held whole as text (every column), then copied into the "
               "transform's frames. What would meet it: read only the profile's columns and "
               "transform in chunks of 1,000,000 rows, merging renewals across chunks by key.")


def misses(section: Section) -> list[str]:
    """Each missed or unmeasured figure: by how much, why, and what would meet it; and runs
    that met no target but spent most of their time in the marts (a risk, not a miss)."""
    found = []
    for figure in section.figures:
        phases = figure.details.get("phases") or {}
        if figure.stopped and not figure.runs and figure.unit == "s":
            found.append(f"{figure.name}: not measured, {figure.note}. {stop_plan(figure.note)}")
        elif figure.met is False and figure.unit == "s":
            phase, took = max(phases.items(), key=lambda item: item[1])
            found.append(f"{figure.name}: {figure.median:.1f} s against {figure.target.text}; "
                         f"the {phase} phase took {took:.1f} s of it. "
                         f"{PHASE_PLANS.get(phase, '')}")
        elif figure.met is False and not figure.stopped:
            found.append(f"{figure.name}: {figure.median:,.0f} MB against {figure.target.text}. "
                         + memory_plan(phases))
        elif phases and phases.get("marts", 0) > max(TARGET_SECONDS, figure.median / 2):
            found.append(f"{figure.name} (no target): {figure.median:.1f} s, of which the marts "
                         f"took {phases['marts']:.1f} s. {PHASE_PLANS['marts']}")
    return found


def memory_plan(phases: dict[str, float]) -> str:
    """Why a run's memory peaked: the marts when they took most of its time, else the registry."""
    if phases.get("marts", 0) > sum(phases.values()) / 2:
        return (f"The marts took {phases['marts']:.1f} s of this run, and the suppression's "
                "factorisation of its large group grows with the number of neighborhoods (the same registry with "
                "fewer neighborhoods stays under the target above). " + MARTS_FIX)
    return MEMORY_PLAN


def stop_plan(note: str) -> str:
    if "marts" in note:
        return ("This is a bug, not slowness: the marts must build for any registry. The "
                "small-count suppression (`suppression.protect_cells`) factorises each group of "
                "cells linked by the sums it protects; with thin counts in many "
                "neighborhoods one group spans tens of thousands of cells. " + MARTS_FIX)
    return PHASE_PLANS.get(next((p for p in PHASE_PLANS if p in note), ""), MEMORY_PLAN)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=3, metavar=("CSV", "GEOJSON", "DB"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000])
    parser.add_argument("--areas", type=int, default=77)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.child:
        result = run_import(*(Path(p) for p in args.child),
                            say=lambda message: print(STEP + message, flush=True))
        print(json.dumps(result))
        return
    section = measure(args.rows, args.areas, args.repeat)
    for figure in section.figures:
        print(f"{figure.name:<45} {figure.median or float('nan'):12,.1f} {figure.unit}  "
              f"{figure.note}")


if __name__ == "__main__":
    main()
