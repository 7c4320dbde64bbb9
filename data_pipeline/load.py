"""Load a `CityData` bundle into a DuckDB file, atomically.

The database is built in a temporary file beside the target, checked (tables filled,
rows reconciled), and only then renamed over the target. A build that fails or is
killed leaves the previous database exactly as it was; its leftovers are removed by
the next build.
"""
from __future__ import annotations

import os
from pathlib import Path

import duckdb
import geopandas as gpd
import pandas as pd
import pyarrow as pa
import shapely

from . import canonical as c
from . import geo, marts
from . import scratch
from .scratch import Staged
from .source import Step
from .sources import SOURCES
from core.errors import PipelineError, ReconciliationError, disk_reason

SCHEMA_SQL = Path(__file__).with_name("sql") / "schema.sql"


def write_database(data: c.CityData, target: Path | str, on_step: Step | None = None,
                   suppression_threshold: int | None = None) -> Path:
    """Build `target` from `data`; replace it only once the new database checks out.

    The suppression threshold is the build's setting (`data.build_info["suppress_below"]`,
    0 when unset); `suppression_threshold` sets it for this build."""
    target = Path(target)
    if suppression_threshold is not None:
        data.build_info = {**data.build_info, "suppress_below": str(suppression_threshold)}
    step = on_step or (lambda message: None)
    temp = target.with_name(f".{target.name}.building-{os.getpid()}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_leftovers(target)
        _build_into(temp, data, step)
        step("swapping in the new database")
        os.replace(temp, target)
    except BaseException as error:
        _discard(temp)
        if isinstance(error, (OSError, duckdb.IOException)):
            raise write_error(target, error) from None
        raise
    return target


def _build_into(temp: Path, data: c.CityData, step: Step) -> None:
    """Build in `temp`, attached to the working database of the staged tables (so they are
    copied in SQL), or to a fresh in-memory connection when nothing is staged."""
    con = _working_connection(data)
    con.execute("ATTACH ? AS build", [str(temp)])
    try:
        con.execute("USE build")
        step("creating schema")
        create_schema(con)
        _insert_all(con, data, step)
        step("building marts")
        marts.build_marts(con)
        step("checking row counts")
        check_database(con)
        con.execute("CHECKPOINT build")
    finally:
        con.execute("USE memory")
        con.execute("DETACH build")


def _working_connection(data: c.CityData) -> duckdb.DuckDBPyConnection:
    staged = [t for t in [*data.row_tables().values(), *data.staged_rejected]
              if isinstance(t, Staged)]
    if staged:
        return staged[0].con
    con = duckdb.connect()
    scratch.limit_memory(con)
    return con


def _discard(temp: Path) -> None:
    """Remove a half-built database; a folder we cannot write to has nothing to remove."""
    for path in (temp, Path(f"{temp}.wal")):
        try:
            path.unlink(missing_ok=True)
        except OSError:
            pass


def write_error(target: Path, error: BaseException) -> PipelineError:
    """One sentence for a database that could not be written: full disk, read-only folder."""
    return PipelineError(f"Could not write the database {target} ({disk_reason(error)}); free "
                         "some space or choose a writable place with --db; the previous "
                         "database was kept.")


def remove_leftovers(target: Path) -> None:
    """Delete temporary files of builds that were killed before they could clean up."""
    for leftover in target.parent.glob(f".{target.name}.building-*"):
        leftover.unlink(missing_ok=True)


def _insert_all(con: duckdb.DuckDBPyConnection, data: c.CityData, step: Step) -> None:
    info = {"city_name": data.city_name, "city_slug": data.city_slug, **data.build_info}
    _insert(con, "build_info", pd.DataFrame({"key": list(info), "value": [str(v) for v in info.values()]}))
    step(f"loading {len(data.neighborhoods):,} neighborhoods")
    _insert(con, "neighborhoods", _shapes_frame(data.neighborhoods, c.NEIGHBORHOOD_COLUMNS))
    if data.tracts is not None and len(data.tracts):
        step(f"loading {len(data.tracts):,} tracts")
        _insert(con, "tracts", _shapes_frame(data.tracts, c.TRACT_COLUMNS))
        weights = data.tract_weights
        if weights is None:
            weights = geo.tract_weights_by_area(data.tracts, data.neighborhoods)
        _insert(con, "tract_neighborhood_weights", weights)
    for table, frame in data.row_tables().items():
        if len(frame):
            step(f"loading {len(frame):,} rows of {table}")
            _insert(con, table, frame)
    for part in data.staged_rejected:
        step(f"loading {len(part):,} rows of rejected_records")
        _insert(con, "rejected_records", part)


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """The canonical tables, then the tables of sources that bring their own."""
    con.execute(SCHEMA_SQL.read_text())
    for source in SOURCES:
        if source.schema:
            con.execute(source.schema)


def _shapes_frame(shapes: gpd.GeoDataFrame, columns: list[str]) -> pd.DataFrame:
    shapes = shapes.to_crs(geo.WGS84)
    frame = pd.DataFrame(shapes[[col for col in columns if col != "geometry"]])
    frame["area_km2"] = geo.area_km2(shapes.geometry)
    if "centroid_lat" not in frame and "neighborhood_id" in frame:
        points = shapes.geometry.representative_point()
        frame["centroid_lat"], frame["centroid_lon"] = points.y.to_numpy(), points.x.to_numpy()
    frame["geometry_wkb"] = shapely.to_wkb(shapes.geometry.to_numpy())
    return frame


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame | Staged) -> None:
    """Insert a frame by column name; columns the table has and the frame lacks stay NULL.

    A table staged in the working database is copied across in SQL."""
    columns = [row[0] for row in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "AND table_catalog = current_database() "
        "ORDER BY ordinal_position", [table]).fetchall()]
    present = [col for col in columns if col in frame.columns]
    quoted = ", ".join(f'"{col}"' for col in present)
    if isinstance(frame, Staged):
        con.execute(f"INSERT INTO {table} ({quoted}) SELECT {quoted} FROM {frame.qualified}")  # noqa: S608 (reviewed: quoted names only)
        return
    con.register("incoming", _as_arrow(frame[present]))
    con.execute(f"INSERT INTO {table} ({quoted}) SELECT {quoted} FROM incoming")  # noqa: S608 (reviewed: placeholders only)
    con.unregister("incoming")


def _as_arrow(frame: pd.DataFrame) -> pa.Table | pd.DataFrame:
    """The frame as an Arrow table (DuckDB scans it without touching Python objects: dates
    as date32, text as Arrow strings); a column Arrow cannot type (mixed values) keeps the
    frame as it is, for DuckDB's own pandas scan."""
    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return frame


def check_database(con: duckdb.DuckDBPyConnection) -> None:
    """Refuse a database that is empty or whose rows do not reconcile."""
    for table in ("neighborhoods", "businesses", "sources"):
        if con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0:  # noqa: S608 (reviewed: placeholders only)
            raise PipelineError(f"The build produced no rows in table '{table}'; "
                                "check the input for that table and run the build again.")
    bad = con.execute("""
        SELECT s.source_id, s.rows_raw, s.rows_loaded, s.rows_merged, s.rows_rejected,
               coalesce(r.n, 0) AS rejected_kept
        FROM sources s
        LEFT JOIN (SELECT source_id, count(*) AS n FROM rejected_records GROUP BY 1) r
          USING (source_id)
        WHERE s.rows_raw <> s.rows_loaded + s.rows_merged + s.rows_rejected
           OR s.rows_rejected <> coalesce(r.n, 0)
    """).fetchall()
    if bad:
        sid, raw, loaded, merged, rejected, kept = bad[0]
        raise ReconciliationError(
            f"Rows of source '{sid}' do not reconcile: {raw:,} raw ≠ {loaded:,} loaded + "
            f"{merged:,} merged + {rejected:,} rejected ({kept:,} rejected rows kept); "
            "the previous database was kept.")
    twice = con.execute("SELECT business_id, count(*) FROM businesses GROUP BY 1 "
                        "HAVING count(*) > 1 ORDER BY 1 LIMIT 1").fetchall()
    if twice:
        raise ReconciliationError(
            f"Business id '{twice[0][0]}' is in the businesses table {twice[0][1]:,} times, "
            "where each location must be once; the previous database was kept.")
    loaded = con.execute("""
        SELECT s.source_id, s.rows_loaded, count(b.business_id)
        FROM sources s LEFT JOIN businesses b ON b.source = s.source_id
        WHERE s.kind = 'businesses' GROUP BY 1, 2 HAVING s.rows_loaded <> count(b.business_id)
    """).fetchall()
    if loaded:
        sid, claimed, actual = loaded[0]
        raise ReconciliationError(
            f"Source '{sid}' claims {claimed:,} loaded businesses but the database holds "
            f"{actual:,}; the previous database was kept.")
