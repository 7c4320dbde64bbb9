"""Main Street Atlas data pipeline: fetch raw → transform → load into DuckDB → marts.

Never imports Streamlit or the dashboard.
"""
