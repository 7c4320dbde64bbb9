"""Main Street Atlas — the Streamlit entry: router, shared frame and error boundary."""
from __future__ import annotations

import logging

import streamlit as st

from dashboard import frame
from dashboard.registry import PAGES
from data_pipeline.errors import PipelineError

log = logging.getLogger("atlas")

st.set_page_config(page_title="Main Street Atlas", page_icon=":material/storefront:",
                   layout="wide")
navigation = st.navigation([
    st.Page(spec.path, title=spec.title, icon=spec.icon, url_path=spec.url_path,
            default=(i == 0))
    for i, spec in enumerate(PAGES)
])

try:
    st.sidebar.markdown("### Main Street Atlas")
    database = frame.current_database()
    st.session_state["database"] = database
    frame.demo_banner(database.info())
    navigation.run()
except PipelineError as error:
    st.error(str(error), icon=":material/error:")
except Exception:  # the error boundary: a sentence on the page, the details in the log
    log.exception("page %s failed", navigation.title)
    st.error("Something went wrong while drawing this page. The details were written to "
             "the server log; try another view, or reload the page.", icon=":material/error:")
