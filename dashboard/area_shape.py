"""A reader's own area: a drawn outline or an uploaded GeoJSON file, checked, and written
into a link (Google's encoded-polyline algorithm at 5 decimals) and read back from one.

No Streamlit here (the page `pages/any_area.py` draws and uploads). Every error is an
`AreaError` whose message is one sentence naming the problem, in the reader's language.
"""
from __future__ import annotations

import json
from urllib.parse import quote

import shapely
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

from core.i18n import _, integer

MAX_UPLOAD_BYTES = 2_000_000      # an uploaded file: 2 MB holds a detailed ward outline
MAX_VERTICES = 20_000             # points of every ring of an uploaded area together
MAX_LINK_CHARS = 2_000            # the area's part of a link, as the address holds it
PRECISION = 5                     # decimals kept in a link: about 1 m
UPLOAD_TYPES = ("geojson", "json")
RING, PART = ",", ";"             # separators between rings and polygons (not in the code)
DRAWN_TOLERANCE = 0.00005         # degrees (~5 m) a drawn outline is simplified by


class AreaError(ValueError):
    """An area that cannot be used; the message says why in one sentence."""


# --- Google's encoded-polyline algorithm -------------------------------------------------

def _encode_number(value: int) -> str:
    value = ~(value << 1) if value < 0 else value << 1
    chunks = []
    while value >= 0x20:
        chunks.append(chr((0x20 | (value & 0x1F)) + 63))
        value >>= 5
    chunks.append(chr(value + 63))
    return "".join(chunks)


def encode_polyline(points: list[tuple[float, float]], precision: int = PRECISION) -> str:
    """(lat, lon) points as one encoded polyline: each coordinate rounded to `precision`
    decimals, written as the difference from the previous point in 5-bit chunks."""
    factor, out, last = 10 ** precision, [], (0, 0)
    for lat, lon in points:
        here = (round(lat * factor), round(lon * factor))
        out.append(_encode_number(here[0] - last[0]) + _encode_number(here[1] - last[1]))
        last = here
    return "".join(out)


def decode_polyline(text: str, precision: int = PRECISION) -> list[tuple[float, float]]:
    """The (lat, lon) points of an encoded polyline; AreaError for a broken one."""
    numbers, value, shift = [], 0, 0
    for char in text:
        code = ord(char) - 63
        if not 0 <= code < 64:
            raise AreaError(_("The area in the link is damaged: it holds the character "
                              "“{char}”, which an encoded outline never does.").format(char=char))
        value |= (code & 0x1F) << shift
        shift += 5
        if code < 0x20:
            numbers.append(~(value >> 1) if value & 1 else value >> 1)
            value, shift = 0, 0
    if shift or len(numbers) % 2:
        raise AreaError(_("The area in the link is damaged: it ends in the middle of a point."))
    factor, lat, lon, points = 10 ** precision, 0, 0, []
    for i in range(0, len(numbers), 2):
        lat, lon = lat + numbers[i], lon + numbers[i + 1]
        points.append((lat / factor, lon / factor))
    return points


# --- Areas in links ----------------------------------------------------------------------

def _polygons(area: BaseGeometry) -> list[Polygon]:
    return list(area.geoms) if isinstance(area, MultiPolygon) else [area]


def encode_area(area: BaseGeometry) -> str:
    """A polygon or multipolygon as text for a link: each ring an encoded polyline of
    (lat, lon) without its closing point, rings of a polygon joined by ',' (the outer one
    first, then its holes), polygons by ';'. AreaError when the link would be too long."""
    parts = []
    for polygon in _polygons(area):
        rings = [polygon.exterior, *polygon.interiors]
        parts.append(RING.join(encode_polyline([(y, x) for x, y in ring.coords[:-1]])
                               for ring in rings))
    text = PART.join(parts)
    length = link_length(text)
    if length > MAX_LINK_CHARS:
        raise AreaError(_("This outline needs {n} characters in a link, more than the "
                          "{limit} a link may hold: draw or upload it with fewer points to "
                          "get a link (its figures and downloads are below).").format(
            n=integer(length), limit=integer(MAX_LINK_CHARS)))
    return text


def link_length(text: str) -> int:
    """Characters the encoded area takes in an address (characters a URL escapes count 3)."""
    return len(quote(text, safe=RING + PART))


def decode_area(text: str) -> BaseGeometry:
    """The area a link holds (see `encode_area`); AreaError for a damaged or too long one."""
    if link_length(text) > MAX_LINK_CHARS:
        raise AreaError(_("The area in the link is {n} characters long, more than the {limit} "
                          "a link may hold.").format(n=integer(link_length(text)), limit=integer(MAX_LINK_CHARS)))
    polygons = []
    for part in text.split(PART):
        rings = [[(lon, lat) for lat, lon in decode_polyline(ring)] for ring in part.split(RING)]
        if any(len(ring) < 3 for ring in rings):
            raise AreaError(_("The area in the link is damaged: an outline has fewer than "
                              "three points."))
        polygons.append(Polygon(rings[0], rings[1:]))
    return checked(MultiPolygon(polygons) if len(polygons) > 1 else polygons[0])


# --- Drawn and uploaded areas ------------------------------------------------------------

def drawn_area(lons: list[float], lats: list[float]) -> BaseGeometry:
    """The area a lasso drew (its points in order), simplified by ~5 m so its link stays short."""
    if len(lons) < 3 or len(lons) != len(lats):
        raise AreaError(_("A drawn area needs at least three points."))
    polygon = Polygon(list(zip(lons, lats)))
    return checked(polygon.simplify(DRAWN_TOLERANCE, preserve_topology=True))


def parse_geojson(data: bytes, file_name: str = "") -> BaseGeometry:
    """The area an uploaded GeoJSON file holds: a Polygon or MultiPolygon, alone or as a
    Feature or FeatureCollection (several polygons are joined into one area).

    Checked: the file's type and size, that it is JSON and GeoJSON, that every coordinate is
    a longitude and latitude (WGS84), the number of points, and that the outline is a real
    area. Nothing of it is written anywhere."""
    if file_name and file_name.rsplit(".", 1)[-1].lower() not in UPLOAD_TYPES:
        raise AreaError(_("The file “{name}” is not a GeoJSON file: upload a .geojson or .json "
                          "file.").format(name=file_name))
    if len(data) > MAX_UPLOAD_BYTES:
        raise AreaError(_("The file is {size} bytes, more than the {limit} bytes an "
                          "uploaded area may have.").format(size=integer(len(data)),
                                                            limit=integer(MAX_UPLOAD_BYTES)))
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise AreaError(_("The file is not valid JSON, so it cannot be GeoJSON.")) from None
    return checked(_geometry(document))


def _geometry(document) -> BaseGeometry:
    if not isinstance(document, dict) or "type" not in document:
        raise AreaError(_("The file is JSON but not GeoJSON: it has no “type”."))
    kind = document["type"]
    if kind == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list) or not features:
            raise AreaError(_("The file's FeatureCollection holds no features."))
        shapes = [_geometry(f) for f in features]
        return shapely.union_all(shapes)
    if kind == "Feature":
        if not isinstance(document.get("geometry"), dict):
            raise AreaError(_("The file's feature has no geometry."))
        return _geometry(document["geometry"])
    if kind not in ("Polygon", "MultiPolygon"):
        raise AreaError(_("The file holds a {kind}, not an area: upload a Polygon or "
                          "MultiPolygon.").format(kind=kind))
    _check_coordinates(document.get("coordinates"))
    try:
        return shape(document)
    except (ValueError, TypeError, IndexError, AttributeError):
        raise AreaError(_("The file's {kind} coordinates are not a list of closed rings.").format(
            kind=kind)) from None


def _check_coordinates(coordinates) -> None:
    flat, stack = [], [coordinates]
    while stack:
        item = stack.pop()
        if not isinstance(item, list) or not item:
            raise AreaError(_("The file's coordinates are not a list of closed rings."))
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in item):
            flat.append(item)
        else:
            stack.extend(item)
        if len(flat) > MAX_VERTICES:
            raise AreaError(_("The area has more than {limit} points: simplify it before "
                              "uploading.").format(limit=integer(MAX_VERTICES)))
    for point in flat:
        if len(point) < 2 or not (-180 <= point[0] <= 180 and -90 <= point[1] <= 90):
            raise AreaError(_("The file's coordinates are not longitude and latitude (one is "
                              "{point}): save it as GeoJSON in WGS84 (EPSG:4326).").format(
                point=point[:2]))


def checked(area: BaseGeometry) -> BaseGeometry:
    """A polygonal area with a real surface: a self-crossing outline is repaired, anything
    else (no surface, not a polygon) is an AreaError."""
    if area is None or area.is_empty:
        raise AreaError(_("The area is empty."))
    if not area.is_valid:
        area = shapely.make_valid(area)
        polygons = [g for g in getattr(area, "geoms", [area])
                    if g.geom_type in ("Polygon", "MultiPolygon")]
        area = shapely.union_all(polygons) if polygons else None
    if area is None or area.geom_type not in ("Polygon", "MultiPolygon") or area.area <= 0:
        raise AreaError(_("The outline encloses no area: it needs at least three points that "
                          "are not on one line."))
    return area
