"""Neighborhood and tract shapes as simplified GeoJSON for drawing (computed once per database)."""
from __future__ import annotations

import json

import numpy as np
import shapely

from .db import Database

# About 10 m at mid latitudes: invisible at city zoom, cuts vertices a lot.
SIMPLIFY_DEGREES = 0.0001

_SHAPE_QUERIES = {
    "neighborhood": "SELECT neighborhood_id AS geo_id, name, geometry_wkb FROM neighborhoods ORDER BY 1",
    "tract": "SELECT geoid AS geo_id, coalesce(name, geoid) AS name, geometry_wkb FROM tracts ORDER BY 1",
}


def shapes_geojson(db: Database, level: str) -> dict:
    """A FeatureCollection with `id` = geo_id and properties geo_id and name."""
    frame = db.query(_SHAPE_QUERIES[level])
    geoms = shapely.from_wkb(frame["geometry_wkb"].map(bytes).to_numpy())
    geoms = shapely.simplify(geoms, SIMPLIFY_DEGREES, preserve_topology=True)
    features = [
        {"type": "Feature", "id": gid,
         "properties": {"geo_id": gid, "name": name},
         "geometry": json.loads(shapely.to_geojson(g))}
        for gid, name, g in zip(frame["geo_id"], frame["name"], geoms)
    ]
    return {"type": "FeatureCollection", "features": features}


def bounds(geojson: dict) -> tuple[float, float, float, float]:
    """(min lon, min lat, max lon, max lat) of a FeatureCollection."""
    geoms = [shapely.from_geojson(json.dumps(f["geometry"])) for f in geojson["features"]]
    return tuple(shapely.total_bounds(np.array(geoms)))


def center_and_zoom(geojson: dict, width_px: int = 900) -> tuple[dict, float]:
    """A map centre and a zoom level that fits the shapes in about `width_px` pixels."""
    min_lon, min_lat, max_lon, max_lat = bounds(geojson)
    span = max(max_lon - min_lon, (max_lat - min_lat) * 1.4, 1e-6)
    zoom = float(np.log2(360 * width_px / 512 / span)) - 0.2
    return {"lat": (min_lat + max_lat) / 2, "lon": (min_lon + max_lon) / 2}, round(zoom, 2)
