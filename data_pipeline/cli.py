"""`python -m data_pipeline …`: build, import, status.

Errors are one sentence and a non-zero exit; `--debug` shows the traceback.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from core import paths
from core.errors import PipelineError, run_command

from .sources import SOURCES


def _progress(start: float):
    def step(message: str) -> None:
        print(f"[{time.monotonic() - start:6.1f}s] {message}", file=sys.stderr, flush=True)
    return step


SUPPRESS_HELP = ("hide counts below N and the counts that would reveal them, for a registry "
                 "that is not public row by row (default: the profile's suppress_below, 0 = "
                 "publish every count; the demo publishes every count)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m data_pipeline",
                                     description="Build and inspect Main Street Atlas databases.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True)

    build = sub.add_parser("build", help="build a city's database (demo or real)")
    which = build.add_mutually_exclusive_group(required=True)
    which.add_argument("--demo", action="store_true", help="the built-in synthetic demo city")
    which.add_argument("--city", help="a profile name from data/cities/ (e.g. chicago)")
    build.add_argument("--db", type=Path, help="database file (default data/<city>.duckdb; "
                                               "each further layer beside it)")
    build.add_argument("--seed", type=int, default=42, help="demo city seed (default 42)")
    build.add_argument("--offline", action="store_true",
                       help="build from the raw cache only; fail if something is missing")
    build.add_argument("--suppress-below", type=int, default=None, metavar="N",
                       help=SUPPRESS_HELP)

    imp = sub.add_parser("import", help="build a city's database from local export files")
    imp.add_argument("--city", required=True, help="a profile name from data/cities/")
    for source in SOURCES:          # one flag per source: --businesses, --lodes, …
        imp.add_argument(f"--{source.name.replace('_', '-')}", type=Path, dest=source.name,
                         nargs="+" if source.many else None, help=source.help,
                         required=source.required and not source.on_import)
    imp.add_argument("--geocode", action="store_true",
                     help="ask the Census Geocoder for addresses not in the geocode cache "
                          "(needs network access and geocode.enabled in the profile); without "
                          "it, only cached geocodes are used")
    imp.add_argument("--layer", metavar="ID",
                     help="build this layer of the profile ([[layers]], e.g. wards): the "
                          "--neighborhoods file holds its boundaries (else its cached ones), "
                          "written to data/<city>.<ID>.duckdb")
    imp.add_argument("--db", type=Path, help="database file (default data/<city>.duckdb)")
    imp.add_argument("--suppress-below", type=int, default=None, metavar="N",
                     help=SUPPRESS_HELP)

    status = sub.add_parser("status", help="tables, row counts, sources and reconciliation")
    status.add_argument("--db", type=Path, help="database file (default data/demo.duckdb)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return run_command(lambda: _run(args), args.debug, (PipelineError,),
                       interrupted="Interrupted; the previous database was kept.")


def _run(args: argparse.Namespace) -> int:
    step = _progress(time.monotonic())
    if args.command == "status":
        from .status import print_status
        print_status(args.db or paths.database_path(paths.DEMO_SLUG))
        return 0
    if args.command == "build" and args.demo:
        from .demo import build_demo
        db = build_demo(args.db or paths.database_path(paths.DEMO_SLUG), seed=args.seed,
                        on_step=step, suppression_threshold=args.suppress_below)
    elif args.command == "build":
        from .city import build_city
        db = build_city(args.city, args.db, offline=args.offline, on_step=step,
                        suppression_threshold=args.suppress_below)
    else:
        from .city import import_sources
        given = {source.name: getattr(args, source.name) for source in SOURCES}
        files = {name: value if isinstance(value, list) else [value]
                 for name, value in given.items() if value}
        db = import_sources(args.city, files, geocode=args.geocode, db=args.db, on_step=step,
                            suppression_threshold=args.suppress_below, layer=args.layer)
    step(f"done: {db}")
    return 0
