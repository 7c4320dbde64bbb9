"""Streamlit glue shared by every page: the open database, URL-synced controls, banners.

The rest of `dashboard` imports no Streamlit; this module is the seam.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

import pandas as pd
import streamlit as st

from data_pipeline import paths

from . import db as dbmod
from . import geometry, urlstate


@st.cache_resource(show_spinner=False)
def _open(path: str, mtime: float) -> dbmod.Database:
    """One read-only connection per database file version, shared by every session."""
    return dbmod.open_database(path)


def _build_demo(path: Path) -> None:
    from data_pipeline.build import build_demo
    with st.spinner("Building the demo city for the first time (about a minute)…"):
        build_demo(path)


def current_database() -> dbmod.Database:
    """The database the visitor picked (URL `city`), building the demo if none exists."""
    found = dbmod.available_databases()
    if not found:
        _build_demo(paths.database_path(paths.DEMO_SLUG))
        found = dbmod.available_databases()
    slugs = list(found)
    choice = url_select("City", slugs, "city", slugs[0], sidebar=True,
                        format_func=_city_label(found), hide_if_single=True)
    path = found[choice]
    return CachedDatabase(path, _open(str(path), path.stat().st_mtime).con)


def _city_label(found: dict[str, Path]) -> Callable[[str], str]:
    def label(slug: str) -> str:
        if slug == paths.DEMO_SLUG:
            return "Port Juniper (demo city)"
        return slug.replace("_", " ").title()
    return label


class CachedDatabase(dbmod.Database):
    """The same read-only database, with every query result cached once per process."""

    def query(self, sql: str, params: list | tuple | None = None) -> pd.DataFrame:
        return _cached_query(str(self.path), self.path.stat().st_mtime, sql,
                             tuple(params or ())).copy()


@st.cache_data(show_spinner=False, max_entries=2000)
def _cached_query(path: str, mtime: float, sql: str, params: tuple) -> pd.DataFrame:
    return _open(path, mtime).query(sql, list(params))


@st.cache_data(show_spinner=False, max_entries=16)
def _cached_shapes(path: str, mtime: float, level: str) -> dict:
    return geometry.shapes_geojson(_open(path, mtime), level)


def shapes(db: dbmod.Database, level: str) -> dict:
    """Simplified GeoJSON of the city's neighborhoods or tracts, cached once per process."""
    return _cached_shapes(str(db.path), db.path.stat().st_mtime, level)


def url_select(label: str, options: Sequence, key: str, default: Any, sidebar: bool = False,
               format_func: Callable[[Any], str] = str, hide_if_single: bool = False,
               widget: str = "selectbox") -> Any:
    """A select box whose value lives in the URL (`?key=value`)."""
    options = list(options)
    parsed = urlstate.parse_choice(st.query_params.get(key), key, options, default)
    if parsed.notice:
        st.toast(parsed.notice)
        st.warning(parsed.notice)
    if hide_if_single and len(options) <= 1:
        value = parsed.value
    else:
        where = st.sidebar if sidebar else st
        index = options.index(parsed.value) if parsed.value in options else 0
        if widget == "select_slider":
            value = where.select_slider(label, options, value=options[index],
                                        format_func=format_func, key=f"w_{key}")
        else:
            value = where.selectbox(label, options, index=index, format_func=format_func,
                                    key=f"w_{key}")
    st.query_params[key] = str(value)
    return value


def demo_banner(info: dict[str, str]) -> None:
    """Say plainly, on every page, when the numbers are synthetic."""
    if info.get("is_demo") == "true":
        st.info(f"**Demo city.** {info.get('demo_note', 'Every number here is synthetic.')} "
                "Build a real city with `python -m data_pipeline build --city chicago`.",
                icon=":material/science:")


def database() -> dbmod.Database:
    """The database app.py opened for this run of the page."""
    if "database" not in st.session_state:
        st.session_state["database"] = current_database()
    return st.session_state["database"]
