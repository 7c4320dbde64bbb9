"""Neighborhood and tract shapes as simplified GeoJSON for drawing (computed once per database)."""
from __future__ import annotations

import json

import numpy as np
import shapely

from . import queries
from .db import Database

# About 10 m at mid latitudes: invisible at city zoom, cuts vertices a lot.
SIMPLIFY_DEGREES = 0.0001
DECIMALS = 5   # coordinates rounded to about 1 m: shorter JSON for the browser


class SharedGeoJSON(dict):
    """A FeatureCollection shared by every figure and never changed: copying it returns it.

    Plotly deep-copies a figure's data when the figure is built, converted to a dict and
    serialised; for 2,000 shapes that is ~130,000 small lists and most of a map redraw's
    time. Handing plotly this object skips those copies."""

    def __deepcopy__(self, memo) -> SharedGeoJSON:
        return self

    def __copy__(self) -> SharedGeoJSON:
        return self
TILE_PX = 512  # MapLibre's tile size: the world is 512 px wide at zoom 0


def shapes_geojson(db: Database, level: str) -> SharedGeoJSON:
    """A FeatureCollection with `id` = geo_id, properties geo_id and name, and a `bbox`."""
    frame = queries.area_shapes(db, level)
    geoms = shapely.from_wkb(frame["geometry_wkb"].map(bytes).to_numpy())
    geoms = shapely.simplify(geoms, SIMPLIFY_DEGREES, preserve_topology=True)
    geoms = shapely.transform(geoms, lambda xy: np.round(xy, DECIMALS))
    features = [
        {"type": "Feature", "id": gid,
         "properties": {"geo_id": gid, "name": name},
         "geometry": json.loads(shapely.to_geojson(g))}
        for gid, name, g in zip(frame["geo_id"], frame["name"], geoms)
    ]
    box = [float(b) for b in shapely.total_bounds(geoms)] if len(geoms) else [0.0] * 4
    return SharedGeoJSON(type="FeatureCollection", bbox=box, features=features)


def bounds(geojson: dict) -> tuple[float, float, float, float]:
    """(min lon, min lat, max lon, max lat) of a FeatureCollection (its `bbox` if it has one)."""
    if "bbox" in geojson:
        return tuple(geojson["bbox"])
    geoms = [shapely.from_geojson(json.dumps(f["geometry"])) for f in geojson["features"]]
    return tuple(shapely.total_bounds(np.array(geoms)))


def center_and_zoom(geojson: dict, width_px: int = 560, height_px: int = 540,
                    left_px: int = 0) -> tuple[dict, float]:
    """A map centre and a web-mercator zoom level that fit the shapes in a box of about
    `width_px` × `height_px`, leaving `left_px` free on the left for a legend (MapLibre's
    zoom z: a degree of longitude is 512·2^z/360 pixels, a degree of latitude about that
    divided by cos(latitude))."""
    min_lon, min_lat, max_lon, max_lat = bounds(geojson)
    lat = (min_lat + max_lat) / 2
    lon_span = max(max_lon - min_lon, 1e-6)
    lat_span = max(max_lat - min_lat, 1e-6)
    zoom_x = np.log2((width_px - left_px) * 360 / (TILE_PX * lon_span))
    zoom_y = np.log2(height_px * 360 * np.cos(np.radians(lat)) / (TILE_PX * lat_span))
    zoom = float(min(zoom_x, zoom_y)) - 0.1
    shift = (left_px / 2) * 360 / (TILE_PX * 2 ** zoom)   # degrees: move the shapes right
    return {"lat": lat, "lon": (min_lon + max_lon) / 2 - shift}, round(zoom, 2)


def fitted_height(geojson: dict, width_px: int, height_px: int) -> int:
    """At most `height_px`: the height the shapes take when fitted in `width_px` ×
    `height_px` (`center_and_zoom`), with a little room, so that a narrow frame (a phone)
    is no taller than its map."""
    min_lon, min_lat, max_lon, max_lat = bounds(geojson)
    _, zoom = center_and_zoom(geojson, width_px, height_px)
    lat = np.radians((min_lat + max_lat) / 2)
    drawn = (max_lat - min_lat) * TILE_PX * 2 ** zoom / (360 * np.cos(lat))
    return int(min(height_px, np.ceil(drawn) + 40))


def neighbors(db: Database) -> dict[str, list[str]]:
    """Neighborhood id → ids of the neighborhoods whose borders touch or overlap it."""
    frame = queries.area_shapes(db, "neighborhood")
    ids = frame["geo_id"].tolist()
    geoms = shapely.from_wkb(frame["geometry_wkb"].map(bytes).to_numpy())
    # A hair of tolerance (about 1 m) so shapes digitised with tiny gaps still touch.
    tree = shapely.STRtree(geoms)
    left, right = tree.query(shapely.buffer(geoms, 0.00001), predicate="intersects")
    found: dict[str, list[str]] = {i: [] for i in ids}
    for a, b in sorted(zip(left, right)):
        if a != b:
            found[ids[a]].append(ids[b])
    return found
