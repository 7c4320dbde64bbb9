"""Census cartographic boundary files: the city limits, as the Census place of the city.

`fetch` downloads a state's `cb_<year>_<state>_place_500k.zip` (a zipped shapefile, NAD83;
columns STATEFP, PLACEFP, GEOID, NAME, NAMELSAD, …) from www2.census.gov into the raw
cache as it came; `parse` keeps the one place of the profile's `geography.place_fips`, as
a single polygon in EPSG:4326. A file without place codes (a city's own "city limits"
export, given to `import --place`) is taken whole as the city limits.

The 1:500,000 files are generalized: their edges may lie tens of metres from the city's
own survey lines, so clipping to them trims that much from the edge of a neighborhood.
"""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from .. import geo
from ..cache import RawCache
from core.errors import PipelineError
from ..http import HttpClient
from ..profiles import Profile
from ..readers import find_column, id_text, read_shapes
from ..source import Build, Source, facts
from ..transform_census import Counted
from .census_tracts import fetch_zip

CACHE_SOURCE = "places"
URL = "https://www2.census.gov/geo/tiger/GENZ{year}/shp/cb_{year}_{state}_place_500k.zip"
SOURCE = {
    "name": "Census cartographic boundary files: places (1:500,000)",
    "publisher": "US Census Bureau, Geography Division",
    "url": URL,
    "license": "Public domain (US Census Bureau)",
    "description": ("Generalized boundaries of the incorporated places and census designated "
                    "places of one state; the city's own place gives its city limits, to which "
                    "the neighborhoods are clipped."),
    "wire_format": "Zipped ESRI shapefile (NAD83, EPSG:4269) per state and year",
}
PLACE_COLUMNS = ("placefp", "placefp20", "placefp10")
STATE_COLUMNS = ("statefp", "statefp20", "statefp10")
GEOID_COLUMNS = ("geoid", "geoid20", "geoid10", "affgeoid", "affgeoid20", "affgeoid10")
NAME_COLUMNS = ("namelsad", "namelsad20", "namelsad10", "name", "name20", "name10")


def fetch(state: str, year: int, cache: RawCache, client: HttpClient) -> Path:
    """Download the state's place boundary zip into the cache; return its path."""
    return fetch_zip(URL.format(year=year, state=state), CACHE_SOURCE, cache, client, year, state)


def parse(path: Path, state: str, place: str, fallback_crs: str | None = None,
          profile_label: str = "the profile") -> gpd.GeoDataFrame:
    """The place as one row: geoid (7 digits), name and its polygon in EPSG:4326."""
    path = Path(path)
    shapes = read_shapes(path, fallback_crs, "place boundary file", profile_label)
    chosen = geo.make_valid(shapes[_is_place(shapes, state, place).to_numpy(dtype=bool)])
    parts = chosen.geometry.dropna()
    limits = shapely.union_all(parts.to_numpy()) if len(parts) else None
    if limits is None or limits.is_empty:
        raise PipelineError(
            f"{path.name} has no polygon of place {state}{place}, which {profile_label} names in "
            f"geography.place_fips; check the code (the Census place list of state {state} "
            "has it) or pass the city limits as --place.")
    name_column = find_column(chosen, NAME_COLUMNS)
    name = str(chosen[name_column].iloc[0]) if name_column else None
    return gpd.GeoDataFrame({"geoid": [state + place], "name": [name]}, geometry=[limits],
                            crs=geo.WGS84)


def _is_place(shapes: gpd.GeoDataFrame, state: str, place: str) -> pd.Series:
    """Rows of the place: by PLACEFP (and STATEFP), else by GEOID, else every row."""
    place_column = find_column(shapes, PLACE_COLUMNS)
    state_column = find_column(shapes, STATE_COLUMNS)
    if place_column is not None:
        found = _codes(shapes[place_column], 5) == place
        if state_column is not None:
            found &= _codes(shapes[state_column], 2) == state
        return found.fillna(False)
    geoid_column = find_column(shapes, GEOID_COLUMNS)
    if geoid_column is not None:
        geoids = id_text(shapes[geoid_column]).str.replace(r"^.*US", "", regex=True)
        return (geoids.str.zfill(7) == state + place).fillna(False)
    return pd.Series(True, index=shapes.index)   # a file of the city limits alone


def _codes(values: pd.Series, width: int) -> pd.Series:
    return id_text(values).str.zfill(width)


# ----------------------------------------------------------------------------- the unit

def fetch_for_build(profile: Profile, cache: RawCache, client, build: Build) -> list[Path]:
    build.step(f"fetching the Census place boundary of place {profile.geography.place_fips}")
    return [fetch(profile.geography.state_fips, profile.years.acs, cache, client)]


def read_into_build(files: list[Path], build: Build) -> None:
    """The city limits, for the neighborhoods read next to be clipped to."""
    profile, path = build.profile, files[0]
    build.step(f"clipping the neighborhoods to the city limits ({path.name})")
    g = profile.geography
    build.place = parse(path, g.state_fips, g.place_fips, g.boundary_crs, profile.display_path)
    year = profile.years.acs
    build.add_row(PLACE, str(year), [path], Counted(build.place, len(build.place)),
                  meta=facts(SOURCE, year=year, state=g.state_fips))


def _clips(profile: Profile) -> bool:
    return profile.boundaries.clip_to_place


# Its rows are of kind `neighborhoods`: the city limits cut the neighborhoods' shapes.
PLACE = Source(
    help=("the city limits (the Census place file, or GeoJSON or a zipped shapefile of "
          "the city alone) to clip the neighborhoods to, when the profile sets "
          "boundaries.clip_to_place"),
    name="place", cache=CACHE_SOURCE, kind="neighborhoods", label="the Census place boundary",
    tables=(), provenance=SOURCE, fetch=fetch_for_build, read=read_into_build,
    absent="no city limits were loaded", applies=_clips, on_import=True,
    without="the neighborhoods are not clipped to the city limits",
    unused="is used only to clip the neighborhoods to the city limits: set "
           "boundaries.clip_to_place = true (and geography.place_fips) in {path}, or leave it out")
