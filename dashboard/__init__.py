"""Shared dashboard code: queries over the marts, chart and map builders, URL state.

Modules here import no Streamlit except `dashboard.frame` and `dashboard.session`,
which hold the Streamlit glue; everything else can be tested alone.
"""
