"""Numbers in words a reader can quote: suppressed and missing values said as such."""
from __future__ import annotations

import math
import re

from core import i18n
from core.i18n import N_, _
from core.metrics import LOW_COUNT, UNRELIABLE_WORDS

DEFAULT_FORMAT = "{:,.1f}"
WITHHELD = N_("withheld")


def suppressed_text(threshold: int = 3) -> str:
    """How any hidden figure reads: one word, the same for a count below the threshold and
    for a larger count hidden to protect it (saying which would leak). `threshold` is kept
    for callers; `withheld_explanation` says what the word covers."""
    return _(WITHHELD)


def withheld_explanation(threshold: int = 3) -> str:
    """The one explanation of "withheld", for legends, footnotes and header blocks; with
    no threshold (a public registry: every count published), what publishing means."""
    if threshold <= 0:
        return _("Every count is published as the registry shows it: its rows are public, "
                 "with each business's name and address.")
    return _("Withheld: fewer than {threshold} businesses (0, 1 or {below}), or hidden so that a "
             "smaller count cannot be worked out from the totals; this city's registry is not "
             "public row by row.").format(threshold=threshold, below=threshold - 1)


def grey_words(threshold: int = 3) -> str:
    """What a grey area holds: withheld values only where a build withheld counts."""
    return _("withheld or no data") if threshold > 0 else _("no data")


def grey_note(threshold: int = 3) -> str:
    """Under a map: what a grey area means."""
    if threshold <= 0:
        return _("Grey: {what}.").format(what=grey_words(threshold))
    return _("Grey: {what}.").format(what=grey_words(threshold)) + " " + \
        withheld_explanation(threshold)


def gap_note(threshold: int = 3) -> str:
    """Under a chart: what a gap in a line or a missing bar means."""
    if threshold <= 0:
        return _("A gap means there is no figure for that year.")
    return _("A gap means the figure is withheld.") + " " + withheld_explanation(threshold)


def withheld_sentence(hidden: int, total: int, plural: str, threshold: int) -> str:
    """How much is withheld and why, in one sentence; '' when nothing is."""
    if hidden <= 0:
        return ""
    return _("{hidden} of {total} {plural} ({share}) are withheld for this figure: counts "
             "below {threshold} are hidden, with some larger ones so that the small ones cannot "
             "be worked out, because this city's registry is not public row by row.").format(
        hidden=i18n.integer(hidden), total=i18n.integer(total), plural=_(plural),
        share=i18n.percent(hidden / max(total, 1)), threshold=threshold)


def flagged_sentence(low_count: int, unreliable: int, total: int, plural: str,
                     unreliable_words: str = UNRELIABLE_WORDS) -> str:
    """Which values are shown but flagged, in one sentence; '' when none is."""
    parts = []
    if low_count:
        parts.append(_("{n} rest on fewer than {low} businesses or events (low count)").format(
            n=i18n.integer(low_count), low=LOW_COUNT))
    if unreliable:
        parts.append(_("{n} are unreliable ({why})").format(n=i18n.integer(unreliable),
                                                           why=_(unreliable_words)))
    if not parts:
        return ""
    return _("Of {total} {plural}, {parts}: they are shown and marked, but not ranked or named "
             "highest or lowest.").format(total=i18n.integer(total), plural=_(plural),
                                          parts=_(" and ").join(parts))


def not_available_text(city: str, reason: str) -> str:
    """'not available for Chicago: no LODES jobs were loaded'."""
    return _("not available for {city}: {reason}").format(city=city, reason=_(reason))


def place_name(city_name: str) -> str:
    """The city's name without the note in brackets the build adds ('Port Juniper (demo
    city)' → 'Port Juniper')."""
    return re.sub(r"\s*\([^)]*\)\s*$", "", city_name).strip() or city_name


def city_label(city_name: str, is_demo: bool) -> str:
    """The city as subtitles and citations name it, saying once when it is synthetic."""
    return place_name(city_name) + (_(" (demo city: synthetic figures)") if is_demo else "")


def as_sentence(text: str) -> str:
    """'not available for Chicago: …' → 'Not available for Chicago: ….' (only the first
    letter raised: names and acronyms keep their case)."""
    text = text.strip()
    return f"{text[:1].upper()}{text[1:]}{'' if text.endswith('.') else '.'}"


def format_value(value, fmt: str | None = None, suppressed: bool = False,
                 threshold: int = 3, unit: str = "") -> str:
    """'14.2', 'withheld' for a suppressed figure, 'no data' for a missing one."""
    if suppressed:
        return suppressed_text(threshold)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return _("no data")
    text = i18n.number(value, fmt or DEFAULT_FORMAT)
    return f"{text}{unit}" if unit in ("%",) else text


def ordinal(n: int) -> str:
    """1 → '1st', 22 → '22nd', 13 → '13th' (Spanish: '1.º')."""
    if i18n.language() == "es":
        return f"{n}.º"
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
