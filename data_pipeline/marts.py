"""Build the metric marts inside a freshly loaded database.

Three steps, in order (SQL files under `sql/marts/`):

1. `10_frame.sql`, `20_cells.sql` — years, areas, residents, and every count the marts
   will publish as a "cell", with the sums ("lines") that tie cells together: the areas of
   a level add up to the city, an area's categories add up to its active businesses, and
   active(y) − active(y−1) = new(y) − closed(y), tracts and neighborhoods that cover the
   same ground hold the same businesses.
2. `protect_cells` (here) — which cells to hide: every count below the threshold, plus
   complementary cells chosen so that no hidden count below the threshold can be worked
   out from the published cells and those sums.
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

from . import categories, metrics
from .errors import PipelineError

MARTS_DIR = Path(__file__).with_name("sql") / "marts"
PREPARE = ["10_frame.sql", "20_cells.sql"]
PUBLISH = ["30_metrics.sql", "40_categories.sql", "50_registry.sql"]
TEMP_TABLES = ["_span", "_years", "_tract_share", "_areas", "_residents", "_placed", "_stock",
               "_business_counts", "_category_cells", "_jobs_placed", "_job_counts",
               "_census_micro", "_cells_raw", "_cells", "_line_keys", "_line_members",
               "_hidden", "_registry_rows", "_published", "_overlaps"]
MAX_ROUNDS = 200
DENSE_UP_TO = 400   # cells in a group solved densely; larger groups use sparse LU
FREEING_TRIES = 20  # candidates tried for a cell that several lines pin together
STUCK_AFTER = 8     # rounds of single complements before hiding a stuck cell's surroundings


def build_marts(con: duckdb.DuckDBPyConnection, suppression_threshold: int = 0) -> None:
    """Create the marts from the canonical tables. Counts are published as they are (a
    public registry's rows are public); a threshold above 0 hides smaller counts and their
    complements, for registries that are not public row by row."""
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


def _hidden_cells(con: duckdb.DuckDBPyConnection, threshold: int) -> np.ndarray:
    """Ids of the cells to hide, read from `_cells` and `_line_members`."""
    cells = con.execute("""
        SELECT cell_id, value, hideable,
               -- the headline counts of a neighborhood or the city: hidden only as a last resort
               geo_level IN ('neighborhood', 'city') AND measure IN ('active', 'micro') AS headline
        FROM _cells ORDER BY cell_id""").fetchnumpy()
    members = con.execute("SELECT line_id, cell_id, coef FROM _line_members").fetchnumpy()
    with _one_blas_thread():  # many small matrices: threads only fight over them
        hidden = protect_cells(cells["value"].astype(float), cells["hideable"].astype(bool),
                               members["line_id"].astype(np.int64),
                               members["cell_id"].astype(np.int64),
                               members["coef"].astype(float), threshold,
                               keep=cells["headline"].astype(bool))
    return cells["cell_id"][hidden]


def _one_blas_thread():
    """Limit numpy's BLAS to one thread (20× faster here on small matrices), if we can."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # installed with scikit-learn (mapclassify); optional
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


# --- Suppression -------------------------------------------------------------------------
#
# The reader we protect against knows every published cell, every line (a sum that must
# hold) and that no count is negative; hidden cells all look alike ("withheld"). We also
# let the reader know which hidden cells are zero: zeros are hidden (they are below the
# threshold) but never counted on to protect another cell, as statistical agencies do.
# Every other hidden cell is then positive, so a hidden cell can be worked out exactly
# when the lines, restricted to the hidden positive cells, determine it — linear algebra,
# no search: if they do not, it can move a little both ways and stay consistent.


def protect_cells(value: np.ndarray, hideable: np.ndarray, line: np.ndarray, cell: np.ndarray,
                  coef: np.ndarray, threshold: int,
                  keep: np.ndarray | None = None) -> np.ndarray:
    """Boolean mask of cells to hide so that no hidden count below `threshold` is pinned.

    `keep` marks cells to leave shown when another choice protects as well (the headline
    counts); they are hidden only when nothing else is left.

    Primary: every hideable cell below the threshold (zeros too). Complementary: while
    some hidden count of 1 to threshold−1 can be worked out, hide the smallest published
    cell of a line through it (preferring the line with the fewest hidden cells).
    """
    keep = np.zeros(value.size, dtype=bool) if keep is None else keep
    hidden = hideable & (value < threshold)
    sensitive = hidden & (value > 0)
    changed = hidden.copy()
    tries = np.zeros(value.size, dtype=np.int64)
    for _ in range(MAX_ROUNDS):
        scope = _touched(changed, hidden, line, cell)  # groups untouched keep their verdict
        l, c, k = line[scope], cell[scope], coef[scope]
        exposed, pinned = exposed_cells(value, hidden, sensitive, l, c, k)
        exposed = np.flatnonzero(exposed)
        if exposed.size == 0:
            return hidden
        tries[exposed] += 1
        stuck = exposed[tries[exposed] > STUCK_AFTER]
        fresh = exposed[tries[exposed] <= STUCK_AFTER]
        extra = [_complements(fresh, value, hideable, hidden, pinned, l, c, keep)] if fresh.size else []
        if stuck.size:  # complements did not free it: hide its neighbourhood, wider each time
            extra.append(_surroundings(stuck, tries[stuck] - STUCK_AFTER, value, hideable,
                                       hidden, line, cell, keep))
        extra = np.unique(np.concatenate(extra)) if extra else np.array([], dtype=np.int64)
        if extra.size == 0 and fresh.size:  # pinned by several lines together
            extra = np.unique(np.concatenate(
                [_freeing_option(x, value, hideable, hidden, line, cell, coef) for x in fresh]))
        if extra.size == 0:
            break
        hidden[extra] = True
        changed = np.zeros_like(hidden)
        changed[extra] = True
    raise PipelineError("The marts could not hide every count below the suppression threshold "
                        "safely; build again with a different --suppress-below, or report "
                        "this with the city's name.")


def _surroundings(stuck: np.ndarray, radius: np.ndarray, value: np.ndarray,
                  hideable: np.ndarray, hidden: np.ndarray, line: np.ndarray,
                  cell: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Published positive cells within `radius` lines of each stuck cell (ids, unique).

    The escalation that always ends: once every line reached from a cell is wholly hidden,
    its hidden cells satisfy sums of zero only, which cannot pin a positive count.
    """
    found = []
    for r in np.unique(radius):
        reached = np.zeros(value.size, dtype=bool)
        reached[stuck[radius == r]] = True
        open_ = hideable & ~hidden & (value > 0)
        steps, size = 0, -1
        while steps < r or (not (reached & open_ & ~keep).any()
                            and reached.sum() > size):  # widen until something is left
            size = reached.sum()
            lines = np.unique(line[reached[cell]])
            reached[cell[np.isin(line, lines)]] = True
            steps += 1
        chosen = reached & open_ & ~keep
        found.append(np.flatnonzero(chosen if chosen.any() else reached & open_))
    return np.unique(np.concatenate(found)).astype(np.int64)


def _touched(changed: np.ndarray, hidden: np.ndarray, line: np.ndarray,
             cell: np.ndarray) -> np.ndarray:
    """Mask over the line members: the lines of every group of hidden cells (cells sharing
    lines) that holds a `changed` cell. Whether a cell is pinned depends on these only."""
    keep = hidden[cell]
    label = _group_labels(hidden.size, line[keep], cell[keep])
    dirty = np.zeros(hidden.size + 1, dtype=bool)
    dirty[np.unique(label[changed])] = True
    lines = np.unique(line[keep & dirty[label[cell]]])
    return np.isin(line, lines)


def exposed_cells(value: np.ndarray, hidden: np.ndarray, targets: np.ndarray, line: np.ndarray,
                  cell: np.ndarray, coef: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mask of `targets` (hidden cells) the reader can work out, and of all pinned cells."""
    pinned = pinned_cells(hidden & (value > 0), line, cell, coef)
    return pinned & targets, pinned


def pinned_cells(free: np.ndarray, line: np.ndarray, cell: np.ndarray,
                 coef: np.ndarray) -> np.ndarray:
    """Cells among `free` (the unknowns) whose value the lines determine.

    Peeling first: a line with one unknown determines it; repeat. The unknowns left form
    connected groups (cells sharing lines); in each, a cell is determined when its unit
    vector lies in the row space of the group's lines.
    """
    unknown = free.copy()
    pinned = np.zeros_like(free)
    n_lines = int(line.max()) + 1 if line.size else 0
    while True:
        counts = np.bincount(line, weights=unknown[cell], minlength=n_lines)
        alone = unknown[cell] & (counts[line] == 1)
        if not alone.any():
            break
        found = np.unique(cell[alone])
        pinned[found] = True
        unknown[found] = False
    keep = unknown[cell]
    line, cell, coef = line[keep], cell[keep], coef[keep]
    label = _group_labels(unknown.size, line, cell)[cell]
    order = np.argsort(label, kind="stable")
    starts = np.flatnonzero(np.diff(label[order])) + 1
    for part in np.split(order, starts) if order.size else []:
        cells, determined = group_pinned(line[part], cell[part], coef[part])
        pinned[cells[determined]] = True
    return pinned


def _group_labels(n_cells: int, line: np.ndarray, cell: np.ndarray) -> np.ndarray:
    """A label per cell; cells that share a line (directly or in a chain) share it."""
    label = np.arange(n_cells)
    if line.size == 0:
        return label
    n_lines = int(line.max()) + 1
    while True:
        line_label = np.full(n_lines, n_cells)
        np.minimum.at(line_label, line, label[cell])
        new = label.copy()
        np.minimum.at(new, cell, line_label[line])
        new = new[new]  # jump to the label's own label: fewer passes
        if np.array_equal(new, label):
            return label
        label = new


def group_pinned(line: np.ndarray, cell: np.ndarray, coef: np.ndarray,
                 dense_up_to: int = DENSE_UP_TO) -> tuple[np.ndarray, np.ndarray]:
    """The group's cells, and which of them its lines determine.

    Up to `dense_up_to` cells: an orthonormal basis of the row space (eigh of the smaller
    Gram matrix); a cell is determined when its row of the basis has norm 1. Larger groups:
    project random vectors on the null space (sparse LU of M·Mᵀ + εI, refined until the
    row-space part vanishes); a cell is determined when no projection moves it.
    """
    lines, rows = np.unique(line, return_inverse=True)
    cells, cols = np.unique(cell, return_inverse=True)
    if cells.size > dense_up_to:
        return cells, _pinned_sparse(rows, cols, coef, lines.size, cells.size)
    matrix = np.zeros((lines.size, cells.size))
    np.add.at(matrix, (rows, cols), coef)
    if lines.size >= cells.size:
        weights, vectors = np.linalg.eigh(matrix.T @ matrix)
        basis = vectors[:, weights > 1e-9 * max(weights.max(), 1.0)]
    else:
        weights, vectors = np.linalg.eigh(matrix @ matrix.T)
        keep = weights > 1e-9 * max(weights.max(), 1.0)
        basis = matrix.T @ vectors[:, keep] / np.sqrt(weights[keep])
    return cells, (basis ** 2).sum(axis=1) > 1 - 1e-7


def _pinned_sparse(rows: np.ndarray, cols: np.ndarray, coef: np.ndarray, n_rows: int,
                   n_cols: int) -> np.ndarray:
    from scipy import sparse
    from scipy.sparse.linalg import splu

    matrix = sparse.csr_matrix((coef, (rows, cols)), shape=(n_rows, n_cols))
    gram = (matrix @ matrix.T).tocsc()
    epsilon = 1e-10 * gram.diagonal().max()
    solver = splu((gram + epsilon * sparse.identity(n_rows, format="csc")).tocsc(),
                  permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
                  options={"SymmetricMode": True})  # symmetric positive definite
    probes = np.random.default_rng(0).standard_normal((n_cols, 3))
    for _ in range(6):  # each pass shrinks the row-space part by ε / (σ² + ε)
        probes = probes - matrix.T @ solver.solve(matrix @ probes)
    return np.abs(probes).max(axis=1) < 1e-6


def _complements(exposed: np.ndarray, value: np.ndarray, hideable: np.ndarray,
                 hidden: np.ndarray, pinned: np.ndarray, line: np.ndarray,
                 cell: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
    """For each exposed cell, the published cell to hide with it (ids, unique).

    An exposed cell is pinned through its lines and through the pinned hidden cells it
    shares a line with. Among all those cells' lines, take the one with the fewest hidden
    cells (the line that pins), its own lines first, and hide that line's smallest
    published cell — one not marked `keep` if the line has one.
    """
    keep = np.zeros(value.size, dtype=bool) if keep is None else keep
    pairs = pd.DataFrame({"line": line, "cell": cell})
    crowd = np.bincount(line, weights=hidden[cell])
    candidate = hideable & ~hidden & (value > 0)
    options = pairs[candidate[cell]].assign(value=lambda f: value[f["cell"]],
                                            keep=lambda f: keep[f["cell"]])
    best = options.sort_values(["keep", "value", "cell"]).drop_duplicates("line")
    own = pairs[np.isin(cell, exposed)].rename(columns={"cell": "exposed"})
    near = own.merge(pairs[pinned[cell]], on="line")[["exposed", "cell"]].drop_duplicates()
    lines = near.merge(pairs.rename(columns={"cell": "near"}), left_on="cell", right_on="near")
    lines = pd.concat([own.assign(hop=0), lines[["exposed", "line"]].assign(hop=1)])
    lines = lines.sort_values("hop").drop_duplicates(["exposed", "line"]).merge(best, on="line")
    lines["crowd"] = crowd[lines["line"]]
    chosen = lines.sort_values(["keep", "crowd", "hop", "value", "cell"]).drop_duplicates("exposed")
    return np.unique(chosen["cell"].to_numpy()).astype(np.int64)


def _freeing_option(exposed: int, value: np.ndarray, hideable: np.ndarray, hidden: np.ndarray,
                    line: np.ndarray, cell: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """A cell to hide for an exposed cell that no single line pins (and whose pinned
    neighbours offer nothing): among the published cells on the lines of its group of
    hidden cells — fewest hidden first, then smallest — the first that frees it when
    hidden; failing that, the first of them."""
    keep = hidden[cell]
    label = _group_labels(hidden.size, line[keep], cell[keep])
    lines = np.unique(line[keep & (label[cell] == label[exposed])])
    crowd = np.bincount(line, weights=hidden[cell])
    options = np.isin(line, lines) & hideable[cell] & ~hidden[cell] & (value[cell] > 0)
    found = pd.DataFrame({"cell": cell[options], "crowd": crowd[line[options]],
                          "value": value[cell[options]]})
    found = found.sort_values(["crowd", "value", "cell"]).drop_duplicates("cell")["cell"]
    for option in found.to_numpy()[:FREEING_TRIES]:
        trial = hidden.copy()
        trial[option] = True
        changed = np.zeros_like(hidden)
        changed[option] = True
        scope = _touched(changed, trial, line, cell)
        if not pinned_cells(trial & (value > 0), line[scope], cell[scope], coef[scope])[exposed]:
            return np.array([option])
    return found.to_numpy()[:1]


# --- Registry and wide tables --------------------------------------------------------------

def _write_registry(con: duckdb.DuckDBPyConnection) -> None:
    """`_registry_rows` from metrics.REGISTRY; 50_registry.sql adds sources and vintages."""
    rows = pd.DataFrame([{
        "metric_id": m.id, "label": m.label, "description": m.description, "unit": m.unit,
        "formula": m.formula, "tables": ", ".join(m.tables),
        "higher_is_better": m.higher_is_better, "source_kinds": ", ".join(m.sources),
        "metric_group": m.group, "format": m.format, "kind": m.kind, "caveat": m.caveat,
        "mart": m.table, "low_count_basis": m.low_count_basis, "position": i,
    } for i, m in enumerate(metrics.REGISTRY.values())])
    rows["low_count_basis"] = rows["low_count_basis"].astype("string")
    rows["higher_is_better"] = rows["higher_is_better"].astype("boolean")
    con.register("registry_frame", rows)
    con.execute("CREATE OR REPLACE TEMP TABLE _registry_rows AS SELECT * FROM registry_frame")
    con.unregister("registry_frame")


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
    """, [*params, geo_level])
