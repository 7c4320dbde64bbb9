"""Map explorer: any figure by neighborhood or tract, a year at a time, with its ranking."""
import streamlit as st

from dashboard import catalog, classify, downloads, explorer, frame, maps, mix, queries
from dashboard.formatting import grey_note
from dashboard.wording import LEVEL_NOUNS
from core import metrics

db = frame.database()
threshold = queries.suppression_threshold(db)
st.title("Map explorer")

levels = queries.geo_levels(db)
if not levels:
    frame.missing("This database has no published figures to map yet: it needs at least "
                  "the business registry and the neighborhood boundaries.")
    st.stop()

top = st.columns([3, 3, 2])
level = frame.url_select("Areas", levels, "level", "neighborhood", where=top[2],
                         widget="radio", format_func=lambda v: LEVEL_NOUNS[v][1].title(),
                         hide_if_single=True)
kinds = mix.categories(db, geo_level=level)
category = frame.url_select("Business category", [mix.ALL, *kinds], "category", mix.ALL,
                            where=top[1], known=mix.categories(db),
                            format_func=lambda c: "All categories" if c == mix.ALL else c,
                            help=None if kinds else "Business categories are counted by "
                            "neighborhood only.")
gaps = catalog.gaps(db)
if gaps:
    st.caption(" ".join(gaps))
choices = explorer.metric_choices(db, level, category)
if not choices:
    frame.missing(f"No figure has published values by {LEVEL_NOUNS[level][0]} in this database.")
    st.stop()
metric_id = frame.url_select("Figure", choices, "metric", explorer.DEFAULT_METRIC, where=top[0],
                             format_func=lambda m: metrics.get(m).label,
                             known=list(metrics.REGISTRY))
metric = metrics.get(metric_id)

years = explorer.years(db, metric_id, level, category)
if not years:
    frame.missing(f"“{metric.label}” has no published values by {LEVEL_NOUNS[level][0]} in "
                  "this database.")
    st.stop()
row = st.columns([4, 3, 2])
year = frame.url_select("Year", years, "year", years[-1], where=row[0], widget="select_slider")
scheme = frame.url_select("Colour classes", list(classify.SCHEMES), "classes",
                          classify.DEFAULT_SCHEME, where=row[1], format_func=classify.SCHEMES.get)
k = frame.url_select("Number of classes", list(classify.CLASS_COUNTS), "k",
                     classify.DEFAULT_CLASSES, where=row[2])
base = frame.url_select("Base map", list(maps.BASE_MAPS), "base", "none", where=st.sidebar,
                        widget="radio", help="Streets need an internet connection; without "
                        "one the map shows the areas only.",
                        format_func=lambda b: {"none": "Areas only", "streets": "Streets"}[b])

data = explorer.values(db, metric_id, year, level, category)
title = explorer.title(metric, category)
view = maps.MapView(metric, level, scheme, k, threshold, base, title)
figure, legend = maps.choropleth(data, frame.shapes(db, level), view)
chosen_category = None if category == mix.ALL else category
map_download = downloads.Download(
    title, (metric_id,), year, subtitle=f"by {LEVEL_NOUNS[level][0]}",
    data=downloads.area_data(data, metric_id, year),
    filters=(("year", year), ("level", level), ("category", category)),
    geo=(metric_id, year, level, chosen_category),
    extra_kinds=("neighborhoods",) if level == "neighborhood" else ("tracts",))
view_params = {"metric": metric_id, "year": year, "level": level, "category": category,
               "classes": scheme, "k": k}

left, right = st.columns([5, 3])
with left:
    st.markdown(f"**{title}, {year}**, by {LEVEL_NOUNS[level][0]}. {metric.description}")
    event = frame.chart(figure, legend[["range", "areas"]].rename(
        columns={"range": "Colour class", "areas": "Areas"}), key="map", on_select=True,
        download=map_download, embed=frame.link_params(chart="map", **view_params))
    st.caption(f"Click an area to open its profile. Classes: {classify.SCHEMES[scheme].lower()}. "
               f"{grey_note(threshold)}")
with right:
    st.markdown(explorer.extremes_text(data, metric, level))
    disclosed = explorer.disclosure_text(data, level, threshold)
    if disclosed:
        st.caption(disclosed)
    found = explorer.extremes(data)
    hoods = queries.areas(db).set_index("geo_id")["name"].to_dict()
    for label, row in zip(("highest", "lowest"), found or ()):
        target = explorer.profile_target(db, row["geo_id"], level)
        if target:
            st.page_link("pages/profile.py", label=f"Profile of the {label}: {hoods[target]}",
                         icon=":material/location_city:",
                         query_params=frame.link_params(n=target))
    table = explorer.ranking(data, metric, threshold)
    st.dataframe(table, hide_index=True, height=380, width="stretch")
    names = dict(zip(data["geo_id"], data["name"]))
    pick = st.selectbox("Open the profile of", list(names), format_func=names.get, key="open")
    target = explorer.profile_target(db, pick, level)
    if target:
        st.page_link("pages/profile.py", label=f"Open the profile of {hoods[target]}",
                     icon=":material/location_city:", query_params=frame.link_params(n=target))

clicked = explorer.clicked_area(event)
target = explorer.profile_target(db, clicked, level) if clicked else None
if target:
    st.switch_page("pages/profile.py", query_params=frame.link_params(n=target))
if metric.caveat:
    with st.expander("About this figure"):
        st.write(metric.caveat)
