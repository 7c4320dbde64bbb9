"""Overview: the city's headline figures and how they moved over the years."""
import streamlit as st

from dashboard import charts, frame, queries
from dashboard.formatting import format_value
from data_pipeline import metrics

HEADLINES = ["active_businesses", "micro_businesses", "micro_per_1k_residents",
             "formations", "closures", "jobs_total"]
TRENDS = ["formations", "closures", "active_businesses"]

db = frame.database()
info = db.info()
threshold = queries.suppression_threshold(db)
st.title(f"{info.get('city_name', 'City')} at a glance")

latest = queries.latest_city_values(db, HEADLINES).set_index("metric_id")
columns = st.columns(3)
for i, metric_id in enumerate(HEADLINES):
    spec = metrics.get(metric_id)
    with columns[i % 3]:
        if metric_id not in latest.index:
            st.metric(spec.label, "not available", help=spec.description)
            continue
        row = latest.loc[metric_id]
        st.metric(f"{spec.label} ({int(row.year)})",
                  format_value(row.value, spec.format, bool(row.suppressed), threshold),
                  help=spec.description)

series = queries.city_series(db, TRENDS)
if series.empty:
    st.info("No yearly figures in this database yet.")
else:
    st.subheader("Openings, closures and active businesses by year")
    figure = charts.city_trend(series, {m: metrics.get(m).label for m in TRENDS})
    st.plotly_chart(figure, width="stretch")
    with st.expander("Data table"):
        st.dataframe(charts.trend_table(series, {m: metrics.get(m).label for m in TRENDS}),
                     hide_index=True)
