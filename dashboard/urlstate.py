"""URL state without Streamlit: parse a query parameter against what is allowed.

Every control's value lives in the URL so a copied link reopens the same view. A value
that is not allowed (mistyped, stale, hostile) falls back to the default with a notice.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from core.i18n import _

MAX_PARAM_LENGTH = 200


@dataclass(frozen=True)
class Parsed:
    value: Any
    notice: str | None = None


def _notice(key: str, raw: str, default: Any) -> str:
    shown = raw if len(raw) <= 40 else raw[:40] + "…"
    return _("The link's value {shown} for '{key}' is not available here; showing {default} "
             "instead.").format(shown=repr(shown), key=key, default=default)


def parse_choice(raw: str | None, key: str, allowed: Sequence, default: Any) -> Parsed:
    """The allowed value matching `raw` (compared as text), else the default and a notice."""
    if raw is None or raw == "":
        return Parsed(default)
    by_text = {str(a): a for a in allowed}
    if len(raw) <= MAX_PARAM_LENGTH and raw in by_text:
        return Parsed(by_text[raw])
    return Parsed(default, _notice(key, raw, default))


def parse_multi(raw: str | None, key: str, allowed: Sequence, default: list,
                min_count: int = 0, max_count: int | None = None) -> Parsed:
    """A comma-separated list of allowed values; unknown entries are dropped with a notice."""
    if raw is None or raw == "":
        return Parsed(list(default))
    by_text = {str(a): a for a in allowed}
    parts = raw[:MAX_PARAM_LENGTH * 4].split(",")
    good = [by_text[p] for p in parts if p in by_text]
    good = list(dict.fromkeys(good))[:max_count] if max_count else list(dict.fromkeys(good))
    if len(good) < min_count:
        return Parsed(list(default), _notice(key, raw, ", ".join(map(str, default)) or _("none")))
    if len(good) != len(parts):
        return Parsed(good, _("Some values in the link's '{key}' are not available here and "
                              "were left out.").format(key=key))
    return Parsed(good)
