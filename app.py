"""Main Street Atlas — the Streamlit entry: router, shared frame and error boundary."""
from __future__ import annotations

import logging

import streamlit as st

from dashboard import frame, registry, views
from dashboard.registry import EMBED, PAGES, page
from core.errors import PipelineError
from core.i18n import _

log = logging.getLogger("atlas")

st.set_page_config(page_title="Main Street Atlas", page_icon=":material/storefront:",
                   layout="wide")
frame.start_language()    # before any word is written: ?lang=, the switch, the session's
frame.start_areas()       # … and the areas' nouns (?layer=): the titles name them
navigation = st.navigation([
    *[st.Page(spec.path, title=registry.title(spec), icon=spec.icon, url_path=spec.url_path,
              default=(i == 0)) for i, spec in enumerate(PAGES)],
    st.Page(EMBED.path, title=_(EMBED.title), icon=EMBED.icon, url_path=EMBED.url_path,
            visibility="hidden"),
])
# Presentation mode and the embed page show their content alone: no sidebar, no banner
# (they say that the demo city is synthetic in their own footer).
alone = navigation.url_path == EMBED.url_path or (
    navigation.url_path == page("profile").url_path and views.is_presenting())
if alone:
    st.set_page_config(initial_sidebar_state="collapsed")

frame.page_style()
try:
    if not alone:
        frame.copy_link()
        st.sidebar.markdown("### Main Street Atlas")
        frame.language_switch()
    database = frame.current_database(switch=not alone)
    st.session_state["database"] = database
    if not alone:
        frame.demo_banner(database.info())
    navigation.run()
except PipelineError as error:
    st.error(str(error), icon=":material/error:")
except Exception:  # the error boundary: a sentence on the page, the details in the log
    log.exception("page %s failed", navigation.title)
    st.error(_("Something went wrong while drawing this page. The details were written to "
               "the server log; try another view, or reload the page."), icon=":material/error:")
