"""Every benchmark, one command: `make bench` (or `python -m benchmarks.run`).

Writes `benchmarks/RESULTS.md`: the machine, then one table per section — the pipeline
end to end at 100,000, 1,000,000 and 5,000,000 rows, neighborhood assignment alone, server
time per page and per map control, the browser's time to a drawn map, the server's memory
with concurrent sessions — each figure the median of several runs, beside the same work
done the naive way and the issue's target; then the targets missed, why, and what would
meet them. Generated inputs and databases are cached in `benchmarks/work/` (git-ignored).

    python -m benchmarks.run                      # the full suite (about 20 minutes)
    python -m benchmarks.run --quick              # tiny sizes: checks the suite runs (~1 min)
    python -m benchmarks.run --sizes 100000 1000000 --skip-browser
"""
from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from . import bench_assign, bench_baselines, bench_browser, bench_marts, bench_pipeline, bench_server, synthetic
from .measure import Figure, Section, in_child, machine

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
BROWSER_SECTIONS = ("Browser: navigation to a drawn map", "Server memory with concurrent sessions")


@dataclass
class Plan:
    """The sizes and repetitions of one suite run."""

    sizes: list[int]
    repeat: int = 3              # pipeline runs per size (and assignment runs)
    big_repeat: int = 3          # pipeline runs at 5,000,000 rows and more
    naive_sample: int = 20_000
    pipeline_areas: int = 77                 # Chicago's community areas
    also_areas: tuple[int, ...] = (200, 2000)   # one more run of each size ≤ 1M with these
    baseline_rows: int = 1_000_000           # bench_baselines: the real-shaped file
    baseline_repeat: int = 3
    baseline_before: bool = True             # (b) needs the repository's history
    marts_businesses: int = 1_000_000        # bench_marts, with areas[0] neighborhoods
    points: int = 1_000_000
    areas: tuple[int, ...] = (200, 2000)     # assignment
    loop_sample: int = 2_000
    server_areas: tuple[int, ...] = (200, 2000)
    server_rows: int = 100_000
    page_repeat: int = 5
    naive_page_repeat: int = 3
    cold_runs: int = 3
    warm_runs: int = 5
    sessions: tuple[int, ...] = (1, 10, 20)
    memory_repeat: int = 3
    timeout: float = 300.0       # seconds allowed to one pipeline run (5,000,000 rows: ~70 s)


FULL = Plan(sizes=[100_000, 1_000_000, 5_000_000])
QUICK = Plan(sizes=[2_000], repeat=1, big_repeat=1, naive_sample=500, pipeline_areas=20, also_areas=(),
             baseline_rows=2_000, baseline_repeat=1, baseline_before=False,
             marts_businesses=20_000, points=20_000, areas=(20, 50), loop_sample=200,
             server_areas=(20,), server_rows=2_000, page_repeat=1, naive_page_repeat=1,
             cold_runs=1, warm_runs=1, sessions=(1, 2), memory_repeat=1, timeout=300.0)


def run_suite(plan: Plan, browser: bool, say=print) -> list[Section]:
    """Every section, in the order of RESULTS.md; a section that breaks says why."""
    say(f"pipeline at {', '.join(f'{n:,}' for n in plan.sizes)} rows")
    sections = [attempt("Pipeline end to end", lambda: bench_pipeline.measure(
        plan.sizes, plan.pipeline_areas, plan.repeat, plan.big_repeat,
        naive_sample=plan.naive_sample, timeout=plan.timeout, also_areas=plan.also_areas))]
    say(f"the pipeline beside its baselines ({plan.baseline_rows:,} real-shaped rows)")
    sections.append(attempt(bench_baselines.TITLE, lambda: bench_baselines.measure(
        plan.baseline_rows, plan.baseline_repeat, timeout=plan.timeout * 2,
        with_before=plan.baseline_before)))
    say(f"marts alone ({plan.marts_businesses:,} businesses, benchmarks/bench_marts.py)")
    sections.append(attempt("Marts", lambda: in_child(
        bench_marts.measure, plan.marts_businesses, plan.areas[0], plan.repeat,
        timeout=plan.timeout, memory_limit_mb=bench_pipeline.MEMORY_LIMIT_MB)))
    say(f"assignment of {plan.points:,} points")
    sections.append(attempt("Neighborhood assignment", lambda: bench_assign.measure(
        plan.points, plan.areas, plan.repeat, plan.loop_sample)))
    say(f"the server's cities ({plan.server_rows:,} rows) and its time per page and control")
    cities: list[bench_server.City] = []
    sections.append(attempt("Server time per page and per map control",
                            lambda: server_figures(plan, cities)))
    if not browser or not cities:
        why = "not measured in this run (--skip-browser)" if not browser else "no city to serve"
        return sections + [Section(title, "", skipped=why) for title in BROWSER_SECTIONS]
    say("browser time to a drawn map")
    sections.append(attempt(BROWSER_SECTIONS[0], lambda: bench_browser.browser_section(
        cities, plan.cold_runs, plan.warm_runs)))
    say("server memory with concurrent sessions")
    sections.append(attempt(BROWSER_SECTIONS[1], lambda: bench_browser.memory_section(
        cities[-1], plan.sessions, plan.memory_repeat)))
    return sections


def server_figures(plan: Plan, cities: list) -> Section:
    """Build (or reuse) the server's cities into `cities`, then time the pages on them."""
    cities += [bench_server.city(areas, plan.server_rows, plan.timeout)
               for areas in plan.server_areas]
    return bench_server.server_section(cities, plan.page_repeat, plan.naive_page_repeat)


def attempt(title: str, measure: Callable[[], Section]) -> Section:
    """The section, or an empty one saying what broke (the other sections still run)."""
    try:
        return measure()
    except Exception as error:   # RESULTS.md says so; a traceback would lose every figure
        return Section(title, "", skipped=f"it broke: {type(error).__name__}: {error}"[:400])


# ----------------------------------------------------------------------------- misses

def plans(sections: list[Section]) -> list[str]:
    """Each missed target: by how much, why, and what would meet it."""
    return [miss for section in sections for miss in section.misses]


# ----------------------------------------------------------------------------- RESULTS.md

def number(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit in ("s",):
        return f"{value:,.2f} s" if value < 10 else f"{value:,.1f} s"
    if unit == "rows/s":
        return f"{value:,.0f} rows/s"
    return f"{value:,.0f} {unit}"


def runs_cell(figure: Figure) -> str:
    if not figure.runs:
        return "0"
    if len(figure.runs) == 1:
        return "1"
    low, high = min(figure.runs), max(figure.runs)
    return f"{len(figure.runs)} ({number(low, figure.unit)} – {number(high, figure.unit)})"


def figure_row(figure: Figure) -> str:
    met = {True: "yes", False: "**no**", None: "—"}[figure.met]
    ratio = f"×{figure.ratio:,.1f}" if figure.ratio is not None else "—"
    notes = "; ".join(n for n in (figure.note, f"naive: {figure.naive_note}"
                                  if figure.naive_note else "") if n)
    cells = [figure.name, number(figure.median, figure.unit), runs_cell(figure),
             number(figure.naive, figure.unit), ratio,
             figure.target.text if figure.target else "—", met, notes]
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def section_text(section: Section) -> list[str]:
    lines = [f"## {section.title}", ""]
    if section.skipped:
        return lines + [f"Skipped: {section.skipped}.", ""]
    lines += [section.intro, "",
              "| figure | median | runs | naive | ratio (naive ÷ ours) | target | met? | notes |",
              "|---|---|---|---|---|---|---|---|"]
    lines += [figure_row(figure) for figure in section.figures]
    return lines + [""]


def results_text(info: dict[str, str], sections: list[Section], quick: bool,
                 minutes: float) -> str:
    lines = ["# Benchmark results", "",
             f"Written by `python -m benchmarks.run{' --quick' if quick else ''}` "
             f"(`make bench`) in {minutes:.1f} minutes. Every figure is the median of the runs "
             "shown; \"naive\" is the same work done the naive way in the same run, and the "
             "ratio is how many times slower the naive way is.", ""]
    if quick:
        lines += ["**Quick run: tiny sizes to check the suite works; these are not the "
                  "issue's figures.**", ""]
    lines += ["## Machine", "", "| | |", "|---|---|"]
    lines += [f"| {key} | {value} |" for key, value in info.items()]
    lines += [""]
    for section in sections:
        lines += section_text(section)
    lines += ["## Misses and plans", ""]
    lines += [f"- {item}" for item in plans(sections)] or ["- Every target was met."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check the suite")
    parser.add_argument("--sizes", type=int, nargs="+", help="pipeline registry sizes (rows)")
    parser.add_argument("--skip-browser", action="store_true",
                        help="leave out the browser and memory sections (no Chromium needed)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write RESULTS.md")
    parser.add_argument("--work", type=Path, help="folder for generated inputs and databases")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.sizes:
        plan = replace(plan, sizes=args.sizes)
    if args.work:
        synthetic.WORK = args.work
    started = time.perf_counter()
    info = machine()
    sections = run_suite(plan, browser=not args.skip_browser,
                         say=lambda text: print(f"[{time.perf_counter() - started:7.1f} s] {text}",
                                                flush=True))
    minutes = (time.perf_counter() - started) / 60
    args.out.write_text(results_text(info, sections, args.quick, minutes))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
