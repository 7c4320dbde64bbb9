"""Geometry done in shapely/geopandas: point-in-polygon, areas, tract weights.

DuckDB here has no spatial functions (see ../shared/docs/stack-notes.md); geometry is
computed in Python and stored as WKB.
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

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


def assign_points(lat, lon, polygons: gpd.GeoDataFrame, id_column: str) -> np.ndarray:
    """The id of the polygon holding each point (object array; None where none holds it).

    Each polygon, prepared once, tests only the points inside its bounding box, found by
    a binary search over the points sorted by longitude: prepared point-in-polygon tests
    run several times faster than an index of the polygons queried with every point (what
    `geopandas.sjoin` does), for the same answer. A point on a shared edge goes to the
    first polygon in the frame's order, so each point gets exactly one id.
    """
    lat = np.asarray(lat, dtype="float64")
    lon = np.asarray(lon, dtype="float64")
    result = np.full(len(lat), None, dtype=object)
    ok = np.flatnonzero(np.isfinite(lat) & np.isfinite(lon))
    if not len(ok) or len(polygons) == 0:
        return result
    order = ok[np.argsort(lon[ok], kind="stable")]
    xs, ys = lon[order], lat[order]
    placed = np.zeros(len(order), dtype=bool)
    shapes = polygons.geometry.to_numpy()
    shapely.prepare(shapes)
    bounds = shapely.bounds(shapes)
    ids = polygons[id_column].to_numpy()
    for k, shape in enumerate(shapes):
        west, south, east, north = bounds[k]
        if shape is None or not np.isfinite(west):
            continue
        first, last = np.searchsorted(xs, west, "left"), np.searchsorted(xs, east, "right")
        window = slice(first, last)
        near = np.flatnonzero((ys[window] >= south) & (ys[window] <= north) & ~placed[window])
        if not len(near):
            continue
        near += first
        inside = near[shapely.intersects_xy(shape, xs[near], ys[near])]
        placed[inside] = True
        result[order[inside]] = ids[k]
    return result


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
