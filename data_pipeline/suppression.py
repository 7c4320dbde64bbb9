"""Which counts to hide so that no hidden count below the threshold can be worked out.

The marts (`marts.py`, `sql/marts/20_cells.sql`) hand over every count they publish as a
*cell* and every sum a reader can form as a *line* (cells with coefficients ±1 adding up to
0). `protect_cells` returns the cells to hide.

The reader we protect against knows every published cell, every line and that no count is
negative, but not which hidden cells are zero: hidden cells all look alike, so a hidden
cell may be 0, 1, … threshold − 1, or a larger complementary count. A hidden count can be
worked out exactly when its smallest and largest values over the tables consistent with
all that coincide (the tests play this reader with linear programmes).

Why that is decidable with a linear programme, then linear algebra. Let x be the true
hidden counts and P = {y ≥ 0 : the lines hold} the consistent tables; x is in P. Let
C = {d : M d = 0, d_j ≥ 0 for every hidden zero j} (M: the lines over the hidden cells).
P − x ⊆ C, and x + εd is in P for every d in C and ε > 0 small enough (a positive cell can
move a little both ways, a zero only up). So a hidden cell s takes one value over P
exactly when d_s = 0 for every d in C, that is when e_s is orthogonal to span(C).
- Some hidden zeros are *fixed*: d_j = 0 for every d in C (the lines and "no count is
  negative" keep them at 0, e.g. two hidden zeros whose sum is published as 0). The others
  are *loose*. `fixed_zeros` finds them: first by peeling (a line whose hidden cells still
  free to move are one cell, or zeros with one sign, holds them all), then with a linear
  programme for the zeros left: maximise Σ t_j subject to M d = 0, 0 ≤ t_j ≤ 1,
  t_j ≤ d_j (so d_j ≥ 0) for the zeros, d free for the positive cells. A loose zero j has
  a direction d^j in C with d^j_j > 0; their sum d*, scaled, is in C and ≥ 1 on every
  loose zero, so the optimum is the number of loose zeros, and since t_j ≤ d_j = 0 on a
  fixed zero, every optimal solution has t_j = 1 exactly on the loose ones.
- span(C) = N = {d : M d = 0, d_j = 0 for the fixed zeros}. C ⊆ N is plain. Conversely
  d* is in C and strictly positive on the loose zeros, so for any d in N, d + λ d* is in C
  for λ large enough, and d = (d + λ d*) − λ d* is in span(C).
- So s is worked out exactly when e_s lies in the row space of the lines restricted to the
  positive hidden cells and the loose zeros: `pinned_cells`, linear algebra, no search.
The cone and the row spaces split over groups of hidden cells that share lines: each group
is decided alone (the linear programme separates by group, so one solve serves every group
that needs one), and only the groups a round changed are decided again.

Hiding more never lets the reader work out more: with more hidden cells the cone only
grows (the old directions stay, with 0 on the new cells), so a count once free stays free.
Hence two facts the search rests on. (1) A small count still pinned when every hideable
cell is hidden is given away by the cells that are never hidden (a neighborhood's or the
city's active businesses, e.g. the count of an area's only category): it is pinned
whatever we hide, and publishing it tells the reader nothing new (the tables consistent
with the figures are the same), so it is published (`_given_away`). (2) Every other small
count is free once every hideable cell linked to it through lines is hidden, so hiding its
surroundings, wider each round, ends within `STUCK_AFTER` + (the group's width in lines)
rounds.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog

from core.errors import PipelineError

MAX_ROUNDS = 200
DENSE_UP_TO = 400   # cells in a group solved densely; larger groups use sparse LU
FREEING_TRIES = 20  # candidates tried for a cell that several lines pin together
STUCK_AFTER = 8     # rounds of single complements before hiding a stuck cell's surroundings


def protect_cells(value: np.ndarray, hideable: np.ndarray, line: np.ndarray, cell: np.ndarray,
                  coef: np.ndarray, threshold: int,
                  keep: np.ndarray | None = None) -> np.ndarray:
    """Boolean mask of cells to hide so that no hidden count below `threshold` is pinned.

    `hideable` marks the cells that may be hidden; the others are published as they are.
    `keep` marks cells to leave shown when another choice protects as well (the headline
    counts); they are hidden only when nothing else is left.

    Primary: every hideable cell below the threshold (zeros too), but for a small count the
    never-hidden cells give away (published: hiding it would protect nothing). Complementary:
    while some hidden count of 1 to threshold−1 can be worked out, hide the smallest
    published cell of a line through it (preferring the line with the fewest hidden cells);
    a cell still pinned after `STUCK_AFTER` rounds has its surroundings hidden.
    """
    keep = np.zeros(value.size, dtype=bool) if keep is None else keep
    hidden = hideable & (value < threshold)
    sensitive = hidden & (value > 0)
    changed = hidden.copy()
    tries = np.zeros(value.size, dtype=np.int64)
    for round_ in range(MAX_ROUNDS):
        scope = _touched(changed, hidden, line, cell)  # groups untouched keep their verdict
        in_line, in_cell, in_coef = line[scope], cell[scope], coef[scope]
        exposed, known = exposed_cells(value, hidden, sensitive, in_line, in_cell, in_coef)
        if round_ == 0:  # a count given away is pinned whatever is hidden, so pinned now
            away = _given_away(value, hideable, exposed, line, cell, coef)
            hideable, hidden, sensitive = hideable & ~away, hidden & ~away, sensitive & ~away
            exposed, known = exposed & ~away, known & ~away
        exposed = np.flatnonzero(exposed)
        if exposed.size == 0:
            return hidden
        tries[exposed] += 1
        stuck = exposed[tries[exposed] > STUCK_AFTER]
        fresh = exposed[tries[exposed] <= STUCK_AFTER]
        extra = ([_complements(fresh, value, hideable, hidden, known, in_line, in_cell, keep)]
                 if fresh.size else [])
        if stuck.size:  # complements did not free it: hide its surroundings, wider each time
            extra.append(_surroundings(stuck, tries[stuck] - STUCK_AFTER, value, hideable,
                                       hidden, line, cell, keep))
        extra = np.unique(np.concatenate(extra)) if extra else np.array([], dtype=np.int64)
        if extra.size == 0 and fresh.size:  # pinned by several lines together
            extra = np.unique(np.concatenate(
                [_freeing_option(x, value, hideable, hidden, sensitive, line, cell, coef)
                 for x in fresh]))
        if extra.size == 0:
            break
        hidden[extra] = True
        changed = np.zeros_like(hidden)
        changed[extra] = True
    raise PipelineError("The marts could not hide every count below the suppression threshold "
                        "safely; build again with a different --suppress-below, or report "
                        "this with the city's name.")


def _given_away(value: np.ndarray, hideable: np.ndarray, sensitive: np.ndarray,
                line: np.ndarray, cell: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """Mask of `sensitive` cells (hidden small counts) pinned even when every hideable cell
    is hidden.

    Only groups (of hideable cells sharing lines) whose lines hold a never-hidden cell
    that is not 0 can have one: in any other group the lines are sums of hidden cells
    equal to 0, and the whole group scaled up or down stays consistent.
    """
    n_lines = int(line.max()) + 1 if line.size else 0
    anchor = np.bincount(line, weights=(~hideable & (value != 0))[cell], minlength=n_lines) > 0
    inner = hideable[cell]
    label = _group_labels(value.size, line[inner], cell[inner])
    anchored = np.zeros(value.size, dtype=bool)
    anchored[label[cell[inner & anchor[line]]]] = True
    targets = sensitive & anchored[label]
    if not targets.any():
        return targets
    wanted = np.zeros(value.size, dtype=bool)
    wanted[label[targets]] = True
    scope = np.isin(line, np.unique(line[inner & wanted[label[cell]]]))
    return exposed_cells(value, hideable, targets, line[scope], cell[scope], coef[scope])[0]


def _surroundings(stuck: np.ndarray, radius: np.ndarray, value: np.ndarray,
                  hideable: np.ndarray, hidden: np.ndarray, line: np.ndarray,
                  cell: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Published positive cells within `radius` lines of each stuck cell (ids, unique),
    walking through hideable cells only (a never-hidden cell links nothing: it is known).

    The escalation that always ends: once every hideable cell linked to a stuck cell is
    hidden, its group is as large as it can get, and a small count pinned even then was
    published as given away, so the stuck cell is free by then.
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
            lines = np.unique(line[reached[cell] & hideable[cell]])
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
    """Mask of `targets` (hidden cells) the reader can work out, and of every hidden cell
    whose value the reader knows (the pinned cells and the fixed zeros).

    A first pass takes every hidden zero as known (no linear programme): that pins at
    least as much, so a target it leaves free is free, and only the others are decided
    with the fixed zeros found for their groups."""
    targets = targets & pinned_cells(hidden & (value > 0), line, cell, coef)
    if not targets.any():
        return targets, targets
    fixed = fixed_zeros(value, hidden, targets, line, cell, coef)
    pinned = pinned_cells(hidden & ~fixed, line, cell, coef)
    return pinned & targets, pinned | fixed


def fixed_zeros(value: np.ndarray, hidden: np.ndarray, targets: np.ndarray, line: np.ndarray,
                cell: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """Hidden zeros the reader knows are 0: no consistent table moves them (mask).

    Peeling first: a line whose hidden cells still free to move are one cell, or zeros
    whose coefficients all have one sign, holds them all where they are; repeat. Then one
    linear programme (see the module's docstring) for the zeros left in groups that hold a
    `targets` cell; zeros of other groups decide nothing and are left as unknowns. If the
    solver fails, every zero it was asked about counts as fixed (the safe side: the reader
    is then assumed to know more).
    """
    zero = hidden & (value == 0)
    moving, fixed = hidden.copy(), np.zeros_like(hidden)
    n_lines = int(line.max()) + 1 if line.size else 0
    while True:
        m = moving[cell]
        count = np.bincount(line, weights=m, minlength=n_lines)
        zeros = np.bincount(line, weights=m & zero[cell], minlength=n_lines)
        up = np.bincount(line, weights=m & (coef > 0), minlength=n_lines)
        held = (count == 1) | ((zeros == count) & ((up == count) | (up == 0)))
        settled = np.unique(cell[m & held[line]])
        if settled.size == 0:
            break
        moving[settled] = False
        fixed[settled[zero[settled]]] = True
    inside = moving[cell]
    label = _group_labels(value.size, line[inside], cell[inside])
    wanted = np.zeros(value.size, dtype=bool)
    wanted[label[targets & moving]] = True
    asked = moving & wanted[label]
    if not (asked & zero).any():
        return fixed
    members = asked[cell]
    return fixed | _lp_fixed(np.flatnonzero(asked), zero, line[members], cell[members],
                             coef[members])


def _lp_fixed(cells: np.ndarray, zero: np.ndarray, line: np.ndarray, cell: np.ndarray,
              coef: np.ndarray) -> np.ndarray:
    """The fixed zeros among `cells` (sorted ids; `line`, `cell`, `coef`: their lines),
    by the linear programme max Σ t_j, M d = 0, 0 ≤ t_j ≤ min(1, d_j) on the zeros."""
    n = cells.size
    zeros = np.flatnonzero(zero[cells])          # positions of the zeros among `cells`
    z = zeros.size
    lines, rows = np.unique(line, return_inverse=True)
    equal = sparse.csr_matrix((coef, (rows, np.searchsorted(cells, cell))),
                              shape=(lines.size, n + z))
    k = np.arange(z)
    below = sparse.csr_matrix((np.r_[np.ones(z), -np.ones(z)], (np.r_[k, k], np.r_[n + k, zeros])),
                              shape=(z, n + z))          # t_j − d_j ≤ 0
    lower = np.full(n + z, -np.inf)
    lower[zeros], lower[n:] = 0.0, 0.0
    upper = np.full(n + z, np.inf)
    upper[n:] = 1.0
    result = linprog(np.r_[np.zeros(n), -np.ones(z)], A_ub=below, b_ub=np.zeros(z),
                     A_eq=equal, b_eq=np.zeros(equal.shape[0]),
                     bounds=np.c_[lower, upper], method="highs")
    fixed = np.zeros(zero.size, dtype=bool)
    fixed[cells[zeros]] = True
    if result.status == 0 and _is_direction(equal, result.x):
        fixed[cells[zeros[result.x[n:] > 0.5]]] = False
    return fixed


def _is_direction(equal, x: np.ndarray) -> bool:
    """Whether the solver's d keeps every line (to a relative 1e-6)."""
    return bool(np.abs(equal @ x).max(initial=0.0) <= 1e-6 * max(1.0, np.abs(x).max()))


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
                 hidden: np.ndarray, known: np.ndarray, line: np.ndarray,
                 cell: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
    """For each exposed cell, the published cell to hide with it (ids, unique).

    An exposed cell is pinned through its lines and through the hidden cells the reader
    knows (`known`: pinned cells, fixed zeros) it shares a line with. Among all those
    cells' lines, take the one with the fewest hidden cells (the line that pins), its own
    lines first, and hide that line's smallest published cell — one not marked `keep` if
    the line has one.
    """
    keep = np.zeros(value.size, dtype=bool) if keep is None else keep
    pairs = pd.DataFrame({"line": line, "cell": cell})
    crowd = np.bincount(line, weights=hidden[cell])
    candidate = hideable & ~hidden & (value > 0)
    options = pairs[candidate[cell]].assign(value=lambda f: value[f["cell"]],
                                            keep=lambda f: keep[f["cell"]])
    best = options.sort_values(["keep", "value", "cell"]).drop_duplicates("line")
    own = pairs[np.isin(cell, exposed)].rename(columns={"cell": "exposed"})
    near = own.merge(pairs[known[cell]], on="line")[["exposed", "cell"]].drop_duplicates()
    lines = near.merge(pairs.rename(columns={"cell": "near"}), left_on="cell", right_on="near")
    lines = pd.concat([own.assign(hop=0), lines[["exposed", "line"]].assign(hop=1)])
    lines = lines.sort_values("hop").drop_duplicates(["exposed", "line"]).merge(best, on="line")
    lines["crowd"] = crowd[lines["line"]]
    chosen = lines.sort_values(["keep", "crowd", "hop", "value", "cell"]).drop_duplicates("exposed")
    return np.unique(chosen["cell"].to_numpy()).astype(np.int64)


def _freeing_option(exposed: int, value: np.ndarray, hideable: np.ndarray, hidden: np.ndarray,
                    sensitive: np.ndarray, line: np.ndarray, cell: np.ndarray,
                    coef: np.ndarray) -> np.ndarray:
    """A cell to hide for an exposed cell that no single line pins (and whose known
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
        exposed_now, _ = exposed_cells(value, trial, sensitive, line[scope], cell[scope],
                                       coef[scope])
        if not exposed_now[exposed]:
            return np.array([option])
    return found.to_numpy()[:1]
