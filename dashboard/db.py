"""The one module that touches the database from the app: read-only, parameterized."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from core import i18n, paths


@dataclass(frozen=True)
class Database:
    """A built city database, opened read-only."""

    path: Path
    con: duckdb.DuckDBPyConnection

    def query(self, sql: str, params: list | tuple | None = None) -> pd.DataFrame:
        """Run a parameterized query; its `name` column says numbered areas in the reader's
        language (`said_names`)."""
        return self.said_names(self.run(sql, params))

    def run(self, sql: str, params: list | tuple | None = None) -> pd.DataFrame:
        """Run a parameterized query on a private cursor (safe across sessions/threads)."""
        cursor = self.con.cursor()
        try:
            return cursor.execute(sql, list(params or [])).df()
        finally:
            cursor.close()

    def scalar(self, sql: str, params: list | tuple | None = None):
        frame = self.query(sql, params)
        return None if frame.empty else frame.iat[0, 0]

    def has_table(self, name: str) -> bool:
        return bool(self.scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]))

    def columns(self, table: str) -> list[str]:
        return self.query("SELECT column_name FROM information_schema.columns "
                          "WHERE table_name = ? ORDER BY ordinal_position", [table])["column_name"].tolist()

    def info(self) -> dict[str, str]:
        """build_info as key → value; the words pages show (the city's name, the demo's
        note) in the reader's language when the catalog has them."""
        found = dict(self.query("SELECT key, value FROM build_info").itertuples(index=False))
        return {k: i18n.gettext(v) if k in SHOWN_INFO and isinstance(v, str) else v
                for k, v in found.items()}

    def areas(self) -> tuple[str, str]:
        """The English nouns of the areas this database shows ("ward", "wards"); a build
        from before layers shows neighborhoods."""
        found = dict(self.run("SELECT key, value FROM build_info WHERE key IN "
                              "('area_singular', 'area_plural')").itertuples(index=False))
        return (found.get("area_singular") or "neighborhood",
                found.get("area_plural") or "neighborhoods")

    def said_names(self, frame: pd.DataFrame) -> pd.DataFrame:
        """`frame` with the numbered names of a layer's areas in the reader's language. A
        layer whose boundary file names nothing calls its areas "<Singular> <id>" ("Ward 12",
        `profiles.Layer.name_of`): words of ours, read "Distrito municipal 12" in Spanish.
        Names from a boundary file are the city's own and stay as written."""
        if "name" not in frame.columns or i18n.language() == i18n.DEFAULT or frame.empty:
            return frame
        nouns = self.areas()
        singular = nouns[0]
        if nouns == i18n.FIRST_AREAS:
            return frame
        said = i18n.gettext(singular)
        if said == singular:
            return frame
        frame = frame.copy()
        frame["name"] = frame["name"].str.replace(
            rf"^{re.escape(singular[:1].upper() + singular[1:])} (?=\S+$)",
            said[:1].upper() + said[1:] + " ", regex=True)
        return frame


SHOWN_INFO = ("city_name", "demo_note", "demo_guide", "registry_note")
FIRST_LAYER = "neighborhoods"   # the layer of data/<city>.duckdb (a build before layers)


def open_database(path: Path | str) -> Database:
    """Open a database file read-only; the app never writes."""
    path = Path(path)
    return Database(path, duckdb.connect(str(path), read_only=True))


def available_databases(folder: Path | None = None) -> dict[str, Path]:
    """Built databases by slug (file stem), demo first; a city's further layers
    (`<city>.<layer>.duckdb`) are not cities of their own (`available_layers`)."""
    folder = folder or paths.data_dir()
    found = {p.stem: p for p in sorted(folder.glob("*.duckdb"))
             if not p.name.startswith(".") and "." not in p.stem}
    ordered = {paths.DEMO_SLUG: found.pop(paths.DEMO_SLUG)} if paths.DEMO_SLUG in found else {}
    return {**ordered, **found}


def available_layers(first: Path) -> dict[str, Path]:
    """A city's databases by layer: its first (`<city>.duckdb`, the neighborhoods), then
    every `<city>.<layer>.duckdb` beside it, by layer id."""
    first = Path(first)
    beside = sorted(first.parent.glob(f"{first.stem}.*{first.suffix}"))
    return {FIRST_LAYER: first, **{p.stem.split(".", 1)[1]: p for p in beside
                                   if p.stem.count(".") == 1}}
