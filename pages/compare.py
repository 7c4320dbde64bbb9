"""Compare neighborhoods: two to four side by side on the same scales, the city as a
dashed reference line."""
import pandas as pd
import streamlit as st

from dashboard import bars, cards, charts, downloads, downturn, frame, mix, queries, theme
from dashboard.explorer import default_metric
from core import i18n, metrics
from core.i18n import _

PANELS = ["micro_per_1k_residents", "businesses_per_1k_residents", "formations_per_100_active",
          "closures_per_100_active", "survival_3y", "jobs_small_firms_share",
          "effective_categories"]

db = frame.database()
threshold = queries.suppression_threshold(db)
st.title(_("Compare {areas}").format(areas=i18n.areas(plural=True)))
hoods = queries.areas(db)
names = dict(zip(hoods["geo_id"], hoods["name"]))
if len(names) < 2:
    frame.missing(_("This city has fewer than two {areas}, so there is nothing to compare.").format(
        areas=i18n.areas(plural=True)))
    st.stop()

start = frame.remembered("n")
nearby = frame.neighbors(db).get(start, []) if start in names else []
default = [start, nearby[0]] if nearby else list(names)[:2]
chosen = frame.url_multiselect(_("{areas} (two to four)").format(
    areas=i18n.areas(plural=True, capital=True)), list(names), "compare", default,
                               format_func=names.get, min_count=2, max_count=4)
if len(chosen) < 2:
    frame.missing(_("Pick at least two {areas} to compare.").format(areas=i18n.areas(plural=True)))
    st.stop()

shown = {g: names[g] for g in chosen}
colours = theme.area_colours(chosen, list(names))    # a neighborhood keeps its colour
present = set(queries.metric_ids(db))
panels = [metrics.get(m) for m in PANELS if m in present]
profile = pd.concat([queries.area_profile(db, g, [m.id for m in panels]).assign(geo_id=g)
                     for g in chosen])
st.header(_("Side by side, each figure's latest year"))
figure, table = bars.side_by_side(profile, panels, shown, threshold, colours)
frame.chart(figure, table, key="panels", download=downloads.Download(
    _("{areas} side by side").format(areas=i18n.areas(plural=True, capital=True)), tuple(m.id for m in panels),
    what=_("compare") + " " + " ".join(shown.values()),
    data=downloads.profile_data(profile)))
st.caption(_("Each panel names its year: survival follows the businesses that opened in one "
             "year until it is over, and jobs come a year or two behind the registry. Dashed "
             "line: the city as a whole. Each panel has one scale for every {area}.").format(
               area=i18n.areas())
           + " " + cards.definitions([m.id for m in panels]))

fell = [metrics.get(m) for m in downturn.key_figures() if m in present]
if fell:
    st.header(_("The 2020 downturn"))
    hit = pd.concat([queries.area_profile(db, g, [m.id for m in fell]).assign(geo_id=g)
                     for g in chosen])
    figure, table = bars.side_by_side(hit, fell, shown, threshold, colours)
    frame.chart(figure, table, key="downturn", download=downloads.Download(
        _("The 2020 downturn, side by side"), tuple(m.id for m in fell),
        what=_("downturn") + " " + " ".join(shown.values()), data=downloads.profile_data(hit)))
    st.caption(_(metrics.DOWNTURN_CAVEAT) + " " + _("Dashed line: the city as a whole.") + " "
               + cards.definitions([m.id for m in fell]))

st.header(_("Over the years"))
# Figures with a value for one year only (the downturn, filed under 2019) make no line.
choices = [m for m in metrics.LONG_METRICS if m in present and metrics.get(m).group != metrics.RESILIENCE]
metric_id = frame.url_select(_("Figure"), choices, "metric", default_metric(choices),
                             format_func=lambda m: metrics.get(m).label,
                             known=list(metrics.REGISTRY))
metric = metrics.get(metric_id)
series = queries.area_series(db, [metric_id], chosen)
figure, table = charts.area_trend(series, metric, threshold, title=metric.label, order=chosen,
                                  colours=colours)
frame.chart(figure, table, key="trend", download=downloads.Download(
    metric.label, (metric_id,), subtitle=", ".join(shown.values()),
    data=downloads.series_data(series, [metric_id])))
if metric.kind == "count":
    st.caption(_("The city's total is left out here: it would dwarf a single {area}.").format(
        area=i18n.areas()))

st.header(_("Mix of businesses"))
years = mix.category_years(db) if queries.has_rows(db, "category_counts") else []
if years:
    shares = mix.category_mix(db, chosen, years[-1])
    figure, table = bars.category_mix(shares, {**shown, "city": _("City")}, threshold,
                                      title=_("Share of businesses by kind, {value}").format(value=years[-1]),
                                      colours=colours)
    frame.chart(figure, table, key="mix", download=downloads.Download(
        _("Share of businesses by kind, {value}").format(value=years[-1]), ("category_count",), years[-1],
        what=_("business mix") + " " + " ".join(shown.values()),
        data=downloads.without(shares, "city_share")))
else:
    frame.missing(_("No business categories in this database: the registry gave none."))
for geo_id in chosen:
    frame.page_link("profile", _("Open the profile of {name}").format(name=names[geo_id]), frame.link_params(n=geo_id))
