"""`python -m data_pipeline status`: what a database holds and how its rows reconcile."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from core.errors import PipelineError

from .sources import SOURCES


def print_status(db: Path) -> None:
    """Print tables with row counts, sources with vintages, reconciliation and unmapped categories."""
    db = Path(db)
    if not db.exists():
        raise PipelineError(f"No database at {db}; build one with `python -m data_pipeline build --demo`.")
    built = dt.datetime.fromtimestamp(db.stat().st_mtime, dt.timezone.utc)
    with duckdb.connect(str(db), read_only=True) as con:
        info = dict(con.execute("SELECT key, value FROM build_info").fetchall())
        print(f"{info.get('city_name', '?')} — {db} (built {built:%Y-%m-%d %H:%M} UTC)")
        _print_tables(con)
        _print_sources(con)
        _print_repairs(info)
        _print_rejections(con)
        _print_unmapped(con)
        _print_disclosure(con)


def _print_tables(con: duckdb.DuckDBPyConnection) -> None:
    print("\nTables")
    names = [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
        "ORDER BY table_name").fetchall()]
    for name in names:
        rows = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]  # noqa: S608 (reviewed: placeholders only)
        print(f"  {name:32} {rows:>12,}")


def _print_sources(con: duckdb.DuckDBPyConnection) -> None:
    print("\nSources (raw = loaded + merged + rejected)")
    for sid, name, vintage, fetched, raw, loaded, merged, rejected in con.execute(
            "SELECT source_id, name, vintage, fetched_at, rows_raw, rows_loaded, rows_merged, "
            "rows_rejected FROM sources ORDER BY source_id").fetchall():
        ok = "ok" if raw == loaded + merged + rejected else "DOES NOT RECONCILE"
        when = f"{fetched:%Y-%m-%d %H:%M}" if fetched else "—"
        print(f"  {sid}: {name} [{vintage or 'vintage unknown'}], fetched {when}")
        print(f"      {raw:,} raw = {loaded:,} loaded + {merged:,} merged + {rejected:,} rejected  {ok}")
    kinds = {kind for (kind,) in con.execute("SELECT DISTINCT kind FROM sources").fetchall()}
    missing = [source for source in SOURCES if source.kind not in kinds]
    if missing:
        print("  Not loaded: " + "; ".join(f"{source.label} ({source.absent})" for source in missing))


def _print_repairs(info: dict[str, str]) -> None:
    """Rows repaired, not rejected, as each source counts them in build_info."""
    found = [(key, text) for source in SOURCES for key, text in source.repairs.items()
             if info.get(key)]
    if found:
        print("\nRows repaired on the way in")
        for key, text in found:
            print(f"  {key.split('_', 1)[0]}: {text}: {int(info[key]):,}")


def _print_rejections(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute("SELECT source_id, reason, count(*) FROM rejected_records "
                       "GROUP BY 1, 2 ORDER BY 1, 3 DESC").fetchall()
    if rows:
        print("\nRejected rows by reason")
        for sid, reason, n in rows:
            print(f"  {sid}: {n:,} {reason}")


def _print_unmapped(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute("SELECT source_id, raw_category, rows FROM unmapped_categories "
                       "ORDER BY rows DESC LIMIT 20").fetchall()
    if rows:
        print("\nCategories the profile does not map (top 20)")
        for sid, category, n in rows:
            print(f"  {sid}: {n:,} × {category!r}")


def _print_disclosure(con: duckdb.DuckDBPyConnection) -> None:
    """Per metric: the share withheld, the share flagged, or why it is not available."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if "disclosure" not in tables:
        return
    threshold, low = con.execute("SELECT suppression_threshold, low_count_below FROM settings").fetchone()
    rule = (f"counts below {threshold} withheld, with complements" if threshold
            else "every count published (a public registry)")
    print(f"\nFigures: withheld, flagged, not available ({rule}; low count = fewer than {low} "
          "businesses or events behind a rate, share or index)")
    rows = con.execute("SELECT metric_id, geo_level, figures, withheld, low_count, unreliable, "
                       "not_available FROM disclosure").fetchall()
    for metric_id, level, figures, withheld, low_count, unreliable, missing in rows:
        if missing:
            print(f"  {metric_id}: not available: {missing}")
        elif figures:
            print(f"  {metric_id} by {level}: {figures:,} figures, "
                  f"{_shares(figures, withheld, low_count, unreliable)}")


def _shares(figures: int, withheld: int, low_count: int, unreliable: int) -> str:
    """'0.0% withheld, 11.5% low count' (flags only when some value carries them)."""
    parts = [f"{withheld / figures:.1%} withheld"]
    parts += [f"{low_count / figures:.1%} low count"] * bool(low_count)
    parts += [f"{unreliable / figures:.1%} unreliable"] * bool(unreliable)
    return ", ".join(parts)
