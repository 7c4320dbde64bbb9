"""Neighborhood and tract shapes as simplified GeoJSON for drawing (computed once per database)."""
from __future__ import annotations

import json
import math

import numpy as np
import shapely

from . import queries
from .db import Database

# About 10 m at mid latitudes: invisible at city zoom, cuts vertices a lot.
SIMPLIFY_DEGREES = 0.0001
DECIMALS = 5   # coordinates rounded to about 1 m: shorter JSON for the browser
TILE_PX = 512  # MapLibre's tile size: the world is 512 px wide at zoom 0
MARGIN_ZOOM = 0.1   # how far a fitted map zooms out from a tight fit (a zoom level)


class SharedGeoJSON(dict):
    """A FeatureCollection shared by every figure and never changed: copying it returns it.

    Plotly deep-copies a figure's data when the figure is built, converted to a dict and
    serialised; for 2,000 shapes that is ~130,000 small lists and most of a map redraw's
    time. Handing plotly this object skips those copies."""

    def __deepcopy__(self, memo) -> SharedGeoJSON:
        return self

    def __copy__(self) -> SharedGeoJSON:
        return self


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


def center_and_zoom(geojson: dict, width_px: float = 560, height_px: float = 540,
                    margin: float = MARGIN_ZOOM) -> tuple[dict, float]:
    """The web-Mercator centre and zoom that fit the shapes in `width_px` × `height_px`,
    zoomed out by `margin` (a zoom level: 0.1 leaves about 7% of the frame free around
    the city). MapLibre's world is 512 pixels wide at zoom 0."""
    west, south, east, north = bounds(geojson)
    bottom, top = _mercator_y(south), _mercator_y(north)
    zoom_x = math.log2(width_px * 360 / (TILE_PX * max(east - west, 1e-9)))
    zoom_y = math.log2(height_px * 2 * math.pi / (TILE_PX * max(top - bottom, 1e-9)))
    middle = math.degrees(2 * math.atan(math.exp((bottom + top) / 2)) - math.pi / 2)
    return {"lat": middle, "lon": (west + east) / 2}, round(min(zoom_x, zoom_y) - margin, 2)


def _mercator_y(lat: float) -> float:
    """A latitude's web-Mercator y, in radians (the world is 2π high)."""
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def fitted_height(geojson: dict, width_px: int, height_px: int) -> int:
    """At most `height_px`: the height the shapes take when fitted in `width_px` ×
    `height_px` (`center_and_zoom`), with a little room, so that a narrow frame (a phone)
    is no taller than its map."""
    _, south, _, north = bounds(geojson)
    _, zoom = center_and_zoom(geojson, width_px, height_px)
    drawn = (_mercator_y(north) - _mercator_y(south)) * TILE_PX * 2 ** zoom / (2 * math.pi)
    return int(min(height_px, math.ceil(drawn) + 40))


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
