"""The catalog of every word the atlas shows: extracted from the code (`_()`, `N_()`,
`ngettext`) and from the registries (the metrics' words), merged into each language's
`messages.po`, keeping what is translated.

    python -m core.i18n_catalog           # refresh locale/*/LC_MESSAGES/messages.po
    python -m core.i18n_catalog --check   # list the words Spanish lacks (exit 1 if any)

A database holds words the pages show too (the demo city's note, its sources' names, why a
figure is not available, why rows were rejected): `--database data/demo.duckdb` adds them.
"""
from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

import duckdb
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages import pofile

from core import categories, i18n, metrics

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("app.py", "core", "dashboard", "pages")
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
TRANSLATED = tuple(lang for lang in i18n.LANGUAGES if lang != i18n.DEFAULT)


def _files() -> list[Path]:
    found = []
    for name in SCANNED:
        path = ROOT / name
        found += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return found


def registry_words() -> list[str]:
    """The registries' words: metric groups and entries (built from parts, so no extractor
    sees them whole), their shared sentences, and the categories."""
    words = list(metrics.GROUPS) + list(categories.SECTORS.values())
    words.append(categories.UNKNOWN_CATEGORY)
    words += [value for name, value in vars(metrics).items()
              if name.isupper() and isinstance(value, str) and " " in value]
    for metric in metrics.all_metrics():
        words += [metric.msgid(field) for field in metrics.WORDS]
        if metric.id.endswith("_loans"):     # a loan program's name ('PPP loans'), as pages say it
            words.append(metric.msgid("label").removesuffix(" approved"))
    return list(dict.fromkeys(w for w in words if w)) + layer_words()


def layer_words() -> list[str]:
    """The nouns of the shipped profiles' layers ([[layers]]: "ward", "wards"), which pages
    say where they name the areas."""
    words = []
    for path in sorted((ROOT / "data" / "cities").glob("*.toml")):
        for layer in tomllib.loads(path.read_text(encoding="utf-8")).get("layers", []):
            words += [layer.get("singular"), layer.get("plural")]
    return [w for w in dict.fromkeys(words) if isinstance(w, str) and w]


# The words of a built database that pages show: (table, SQL of one column of text).
DATABASE_WORDS = (
    ("build_info", "SELECT value FROM build_info WHERE key IN "
                   "('city_name', 'demo_note', 'demo_guide', 'registry_note', 'unknown_category', "
                   "'area_singular', 'area_plural')"),
    ("sources", "SELECT name FROM sources UNION SELECT publisher FROM sources "
                "UNION SELECT license FROM sources UNION SELECT vintage FROM sources"),
    ("metric_registry", "SELECT not_available FROM metric_registry"),
    ("rejected_records", "SELECT reason FROM rejected_records"),
    ("apportionment", "SELECT step FROM apportionment"),
    ("settings", "SELECT unknown_category FROM settings"),
)


def database_words(path: Path) -> list[str]:
    """The words of the database at `path` its pages show (a query a database cannot
    answer, an older one, adds nothing)."""
    words = []
    with duckdb.connect(str(path), read_only=True) as con:
        for _table, sql in DATABASE_WORDS:
            try:
                words += [row[0] for row in con.execute(sql).fetchall()]
            except duckdb.Error:
                continue
    # a vintage that is only a year or a date ('2018-2022', '2024-01-15') reads the same
    return list(dict.fromkeys(w for w in words if isinstance(w, str)
                              and re.search(r"[^\W\d_]{2}", w)))


def template(databases: tuple[Path, ...] = ()) -> Catalog:
    """Every msgid, with where it comes from."""
    catalog = Catalog(project="Main Street Atlas", domain=i18n.DOMAIN)
    for path in _files():
        where = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name
        for line, message, _comments, _context in extract_from_file(
                "python", str(path), keywords=KEYWORDS):
            if isinstance(message, tuple):
                catalog.add(message, locations=[(where, line)])
            elif message:
                catalog.add(message, locations=[(where, line)])
    for word in registry_words():
        catalog.add(word, locations=[("core/metrics.py", 0)])
    for path in databases:
        for word in database_words(path):
            if word not in catalog:
                catalog.add(word, locations=[(f"database:{Path(path).name}", 0)])
    return catalog


def read(lang: str) -> Catalog:
    path = i18n.po_path(lang)
    if not path.exists():
        return Catalog(locale=lang, project="Main Street Atlas", domain=i18n.DOMAIN)
    with path.open("rb") as handle:
        return pofile.read_po(handle, locale=lang)


def refresh(lang: str, databases: tuple[Path, ...] = ()) -> Catalog:
    """`lang`'s catalog with every current msgid (translations kept, gone words dropped)."""
    catalog = read(lang)
    catalog.update(template(databases), no_fuzzy_matching=True)
    catalog.obsolete.clear()
    catalog.fuzzy = False
    path = i18n.po_path(lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        pofile.write_po(handle, catalog, width=100, omit_header=False, sort_output=False)
    i18n.translations.cache_clear()
    return catalog


def untranslated(lang: str, databases: tuple[Path, ...] = ()) -> list[str]:
    """The msgids the code and the registry use that `lang`'s catalog does not translate
    (absent, empty, or marked fuzzy)."""
    catalog = read(lang)
    lacking = []
    for message in template(databases):
        if not message.id:
            continue
        found = catalog.get(message.id)
        strings = found.string if found else None
        if isinstance(strings, tuple):
            ok = all(strings)
        else:
            ok = bool(strings)
        if not ok or (found is not None and found.fuzzy):
            lacking.append(message.id if isinstance(message.id, str) else message.id[0])
    return lacking


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="list the words each language lacks; exit 1 if any")
    parser.add_argument("--database", action="append", type=Path, default=[],
                        help="a built database whose shown words to add (repeatable)")
    args = parser.parse_args(argv)
    status, databases = 0, tuple(args.database)
    for lang in TRANSLATED:
        if not args.check:
            refresh(lang, databases)
        lacking = untranslated(lang, databases)
        print(f"{lang}: {len(lacking)} untranslated")
        for word in lacking[:50] if args.check else []:
            print(f"  {word[:100]!r}")
        status = status or (1 if lacking else 0)
    return status if args.check else 0


if __name__ == "__main__":
    sys.exit(main())
