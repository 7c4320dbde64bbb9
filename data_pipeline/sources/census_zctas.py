"""Census ZIP Code Tabulation Areas: a city's ZIP codes, for a `census = "zcta"` layer.

`fetch` downloads the national `cb_2020_us_zcta520_500k.zip` (a zipped shapefile, NAD83;
columns ZCTA5CE20, AFFGEOID20, GEOID20, NAME20, LSAD20, ALAND20, AWATER20, GEOID20 the
5-digit ZCTA as text) into the layer's folder of the raw cache, once: the 2020 file does
not change. `read_into_build` reads only the ZCTAs in the bounding box of the city limits
(the Census place read before it), clips them to the limits and sets aside those outside,
as the neighborhoods reader does: "ZIP code 60651" is the part of 60651 inside the city.

ZCTAs approximate the USPS ZIP codes (which are delivery routes, not areas): the Census
Bureau builds them from the ZIP codes of the addresses in each census block.
"""
from __future__ import annotations

from pathlib import Path

from core.errors import PipelineError

from .. import readers
from ..cache import RawCache
from ..profiles import Profile
from ..source import Build, facts
from .census_tracts import fetch_zip
from .neighborhoods import add_boundaries

YEAR = 2020
URL = "https://www2.census.gov/geo/tiger/GENZ2020/shp/cb_2020_us_zcta520_500k.zip"
SOURCE = {
    "name": "Census cartographic boundary files: ZIP Code Tabulation Areas (1:500,000)",
    "publisher": "US Census Bureau, Geography Division",
    "url": URL,
    "license": "Public domain (US Census Bureau)",
    "description": ("Generalized boundaries of the 2020 ZIP Code Tabulation Areas, the Census "
                    "Bureau's areal approximation of USPS ZIP codes; those that meet the city "
                    "limits are clipped to them and stand in for the neighborhoods."),
    "wire_format": "Zipped ESRI shapefile (NAD83, EPSG:4269), one national file",
}


def layer_unit(folder: str) -> dict:
    """What a `census = "zcta"` layer's boundary source fetches and reads, into `folder` of
    the raw cache (the rest is the neighborhoods' source)."""
    def fetch_for_build(profile: Profile, cache: RawCache, client, build: Build) -> list[Path]:
        build.step(f"fetching the Census ZIP Code Tabulation Areas ({URL})")
        return [fetch(cache, client, folder)]
    return {"fetch": fetch_for_build, "read": read_into_build, "provenance": SOURCE,
            "max_age": _kept_for_good}


def _kept_for_good(profile: Profile) -> None:
    return None     # the 2020 file does not change


def fetch(cache: RawCache, client, folder: str) -> Path:
    """Download the national ZCTA zip into `folder` of the cache; return its path."""
    return fetch_zip(URL, folder, cache, client, YEAR, "us",
                     check="try again later, or pass the ZCTA file you have to `import` "
                           "as --neighborhoods")


def read_into_build(files: list[Path], build: Build) -> None:
    """The ZCTAs that meet the city limits, clipped to them, as the build's areas."""
    path, profile = files[0], build.profile
    if build.place is None:
        g = profile.geography
        raise PipelineError(
            f"The ZIP Code Tabulation Areas of {path.name} are chosen and cut by the city "
            f"limits (Census place {g.state_fips}{g.place_fips}), and none were loaded; build "
            "with network access once, or pass the city limits to `import` as --place.")
    build.step(f"reading the ZIP Code Tabulation Areas that meet the city limits ({path.name})")
    boundaries = readers.read_boundaries(path, profile, build.place, within=build.place)
    add_boundaries(build, path, boundaries, facts(SOURCE), vintage=str(YEAR))
