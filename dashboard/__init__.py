"""Shared dashboard code: queries over the marts, chart and map builders, URL state.

Modules here import no Streamlit except `dashboard.frame` and `dashboard.session`,
which hold the Streamlit glue; everything else can be tested alone.
"""
import plotly.io as _pio

# Figures go to the browser as JSON on every rerun. Plotly's orjson path cleans every
# array first and measured 2–10× slower on a 2,000-area map than the standard library's
# encoder (benchmarks/RESULTS.md), so the standard encoder is used even where orjson is
# installed.
_pio.json.config.default_engine = "json"
