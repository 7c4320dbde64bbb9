"""Neighborhood profile: headline figures beside the city and the rank, trends, the mix of
businesses, jobs, and a few sentences that say it in words; its brief and figures to
download; `present=1` shows it as slides instead."""
from datetime import date

import streamlit as st

from dashboard import (bars, brief, cards, charts, downloads, downturn, exports, frame, mix,
                       narrative, queries, views)
from core import metrics
from core.i18n import _
from dashboard.formatting import as_sentence, not_available_text

FLOWS = ["formations", "closures"]
RATES = ["formations_per_1k_residents", "closures_per_1k_residents"]
SURVIVAL = ["survival_1y", "survival_3y", "survival_5y"]

db = frame.database()
if views.is_presenting():
    views.present(db)
    st.stop()
threshold = queries.suppression_threshold(db)
pick, search = st.columns(2)
frame.find_box(db, where=search)
hood, name = frame.neighborhood_picker(db, where=pick)
st.title(name)

nearby = frame.neighbors(db).get(hood, [])
names = queries.areas(db).set_index("geo_id")["name"].to_dict()
links = st.columns(3)
frame.page_link("map", _("See it on the map"),
                frame.link_params(metric="micro_per_1k_residents", n=hood), where=links[0])
frame.page_link("jobs", _("Where its jobs are"), frame.link_params(n=hood), where=links[1])
frame.page_link("diversity", _("Its mix of businesses"), frame.link_params(n=hood),
                where=links[2])
today = date.today()
files = st.columns(4)
frame.file_button(_("Download brief (PDF)"), lambda: brief.make_brief(db, hood, today),
                  brief.brief_file_name(db, hood), "brief_pdf", where=files[0])
frame.file_button(_("Figures (CSV)"), lambda: exports.as_csv(
    exports.neighborhood_figures(db, hood), exports.figures_meta(db, hood, today)),
    exports.figures_file_name(db, hood, "csv"), "figures_csv", where=files[1])
frame.file_button(_("Figures (Excel)"), lambda: exports.as_xlsx(
    exports.neighborhood_figures(db, hood), exports.figures_meta(db, hood, today)),
    exports.figures_file_name(db, hood, "xlsx"), "figures_xlsx", where=files[2])
frame.page_link("profile", _("Present as slides"), frame.link_params(n=hood, present=1, slide=1),
                where=files[3], icon=":material/slideshow:")
if nearby:
    st.markdown(_("**Next door** — compare side by side:"))
    columns = st.columns(2)
    for i, other in enumerate(nearby[:4]):
        frame.page_link("compare", _("Compare with {name}").format(name=names[other]),
                        frame.link_params(compare=f"{hood},{other}"), where=columns[i % 2])

profile = queries.area_profile(db, hood, metrics.PROFILE)
if profile.empty:
    frame.missing(_("{name} has no published figures in this database yet.").format(name=name))
    st.stop()
latest = int(profile["year"].max())
quotients = mix.location_quotients(db, hood, latest) if queries.has_rows(db, "location_quotients") else None
for sentence in narrative.sentences(name, profile, quotients, threshold):
    st.markdown(f"- {sentence}")

unavailable, city = queries.not_available(db), db.info().get("city_name") or _("this city")
columns = st.columns(4)
for i, card in enumerate(cards.cards(profile, metrics.PROFILE, threshold,
                                    unavailable=unavailable, city=city)):
    with columns[i % 4]:
        st.metric(card.label, card.value, help=card.help)
        st.caption(card.note)
st.caption(cards.definitions(metrics.PROFILE))
if profile["suppressed"].astype(bool).any():
    st.caption(narrative.hidden_note(threshold))

series = queries.area_series(db, [*FLOWS, *RATES, *SURVIVAL, *metrics.JOBS_TRIO], [hood])
st.header(_("Openings and closures"))
left, right = st.columns(2)
with left:
    figure, table = charts.flows(series, threshold, hood, metrics.get("formations"),
                                 metrics.get("closures"), title=_("{name}: businesses opened (up) and closed (down)").format(name=name))
    frame.chart(figure, table, key="flows", download=downloads.Download(
        _("{name}: businesses opened and closed").format(name=name), tuple(FLOWS),
        data=downloads.series_data(series, FLOWS, [hood])))
with right:
    rate = metrics.get("formations_per_1k_residents")
    if rate.id in unavailable:   # not an empty chart that reads "withheld or missing"
        frame.missing(f"{rate.label}: " + not_available_text(city, unavailable[rate.id]) + ".")
    else:
        figure, table = charts.area_trend(series, rate, threshold,
                                          title=_("{figure}: {name} and the city").format(
                                              figure=rate.label, name=name))
        frame.chart(figure, table, key="rates", download=downloads.Download(
            _("{figure}: {name} and the city").format(figure=rate.label, name=name), (rate.id,),
            data=downloads.series_data(series, [rate.id], [hood, "city"])),
            embed=frame.link_params(chart="trend", metric=rate.id, n=hood))
survival = [metrics.get(m) for m in SURVIVAL if (series["metric_id"] == m).any()]
if survival:
    figure, table = charts.survival(series, survival, threshold, hood,
                                    title=_("How many of {name}'s new businesses stayed open, "
                                            "by year opened").format(name=name))
    ids = [m.id for m in survival]
    frame.chart(figure, table, key="survival", download=downloads.Download(
        _("How many of {name}'s new businesses stayed open").format(name=name), tuple(ids),
        what=_("{name} survival").format(name=name), data=downloads.series_data(series, ids, [hood])))
else:
    frame.missing(_("No survival figures yet: they need at least two years of registrations."))

st.header(_("The 2020 downturn"))
fall = queries.area_profile(db, hood, [m.id for m in downturn.figures()])
if fall.empty:
    reasons = [m for m in downturn.figures() if m.id in unavailable]
    frame.missing(as_sentence(_("The 2020 downturn: ") + not_available_text(
        city, unavailable[reasons[0].id] if reasons else "the loaded data do not give it")))
else:
    for sentence in downturn.sentences(name, fall):
        st.markdown(f"- {sentence}")
    for row in downturn.card_rows():
        columns = st.columns(len(row))
        for column, card in zip(columns, cards.cards(fall, row, threshold, unavailable=unavailable,
                                                     city=city)):
            with column:
                st.metric(card.label, card.value, help=card.help)
                st.caption(card.note)
    st.caption(f"{_(metrics.DOWNTURN_CAVEAT)} "
               f"{cards.definitions([m.id for m in downturn.figures()])}")

st.header(_("Mix of businesses"))
if queries.has_rows(db, "category_counts"):
    shares = mix.category_mix(db, [hood], latest)
    figure, table = bars.category_mix(shares, {hood: name, "city": _("City")}, threshold,
                                      title=_("Kinds of business in {name} and the city, "
                                              "{year}").format(name=name, year=latest))
    frame.chart(figure, table, key="mix", download=downloads.Download(
        _("Kinds of business in {name} and the city").format(name=name), ("category_count",),
        latest, what=_("{name} business mix").format(name=name), data=downloads.without(shares, "city_share")),
        embed=frame.link_params(chart="mix", n=hood, year=latest))
else:
    frame.missing(_("No business categories in this database: the registry gave none."))

st.header(_("Jobs"))
jobs = [metrics.get(m) for m in metrics.JOBS_TRIO
        if ((series["metric_id"] == m) & (series["geo_id"] == hood)).any()]
if jobs:
    figure, table = charts.several_lines(series, jobs, threshold, hood, y_title=_("jobs"),
                                         title=_("Jobs located in {name}").format(name=name))
    ids = [m.id for m in jobs]
    frame.chart(figure, table, key="jobs", download=downloads.Download(
        _("Jobs located in {name}").format(name=name), tuple(ids),
        what=_("{name} jobs").format(name=name),
        data=downloads.series_data(series, ids, [hood])),
        embed=frame.link_params(chart="jobs", n=hood))
    st.caption(_(metrics.LODES_CAVEAT))
else:
    frame.missing(_("No jobs figures in this database: they come from LEHD LODES workplace "
                    "data, which this build did not load."))
