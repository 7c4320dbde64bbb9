"""Map explorer: any figure by neighborhood or tract, a year at a time, with its ranking.

The map comes first (on a phone, right after the title); its controls, "Find my
neighborhood" and the ranking sit beside it (below it on a phone)."""
import streamlit as st

from dashboard import catalog, classify, downloads, downturn, explorer, frame, maps, mix, queries
from dashboard.formatting import grey_note
from dashboard.wording import level_nouns
from core import metrics
from core import i18n
from core.i18n import _

db = frame.database()
threshold = queries.suppression_threshold(db)
st.title(_("Map explorer"))

levels = queries.geo_levels(db)
if not levels:
    frame.missing(_("This database has no published figures to map yet: it needs at least "
                    "the business registry and the boundaries of the {areas}.").format(
                       areas=i18n.areas(plural=True)))
    st.stop()

left, right = st.columns([5, 3])   # the map first, the controls beside (below on a phone)
with right:
    metric_box, category_box, level_box = st.container(), st.container(), st.container()
    start = explorer.DEFAULTS
    level = frame.url_select(_("Areas"), levels, "level", start.level, where=level_box,
                             widget="radio", format_func=lambda v: level_nouns(v)[1].capitalize(),
                             hide_if_single=True)
    kinds = mix.categories(db, geo_level=level)
    category = frame.url_select(_("Business category"), [mix.ALL, *kinds], "category",
                                start.category, where=category_box, known=mix.categories(db),
                                format_func=lambda c: _("All categories") if c == mix.ALL else _(c),
                                help=None if kinds else _("Business categories are counted by "
                                                          "{area} only.").format(
                                                              area=i18n.areas()))
    gaps = catalog.gaps(db)
    if gaps:
        st.caption(" ".join(gaps))
    choices = explorer.metric_choices(db, level, category)
    if not choices:
        frame.missing(_("No figure has published values by {level} in this database.").format(
            level=level_nouns(level)[0]))
        st.stop()
    metric_id = frame.url_select(_("Figure"), choices, "metric", explorer.default_metric(choices),
                                 where=metric_box, format_func=lambda m: metrics.get(m).label,
                                 known=list(metrics.REGISTRY))
    metric = metrics.get(metric_id)
    years = explorer.years(db, metric_id, level, category)
    if not years:
        frame.missing(_("“{figure}” has no published values by {level} in this database.").format(
            figure=metric.label, level=level_nouns(level)[0]))
        st.stop()
    year = frame.url_select(_("Year"), years, "year", years[-1], widget="select_slider",
                            hide_if_single=True)
    row = st.columns([3, 2])
    scheme = frame.url_select(_("Colour classes"), list(classify.SCHEMES), "classes",
                              start.classes, where=row[0],
                              format_func=lambda c: _(classify.SCHEMES[c]))
    k = frame.url_select(_("Number of classes"), list(classify.CLASS_COUNTS), "k", start.k,
                         where=row[1])
    frame.find_box(db)
    hood = frame.optional_neighborhood(db)
base = frame.url_select(_("Base map"), list(maps.BASE_MAPS), "base", "none", where=st.sidebar,
                        widget="radio", help=_("Streets need an internet connection; without "
                                               "one the map shows the areas only."),
                        format_func=lambda b: {"none": _("Areas only"), "streets": _("Streets")}[b])

hoods = queries.areas(db).set_index("geo_id")["name"].to_dict()
data = explorer.values(db, metric_id, year, level, category)
title = explorer.title(metric, category)
when = downturn.year_words(metric, year)     # '' for a downturn figure: its label says when
chosen_category = None if category == mix.ALL else category
map_download = downloads.Download(
    title, (metric_id,), year if when else None,
    subtitle=_("by {level}").format(level=level_nouns(level)[0])
    + ("" if when else _(", the 2020 downturn")),
    data=downloads.area_data(data, metric_id, year),
    filters=(("year", year), ("level", level), ("category", category)),
    geo=(metric_id, year, level, chosen_category),
    extra_kinds=("neighborhoods",) if level == "neighborhood" else ("tracts",))
view_params = {"metric": metric_id, "year": year, "level": level, "category": category,
               "classes": scheme, "k": k, **({"n": hood} if hood else {})}

with left:
    st.markdown(_("**{title}**, by {level}.").format(
        title=f"{title}, {when}" if when else title, level=level_nouns(level)[0]))
    view = maps.MapView(metric, level, scheme, k, threshold, base, title,
                        width_px=frame.map_width(maps.WIDTH_PX))
    outline = maps.feature(frame.shapes(db, "neighborhood"), hood)
    figure, legend = maps.choropleth(data, frame.shapes(db, level), view, outline)
    event = frame.chart(figure, legend[["range", "areas"]].rename(
        columns={"range": _("Colour class"), "areas": _("Areas")}), key="map", on_select=True,
        download=map_download, embed=frame.link_params(chart="map", **view_params),
        preview=maps.preview_html(figure, frame.shapes(db, level), view.width_px))
    outlined = _("{name} is outlined in black. ").format(name=hoods[hood]) if hood else ""
    st.markdown(metric.description)
    st.caption(outlined + _("Click an area to open its profile. Classes: {classes}.").format(
        classes=_(classify.SCHEMES[scheme]).lower()) + " " + grey_note(threshold))
with right:
    if hood:
        frame.page_link("profile", _("Open the profile of {name}").format(name=hoods[hood]),
                        frame.link_params(n=hood))
    st.markdown(explorer.extremes_text(data, metric, level))
    disclosed = explorer.disclosure_text(data, level, threshold, metric)
    if disclosed:
        st.caption(disclosed)
    found = explorer.extremes(data)
    for label, row in zip((_("highest"), _("lowest")), found or ()):
        target = explorer.profile_target(db, row["geo_id"], level)
        if target:
            frame.page_link("profile", _("Profile of the {which}: {name}").format(
                which=label, name=hoods[target]),
                            frame.link_params(n=target))
    table = explorer.ranking(data, metric, threshold)
    st.dataframe(table, hide_index=True, height=380, width="stretch")

clicked = explorer.clicked_area(event)
target = explorer.profile_target(db, clicked, level) if clicked else None
if target:
    frame.switch_page("profile", frame.link_params(n=target))
if metric.caveat:
    with st.expander(_("About this figure")):
        st.write(metric.caveat)
