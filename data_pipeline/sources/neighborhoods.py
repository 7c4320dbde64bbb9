"""The city's neighborhood boundaries from its open-data portal (GeoJSON, a zipped shapefile
or the portal's CSV export with a WKT column).

`read` keeps the profile's id and name of each polygon, repairs and deduplicates shapes,
clips them to the city limits when the build has them (`census_places`), and keeps every
feature it sets aside with its reason.
"""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from .. import readers
from .. import transform_census as tc
from ..cache import RawCache
from ..profiles import Profile
from ..source import Build, Source
from . import socrata
from .businesses import portal_facts

MAX_AGE = timedelta(days=365)


def fetch_for_build(profile: Profile, cache: RawCache, client, build: Build) -> list[Path]:
    portal = profile.portal
    build.step(f"fetching {portal.neighborhoods_title} from {portal.domain}")
    return [socrata.fetch_geojson(portal.domain, portal.neighborhoods, cache, client,
                                  source=NEIGHBORHOODS.name)]


def read_into_build(files: list[Path], build: Build) -> None:
    path, portal = files[0], build.profile.portal
    build.step(f"reading the neighborhood boundaries ({path.name})")
    add_boundaries(build, path, readers.read_boundaries(path, build.profile, build.place),
                   portal_facts(build.profile, portal.neighborhoods, portal.neighborhoods_title))


def add_boundaries(build: Build, path: Path, boundaries: readers.Boundaries, meta,
                   vintage: str = "current") -> None:
    """The areas read, for the sources after them, with their `sources` row (`meta`: where
    they come from) and the features set aside."""
    if boundaries.rejected:
        build.step(f"{len(boundaries.rejected):,} of {boundaries.rows_raw:,} boundary features "
                   "set aside (outside the city, or without an id or a polygon)")
    build.boundaries = boundaries
    build.tables["neighborhoods"] = boundaries.shapes
    build.reject(NEIGHBORHOODS.name, boundaries.rejected)
    counted = tc.Counted(boundaries.shapes, boundaries.rows_raw, len(boundaries.rejected),
                         boundaries.rows_merged)
    build.add_row(NEIGHBORHOODS, vintage, [path], counted, meta=meta)


def _max_age(profile: Profile) -> timedelta:
    return MAX_AGE


NEIGHBORHOODS = Source(
    help="GeoJSON, zipped shapefile or WKT CSV",
    name="neighborhoods", kind="neighborhoods", label="the neighborhood boundaries",
    tables=("neighborhoods",), provenance=socrata.SOURCE, fetch=fetch_for_build, read=read_into_build,
    absent="no neighborhood boundaries were loaded", required=True, max_age=_max_age,
    on_import=True,
    missing="No cached neighborhood boundaries for {slug} in {path}; run `python -m "
            "data_pipeline build --city {slug}` with network access first, or use `python -m "
            "data_pipeline import`.",
    missing_on_import="Neighborhood boundaries are needed for the map: pass --neighborhoods "
                      "(GeoJSON, zipped shapefile or the portal's CSV export of "
                      "{profile.portal.neighborhoods_title}), or run `python -m data_pipeline "
                      "build --city {slug}` once with network access.")
