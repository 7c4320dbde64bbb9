"""Point assignment's grid (`data_pipeline.geo._grid_positions`) gives the exact method's
answer for every point: inside, on an edge, on an edge two polygons share (the first in
the frame's order wins), on a vertex, on a cell's side, outside, or not a number.

The grid is built here with few cells and no minimum number of points, so that polygon
edges, vertices and test points fall on cell sides."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks import bench_assign
from data_pipeline import geo


def by_grid(lat, lon, frame: gpd.GeoDataFrame, side: int) -> np.ndarray:
    return geo._assign(lat, lon, frame, "id", grid=True, side=side, min_points=0)


def exact(lat, lon, frame: gpd.GeoDataFrame) -> np.ndarray:
    return geo._assign_exact(lat, lon, frame, "id")


def differing(ours: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    """Positions where the two answers differ (None and NaN count as the same)."""
    same = (ours == theirs) | (pd.isna(ours) & pd.isna(theirs))
    return np.flatnonzero(~same)


def frame_of(shapes: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"id": [f"p{k}" for k in range(len(shapes))]},
                            geometry=gpd.GeoSeries(shapes), crs=geo.WGS84)


def grid_lines(frame: gpd.GeoDataFrame, side: int) -> tuple[np.ndarray, np.ndarray]:
    """x and y of every cell side of the grid `side` builds over the frame."""
    shapes = frame.geometry.to_numpy()
    kept = ~(shapely.is_missing(shapes) | shapely.is_empty(shapes))
    x0, y0, cell, columns, rows = geo._grid_frame(shapely.bounds(shapes[kept]), side)
    return x0 + np.arange(columns + 1) * cell, y0 + np.arange(rows + 1) * cell


# ----------------------------------------------------------------------------- random worlds

@st.composite
def worlds(draw) -> tuple[gpd.GeoDataFrame, int]:
    """A lattice of boxes at real-looking coordinates (shared edges and corners), in a random
    order; some pairs merged into multipolygons, one box with a hole that another polygon
    fills exactly, a slanted triangle over the top, a None and an empty geometry."""
    across, up = draw(st.integers(2, 5)), draw(st.integers(1, 4))
    scale = draw(st.sampled_from([0.37, 0.01, 1.0, 0.0123456789]))
    xs = -87.6 + scale * np.arange(across + 1)
    ys = 41.8 + scale * np.arange(up + 1)
    boxes = [shapely.box(xs[i], ys[j], xs[i + 1], ys[j + 1])
             for i in range(across) for j in range(up)]
    shapes: list = list(boxes)
    if draw(st.booleans()):     # a hole, filled by a polygon sharing its edges
        k = draw(st.integers(0, len(boxes) - 1))
        west, south, east, north = shapely.bounds(boxes[k])
        hole = shapely.box(west + (east - west) / 4, south + (north - south) / 4,
                           east - (east - west) / 4, north - (north - south) / 4)
        shapes[k] = shapely.Polygon(boxes[k].exterior.coords, [hole.exterior.coords])
        shapes.append(hole)
    if len(boxes) >= 3 and draw(st.booleans()):    # a multipolygon of two apart boxes
        shapes[0] = shapely.MultiPolygon([boxes[0], boxes[-1]])
    if draw(st.booleans()):     # slanted edges over everything, vertices anywhere
        corner = st.tuples(st.floats(xs[0] - scale, xs[-1] + scale),
                           st.floats(ys[0] - scale, ys[-1] + scale))
        triangle = shapely.Polygon(draw(st.lists(corner, min_size=3, max_size=3)))
        if triangle.is_valid and triangle.area > 0:
            shapes.append(triangle)
    shapes += [None, shapely.Polygon()]
    order = draw(st.permutations(range(len(shapes))))
    side = draw(st.sampled_from([4, 5, 7, 8, 13, 16, 33, 64]))
    return frame_of([shapes[k] for k in order]), side


def probe_points(frame: gpd.GeoDataFrame, side: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Random points over and around the polygons, every vertex, every edge's midpoint,
    cell corners and cell sides, points outside the grid, NaN and infinity."""
    shapes = frame.geometry.to_numpy()
    west, south, east, north = frame.total_bounds
    width, height = east - west, north - south
    lon = [rng.uniform(west - width / 3, east + width / 3, 300)]
    lat = [rng.uniform(south - height / 3, north + height / 3, 300)]
    corners = shapely.get_coordinates(shapes)
    middles = (corners[1:] + corners[:-1]) / 2
    lon += [corners[:, 0], middles[:, 0]]
    lat += [corners[:, 1], middles[:, 1]]
    gx, gy = grid_lines(frame, side)
    cx, cy = np.meshgrid(gx, gy)
    lon += [cx.ravel(), gx, rng.uniform(west, east, len(gy))]
    lat += [cy.ravel(), rng.uniform(south, north, len(gx)), gy]
    lon += [np.array([np.nan, 0.0, np.inf, west, -1e300, east + width * 5])]
    lat += [np.array([0.0, np.nan, south, -np.inf, 1e300, north])]
    return np.concatenate(lat), np.concatenate(lon)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(world=worlds(), seed=st.integers(0, 2**32 - 1))
def test_the_grid_gives_the_exact_answer_for_every_point(world, seed):
    frame, side = world
    lat, lon = probe_points(frame, side, np.random.default_rng(seed))
    ours, theirs = by_grid(lat, lon, frame, side), exact(lat, lon, frame)
    wrong = differing(ours, theirs)
    assert not len(wrong), [(lon[i], lat[i], ours[i], theirs[i]) for i in wrong[:5]]


# ----------------------------------------------------------------------------- fixed cases

def test_a_shared_edge_on_a_cell_side_goes_to_the_first_polygon_in_the_frame():
    # Two squares; their shared edge x = 1 is a cell side (cells of 0.5 from x = -0.5).
    frame = frame_of([shapely.box(1, 0, 2, 1), shapely.box(0, 0, 1, 1)])
    lat = np.array([0.0, 0.25, 0.5, 1.0, 0.5, 0.5, 0.5, 1.0, 0.0, 1.5])
    lon = np.array([1.0, 1.0, 1.0, 1.0, 0.5, 1.5, 0.0, 2.0, -0.5, 1.0])
    expected = ["p0", "p0", "p0", "p0", "p1", "p0", "p1", "p0", None, None]
    assert list(by_grid(lat, lon, frame, side=6)) == expected
    assert list(exact(lat, lon, frame)) == expected


def test_points_within_a_few_float_steps_of_where_edges_cross_cell_sides():
    """Triangles with vertices anywhere (no edge along the grid), each edge crossing many
    cell sides; at each crossing, points a few float steps either way, where a point's cell
    and the edge's cells come out of different roundings. Fails if points in marked cells
    are not all tested exactly."""
    rng = np.random.default_rng(5)
    seeds = shapely.multipoints(rng.uniform([-87.9, 41.6], [-87.5, 42.0], (40, 2)))
    triangles = shapely.get_parts(shapely.delaunay_triangles(seeds))
    frame = frame_of(list(rng.permutation(triangles)))
    side = 37
    gx, gy = grid_lines(frame, side)
    lat, lon = [], []
    for start, end in edges(frame):
        for x in gx[(gx > min(start[0], end[0])) & (gx < max(start[0], end[0]))]:
            lon.append(x)
            lat.append(start[1] + (end[1] - start[1]) * (x - start[0]) / (end[0] - start[0]))
        for y in gy[(gy > min(start[1], end[1])) & (gy < max(start[1], end[1]))]:
            lat.append(y)
            lon.append(start[0] + (end[0] - start[0]) * (y - start[1]) / (end[1] - start[1]))
    lat, lon = nudged(np.array(lat), np.array(lon))
    ours, theirs = by_grid(lat, lon, frame, side), exact(lat, lon, frame)
    assert len(lat) > 20_000
    wrong = differing(ours, theirs)
    assert not len(wrong), [(lon[i], lat[i], ours[i], theirs[i]) for i in wrong[:5]]


def test_diagonals_through_cell_corners_and_vertices_on_cell_corners():
    """Squares whose corners are cell corners (cells of a width no float holds exactly), each
    cut along a diagonal, and a diamond whose four vertices point across cell corners;
    points at every cell corner, a few float steps either way. A diagonal passes through
    cell corners, where a point's cell and the diagonal's pieces come out of different
    roundings; the diamond's vertices touch cells that no edge crosses. With each cell's
    box shrunk by a billionth of a cell (`EDGE_MARGIN` = -1e-9), some of these points get
    a neighbouring polygon's id."""
    side = 23
    bounds = frame_of([shapely.box(-87.94, 41.64, -87.52, 41.98)])
    gx, gy = grid_lines(bounds, side)
    rng = np.random.default_rng(9)
    shapes = []
    for i in range(1, side - 5, 3):
        for j in range(1, len(gy) - 5, 3):
            a, b, c, d = (gx[i], gy[j]), (gx[i + 3], gy[j]), (gx[i + 3], gy[j + 3]), (gx[i], gy[j + 3])
            cut = [[a, b, c], [a, c, d]] if rng.random() < 0.5 else [[a, b, d], [b, c, d]]
            shapes += [shapely.Polygon(t) for t in cut]
    i, j = side - 4, len(gy) - 4
    shapes.append(shapely.Polygon([(gx[i - 1], gy[j]), (gx[i], gy[j - 1]),
                                   (gx[i + 1], gy[j]), (gx[i], gy[j + 1])]))
    frame = frame_of(list(rng.permutation(np.array(shapes, dtype=object))) + [bounds.geometry[0]])
    cx, cy = np.meshgrid(gx, gy)
    lat, lon = nudged(cy.ravel(), cx.ravel())
    ours, theirs = by_grid(lat, lon, frame, side), exact(lat, lon, frame)
    wrong = differing(ours, theirs)
    assert not len(wrong), [(lon[i], lat[i], ours[i], theirs[i]) for i in wrong[:5]]


def edges(frame: gpd.GeoDataFrame) -> list[tuple[np.ndarray, np.ndarray]]:
    coords, shape = shapely.get_coordinates(frame.geometry.to_numpy(), return_index=True)
    return [(coords[k], coords[k + 1]) for k in range(len(coords) - 1)
            if shape[k] == shape[k + 1]]


def nudged(lat: np.ndarray, lon: np.ndarray, steps: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Each point moved by up to `steps` float steps in x and in y, every combination."""
    moves = [np.asarray(v, dtype=float) for v in (lat, lon)]
    for k in range(2):
        out = [moves[k]]
        up = down = moves[k]
        for _ in range(steps):
            up, down = np.nextafter(up, np.inf), np.nextafter(down, -np.inf)
            out += [up, down]
        other = np.tile(moves[1 - k], len(out))
        moves[k] = np.concatenate(out)
        moves[1 - k] = other
    return moves[0], moves[1]


def test_a_frame_with_a_line_in_it_is_answered_exactly():
    frame = frame_of([shapely.LineString([(0, 0), (1, 1)]), shapely.box(0, 0, 1, 1)])
    lat, lon = np.array([0.5, 0.25, 2.0]), np.array([0.5, 0.75, 2.0])
    assert list(by_grid(lat, lon, frame, side=8)) == ["p0", "p1", None]


def test_assign_points_and_sjoin_agree_on_a_few_hundred_polygons(monkeypatch):
    """From `GRID_MIN_POINTS` points on (made 50,000 here) the public function takes the
    grid, which answers most points itself, and agrees with `geopandas.sjoin` (first
    match) on every point."""
    monkeypatch.setattr(geo, "GRID_MIN_POINTS", 50_000)
    shapes = bench_assign.polygons(300)
    count = 60_000
    lat, lon = bench_assign.points(count)
    corners = shapely.get_coordinates(shapes.geometry.to_numpy())
    lat = np.concatenate([lat, corners[:, 1], [np.nan, 41.8]])
    lon = np.concatenate([lon, corners[:, 0], [-87.7, np.nan]])
    tested = []
    exact_positions = geo._exact_positions
    monkeypatch.setattr(geo, "_exact_positions",
                        lambda xs, ys, shapes: tested.append(len(xs)) or exact_positions(
                            xs, ys, shapes))
    ours = geo.assign_points(lat, lon, shapes, "neighborhood_id")
    # Every vertex is on an edge, so tested exactly; of the other points, 80% or more
    # took their answer from the grid.
    assert len(corners) < sum(tested) < len(corners) + 0.2 * count
    assert bench_assign.agreement(ours, bench_assign.sjoin_ids(lat, lon, shapes)) == 1.0
    assert pd.notna(ours[-len(corners) - 2:-2]).all() and pd.isna(ours[-2:]).all()


@pytest.mark.parametrize("count", [0, 10, 1_000])
def test_small_calls_skip_the_grid(monkeypatch, count):
    monkeypatch.setattr(geo, "GRID_MIN_POINTS", 1_001)
    monkeypatch.setattr(geo, "_grid_positions", None)     # would fail if called
    frame = frame_of([shapely.box(0, 0, 1, 1)])
    assert list(geo.assign_points(np.full(count, 0.5), np.full(count, 0.5), frame, "id")) \
        == ["p0"] * count


def test_the_benchmark_holds_assignment_to_twice_the_speed_of_sjoin():
    from benchmarks.measure import Figure
    slow = Figure("a", "s", [1.0, 1.2, 0.9], naive=1.5, target=bench_assign.TARGET)
    fast = Figure("b", "s", [1.0, 1.2, 0.9], naive=2.0, target=bench_assign.TARGET)
    assert (slow.met, fast.met) == (False, True)
    assert bench_assign.misses(fast, 0) == []
    assert "against ≥ 2× sjoin" in bench_assign.misses(slow, 0)[0]
    assert "for 3 points" in bench_assign.misses(fast, 3)[0]


def test_edges_marked_a_few_pieces_at_a_time_are_the_edges_marked_at_once(monkeypatch):
    shapes = bench_assign.polygons(30).geometry.to_numpy()
    frame = geo._grid_frame(shapely.bounds(shapes), 256)
    monkeypatch.setattr(geo, "PIECES", 10**9)
    at_once = geo._edge_cells(shapes, frame)
    monkeypatch.setattr(geo, "PIECES", 7)
    assert (geo._edge_cells(shapes, frame) == at_once).all() and 0.01 < at_once.mean() < 0.5
