"""Server time per page and per map control, at 200 and 2,000 neighborhoods.

    .venv/bin/python -m benchmarks.bench_server [--areas 200 2000] [--rows 100000]

The city is a synthetic Chicago registry imported through the real pipeline (built once
into `benchmarks/work/`, rebuilt when the pipeline's code changes). Streamlit's AppTest
runs `app.py` in this process: each page is rendered once to warm the process caches, then
timed as a visitor opening it; a control change on the map page is each change of
`benchmarks.bench_pages.interactions` (the dashboard's own list) and the rerun it causes.
Naive: the same with every Streamlit cache cleared before the run (the page recomputes
everything on every rerun). The browser and memory figures are in `bench_browser`.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import statistics
from dataclasses import dataclass
from pathlib import Path

from . import synthetic
from .bench_pipeline import run_child
from .measure import Figure, Section, Target, milliseconds

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
DB_NAME = "bench.duckdb"     # the name `bench_pages.bench_pieces` reads
CHANGE_TARGET_MS = 300.0
# What would meet a missed target (RESULTS.md "Misses and plans").
CHANGE_PLAN = ("A control change reruns the whole page script and sends the whole figure "
               "again, every polygon's GeoJSON included, even when only the colours change. "
               "What would meet it: cache the built figure per view (metric, year, category, "
               "classes) in `st.cache_data`, and send fewer vertices at city zoom.")


# ----------------------------------------------------------------------------- the city

@dataclass
class City:
    """A data folder holding one synthetic city's database, and how it was built."""

    areas: int
    folder: Path
    origin: str


def city(areas: int, rows: int, timeout: float = 3600.0) -> City:
    """The synthetic city imported through the pipeline, built when missing or stale.

    When the import cannot finish (time or memory), the dashboard's own benchmark city
    (`bench_pages.database`: businesses written straight into the loader) stands in, and
    `origin` says so."""
    csv, geojson = synthetic.write_registry(rows), synthetic.write_neighborhoods(areas)
    folder = synthetic.WORK / f"server_{areas}_{rows}"
    stamp, db = folder / "built-from.txt", folder / DB_NAME
    wanted = code_fingerprint(csv, geojson)
    origin = f"{rows:,}-row synthetic registry imported with {areas:,} neighborhoods"
    if db.exists() and stamp.exists() and stamp.read_text() == wanted:
        return City(areas, folder, origin)
    folder.mkdir(parents=True, exist_ok=True)
    built = run_child(csv, geojson, timeout, db=db)
    if "stopped" not in built:
        stamp.write_text(wanted)
        return City(areas, folder, origin)
    from . import bench_pages
    return City(areas, bench_pages.database(areas),
                f"the import of a {rows:,}-row registry with {areas:,} neighborhoods was "
                f"stopped ({built['stopped']}); `bench_pages.database({areas})` stood in "
                f"({areas:,} round areas, 12 businesses each)")


def code_fingerprint(*inputs: Path) -> str:
    """What a built database depends on: the pipeline's code, the profile and the inputs."""
    digest = hashlib.sha256()
    code = sorted((ROOT / "data_pipeline").rglob("*.py")) + \
        sorted((ROOT / "data_pipeline").rglob("*.sql")) + [ROOT / "data/cities/chicago.toml"]
    for path in code:
        digest.update(path.read_bytes())
    return digest.hexdigest() + "\n" + "\n".join(p.name for p in inputs) + "\n"


# ----------------------------------------------------------------------------- AppTest

def quiet_streamlit() -> None:
    """AppTest runs outside a server, and Streamlit says so at every run: keep it quiet."""
    from streamlit import config, logger
    from streamlit.testing.v1 import AppTest  # noqa: F401  (it sets the level on import)
    config.set_option("logger.level", "error")
    logger.set_log_level("error")


def clear_caches() -> None:
    import streamlit as st
    st.cache_data.clear()
    st.cache_resource.clear()


def timed_rerun(at, naive: bool) -> float:
    """Milliseconds of one rerun (after clearing every cache when naive)."""
    if naive:
        clear_caches()
    elapsed = milliseconds(at.run)
    if at.exception or at.error:
        problems = [e.value for e in [*at.exception, *at.error]]
        raise RuntimeError(f"the page failed: {str(problems)[:300]}")
    return elapsed


def render_ms(path: str, first_page: str, naive: bool) -> float:
    """A visitor opening `path`: a new session, then the page (the first page is `/`)."""
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(APP, default_timeout=600)
    if path == first_page:
        return timed_rerun(at, naive)
    at.run()
    at.switch_page(path)
    return timed_rerun(at, naive)


def page_runs(repeat: int, naive: bool) -> dict[str, list[float] | str]:
    """Milliseconds per page title (a failure: its message)."""
    from dashboard.registry import PAGES
    quiet_streamlit()
    results: dict[str, list[float] | str] = {}
    for spec in PAGES:
        try:
            if not naive:
                render_ms(spec.path, PAGES[0].path, naive)        # warm the caches
            results[spec.title] = [render_ms(spec.path, PAGES[0].path, naive)
                                   for _ in range(repeat)]
        except Exception as error:   # a broken page is reported, the others still measured
            results[spec.title] = str(error)
    return results


def change_runs(repeat: int, naive: bool) -> dict[str, list[float] | str]:
    """Milliseconds of each map control change (`bench_pages.interactions`), per change."""
    from streamlit.testing.v1 import AppTest

    from .bench_pages import interactions
    quiet_streamlit()
    results: dict[str, list[float] | str] = {}
    for round_ in range(repeat + (0 if naive else 1)):     # round 0 warms the caches
        at = AppTest.from_file(APP, default_timeout=600)
        at.run()
        at.switch_page("pages/map.py").run()
        for name, change in interactions(at):
            if isinstance(results.get(name), str):
                continue
            try:
                change()
                elapsed = timed_rerun(at, naive)
            except Exception as error:
                results[name] = f"{type(error).__name__}: {error}"[:300]
                continue
            if naive or round_:
                results.setdefault(name, []).append(elapsed)
    return results


# ----------------------------------------------------------------------------- the sections

def _as_figures(ours: dict, naive: dict, label: str, naive_note: str) -> list[Figure]:
    """One figure per page (or change); a failure becomes a note."""
    figures = []
    for name, runs in ours.items():
        if isinstance(runs, str):
            figures.append(Figure(f"{label}: {name}", "ms", note=f"failed: {runs}"))
            continue
        base = naive.get(name)
        figures.append(Figure(f"{label}: {name}", "ms", runs,
                              naive=median(base) if isinstance(base, list) else None,
                              naive_note=naive_note))
    return figures


def server_section(cities: list[City], repeat: int, naive_repeat: int) -> Section:
    section = Section("Server time per page and per map control", (
        "Streamlit's AppTest running `app.py` in this process (the script run and what it "
        f"sends, before the browser draws); median of {repeat} after one warm-up render. "
        "Naive: every Streamlit cache (`st.cache_data`, `st.cache_resource`) cleared "
        f"before each run, median of {naive_repeat}. Milliseconds. "
        + " ".join(f"The {c.areas:,}-polygon city: {c.origin}." for c in cities)))
    note = "caches cleared before every run"
    for city in cities:
        os.environ["ATLAS_DATA_DIR"] = str(city.folder)
        label = f"{city.areas:,} polygons"
        pages = page_runs(repeat, naive=False)
        section.figures += _as_figures(pages, page_runs(naive_repeat, naive=True),
                                       f"{label}, page", note)
        changes = change_runs(repeat, naive=False)
        naive_changes = change_runs(naive_repeat, naive=True)
        section.figures += _change_figures(changes, naive_changes, city, repeat)
    section.misses += [f"{f.name}: median {f.median:.0f} ms against {f.target.text} "
                       f"({f.note}). {CHANGE_PLAN}" for f in section.figures if f.met is False]
    return section


def _change_figures(changes: dict, naive: dict, city: City, repeat: int) -> list[Figure]:
    """All map control changes pooled (held to the target), then each change alone."""
    label = f"{city.areas:,} polygons"
    measured = {k: v for k, v in changes.items() if isinstance(v, list)}
    pooled = [ms for runs in measured.values() for ms in runs]
    naive_pooled = [ms for runs in naive.values() if isinstance(runs, list) for ms in runs]
    target = Target(CHANGE_TARGET_MS, f"≤ {CHANGE_TARGET_MS:.0f} ms") \
        if city.areas >= 2000 else None
    notes = []
    if measured:
        slowest = max(measured, key=lambda k: median(measured[k]))
        notes.append(f"slowest: {slowest}, median {median(measured[slowest]):.0f} ms")
    notes.append(redraw_pieces(city.folder, repeat))
    pooled_figure = Figure(
        f"{label}, map control change (all {len(measured)} changes)", "ms", pooled,
        naive=median(naive_pooled), naive_note="caches cleared before every run",
        target=target, note="; ".join(n for n in notes if n))
    return [pooled_figure, *_as_figures(changes, naive, f"{label}, change",
                                        "caches cleared before every run")]


def redraw_pieces(folder: Path, repeat: int) -> str:
    """The pieces of one map redraw outside Streamlit (`bench_pages.bench_pieces`), as text."""
    from . import bench_pages
    if not (folder / "bench.duckdb").exists():
        return ""
    try:
        pieces = bench_pages.bench_pieces(folder, repeat)
    except Exception as error:   # the dashboard's benchmark is not ours to fix; say it broke
        return f"redraw pieces not measured ({type(error).__name__}: {error})"[:200]
    return "one redraw outside Streamlit: " + ", ".join(f"{name} {ms:.0f} ms"
                                                        for name, ms in pieces.items())


def median(values: list[float]) -> float | None:
    """The median as every other figure reports it (`statistics.median`); None when empty."""
    return statistics.median(values) if values else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--areas", type=int, nargs="+", default=[200, 2000])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    section = server_section([city(areas, args.rows) for areas in args.areas], args.repeat,
                             max(args.repeat // 2, 1))
    for figure in section.figures:
        shown = figure.median if figure.median is not None else float("nan")
        print(f"{figure.name:<60} {shown:8.0f} ms  {figure.note}")


if __name__ == "__main__":
    main()
