"""The seam every input goes through: a `Source` unit, and the `Build` it reads into.

A source is one registered unit (`data_pipeline/sources/__init__.py`, `SOURCES`): its name
(the `sources` row, the raw-cache folder and the `rejected_records` id), the tables it
fills, how to fetch its files into the raw cache, how to read them into the build, the
sentence a city without it reads ("not available for <city>: <absent>") and its
provenance. `city.py`, `load.py`, the marts and `status` loop over `SOURCES` and name no
source; adding one means adding its module, its metrics and its mart SQL.

`read(files, build)` adds the source's tables, its `sources` row(s) and its rejected rows
to the `Build`, and may use what the sources read before it left there (the boundaries,
the registry's ZIP codes, the tracts and their weights).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Callable

import geopandas as gpd
import pandas as pd

from . import canonical as c
from . import readers
from .cache import RawCache
from .profiles import Profile

Step = Callable[[str], None]


@dataclass
class Origin:
    """Where an input came from, for its `sources` row."""

    url: str | None = None
    fetched_at: datetime | None = None
    local_name: str | None = None      # file name(s) of a local export


def _always(profile: Profile) -> bool:
    return True


def _kept_for_good(profile: Profile) -> timedelta | None:
    return None


@dataclass(frozen=True)
class Source:
    """One input of a city's build."""

    name: str                      # source_id, raw-cache folder, key of its files
    kind: str                      # what the metric registry's `sources` call it
    label: str                     # in words, for the build's steps: "LODES jobs"
    tables: tuple[str, ...]        # the canonical tables it fills
    provenance: dict               # name, publisher, url (template), license, description
    fetch: Callable[[Profile, RawCache, object, "Build"], list[Path]]
    read: Callable[[list[Path], "Build"], None]
    absent: str                    # why a figure is missing without it: "no LODES jobs were loaded"
    required: bool = False         # a build cannot go on without it
    applies: Callable[[Profile], bool] = _always          # whether the profile uses it at all
    max_age: Callable[[Profile], timedelta | None] = _kept_for_good   # refetch when older
    schema: str = ""               # DDL of tables of its own (beyond sql/schema.sql)
    repairs: dict[str, str] = field(default_factory=dict)   # build_info key → repaired rows, in words
    missing: str = ""              # what to do when a required source is not in the cache
    missing_on_import: str = ""    # … and not given to `import` either (default: `missing`)
    on_import: bool = False        # read from the raw cache when `import` is not given its file
    cache: str = ""                # its raw-cache folder, when not its name
    help: str = ""                 # what `import --<name>` takes
    needs: tuple[str, ...] = ()    # sources whose files `import` must be given with its own
    unused: str = ""               # why a file given to `import` is not used, when it does
                                   # not apply to the profile ({path}: the profile's file)
    many: bool = False             # `import` takes several files of it
    loaded_when: str = ""          # SQL: whether a built database has it (default: its first
                                   # table has rows)
    without: str = "building without them"   # what a build without this optional source does
    apportionment: str = ""        # SQL: a SELECT of (step, method, pairs, source_units), how
                                   # its figures reach the neighborhoods (the `apportionment`
                                   # table, shown on Data & methods); no rows when not loaded

    @property
    def loaded(self) -> str:
        """A SQL expression: true when the database holds this source's figures."""
        if self.loaded_when or not self.tables:
            return self.loaded_when or "false"
        return f"EXISTS (SELECT 1 FROM {self.tables[0]})"  # noqa: S608 (reviewed: code-owned table name)

    @property
    def folder(self) -> str:
        """Its folder in the raw cache."""
        return self.cache or self.name


@dataclass
class Build:
    """A build in progress: what the sources read so far, and what they leave for later ones."""

    profile: Profile
    step: Step
    cache: RawCache | None = None            # the city's raw cache
    client: object | None = None             # an HttpClient when the build may fetch
    imported: bool = False                   # `import` (local files), not `build`
    geocode: bool = False                    # asked to geocode addresses not in the cache
    origins: dict[str, Origin] = field(default_factory=dict)
    as_of: datetime | None = None            # the registry's fetch time; None: from the data
    geocoder: object | None = None           # with geocoding on: the cached (and new) geocodes
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    rows: list[dict] = field(default_factory=list)
    rejected: list[pd.DataFrame] = field(default_factory=list)
    info: dict[str, str] = field(default_factory=dict)
    # Left by earlier sources for later ones:
    place: gpd.GeoDataFrame | None = None    # the city limits the neighborhoods are clipped to
    boundaries: readers.Boundaries | None = None
    result: object | None = None             # transform.BusinessResult of the registry
    weights: pd.DataFrame | None = None      # tract → neighborhood weights

    @property
    def zips(self) -> list[str]:
        """ZIP codes of the city's business locations (for ZIP Business Patterns)."""
        return self.result.zip_codes() if self.result is not None else []

    @property
    def shapes(self) -> gpd.GeoDataFrame:
        return self.boundaries.shapes

    def add_row(self, source: Source, vintage: str, files: list[Path], counted,
                meta=None, source_id: str | None = None, sha256: str | None = None) -> None:
        """The source's `sources` row: what it is, where it came from, how its rows add up."""
        source_id = source_id or source.name
        meta = meta or facts(source.provenance)
        origin = self.origins.get(source_id) or Origin()
        name = meta.name + (f" (local file {origin.local_name})" if origin.local_name else "")
        fetched = pd.Timestamp(origin.fetched_at).tz_convert(None) if origin.fetched_at else None
        self.rows.append({
            "source_id": source_id, "kind": source.kind, "name": name,
            "publisher": getattr(meta, "publisher", None), "url": origin.url or meta.url,
            "vintage": vintage, "license": getattr(meta, "license", None), "fetched_at": fetched,
            "sha256": sha256 or (readers.sha256_of(files) if files else None),
            "rows_raw": counted.rows_raw, "rows_loaded": counted.rows_loaded,
            "rows_merged": counted.rows_merged, "rows_rejected": counted.rows_rejected})

    def reject(self, source_id: str, rejected: list[tuple[int, str, dict]]) -> None:
        """Rejected rows given as (row number, reason, raw fields)."""
        self.rejected.append(pd.DataFrame(
            [{"source_id": source_id, "row_number": number, "reason": reason,
              "raw": json.dumps(raw, ensure_ascii=False)} for number, reason, raw in rejected],
            columns=c.REJECTED_COLUMNS))

    def city_data(self) -> c.CityData:
        """Everything read, as the bundle `load.write_database` writes."""
        tables = dict(self.tables)
        known = {name: tables.pop(table) for name, table in c.FIELD_TABLES.items()
                 if table in tables}
        sources = pd.DataFrame(self.rows, columns=c.SOURCE_COLUMNS)
        sources["fetched_at"] = pd.to_datetime(sources["fetched_at"])
        frames = [frame for frame in self.rejected if isinstance(frame, pd.DataFrame) and len(frame)]
        data = c.CityData(city_name=self.profile.name, city_slug=self.profile.slug,
                          sources=sources, other_tables=tables, build_info=self.info, **known)
        if frames:
            data.rejected = pd.concat(frames, ignore_index=True)[c.REJECTED_COLUMNS]
        data.staged_rejected = [part for part in self.rejected
                                if not isinstance(part, pd.DataFrame) and len(part)]
        return data


def facts(provenance: dict, **values) -> SimpleNamespace:
    """A source's provenance with its URL template filled in, or cut before what is left open."""
    meta = dict(provenance)
    url = str(meta.get("url") or "")
    for name, value in values.items():
        url = url.replace("{" + name + "}", str(value))
    meta["url"] = url[:url.rfind("/", 0, url.find("{")) + 1] if "{" in url else url
    return SimpleNamespace(**meta)
