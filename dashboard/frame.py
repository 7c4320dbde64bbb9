"""Streamlit glue shared by every page: the open database, URL-synced controls, banners,
charts with their tables, and empty states.

The rest of `dashboard` imports no Streamlit; this module is the seam.

How a control finds its value (see `_start_value`): a URL value the app did not write
itself (a pasted link, a link from another page) wins; otherwise the control keeps what the
visitor chose; otherwise the value this session last had for that key (so `?n=` follows
the visitor from page to page even when the sidebar drops the query string); otherwise
the default. The chosen value is then written back to the URL.
"""
from __future__ import annotations

import logging
import re
from datetime import date
from pathlib import Path
from urllib.parse import urlencode, urlsplit
from typing import Any, Callable, Sequence

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core import i18n, paths
from core.i18n import N_, _

from . import db as dbmod
from . import (downloads, exports, find, geometry, images, queries, registry, styles, theme,
               urlstate)

log = logging.getLogger("atlas")
MEMORY = "_url_memory"      # session_state: the value each URL key last had in this session
PLOTLY_CONFIG = {"displaylogo": False, "scrollZoom": True}


def plotly_config() -> dict:
    """The charts' config, with Plotly's own words in the reader's language."""
    return {**PLOTLY_CONFIG, **theme.plotly_locale()}


@st.cache_resource(show_spinner=False)
def _open(path: str, mtime: float) -> dbmod.Database:
    """One read-only connection per database file version, shared by every session."""
    return dbmod.open_database(path)


def _build_demo(path: Path) -> None:
    from data_pipeline.demo import build_demo
    with st.spinner(_("Building the demo city for the first time (a minute or two)…")):
        build_demo(path)


def current_database(switch: bool = True) -> dbmod.Database:
    """The database the visitor picked (URL `city`, and `layer`: the sidebar's Areas switch,
    or the URL alone without `switch`: a slide or an embed shows no sidebar), building the
    demo if none exists."""
    found = dbmod.available_databases()
    if not found:
        _build_demo(paths.database_path(paths.DEMO_SLUG))
        found = dbmod.available_databases()
    slugs = list(found)
    choice = url_select(_("City"), slugs, "city", slugs[0], where=st.sidebar,
                        format_func=_city_label, hide_if_single=True)
    path = _layer_switch(found[choice]) if switch else _layer_of(found[choice])
    database = CachedDatabase(path, _open(str(path), path.stat().st_mtime).con)
    i18n.set_areas(*database.areas())
    return database


LAYER_KEY = "layer"


def start_areas() -> None:
    """Set this run's areas' nouns before the navigation is drawn (its titles name them):
    the city and layer the URL, the sidebar or the session chose, as `current_database`
    will choose them."""
    found = dbmod.available_databases()
    if not found:
        return
    city = _chosen("city", list(found)) or next(iter(found))
    path = _layer_of(found[city])
    i18n.set_areas(*_open(str(path), path.stat().st_mtime).areas())


def _chosen(key: str, options: list[str]) -> str | None:
    """The value of URL key `key` by the precedence of every URL control (`_start_value`),
    if it is one of `options`."""
    raw, memory = st.query_params.get(key), _memory()
    if raw is not None and raw != memory.get(key) and raw in options:
        return raw
    if st.session_state.get(f"w_{key}") in options:
        return st.session_state[f"w_{key}"]
    return memory.get(key) if memory.get(key) in options else None


def _layer_switch(first: Path) -> Path:
    """The city's set of areas (URL key `layer`: neighborhoods, wards, districts…), chosen
    in the sidebar's "Areas" when the city has more than one; the first leaves the address
    as it was. Returns that layer's database."""
    layers = dbmod.available_layers(first)
    nouns = {layer: _open(str(path), path.stat().st_mtime).areas()[1]
             for layer, path in layers.items()}
    chosen = url_select(_("Areas"), list(layers), LAYER_KEY, dbmod.FIRST_LAYER,
                        where=st.sidebar, hide_if_single=True,
                        format_func=lambda layer: _capital(_(nouns[layer])))
    if chosen == dbmod.FIRST_LAYER and LAYER_KEY in st.query_params:
        del st.query_params[LAYER_KEY]
    return layers[chosen]


def _layer_of(first: Path) -> Path:
    """The chosen layer's database, read from the URL or the session with no widget."""
    layers = dbmod.available_layers(first)
    return layers[_chosen(LAYER_KEY, list(layers)) or dbmod.FIRST_LAYER]


def _capital(word: str) -> str:
    return word[:1].upper() + word[1:]


def _city_label(slug: str) -> str:
    if slug == paths.DEMO_SLUG:
        return _("Port Juniper (demo city)")
    return slug.replace("_", " ").title()


class CachedDatabase(dbmod.Database):
    """The same read-only database, with every query result cached once per process."""

    def run(self, sql: str, params: list | tuple | None = None) -> pd.DataFrame:
        return _cached_query(str(self.path), self.path.stat().st_mtime, sql,
                             tuple(params or ())).copy()


@st.cache_data(show_spinner=False, max_entries=4000)
def _cached_query(path: str, mtime: float, sql: str, params: tuple) -> pd.DataFrame:
    return _open(path, mtime).run(sql, list(params))


@st.cache_resource(show_spinner=False, max_entries=16)
def _cached_shapes(path: str, mtime: float, level: str) -> dict:
    with i18n.using(i18n.DEFAULT):     # shared by every session, whatever its language
        return geometry.shapes_geojson(_open(path, mtime), level)


def shapes(db: dbmod.Database, level: str) -> dict:
    """Simplified GeoJSON of the city's neighborhoods or tracts, cached once per process.

    Shared by every session (cache_resource: not copied); callers must not change it."""
    return _cached_shapes(str(db.path), db.path.stat().st_mtime, level)


@st.cache_resource(show_spinner=False, max_entries=16)
def _cached_neighbors(path: str, mtime: float) -> dict[str, list[str]]:
    return geometry.neighbors(_open(path, mtime))


def neighbors(db: dbmod.Database) -> dict[str, list[str]]:
    """Neighborhood id → ids of the neighborhoods that share a border with it."""
    return _cached_neighbors(str(db.path), db.path.stat().st_mtime)


# --- Controls whose value lives in the URL -------------------------------------------------

def _memory() -> dict[str, str]:
    return st.session_state.setdefault(MEMORY, {})


def _start_value(key: str, parse: Callable[[str | None], urlstate.Parsed],
                 valid: Callable[[Any], bool]) -> None:
    """Put the value the control must show into its widget state (see the module doc)."""
    widget, raw, memory = f"w_{key}", st.query_params.get(key), _memory()
    if raw is not None and raw != memory.get(key):
        parsed = parse(raw)
        if parsed.notice:
            st.warning(parsed.notice, icon=":material/link_off:")
        st.session_state[widget] = parsed.value
    elif widget in st.session_state and valid(st.session_state[widget]):
        # Written back on purpose: the same key on another page is another widget, which
        # takes a value set by the script but not one its predecessor left behind.
        st.session_state[widget] = st.session_state[widget]
    else:
        remembered = parse(memory.get(key))
        st.session_state[widget] = parse(None).value if remembered.notice else remembered.value


def _remember(key: str, text: str) -> None:
    st.query_params[key] = text
    _memory()[key] = text


def url_select(label: str, options: Sequence, key: str, default: Any, where=st,
               format_func: Callable[[Any], str] = str, hide_if_single: bool = False,
               widget: str = "selectbox", help: str | None = None,
               known: Sequence = ()) -> Any:
    """A single choice (select box, slider or radio) whose value lives in the URL.

    A URL value among `known` (valid elsewhere, say a metric another filter excludes)
    falls back to the default without a notice."""
    options, format_func = list(options), i18n.bound(format_func)   # says it in this language
    if default not in options:
        default = options[0]
    raw = st.query_params.get(key)
    if raw is not None and raw in {str(k) for k in known} - {str(o) for o in options}:
        del st.query_params[key]
    _start_value(key, lambda raw: urlstate.parse_choice(raw, key, options, default),
                 lambda value: value in options)
    if hide_if_single and len(options) <= 1:
        value = st.session_state.pop(f"w_{key}")
    elif widget == "select_slider" and len(options) > 1:
        value = where.select_slider(label, options, format_func=format_func, key=f"w_{key}",
                                    help=help)
    elif widget == "radio":
        value = where.radio(label, options, format_func=format_func, key=f"w_{key}",
                            horizontal=True, help=help)
    else:
        value = where.selectbox(label, options, format_func=format_func, key=f"w_{key}",
                                help=help)
    _remember(key, str(value))
    return value


def url_multiselect(label: str, options: Sequence, key: str, default: list, where=st,
                    format_func: Callable[[Any], str] = str, min_count: int = 0,
                    max_count: int | None = None, help: str | None = None) -> list:
    """A multiselect whose values live in the URL as `key=a,b,c`."""
    options, format_func = list(options), i18n.bound(format_func)
    default = [d for d in default if d in options]

    def valid(value) -> bool:
        return (isinstance(value, list) and all(v in options for v in value)
                and (max_count is None or len(value) <= max_count))

    _start_value(key, lambda raw: urlstate.parse_multi(raw, key, options, default, min_count,
                                                       max_count), valid)
    values = where.multiselect(label, options, format_func=format_func, key=f"w_{key}",
                               max_selections=max_count, help=help,
                               placeholder=_("Choose options"))
    _remember(key, ",".join(map(str, values)))
    return values


# --- The language: ?lang=, the sidebar's switch, kept from page to page -------------------

LANG_KEY = "lang"


def _language_now() -> str:
    """The language this run is in, by the precedence of every URL control (`_start_value`):
    a `lang` the app did not write, else the switch's value, else the session's, else English."""
    raw, memory = st.query_params.get(LANG_KEY), _memory()
    if raw is not None and raw != memory.get(LANG_KEY) and raw in i18n.LANGUAGES:
        return raw
    chosen = st.session_state.get(f"w_{LANG_KEY}")
    if chosen in i18n.LANGUAGES:
        return chosen
    return memory.get(LANG_KEY) if memory.get(LANG_KEY) in i18n.LANGUAGES else i18n.DEFAULT


def start_language() -> str:
    """Set the language of this run before any word is written (app.py, first thing)."""
    return i18n.set_language(_language_now())


def language_switch() -> None:
    """English / Español in the sidebar; its value lives in the URL (`?lang=es`; English, the
    default, leaves the address as it was) and follows the visitor from page to page. The
    label is in both languages, so either reader finds it."""
    lang = url_select("Language · Idioma", list(i18n.LANGUAGES), LANG_KEY, i18n.language(),
                      where=st.sidebar, format_func=i18n.LANGUAGES.get, widget="radio")
    if lang == i18n.DEFAULT and LANG_KEY in st.query_params:    # English: a clean address
        del st.query_params[LANG_KEY]
    if lang != i18n.language():
        i18n.set_language(lang)
        st.rerun()


# --- Layout helpers ------------------------------------------------------------------------

def chart(figure: go.Figure, table: pd.DataFrame, key: str, caption: str | None = None,
          on_select: bool = False, height: int | None = None,
          download: downloads.Download | None = None, embed: dict[str, str] | None = None,
          preview: str | None = None):
    """A chart with its data table one click away, and its downloads (PNG, SVG, CSV, and
    GeoJSON for a map) one more when `download` says what they hold. `embed`: the query of
    the /embed page that shows this chart alone (its iframe snippet is offered). `preview`:
    static HTML of the chart (a map's `maps.preview_html`) shown in its place until Plotly
    has drawn it (`styles.SCREEN_CSS` swaps them).

    Returns the selection event when `on_select` (points only), else None."""
    with st.container(key=f"chart_{key}"):     # title, chart and notes: one block (print)
        return _chart(figure, table, key, caption, on_select, height, download, embed, preview)


def _chart(figure: go.Figure, table: pd.DataFrame, key: str, caption: str | None,
           on_select: bool, height: int | None, download: downloads.Download | None,
           embed: dict[str, str] | None, preview: str | None = None):
    title = take_title(figure)
    if title:
        st.markdown(f"**{plain(title)}**")
    names = [_("Chart"), _("Data table")] + ([_("Download")] if download else [])
    tabs = st.tabs(names)
    with tabs[0]:
        kwargs = {"on_select": "rerun", "selection_mode": "points"} if on_select else {}
        if preview:
            st.html(preview)
        event = st.plotly_chart(figure, width="stretch", key=key, theme=None,
                                config=plotly_config(), **kwargs)
    with tabs[1]:
        st.dataframe(translated_columns(table), hide_index=True, width="stretch", height=height or "auto")
    if download:
        with tabs[2]:
            download_buttons(figure, table, key, download, embed)
    if caption:
        st.caption(caption)
    if download and (download.metric_ids or download.extra_kinds):
        source = exports.source_line(database(), list(download.metric_ids), download.extra_kinds)
        st.caption(_("{source}. Definitions and method: Data & methods.").format(source=source))
    return event if on_select else None


# The column names the builders give their tables (English: the catalog's msgids).
COLUMNS = (N_("Area"), N_("Year"), N_("Note"), N_("Rank"), N_("Value"), N_("Category"),
           N_("Location quotient"), N_("In words"), N_("Industry"), N_("Jobs"), N_("Figure"),
           N_("City"), N_("Kind of business"), N_("Applications"), N_("Colour class"),
           N_("Areas"))


def translated_columns(table: pd.DataFrame) -> pd.DataFrame:
    """A table with its column names in the reader's language (the builders name them in
    English, the catalog's msgids)."""
    if i18n.language() == i18n.DEFAULT:
        return table
    return table.rename(columns={c: _(c) for c in table.columns if isinstance(c, str)})


def take_title(figure: go.Figure) -> str:
    """The chart's title, taken out of the figure to be shown above it in the page: there
    it wraps on a phone, and the chart's toolbar (in the figure's top margin) never covers
    it. The downloads add their own title."""
    text = figure.layout.title.text
    if not text:
        return ""
    figure.update_layout(title=None, margin={"t": 36})
    return re.sub(r"\s*<br>\s*", " ", text).strip()


def plain(text: str) -> str:
    """Text shown as Markdown exactly as written (a name may hold *, _, [ or $)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|~<>$:])", r"\\\1", text)


DOWNLOAD_LABELS = {"png": N_("PNG image"), "svg": N_("SVG image"), "csv": N_("CSV data"),
                   "geojson": N_("GeoJSON"), "xlsx": N_("Excel workbook"),
                   "pdf": N_("Download brief (PDF)")}


@st.cache_resource(show_spinner=False, ttl=60)
def _images_possible() -> tuple[bool, str]:
    return images.browser_available()


def download_buttons(figure: go.Figure, table: pd.DataFrame, key: str,
                     spec: downloads.Download, embed: dict[str, str] | None = None) -> None:
    """An image size, then one button per format. The bytes are made only when a button
    is clicked (a map image takes a couple of seconds), not on every rerun."""
    db, made_on = database(), date.today()
    ok, reason = _images_possible()
    preset = st.radio(_("Image size"), list(images.PRESETS), key=f"{key}_preset",
                      horizontal=True,
                      format_func=i18n.bound(lambda p: _(images.PRESETS[p].label)))
    for column, fmt in zip(st.columns(len(spec.formats)), spec.formats):
        is_image = fmt in images.FORMATS
        column.download_button(
            _(DOWNLOAD_LABELS[fmt]), data=_maker(db, figure, table, spec, fmt, preset, made_on),
            file_name=downloads.file_name(db, spec, fmt, preset), mime=downloads.MIME[fmt],
            key=f"{key}_{fmt}", on_click="ignore", icon=":material/download:",
            disabled=is_image and not ok)
    if not ok:
        st.caption(_(reason))
    if embed is not None:
        st.caption(_("Embed this view in a web page:"))
        st.code(downloads.snippet(base_url(), embed, spec.title), language="html")


def _maker(db: dbmod.Database, figure: go.Figure, table: pd.DataFrame,
           spec: downloads.Download, fmt: str, preset: str, made_on: date) -> Callable[[], bytes]:
    """The function the download button calls, on click, for its bytes."""
    if fmt in images.FORMATS:
        return i18n.bound(lambda: downloads.image_bytes(db, figure, spec, fmt, preset, made_on))
    if fmt == "geojson":
        return i18n.bound(lambda: downloads.geojson_bytes(db, spec, made_on))
    return i18n.bound(lambda: downloads.csv_bytes(db, spec, table, made_on))


def file_button(label: str, make: Callable[[], bytes], file_name: str, key: str,
                where=st) -> None:
    """A download button whose bytes are made on click (a brief, a workbook)."""
    ext = file_name.rsplit(".", 1)[-1]
    where.download_button(label, data=i18n.bound(make), file_name=file_name, mime=downloads.MIME.get(ext),
                          key=key, on_click="ignore", icon=":material/download:")


def base_url() -> str:
    """The address this app is served at (for links and iframe snippets)."""
    try:
        url = st.context.url or ""
    except Exception:  # no browser session (AppTest, scripts)
        url = ""
    parts = urlsplit(url)
    if not parts.scheme:
        return "http://localhost:8501"
    return f"{parts.scheme}://{parts.netloc}"


def page_style() -> None:
    """The page's CSS, for the screen and for print; once per run, from app.py (`styles`)."""
    st.html(styles.page_css())


# Streamlit refuses a file of the wrong type or size in the browser, in English, before the
# page sees it: the uploader takes any file up to this many times the page's limit, and the
# page's own check says what is wrong with it in the reader's language.
UPLOAD_CEILING = 5


def file_uploader(label: str, types: tuple[str, ...], key: str, max_mb: int):
    """`st.file_uploader` of one file, its button and limit ("At most 2 MB per file ·
    GEOJSON, JSON") in the reader's language; the caller checks the file's type and size
    (up to UPLOAD_CEILING × `max_mb` MB reach it)."""
    st.html(styles.uploader_css(key, max_mb, types))
    return st.file_uploader(label, key=key, max_upload_size=max_mb * UPLOAD_CEILING)


def copy_link() -> None:
    """A visible "Copy link" (top right): the address holds the view, so the link reopens
    it. Our own fixed HTML and script, never a visitor's text."""
    st.html(styles.copy_link_html(), unsafe_allow_javascript=True)


def page_url(path: str = "") -> str:
    """The address of the page the visitor is on (with its view); `base_url()/path` when no
    browser session says it."""
    try:
        url = st.context.url or ""
    except Exception:  # no browser session (AppTest, scripts)
        url = ""
    if not urlsplit(url).scheme:
        return f"{base_url()}/{path}".rstrip("/")
    query = urlencode({k: st.query_params.get(k) for k in st.query_params})
    return url.split("?", 1)[0] + (f"?{query}" if query else "")


def missing(sentence: str) -> None:
    """An empty state: one sentence saying what is missing (and what would fill it)."""
    st.info(sentence, icon=":material/info:")


def demo_banner(info: dict[str, str]) -> None:
    """Say plainly, on every page, when the numbers are synthetic."""
    if info.get("is_demo") == "true":
        note = _(info.get("demo_note") or "Every number here is synthetic.")
        st.info(_("**Demo city.** {note} Build a real city with "
                  "`python -m data_pipeline build --city chicago`.").format(note=note),
                icon=":material/science:")


def database() -> dbmod.Database:
    """The database app.py opened for this run of the page."""
    leave_pages_directory_mode()
    if "database" not in st.session_state:
        st.session_state["database"] = current_database()
    return st.session_state["database"]


def leave_pages_directory_mode() -> None:
    """Rerun through app.py when Streamlit ran a page file on its own: a workaround that
    sets Streamlit's private `PagesManager.uses_pages_directory` (kept here and nowhere else).

    For Streamlit 1.36 (`st.navigation`) up to the version in requirements.txt (1.67.0, where
    it was checked). On a fresh server, until some run has called `st.navigation`, Streamlit
    treats the `pages/` folder as an old-style multipage app and runs `pages/<x>.py` directly
    for a deep link such as `/map`, skipping app.py's frame and error boundary. The first
    page that notices switches Streamlit to `st.navigation` mode and reruns the same URL.
    No supported setting turns that mode off while the folder is named `pages/`.
    tests/test_streamlit_workaround.py fails when an upgrade renames the flag or makes the
    workaround unneeded; without the flag this does nothing."""
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a later Streamlit without the old mode: nothing to do
        return
    if getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False
        st.rerun()


def page_link(url_path: str, label: str, params: dict[str, str] | None = None, where=st,
              icon: str | None = None) -> None:
    """A link to the registered page at /<url_path> (`registry.page`: its file, and its
    icon unless `icon` says another), with the query `params` (`link_params`)."""
    spec = registry.page(url_path)
    if i18n.language() != i18n.DEFAULT:
        params = {LANG_KEY: i18n.language(), **(params or {})}
    where.page_link(spec.path, label=label, icon=icon or spec.icon, query_params=params)


def switch_page(url_path: str, params: dict[str, str] | None = None) -> None:
    """Open the registered page at /<url_path> now, with the query `params`."""
    if i18n.language() != i18n.DEFAULT:
        params = {LANG_KEY: i18n.language(), **(params or {})}
    st.switch_page(registry.page(url_path).path, query_params=params)


def link_params(**params) -> dict[str, str]:
    """Query parameters for a link to another page: the city, then the page's own keys."""
    memory = _memory()
    kept = {key: memory[key] for key in ("city", LAYER_KEY, LANG_KEY) if memory.get(key)}
    if kept.get(LANG_KEY) == i18n.DEFAULT:
        del kept[LANG_KEY]
    if kept.get(LAYER_KEY) == dbmod.FIRST_LAYER:
        del kept[LAYER_KEY]
    return {**kept, **{k: str(v) for k, v in params.items()}}


def neighborhood_picker(db: dbmod.Database, label: str | None = None,
                        where=st) -> tuple[str, str]:
    """The neighborhood of URL key `n` (shared by the profile, jobs and diversity pages):
    its id and name. Labelled by the areas shown ("Neighborhood", "Ward") unless `label`."""
    hoods = queries.areas(db, "neighborhood")
    names = dict(zip(hoods["geo_id"], hoods["name"]))
    label = _(label) if label else i18n.areas(capital=True)
    chosen = url_select(label, list(names), "n", next(iter(names)), where=where,
                        format_func=names.get)
    return chosen, names[chosen]


def remembered(key: str) -> str | None:
    """The value URL key `key` last had in this session (on any page), if any."""
    return st.query_params.get(key) or _memory().get(key)


# --- Maps: the width of their frame, the chosen neighborhood, finding a place -------------

_WIDTH_JS = """
export default function(component) {
  const { parentElement, setStateValue, data } = component;
  const host = parentElement.host || parentElement;
  const report = () => {
    const width = Math.floor(host.getBoundingClientRect().width / 10) * 10;
    const value = width > 0 && width < data.widest ? width : null;
    if (value !== (host.atlasSent ?? null)) {
      host.atlasSent = value;
      setStateValue("width", value);
    }
  };
  report();
  const observer = new ResizeObserver(report);
  observer.observe(host);
  return () => observer.disconnect();
}
"""
_width_probe = st.components.v2.component("atlas_map_width", js=_WIDTH_JS,
                                          css=":host {display: block; height: 0;}")


def map_width(widest: int, key: str = "map_width") -> int:
    """The width in pixels of the column this is called in (where a map goes), as the
    browser measured it; `widest` until it is measured or when the column is wider (a
    desktop), so that only a narrow screen (a phone) reruns the page once to fit its map."""
    result = _width_probe(key=key, data={"widest": widest}, on_width_change=lambda: None)
    width = getattr(result, "width", None) if result is not None else None
    return int(width) if isinstance(width, (int, float)) and 200 <= width < widest else widest


NO_AREA = ""   # the map's neighborhood picker: none chosen (nothing outlined)


def optional_neighborhood(db: dbmod.Database, label: str = N_("Outline a {area}"),
                          where=st) -> str | None:
    """A neighborhood to outline, URL key `n` like the profile's (a link or the session's
    last one preselects it), or none: then `n` leaves the URL."""
    hoods = queries.areas(db, "neighborhood")
    names = {NO_AREA: _("None"), **dict(zip(hoods["geo_id"], hoods["name"]))}
    chosen = url_select(_(label).format(area=i18n.areas()), list(names), "n", NO_AREA,
                        where=where, format_func=names.get)
    if chosen == NO_AREA and "n" in st.query_params:
        del st.query_params["n"]
    return chosen or None


@st.cache_data(show_spinner=False, max_entries=512, ttl=3600)
def _search(path: str, mtime: float, text: str, lang: str) -> find.Result:
    db = _open(path, mtime)
    with i18n.using(lang), i18n.using_areas(*db.areas()):   # its sentences: in the language
        return find.search(db, text)                          # asked in, naming its areas


def find_box(db: dbmod.Database, where=st, key: str = "find") -> find.Result | None:
    """"Find my neighborhood": a street address or a place name. A neighborhood found
    becomes the page's `n` (the profile opens it, a map outlines it); below the box, one
    sentence says what was found or why nothing was."""
    def searched() -> None:
        text = st.session_state.get(f"w_{key}") or ""
        # a callback runs before app.py has set this run's language: ask for it here
        result = (_search(str(db.path), db.path.stat().st_mtime, text, _language_now())
                  if text.strip() else None)
        st.session_state[f"{key}_result"] = result
        if result is not None and result.found:
            st.session_state["w_n"] = result.geo_id
            _remember("n", result.geo_id)

    where.text_input(_("Find my {area}").format(area=i18n.areas()), key=f"w_{key}",
                     on_change=searched,
                     placeholder=_("A street address or a {area}'s name").format(
                         area=i18n.areas()),
                     help=_("An address of the city's business registry or any street address "
                            "(online, the US Census Geocoder places it), or a {area}'s "
                            "name.").format(area=i18n.areas()))
    result = st.session_state.get(f"{key}_result")
    if result is not None:
        text = _markdown_text(result.sentence())
        if result.found:
            where.success(text, icon=":material/location_on:")
        else:
            where.info(text, icon=":material/search_off:")
    return result


def _markdown_text(text: str) -> str:
    """Text shown exactly as written where Markdown is rendered (a query may hold * or [)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|~<>$:])", r"\\\1", text)
