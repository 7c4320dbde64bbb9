"""Map explorer: one metric by neighborhood, a year at a time."""
import streamlit as st

from dashboard import frame, maps, queries
from data_pipeline import metrics

METRIC = "micro_per_1k_residents"

db = frame.database()
threshold = queries.suppression_threshold(db)
spec = metrics.get(METRIC)
st.title("Map explorer")

years = queries.metric_years(db, METRIC)
if not years:
    st.info(f"No {spec.label.lower()} in this database: it needs the business registry and "
            "census population (ACS).")
    st.stop()
year = frame.url_select("Year", years, "year", years[-1], widget="select_slider")
data = queries.metric_by_area(db, METRIC, year)
figure = maps.choropleth(data, frame.shapes(db, "neighborhood"), spec.label, spec.format,
                         threshold)
st.caption(f"{spec.label}, {year}. {spec.description}")
st.plotly_chart(figure, width="stretch", key="map")
with st.expander("Data table"):
    st.dataframe(data[["name", "value", "numerator", "rank"]].rename(columns={
        "name": "Neighborhood", "value": spec.label, "numerator": "Count", "rank": "Rank"}),
        hide_index=True)
