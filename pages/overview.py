"""Overview: the city's headline figures, how they moved over the years, and where to go."""
import streamlit as st

from dashboard import cards, catalog, charts, downloads, frame, queries
from dashboard.formatting import as_sentence, format_value, not_available_text
from core import i18n, metrics
from core.i18n import _

TRENDS = ["formations", "closures", "active_businesses"]

db = frame.database()
info = db.info()
threshold = queries.suppression_threshold(db)
st.title(_("{city} at a glance").format(city=info.get("city_name") or _("City")))

latest = queries.latest_city_values(db, metrics.HEADLINE).set_index("metric_id")
unavailable = queries.not_available(db)
columns = st.columns(3)
for i, metric_id in enumerate(metrics.HEADLINE):
    spec = metrics.get(metric_id)
    with columns[i % 3]:
        if metric_id not in latest.index:
            st.metric(spec.label, _("not available"), help=spec.description)
            st.caption(as_sentence(not_available_text(info.get("city_name") or _("this city"),
                unavailable.get(metric_id, "the loaded data do not give it"))))
            continue
        row = latest.loc[metric_id]
        st.metric(f"{spec.label} ({int(row.year)})",  # a year reads the same in both
                  format_value(row.value, spec.format, bool(row.suppressed), threshold),
                  help=spec.description)

st.caption(cards.definitions(metrics.HEADLINE))
gaps = catalog.gaps(db)
if gaps:
    frame.missing(" ".join(gaps))

st.subheader(_("Where to start"))
frame.page_link("map", _("Which {areas} have the most and the fewest micro-businesses "
                  "per resident?").format(areas=i18n.areas(plural=True)),
                frame.link_params(metric="micro_per_1k_residents"))
frame.page_link("jobs", _("Where are jobs growing, and at small or young firms?"))
frame.page_link("diversity", _("Which {areas} have the most varied businesses?").format(
    areas=i18n.areas(plural=True)))
frame.page_link("methods", _("Where do these numbers come from?"))

series = queries.area_series(db, TRENDS, [])
if series.dropna(subset=["value"]).empty:
    frame.missing(_("No yearly figures in this database yet: they need the business registry."))
else:
    st.subheader(_("Openings, closures and active businesses by year"))
    left, right = st.columns(2)
    with left:
        figure, table = charts.flows(series, threshold, "city", metrics.get("formations"),
                                     metrics.get("closures"),
                                     title=_("Businesses opened (up) and closed (down)"))
        frame.chart(figure, table, key="city_flows", download=downloads.Download(
            _("Businesses opened and closed"), ("formations", "closures"),
            data=downloads.series_data(series, ["formations", "closures"])))
    with right:
        figure, table = charts.several_lines(series, [metrics.get("active_businesses")],
                                             threshold, "city", y_title=_("businesses"),
                                             title=_("Active businesses on 31 December"))
        frame.chart(figure, table, key="city_active", download=downloads.Download(
            _("Active businesses on 31 December"), ("active_businesses",),
            data=downloads.series_data(series, ["active_businesses"])))
