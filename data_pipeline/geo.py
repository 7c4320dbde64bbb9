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

    Vectorized: one spatial index query for all points. A point on a shared edge goes
    to the first polygon found, so each point gets exactly one id.
    """
    lat = np.asarray(lat, dtype="float64")
    lon = np.asarray(lon, dtype="float64")
    result = np.full(len(lat), None, dtype=object)
    ok = np.isfinite(lat) & np.isfinite(lon)
    if not ok.any() or len(polygons) == 0:
        return result
    points = shapely.points(lon[ok], lat[ok])
    tree = shapely.STRtree(polygons.geometry.to_numpy())
    point_idx, poly_idx = tree.query(points, predicate="intersects")
    first = pd.Series(poly_idx).groupby(point_idx).first()
    ids = polygons[id_column].to_numpy()
    positions = np.flatnonzero(ok)[first.index.to_numpy()]
    result[positions] = ids[first.to_numpy()]
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
