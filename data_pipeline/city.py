"""Build a real city's database, from the portals (`build --city`) or local exports (`import`).

Both paths read the sources of `SOURCES` in order (`read_sources`): the
city limits, the boundaries and the registry with the city's profile, then the Census
inputs fitted to the city, every raw row accounted for in `sources` and
`rejected_records`; `load.write_database` then checks and swaps in the database.
`build_city` fills the raw cache first (fetching only what is missing or stale); with
`offline=True` it reads the cache alone. `import_files` reads the files given, and for a
source whose file is not given but which the build cannot do without, the raw cache.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from pathlib import Path

from core import paths
from typing import Callable

from core.errors import PipelineError

from . import canonical as c
from .cache import RawCache
from .http import HttpClient
from .load import write_database
from .profiles import FIRST_LAYER, Layer, Profile, load_profile
from .source import Build, Origin, Source, Step
from .sources import SOURCES, census_zctas, socrata
from .sources import source as sources_named
from .sources.neighborhoods import NEIGHBORHOODS


def _quiet(message: str) -> None:
    pass


# ----------------------------------------------------------------------------- read

Obtain = Callable[[Source, Build], list[Path]]   # a source's files for this build ([]: none)


def read_sources(build: Build, obtain: Obtain, sources: tuple[Source, ...] = SOURCES
                 ) -> c.CityData:
    """Read every source the profile uses, in order, with the files `obtain` finds for it."""
    for source in sources:
        if not source.applies(build.profile):
            continue
        files = [Path(f) for f in obtain(source, build)]
        if files:
            source.read(files, build)
        elif source.required:
            raise PipelineError(f"The build needs {source.label}, and none was given.")
    return build.city_data()


def assemble(profile: Profile, files: dict[str, list[Path]], step: Step, **build) -> c.CityData:
    """Read the given files of each source (by source name) into a `CityData` held in
    memory (tables staged in a working database are read into frames)."""
    return read_sources(Build(profile, step, **build),
                        lambda source, _: files.get(source.name) or []).in_memory()


# ----------------------------------------------------------------------------- import

def import_files(city: str | Path, businesses: Path, neighborhoods: Path | None = None, *,
                 db: Path | None = None, geocode: bool = False, on_step: Step | None = None,
                 suppression_threshold: int | None = None, layer: str | None = None,
                 **files: Path | list[Path] | None) -> Path:
    """Build a city's database from local export files: the registry, its boundaries (else
    the cached ones) and any other source's files by its name (`tracts=`, `lodes=[…]`);
    what is not given stays empty.

    With geocoding on in the profile, addresses are geocoded from the raw cache; `geocode`
    asks the Census Geocoder for those not there yet.
    """
    given = {"businesses": businesses, "neighborhoods": neighborhoods, **files}
    return import_sources(city, {name: [Path(p) for p in (value if isinstance(value, list)
                                                          else [value]) if p is not None]
                                 for name, value in given.items() if value is not None},
                          db=db, geocode=geocode, on_step=on_step,
                          suppression_threshold=suppression_threshold, layer=layer)


def import_sources(city: str | Path, files: dict[str, list[Path]], db: Path | None = None,
                   geocode: bool = False, on_step: Step | None = None,
                   suppression_threshold: int | None = None, layer: str | None = None) -> Path:
    """Build from local files by source name; a source the build cannot do without, or one
    the profile reads from the cache when not given (the city limits), comes from the cache.

    `layer`: build the profile's layer of that id (say wards), its boundary file given as
    the `neighborhoods` file, into `data/<city>.<layer>.duckdb` (or beside `db`)."""
    full = load_profile(city)
    the_layer = full.layer(layer)
    profile, step = for_layer(full, the_layer), on_step or _quiet
    known = {source.name for source in SOURCES}
    for name, paths_given in files.items():
        if name not in known:
            raise PipelineError(f"No source is called {name!r}; the sources are "
                                f"{', '.join(sorted(known))}.")
        for path in paths_given:
            if not path.is_file():
                raise PipelineError(f"No file at {path} (given as --{name}); check the path.")
    for source in SOURCES:
        if files.get(source.name) and not source.applies(profile):
            raise PipelineError(f"The --{source.name} file "
                                + source.unused.format(path=profile.display_path) + ".")
        for needed in (sources_named(name) for name in source.needs):
            if files.get(source.name) and not files.get(needed.name):
                raise PipelineError(f"{source.label[:1].upper()}{source.label[1:]} need "
                                    f"{needed.label}: pass --{needed.name} too ({needed.help}).")
    cache = RawCache(paths.raw_cache_dir(), profile.slug)

    def obtain(source: Source, build: Build) -> list[Path]:
        given = files.get(source.name) or []
        if given:
            build.origins[source.name] = _file_origin(given)
            return given
        if source.required or source.on_import:
            return _from_cache(source, profile, cache, build, imported=True)
        return []

    build = Build(profile, step, cache=cache, client=HttpClient() if geocode else None,
                  imported=True, geocode=geocode)
    return _write(profile, the_layer, read_sources(build, obtain, layer_sources(the_layer)),
                  db, step, suppression_threshold)


def _file_origin(files: list[Path]) -> Origin:
    newest = max(Path(f).stat().st_mtime for f in files)
    return Origin(None, datetime.fromtimestamp(newest, timezone.utc),
                  ", ".join(Path(f).name for f in files))


# ----------------------------------------------------------------------------- build

def build_city(city: str | Path, db: Path | None = None, offline: bool = False,
               on_step: Step | None = None, suppression_threshold: int | None = None) -> Path:
    """Fetch what is missing or stale into the raw cache (or use it alone), then build every
    layer of the profile: the neighborhoods into `db`, each other layer beside it. A layer
    without a portal dataset or a Census file is said in one sentence and left to
    `import --layer`."""
    full, step = load_profile(city), on_step or _quiet
    first = build_layer(full, full.layers[0], db, offline, step, suppression_threshold)
    for layer in full.layers[1:]:
        if layer.dataset is None and layer.census is None:
            step(f"the {layer.plural} have no portal dataset in the profile; build them with "
                 f"`python -m data_pipeline import --city {full.slug} --layer {layer.id} "
                 "--neighborhoods FILE …`")
            continue
        try:
            build_layer(full, layer, paths.layer_path(first, layer.id), offline, step,
                        suppression_threshold)
        except PipelineError as error:   # the neighborhoods stand; this layer waits
            step(f"the {layer.plural} were not built: {error}")
    return first


def build_layer(full: Profile, layer: Layer, db: Path | None, offline: bool, step: Step,
                suppression_threshold: int | None) -> Path:
    """One layer's database from the raw cache (fetching what is missing unless offline).
    Every source is read again for each layer: a layer is a build of its own."""
    profile = for_layer(full, layer)
    cache = RawCache(paths.raw_cache_dir(), profile.slug)
    client = None if offline else HttpClient()

    def obtain(source: Source, build: Build) -> list[Path]:
        if source.required:
            build.as_of = build.as_of or (cache.fetched_at(source.folder)
                                          if source.max_age(profile) else None)
        return _cached_or_fetched(source, profile, cache, client, build)

    build = Build(profile, step, cache=cache, client=client, geocode=client is not None)
    if layer.id != FIRST_LAYER:
        db = db or paths.database_path(profile.slug, layer.id)
    return _write(profile, layer, read_sources(build, obtain, layer_sources(layer)), db, step,
                  suppression_threshold)


# ----------------------------------------------------------------------------- layers

def for_layer(profile: Profile, layer: Layer) -> Profile:
    """The profile with `layer`'s shapes standing in for the neighborhoods: its id and name
    properties, its portal dataset; the `[boundaries]` property filter is the neighborhood
    file's and is dropped (the city limits still clip, and always clip a Census layer)."""
    if layer.id == FIRST_LAYER:
        return profile
    geography = dataclasses.replace(profile.geography, neighborhood_id=layer.id_field,
                                    neighborhood_name=layer.name_field or layer.id_field)
    portal = dataclasses.replace(profile.portal, neighborhoods=layer.dataset or "",
                                 neighborhoods_title=layer.title or layer.plural)
    clip = profile.boundaries.clip_to_place or layer.census is not None
    rules = dataclasses.replace(profile.boundaries, keep_property=None, keep_values=(),
                                drop_values=(), clip_to_place=clip)
    return dataclasses.replace(profile, geography=geography, portal=portal, boundaries=rules)


# A layer's `census` value (profiles.CENSUS_LAYERS) → the parts of its boundary source
CENSUS_FILES = {"zcta": census_zctas.layer_unit}


def layer_folder(layer: Layer) -> str:
    """A layer's boundaries in the raw cache: `data/raw/<city>/layer_<id>/`."""
    return f"layer_{layer.id}"


def layer_sources(layer: Layer) -> tuple[Source, ...]:
    """The sources of a build of `layer`: the layer's boundaries in the neighborhoods' place."""
    if layer.id == FIRST_LAYER:
        return SOURCES
    return tuple(layer_source(layer) if source is NEIGHBORHOODS else source
                 for source in SOURCES)


def layer_source(layer: Layer) -> Source:
    """The boundary source fetching and caching this layer's dataset (or Census file) in its
    own folder."""
    folder = layer_folder(layer)

    def fetch(profile: Profile, cache: RawCache, client, build: Build) -> list[Path]:
        build.step(f"fetching {profile.portal.neighborhoods_title} from {profile.portal.domain}")
        return [socrata.fetch_geojson(profile.portal.domain, profile.portal.neighborhoods,
                                      cache, client, source=folder)]

    unit = {} if layer.census is None else CENSUS_FILES[layer.census](folder)
    return dataclasses.replace(NEIGHBORHOODS, cache=folder, **{"fetch": fetch, **unit},
                               label=f"the {layer.plural}' boundaries",
                               missing=f"No cached boundaries of the {layer.plural} for "
                                       "{slug} in {path}; run `python -m data_pipeline "
                                       "build --city {slug}` with network access first, or "
                                       f"`python -m data_pipeline import --layer {layer.id} "
                                       "--neighborhoods FILE …`.")


def _named(data, layer: Layer):
    """A layer whose boundary file has no name property: its areas are "Ward 12"."""
    if layer.id != FIRST_LAYER and layer.name_field is None:
        shapes = data.neighborhoods
        shapes["name"] = [layer.name_of(i) for i in shapes["neighborhood_id"]]
    return data


def _cached_or_fetched(source: Source, profile: Profile, cache: RawCache, client,
                       build: Build) -> list[Path]:
    """A source's cached files, fetched first when missing or stale (and a client is given);
    [] for an optional source that is not to be had, said in one sentence."""
    max_age = source.max_age(profile)
    fresh = cache.has(source.folder) and (max_age is None
                                          or not cache.is_stale(source.folder, max_age))
    if fresh or (client is None and cache.has(source.folder)):
        if source.required:
            build.step(f"using the cached {source.label.removeprefix('the ')} "
                       f"({cache.path(source.folder)})")
        return _cached(source, cache, build)
    if client is None:
        return _from_cache(source, profile, cache, build)
    try:
        source.fetch(profile, cache, client, build)
    except PipelineError as error:
        if source.required:
            raise
        build.step(f"{source.label} not available ({error}); {source.without}")
        return []
    return _cached(source, cache, build)


def _from_cache(source: Source, profile: Profile, cache: RawCache, build: Build,
                imported: bool = False) -> list[Path]:
    """A source's files from the raw cache alone: a required one must be there."""
    if cache.has(source.folder):
        return _cached(source, cache, build)
    if source.required:
        sentence = (imported and source.missing_on_import) or source.missing
        raise PipelineError(sentence.format(slug=profile.slug, path=cache.path(source.folder),
                                            profile=profile))
    given = f"no --{source.name} file and " if imported else ""
    build.step(f"{given}{source.label} not in the cache ({cache.path(source.folder)}); "
               f"{source.without}")
    return []


def _cached(source: Source, cache: RawCache, build: Build) -> list[Path]:
    entries = cache.entries(source.folder)
    build.origins[source.name] = Origin(entries[0]["url"] if entries else None,
                                        cache.fetched_at(source.folder))
    return cache.files(source.folder)


# ----------------------------------------------------------------------------- write

def layer_info(layer: Layer) -> dict[str, str]:
    """The build settings that say which set of areas a database shows, and their nouns."""
    return {"layer": layer.id, "area_singular": layer.singular, "area_plural": layer.plural}


def _write(profile: Profile, layer: Layer, data, db: Path | None, step: Step,
           threshold: int | None) -> Path:
    """Write the database, with the suppression threshold of this build in its settings:
    `--suppress-below` when given, else the profile's `suppress_below` (0, publish every
    count, unless the registry is not public); and the layer it shows with its nouns."""
    data.build_info["suppress_below"] = str(profile.suppress_below if threshold is None
                                            else threshold)
    data.build_info.update(layer_info(layer))
    data = _named(data, layer)
    layer_id = None if layer.id == FIRST_LAYER else layer.id
    target = Path(db) if db else paths.database_path(profile.slug, layer_id)
    return write_database(data, target, on_step=step)
