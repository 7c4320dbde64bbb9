"""Census cartographic boundary files: tract polygons of one state, kept to the city's counties.

`fetch` downloads `cb_<year>_<state>_tract_500k.zip` (a zipped shapefile, NAD83) from
www2.census.gov; `parse` reads it, or a GeoJSON export of the same layer, into
geoid / name / geometry in EPSG:4326. GEOIDs are rebuilt from STATEFP + COUNTYFP + TRACTCE
when those columns are there (exports often store GEOID as a number that lost its
leading zero), else zero-padded to 11 characters. Tracts of 2020 and later vintages are
the 2020 tracts; 2013–2019 files hold the 2010 tracts: match the ACS year.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from ..cache import RawCache
from core.errors import PipelineError
from ..http import FetchError, HttpClient
from .. import readers
from .. import transform_census as tc
from ..profiles import Profile
from ..source import Build, Source, facts

CACHE_SOURCE = "tracts"
URL = "https://www2.census.gov/geo/tiger/GENZ{year}/shp/cb_{year}_{state}_tract_500k.zip"
SOURCE = {
    "name": "Census cartographic boundary files: census tracts (1:500,000)",
    "publisher": "US Census Bureau, Geography Division",
    "url": URL,
    "license": "Public domain (US Census Bureau)",
    "description": ("Generalized tract polygons for one state, clipped to the shoreline; used to "
                    "map ACS figures and to weight tracts into neighborhoods."),
    "wire_format": "Zipped ESRI shapefile (NAD83, EPSG:4269) per state and year",
}
WGS84 = "EPSG:4326"
# Column names by vintage: 2010-tract files may carry a 10 suffix, 2020 files sometimes 20.
SUFFIXES = ("", "20", "10")


def fetch(state: str, year: int, cache: RawCache, client: HttpClient) -> Path:
    """Download the state's tract boundary zip into the cache; return its path."""
    return fetch_zip(URL.format(year=year, state=state), CACHE_SOURCE, cache, client, year, state)


def fetch_zip(url: str, source: str, cache: RawCache, client: HttpClient, year: int,
              state: str, check: str | None = None) -> Path:
    """Download one cartographic boundary zip into `source` of the cache; return its path.
    `check`: what to do when the server sends no zip (default: check the profile's year and
    state)."""
    response = client.get(url)
    content = response.content
    if not zipfile.is_zipfile(io.BytesIO(content)):
        check = check or f"check the year ({year}) and state ({state}) in the city profile"
        raise FetchError(f"The Census download server at {url} did not send a zip file; "
                         f"{check}.", url)
    rows = pyogrio.read_info(io.BytesIO(content))["features"]
    with cache.replacing(source) as target:
        cache.write(target, url.rsplit("/", 1)[1], content, url, {}, rows)
    return cache.files(source)[0]


def parse(path: Path, counties=None) -> gpd.GeoDataFrame:
    """Tracts (geoid, name, geometry in EPSG:4326) from a zipped shapefile or a GeoJSON file.

    `counties` are 3-digit county codes to keep (all when None).
    """
    shapes = _read(Path(path))
    out = gpd.GeoDataFrame({"geoid": _geoids(shapes, path), "name": _names(shapes)},
                           geometry=shapes.geometry.to_numpy(), crs=shapes.crs or WGS84)
    if counties is not None:
        wanted = {str(c).zfill(3) for c in counties}
        out = out[out["geoid"].str[2:5].isin(wanted)]
        if out.empty:
            raise PipelineError(f"{path} has no tracts in counties {', '.join(sorted(wanted))}; "
                                "check the state and county codes in the city profile.")
    if str(out.crs).upper() != WGS84:
        out = out.to_crs(WGS84)
    return out.reset_index(drop=True)


def _read(path: Path) -> gpd.GeoDataFrame:
    """Read by content: a zip holds a shapefile, anything else is handed to GDAL as is."""
    if not path.is_file():
        raise PipelineError(f"The tract file {path} does not exist; check the path.")
    source = f"zip://{path}" if zipfile.is_zipfile(path) else str(path)
    try:
        return gpd.read_file(source)
    except Exception as error:  # noqa: BLE001 - GDAL raises many kinds; all mean "unreadable"
        raise PipelineError(f"Could not read tract shapes from {path} ({error}); give a zipped "
                            "shapefile or a GeoJSON file of census tracts.") from None


def _column(shapes: pd.DataFrame, base: str) -> pd.Series | None:
    for suffix in SUFFIXES:
        for name in (base + suffix, (base + suffix).lower()):
            if name in shapes.columns:
                return shapes[name]
    return None


def _text(values: pd.Series) -> pd.Series:
    """Codes as text, whether they arrived as strings, integers or floats ('6075.0')."""
    return values.astype("string").str.strip().str.replace(r"\.0+$", "", regex=True)


def _geoids(shapes: gpd.GeoDataFrame, path) -> list[str]:
    parts = [_column(shapes, name) for name in ("STATEFP", "COUNTYFP", "TRACTCE")]
    if all(part is not None for part in parts):
        state, county, tract = (_text(p).str.zfill(w) for p, w in zip(parts, (2, 3, 6)))
        return list(state + county + tract)
    geoid = _column(shapes, "GEOID")
    if geoid is None:
        raise PipelineError(f"{path} has no GEOID (or STATEFP, COUNTYFP and TRACTCE) column; "
                            "give a census tract boundary file.")
    text = _text(geoid).str.replace(r"^.*US", "", regex=True)   # 1400000US17031010100 → 17031010100
    return list(text.str.zfill(11))


def _names(shapes: gpd.GeoDataFrame) -> list[str | None]:
    long_name = _column(shapes, "NAMELSAD")
    if long_name is not None:
        return list(long_name.astype(object))
    short = _column(shapes, "NAME")
    if short is None:
        return [None] * len(shapes)
    return [_tract_name(v) for v in _text(short).astype(object)]


def _tract_name(value) -> str | None:
    if not isinstance(value, str):
        return None
    return f"Census Tract {value}" if value.replace(".", "", 1).isdigit() else value


# ----------------------------------------------------------------------------- the unit

def fetch_for_build(profile: Profile, cache: RawCache, client, build: Build) -> list[Path]:
    build.step(f"fetching {TRACTS.label}")
    return [fetch(profile.geography.state_fips, profile.years.acs, cache, client)]


def read_into_build(files: list[Path], build: Build) -> None:
    """The tracts that overlap the city, their weights into neighborhoods, and each
    business's tract."""
    profile, path = build.profile, files[0]
    build.step(f"reading census tracts ({path.name}) and weighting them by area")
    shapes = readers.read_tracts(path, profile)
    tracts, build.weights = tc.city_tracts(shapes, build.shapes)
    build.tables["tracts"], build.tables["tract_neighborhood_weights"] = tracts, build.weights
    if build.result is not None:
        build.result.place_tracts(tracts)
    year = profile.years.acs
    build.add_row(TRACTS, str(year), [path], tc.Counted(tracts, len(tracts)),
                  meta=facts(SOURCE, year=year, state=profile.geography.state_fips))


TRACTS = Source(
    help="tract shapes: GeoJSON or zipped shapefile",
    name=CACHE_SOURCE, kind="tracts", label="census tract shapes",
    tables=("tracts", "tract_neighborhood_weights"), provenance=SOURCE, fetch=fetch_for_build,
    read=read_into_build, absent="no census tract shapes were loaded")
