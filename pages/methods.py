"""Data & methods: every source with its vintage and row accounting, every figure's
definition, and the rules for hiding small counts and splitting figures between areas."""
from datetime import date

import streamlit as st

from dashboard import catalog, frame, queries
from dashboard.formatting import WITHHELD
from core import metrics

db = frame.database()
info = db.info()
threshold = queries.suppression_threshold(db)
settings = catalog.settings(db)
st.title("Data & methods")


def table(rows) -> None:
    """A table whose counts read with thousands separators (194,228, not 194228)."""
    counts = {c: st.column_config.NumberColumn(format="localized")
              for c in rows.columns if rows[c].dtype.kind in "iu"}
    st.dataframe(rows, hide_index=True, width="stretch", column_config=counts)


if info.get("is_demo") == "true":
    st.header("This is the demo city")
    st.markdown(f"{info.get('demo_note', '')} It exists to show every page working without "
                "an internet connection; no figure describes a real place.")
    if info.get("demo_guide"):
        st.markdown(f"**The story built into it:** {info['demo_guide']}")
if info.get("registry_note"):
    st.markdown(f"**What the registry covers:** {info['registry_note']}")

st.markdown("**How to cite this page**")
st.code(catalog.citation(db, frame.page_url("methods"), date.today()), language=None,
        wrap_lines=True)

st.header("Sources")
st.markdown("Every input: who publishes it, its vintage, its licence and where it is.")
st.table(catalog.provenance(db).fillna("").set_index("Source"))   # wraps: nothing cut
st.markdown("When each was fetched, and what happened to its rows: rows in = loaded + merged "
            "(renewals of one business) + rejected, always.")
table(catalog.sources(db))
rejected = catalog.rejected_by_reason(db)
st.subheader("Rejected rows, by reason")
if rejected.empty:
    st.markdown("No row was rejected.")
else:
    table(rejected)
unmapped = catalog.unmapped_categories(db)
if not unmapped.empty:
    st.subheader("Registry categories with no plain-language category")
    table(unmapped)

st.header("Published, flagged, withheld, not available")
if threshold > 0:
    st.markdown(
        f"- This city's registry is treated as not public row by row, so a count below "
        f"**{threshold}** is shown as “{WITHHELD}”, never as a number or a zero (a withheld "
        f"count may be 0, 1 or {threshold - 1}), and every figure computed from it is withheld "
        "too.\n"
        "- Some larger counts are withheld as well (complementary suppression), chosen so that a "
        "withheld count cannot be worked out by subtracting the shown ones from a total. They "
        "read “withheld” too: saying which cells were hidden for which reason would give the "
        "small counts away. A neighborhood's or the city's number of active businesses is "
        "never withheld.")
else:
    st.markdown(
        "- **Counts are published as the registry shows them.** The registry is public record: "
        "the portal publishes every business's name and address, so anyone can recount these "
        "numbers, and hiding them would protect no one. (For a registry that is not public row "
        "by row, a build can withhold small counts: `suppress_below` in the city profile.)")
st.markdown(
    f"- **Low count.** {metrics.LOW_COUNT_RULE}\n"
    "- **Unreliable.** A rate over fewer than 100 residents, or with a margin of error above "
    "40% of the estimate, is marked unreliable; it is shown, and never ranked.\n"
    "- **Census figures** keep the Census Bureau's own disclosure protection (dropped Business "
    "Patterns cells, noise-infused LODES jobs, ACS margins of error at 90%); nothing here "
    "hides them again.\n"
    "- **Not available** means this city's data cannot give the figure, and says why; it is "
    "never written as “withheld” or as zero.")
summary = catalog.disclosure(db)
if not summary.empty:
    table(summary)

if settings:
    st.caption(f"Years covered: {settings.get('first_year')}–{settings.get('last_year')}. "
               f"Businesses without a known kind are counted as “{settings.get('unknown_category')}”.")

st.header("Splitting figures between areas")
apportion = catalog.apportionment(db)
if apportion.empty:
    st.markdown("Nothing was split: every figure was counted where it was located.")
else:
    st.markdown("Residents, jobs, Census establishments and loans come by tract, block or "
                "ZIP code; "
                "they reach neighborhoods by these weights.")
    table(apportion)

st.header("Every figure, defined")
registry = catalog.registry(db)
for group in metrics.GROUPS:
    rows = registry[registry["metric_group"] == group]
    if rows.empty:
        continue
    st.subheader(group)
    for row in rows.itertuples(index=False):
        missing = (f" *(not available for {info.get('city_name', 'this city')}: "
                   f"{row.not_available})*" if getattr(row, "not_available", None) else
                   " *(not in this database)*" if row.available is not None
                   and not row.available else "")
        with st.expander(f"{row.label}{missing}"):
            st.markdown(f"{row.description}\n\n**Unit:** {row.unit}\n\n"
                        f"**How it is computed:** {row.formula}")
            if row.source_vintages:
                st.markdown(f"**Sources:** {row.source_vintages}")
            if row.caveat:
                st.markdown(f"**Caveat:** {row.caveat}")
            st.caption(f"Identifier: `{row.metric_id}`")
