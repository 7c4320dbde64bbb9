"""Capital & red tape: the loans that reached a neighborhood's businesses (SBA 7(a) and 504,
PPP) beside the city's, a map of a loan figure by neighborhood, and how long the city took
to issue a licence, where its registry says."""
import streamlit as st

from dashboard import capital, downloads, explorer, frame, maps, queries
from dashboard.formatting import grey_note
from core import metrics
from core import i18n
from core.i18n import _

# The ranking's narrow columns small, so its notes ("low count (under 20)") read whole.
RANKING_COLUMNS = {"Rank": st.column_config.TextColumn(width="small"),
                   "Value": st.column_config.TextColumn(width="small")}
RANKING_COLUMNS.update({_(k): v for k, v in RANKING_COLUMNS.items()})

db = frame.database()
threshold = queries.suppression_threshold(db)
city = db.info().get("city_name") or _("this city")   # translated by db.info
unavailable = queries.not_available(db)
present = set(queries.metric_ids(db))
st.title(_("Capital & red tape"))
st.markdown(_("Loans that reached the businesses of a {area}, set beside the city's, and "
            "how long a licence took to come through. A loan counts where its borrower's "
            "address is when the city's addresses are geocoded; otherwise by the borrower's "
            "ZIP code, split over the {areas} by where the ZIP's registered businesses "
            "are.").format(area=i18n.areas(), areas=i18n.areas(plural=True)))

top = st.columns([3, 4])
hood, name = frame.neighborhood_picker(db, where=top[0])
sections = capital.sections(present)
for sentence in capital.program_gaps(present, unavailable, city):
    frame.missing(sentence)

series = queries.area_series(db, [m.id for s in sections for m in s.figures], [hood])
for section in sections:
    st.header(section.title)
    for column, metric in zip(st.columns(len(section.figures)), section.figures):
        where = _("{name} and the city").format(name=name) if section.with_city else name
        title = f"{metric.label}: {where}"
        places = [hood, "city"] if section.with_city else [hood]
        figure, table = capital.trend(series, metric, threshold, hood, section.with_city,
                                      title=title)
        notes = [capital.own_caveat(metric)]
        if capital.has_low_count(series[series["geo_id"].isin(places)], metric):
            notes.append(_(capital.LOW_COUNT_MARK))
        with column:
            frame.chart(figure, table, key=f"trend_{metric.id}", caption=" ".join(notes),
                        download=downloads.Download(
                            title, (metric.id,), what=f"{name} {metric.label}",  # a file name
                            data=downloads.series_data(series, [metric.id], places)),
                        embed=frame.link_params(chart="trend", metric=metric.id, n=hood))
if sections:
    st.caption(_(metrics.REGISTRY_CAVEAT) + " "
               + _("A gap in a line means there is no figure for that year."))

def by_category(hood: str, name: str) -> bool:
    """Median and 90th-percentile days, and the share over 30 days, by kind of business for
    the city or the neighborhood in a year (`processing_by_category`); False when the
    registry dates no applications."""
    city_rows = queries.processing_by_category(db)
    if city_rows.empty:
        return False
    st.subheader(_("By kind of business"))
    controls = st.columns([3, 4])
    if st.session_state.get("red_tape_place") not in (None, "city", hood):
        st.session_state["red_tape_place"] = hood     # another neighborhood picked above
    place = controls[0].radio(_("Applications of"), ["city", hood], horizontal=True,
                              key="red_tape_place",
                              format_func=i18n.bound(lambda g: _("the whole city") if g == "city"
                                                     else name))
    years = sorted(city_rows["year"].unique().tolist())
    year = (controls[1].select_slider(_("Year of issue"), years, value=years[-1],
                                      key="red_tape_year") if len(years) > 1 else years[0])
    rows = capital.category_year(city_rows if place == "city" else
                                 queries.processing_by_category(db, hood), year)
    where = city if place == "city" else name
    caption = capital.category_caption(rows, year)
    for column, (figures, words, key) in zip(st.columns(2), (
            (capital.DAYS, _("Days from application to licence"), "days"),
            (capital.OVER_30, _("Licences that took more than 30 days"), "over_30"))):
        title = _("{words} by kind of business: {where}, {year}").format(words=words, where=where, year=year)
        figure, table = capital.category_bars(rows, figures, threshold, title=title)
        with column:
            frame.chart(figure, table, key=f"category_{key}", caption=caption,
                        download=downloads.Download(
                            title, figures, year, what=_("{where} {words} by kind of business").format(where=where, words=words),
                            subtitle=_("by kind of business"),
                            data=capital.category_data(rows, figures),
                            filters=(("area", where), ("year", str(year)))))
    return True


st.header(_("Red tape: how long a licence takes"))
red = capital.red_tape_metrics()
shown = capital.red_tape_charts(present)
if shown:
    red_series = queries.area_series(db, [m.id for m in shown], [hood])
    for i, metric in enumerate(shown):
        if i % 2 == 0:     # rows of two, in the registry's order (a phone: one under another)
            columns = st.columns(2)
        title = _("{label}: {name} and the city").format(label=metric.label, name=name)
        figure, table = capital.trend(red_series, metric, threshold, hood, title=title)
        low = _(capital.LOW_COUNT_MARK) if capital.has_low_count(red_series, metric) else None
        with columns[i % 2]:
            frame.chart(figure, table, key=f"trend_{metric.id}", caption=low,
                        download=downloads.Download(
                            title, (metric.id,), what=f"{name} {metric.label}",
                            data=downloads.series_data(red_series, [metric.id], [hood, "city"])),
                        embed=frame.link_params(chart="trend", metric=metric.id, n=hood))
if by_category(hood, name) or shown:
    st.caption(capital.own_caveat(metrics.get("processing_days_median")))   # said once
for sentence in capital.missing_sentences(red, present, unavailable, city,
                                          what=capital.RED_TAPE_WORDS):
    frame.missing(sentence)
if not red:
    frame.missing(capital.red_tape_gap(city))

choices = capital.map_choices(present)
if choices:
    st.header(_("By {level}").format(level=i18n.areas()))
    controls = st.columns([3, 2])
    ranked = {m: queries.metric_by_area(db, m, queries.metric_years(db, m)[-1])["rank"].notna()
              .sum() for m in choices if metrics.get(m).kind == "rate"}
    metric_id = frame.url_select(_("Figure on the map"), choices, "metric",
                                 capital.default_map_figure(ranked, choices),
                                 where=controls[0], format_func=lambda m: metrics.get(m).label,
                                 known=list(metrics.REGISTRY))
    metric = metrics.get(metric_id)
    years = queries.metric_years(db, metric_id)
    year = frame.url_select(_("Year"), years, "year", years[-1], where=controls[1],
                            widget="select_slider")
    data = queries.metric_by_area(db, metric_id, year)
    left, right = st.columns([3, 2])
    with left:
        st.markdown(_("**{title}**, by {level}.").format(title=f"{metric.label}, {year}",
                                                          level=i18n.areas()))
        view = maps.MapView(metric, "neighborhood", threshold=threshold,
                            width_px=frame.map_width(maps.WIDTH_PX))
        shapes = frame.shapes(db, "neighborhood")
        figure, legend = maps.choropleth(data, shapes, view, maps.feature(shapes, hood))
        frame.chart(figure, legend[["range", "areas"]].rename(
            columns={"range": _("Colour class"), "areas": _("Areas")}), key="capital_map",
            caption=_("{name} is outlined in black. ").format(name=name) + grey_note(threshold)
            + f" {capital.own_caveat(metric)}",
            download=downloads.Download(
                metric.label, (metric_id,), year, subtitle=_("by {level}").format(level=i18n.areas()),
                data=downloads.area_data(data, metric_id, year),
                geo=(metric_id, year, "neighborhood", None), extra_kinds=("neighborhoods",)),
            embed=frame.link_params(chart="map", metric=metric_id, year=year, n=hood))
    with right:
        st.markdown(explorer.extremes_text(data, metric, "neighborhood"))
        disclosed = explorer.disclosure_text(data, "neighborhood", threshold, metric)
        if disclosed:
            st.caption(disclosed)
        st.dataframe(explorer.ranking(data, metric, threshold), hide_index=True, height=420,
                     width="stretch", column_config=RANKING_COLUMNS)
