"""Numbers in words a reader can quote: suppressed and missing values said as such."""
from __future__ import annotations

import math

DEFAULT_FORMAT = "{:,.1f}"


def suppressed_text(threshold: int = 3) -> str:
    return f"fewer than {threshold}"


def format_value(value, fmt: str | None = None, suppressed: bool = False,
                 threshold: int = 3, unit: str = "") -> str:
    """'14.2', 'fewer than 3' for a suppressed count, 'no data' for a missing one."""
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
