"""Data & methods: every source with its vintage and row accounting, every figure's
definition, and the rules for hiding small counts and splitting figures between areas."""
from datetime import date

import streamlit as st

from dashboard import any_area, catalog, frame, queries
from dashboard.formatting import WITHHELD
from core import i18n, metrics
from core.i18n import _

db = frame.database()
info = db.info()
threshold = queries.suppression_threshold(db)
settings = catalog.settings(db)
st.title(_("Data & methods"))


def said(rows):
    """The table in the reader's language: its column names and the words the catalog
    knows (reasons, methods, sources); names and numbers as they are."""
    rows = frame.translated_columns(rows.copy())
    for column in rows.columns:
        if rows[column].dtype.kind not in "iufbmM":     # words (object or str dtype)
            rows[column] = rows[column].map(lambda v: _(v) if isinstance(v, str) else v)
    return rows


def table(rows) -> None:
    """A table whose counts read with thousands separators (194,228, not 194228)."""
    rows = said(rows)
    counts = {c: st.column_config.NumberColumn(format="localized")
              for c in rows.columns if rows[c].dtype.kind in "iu"}
    st.dataframe(rows, hide_index=True, width="stretch", column_config=counts)


if info.get("is_demo") == "true":
    st.header(_("This is the demo city"))
    st.markdown(_(info.get("demo_note", "")) + " " + _(
        "It exists to show every page working without an internet connection; no figure "
        "describes a real place."))
    if info.get("demo_guide"):
        st.markdown(_("**The story built into it:** {story}").format(story=_(info["demo_guide"])))
if info.get("registry_note"):
    st.markdown(_("**What the registry covers:** {note}").format(note=_(info["registry_note"])))

st.markdown(_("**How to cite this page**"))
st.code(catalog.citation(db, frame.page_url("methods"), date.today()), language=None,
        wrap_lines=True)

st.header(_("Sources"))
st.markdown(_("Every input: who publishes it, its vintage, its licence and where it is."))
st.table(said(catalog.provenance(db).fillna("")).set_index(_("Source")))   # wraps: nothing cut
st.markdown(_("When each was fetched, and what happened to its rows: rows in = loaded + merged "
              "(renewals of one business) + rejected, always."))
table(catalog.sources(db))
rejected = catalog.rejected_by_reason(db)
st.subheader(_("Rejected rows, by reason"))
if rejected.empty:
    st.markdown(_("No row was rejected."))
else:
    table(rejected)
unmapped = catalog.unmapped_categories(db)
if not unmapped.empty:
    st.subheader(_("Registry categories with no plain-language category"))
    table(unmapped)

st.header(_("Published, flagged, withheld, not available"))
if threshold > 0:
    st.markdown(_(
        "- This city's registry is treated as not public row by row, so a count below "
        "**{threshold}** is shown as “{withheld}”, never as a number or a zero (a withheld "
        "count may be 0, 1 or {below}), and every figure computed from it is withheld "
        "too.\n"
        "- Some larger counts are withheld as well (complementary suppression), chosen so that a "
        "withheld count cannot be worked out by subtracting the shown ones from a total. They "
        "read “withheld” too: saying which cells were hidden for which reason would give the "
        "small counts away. A {area}'s or the city's number of active businesses is "
        "never withheld.").format(threshold=threshold, withheld=_(WITHHELD), below=threshold - 1,
                                  area=i18n.areas()))
else:
    st.markdown(_(
        "- **Counts are published as the registry shows them.** The registry is public record: "
        "the portal publishes every business's name and address, so anyone can recount these "
        "numbers, and hiding them would protect no one. (For a registry that is not public row "
        "by row, a build can withhold small counts: `suppress_below` in the city profile.)"))
st.markdown(
    _("- **Low count.** {rule}\n").format(rule=_(metrics.LOW_COUNT_RULE)) + _(
    "- **Unreliable.** A rate over fewer than 100 residents, or with a margin of error above "
    "40% of the estimate, is marked unreliable; it is shown, and never ranked.\n"
    "- **Census figures** keep the Census Bureau's own disclosure protection (dropped Business "
    "Patterns cells, noise-infused LODES jobs, ACS margins of error at 90%); nothing here "
    "hides them again.\n"
    "- **Not available** means this city's data cannot give the figure, and says why; it is "
    "never written as “withheld” or as zero."))
summary = catalog.disclosure(db)
if not summary.empty:
    table(summary)

if settings:
    unknown = settings.get("unknown_category") or ""
    st.caption(_("Years covered: {first}–{last}. Businesses without a known kind are counted "
                 "as “{unknown}”.").format(first=settings.get("first_year"),
                                           last=settings.get("last_year"),
                                           unknown=_(unknown)))

st.header(_("Splitting figures between areas"))
apportion = catalog.apportionment(db)
if apportion.empty:
    st.markdown(_("Nothing was split: every figure was counted where it was located."))
else:
    st.markdown(_("Residents, jobs, Census establishments and loans come by tract, block or "
                  "ZIP code; they reach {areas} by these weights.").format(
                      areas=i18n.areas(plural=True)))
    table(apportion)
st.markdown(_("**Sets of areas.** These figures are by {areas}. A city may be shown by more "
              "than one set of areas (its neighborhoods, wards or council districts: the "
              "sidebar's Areas switch). Each set is built on its own from the same sources, "
              "its boundaries standing in for the neighborhoods': a business counts in the "
              "area its point lies in, a tract's figures are split by the share of the "
              "tract's area in each area, a ZIP code's by the share of its registered "
              "businesses in each area, and jobs go where their census block lies. So the "
              "areas of every set add up to the same city.").format(
                  areas=i18n.areas(plural=True)))
st.markdown(_(any_area.METHOD))

st.header(_("Every figure, defined"))
registry = catalog.registry(db)
for group in metrics.GROUPS:
    rows = registry[registry["metric_group"] == group]
    if rows.empty:
        continue
    st.subheader(metrics.group_label(group))
    for row in rows.itertuples(index=False):
        missing = (" *(" + _("not available for {city}: {reason}").format(
                       city=info.get("city_name") or _("this city"),
                       reason=_(row.not_available)) + ")*"
                   if getattr(row, "not_available", None) else
                   " *(" + _("not in this database") + ")*" if row.available is not None
                   and not row.available else "")
        with st.expander(f"{row.label}{missing}"):
            st.markdown(_("{description}\n\n**Unit:** {unit}\n\n**How it is computed:** "
                          "{formula}").format(description=row.description, unit=row.unit,
                                              formula=row.formula))
            if row.source_vintages:
                st.markdown(_("**Sources:** {sources}").format(sources=row.source_vintages))
            if row.caveat:
                st.markdown(_("**Caveat:** {caveat}").format(caveat=row.caveat))
            st.caption(_("Identifier: `{id}`").format(id=row.metric_id))
