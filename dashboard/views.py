"""The two views without the app's frame (Streamlit glue, like frame.py): presentation
mode (`/profile?n=N07&present=1&slide=2`) and the embed page (`/embed?chart=map&…`).

Both hide the sidebar, Streamlit's header and footer, and read their state from the URL
only (no widgets but the slide buttons), so a copied link reopens the same view.
"""
from __future__ import annotations

import streamlit as st

from core.i18n import _

from . import embeds, exports, frame, queries, slides, theme, urlstate

PRESENT_KEY, SLIDE_KEY = "present", "slide"
CHROME_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stSidebarNav"], [data-testid="collapsedControl"],
header[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
[data-testid="stStatusWidget"], footer {display: none !important;}
[data-testid="stMainBlockContainer"], .block-container {
    padding: 1rem 1.5rem !important; max-width: 100% !important;}
</style>
"""
SLIDE_CSS = """
<style>
.stApp, [data-testid="stAppViewContainer"] {background: #ffffff; color: #000000;}
.stApp h1 {font-size: 2.7rem !important; color: #000000 !important; line-height: 1.15;
    padding-top: .25rem !important;}
.stApp p, .stApp li {font-size: 1.6rem !important; color: #000000 !important;}
.stApp [data-testid="stMetricValue"], .stApp [data-testid="stMetricValue"] * {
    font-size: 3.4rem !important; line-height: 1.1 !important;}
.stApp [data-testid="stMetricLabel"] p {font-size: 1.35rem !important;}
.stApp [data-testid="stCaptionContainer"], .stApp [data-testid="stCaptionContainer"] * {
    font-size: 1.15rem !important; color: #1a1a1a !important; opacity: 1 !important;}
.stApp .stButton button p {font-size: 1.4rem !important;}
/* The controls are not part of the slide: a bar along the bottom of the screen. */
.st-key-slide_nav {position: fixed; left: 0; right: 0; bottom: 0; z-index: 1000;
    background: #eeeeee; border-top: 1px solid #bbbbbb; padding: .4rem 1.5rem .45rem;}
.st-key-slide_nav p, .st-key-slide_nav a span {font-size: 1.05rem !important;
    color: #1a1a1a !important;}
.st-key-slide_nav .stButton button p {font-size: 1.1rem !important;}
.st-key-slide_nav [data-testid="stHorizontalBlock"] {align-items: center;}
[data-testid="stMainBlockContainer"] {padding-bottom: 4.5rem !important;}
@media print {.st-key-slide_nav {display: none !important;}}
</style>
"""
# The embed page in a newsroom's column (760 px or less, an iframe 180 px taller than the
# chart): a one-line title, then the chart, then the source line, all inside the frame.
EMBED_CSS = """
<style>
[data-testid="stMainBlockContainer"], .block-container {padding: .4rem .6rem !important;}
[data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] {gap: .35rem !important;}
.stApp h3 {font-size: 1.12rem !important; line-height: 1.3 !important; padding: 0 !important;
    margin: 0 !important;}
.stApp [data-testid="stMarkdownContainer"]:has(h3) {margin-bottom: 0 !important;}
.stApp [data-testid="stCaptionContainer"] p {font-size: .76rem !important;
    line-height: 1.35 !important; margin: 0 !important;}
</style>
"""


def is_presenting() -> bool:
    """True when the URL asks for presentation mode (`present=1`)."""
    return st.query_params.get(PRESENT_KEY) in ("1", "true", "yes")


def hide_chrome() -> None:
    """No sidebar, header, toolbar or footer: the page is the content alone."""
    st.html(CHROME_CSS)


# --- Presentation mode ---------------------------------------------------------------

def present(db) -> None:
    """The neighborhood of `n` as full-screen slides; `slide` (1 to the number of `slides.SLIDES`) is the one shown."""
    hide_chrome()
    st.html(SLIDE_CSS)
    place, number = _place(db), _slide_number()
    st.query_params[SLIDE_KEY] = str(number)
    shown = slides.build(place, number)
    st.title(shown.title)
    _slide_body(shown)
    _slide_footer(db, shown)
    _slide_controls(number, place)


def _place(db) -> slides.Place:
    hoods = queries.areas(db)
    names = dict(zip(hoods["geo_id"], hoods["name"]))
    parsed = urlstate.parse_choice(st.query_params.get("n") or frame.remembered("n"), "n",
                                   list(names), next(iter(names)))
    _notice(parsed.notice)
    st.query_params["n"] = parsed.value
    return slides.Place(db, parsed.value, names[parsed.value],
                        frame.shapes(db, "neighborhood"), queries.suppression_threshold(db))


def _slide_number() -> int:
    allowed = list(range(1, len(slides.SLIDES) + 1))
    parsed = urlstate.parse_choice(st.query_params.get(SLIDE_KEY), SLIDE_KEY, allowed, 1)
    _notice(parsed.notice)
    return parsed.value


def _notice(text: str | None) -> None:
    if text:
        st.warning(text, icon=":material/link_off:")


def _slide_body(shown: slides.Slide) -> None:
    if shown.cards:
        columns = st.columns(3)
        for i, card in enumerate(shown.cards):
            with columns[i % 3]:
                st.metric(card.label, card.value)
                st.caption(card.note)
    for line in shown.lines:
        st.markdown(line)
    if shown.figure is not None:
        st.plotly_chart(shown.figure, width="stretch", theme=None, key="slide_figure",
                        config={**frame.plotly_config(), "displayModeBar": False})


def _go_to(number: int) -> None:
    st.query_params[SLIDE_KEY] = str(number)


def _slide_controls(number: int, place: slides.Place) -> None:
    """Previous, where we are, leave, next: in a bar along the bottom of the screen, outside
    the slide."""
    total = len(slides.SLIDES)
    with st.container(key="slide_nav"):
        left, middle, leave, right = st.columns([1.1, 5, 2, 1.1])
        left.button(_("← Previous"), key="slide_prev", disabled=number <= 1, on_click=_go_to,
                    args=(number - 1,), width="stretch")
        right.button(_("Next →"), key="slide_next", disabled=number >= total, on_click=_go_to,
                     args=(number + 1,), width="stretch")
        names = " · ".join(f"**{_(t)}**" if i + 1 == number else _(t)
                           for i, (t, _build) in enumerate(slides.SLIDES))
        middle.markdown(_("Slide {number} of {total}: {names}").format(number=number, total=total,
                                                                       names=names))
        frame.page_link("profile", _("Leave the presentation"),
                        frame.link_params(n=place.geo_id), where=leave,
                        icon=":material/close_fullscreen:")


def _slide_footer(db, shown: slides.Slide) -> None:
    st.caption(_credit(db, shown.source) + (f" {shown.note}" if shown.note else ""))


# --- Embed ---------------------------------------------------------------------------

def embed(db) -> None:
    """One chart alone, sized to its frame, with its title and source line."""
    hide_chrome()
    st.html(EMBED_CSS)
    raw = {key: st.query_params.get(key) for key in st.query_params}
    result = embeds.build(db, raw, lambda level: frame.shapes(db, level),
                          width=frame.map_width(embeds.WIDEST, key="embed_width"))
    for notice in result.notices:
        _notice(notice)
    for key, value in result.params.items():
        st.query_params[key] = value
    st.markdown(f"### {result.title}")
    if result.figure is None:
        frame.missing(_("Nothing to draw here: this database has no such figures."))
    else:
        result.figure.update_layout(height=embeds.height(raw))
        st.plotly_chart(result.figure, width="stretch", theme=None, key="embedded",
                        config=frame.plotly_config())
    st.caption(_credit(db, result.source))


def _credit(db, source: str) -> str:
    """The source line, that the demo city is synthetic, and the product's name."""
    demo = exports.city_info(db)["is_demo"] == "true"
    parts = [source, _("Demo city: every number is synthetic") if demo else "",
             _("Made with {product}").format(product=theme.PRODUCT_NAME)]
    return ". ".join(p.rstrip(".") for p in parts if p) + "."
