"""Build the metric marts inside a freshly loaded database.

Three steps, in order (SQL files under `sql/marts/`):

1. `10_frame.sql`, `20_cells.sql` — years, areas, residents, and every count the marts
   will publish as a "cell", with the sums ("lines") that tie cells together: the areas of
   a level add up to the city, an area's categories add up to its active businesses, and
   active(y) − active(y−1) = new(y) − closed(y), tracts and neighborhoods that cover the
   same ground hold the same businesses.
2. `suppression.protect_cells` (when a threshold is set) — which cells to hide: every
   count below the threshold, plus complementary cells chosen so that no hidden count
   below the threshold can be worked out from the published cells and those sums. A
   neighborhood's or the city's number of active businesses is never hidden.
3. `30_metrics.sql`, `40_categories.sql`, `50_registry.sql` — the published tables
   (`metrics_long`, `category_counts`, `location_quotients`, `metric_registry`, …), then
   the wide tables generated from the registry here.

Metric definitions live in `metrics.py`; docs/metrics.md explains every table.
"""
from __future__ import annotations

import contextlib
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from .sources import SOURCES
from core import categories, i18n, metrics
from .suppression import protect_cells

MARTS_DIR = Path(__file__).with_name("sql") / "marts"
PREPARE = ["10_frame.sql", "20_cells.sql"]
# Then every file from 30 on, in order: 30_metrics.sql, a source's own metric files (31–44,
# e.g. 35_capital.sql), 40_categories.sql, 45_flags.sql (low counts), 50_registry.sql.
PUBLISH = sorted(path.name for path in MARTS_DIR.glob("[3-9][0-9]_*.sql"))
TEMP_TABLES = ["_span", "_years", "_tract_share", "_areas", "_residents", "_placed", "_stock",
               "_business_counts", "_category_cells", "_jobs_placed", "_job_counts",
               "_census_micro", "_cells_raw", "_cells", "_line_keys", "_line_members",
               "_hidden", "_registry_rows", "_source_kinds", "_published", "_overlaps"]


def build_marts(con: duckdb.DuckDBPyConnection, suppression_threshold: int | None = None) -> None:
    """Create the marts from the canonical tables. Counts are published as they are (a
    public registry's rows are public); a threshold above 0 hides smaller counts and their
    complements, for registries that are not public row by row. The threshold is the
    build's setting (`build_info.suppress_below`) unless given here."""
    if suppression_threshold is None:
        suppression_threshold = build_setting(con, "suppress_below", 0)
    con.execute("CREATE OR REPLACE TABLE settings AS SELECT ?::INTEGER AS suppression_threshold, "
                "?::VARCHAR AS unknown_category, ?::INTEGER AS low_count_below",
                [suppression_threshold, categories.UNKNOWN_CATEGORY, metrics.LOW_COUNT])
    _run_sql(con, PREPARE[:1])
    _write_overlaps(con)
    _run_sql(con, PREPARE[1:])
    hidden = (_hidden_cells(con, suppression_threshold) if suppression_threshold > 0
              else np.array([], dtype=np.int64))
    con.register("hidden_frame", pd.DataFrame({"cell_id": hidden}))
    con.execute("CREATE OR REPLACE TEMP TABLE _hidden AS SELECT cell_id::BIGINT AS cell_id "
                "FROM hidden_frame")
    con.unregister("hidden_frame")
    _write_registry(con)
    _run_sql(con, PUBLISH)
    _write_apportionment(con)
    _write_wide(con, "neighborhood_metrics", "neighborhood")
    _write_wide(con, "city_metrics", "city")
    for table in TEMP_TABLES:
        con.execute(f"DROP TABLE IF EXISTS {table}")


def _run_sql(con: duckdb.DuckDBPyConnection, names: list[str]) -> None:
    for name in names:
        con.execute((MARTS_DIR / name).read_text())


def _write_overlaps(con: duckdb.DuckDBPyConnection) -> None:
    """`_overlaps`: tracts and neighborhoods grouped where they overlap (by the weights).

    A group's neighborhoods cover the same ground as its tracts, so their counts must add
    up to the same total: a sum a reader can use, which the suppression has to know.
    """
    pairs = con.execute("SELECT geoid, neighborhood_id FROM tract_neighborhood_weights "
                        "WHERE weight > 0").fetchall()
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def root(node):
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for tract, hood in pairs:
        parent[root(("tract", tract))] = root(("neighborhood", hood))
    roots = {node: root(node) for node in list(parent)}
    numbers = {r: i for i, r in enumerate(sorted(set(roots.values())))}
    frame = pd.DataFrame([(level, geo_id, numbers[r]) for (level, geo_id), r in roots.items()],
                         columns=["geo_level", "geo_id", "component"])
    con.register("overlap_frame", frame.astype({"component": "int64"}))
    con.execute("CREATE OR REPLACE TEMP TABLE _overlaps AS SELECT geo_level::VARCHAR AS geo_level, "
                "geo_id::VARCHAR AS geo_id, component::BIGINT AS component FROM overlap_frame")
    con.unregister("overlap_frame")


def build_setting(con: duckdb.DuckDBPyConnection, key: str, default: int) -> int:
    """A whole-number setting of the build, from `build_info`."""
    found = con.execute("SELECT value FROM build_info WHERE key = ?", [key]).fetchone()
    return int(found[0]) if found and found[0] not in (None, "") else default


def _hidden_cells(con: duckdb.DuckDBPyConnection, threshold: int) -> np.ndarray:
    """Ids of the cells to hide, read from `_cells` and `_line_members`.

    `_cells.hideable` marks the published cells (not the pseudo-areas); of those, a
    neighborhood's or the city's number of active businesses is never hidden (the engine
    takes it as known, like any published cell), and their micro-business counts are
    hidden only when nothing else protects as well.
    """
    cells = con.execute("""
        SELECT cell_id, value,
               hideable AND NOT (geo_level IN ('neighborhood', 'city') AND measure = 'active')
                   AS hideable,
               geo_level IN ('neighborhood', 'city') AND measure = 'micro' AS keep
        FROM _cells ORDER BY cell_id""").fetchnumpy()
    members = con.execute("SELECT line_id, cell_id, coef FROM _line_members").fetchnumpy()
    with _one_blas_thread():  # many small matrices: threads only fight over them
        hidden = protect_cells(cells["value"].astype(float), cells["hideable"].astype(bool),
                               members["line_id"].astype(np.int64),
                               members["cell_id"].astype(np.int64),
                               members["coef"].astype(float), threshold,
                               keep=cells["keep"].astype(bool))
    return cells["cell_id"][hidden]


def _one_blas_thread():
    """Limit numpy's BLAS to one thread (20× faster here on small matrices), if we can."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # installed with scikit-learn (mapclassify); optional
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


# --- Registry and wide tables --------------------------------------------------------------

def _build_areas(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """The English nouns of the areas this build shows ("ward", "wards"), from `build_info`."""
    found = dict(con.execute("SELECT key, value FROM build_info WHERE key IN "
                             "('area_singular', 'area_plural')").fetchall())
    if found.get("area_singular") and found.get("area_plural"):
        return found["area_singular"], found["area_plural"]
    return i18n.FIRST_AREAS


def _write_registry(con: duckdb.DuckDBPyConnection) -> None:
    """`_registry_rows` from metrics.REGISTRY, its words naming the build's areas ("split
    from tracts to wards"); 50_registry.sql adds sources and vintages."""
    singular, plural = _build_areas(con)
    with i18n.using(i18n.DEFAULT), i18n.using_areas(singular, plural):
        rows = _registry_frame()
    con.register("registry_frame", rows)
    con.execute("CREATE OR REPLACE TEMP TABLE _registry_rows AS SELECT * FROM registry_frame")
    con.unregister("registry_frame")
    _write_source_kinds(con)


def _registry_frame() -> pd.DataFrame:
    rows = pd.DataFrame([{
        "metric_id": m.id, "label": m.label, "description": m.description, "unit": m.unit,
        "formula": m.formula, "tables": ", ".join(m.tables),
        "higher_is_better": m.higher_is_better, "source_kinds": ", ".join(m.sources),
        "metric_group": m.group, "format": m.format, "kind": m.kind, "caveat": m.caveat,
        "mart": m.table, "low_count_basis": m.low_count_basis, "position": i,
    } for i, m in enumerate(metrics.REGISTRY.values())])
    rows["low_count_basis"] = rows["low_count_basis"].astype("string")
    rows["higher_is_better"] = rows["higher_is_better"].astype("boolean")
    return rows


def _write_source_kinds(con: duckdb.DuckDBPyConnection) -> None:
    """`_source_kinds`: per kind of source, whether the build has it and, if not, why a
    figure that needs it is missing (the first source of that kind says it)."""
    rows = {}
    for position, source in enumerate(SOURCES):
        loaded = bool(con.execute(f"SELECT {source.loaded}").fetchall()[0][0])  # noqa: S608 (reviewed: code-owned SQL of the source units)
        if source.kind in rows:
            rows[source.kind]["loaded"] |= loaded
        else:
            rows[source.kind] = {"kind": source.kind, "required": source.required,
                                 "loaded": loaded, "absent": source.absent, "position": position}
    con.register("kinds_frame", pd.DataFrame(list(rows.values())))
    con.execute("CREATE OR REPLACE TEMP TABLE _source_kinds AS SELECT * FROM kinds_frame")
    con.unregister("kinds_frame")


def _write_apportionment(con: duckdb.DuckDBPyConnection) -> None:
    """Add each source's own rows to `apportionment` (40_categories.sql writes those of the
    residents, jobs and Census establishments), in the order of `SOURCES`."""
    for source in SOURCES:
        if source.apportionment:
            con.execute(f"INSERT INTO apportionment {source.apportionment}")  # noqa: S608 (reviewed: code-owned SQL of the source units)


def _write_wide(con: duckdb.DuckDBPyConnection, table: str, geo_level: str) -> None:
    """One row per area and year, a value and a `_suppressed` column per metric."""
    columns, params = [], []
    for metric_id in metrics.LONG_METRICS:  # identifiers from the registry, values bound
        columns.append(f'max(value) FILTER (WHERE metric_id = ?) AS "{metric_id}"')
        columns.append(f'coalesce(bool_or(suppressed) FILTER (WHERE metric_id = ?), false) '
                       f'AS "{metric_id}_suppressed"')
        params += [metric_id, metric_id]
    con.execute(f"""
        CREATE OR REPLACE TABLE {table} AS
        SELECT geo_id, year, {', '.join(columns)}
        FROM metrics_long WHERE geo_level = ? GROUP BY geo_id, year ORDER BY geo_id, year
    """, [*params, geo_level])  # noqa: S608 (reviewed: placeholders only)
