"""Readers of local and cached files: the business registry and boundary files.

Formats are recognised by content, not by file name:

- registry: the portal's CSV export (display names such as "LICENSE ID") or SODA JSON
  pages (a JSON array of objects with API names such as `license_id`). Columns are
  renamed to the API names with the profile's `[aliases]`, so the rest of the pipeline
  speaks one vocabulary. Bytes that are not UTF-8 are read as Windows-1252, and counted.
- boundaries: GeoJSON, a zipped or plain shapefile (reprojected from whatever CRS its
  .prj declares, or the profile's `geography.boundary_crs` when it has none), or the
  portal's CSV export with a WKT geometry column (`the_geom`).
"""
from __future__ import annotations

import hashlib
import io
import json
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from . import city_limits, geo, scratch
from core.errors import PipelineError
from .profiles import Profile

WKT_COLUMNS = ("the_geom", "geometry", "multipolygon", "wkt", "shape", "geom")
GEOID_COLUMNS = ("geoid", "geoid20", "geoid10", "geo_id", "affgeoid")
TRACT_NAME_COLUMNS = ("namelsad", "namelsad20", "namelsad10", "name", "name20", "name10")


@dataclass
class Registry:
    """Raw registry rows as read: table `raw` of a working database (`scratch.py`), every
    cell text as read (empty cells NULL), columns renamed to API names; row k (1-based) is
    the table's `rowid` k − 1."""

    con: duckdb.DuckDBPyConnection
    columns: list[str]            # API names, in table order (absent optional ones last)
    original_columns: list[str]   # the input's own column names, in table order
    label: str                    # file name(s), for messages
    sha256: str
    rows: int = 0
    recoded_rows: int = 0         # rows read as Windows-1252 because they were not UTF-8
    is_json: bool = False

    @property
    def frame(self) -> pd.DataFrame:
        """The whole registry as a frame of text (tests and small files only)."""
        return self.con.execute("SELECT * FROM raw").df().astype("string[pyarrow]")

    def values(self, column: str, limit: int) -> list[str]:
        """The first `limit` distinct non-blank values of a column, stripped, in file order."""
        rows = self.con.execute(
            f"SELECT v FROM (SELECT trim({scratch.q(column)}) AS v, min(rowid) AS first "  # noqa: S608 (reviewed: quoted names only)
            "FROM raw GROUP BY 1) WHERE v <> '' ORDER BY first LIMIT ?", [limit]).fetchall()
        return [row[0] for row in rows]


CHUNK = 16 << 20     # bytes read at a time to hash or check a file (not the whole file)


def sha256_of(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
    return digest.hexdigest()


def decode(data: bytes) -> tuple[str, int]:
    """Text of a file and how many of its lines were not UTF-8 (read as Windows-1252)."""
    try:
        return data.decode("utf-8-sig"), 0
    except UnicodeDecodeError:
        pass
    lines, recoded = [], 0
    for line in data.split(b"\n"):
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            lines.append(line.decode("cp1252", errors="replace"))
            recoded += 1
    return "\n".join(lines).lstrip("\ufeff"), recoded


def is_json_array(path: Path) -> bool:
    """True when a file's first non-blank character opens a JSON array (SODA JSON pages)."""
    with open(path, "rb") as handle:
        return handle.read(4096).lstrip().lstrip(b"\xef\xbb\xbf")[:1] == b"["


def read_csv_bytes(data: bytes, label: str) -> pd.DataFrame:
    """Every cell of UTF-8 CSV as text, empty cells NA (pyarrow's fast reader, else pandas')."""
    options = {"dtype": "string[pyarrow]", "keep_default_na": False, "na_values": [""]}
    try:
        return pd.read_csv(io.BytesIO(data), engine="pyarrow", **options)
    except Exception:  # pyarrow's reader is stricter than pandas' own
        pass
    try:
        return pd.read_csv(io.BytesIO(data), **options)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as error:
        raise PipelineError(f"{label} could not be read as CSV ({error}); pass the portal's "
                            "CSV export or its SODA JSON pages.") from None


def read_registry(paths: list[Path] | Path, profile: Profile) -> Registry:
    """Read registry files (one CSV export, or SODA JSON pages) for a profile into a working
    database (`scratch.connect`)."""
    paths = [Path(p) for p in (paths if isinstance(paths, (list, tuple)) else [paths])]
    names = ", ".join(p.name for p in paths)
    con, is_json = scratch.connect(), all(map(is_json_array, paths))
    with ThreadPoolExecutor(1) as pool:   # the hash is taken while DuckDB reads the file
        digest = pool.submit(sha256_of, paths)
        recoded = _load_registry(con, paths, names, is_json)
    original = [row[0] for row in con.execute("DESCRIBE raw").fetchall()]
    rows = con.execute("SELECT count(*) FROM raw").fetchall()[0][0] if original else 0
    if rows == 0:
        raise PipelineError(f"{names} holds no registry rows; export the dataset again (or "
                            "check its filter).")
    renames = api_names(original, profile)
    for column in original:
        if column in renames:
            con.execute(f"ALTER TABLE raw RENAME COLUMN {scratch.q(column)} TO "  # noqa: S608 (reviewed: quoted names only)
                        f"{scratch.q(renames[column])}")
    registry = Registry(con, [renames.get(c, c) for c in original], original, names,
                        digest.result(), rows, recoded, is_json)
    require_columns(registry, profile)
    return registry


def _load_registry(con: duckdb.DuckDBPyConnection, paths: list[Path], names: str,
                   is_json: bool) -> int:
    """The registry files into table `raw`; returns the rows read as Windows-1252."""
    if is_json:
        from .sources.socrata import read_pages   # a later row replaces an earlier one (:id)
        records = read_pages(paths)
        if not records:
            raise PipelineError(f"{names} holds no registry rows; export the dataset again (or "
                                "check its filter).")
        _load_records(con, records)
        return 0
    if len(paths) == 1:
        return _load_csv(con, paths[0])
    raise PipelineError(f"{names}: pass one CSV export or SODA JSON pages (JSON arrays of "
                        "objects), not a mix.")


def _load_csv(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """The CSV's cells as text into table `raw`; returns the rows read as Windows-1252.

    DuckDB reads the file in parallel; bytes that are not UTF-8 make it refuse the file,
    which is then decoded line by line (Windows-1252 where UTF-8 fails) into a UTF-8 copy."""
    recoded = 0
    try:
        _read_csv_into(con, path, path.name)
    except duckdb.InvalidInputException as error:
        if "unicode" not in str(error).lower():
            raise _csv_error(path.name, error) from None
        text, recoded = decode(path.read_bytes())
        with tempfile.TemporaryDirectory(prefix="atlas-recoded-") as folder:
            copy = Path(folder) / path.name
            copy.write_text(text, encoding="utf-8")
            _read_csv_into(con, copy, path.name)
    return recoded


def _read_csv_into(con: duckdb.DuckDBPyConnection, path: Path, label: str,
                   parallel: bool = True) -> None:
    try:
        con.execute(f"""
            CREATE OR REPLACE TABLE raw AS SELECT * FROM read_csv(?, all_varchar = true,
                header = true, delim = ',', quote = '"', escape = '"', null_padding = true,
                encoding = 'utf-8', parallel = {str(parallel).lower()})""", [str(path)])  # noqa: S608 (reviewed: a boolean)
    except duckdb.Error as error:
        message = str(error).lower()
        if "unicode" in message and isinstance(error, duckdb.InvalidInputException):
            raise
        if parallel and "parallel" in message:   # quoted line breaks with short rows
            return _read_csv_into(con, path, label, parallel=False)
        raise _csv_error(label, error) from None
    names = [row[0] for row in con.execute("DESCRIBE raw").fetchall()]
    stripped = [name.strip().removeprefix("\ufeff") for name in names]
    for name, clean in zip(names, stripped):
        if clean != name and clean and stripped.count(clean) == 1:
            con.execute(f"ALTER TABLE raw RENAME COLUMN {scratch.q(name)} TO {scratch.q(clean)}")  # noqa: S608 (reviewed: quoted names only)


def _csv_error(label: str, error: Exception) -> PipelineError:
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return PipelineError(f"{label} could not be read as CSV ({first}); pass the portal's "
                         "CSV export or its SODA JSON pages.")


def _load_records(con: duckdb.DuckDBPyConnection, records: list[dict]) -> None:
    """SODA JSON rows into table `raw` as text: a nested value (a location object) as its
    JSON, numbers as their text."""
    frame = pd.DataFrame.from_records(records)
    for column in frame.columns:
        values = frame[column]
        if values.dtype == object and values.map(lambda v: isinstance(v, (dict, list))).any():
            frame[column] = values.map(lambda v: json.dumps(v, ensure_ascii=False)
                                       if isinstance(v, (dict, list)) else v)
    table = pa.table({str(column): pa.array(frame[column].astype("string"), type=pa.string(),
                                            from_pandas=True) for column in frame.columns})
    con.register("records", table)
    con.execute("CREATE OR REPLACE TABLE raw AS SELECT * FROM records")
    con.unregister("records")


def api_names(columns: list[str], profile: Profile) -> dict[str, str]:
    """Renames from export display names (or older API names) to the profile's API names.

    Headers match ignoring case and surrounding spaces (" License Status" finds
    `license_status`'s alias "LICENSE STATUS"), as boundary properties do.
    """
    present = set(columns)
    by_key = {}
    for column in columns:
        by_key.setdefault(_header_key(column), column)
    wanted = {name: () for names in profile.fields.columns().values() for name in names}
    for kind in ("home_based", "sole_proprietor", "limited"):
        wanted.update({rule.field: () for rule in getattr(profile, kind)})
    wanted.update({name: () for names in profile.geocode.columns().values() for name in names})
    wanted.update({name: () for names in profile.processing.columns().values() for name in names})
    wanted.update(profile.aliases)
    renames: dict[str, str] = {}
    for api, names in wanted.items():
        if api in present:
            continue
        for name in (api, *names):
            found = by_key.get(_header_key(name))
            if found is not None and found not in renames and found not in wanted:
                renames[found] = api
                break
    return renames


def _header_key(name: str) -> str:
    return " ".join(str(name).split()).casefold()


def _required(profile: Profile) -> set[str]:
    """Columns a SODA JSON page must carry at least once (it omits keys that are null)."""
    f = profile.fields
    points = {f.latitude, f.longitude} if f.latitude else {f.location}
    return set(f.key) | set(f.opened[:1]) | points


def require_columns(registry: Registry, profile: Profile) -> None:
    """Fail on a column the profile names but the file lacks; add absent optional ones."""
    uses = list(profile.fields.columns().items())
    for kind in ("home_based", "sole_proprietor", "limited"):
        uses += [(f"micro.{kind}", (rule.field,)) for rule in getattr(profile, kind)]
    uses += [(f"geocode.{key}", names) for key, names in profile.geocode.columns().items()]
    required = _required(profile)
    for key, names in uses:
        for name in names:
            if name in registry.columns:
                continue
            if registry.is_json and name not in required:
                registry.con.execute(f"ALTER TABLE raw ADD COLUMN {scratch.q(name)} VARCHAR")  # noqa: S608 (reviewed: quoted names only)
                registry.columns.append(name)
                continue
            raise PipelineError(_missing_column(registry, profile, key, name))


def _missing_column(registry: Registry, profile: Profile, key: str, name: str) -> str:
    aliases = profile.aliases.get(name, ())
    also = f" (nor {', '.join(repr(a) for a in aliases)})" if aliases else ""
    where = key if key.startswith(("micro.", "geocode.")) else f"fields.{key}"
    return (f"{registry.label} has no column {name!r}{also}, which {profile.display_path} "
            f"names in {where}; if the column was renamed, update {where} or add the new "
            f"name to [aliases] {name}.")


# ----------------------------------------------------------------------------- boundaries

def read_shapes(path: Path, fallback_crs: str | None = None, what: str = "boundary file",
                profile_label: str = "the profile",
                within: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Shapes of a GeoJSON, shapefile (zipped or not) or WKT CSV file, in WGS84; given
    `within`, a GeoJSON or shapefile is read only where it meets `within`'s bounding box
    (a national file read for one city)."""
    path = Path(path)
    with open(path, "rb") as handle:
        head = handle.read(4)
    try:
        if head[:2] == b"PK":
            shapes = gpd.read_file(f"zip://{path.resolve()}", bbox=within)
        elif path.suffix.lower() == ".shp" or head.lstrip()[:1] in (b"{",):
            shapes = gpd.read_file(path, bbox=within)
        else:
            shapes = _read_wkt_csv(path)
    except PipelineError:
        raise
    except Exception as error:  # pyogrio and shapely raise many kinds of errors
        raise PipelineError(f"Could not read the {what} {path.name} ({error}); pass GeoJSON, "
                            "a zipped shapefile or the portal's CSV export.") from None
    if shapes.crs is None:
        if not fallback_crs:
            raise PipelineError(
                f"The {what} {path.name} has no coordinate system (a .shp without its .prj); "
                f"set geography.boundary_crs in {profile_label} (e.g. \"EPSG:3435\").")
        shapes = shapes.set_crs(fallback_crs)
    return shapes.to_crs(geo.WGS84)


def _read_wkt_csv(path: Path) -> gpd.GeoDataFrame:
    text, _ = decode(path.read_bytes())
    frame = read_csv_bytes(text.encode("utf-8"), path.name)
    by_lower = {c.lower().strip(): c for c in frame.columns}
    column = next((by_lower[c] for c in WKT_COLUMNS if c in by_lower), None)
    if column is None:
        raise PipelineError(f"{path.name} is a CSV without a WKT geometry column "
                            f"({', '.join(WKT_COLUMNS)}); export the boundaries as GeoJSON.")
    wkt = frame.pop(column).to_numpy(dtype=object, na_value=None)
    geometry = shapely.from_wkt(wkt, on_invalid="ignore")
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=geo.WGS84)


def find_column(shapes: pd.DataFrame, wanted: str | tuple[str, ...]) -> str | None:
    """The frame's column matching any wanted name, ignoring case."""
    by_lower = {str(c).lower(): c for c in shapes.columns}
    for name in (wanted,) if isinstance(wanted, str) else wanted:
        if name.lower() in by_lower:
            return by_lower[name.lower()]
    return None


def id_text(values: pd.Series) -> pd.Series:
    """Ids as text: 7 → '7', 7.0 → '7', ' BK33 ' → 'BK33'; empty → NA."""
    text = values.astype("string").str.strip()
    text = text.str.replace(r"^(-?\d+)\.0+$", r"\1", regex=True)
    return text.mask(text == "")


def plain_name(names: pd.Series) -> pd.Series:
    """'ROGERS PARK' → 'Rogers Park'; names already in mixed case are kept."""
    names = names.astype("string").str.strip()
    shouting = names.str.upper() == names
    return names.where(~shouting, names.str.title())


@dataclass
class Boundaries:
    shapes: gpd.GeoDataFrame      # neighborhood_id, name, geometry (WGS84)
    rows_raw: int
    rows_merged: int
    rejected: list[tuple[int, str, dict]]   # (row number, reason, raw properties)


def read_boundaries(path: Path, profile: Profile, place: gpd.GeoDataFrame | None = None,
                    within: gpd.GeoDataFrame | None = None) -> Boundaries:
    """Neighborhood polygons with the profile's id and name, repaired and deduplicated.

    Features the profile's `[boundaries]` filter cuts off are rejected as outside the city;
    given the Census `place` (the city limits), every feature is clipped to it and those
    (nearly) wholly outside are rejected as outside the city limits. Given `within`, only
    the features in its bounding box are read (and counted).
    """
    g = profile.geography
    shapes = read_shapes(path, g.boundary_crs, "neighborhood boundary file", profile.display_path,
                         within)
    id_col = _property(shapes, path, profile, "geography.neighborhood_id", g.neighborhood_id)
    name_col = _property(shapes, path, profile, "geography.neighborhood_name", g.neighborhood_name)
    out = gpd.GeoDataFrame({"neighborhood_id": id_text(shapes[id_col]),
                            "name": plain_name(shapes[name_col])},
                           geometry=shapes.geometry.to_numpy(), crs=geo.WGS84)
    out = geo.make_valid(out)
    reasons = _outside_the_city(shapes, path, profile)
    reasons[pd.isna(reasons) & out["neighborhood_id"].isna().to_numpy()] = "no neighborhood id"
    no_polygon = (out.geometry.isna() | out.geometry.is_empty).to_numpy()
    reasons[pd.isna(reasons) & no_polygon] = "no polygon"
    if place is not None:
        out, outside = city_limits.clip(out, place)
        _require_inside(pd.isna(reasons), outside, path, profile)
        reasons[pd.isna(reasons) & outside] = city_limits.OUTSIDE_LIMITS
    bad = pd.notna(reasons)
    rejected = [(int(i) + 1, str(reasons[i]), _properties(shapes.iloc[i]))
                for i in np.flatnonzero(bad)]
    kept = out[~bad]
    merged = kept.dissolve(by="neighborhood_id", aggfunc="first", as_index=False)
    merged = merged[["neighborhood_id", "name", "geometry"]].reset_index(drop=True)
    return Boundaries(merged, len(out), len(kept) - len(merged), rejected)


def _property(shapes: pd.DataFrame, path: Path, profile: Profile, key: str, name: str) -> str:
    """The boundary file's column for a property the profile names in `key` (case ignored)."""
    column = find_column(shapes, name)
    if column is None:
        raise PipelineError(
            f"{Path(path).name} has no property {name!r}, which {profile.display_path} names "
            f"in {key}; its properties are "
            f"{', '.join(c for c in shapes.columns if c != 'geometry')}.")
    return column


def _outside_the_city(shapes: pd.DataFrame, path: Path, profile: Profile) -> np.ndarray:
    """The reason each feature the profile's `[boundaries]` filter cuts off is not the city's."""
    wanted = profile.boundaries.keep_property
    if not wanted:
        return np.full(len(shapes), None, dtype=object)
    column = _property(shapes, path, profile, "boundaries.keep_property", wanted)
    return city_limits.outside_reasons(shapes[column], column, profile, Path(path).name)


def _require_inside(candidates: np.ndarray, outside: np.ndarray, path: Path,
                    profile: Profile) -> None:
    if candidates.any() and (outside | ~candidates).all():
        raise PipelineError(
            f"No neighborhood of {Path(path).name} lies within the city limits (Census place "
            f"{profile.geography.state_fips}{profile.geography.place_fips}); check "
            f"geography.place_fips in {profile.display_path} and the place file.")


def _properties(row: pd.Series) -> dict:
    return {str(k): (None if pd.isna(v) else str(v)) for k, v in row.items() if k != "geometry"}


# ----------------------------------------------------------------------------- tracts

def read_tracts(path: Path, profile: Profile) -> gpd.GeoDataFrame:
    """Census tract shapes of the profile's counties: geoid (11 digits), name, geometry."""
    shapes = read_shapes(path, profile.geography.boundary_crs, "tract file", profile.display_path)
    geoid_col = find_column(shapes, GEOID_COLUMNS)
    if geoid_col is None:
        raise PipelineError(f"{Path(path).name} has no GEOID property ({', '.join(GEOID_COLUMNS)}); "
                            "pass Census cartographic tract shapes.")
    geoid = id_text(shapes[geoid_col]).str.replace(r"^.*US", "", regex=True).str.zfill(11)
    name_col = find_column(shapes, TRACT_NAME_COLUMNS)
    name = shapes[name_col].astype("string") if name_col else "Census Tract " + geoid.str[5:]
    out = gpd.GeoDataFrame({"geoid": geoid, "name": name},
                           geometry=shapes.geometry.to_numpy(), crs=geo.WGS84)
    out = geo.make_valid(out[geoid.str[:5].isin(profile.county_geoids).to_numpy()])
    out = out[out.geometry.notna() & ~out.geometry.is_empty]
    return out.drop_duplicates("geoid").reset_index(drop=True)
