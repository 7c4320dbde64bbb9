"""Geometry done in shapely/geopandas: point-in-polygon, areas, tract weights.

DuckDB here has no spatial functions (see ../shared/docs/stack-notes.md); geometry is
computed in Python and stored as WKB.
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import ndimage

WGS84 = "EPSG:4326"
EQUAL_AREA = "EPSG:6933"  # World Cylindrical Equal Area: areas in m² anywhere


def area_km2(shapes: gpd.GeoSeries) -> np.ndarray:
    """Area of each shape in square kilometres (computed in an equal-area projection)."""
    return shapes.to_crs(EQUAL_AREA).area.to_numpy() / 1e6


def make_valid(shapes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Repair invalid polygons and keep only their polygonal part."""
    out = shapes.copy()
    fixed = shapely.make_valid(out.geometry.to_numpy())
    out["geometry"] = [_polygonal_part(g) for g in fixed]
    return out


def _polygonal_part(geom):
    if geom is None or geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else None


# Point assignment. Below GRID_MIN_POINTS points each polygon tests the points in its
# bounding box (the exact method); from there on a grid of cells over the polygons answers
# most points by array indexing and sends only the points in cells that a polygon's edge
# crosses to the exact method. Measured on 2 cores under load: the grid costs 0.04 s for
# 77 real or 200 synthetic polygons and 0.13 s for 2,000, whatever the number of points;
# the exact method costs as much at 200,000-400,000 points (0.07 s for 200,000 points into
# 200 polygons, 0.20 s for 400,000 into 2,000). A registry's distinct points are fewer
# than that up to a few hundred thousand rows, which keep the exact method.
GRID_MIN_POINTS = 300_000
GRID_SIDE = 2048            # cells along the longer side: int32 labels, 16 MB at most
# How far (in cells) past its own box a cell counts as crossed by an edge: far above the
# float rounding of a position in cells (~1e-12 of a cell at city coordinates). A point and
# a vertex at the same place round alike, but the ends of the pieces a long segment is cut
# into are rounded on their own: the margin keeps a point on such a piece, rounded into the
# neighbouring cell, in a marked cell. (A negative margin fails tests/test_geo_assign.py.)
EDGE_MARGIN = 1e-6
POLYGONAL = (3, 6)          # shapely type ids of Polygon and MultiPolygon
UNSURE = -2                 # a grid region's answer for the marked cells: test each point
PIECES = 65_536             # edge pieces (or grid cells) handled at a time


def assign_points(lat, lon, polygons: gpd.GeoDataFrame, id_column: str) -> np.ndarray:
    """The id of the polygon holding each point (object array; None where none holds it).

    A point inside a polygon or on its edge gets its id; a point on an edge two polygons
    share goes to the first of them in the frame's order, so each point gets exactly one
    id; non-finite coordinates get None, and None or empty geometries hold no point.
    From `GRID_MIN_POINTS` points on, a grid answers the points away from every edge
    (`_grid_positions`); the rest, and smaller calls, go through `_exact_positions`.
    """
    return _assign(lat, lon, polygons, id_column, grid=True)


def _assign_exact(lat, lon, polygons: gpd.GeoDataFrame, id_column: str) -> np.ndarray:
    """`assign_points` by the exact method alone, whatever the number of points."""
    return _assign(lat, lon, polygons, id_column, grid=False)


def _assign(lat, lon, polygons: gpd.GeoDataFrame, id_column: str, grid: bool,
            side: int = GRID_SIDE, min_points: int | None = None) -> np.ndarray:
    lat = np.asarray(lat, dtype="float64")
    lon = np.asarray(lon, dtype="float64")
    result = np.full(len(lat), None, dtype=object)
    ok = np.flatnonzero(np.isfinite(lat) & np.isfinite(lon))
    if not len(ok) or len(polygons) == 0:
        return result
    shapes = polygons.geometry.to_numpy()
    if grid and len(ok) >= (GRID_MIN_POINTS if min_points is None else min_points):
        found = _grid_positions(lon[ok], lat[ok], shapes, side)
    else:
        found = _exact_positions(lon[ok], lat[ok], shapes)
    held = found >= 0
    result[ok[held]] = polygons[id_column].to_numpy()[found[held]]
    return result


def _exact_positions(xs: np.ndarray, ys: np.ndarray, shapes: np.ndarray) -> np.ndarray:
    """The position in `shapes` of the first shape holding each point (-1: none).

    Each shape, prepared once, tests only the points inside its bounding box, found by a
    binary search over the points sorted by x: several times faster than an index of the
    shapes queried with every point (what `geopandas.sjoin` does), for the same answer.
    """
    order = np.argsort(xs, kind="stable")
    xs, ys = xs[order], ys[order]
    sorted_found = np.full(len(xs), -1, dtype=np.int32)
    shapely.prepare(shapes)
    bounds = shapely.bounds(shapes)
    for k, shape in enumerate(shapes):
        west, south, east, north = bounds[k]
        if shape is None or not np.isfinite(west):
            continue
        first, last = np.searchsorted(xs, west, "left"), np.searchsorted(xs, east, "right")
        window = slice(first, last)
        near = np.flatnonzero((ys[window] >= south) & (ys[window] <= north)
                              & (sorted_found[window] < 0))
        if not len(near):
            continue
        near += first
        inside = near[shapely.intersects_xy(shape, xs[near], ys[near])]
        sorted_found[inside] = k
    found = np.empty_like(sorted_found)
    found[order] = sorted_found
    return found


def _grid_positions(xs: np.ndarray, ys: np.ndarray, shapes: np.ndarray, side: int) -> np.ndarray:
    """`_exact_positions`, answered from a grid of cells for the points away from edges.

    Every cell that an edge of a shape (outer ring or hole) crosses or comes within
    `EDGE_MARGIN` of is marked; the unmarked cells fall into connected regions that no
    edge crosses, so every point of a region lies in the same shapes. One cell centre per
    region, tested exactly, gives the region's answer; a point in a marked cell (a few per
    cent of them) is tested exactly, which keeps edges, shared edges and the first-shape
    rule exact.
    """
    kept = ~(shapely.is_missing(shapes) | shapely.is_empty(shapes))
    frame = _grid_frame(shapely.bounds(shapes[kept]), side)
    if frame is None or not np.isin(shapely.get_type_id(shapes[kept]), POLYGONAL).all():
        return _exact_positions(xs, ys, shapes)
    labels, count = ndimage.label(~_edge_cells(shapes[kept], frame))
    answers = _region_answers(labels, count, frame, shapes)
    x0, y0, cell, width, height = frame
    u, v = (xs - x0) / cell, (ys - y0) / cell
    on = np.flatnonzero((u >= 0) & (u < width) & (v >= 0) & (v < height))
    found = np.full(len(xs), -1, dtype=np.int32)
    found[on] = answers[labels[v[on].astype(np.intp), u[on].astype(np.intp)]]
    unsure = on[found[on] == UNSURE]
    found[unsure] = _exact_positions(xs[unsure], ys[unsure], shapes)
    return found


def _grid_frame(bounds: np.ndarray, side: int) -> tuple | None:
    """(x0, y0, cell, columns, rows): square cells, `side` along the longer side of the
    shapes' total bounds, one spare cell all round (a point off the grid is in no shape).
    None when the bounds are empty or flat."""
    if not len(bounds):
        return None
    west, south = bounds[:, 0].min(), bounds[:, 1].min()
    east, north = bounds[:, 2].max(), bounds[:, 3].max()
    cell = max(east - west, north - south) / (side - 2)
    if not (np.isfinite(cell) and east > west and north > south):
        return None
    columns = int(np.ceil((east - west) / cell)) + 2
    rows = int(np.ceil((north - south) / cell)) + 2
    return west - cell, south - cell, cell, columns, rows


def _edge_cells(shapes: np.ndarray, frame: tuple) -> np.ndarray:
    """Boolean rows × columns: the cells an edge crosses or comes within `EDGE_MARGIN` of.

    Each segment between two consecutive vertices of a shape, in cell units, is cut into
    pieces at most one cell long, `PIECES` pieces at a time (memory stays a few MB); a
    piece's bounding box, widened by the margin, covers at most 3 × 3 cells, all marked.
    (The segment joining one ring's last vertex to the next ring's first is marked too: a
    few cells more to test exactly, never one fewer.)
    """
    x0, y0, cell, width, height = frame
    coords, shape = shapely.get_coordinates(shapes, return_index=True)
    uv = (coords - (x0, y0)) / cell
    same = np.flatnonzero(shape[1:] == shape[:-1])
    start, span = uv[same], uv[same + 1] - uv[same]
    steps = np.maximum(np.ceil(np.abs(span).max(axis=1)), 1).astype(np.intp)
    edge = np.zeros(height * width, dtype=bool)
    total = int(steps.sum())
    ends = np.searchsorted(np.cumsum(steps), np.arange(PIECES, total + PIECES, PIECES), "right")
    first = 0
    for last in ends:
        _mark_pieces(edge, width, start[first:last], span[first:last], steps[first:last])
        first = last
    return edge.reshape(height, width)


def _mark_pieces(edge: np.ndarray, width: int, start: np.ndarray, span: np.ndarray,
                 steps: np.ndarray) -> None:
    """Mark in the flat `edge` the cells of each segment's `steps` pieces (see `_edge_cells`)."""
    segment = np.repeat(np.arange(len(steps)), steps)
    step = np.arange(len(segment)) - np.repeat(np.cumsum(steps) - steps, steps)
    start, span, fraction = start[segment], span[segment], 1 / steps[segment]
    a = start + span * (step * fraction)[:, None]
    b = a + span * fraction[:, None]
    low = np.floor(np.minimum(a, b) - EDGE_MARGIN).astype(np.intp)
    extra = np.floor(np.maximum(a, b) + EDGE_MARGIN).astype(np.intp) - low
    corner = low[:, 1] * width + low[:, 0]
    for across in range(3):
        for up in range(3):
            reach = (extra[:, 0] >= across) & (extra[:, 1] >= up)
            edge[corner[reach] + up * width + across] = True


def _region_answers(labels: np.ndarray, count: int, frame: tuple,
                    shapes: np.ndarray) -> np.ndarray:
    """Per region label, the position of the first shape holding the region (-1: none);
    label 0, the marked cells, is `UNSURE`. Any one cell of a region stands for it: its
    centre is tested against an index of the shapes (a few thousand points, for which a
    loop over the shapes would cost more)."""
    x0, y0, cell, width, _ = frame
    cell_of = np.empty(count + 1, dtype=np.int32)
    for top in range(0, len(labels), PIECES // width + 1):     # a few MB at a time
        block = labels[top:top + PIECES // width + 1].ravel()
        cell_of[block] = np.arange(top * width, top * width + block.size, dtype=np.int32)
    row, column = np.divmod(cell_of[1:], width)
    centres = shapely.points(x0 + (column + 0.5) * cell, y0 + (row + 0.5) * cell)
    region, shape = shapely.STRtree(shapes).query(centres, predicate="intersects")
    first = np.full(count + 1, len(shapes), dtype=np.int64)
    np.minimum.at(first, region + 1, shape)
    answers = np.where(first == len(shapes), -1, first).astype(np.int32)
    answers[0] = UNSURE
    return answers


def tract_weights_by_area(tracts: gpd.GeoDataFrame,
                          neighborhoods: gpd.GeoDataFrame) -> pd.DataFrame:
    """Weights tract → neighborhood by share of the tract's area (method 'area').

    A tract wholly inside the city gets weights summing to 1; a tract half outside sums
    to 0.5, because only half its residents live in the city.
    """
    t = tracts[["geoid", "geometry"]].to_crs(EQUAL_AREA)
    n = neighborhoods[["neighborhood_id", "geometry"]].to_crs(EQUAL_AREA)
    t = t.assign(tract_area=t.area)
    pieces = gpd.overlay(t, n, how="intersection", keep_geom_type=True)
    pieces["weight"] = pieces.area / pieces["tract_area"]
    out = (pieces.groupby(["geoid", "neighborhood_id"], as_index=False)["weight"].sum())
    out = out[out["weight"] > 1e-6].copy()
    out["weight"] = out["weight"].clip(upper=1.0)
    out["method"] = "area"
    return out.reset_index(drop=True)
