"""The marts alone: 1,000,000 businesses, 10 years, 200 neighborhoods (target ≤ 10 s).

    .venv/bin/python -m benchmarks.bench_marts [--businesses 1000000] [--areas 200]
                                               [--repeat 3] [--write-docs]
    .venv/bin/python -m benchmarks.bench_marts --withheld [--rows 100000] [--areas 200]
                                               [--repeat 3] [--write-docs]

Generates a city straight into a DuckDB file with numpy (no demo generator, no geometry
work): businesses spread unevenly over the neighborhoods, three tracts each, twenty
categories from common to rare, openings over fifteen years and closures after random
lifetimes; ACS-like tract residents, LODES-like jobs by tract and ZIP Business Patterns.
Then times `marts.build_marts` (suppression threshold 3) and prints a Markdown block;
`--write-docs` puts it under "Speed" in docs/metrics.md (replacing the previous figures).

`--withheld`: what the suppression costs in a thin city. The benchmarks' synthetic
registry (`synthetic.py`, 100,000 rows, 200 neighborhoods: the server benchmarks' city) is
imported through the pipeline, then the marts are built at threshold 0 and at threshold 3,
timed, and the share of every figure's cells withheld is printed; `--write-docs` puts it
under "What it costs in a thin city" in docs/metrics.md.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import shapely

from core import metrics

from data_pipeline import load, marts
from core.categories import SECTORS, UNKNOWN_CATEGORY

from .measure import Figure, Section, Target, machine

DOCS = Path(__file__).resolve().parents[1] / "docs" / "metrics.md"
FIRST, LAST = 2015, 2024
TARGET = Target(10.0, "≤ 10 s")
THIN_THRESHOLD = 3


def generate(con: duckdb.DuckDBPyConnection, businesses: int, areas: int, seed: int = 1) -> None:
    """Fill the canonical tables of an empty database with a synthetic city."""
    rng = np.random.default_rng(seed)
    load.create_schema(con)
    hoods = [f"N{i:03d}" for i in range(areas)]
    tracts = [f"99001{i:06d}" for i in range(areas * 3)]
    square = shapely.to_wkb(shapely.box(0, 0, 0.01, 0.01))
    _put(con, "neighborhoods", pd.DataFrame({"neighborhood_id": hoods, "name": hoods,
                                             "area_km2": rng.uniform(0.5, 6, areas),
                                             "geometry_wkb": [square] * areas}))
    _put(con, "businesses", _businesses(rng, businesses, hoods, tracts))
    _put(con, "tracts", pd.DataFrame({
        "geoid": tracts, "area_km2": rng.uniform(0.3, 2, len(tracts)), "acs_year": LAST - 1,
        "population": rng.integers(800, 7000, len(tracts)).astype(float),
        "population_moe": rng.integers(100, 900, len(tracts)).astype(float),
        "geometry_wkb": [square] * len(tracts)}))
    _put(con, "tract_neighborhood_weights", _weights(rng, tracts, hoods))
    _put(con, "jobs", _jobs(rng, tracts, hoods))
    zips, bp = _patterns(rng, hoods)
    _put(con, "business_patterns", bp)
    _put(con, "zip_neighborhood_weights", zips)
    _put(con, "build_info", pd.DataFrame({"key": ["first_year", "last_year"],
                                          "value": [str(FIRST), str(LAST)]}))
    _put(con, "sources", pd.DataFrame({
        "source_id": ["bench"], "kind": ["businesses"], "name": ["Synthetic registry"],
        "rows_raw": [businesses], "rows_loaded": [businesses], "rows_merged": [0],
        "rows_rejected": [0]}))


def _businesses(rng, n: int, hoods: list[str], tracts: list[str]) -> pd.DataFrame:
    size = rng.lognormal(0, 0.8, len(hoods))
    hood = rng.choice(len(hoods), n, p=size / size.sum())
    tract = np.array(tracts, dtype=object)[hood * 3 + rng.integers(0, 3, n)]
    tract[rng.random(n) < 0.02] = None                    # a few without a tract
    names = [*SECTORS.values(), UNKNOWN_CATEGORY]
    weight = 1 / np.arange(1, len(names) + 1) ** 1.3      # common to rare
    opened = np.datetime64(f"{FIRST - 5}-01-01") + rng.integers(0, 365 * 15 + 4, n)
    lifetime = rng.exponential(6 * 365, n).astype(int)
    closed = (opened + lifetime).astype("datetime64[D]").astype(object)
    closed[(rng.random(n) < 0.35) | (opened + lifetime > np.datetime64(f"{LAST}-12-31"))] = None
    ids = np.char.add("b", np.arange(n).astype(str))
    micro = rng.random(n) < 0.45
    return pd.DataFrame({
        "business_id": ids, "source": "bench", "source_key": ids,
        "category": np.array(names)[rng.choice(len(names), n, p=weight / weight.sum())],
        "home_based": micro, "sole_proprietor": False, "is_micro": micro,
        "opened": opened.astype("datetime64[D]"), "closed": closed,
        "latitude": 0.0, "longitude": 0.0,
        "neighborhood_id": np.array(hoods)[hood], "tract_geoid": tract})


def _weights(rng, tracts: list[str], hoods: list[str]) -> pd.DataFrame:
    """Tracts nested in their neighborhood; one in ten shared 70/30 with the next."""
    rows = []
    for i, geoid in enumerate(tracts):
        home, other = hoods[i // 3], hoods[(i // 3 + 1) % len(hoods)]
        split = rng.random() < 0.1
        rows.append((geoid, home, 0.7 if split else 1.0, "area" if split else "nested"))
        if split:
            rows.append((geoid, other, 0.3, "area"))
    return pd.DataFrame(rows, columns=["geoid", "neighborhood_id", "weight", "method"])


def _jobs(rng, tracts: list[str], hoods: list[str]) -> pd.DataFrame:
    years = np.arange(FIRST, LAST)
    geoid = np.repeat(tracts, len(years))
    total = rng.integers(0, 3000, geoid.size)
    private = (total * rng.uniform(0.6, 0.95, geoid.size)).astype(int)
    known = rng.random(len(tracts)) < 0.8          # the rest split by the tract weights
    hood = np.where(np.repeat(known, len(years)),
                    np.repeat([hoods[i // 3] for i in range(len(tracts))], len(years)), None)
    return pd.DataFrame({
        "geo_level": "tract", "geo_id": geoid, "tract_geoid": geoid, "neighborhood_id": hood,
        "year": np.tile(years, len(tracts)), "jobs_total": total, "jobs_private": private,
        "jobs_small_firms": (private * rng.uniform(0.1, 0.4, geoid.size)).astype(int),
        "jobs_young_firms": (private * rng.uniform(0.05, 0.2, geoid.size)).astype(int)})


def _patterns(rng, hoods: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    zips = [f"9{i:04d}" for i in range(len(hoods) // 4 + 1)]
    weights = pd.DataFrame({"zip": [zips[i // 4] for i in range(len(hoods))],
                            "neighborhood_id": hoods, "weight": 0.25, "method": "address"})
    years = range(FIRST, LAST)
    patterns = pd.DataFrame([(z, y, int(rng.integers(0, 400))) for z in zips for y in years],
                            columns=["geo_id", "year", "establishments"])
    return weights, patterns.assign(geo_level="zip", naics="00", size_class="212")


def _put(con, table: str, frame: pd.DataFrame) -> None:
    con.register("incoming", frame)
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming")
    con.unregister("incoming")


def time_marts(path: Path, repeat: int) -> tuple[list[float], dict[str, int]]:
    """Seconds per `build_marts` run, and the size of what it built."""
    runs = []
    with duckdb.connect(str(path)) as con:
        for _ in range(repeat):
            started = time.perf_counter()
            marts.build_marts(con, suppression_threshold=3)
            runs.append(time.perf_counter() - started)
        sizes = dict(con.execute("""
            SELECT 'metrics_long rows', count(*) FROM metrics_long
            UNION ALL SELECT 'suppressed rows', count(*) FILTER (WHERE suppressed) FROM metrics_long
            UNION ALL SELECT 'category_counts rows', count(*) FROM category_counts
            UNION ALL SELECT 'tracts', count(*) FROM tracts""").fetchall())
    return runs, sizes


def measure(businesses: int = 1_000_000, areas: int = 200, repeat: int = 3) -> Section:
    """The marts section for benchmarks/run.py (a `Section` with one figure)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.duckdb"
        with duckdb.connect(str(path)) as con:
            generate(con, businesses, areas)
        runs, _ = time_marts(path, repeat)
    figure = Figure(f"marts, {businesses:,} businesses, {areas} neighborhoods, "
                    f"{LAST - FIRST + 1} years", "s", runs, target=TARGET)
    return Section("Marts", "`marts.build_marts` on a synthetic city (benchmarks/bench_marts.py).",
                   [figure])


def report(businesses: int, areas: int, runs: list[float], sizes: dict[str, int]) -> str:
    facts = machine()
    lines = [f"Measured {facts['date']} with `python -m benchmarks.bench_marts`: "
             f"{businesses:,} businesses, {areas} neighborhoods, {sizes['tracts']:,} tracts, "
             f"{LAST - FIRST + 1} years ({FIRST}–{LAST}), suppression threshold 3.", "",
             "| figure | value |", "|---|---|",
             f"| `build_marts`, median of {len(runs)} | **{statistics.median(runs):.1f} s** "
             f"(target {TARGET.text}) |",
             f"| runs | {', '.join(f'{r:.1f} s' for r in runs)} |"]
    lines += [f"| {name} | {value:,} |" for name, value in sizes.items() if name != "tracts"]
    keys = ["cores (nproc)", "memory (MemTotal)", "CPU", "OS", "Python", "duckdb", "numpy",
            "pandas"]
    lines += [f"| {key} | {facts.get(key, '?')} |" for key in keys]
    lines.append(f"| load average when measured (1 min) | {os.getloadavg()[0]:.1f} |")
    return "\n".join(lines)


def write_docs(block: str, marker: str = "speed") -> None:
    """Replace the figures between the `marker` markers of docs/metrics.md."""
    text = DOCS.read_text()
    pattern = re.compile(rf"(<!-- {marker}:start -->\n).*?(<!-- {marker}:end -->)", re.S)
    DOCS.write_text(pattern.sub(lambda m: f"{m.group(1)}{block}\n{m.group(2)}", text))


# ----------------------------------------------------------------------------- thin city

def registry_city(folder: Path, rows: int, areas: int) -> Path:
    """The synthetic registry imported through the pipeline (Chicago profile), as the
    server benchmarks' city is; the database is written into `folder`."""
    from . import synthetic
    from .bench_pipeline import run_child
    db = folder / "registry.duckdb"
    built = run_child(synthetic.write_registry(rows), synthetic.write_neighborhoods(areas),
                      3600.0, db=db)
    if "stopped" in built:
        raise RuntimeError(f"the import of the synthetic registry stopped: {built['stopped']}")
    return db


def withheld_shares(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per published figure (metrics_long's metrics, then category counts) and level: the
    cells and the share of them withheld."""
    frame = con.execute("""
        SELECT metric_id AS figure, geo_level, count(*) AS cells,
               avg(suppressed::INTEGER) AS withheld
        FROM metrics_long GROUP BY ALL
        UNION ALL
        SELECT 'category_counts', geo_level, count(*), avg(suppressed::INTEGER)
        FROM category_counts GROUP BY ALL""").df()
    order = {name: i for i, name in enumerate([*metrics.LONG_METRICS, "category_counts"])}
    frame["position"] = frame["figure"].map(order)
    return frame.sort_values(["position", "geo_level"]).drop(columns="position")


def time_thin(path: Path, repeat: int) -> tuple[dict[int, list[float]], pd.DataFrame, dict]:
    """Seconds per `build_marts` run at threshold 0 and at `THIN_THRESHOLD`, the shares
    withheld at that threshold, and the city's size."""
    runs: dict[int, list[float]] = {0: [], THIN_THRESHOLD: []}
    with duckdb.connect(str(path)) as con:
        for threshold in runs:
            for _ in range(repeat):
                started = time.perf_counter()
                marts.build_marts(con, suppression_threshold=threshold)
                runs[threshold].append(time.perf_counter() - started)
        shares = withheld_shares(con)
        sizes = dict(zip(["businesses", "neighborhoods", "first year", "last year"],
                         con.execute("""
            SELECT (SELECT count(*) FROM businesses), (SELECT count(*) FROM neighborhoods),
                   first_year, last_year FROM settings""").fetchone()))
    return runs, shares, sizes


def thin_report(rows: int, runs: dict[int, list[float]], shares: pd.DataFrame,
                sizes: dict) -> str:
    facts = machine()
    levels = [lv for lv in ("neighborhood", "tract", "city") if lv in set(shares["geo_level"])]
    wide = shares.pivot(index="figure", columns="geo_level", values=["cells", "withheld"])
    wide = wide.reindex(shares["figure"].drop_duplicates())
    median = {t: statistics.median(r) for t, r in runs.items()}
    timed = ", ".join(f"{r:.1f}" for r in runs[THIN_THRESHOLD])
    first, last = sizes["first year"], sizes["last year"]
    lines = [f"Measured {facts['date']} with `python -m benchmarks.bench_marts --withheld`: "
             f"the {rows:,}-row synthetic registry imported with the Chicago profile "
             f"({sizes['businesses']:,} businesses), {sizes['neighborhoods']} neighborhoods, "
             f"{last - first + 1} years ({first}–{last}), suppression threshold "
             f"{THIN_THRESHOLD}; {facts.get('cores (nproc)', '?')} cores "
             f"({facts.get('CPU', '?')}), load average {os.getloadavg()[0]:.1f}.", "",
             f"`build_marts`, median of {len(runs[0])}: {median[THIN_THRESHOLD]:.1f} s at "
             f"threshold {THIN_THRESHOLD} ({timed} s), {median[0]:.1f} s at threshold 0 "
             "(nothing hidden).", "",
             "| figure | " + " | ".join(f"{lv} cells | withheld" for lv in levels) + " |",
             "|---|" + "---:|---:|" * len(levels)]
    for figure, row in wide.iterrows():
        cells = [_share_cells(row[("cells", lv)], row[("withheld", lv)]) for lv in levels]
        lines.append(f"| `{figure}` | {' | '.join(cells)} |")
    return "\n".join(lines)


def _share_cells(cells: float, withheld: float) -> str:
    return "– | –" if pd.isna(cells) else f"{int(cells):,} | {withheld:.1%}"


def measure_thin(rows: int, areas: int, repeat: int) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = registry_city(Path(folder), rows, areas)
        runs, shares, sizes = time_thin(path, repeat)
    return thin_report(rows, runs, shares, sizes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--businesses", type=int, default=1_000_000)
    parser.add_argument("--areas", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--withheld", action="store_true",
                        help="the share withheld in the thin registry city, and its time")
    parser.add_argument("--rows", type=int, default=100_000,
                        help="registry rows of the thin city (with --withheld)")
    args = parser.parse_args()
    if args.withheld:
        block = measure_thin(args.rows, args.areas, args.repeat)
        print(block)
        if args.write_docs:
            write_docs(block, "withheld")
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.duckdb"
        started = time.perf_counter()
        with duckdb.connect(str(path)) as con:
            generate(con, args.businesses, args.areas)
        print(f"generated in {time.perf_counter() - started:.1f} s", flush=True)
        runs, sizes = time_marts(path, args.repeat)
    block = report(args.businesses, args.areas, runs, sizes)
    print(block)
    if args.write_docs:
        write_docs(block)


if __name__ == "__main__":
    main()
