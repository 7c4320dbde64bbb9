"""Build a real city's database, from the portals (`build --city`) or local exports (`import`).

Both paths end in the same `assemble`: read the boundaries and the registry with the
city's profile, fit the Census inputs to the city, transform, and account for every raw
row in `sources` and `rejected_records`; `load.write_database` then checks and swaps in
the database. `build_city` first fills the raw cache (fetching only what is missing or
stale); with `offline=True` it reads the cache alone.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType
from typing import Callable

from core import paths
from .cache import RawCache
from core.errors import PipelineError
from .http import HttpClient
from .load import Step, write_database
from .profiles import Profile, load_profile
from .sources import (business_patterns, census_acs, census_places, census_tracts, lodes,
                      nonemployer, socrata)
from .sources import census_geocoder
from .transform_city import Inputs, Origin, assemble, read_base

NEIGHBORHOODS_MAX_AGE = timedelta(days=365)


def _quiet(message: str) -> None:
    pass


# ----------------------------------------------------------------------------- import

def import_files(city: str | Path, businesses: Path, neighborhoods: Path | None = None,
                 tracts: Path | None = None, acs: Path | None = None,
                 lodes: list[Path] | None = None, db: Path | None = None, geocode: bool = False,
                 on_step: Step | None = None, suppression_threshold: int | None = None,
                 place: Path | None = None) -> Path:
    """Build a city's database from local export files; what is not given stays empty.

    With geocoding on in the profile, addresses are geocoded from the raw cache; `geocode`
    asks the Census Geocoder for those not there yet.
    """
    profile, step = load_profile(city), on_step or _quiet
    given = {"--businesses": businesses, "--neighborhoods": neighborhoods, "--tracts": tracts,
             "--acs": acs, **{f"--lodes {i + 1}": p for i, p in enumerate(lodes or [])},
             "--place": place}
    for flag, path in given.items():
        if path is not None and not Path(path).is_file():
            raise PipelineError(f"No file at {path} (given as {flag}); check the path.")
    if acs is not None and tracts is None:
        raise PipelineError("ACS figures are per census tract and need the tract shapes: "
                            "pass --tracts too (GeoJSON or the Census zipped shapefile).")
    if place is not None and not profile.boundaries.clip_to_place:
        raise PipelineError(f"The --place file is used only to clip the neighborhoods to the city "
                            f"limits: set boundaries.clip_to_place = true (and "
                            f"geography.place_fips) in {profile.display_path}, or leave it out.")
    inputs = Inputs([Path(businesses)], Path(neighborhoods or _cached_boundaries(profile)),
                    Path(tracts) if tracts else None, [Path(acs)] if acs else [],
                    [Path(p) for p in lodes or []])
    inputs.place = Path(place) if place else _cached_place(profile, step)
    inputs.geocoder = _import_geocoder(profile, geocode, step)
    inputs.origins = {name: _file_origin(files) for name, files in _named_files(inputs).items()}
    return _build(profile, inputs, db, step, suppression_threshold)


def _cached_boundaries(profile: Profile) -> Path:
    cache = RawCache(paths.raw_cache_dir(), profile.slug)
    if cache.has("neighborhoods"):
        return cache.files("neighborhoods")[0]
    raise PipelineError(
        f"Neighborhood boundaries are needed for the map: pass --neighborhoods (GeoJSON, zipped "
        f"shapefile or the portal's CSV export of {profile.portal.neighborhoods_title}), or run "
        f"`python -m data_pipeline build --city {profile.slug}` once with network access.")


def _cached_place(profile: Profile, step: Step) -> Path | None:
    """The cached Census place boundary when the profile clips to it; None (said) without one."""
    if not profile.boundaries.clip_to_place:
        return None
    cache = RawCache(paths.raw_cache_dir(), profile.slug)
    if cache.has(census_places.CACHE_SOURCE):
        return cache.files(census_places.CACHE_SOURCE)[0]
    step(f"no --place file and no cached Census place {profile.geography.place_fips}, so the "
         "neighborhoods are not clipped to the city limits")
    return None


def _named_files(inputs: Inputs) -> dict[str, list[Path]]:
    named = {"businesses": inputs.businesses, "neighborhoods": [inputs.neighborhoods],
             "tracts": [inputs.tracts] if inputs.tracts else [], "acs": inputs.acs,
             "lodes": inputs.lodes, "business_patterns": inputs.business_patterns,
             "nonemployers": inputs.nonemployers, "place": [inputs.place] if inputs.place else []}
    return {name: files for name, files in named.items() if files}


def _file_origin(files: list[Path]) -> Origin:
    newest = max(Path(f).stat().st_mtime for f in files)
    return Origin(None, datetime.fromtimestamp(newest, timezone.utc),
                  ", ".join(Path(f).name for f in files))


def _import_geocoder(profile: Profile, geocode: bool, step: Step) -> census_geocoder.Geocoder | None:
    if not profile.geocode.enabled:
        if geocode:
            step(f"--geocode has nothing to do: {profile.display_path} does not turn on "
                 "geocode.enabled")
        return None
    cache = RawCache(paths.raw_cache_dir(), profile.slug)
    if geocode:
        return _geocoder(profile, cache, HttpClient(), step)
    step("geocoding addresses from the cache only; pass --geocode to ask the Census Geocoder "
         "for new ones")
    return _geocoder(profile, cache, None, step, later="import with --geocode to geocode them")


def _geocoder(profile: Profile, cache: RawCache, client, step: Step,
              later: str | None = None) -> census_geocoder.Geocoder | None:
    """The build's geocodes when the profile turns geocoding on: the cache, and the client's."""
    if not profile.geocode.enabled:
        return None
    geocoder = census_geocoder.Geocoder(cache, client, profile.geocode.benchmark, step)
    if later:
        geocoder.later = later
    return geocoder


# ----------------------------------------------------------------------------- build

def build_city(city: str | Path, db: Path | None = None, offline: bool = False,
               on_step: Step | None = None, suppression_threshold: int | None = None) -> Path:
    """Fetch what is missing or stale into the raw cache (or use it alone), then build."""
    profile, step = load_profile(city), on_step or _quiet
    cache = RawCache(paths.raw_cache_dir(), profile.slug)
    client = None if offline else HttpClient()
    inputs = Inputs(_registry(profile, cache, client, step), _boundaries(profile, cache, client, step))
    inputs.as_of = cache.fetched_at("businesses")
    inputs.geocoder = _geocoder(profile, cache, client, step)
    inputs.place = _place(profile, cache, client, step)
    base = read_base(profile, inputs, step)
    for census in CENSUS_INPUTS:
        files = _census_files(census, profile, cache, client, step, base.zips)
        if files:
            setattr(inputs, census.attribute, files[0] if census.attribute == "tracts" else files)
    inputs.origins = {name: _cache_origin(cache, cache_source(name))
                      for name in _named_files(inputs)}
    data = assemble(profile, inputs, step, base)
    target = Path(db) if db else paths.database_path(profile.slug)
    return write_database(data, target, on_step=step,
                          suppression_threshold=_threshold(profile, suppression_threshold))


def _registry(profile: Profile, cache: RawCache, client, step: Step) -> list[Path]:
    max_age = timedelta(days=profile.portal.max_age_days)
    if not cache.is_stale("businesses", max_age) or (client is None and cache.has("businesses")):
        step(f"using the cached business registry ({cache.path('businesses')})")
        return cache.files("businesses")
    if client is None:
        raise PipelineError(
            f"No cached business registry for {profile.slug} in {cache.path('businesses')}; run "
            f"`python -m data_pipeline build --city {profile.slug}` with network access first, "
            "or use `python -m data_pipeline import`.")
    step(f"fetching {profile.portal.businesses_title} from {profile.portal.domain}")
    return socrata.fetch_dataset(profile.portal.domain, profile.portal.businesses, cache, client,
                                 source="businesses")


def _boundaries(profile: Profile, cache: RawCache, client, step: Step) -> Path:
    if not cache.is_stale("neighborhoods", NEIGHBORHOODS_MAX_AGE) or \
            (client is None and cache.has("neighborhoods")):
        return cache.files("neighborhoods")[0]
    if client is None:
        raise PipelineError(
            f"No cached neighborhood boundaries for {profile.slug} in "
            f"{cache.path('neighborhoods')}; run `python -m data_pipeline build --city "
            f"{profile.slug}` with network access first, or use `python -m data_pipeline import`.")
    step(f"fetching {profile.portal.neighborhoods_title} from {profile.portal.domain}")
    return socrata.fetch_geojson(profile.portal.domain, profile.portal.neighborhoods, cache,
                                 client, source="neighborhoods")


def _place(profile: Profile, cache: RawCache, client, step: Step) -> Path | None:
    """The Census place boundary when the profile clips to it: cached, else fetched; None
    (said in one sentence) when offline without it or when it cannot be fetched."""
    if not profile.boundaries.clip_to_place:
        return None
    if cache.has(census_places.CACHE_SOURCE):
        return cache.files(census_places.CACHE_SOURCE)[0]
    code = profile.geography.place_fips
    if client is None:
        step(f"the Census place boundary of place {code} is not in the cache "
             f"({cache.path(census_places.CACHE_SOURCE)}), so the neighborhoods are not clipped "
             "to the city limits")
        return None
    step(f"fetching the Census place boundary of place {code}")
    try:
        return census_places.fetch(profile.geography.state_fips, profile.years.acs, cache, client)
    except PipelineError as error:
        step(f"the Census place boundary is not available ({error}), so the neighborhoods are not "
             "clipped to the city limits")
        return None


@dataclass(frozen=True)
class CensusInput:
    """An optional Census input: the `Inputs` field it fills, its source module and fetch call."""

    attribute: str
    module: ModuleType
    label: str
    fetch: Callable[[Profile, RawCache, object, list[str]], object]   # → path or paths


def _fetch_tracts(p: Profile, cache: RawCache, client, zips: list[str]):
    return census_tracts.fetch(p.geography.state_fips, p.years.acs, cache, client)


def _fetch_acs(p: Profile, cache: RawCache, client, zips: list[str]):
    return census_acs.fetch(p.geography.state_fips, list(p.geography.county_fips), p.years.acs,
                            cache, client)


def _fetch_lodes(p: Profile, cache: RawCache, client, zips: list[str]):
    return lodes.fetch(p.geography.state_abbr.lower(), list(p.years.lodes), cache, client)


def _fetch_patterns(p: Profile, cache: RawCache, client, zips: list[str]):
    return business_patterns.fetch(p.geography.state_fips, list(p.geography.county_fips),
                                   p.years.cbp, cache, client, zips=zips)


def _fetch_nonemployers(p: Profile, cache: RawCache, client, zips: list[str]):
    return nonemployer.fetch(p.geography.state_fips, list(p.geography.county_fips), p.years.cbp,
                             cache, client)


CENSUS_INPUTS = [
    CensusInput("tracts", census_tracts, "census tract shapes", _fetch_tracts),
    CensusInput("acs", census_acs, "ACS 5-year tract figures", _fetch_acs),
    CensusInput("lodes", lodes, "LODES jobs", _fetch_lodes),
    CensusInput("business_patterns", business_patterns, "County and ZIP Business Patterns",
                _fetch_patterns),
    CensusInput("nonemployers", nonemployer, "Nonemployer Statistics", _fetch_nonemployers),
]


def cache_source(attribute: str) -> str:
    """The raw-cache folder of an input: a Census module's CACHE_SOURCE, else its own name."""
    census = next((ci for ci in CENSUS_INPUTS if ci.attribute == attribute), None)
    if census:
        return census.module.CACHE_SOURCE
    return census_places.CACHE_SOURCE if attribute == "place" else attribute


def _census_files(census: CensusInput, profile: Profile, cache: RawCache, client,
                  step: Step, zips: list[str]) -> list[Path]:
    """Cached files of an optional input, fetched when missing; [] when not available."""
    source = census.module.CACHE_SOURCE
    if cache.has(source):
        return cache.files(source)
    if client is None:
        step(f"{census.label} not in the cache; building without them")
        return []
    step(f"fetching {census.label}")
    try:
        fetched = census.fetch(profile, cache, client, zips)
    except PipelineError as error:
        step(f"{census.label} not available ({error}); building without them")
        return []
    return fetched if isinstance(fetched, list) else [fetched]


def _cache_origin(cache: RawCache, source: str) -> Origin:
    entries = cache.entries(source)
    return Origin(entries[0]["url"] if entries else None, cache.fetched_at(source))


# ----------------------------------------------------------------------------- assemble

def _build(profile: Profile, inputs: Inputs, db: Path | None, step: Step,
           threshold: int | None) -> Path:
    data = assemble(profile, inputs, step)
    target = Path(db) if db else paths.database_path(profile.slug)
    return write_database(data, target, on_step=step,
                          suppression_threshold=_threshold(profile, threshold))


def _threshold(profile: Profile, given: int | None) -> int:
    """The suppression threshold: `--suppress-below` when given, else the profile's
    `suppress_below` (0, publish every count, unless the registry is not public)."""
    return profile.suppress_below if given is None else given
