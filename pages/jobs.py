"""Job creation: jobs over time for the city and a neighborhood, jobs at small and young
firms, where jobs grew and shrank, and openings and closures beside them."""
import streamlit as st

from dashboard import bars, charts, downloads, explorer, frame, maps, mix, queries
from core import i18n, metrics
from core.i18n import _

SHARES = ["jobs_small_firms_share", "jobs_young_firms_share"]
FLOWS = ["formations", "closures"]

db = frame.database()
threshold = queries.suppression_threshold(db)
st.title(_("Job creation"))
if "jobs_total" not in queries.metric_ids(db):
    frame.missing(_("No jobs figures in this database: they come from LEHD LODES workplace "
                  "data (or the demo city), which this build did not load."))
    st.stop()

controls = st.columns([3, 4])
with controls[0]:
    hood, name = frame.neighborhood_picker(db)
change_years = queries.metric_years(db, "jobs_change")
series = queries.area_series(db, [*metrics.JOBS_TRIO, *SHARES, *FLOWS], [hood])
present = [metrics.get(m) for m in metrics.JOBS_TRIO if (series["metric_id"] == m).any()]
st.caption(_(metrics.LODES_CAVEAT))

st.header(_("Jobs over time"))
left, right = st.columns(2)
for column, place, label in ((left, "city", _("the city")), (right, hood, name)):
    with column:
        figure, table = charts.several_lines(series, present, threshold, place, y_title=_("jobs"),
                                             title=_("Jobs in {label}").format(label=label))
        ids = [m.id for m in present]
        frame.chart(figure, table, key=f"jobs_{'city' if place == 'city' else 'hood'}",
                    download=downloads.Download(_("Jobs in {label}").format(label=label), tuple(ids),
                                                data=downloads.series_data(series, ids, [place])))

shares = [metrics.get(m) for m in SHARES if (series["metric_id"] == m).any()]
if shares:
    st.header(_("Small-firm and young-firm jobs: their share of private jobs"))
    for column, metric in zip(st.columns(len(shares)), shares):
        with column:
            figure, table = charts.area_trend(series, metric, threshold,
                                              title=_("{label}: {name} and the city").format(label=metric.label, name=name))
            frame.chart(figure, table, key=f"share_{metric.id}", download=downloads.Download(
                _("{label}: {name} and the city").format(label=metric.label, name=name), (metric.id,),
                data=downloads.series_data(series, [metric.id], [hood, "city"])))
else:
    frame.missing(_("No firm-size or firm-age figures: LODES has them only for private jobs "
                  "(the JT02 file) and only from 2011."))

st.header(_("Where jobs grew and shrank"))
if change_years:
    with controls[1]:
        year = frame.url_select(_("Year (change from the year before)"), change_years, "year",
                                change_years[-1], widget="select_slider")
    change = metrics.get("jobs_change")
    data = queries.metric_by_area(db, "jobs_change", year)
    left, right = st.columns([3, 2])
    with left:
        shapes = frame.shapes(db, "neighborhood")
        figure = maps.change_map(data, shapes, change, threshold,
                                 outline=maps.feature(shapes, hood),
                                 width_px=frame.map_width(maps.WIDTH_PX))
        table = explorer.ranking(data, change, threshold)
        frame.chart(figure, table, key="change_map", download=downloads.Download(
            _("{figure}, {start} to {year}").format(figure=change.label, start=year - 1, year=year),
            ("jobs_change",), year,
            what=change.label, subtitle=_("by {level}").format(level=i18n.areas()),
            data=downloads.area_data(data, "jobs_change", year),
            geo=("jobs_change", year, "neighborhood", None), extra_kinds=("neighborhoods",)))
    with right:
        figure, table = bars.gains_and_losses(data, change, threshold,
                                              title=_("Gained and lost most, {start} to {year}").format(start=year - 1, year=year))
        frame.chart(figure, table, key="gains", download=downloads.Download(
            _("Gained and lost most jobs, {start} to {year}").format(start=year - 1, year=year), ("jobs_change",), year,
            what=_("jobs gained and lost"), data=downloads.area_data(data, "jobs_change", year)))
else:
    frame.missing(_("No year-over-year change yet: it needs jobs for two consecutive years."))

st.header(_("{name}: openings and closures beside jobs").format(name=name))
left, right = st.columns(2)
with left:
    figure, table = charts.flows(series, threshold, hood, metrics.get("formations"),
                                 metrics.get("closures"), title=_("Businesses opened (up) and closed (down)"))
    frame.chart(figure, table, key="flows", download=downloads.Download(
        _("{name}: businesses opened and closed").format(name=name), tuple(FLOWS),
        data=downloads.series_data(series, FLOWS, [hood])))
with right:
    sector_years = mix.jobs_years(db)
    if sector_years:
        by_sector = mix.hide_small(mix.jobs_by_sector(db, hood, sector_years[-1]), "jobs", threshold)
        figure, table = bars.sectors(by_sector, threshold,
                                     title=_("Jobs by industry, {value}").format(value=sector_years[-1]))
        frame.chart(figure, table, key="sectors", download=downloads.Download(
            _("Jobs by industry in {name}").format(name=name), ("jobs_total",), sector_years[-1],
            data=by_sector))
    else:
        frame.missing(_("No jobs by industry in this database."))
