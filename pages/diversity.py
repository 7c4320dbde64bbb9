"""Diversity of offerings: how varied each neighborhood's businesses are, what a chosen
neighborhood has unusually much or little of, and variety against density."""
import pandas as pd
import streamlit as st

from dashboard import bars, downloads, frame, maps, mix, queries
from dashboard import explorer
from dashboard.explorer import ranking
from core import i18n, metrics
from core.i18n import _

INDEXES = ["shannon_diversity", "diversity_evenness", "effective_categories",
           "category_richness", "gini_simpson"]
DENSITIES = ["businesses_per_km2", "businesses_per_1k_residents"]

db = frame.database()
threshold = queries.suppression_threshold(db)
st.title(_("Diversity of offerings"))
available = [m for m in INDEXES if m in queries.metric_ids(db)]
if not available:
    frame.missing(_("No diversity figures in this database: they need businesses with a "
                  "known category, and the registry gave none."))
    st.stop()

top = st.columns([3, 3, 3])
metric_id = frame.url_select(_("Measure of variety"), available, "metric", available[0],
                             where=top[0], format_func=lambda m: metrics.get(m).label,
                             known=list(metrics.REGISTRY))
metric = metrics.get(metric_id)
years = queries.metric_years(db, metric_id)
with top[1]:
    hood, name = frame.neighborhood_picker(db)
year = frame.url_select(_("Year"), years, "year", years[-1], where=top[2], widget="select_slider")

st.header(f"{metric.label}, {year}")   # a label and a year read the same in both
st.markdown(metric.description)
with st.expander(_("How it is computed")):
    st.markdown(f"{metric.formula}\n\n{metric.caveat}")
data = queries.metric_by_area(db, metric_id, year)
left, right = st.columns([3, 2])
with left:
    view = maps.MapView(metric, "neighborhood", threshold=threshold,
                        width_px=frame.map_width(maps.WIDTH_PX))
    shapes = frame.shapes(db, "neighborhood")
    figure, legend = maps.choropleth(data, shapes, view, maps.feature(shapes, hood))
    frame.chart(figure, legend[["range", "areas"]].rename(
        columns={"range": _("Colour class"), "areas": _("Areas")}), key="diversity_map",
        download=downloads.Download(
            metric.label, (metric_id,), year, subtitle=_("by {level}").format(level=i18n.areas()),
            data=downloads.area_data(data, metric_id, year),
            geo=(metric_id, year, "neighborhood", None), extra_kinds=("neighborhoods",)),
        embed=frame.link_params(chart="map", metric=metric_id, year=year, n=hood))
    disclosed = explorer.disclosure_text(data, "neighborhood", threshold, metric)
    if disclosed:
        st.caption(disclosed)
with right:
    st.dataframe(ranking(data, metric, threshold), hide_index=True, height=520, width="stretch")

st.header(_("What {name} has, {year}").format(name=name, year=year))
if queries.has_rows(db, "category_counts"):
    left, right = st.columns(2)
    with left:
        shares = mix.category_mix(db, [hood], year)
        figure, table = bars.category_mix(shares, {hood: name, "city": _("City")}, threshold,
                                          title=_("Share of businesses by kind: {name} and the city").format(name=name))
        frame.chart(figure, table, key="mix", download=downloads.Download(
            _("Share of businesses by kind: {name} and the city").format(name=name), ("category_count",), year,
            what=_("{name} business mix").format(name=name), data=downloads.without(shares, "city_share")))
    with right:
        quotients = mix.location_quotients(db, hood, year)
        figure, table = bars.quotients(quotients, name, threshold,
                                       title=_("Unusually much (purple) or little (orange)"))
        frame.chart(figure, table, key="lq", download=downloads.Download(
            _("Kinds of business unusually common or rare in {name}").format(name=name), ("location_quotient",),
            year, what=_("{name} location quotients").format(name=name),
            data=downloads.without(quotients, "city_share")))
        st.caption(metrics.get("location_quotient").description)
else:
    frame.missing(_("No business categories in this database: the registry gave none."))

densities = [m for m in DENSITIES if m in queries.metric_ids(db) and year in queries.metric_years(db, m)]
st.header(_("Variety against density"))
if densities:
    density_id = frame.url_select(_("Density"), densities, "x", densities[0],
                                  format_func=lambda m: metrics.get(m).label, widget="radio")
    density = metrics.get(density_id)
    figure, table = bars.scatter(queries.metric_by_area(db, density_id, year), data, density,
                                 metric, highlight=hood, title=_("{figure} against {density}, "
                                                                 "{year}").format(
                                     figure=metric.label, density=density.label.lower(),
                                     year=year))
    points = [downloads.area_data(queries.metric_by_area(db, density_id, year), density_id, year),
              downloads.area_data(data, metric_id, year)]
    frame.chart(figure, table, key="scatter", download=downloads.Download(
        _("{figure} against {density}").format(figure=metric.label,
                                               density=density.label.lower()),
        (metric_id, density_id), year,
        data=pd.concat(points, ignore_index=True)))
    st.caption(_("Each dot is a {area} (its name on hover; the outlying ones are named "
                 "on the chart); {name} is orange. Withheld figures are left out.").format(
                     name=name, area=i18n.areas()))
else:
    frame.missing(_("No business density for {year} in this database.").format(year=year))
