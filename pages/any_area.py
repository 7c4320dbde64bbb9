"""Any area: draw an outline on the map or upload a GeoJSON file, and read that area's
figures (exact registry counts, ACS sums and rates with margins of error, LODES jobs), with
its CSV and a link that holds the outline (`?area=`)."""
import json
from datetime import date

import pandas as pd
import shapely
import streamlit as st

from core.i18n import _
from dashboard import any_area, area_map, area_shape, frame, queries
from dashboard.formatting import as_sentence, format_value

KEY = "area"
db = frame.database()
threshold = queries.suppression_threshold(db)
st.title(_("Any area"))
st.markdown(_("Draw around the streets you care about with the lasso, or upload a GeoJSON "
              "outline, and read that area's figures: the businesses inside it counted one by "
              "one, residents and jobs apportioned from census tracts, each with how it was "
              "worked out. Only counts are shown, never a business."))


def _taken(source: str, signature) -> bool:
    """True the first run a drawing or an upload is seen (later runs keep the URL's area)."""
    seen = st.session_state.setdefault("any_area_seen", {})
    if signature is None or seen.get(source) == signature:
        return False
    seen[source] = signature
    return True


def _link(area) -> str | None:
    try:
        text = area_shape.encode_area(area)
    except area_shape.AreaError as error:
        st.warning(str(error), icon=":material/link_off:")
        return None
    st.query_params[KEY] = st.session_state[REMEMBERED] = text
    return text


# A link's area, else the one this session last looked at (the sidebar's links drop the query)
REMEMBERED = "any_area_link"
area, link, problem = None, st.query_params.get(KEY) or st.session_state.get(REMEMBERED), None
if link:
    try:
        area = area_shape.decode_area(link)
    except area_shape.AreaError as error:   # said as every page says a bad link value
        st.warning(_("The link's area is not available here: {why}").format(why=error),
                   icon=":material/link_off:")
        link = None
        st.query_params.pop(KEY, None)
        st.session_state.pop(REMEMBERED, None)
    else:
        st.query_params[KEY] = st.session_state[REMEMBERED] = link

draw, upload = st.tabs([_("Draw on the map"), _("Upload a GeoJSON file")])
with upload:
    st.caption(_("A Polygon or MultiPolygon in longitude and latitude (WGS84), alone or in a "
                 "Feature or FeatureCollection; at most {size} MB. It is read, never "
                 "stored.").format(size=area_shape.MAX_UPLOAD_BYTES // 1_000_000))
    file = frame.file_uploader(_("GeoJSON file"), area_shape.UPLOAD_TYPES, "area_upload",
                               area_shape.MAX_UPLOAD_BYTES // 1_000_000)
    if file is not None and _taken("upload", (file.file_id, file.size)):
        try:
            area = area_shape.parse_geojson(file.getvalue(), file.name)
            problem, link = None, _link(area)
        except area_shape.AreaError as error:
            problem = str(error)
with draw:
    st.caption(_("Choose the lasso in the map's toolbar if it is not on, then draw around the "
                 "area with the mouse button held down, or with a finger on a touchscreen. "
                 "Draw again to change it."))
    event = st.plotly_chart(area_map.drawing_map(db, area), on_select="rerun", theme=None,
                            selection_mode="lasso", key="area_draw", width="stretch",
                            config=frame.plotly_config())
    outline = area_map.lasso_outline(event)
    if outline and _taken("draw", json.dumps(outline)):
        try:
            area = area_shape.drawn_area(*outline)
            problem, link = None, _link(area)
            st.rerun()
        except area_shape.AreaError as error:
            problem = str(error)

if problem:
    st.error(problem, icon=":material/error:")
if area is None:
    frame.missing(_("No area yet: draw one on the map or upload a GeoJSON file."))
    st.stop()
try:
    result = any_area.profile(db, area)
except area_shape.AreaError as error:    # outside the city: a notice, as for a link's value
    st.warning(str(error), icon=":material/wrong_location:")
    st.stop()

st.header(_("Your area: {km2} km² inside the city").format(
    km2=format_value(result.area_km2, "{:,.2f}")))
files = st.columns(4)
today = date.today()
frame.file_button(_("Figures (CSV)"), lambda: any_area.as_csv(db, result, link, today),
                  any_area.file_name(db, "csv"), "area_csv", where=files[0])
frame.file_button(_("Figures (Excel)"), lambda: any_area.as_xlsx(db, result, link, today),
                  any_area.file_name(db, "xlsx"), "area_xlsx", where=files[1])
frame.file_button(_("Outline (GeoJSON)"), lambda: json.dumps(
    {"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(area)}).encode(),
    any_area.file_name(db, "geojson"), "area_geojson", where=files[2])
if link:
    files[3].caption(_("The address of this page holds the area: copy it to share the view."))

GROUPS = [(_("Businesses (city registry, exact counts)"),
           lambda f: f.moe is None and not f.id.startswith("jobs") and f.id not in any_area.ACS_EXTRA),
          (_("Residents and rates per resident (ACS, apportioned from tracts; ± a 90% margin of error)"),
           lambda f: f.moe is not None or f.id in any_area.ACS_EXTRA),
          (_("Jobs (LEHD LODES)"), lambda f: f.id.startswith("jobs"))]


def _card(figure: any_area.Figure) -> None:
    value = format_value(figure.value, figure.fmt, figure.withheld, threshold)
    st.metric(figure.label, value, help=figure.formula)
    notes = []
    if figure.moe is not None and figure.value is not None:
        notes.append(_("± {moe} (90%)").format(moe=format_value(figure.moe, figure.fmt)))
    if figure.low_count:
        notes.append(_("low count"))
    if figure.unreliable:
        notes.append(_("unreliable"))
    years = _("year {year}").format(year=figure.year) if figure.year else ""
    st.caption(" · ".join([years, *notes]))


for title, belongs in GROUPS:
    shown = [f for f in result.figures if belongs(f)]
    if not shown:
        continue
    st.subheader(title)
    for start in range(0, len(shown), 4):     # row by row: a phone reads them in order
        for column, figure in zip(st.columns(4), shown[start:start + 4]):
            with column:
                _card(figure)
for note in result.notes:
    st.caption(note)
if result.missing:
    st.subheader(_("Not computed for this area"))
    for label, why in result.missing:
        st.markdown(f"- **{label}**: {as_sentence(why)}")
with st.expander(_("Every figure as a table")):
    table = any_area.figures_frame(result).drop(columns=["metric_id"])
    st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch")
