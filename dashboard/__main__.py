"""`python -m dashboard brief …`: print neighborhood briefs (PDF) from the command line.

    python -m dashboard brief --city demo --neighborhood N07 --out union-flats.pdf
    python -m dashboard brief --city demo --out city.pdf          # the city's brief
    python -m dashboard brief --city chicago --all --out-dir briefs/
    python -m dashboard brief --city chicago --layer wards --neighborhood "Ward 12"

Errors are one sentence and exit status 1; `--debug` shows the traceback.
"""
from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

import duckdb

from core import i18n, paths
from core.errors import run_command

from . import brief, db as dbmod, exports, queries
from .images import slugify

CITY_WORDS = ("city", "")


class BriefError(Exception):
    """What went wrong and what to do, in one sentence."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m dashboard",
                                     description="Main Street Atlas exports from the command line.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True)
    cmd = sub.add_parser("brief", help="a one- or two-page PDF brief of a neighborhood or the city")
    cmd.add_argument("--city", help="a built city: its slug (file name in the data folder) or "
                     "name; default the demo city")
    cmd.add_argument("--layer", help="a set of areas of the city other than its neighborhoods "
                     "(wards: data/<city>.wards.duckdb); default the neighborhoods")
    cmd.add_argument("--db", type=Path, help="a database file (overrides --city and --layer)")
    cmd.add_argument("--neighborhood", default="city",
                     help="a neighborhood id or name; 'city' or omitted: the city's brief")
    which = cmd.add_mutually_exclusive_group()
    which.add_argument("--out", type=Path, help="the PDF to write (default: a name in the "
                       "current folder saying what it holds)")
    which.add_argument("--all", action="store_true",
                       help="one brief per neighborhood plus the city's, into --out-dir")
    cmd.add_argument("--out-dir", type=Path, help="folder for --all (created if needed)")
    cmd.add_argument("--date", type=date.fromisoformat, default=None,
                     help="the date printed as 'made on' (YYYY-MM-DD; default today)")
    cmd.add_argument("--lang", choices=list(i18n.LANGUAGES), default=i18n.DEFAULT,
                     help="the brief's language (en: English, es: Spanish)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return run_command(lambda: _brief(args), args.debug, (BriefError,))


def _brief(args: argparse.Namespace) -> int:
    i18n.set_language(args.lang)
    if args.all and not args.out_dir:
        raise BriefError("--all writes one file per neighborhood: add --out-dir FOLDER.")
    db = _open(find_database(args.city, args.db, args.layer))
    with i18n.using_areas(*db.areas()):    # the brief names its areas: "Ward 12", "wards"
        return _write_briefs(args, db)


def _write_briefs(args: argparse.Namespace, db: dbmod.Database) -> int:
    made_on = args.date or date.today()
    if args.all:
        targets = [None, *queries.areas(db)["geo_id"]]
        for neighborhood_id in targets:
            out = args.out_dir / brief.brief_file_name(db, neighborhood_id)
            _write(out, brief.make_brief(db, neighborhood_id, made_on))
        print(f"Wrote {len(targets)} briefs to {args.out_dir}", file=sys.stderr)
        return 0
    neighborhood_id = find_neighborhood(db, args.neighborhood)
    out = args.out or Path(brief.brief_file_name(db, neighborhood_id))
    _write(out, brief.make_brief(db, neighborhood_id, made_on))
    return 0


def find_database(city: str | None, db_path: Path | None, layer: str | None = None) -> Path:
    """The database file for `--db`, or `--city` (a slug or a city's name) and `--layer`."""
    if db_path is not None:
        if not db_path.is_file():
            raise BriefError(f"No database file at {db_path}: check the path, or build one "
                             "with `python -m data_pipeline build --demo --db PATH`.")
        return db_path
    wanted = (city or paths.DEMO_SLUG).strip()
    found = dbmod.available_databases()
    slug = slugify(wanted).replace("-", "_")
    for key in (wanted, wanted.lower(), slug):
        if key in found:
            return _layer(found[key], layer)
    for path in found.values():
        if _city_name(path).lower() == wanted.lower():
            return _layer(path, layer)
    known = ", ".join(found) or "none yet"
    raise BriefError(f"No built database for city {wanted!r} in {paths.data_dir()} (built: "
                     f"{known}): run `python -m data_pipeline build --city {slug}` "
                     "(or --demo), or pass --db PATH.")


def _layer(first: Path, layer: str | None) -> Path:
    layers = dbmod.available_layers(first)
    if layer is None or layer == dbmod.FIRST_LAYER:
        return first
    if layer not in layers:
        raise BriefError(f"No {layer!r} built for {first.stem} (built: {', '.join(layers)}): "
                         f"run `python -m data_pipeline build --city {first.stem}`, or "
                         f"`import --layer {layer}`.")
    return layers[layer]


def _city_name(path: Path) -> str:
    try:
        con = duckdb.connect(str(path), read_only=True)
        try:
            row = con.execute("SELECT value FROM build_info WHERE key = 'city_name'").fetchone()
        finally:
            con.close()
    except duckdb.Error:
        return ""
    return row[0] if row else ""


def _open(path: Path) -> dbmod.Database:
    try:
        db = dbmod.open_database(path)
    except duckdb.Error as error:
        raise BriefError(f"Could not open the database {path} ({str(error).splitlines()[0]}): "
                         "close other programs using it, or rebuild it.") from error
    if not db.has_table("metrics_long"):
        raise BriefError(f"The database {path} has no metric tables: rebuild it with "
                         "`python -m data_pipeline build`.")
    return db


def find_neighborhood(db: dbmod.Database, wanted: str | None) -> str | None:
    """A neighborhood id from an id or a name (any case); None for the city."""
    text = (wanted or "").strip()
    if text.lower() in CITY_WORDS:
        return None
    areas = queries.areas(db)
    for column in ("geo_id", "name"):
        match = areas[areas[column].str.lower() == text.lower()]
        if not match.empty:
            return str(match.iloc[0]["geo_id"])
    examples = ", ".join(f"{i} ({n})" for i, n in areas.head(3).itertuples(index=False))
    raise BriefError(f"No {i18n.areas()} {text!r} in {exports.city_info(db)['name']}: give an id "
                     f"or name such as {examples}, or 'city' for the city's brief.")


def _write(out: Path, data: bytes) -> None:
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    except OSError as error:
        raise BriefError(f"Could not write {out} ({error.strerror or error}): choose a folder "
                         "you can write to.") from error
    print(out)


if __name__ == "__main__":
    sys.exit(main())
