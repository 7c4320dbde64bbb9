"""The language of the words on screen and in the exports: English (the source text) or
Spanish, from gettext catalogs, and numbers and dates written the way each reads them.

One catalog per language, `locale/<lang>/LC_MESSAGES/messages.po`, read and compiled in
memory the first time it is needed (no build step, no .mo file to keep in step). The
language is per visitor: the UI frame sets it at the start of each run (`set_language`),
and a function called later, outside that run (a download made on click), carries it with
`bound`. Code marks its words with `_()` (`ngettext` for counted ones); words defined at
import time are marked with `N_()` and translated where they are shown. The registry's
metric words are translated in one place, `core.metrics.Metric`.

Refresh the catalog after changing words: `python -m core.i18n_catalog` (its test fails
while a word has no Spanish).
"""
from __future__ import annotations

import functools
import gettext as _gettext
import math
import re
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from typing import Callable, Iterator, TypeVar

from babel.dates import format_date
from babel.messages import mofile, pofile
from babel.numbers import format_decimal

LANGUAGES = {"en": "English", "es": "Español"}
DEFAULT = "en"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"

_current: ContextVar[str] = ContextVar("atlas_language", default=DEFAULT)
T = TypeVar("T")
# The areas this run shows (a city's neighborhoods, or another layer such as its wards), in
# English, the catalog's msgids: set from the open database (`set_areas`), said by `areas`.
FIRST_AREAS = ("neighborhood", "neighborhoods")
_areas: ContextVar[tuple[str, str]] = ContextVar("atlas_areas", default=FIRST_AREAS)


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(lang: str) -> _gettext.NullTranslations:
    """The compiled catalog of `lang` (English: the words as written)."""
    path = po_path(lang)
    if lang == DEFAULT or not path.exists():
        return _gettext.NullTranslations()
    with path.open("rb") as handle:
        catalog = pofile.read_po(handle, locale=lang)
    compiled = BytesIO()
    mofile.write_mo(compiled, catalog)
    compiled.seek(0)
    return _gettext.GNUTranslations(compiled)


def language() -> str:
    return _current.get()


def set_language(lang: str | None) -> str:
    """Use `lang` for the rest of this run (an unknown one: English); returns it."""
    lang = lang if lang in LANGUAGES else DEFAULT
    _current.set(lang)
    return lang


@contextmanager
def using(lang: str) -> Iterator[str]:
    token = _current.set(lang if lang in LANGUAGES else DEFAULT)
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def set_areas(singular: str | None, plural: str | None) -> tuple[str, str]:
    """The areas of the rest of this run, in English ("ward", "wards"); none given: the
    neighborhoods."""
    nouns = (singular, plural) if singular and plural else FIRST_AREAS
    _areas.set(nouns)
    return nouns


def areas(plural: bool = False, capital: bool = False) -> str:
    """This run's areas in the reader's language: "ward", "Wards", "distritos"…"""
    word = gettext(_areas.get()[1 if plural else 0])
    return word[:1].upper() + word[1:] if capital else word


def in_areas(message: str) -> str:
    """`message` in the current language with this run's areas named where it says
    {area}, {areas}, {Area} or {Areas} (the registry's words, which every layer shares)."""
    text = gettext(message)
    if "{" not in text:
        return text
    for word, plural, capital in (("{area}", False, False), ("{areas}", True, False),
                                  ("{Area}", False, True), ("{Areas}", True, True)):
        text = text.replace(word, areas(plural, capital))
    return text


def areas_are_first() -> bool:
    """Whether this run shows the neighborhoods (the first set of areas)."""
    return _areas.get() == FIRST_AREAS


@contextmanager
def using_areas(singular: str, plural: str) -> Iterator[tuple[str, str]]:
    token = _areas.set((singular, plural))
    try:
        yield _areas.get()
    finally:
        _areas.reset(token)


def bound(function: Callable[..., T]) -> Callable[..., T]:
    """`function`, called later in the language and with the areas of now (a download made
    on click runs outside the page's run)."""
    lang, nouns = language(), _areas.get()

    def call(*args, **kwargs) -> T:
        with using(lang), using_areas(*nouns):
            return function(*args, **kwargs)
    return call


def gettext(message: str) -> str:
    """`message` in the current language ('' stays '')."""
    if not message:
        return message
    return translations(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(language()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks words defined at import time for the catalog; `_()` translates them where shown."""
    return message


_ = gettext


# --- Numbers and dates ---------------------------------------------------------------------

_SPEC = re.compile(r"^(?P<pre>[^{}]*)\{:(?P<sign>\+)?(?P<group>,)?(?:\.(?P<digits>\d+))?"
                   r"(?P<type>[fd%])\}(?P<post>[^{}]*)$")


def number(value, fmt: str = "{:,.1f}") -> str:
    """`value` written by the Python format `fmt` ('{:,.1f}', '${:,.0f}', '{:.0%}', '{:+.1%}')
    in the current language: en '1,234.5', es '1.234,5'; es '12 %'."""
    text = fmt.format(value)
    if language() == DEFAULT:
        return text
    match = _SPEC.match(fmt)
    if not match or value is None or (isinstance(value, float) and math.isnan(value)):
        return text
    digits = int(match["digits"] or 0)
    pattern = ("#,##0" if match["group"] else "0") + ("." + "0" * digits if digits else "")
    shown = value * 100 if match["type"] == "%" else value
    written = format_decimal(abs(shown) if match["sign"] else shown, format=pattern,
                             locale=language())
    if match["sign"]:
        written = ("+" if shown > 0 else "-" if shown < 0 else "") + written
    if match["type"] == "%":
        written += "\u00a0%"
    return f"{match['pre']}{written}{match['post']}"


def integer(value) -> str:
    """A count with its thousands grouped: en '1,234', es '1.234'."""
    return number(value, "{:,.0f}")


def percent(value, digits: int = 0) -> str:
    return number(value, "{:.%d%%}" % digits)


def day(value: date | datetime, style: str = "long") -> str:
    """A date in words: en 'December 4, 2026', es '4 de diciembre de 2026'."""
    return format_date(value, format=style, locale=language())
