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
SVG_ZOOM_PX = 1000  # the shapes' SVG paths are kept at the zoom that fits them in this width
SVG_TOLERANCE_PX = 0.6   # and simplified to about half a pixel there
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


def world_px(lon, lat, zoom: float):
    """Web-Mercator pixel coordinates (x right, y down) of longitudes and latitudes at a
    zoom: MapLibre's own projection, so an SVG drawn with them matches the map."""
    size = TILE_PX * 2 ** zoom
    lat = np.clip(np.asarray(lat, dtype=float), -85.05, 85.05)
    x = (np.asarray(lon, dtype=float) + 180) / 360 * size
    y = (1 - np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) / np.pi) / 2 * size
    return x, y


def svg_paths(geojson: dict) -> tuple[float, tuple[float, float], dict[str, str]]:
    """(zoom, origin, area id → SVG path) of every area: `world_px` at that zoom (the zoom
    that fits the city in `SVG_ZOOM_PX`) less the origin (the city's top-left corner there),
    simplified to about half a pixel. Kept on a `SharedGeoJSON` (once per cached shapes),
    so a map's static preview costs only its colours."""
    kept = getattr(geojson, "_svg_paths", None)
    if kept is not None:
        return kept
    _, zoom = center_and_zoom(geojson, SVG_ZOOM_PX, SVG_ZOOM_PX, margin=0)
    west, _, _, north = bounds(geojson)
    origin = tuple(float(v) for v in world_px(west, north, zoom))
    found = (zoom, origin, {str(f["id"]): svg_path(f["geometry"], zoom, origin)
                            for f in geojson.get("features", []) if f.get("geometry")})
    if isinstance(geojson, SharedGeoJSON):
        geojson._svg_paths = found
    return found


def svg_path(geometry: dict, zoom: float, origin: tuple[float, float] = (0.0, 0.0)) -> str:
    """One GeoJSON (multi)polygon as an SVG path in `world_px` at `zoom` less `origin`
    (the preview fills it even-odd, so holes stay holes)."""
    geom = shapely.from_geojson(json.dumps(geometry))
    geom = shapely.transform(geom, lambda xy: np.column_stack(
        world_px(xy[:, 0], xy[:, 1], zoom)) - origin)
    geom = shapely.simplify(geom, SVG_TOLERANCE_PX, preserve_topology=True)
    parts = []
    for polygon in getattr(geom, "geoms", [geom]):
        if polygon.is_empty or polygon.geom_type != "Polygon":
            continue
        for ring in (polygon.exterior, *polygon.interiors):
            xy = np.asarray(ring.coords)[:-1]
            parts.append("M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in xy) + "Z")
    return "".join(parts)


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
