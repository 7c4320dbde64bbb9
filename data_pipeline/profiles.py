"""City profiles: `data/cities/<slug>.toml` read, checked and turned into a `Profile`.

A new city is a file, not code: the profile names the portal and its datasets, maps the
registry's columns to the canonical ones, says which license types mean home-based,
sole-proprietor or limited, maps categories to NAICS sectors, and gives the Census
geography and years. `load_profile` names the file and the key of every problem it finds.
See docs/cities.md for every key, with a worked example.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from core import categories, paths
from core.errors import PipelineError

DATASET_ID = re.compile(r"^[a-z0-9]{4}-[a-z0-9]{4}$")


@dataclass(frozen=True)
class Portal:
    domain: str
    businesses: str                 # Socrata dataset id of the business registry
    businesses_title: str
    neighborhoods: str              # Socrata dataset id of the neighborhood boundaries
    neighborhoods_title: str
    publisher: str
    license: str
    max_age_days: int = 7           # a cached registry older than this is fetched again


@dataclass(frozen=True)
class Geography:
    state_fips: str
    state_abbr: str
    county_fips: tuple[str, ...]
    neighborhood_id: str            # property of the boundary file holding the id
    neighborhood_name: str          # property holding the name
    boundary_crs: str | None = None  # for boundary files that carry no CRS (.shp without .prj)
    place_fips: str | None = None   # 5-digit Census place code of the city (its city limits)


@dataclass(frozen=True)
class BoundaryRules:
    """Which boundary features are the city's: by a property's values, and within its limits."""

    keep_property: str | None = None   # property (matched ignoring case) the values are of
    keep_values: tuple[str, ...] = ()  # keep only features with one of these (case, spaces ignored)
    drop_values: tuple[str, ...] = ()  # or drop the features with one of these
    clip_to_place: bool = False        # clip to the Census place of geography.place_fips


@dataclass(frozen=True)
class Layer:
    """One set of areas the city is shown by: its neighborhoods (the first, from
    `[geography]` and `portal.neighborhoods`), or a `[[layers]]` entry such as wards.

    Each layer is a build of its own (`data/<city>.duckdb` for the first,
    `data/<city>.<id>.duckdb` for the others) with the layer's shapes standing in for the
    neighborhoods, so every figure is apportioned to it the same way."""

    id: str                         # the URL's ?layer= and the database file's suffix
    singular: str                   # the area in words: "ward"
    plural: str                     # "wards"
    id_field: str                   # property of the boundary file holding the id
    name_field: str | None = None   # property holding the name (None: "<Singular> <id>")
    dataset: str | None = None      # Socrata dataset id on the profile's portal (build --city)
    title: str | None = None        # the dataset's title on the portal
    census: str | None = None       # or a Census boundary file instead ("zcta": ZIP codes)

    def name_of(self, area_id: str) -> str:
        """The name an area without a name property gets: "Ward 12"."""
        return f"{self.singular[:1].upper()}{self.singular[1:]} {area_id}"


FIRST_LAYER = "neighborhoods"
LAYER_ID = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
LAYER_KEYS = {"id": True, "singular": True, "plural": True, "id_field": True,
              "name_field": False, "dataset": False, "title": False, "census": False}
# A layer's `census` value → the Census boundary file its areas come from (sources/census_zctas.py)
CENSUS_LAYERS = {"zcta": "the ZIP Code Tabulation Areas"}


@dataclass(frozen=True)
class Years:
    first: int
    last: int
    acs: int
    lodes: tuple[int, ...]
    cbp: int


@dataclass(frozen=True)
class Fields:
    """Registry columns (SODA API names) behind each canonical column."""

    key: tuple[str, ...]            # joined with '-': the business location key
    opened: tuple[str, ...]         # first parseable date of these
    row_id: str | None = None       # a row's own id; a repeated one is rejected
    name: tuple[str, ...] = ()      # first non-empty
    license_type: str | None = None
    category: tuple[str, ...] = ()  # first value the profile maps, else the first non-empty
    naics: str | None = None
    closed: tuple[str, ...] = ()    # term expiration or location end date
    status: str | None = None
    status_date: str | None = None
    latitude: str | None = None
    longitude: str | None = None
    location: str | None = None     # GeoJSON point, WKT POINT or "(lat, lon)"
    address: tuple[str, ...] = ()   # joined with spaces
    zip: str | None = None

    def columns(self) -> dict[str, tuple[str, ...]]:
        """Every registry column the profile uses, by its `fields.<key>`."""
        out = {}
        for key, value in vars(self).items():
            names = value if isinstance(value, tuple) else (value,) if value else ()
            if names:
                out[key] = names
        return out


@dataclass(frozen=True)
class Geocode:
    """Points for rows that have an address but no coordinates, from the US Census Geocoder."""

    enabled: bool = False
    city: str | None = None         # the city sent with every address (default: the profile's name)
    city_field: str | None = None   # or the column that holds it (empty cells fall back to `city`)
    state: str | None = None        # the state (default: geography.state_abbr)
    state_field: str | None = None  # or the column that holds it
    benchmark: str = "Public_AR_Current"   # the Census Geocoder's address data release

    def columns(self) -> dict[str, tuple[str, ...]]:
        """Registry columns geocoding reads, by its `geocode.<key>`."""
        named = {"city_field": self.city_field, "state_field": self.state_field}
        return {key: (name,) for key, name in named.items() if name}


@dataclass(frozen=True)
class Processing:
    """The licence-processing dates of a registry row: when it was applied for and issued.

    Each is a list of columns, the first non-empty one used (as `fields.opened`); with
    none, the registry gives no processing times ("not available")."""

    applied: tuple[str, ...] = ()   # application created / filed
    issued: tuple[str, ...] = ()    # licence issued

    @property
    def enabled(self) -> bool:
        return bool(self.applied and self.issued)

    def columns(self) -> dict[str, tuple[str, ...]]:
        """Registry columns the processing times read, by their `processing.<key>`."""
        return {key: names for key, names in vars(self).items() if names}


@dataclass(frozen=True)
class FlagRule:
    """Rows whose `field` equals (or contains) one of the values, case-insensitively."""

    field: str
    equals: tuple[str, ...] = ()
    contains: tuple[str, ...] = ()


@dataclass(frozen=True)
class Profile:
    slug: str
    path: Path
    name: str
    registry_note: str
    portal: Portal
    geography: Geography
    years: Years
    fields: Fields
    date_formats: tuple[str, ...]
    closed_statuses: tuple[str, ...] = ()
    category_separator: str | None = None
    category_sectors: dict[str, str] = field(default_factory=dict)
    home_based: tuple[FlagRule, ...] = ()
    sole_proprietor: tuple[FlagRule, ...] = ()
    limited: tuple[FlagRule, ...] = ()
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    geocode: Geocode = Geocode()
    processing: Processing = Processing()
    boundaries: BoundaryRules = BoundaryRules()
    suppress_below: int = 0         # 0: publish counts as they are (a public registry)
    extra_layers: tuple[Layer, ...] = ()   # [[layers]]: wards, council districts, …

    @property
    def layers(self) -> tuple[Layer, ...]:
        """Every set of areas, the neighborhoods first."""
        g, p = self.geography, self.portal
        first = Layer(FIRST_LAYER, "neighborhood", "neighborhoods", g.neighborhood_id,
                      g.neighborhood_name, p.neighborhoods, p.neighborhoods_title)
        return (first, *self.extra_layers)

    def layer(self, layer_id: str | None) -> Layer:
        """The layer of that id (None: the first); a one-sentence error names the others."""
        found = {layer.id: layer for layer in self.layers}
        if layer_id is None:
            return self.layers[0]
        if layer_id not in found:
            raise PipelineError(f"{self.display_path} has no layer {layer_id!r}; its layers "
                                f"are {', '.join(found)}.")
        return found[layer_id]

    @property
    def display_path(self) -> str:
        return display(self.path)

    @property
    def county_geoids(self) -> list[str]:
        return [self.geography.state_fips + county for county in self.geography.county_fips]


# key → (kind, required). Kinds: text, texts (text or list of texts), int, ints.
SPEC: dict[str, tuple[str, bool]] = {
    "name": ("text", True), "registry_note": ("text", True),
    "suppress_below": ("count", False),
    "portal.domain": ("text", True), "portal.businesses": ("dataset", True),
    "portal.businesses_title": ("text", True), "portal.neighborhoods": ("dataset", True),
    "portal.neighborhoods_title": ("text", True), "portal.publisher": ("text", True),
    "portal.license": ("text", True), "portal.max_age_days": ("int", False),
    "geography.state_fips": ("fips2", True), "geography.state_abbr": ("text", True),
    "geography.county_fips": ("fips3s", True), "geography.neighborhood_id": ("text", True),
    "geography.neighborhood_name": ("text", True), "geography.boundary_crs": ("text", False),
    "geography.place_fips": ("fips5", False),
    "boundaries.keep_property": ("text", False), "boundaries.keep_values": ("texts", False),
    "boundaries.drop_values": ("texts", False), "boundaries.clip_to_place": ("bool", False),
    "years.first": ("year", True), "years.last": ("year", True), "years.acs": ("year", True),
    "years.lodes": ("years", True), "years.cbp": ("year", True),
    "fields.key": ("texts", True), "fields.opened": ("texts", True),
    "fields.row_id": ("text", False), "fields.name": ("texts", False),
    "fields.license_type": ("text", False), "fields.category": ("texts", False),
    "fields.naics": ("text", False), "fields.closed": ("texts", False),
    "fields.status": ("text", False), "fields.status_date": ("text", False),
    "fields.latitude": ("text", False), "fields.longitude": ("text", False),
    "fields.location": ("text", False), "fields.address": ("texts", False),
    "fields.zip": ("text", False),
    "geocode.enabled": ("bool", False), "geocode.city": ("text", False),
    "geocode.city_field": ("text", False), "geocode.state": ("text", False),
    "geocode.state_field": ("text", False), "geocode.benchmark": ("text", False),
    "dates.formats": ("texts", True), "status.closed": ("texts", False),
    "processing.applied": ("texts", False), "processing.issued": ("texts", False),
    "categories.separator": ("text", False),
}
FREE_TABLES = {"categories.sectors", "aliases", "micro", "layers"}
FLAG_KINDS = ("home_based", "sole_proprietor", "limited")


def display(path: Path) -> str:
    """A path as a user would type it: relative to the project when inside it."""
    path = Path(path).resolve()
    try:
        return str(path.relative_to(paths.PROJECT_ROOT))
    except ValueError:
        return str(path)


def available() -> list[str]:
    """Slugs of the profiles shipped in data/cities/."""
    return sorted(p.stem for p in paths.cities_dir().glob("*.toml"))


def profile_path(slug_or_path: str | Path) -> Path:
    """The profile file for a slug (`chicago`) or a path to a .toml file."""
    text = str(slug_or_path)
    if text.endswith(".toml") or "/" in text or "\\" in text:
        path = Path(text)
    else:
        path = paths.cities_dir() / f"{text}.toml"
    if not path.is_file():
        raise PipelineError(
            f"No city profile {text!r} (looked for {display(path)}); choose one of "
            f"{', '.join(available()) or 'none'} or write one as docs/cities.md shows.")
    return path


def load_profile(slug_or_path: str | Path) -> Profile:
    """Read and check a profile; every problem is reported with the file and the key."""
    path = profile_path(slug_or_path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise PipelineError(f"{display(path)} is not valid TOML ({error}); fix the file.") from None
    except UnicodeDecodeError as error:
        raise PipelineError(f"{display(path)} is not UTF-8 text (byte {error.start}); save it as "
                            "UTF-8.") from None
    except OSError as error:
        raise PipelineError(f"Could not read the profile {display(path)} ({error.strerror}); "
                            "check the path.") from None
    problems = check(raw)
    if problems:
        raise PipelineError(f"{display(path)}: " + "; ".join(problems) + ".")
    return build_profile(raw, path)


def check(raw: dict) -> list[str]:
    """Every problem of a parsed profile, as 'key ... is missing' phrases."""
    problems = [problem for key, (kind, required) in SPEC.items()
                for problem in _check_key(raw, key, kind, required)]
    problems += _unknown_keys(raw)
    problems += _check_sectors(raw.get("categories", {}).get("sectors", {}))
    problems += _check_flags(raw.get("micro", {}))
    problems += _check_aliases(raw.get("aliases", {}))
    problems += _check_coherence(raw)
    problems += _check_layers(raw.get("layers", []))
    problems += _check_census_layers(raw)
    return problems


def _check_census_layers(raw: dict) -> list[str]:
    """A `census` layer: a known Census file, not also a portal dataset, and the city limits
    (`geography.place_fips`) to choose and cut its areas by."""
    layers = raw.get("layers", [])
    if not isinstance(layers, list):
        return []
    problems, known = [], ", ".join(f'"{k}" ({v})' for k, v in CENSUS_LAYERS.items())
    for i, layer in enumerate(layers, start=1):
        if not isinstance(layer, dict) or "census" not in layer:
            continue
        where = f"layers[{i}]"
        if _is_text(layer["census"]) and layer["census"] not in CENSUS_LAYERS:
            problems.append(f"key '{where}.census' is {layer['census']!r}, which is not a "
                            f"Census boundary file the pipeline reads; use {known}")
        if "dataset" in layer:
            problems.append(f"keys '{where}.census' and '{where}.dataset' cannot be given "
                            "together")
        if _lookup(raw, "geography.place_fips") is None:
            problems.append(f"key '{where}.census' needs 'geography.place_fips' (the city "
                            "limits its areas are chosen by and cut to)")
    return problems


def _check_layers(layers) -> list[str]:
    """`[[layers]]`: each with an id (lowercase letters, digits, _), its nouns and the id
    property of its boundary file; ids unique and not the first layer's."""
    if not isinstance(layers, list) or not all(isinstance(x, dict) for x in layers):
        return ["key 'layers' must be a list of tables ([[layers]])"]
    problems, seen = [], {FIRST_LAYER}
    for i, layer in enumerate(layers, start=1):
        where = f"layers[{i}]"
        problems += [f"key '{where}.{k}' is missing" for k, required in LAYER_KEYS.items()
                     if required and k not in layer]
        problems += [f"key '{where}.{k}' is not a known key (see docs/cities.md)"
                     for k in layer if k not in LAYER_KEYS]
        problems += [f"key '{where}.{k}' must be a non-empty string" for k in LAYER_KEYS
                     if k in layer and not _is_text(layer[k])]
        if _is_text(layer.get("dataset")) and not DATASET_ID.match(layer["dataset"]):
            problems.append(f"key '{where}.dataset' must be a Socrata dataset id such as "
                            "\"abcd-1234\"")
        lid = layer.get("id")
        if _is_text(lid) and not LAYER_ID.match(lid):
            problems.append(f"key '{where}.id' must be lowercase letters, digits and _ "
                            "(it names a file and goes in the address)")
        elif _is_text(lid) and lid in seen:
            problems.append(f"key '{where}.id' repeats {lid!r} (the first layer is "
                            f"{FIRST_LAYER!r})")
        seen.add(lid)
    return problems


def _lookup(raw: dict, key: str):
    node = raw
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _check_key(raw: dict, key: str, kind: str, required: bool) -> list[str]:
    value = _lookup(raw, key)
    if value is None:
        return [f"key '{key}' is missing"] if required else []
    expectation = _KIND_CHECKS[kind]
    return [] if expectation[0](value) else [f"key '{key}' must be {expectation[1]}"]


def _is_text(v) -> bool:
    return isinstance(v, str) and v.strip() != ""


def _is_year(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 1990 <= v <= 2100


_KIND_CHECKS = {
    "text": (_is_text, "a non-empty string"),
    "texts": (lambda v: _is_text(v) or (isinstance(v, list) and bool(v) and all(map(_is_text, v))),
              "a string or a list of strings"),
    "int": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0,
            "a positive whole number"),
    "count": (lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 100,
              "a whole number from 0 (publish every count) to 100"),
    "year": (_is_year, "a year between 1990 and 2100"),
    "years": (lambda v: isinstance(v, list) and bool(v) and all(map(_is_year, v)),
              "a list of years between 1990 and 2100"),
    "fips2": (lambda v: isinstance(v, str) and re.fullmatch(r"\d{2}", v) is not None,
              "a 2-digit string such as \"17\""),
    "fips3s": (lambda v: isinstance(v, list) and bool(v)
               and all(isinstance(c, str) and re.fullmatch(r"\d{3}", c) for c in v),
               "a list of 3-digit strings such as [\"031\"]"),
    "fips5": (lambda v: isinstance(v, str) and re.fullmatch(r"\d{5}", v) is not None,
              "a 5-digit string such as \"14000\""),
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "dataset": (lambda v: isinstance(v, str) and DATASET_ID.match(v) is not None,
                "a Socrata dataset id such as \"abcd-1234\""),
}


def _unknown_keys(raw: dict) -> list[str]:
    known = set(SPEC) | FREE_TABLES
    tables = {key.split(".")[0] for key in known if "." in key}
    problems = []
    for top, value in raw.items():
        if top in FREE_TABLES:
            continue
        if top in tables and isinstance(value, dict):
            problems += [f"key '{top}.{sub}' is not a known key (see docs/cities.md)"
                         for sub in value if f"{top}.{sub}" not in known]
        elif top not in known:
            problems.append(f"key '{top}' is not a known key (see docs/cities.md)")
    return problems


def _check_sectors(sectors) -> list[str]:
    if not isinstance(sectors, dict):
        return ["key 'categories.sectors' must be a table of category = \"NAICS sector\""]
    return [f"key 'categories.sectors.\"{raw}\"' maps to {sector!r}, which is not a NAICS "
            f"sector of core/categories.py ({', '.join(categories.SECTORS)})"
            for raw, sector in sectors.items() if sector not in categories.SECTORS]


RULE_KEYS = {"field", "equals", "contains"}


def _check_flags(micro) -> list[str]:
    if not isinstance(micro, dict):
        return ["key 'micro' must be a table"]
    problems = [f"key 'micro.{kind}' is not a known key (use {', '.join(FLAG_KINDS)})"
                for kind in micro if kind not in FLAG_KINDS]
    for kind, rules in micro.items():
        if not isinstance(rules, list):
            problems.append(f"key 'micro.{kind}' must be a list of {{ field, equals or contains }}")
            continue
        problems += [problem for i, rule in enumerate(rules)
                     for problem in _check_rule(rule, f"micro.{kind}[{i}]")]
    return problems


def _check_rule(rule, where: str) -> list[str]:
    if not isinstance(rule, dict) or not _is_text(rule.get("field")):
        return [f"key '{where}.field' is missing"]
    if not any(isinstance(rule.get(k), list) and rule[k] for k in ("equals", "contains")):
        return [f"key '{where}' needs a list 'equals' or 'contains'"]
    unknown = sorted(set(rule) - RULE_KEYS)
    return [f"key '{where}' has unknown keys {unknown}"] if unknown else []


def _check_aliases(aliases) -> list[str]:
    if not isinstance(aliases, dict):
        return ["key 'aliases' must be a table of api_name = [\"Export Name\", ...]"]
    return [f"key 'aliases.{name}' must be a list of strings" for name, names in aliases.items()
            if not (isinstance(names, list) and all(map(_is_text, names)))]


def _check_coherence(raw: dict) -> list[str]:
    problems = []
    fields, years = raw.get("fields", {}), raw.get("years", {})
    if isinstance(fields, dict):
        pair = [fields.get("latitude"), fields.get("longitude")]
        if (pair[0] is None) != (pair[1] is None):
            problems.append("keys 'fields.latitude' and 'fields.longitude' must be given together")
        geocoding = _lookup(raw, "geocode.enabled") is True
        if pair == [None, None] and fields.get("location") is None and not geocoding:
            problems.append("key 'fields.location' (or 'fields.latitude' and 'fields.longitude') "
                            "is missing (or turn on geocoding with 'geocode.enabled')")
        if geocoding and fields.get("address") is None:
            problems.append("key 'geocode.enabled' needs 'fields.address'")
        if fields.get("status") is None and _lookup(raw, "status.closed"):
            problems.append("key 'status.closed' needs 'fields.status'")
    if (_lookup(raw, "processing.applied") is None) != (_lookup(raw, "processing.issued") is None):
        problems.append("keys 'processing.applied' and 'processing.issued' must be given together")
    if isinstance(years, dict) and _is_year(years.get("first")) and _is_year(years.get("last")):
        if years["first"] > years["last"]:
            problems.append("key 'years.first' must not be after 'years.last'")
    return problems + _check_boundary_rules(raw)


def _check_boundary_rules(raw: dict) -> list[str]:
    rules = raw.get("boundaries", {})
    if not isinstance(rules, dict):
        return []
    given = {key for key in ("keep_property", "keep_values", "drop_values") if key in rules}
    problems = []
    if {"keep_values", "drop_values"} <= given:
        problems.append("keys 'boundaries.keep_values' and 'boundaries.drop_values' cannot be "
                        "given together")
    if "keep_property" in given and not given & {"keep_values", "drop_values"}:
        problems.append("key 'boundaries.keep_property' needs 'boundaries.keep_values' or "
                        "'boundaries.drop_values'")
    if given & {"keep_values", "drop_values"} and "keep_property" not in given:
        problems.append("key 'boundaries.keep_values' (or 'boundaries.drop_values') needs "
                        "'boundaries.keep_property'")
    if rules.get("clip_to_place") is True and _lookup(raw, "geography.place_fips") is None:
        problems.append("key 'boundaries.clip_to_place' needs 'geography.place_fips'")
    return problems


def _tuple(value) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _rules(raw_rules: list[dict]) -> tuple[FlagRule, ...]:
    return tuple(FlagRule(r["field"], _tuple(r.get("equals")), _tuple(r.get("contains")))
                 for r in raw_rules)


def build_profile(raw: dict, path: Path) -> Profile:
    """A checked raw profile as a `Profile` (call `check` first)."""
    f, g, y, p = raw["fields"], raw["geography"], raw["years"], raw["portal"]
    micro = raw.get("micro", {})
    return Profile(
        slug=path.stem, path=path, name=raw["name"], registry_note=raw["registry_note"],
        portal=Portal(**p),
        geography=Geography(g["state_fips"], g["state_abbr"], tuple(g["county_fips"]),
                            g["neighborhood_id"], g["neighborhood_name"], g.get("boundary_crs"),
                            place_fips=g.get("place_fips")),
        years=Years(y["first"], y["last"], y["acs"], tuple(y["lodes"]), y["cbp"]),
        fields=Fields(**{k: (_tuple(v) if SPEC[f"fields.{k}"][0] == "texts" else v)
                         for k, v in f.items()}),
        date_formats=_tuple(raw["dates"]["formats"]),
        closed_statuses=_tuple(raw.get("status", {}).get("closed")),
        category_separator=raw.get("categories", {}).get("separator"),
        category_sectors=dict(raw.get("categories", {}).get("sectors", {})),
        home_based=_rules(micro.get("home_based", [])),
        sole_proprietor=_rules(micro.get("sole_proprietor", [])),
        limited=_rules(micro.get("limited", [])),
        aliases={name: tuple(names) for name, names in raw.get("aliases", {}).items()},
        geocode=_geocode(raw),
        processing=Processing(_tuple(_lookup(raw, "processing.applied")),
                              _tuple(_lookup(raw, "processing.issued"))),
        boundaries=_boundary_rules(raw.get("boundaries", {})),
        suppress_below=raw.get("suppress_below", 0),
        extra_layers=tuple(Layer(**layer) for layer in raw.get("layers", [])),
    )


def _boundary_rules(rules: dict) -> BoundaryRules:
    return BoundaryRules(rules.get("keep_property"), _tuple(rules.get("keep_values")),
                         _tuple(rules.get("drop_values")), rules.get("clip_to_place", False))


def _geocode(raw: dict) -> Geocode:
    given = raw.get("geocode", {})
    return Geocode(given.get("enabled", False), given.get("city", raw["name"]),
                   given.get("city_field"), given.get("state", raw["geography"]["state_abbr"]),
                   given.get("state_field"), given.get("benchmark", Geocode.benchmark))
