"""The page's own CSS and two small scripts, as text (no Streamlit: `frame.page_style` and
`frame.copy_link` hand them to `st.html` once per run).

- `SCREEN_CSS`: labels that wrap instead of being cut (headline cards, page links), a
  chart's toolbar kept off its title, narrow screens given the room they need, and a
  "Making the image…" line under a download button while its file is being made.
- `PRINT_CSS`: browser Print gives the content alone (no sidebar, header, tabs or buttons)
  in a column of `PRINT_WIDTH_PX`, each section (`st.header`) from the top of a new page,
  a chart with its title and notes never split, and nothing cut at an edge.
- `copy_link_html()`: a "Copy link" button that copies the address (the URL holds the
  view), with a text field to copy it by hand where the clipboard is not allowed.
"""
from __future__ import annotations

import html
import json

from core import i18n
from core.i18n import N_, _

PRINT_WIDTH_PX = 680      # the printed column: A4 or Letter, portrait, default margins
COPY_LINK_ID = "atlas-copy-link"
COPY_LINK_LABEL = N_("Copy link")

SCREEN_CSS = """
/* Headline cards and page links: whole labels, wrapped, never cut with an ellipsis. */
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * {
  white-space: normal !important; overflow: visible !important;
  text-overflow: clip !important; height: auto !important; }
[data-testid="stPageLink"] p, [data-testid="stPageLink"] span {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }
/* A chart's title is above the chart (in the page), its toolbar inside the chart's top
   margin: the two never meet. */
.atlas-chart-title {font-weight: 600; font-size: 1.05rem; line-height: 1.35; margin: 0;}
/* The file of a download button is made when it is clicked: say so while it is. */
[data-testid="stDownloadButton"]:has([data-testid="stSpinnerIcon"])::after {
  content: %(making_file)s; display: block; margin-top: .25rem;
  font-size: .85rem; color: #444; }
[class*="st-key-"][class*="_png"] [data-testid="stDownloadButton"]:has([data-testid="stSpinnerIcon"])::after,
[class*="st-key-"][class*="_svg"] [data-testid="stDownloadButton"]:has([data-testid="stSpinnerIcon"])::after {
  content: %(making_image)s; }
/* A table's long words (a Spanish column name, an address) break rather than push the
   table past a phone's edge. */
@media (max-width: 640px) {
  [data-testid="stTable"] :is(th, td, th *, td *) {white-space: normal !important;
    overflow-wrap: anywhere !important;}
}
/* A map's static preview (drawn on the server, `maps.preview_html`) stands in the map's
   place until Plotly has drawn the map, which then takes its place (the same height). */
[class*="st-key-chart_"]:has(.maplibregl-canvas) [data-testid="stElementContainer"]:has(.atlas-map-preview) {
  display: none !important; }
[class*="st-key-chart_"]:has(.atlas-map-preview):not(:has(.maplibregl-canvas)) [data-testid="stElementContainer"]:has([data-testid="stPlotlyChart"]) {
  height: 0 !important; min-height: 0 !important; overflow: hidden !important; }
/* Copy link: in the header strip, top right, beside Streamlit's menu. */
#atlas-copy-link {position: fixed; top: .55rem; right: 3.6rem; z-index: 999992;
  display: flex; flex-direction: column; align-items: flex-end; gap: .25rem;
  font-size: .875rem;}
#atlas-copy-link button {font: inherit; padding: .3rem .75rem; border-radius: .5rem;
  border: 1px solid rgba(49, 51, 63, .3); background: #fff; color: #1a1a1a; cursor: pointer;}
#atlas-copy-link button:hover {border-color: #1a1a1a;}
#atlas-copy-link input {width: min(22rem, 70vw); font: inherit; padding: .25rem .4rem;}
#atlas-copy-link [role="status"] {background: #fff; padding: 0 .3rem;}
#atlas-copy-link [role="status"]:empty {display: none;}
[data-testid="stElementContainer"]:has(> [data-testid="stHtml"] #atlas-copy-link) {
  height: 0; min-height: 0; margin-bottom: -1rem; overflow: visible;}
/* Narrow screens: the whole width for content. */
@media (max-width: 640px) {
  [data-testid="stMainBlockContainer"] {padding-left: .9rem !important;
    padding-right: .9rem !important;}
  h1 {font-size: 2rem !important;}
  h2 {font-size: 1.5rem !important;}
}
"""

PRINT_CSS = """
@media print {
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
  [data-testid="collapsedControl"], header[data-testid="stHeader"],
  [data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"],
  #atlas-copy-link, .modebar-container, [data-testid="stTabs"] [role="tablist"],
  [data-testid="stDownloadButton"], [data-testid="stPageLink"] {display: none !important;}
  html, body, .stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"],
  [data-testid="stAppScrollToBottomContainer"] {
    overflow: visible !important; height: auto !important; min-height: 0 !important;
    position: static !important;}
  [data-testid="stMain"] {margin: 0 !important; padding: 0 !important; width: 100% !important;}
  /* The printed column: charts are drawn again at its width (a chart still as wide as the
     screen overflows visibly, and the browser shrinks the page to fit: never cut). */
  [data-testid="stMainBlockContainer"] {max-width: %(width)dpx !important;
    width: %(width)dpx !important; padding: 0 !important; margin: 0 !important;}
  /* One page per section: each header starts a page; a chart is never split. */
  [data-testid="stElementContainer"]:has(h2) {break-before: page; page-break-before: always;
    break-after: avoid; page-break-after: avoid;}
  [class*="st-key-chart_"], [data-testid="stElementContainer"]:has([data-testid="stPlotlyChart"]),
  [data-testid="stMetric"] {break-inside: avoid; page-break-inside: avoid;}
  [class*="st-key-chart_"] {display: block !important;}
  [data-testid="stPlotlyChart"] {overflow: visible !important;}
}
""".replace("%(width)d", str(PRINT_WIDTH_PX))

COPY_LINK_JS = """
(() => {
  document.documentElement.lang = %(lang)s;   // screen readers speak the page's language
  const root = document.getElementById('%(id)s');
  if (!root || root.dataset.ready) return;
  root.dataset.ready = '1';
  const button = root.querySelector('button'), field = root.querySelector('input'),
        said = root.querySelector('[role="status"]');
  const byHand = (href) => {
    field.hidden = false; field.value = href; field.focus(); field.select();
    let copied = false;
    try { copied = document.execCommand('copy'); } catch (e) { copied = false; }
    said.textContent = copied ? %(copied)s : %(by_hand)s;
  };
  button.addEventListener('click', () => {
    const href = window.location.href;
    said.textContent = '';
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(href).then(() => {
        field.hidden = true; said.textContent = %(copied)s;
        setTimeout(() => { said.textContent = ''; }, 2500);
      }, () => byHand(href));
    } else {
      byHand(href);
    }
  });
})();
"""


def page_css() -> str:
    """The page's CSS for screen and print, as one `<style>` block."""
    said = {"%(making_file)s": _("Making the file…"),
            "%(making_image)s": _("Making the image… (the first one takes a few seconds)")}
    screen = SCREEN_CSS
    for mark, words in said.items():    # a CSS string: quoted as JSON quotes it
        screen = screen.replace(mark, json.dumps(words, ensure_ascii=False))
    return f"<style>{screen}{PRINT_CSS}</style>"


# Streamlit writes a file uploader's button and size limit in English only (and its limit
# is not the page's): the page hides them (from sight and from screen readers) and says its
# own.
UPLOADER_CSS = """
.st-key-%(key)s [data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p,
.st-key-%(key)s [data-testid="stFileUploaderDropzoneInstructions"] span {
  visibility: hidden; font-size: 0; }
.st-key-%(key)s [data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {
  content: %(upload)s; visibility: visible; font-size: 14px; }
.st-key-%(key)s [data-testid="stFileUploaderDropzoneInstructions"] span::after {
  content: %(limit)s; visibility: visible; font-size: 14px; }
"""


def uploader_css(key: str, max_mb: int, types: tuple[str, ...]) -> str:
    """The uploader `key`'s button and the page's limit in the reader's language, as a
    `<style>` block."""
    limit = _("At most {size} MB per file · {types}").format(
        size=i18n.integer(max_mb), types=", ".join(t.upper() for t in types))
    return "<style>" + UPLOADER_CSS % {
        "key": key, "upload": json.dumps(_("Upload"), ensure_ascii=False),
        "limit": json.dumps(limit, ensure_ascii=False)} + "</style>"


def copy_link_html() -> str:
    """The button, the fallback field (hidden until needed) and a status line."""
    script = COPY_LINK_JS % {"id": COPY_LINK_ID, "lang": json.dumps(i18n.language()),
                             "copied": json.dumps(_("Link copied")),
                             "by_hand": json.dumps(_("Copy the link above"))}
    title, address = html.escape(_("Copy the address of this view")), \
        html.escape(_("The address of this view"))
    return (f'<div id="{COPY_LINK_ID}">'
            f'<button type="button" title="{title}">{html.escape(_(COPY_LINK_LABEL))}</button>'
            f'<input type="text" readonly hidden aria-label="{address}">'
            '<span role="status" aria-live="polite"></span></div>'
            f"<script>{script}</script>")
