"""All of a city's input files → one `CityData` bundle, every raw row accounted for.

Used by `city.build_city` (files from the raw cache) and `city.import_files` (local
exports). Optional inputs that are absent leave their tables empty ("not available").
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import pandas as pd

from . import canonical as c
from . import readers, transform
from . import transform_census as tc
from core.errors import PipelineError
from .load import Step
from .profiles import Profile
from .sources import census_geocoder
from .sources import (business_patterns, census_acs, census_places, census_tracts, lodes,
                      nonemployer)


@dataclass
class Origin:
    """Where an input came from, for its `sources` row."""

    url: str | None = None
    fetched_at: datetime | None = None
    local_name: str | None = None      # file name(s) of a local export


@dataclass
class Inputs:
    """The files one build reads; optional ones may be empty."""

    businesses: list[Path]
    neighborhoods: Path
    tracts: Path | None = None
    acs: list[Path] = field(default_factory=list)
    lodes: list[Path] = field(default_factory=list)
    business_patterns: list[Path] = field(default_factory=list)
    nonemployers: list[Path] = field(default_factory=list)
    place: Path | None = None          # the city limits (Census place) to clip the neighborhoods to
    origins: dict[str, Origin] = field(default_factory=dict)
    as_of: datetime | None = None      # the registry's fetch time; None: judged from the data
    geocoder: census_geocoder.Geocoder | None = None   # with geocoding on: cached (and new) geocodes


def _portal_meta(profile: Profile, kind: str) -> SimpleNamespace:
    portal = profile.portal
    dataset = portal.businesses if kind == "businesses" else portal.neighborhoods
    title = portal.businesses_title if kind == "businesses" else portal.neighborhoods_title
    return SimpleNamespace(name=title, publisher=portal.publisher, license=portal.license,
                           url=f"https://{portal.domain}/d/{dataset}")


def _module_meta(module, **values) -> SimpleNamespace:
    """A source module's SOURCE facts; its URL template filled in, or cut before what is left open."""
    facts = dict(module.SOURCE)
    url = str(facts.get("url") or "")
    for name, value in values.items():
        url = url.replace("{" + name + "}", str(value))
    facts["url"] = url[:url.rfind("/", 0, url.find("{")) + 1] if "{" in url else url
    return SimpleNamespace(**facts)


def source_row(source_id: str, kind: str, meta, origin: Origin | None, vintage: str,
               files: list[Path], counted, sha256: str | None = None) -> dict:
    """One `sources` row: what the input is, where it came from and how its rows add up."""
    origin = origin or Origin()
    name = meta.name + (f" (local file {origin.local_name})" if origin.local_name else "")
    fetched = pd.Timestamp(origin.fetched_at).tz_convert(None) if origin.fetched_at else None
    return {"source_id": source_id, "kind": kind, "name": name,
            "publisher": getattr(meta, "publisher", None), "url": origin.url or meta.url,
            "vintage": vintage, "license": getattr(meta, "license", None), "fetched_at": fetched,
            "sha256": sha256 or (readers.sha256_of(files) if files else None),
            "rows_raw": counted.rows_raw, "rows_loaded": counted.rows_loaded,
            "rows_merged": counted.rows_merged, "rows_rejected": counted.rows_rejected}


@dataclass
class Base:
    """What every build reads first: boundaries, the registry and its business locations."""

    boundaries: readers.Boundaries
    registry: readers.Registry
    result: transform.BusinessResult
    place: gpd.GeoDataFrame | None = None    # the city limits the neighborhoods were clipped to

    @property
    def zips(self) -> list[str]:
        """ZIP codes of the city's business locations (for ZIP Business Patterns)."""
        return sorted(set(self.result.zips.dropna()))


def read_base(profile: Profile, inputs: Inputs, step: Step) -> Base:
    """Read the boundaries and the registry, and transform the registry."""
    place = _city_limits(profile, inputs, step)
    step(f"reading the neighborhood boundaries ({inputs.neighborhoods.name})")
    boundaries = readers.read_boundaries(inputs.neighborhoods, profile, place)
    if boundaries.rejected:
        step(f"{len(boundaries.rejected):,} of {boundaries.rows_raw:,} boundary features set aside "
             "(outside the city, or without an id or a polygon)")
    step(f"reading the business registry ({', '.join(p.name for p in inputs.businesses)})")
    registry = readers.read_registry(inputs.businesses, profile)
    if registry.recoded_rows:
        step(f"{registry.recoded_rows:,} rows were not UTF-8 and were read as Windows-1252")
    step(f"transforming {len(registry.frame):,} registry rows")
    result = transform.transform_businesses(registry, profile, boundaries.shapes, as_of=_as_of(inputs),
                                            geocoder=inputs.geocoder)
    if result.swapped_coordinates:
        swapped = result.swapped_coordinates
        step(f"{swapped:,} row{'' if swapped == 1 else 's'} had latitude and longitude swapped; "
             "swapped back")
    reasons = result.rejected["reason"].value_counts()
    dated = int(reasons.filter(like="unparseable").sum())
    if result.rows_loaded == 0:
        summary = ", ".join(f"{n:,} {reason}" for reason, n in reasons.items())
        if dated * 2 >= len(result.rejected):
            raise PipelineError(_date_problem(profile, registry, f"no row of {registry.label} "
                                              f"could be loaded ({summary})"))
        raise PipelineError(f"No row of {registry.label} could be loaded ({summary}); check that "
                            f"the registry and the boundaries are {profile.name}'s.")
    if dated and dated >= 0.05 * result.rows_raw:
        step(_date_problem(profile, registry, f"{dated:,} of {result.rows_raw:,} rows have a "
                                               "date that could not be read and were rejected"))
    return Base(boundaries, registry, result, place)


def _date_problem(profile: Profile, registry: readers.Registry, what: str) -> str:
    """One sentence naming `dates.formats` with two of the registry's date values."""
    columns = [c for c in profile.fields.opened if c in registry.frame.columns]
    values = (registry.frame[columns[0]].dropna().astype(str).str.strip() if columns
              else pd.Series(dtype=str))
    samples = [v for v in values[values != ""].unique()[:2]]
    shown = " and ".join(repr(v) for v in samples) or "none"
    return (f"{what[:1].upper()}{what[1:]}: its dates look like {shown} (column "
            f"{columns[0] if columns else '?'}), which none of dates.formats "
            f"{list(profile.date_formats)} in {profile.display_path} reads; add the right "
            "format (e.g. \"%m/%d/%Y\" or \"ISO8601\") to dates.formats.")


def _city_limits(profile: Profile, inputs: Inputs, step: Step) -> gpd.GeoDataFrame | None:
    """The Census place the neighborhoods are clipped to; None when the profile does not clip
    or no place file is given (the callers say so)."""
    if not profile.boundaries.clip_to_place or inputs.place is None:
        return None
    step(f"clipping the neighborhoods to the city limits ({inputs.place.name})")
    g = profile.geography
    return census_places.parse(inputs.place, g.state_fips, g.place_fips, g.boundary_crs,
                               profile.display_path)


def assemble(profile: Profile, inputs: Inputs, step: Step, base: Base | None = None) -> c.CityData:
    """Read, fit and transform every input of a city into a `CityData`."""
    base = base or read_base(profile, inputs, step)
    result, shapes = base.result, base.boundaries.shapes
    tracts, weights, rows, rejected = _tract_tables(profile, inputs, shapes, step)
    if tracts is not None:
        result.businesses["tract_geoid"] = transform.place_points(result.businesses, tracts, "geoid")
    rows.insert(0, source_row("businesses", "businesses", _portal_meta(profile, "businesses"),
                              inputs.origins.get("businesses"), f"as of {result.as_of:%Y-%m-%d}",
                              inputs.businesses, result, base.registry.sha256))
    rows.insert(1, _neighborhood_row(profile, inputs, base.boundaries))
    if result.geocoded is not None:
        rows.append(_geocoder_row(profile, inputs.geocoder, result.geocoded))
    if base.place is not None:
        rows.insert(2, _place_row(profile, inputs, base.place))
    data = c.CityData(
        city_name=profile.name, city_slug=profile.slug, neighborhoods=shapes,
        businesses=result.businesses, sources=pd.DataFrame(), tracts=tracts,
        tract_weights=weights, unmapped_categories=result.unmapped,
        build_info=build_info(profile, result, base.registry))
    _add_jobs(data, profile, inputs, tracts, weights, rows, step)
    _add_patterns(data, profile, inputs, result, rows, step)
    data.sources = pd.DataFrame(rows, columns=c.SOURCE_COLUMNS)
    data.sources["fetched_at"] = pd.to_datetime(data.sources["fetched_at"])
    data.rejected = pd.concat([result.rejected, _boundary_rejects(base.boundaries), *rejected],
                              ignore_index=True)[c.REJECTED_COLUMNS]
    return data


def _as_of(inputs: Inputs):
    return pd.Timestamp(inputs.as_of).tz_convert(None) if inputs.as_of else None


def _neighborhood_row(profile: Profile, inputs: Inputs, boundaries: readers.Boundaries) -> dict:
    counted = tc.Counted(boundaries.shapes, boundaries.rows_raw, len(boundaries.rejected),
                         boundaries.rows_merged)
    return source_row("neighborhoods", "neighborhoods", _portal_meta(profile, "neighborhoods"),
                      inputs.origins.get("neighborhoods"), "current", [inputs.neighborhoods],
                      counted)


def _place_row(profile: Profile, inputs: Inputs, place: gpd.GeoDataFrame) -> dict:
    """The city limits' `sources` row: its kind is `neighborhoods`, whose shapes it cut."""
    year, state = profile.years.acs, profile.geography.state_fips
    meta = _module_meta(census_places, year=year, state=state)
    return source_row("place", "neighborhoods", meta, inputs.origins.get("place"), str(year),
                      [inputs.place], tc.Counted(place, len(place)))


def _geocoder_row(profile: Profile, geocoder: census_geocoder.Geocoder, placed: int) -> dict:
    """The Census Geocoder's `sources` row: its rows are the distinct addresses it placed.

    Addresses it could not match are not its rows but the registry's: they show there,
    as rejected rows with their reason.
    """
    files = geocoder.files()
    origin = Origin(census_geocoder.URL, geocoder.fetched_at())
    return source_row("geocodes", "geocodes", _module_meta(census_geocoder), origin,
                      profile.geocode.benchmark, files,
                      SimpleNamespace(rows_raw=placed, rows_loaded=placed, rows_merged=0,
                                      rows_rejected=0))


def _boundary_rejects(boundaries: readers.Boundaries) -> pd.DataFrame:
    return pd.DataFrame([{"source_id": "neighborhoods", "row_number": number, "reason": reason,
                          "raw": json.dumps(raw, ensure_ascii=False)}
                         for number, reason, raw in boundaries.rejected], columns=c.REJECTED_COLUMNS)


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


def _tract_tables(profile: Profile, inputs: Inputs, neighborhoods: gpd.GeoDataFrame,
                  step: Step) -> tuple[gpd.GeoDataFrame | None, pd.DataFrame | None, list, list]:
    """Tracts of the city with their weights and ACS figures, their sources rows and rejects."""
    if inputs.tracts is None:
        return None, None, [], []
    step(f"reading census tracts ({inputs.tracts.name}) and weighting them by area")
    shapes = readers.read_tracts(inputs.tracts, profile)
    tracts, weights = tc.city_tracts(shapes, neighborhoods)
    meta = _module_meta(census_tracts, year=profile.years.acs,
                        state=profile.geography.state_fips)
    rows = [source_row("tracts", "tracts", meta, inputs.origins.get("tracts"),
                       str(profile.years.acs), [inputs.tracts], tc.Counted(tracts, len(tracts)))]
    rejected = []
    if inputs.acs:
        step(f"reading ACS {profile.years.acs} tract figures")
        figures = census_acs.parse(inputs.acs, year=profile.years.acs)[0]
        tracts, counted = tc.attach_acs(tracts, figures, profile.years.acs)
        rows.append(source_row("acs", "acs", _module_meta(census_acs, year=profile.years.acs),
                               inputs.origins.get("acs"), f"ACS 5-year {profile.years.acs}",
                               inputs.acs, counted))
        rejected.append(counted.rejected)
    return tracts, weights, rows, rejected


def _add_jobs(data: c.CityData, profile: Profile, inputs: Inputs, tracts, weights,
              rows: list, step: Step) -> None:
    if not inputs.lodes:
        return
    step(f"reading {len(inputs.lodes)} LODES file(s)")
    jobs, by_sector, _ = lodes.parse(inputs.lodes, keep_geoids_prefixes=profile.county_geoids)
    counted, sectors = tc.place_jobs(jobs, by_sector, profile.county_geoids, tracts, weights)
    data.jobs, data.jobs_by_sector = counted.frame, sectors
    years = sorted(set(counted.frame["year"].astype(int))) if len(counted.frame) else []
    vintage = f"{years[0]}–{years[-1]}" if years else "none in the city"
    meta = _module_meta(lodes, st=profile.geography.state_abbr.lower())
    rows.append(source_row("lodes", "jobs", meta, inputs.origins.get("lodes"), vintage,
                           inputs.lodes, counted))


def _add_patterns(data: c.CityData, profile: Profile, inputs: Inputs,
                  result: transform.BusinessResult, rows: list, step: Step) -> None:
    """ZIP weights from the registry; Business Patterns and Nonemployer Statistics when given."""
    if profile.fields.zip:
        data.zip_weights = tc.zip_weights(result.zips, result.businesses["neighborhood_id"])
    counties = profile.county_geoids
    if inputs.business_patterns:
        step("reading County and ZIP Business Patterns")
        counted = _county_table(profile, inputs, "business_patterns", business_patterns, rows,
                                lambda frame: tc.city_business_patterns(frame, result.zips, counties))
        data.business_patterns = counted.frame
    if inputs.nonemployers:
        step("reading Nonemployer Statistics")
        counted = _county_table(profile, inputs, "nonemployers", nonemployer, rows,
                                lambda frame: tc.city_nonemployers(frame, counties))
        data.nonemployers = counted.frame


def _county_table(profile: Profile, inputs: Inputs, source_id: str, module, rows: list,
                  fit) -> tc.Counted:
    """Parse the files of a county-level Census table, fit it to the city, add its sources row."""
    files = getattr(inputs, source_id)
    frame = pd.concat([module.parse(path, profile.years.cbp) for path in files], ignore_index=True)
    counted = fit(frame)
    rows.append(source_row(source_id, source_id, _module_meta(module, year=profile.years.cbp),
                           inputs.origins.get(source_id), str(profile.years.cbp), files, counted))
    return counted
