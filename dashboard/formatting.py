"""Numbers in words a reader can quote: suppressed and missing values said as such."""
from __future__ import annotations

import math

DEFAULT_FORMAT = "{:,.1f}"
WITHHELD = "withheld"


def suppressed_text(threshold: int = 3) -> str:
    """How any hidden figure reads: one word, the same for a count below the threshold and
    for a larger count hidden to protect it (saying which would leak). `threshold` is kept
    for callers; `withheld_explanation` says what the word covers."""
    return WITHHELD


def withheld_explanation(threshold: int = 3) -> str:
    """The one explanation of "withheld", for legends, footnotes and header blocks."""
    return (f"Withheld: fewer than {threshold} businesses, or hidden so that a smaller count "
            "cannot be worked out from the totals.")


def grey_note(threshold: int = 3) -> str:
    """Under a map: what a grey area means."""
    return f"Grey: {WITHHELD} or no data. {withheld_explanation(threshold)}"


def gap_note(threshold: int = 3) -> str:
    """Under a chart: what a gap in a line or a missing bar means."""
    return f"A gap means the figure is {WITHHELD}. {withheld_explanation(threshold)}"


def format_value(value, fmt: str | None = None, suppressed: bool = False,
                 threshold: int = 3, unit: str = "") -> str:
    """'14.2', 'withheld' for a suppressed figure, 'no data' for a missing one."""
    if suppressed:
        return suppressed_text(threshold)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "no data"
    text = (fmt or DEFAULT_FORMAT).format(value)
    return f"{text}{unit}" if unit in ("%",) else text


def ordinal(n: int) -> str:
    """1 → '1st', 22 → '22nd', 13 → '13th'."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
