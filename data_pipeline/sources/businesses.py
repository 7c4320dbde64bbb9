"""The city's business registry (licences, registered locations) from its open-data portal.

`fetch` pages the portal's dataset into the raw cache (`socrata.fetch_dataset`); `read`
reads the rows with the city profile, transforms them into business locations (merging
licence terms, placing each in a neighborhood, geocoding addresses when the profile asks)
and keeps every rejected row with its reason.
"""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pandas as pd

from core.errors import PipelineError

from .. import license_processing, readers, transform
from ..cache import RawCache
from ..profiles import Profile
from ..source import Build, Origin, Source
from . import census_geocoder, socrata

# build_info keys counting rows that were repaired, not rejected: "<source>_<what>".
REPAIRS = {"businesses_recoded_rows": "rows not UTF-8, read as Windows-1252",
           "businesses_swapped_coordinates": "rows with latitude and longitude swapped back"}


def portal_facts(profile: Profile, dataset: str, title: str) -> SimpleNamespace:
    """The provenance of a portal dataset, as its `sources` row says it."""
    portal = profile.portal
    return SimpleNamespace(name=title, publisher=portal.publisher, license=portal.license,
                           url=f"https://{portal.domain}/d/{dataset}")


def fetch_for_build(profile: Profile, cache: RawCache, client, build: Build) -> list[Path]:
    portal = profile.portal
    build.step(f"fetching {portal.businesses_title} from {portal.domain}")
    return socrata.fetch_dataset(portal.domain, portal.businesses, cache, client,
                                 source=BUSINESSES.name)


def read_into_build(files: list[Path], build: Build) -> None:
    profile, step = build.profile, build.step
    step(f"reading the business registry ({', '.join(p.name for p in files)})")
    registry = readers.read_registry(files, profile)
    if registry.recoded_rows:
        step(f"{registry.recoded_rows:,} rows were not UTF-8 and were read as Windows-1252")
    step(f"transforming {registry.rows:,} registry rows")
    as_of = pd.Timestamp(build.as_of).tz_convert(None) if build.as_of else None
    build.geocoder = build.geocoder or _geocoder(build)
    result = transform.transform_businesses(registry, profile, build.shapes, as_of=as_of,
                                            geocoder=build.geocoder)
    if result.swapped_coordinates:
        swapped = result.swapped_coordinates
        step(f"{swapped:,} row{'' if swapped == 1 else 's'} had latitude and longitude swapped; "
             "swapped back")
    _check_loaded(profile, registry, result, step)
    build.result = result
    build.tables["businesses"] = result.staged("businesses")
    build.tables["unmapped_categories"] = result.staged("unmapped_categories")
    license_processing.applications(registry.con, BUSINESSES.name,
                                    transform.processing_columns(registry, profile))
    missing = license_processing.missing_columns(registry.columns, profile)
    if profile.processing.enabled and missing:
        step(f"{registry.label} has no column {', '.join(missing)} that {profile.display_path} "
             "names in [processing]: no licence processing times")
    build.tables["license_processing"] = result.staged("license_processing")
    build.rejected.append(result.staged("rejected"))
    if profile.fields.zip:
        build.tables["zip_neighborhood_weights"] = result.staged("zip_weights").df()
    build.add_row(BUSINESSES, f"as of {result.as_of:%Y-%m-%d}", files, result,
                  meta=portal_facts(profile, profile.portal.businesses,
                                    profile.portal.businesses_title), sha256=registry.sha256)
    if result.geocoded is not None:
        _geocoder_row(build, result.geocoded)
    build.info.update(build_info(profile, result, registry))
    build.info.update(license_processing.info(profile, registry.con))


def _check_loaded(profile: Profile, registry: readers.Registry,
                  result: transform.BusinessResult, step) -> None:
    """Refuse a registry of which no row loads; warn when many dates cannot be read."""
    reasons = result.rejected_reasons()
    dated = sum(n for reason, n in reasons.items() if "unparseable" in reason)
    if result.rows_loaded == 0:
        summary = ", ".join(f"{n:,} {reason}" for reason, n in reasons.items())
        if dated * 2 >= result.rows_rejected:
            raise PipelineError(_date_problem(profile, registry, f"no row of {registry.label} "
                                              f"could be loaded ({summary})"))
        raise PipelineError(f"No row of {registry.label} could be loaded ({summary}); check that "
                            f"the registry and the boundaries are {profile.name}'s.")
    if dated and dated >= 0.05 * result.rows_raw:
        step(_date_problem(profile, registry, f"{dated:,} of {result.rows_raw:,} rows have a "
                                               "date that could not be read and were rejected"))


def _date_problem(profile: Profile, registry: readers.Registry, what: str) -> str:
    """One sentence naming `dates.formats` with two of the registry's date values."""
    columns = [c for c in profile.fields.opened if c in registry.columns]
    samples = registry.values(columns[0], 2) if columns else []
    shown = " and ".join(repr(v) for v in samples) or "none"
    return (f"{what[:1].upper()}{what[1:]}: its dates look like {shown} (column "
            f"{columns[0] if columns else '?'}), which none of dates.formats "
            f"{list(profile.date_formats)} in {profile.display_path} reads; add the right "
            "format (e.g. \"%m/%d/%Y\" or \"ISO8601\") to dates.formats.")


def _geocoder(build: Build) -> census_geocoder.Geocoder | None:
    """The build's geocodes when the profile turns geocoding on: the cache's, and the Census
    Geocoder's for addresses not there yet (a build with network access, or `import
    --geocode`)."""
    profile, step = build.profile, build.step
    if not profile.geocode.enabled:
        if build.imported and build.geocode:
            step(f"--geocode has nothing to do: {profile.display_path} does not turn on "
                 "geocode.enabled")
        return None
    if build.imported and not build.geocode:
        step("geocoding addresses from the cache only; pass --geocode to ask the Census "
             "Geocoder for new ones")
    geocoder = census_geocoder.Geocoder(build.cache, build.client if build.geocode else None,
                                        profile.geocode.benchmark, step)
    if build.imported and not build.geocode:
        geocoder.later = "import with --geocode to geocode them"
    return geocoder


def _geocoder_row(build: Build, placed: int) -> None:
    """The Census Geocoder's `sources` row: its rows are the distinct addresses it placed.

    Addresses it could not match are not its rows but the registry's: they show there,
    as rejected rows with their reason.
    """
    geocoder = build.geocoder
    build.origins[census_geocoder.CACHE_SOURCE] = Origin(census_geocoder.URL, geocoder.fetched_at())
    counted = SimpleNamespace(rows_raw=placed, rows_loaded=placed, rows_merged=0, rows_rejected=0)
    build.add_row(GEOCODES, build.profile.geocode.benchmark, geocoder.files(), counted)


def build_info(profile: Profile, result: transform.BusinessResult,
               registry: readers.Registry) -> dict[str, str]:
    info = {"is_demo": "false", "first_year": str(profile.years.first),
            "last_year": str(min(profile.years.last, result.as_of.year)),  # no year past the data
            "state_fips": profile.geography.state_fips,
            "county_fips": ",".join(profile.geography.county_fips),
            "registry_note": " ".join(profile.registry_note.split()),
            "data_as_of": f"{result.as_of:%Y-%m-%d}", "acs_year": str(profile.years.acs),
            "micro_rules": "yes" if (profile.home_based or profile.sole_proprietor
                                     or profile.limited) else "none"}
    if registry.recoded_rows:
        info["businesses_recoded_rows"] = str(registry.recoded_rows)
    if result.swapped_coordinates:
        info["businesses_swapped_coordinates"] = str(result.swapped_coordinates)
    return info


def _max_age(profile: Profile) -> timedelta:
    return timedelta(days=profile.portal.max_age_days)


def _not_fetched(profile: Profile, cache: RawCache, client, build: Build) -> list[Path]:
    return []


def _read_nothing(files: list[Path], build: Build) -> None:
    pass


BUSINESSES = Source(
    help="portal CSV export or SODA JSON pages of the business registry", many=True,
    name="businesses", kind="businesses", label="the business registry",
    tables=("businesses", "unmapped_categories", "zip_neighborhood_weights", "license_processing"),
    schema=license_processing.SCHEMA,
    provenance=socrata.SOURCE, fetch=fetch_for_build, read=read_into_build,
    absent="no business registry was loaded", required=True, max_age=_max_age,
    repairs=REPAIRS,
    missing="No cached business registry for {slug} in {path}; run `python -m data_pipeline "
            "build --city {slug}` with network access first, or use `python -m data_pipeline "
            "import`.")

# The geocodes are fetched and read with the registry (transform.geocode_terms); this unit
# gives their `sources` row its kind and provenance.
GEOCODES = Source(
    name=census_geocoder.CACHE_SOURCE, kind="geocodes", label="Census Geocoder answers",
    tables=(), provenance=census_geocoder.SOURCE, fetch=_not_fetched, read=_read_nothing,
    absent="no address was geocoded",
    applies=lambda profile: False)   # never read on its own
