"""The one translation layer: gettext catalogs (`locale/<code>/LC_MESSAGES/portal.po`, read with
Babel), the language the work in hand is done in, and numbers, money, dates and times formatted
for it.

Every string a user reads is written in English in the code as one whole sentence with named
places (`t("Your visit with {provider} is booked.", provider=name)`), never glued together from
parts, so a translator can move the places where the language needs them. A module-level string
is marked with `N_` (found by the extractor) and translated where it is shown: `t(ADVICE)`.
The language is a context variable: the page frame sets it at the start of each run (each
Streamlit session runs in its own thread), a job sets it per recipient with `using`.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel import Locale, dates, lists, numbers
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ENGLISH = "en"
# The languages a person may choose, each named in itself. English and Spanish are complete
# (a test fails otherwise); Arabic covers the sign-in page, to show right-to-left works.
LANGUAGES: dict[str, str] = {"en": "English", "es": "Español", "ar": "العربية"}
COMPLETE = ("en", "es")
DOMAIN = "portal"
LOCALES = Path(__file__).resolve().parents[2] / "locale"
KEYWORDS = {"t": None, "tn": (1, 2), "N_": None}  # what the extractor looks for

_current: ContextVar[str] = ContextVar("language", default=ENGLISH)


def known(code: str | None) -> str:
    """`code` when the portal speaks it, else English."""
    return code if code in LANGUAGES else ENGLISH


def use(code: str | None) -> None:
    """Do the rest of this run (this thread's work) in `code`."""
    _current.set(known(code))


@contextmanager
def using(code: str | None) -> Iterator[None]:
    """Do the work inside the block in `code` (an email to one recipient)."""
    token = _current.set(known(code))
    try:
        yield
    finally:
        _current.reset(token)


def current() -> str:
    return _current.get()


def right_to_left(code: str | None = None) -> bool:
    return _locale(known(code or current())).character_order == "right-to-left"


@cache
def _locale(code: str) -> Locale:
    """CLDR's data for a language, parsed once (the frame asks on every run)."""
    return Locale.parse(code)


def catalog_path(code: str) -> Path:
    return LOCALES / code / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def catalog(code: str) -> Catalog | None:
    """The language's catalog as written (None for English, the language of the code)."""
    if code == ENGLISH:
        return None
    with catalog_path(code).open("rb") as po:
        return read_po(po, locale=code, domain=DOMAIN)


@cache
def _translations(code: str) -> gettext.NullTranslations:
    """The catalog's translated, reviewed messages (fuzzy ones are left out, so they show in
    English), compiled in memory: gettext's own lookup and plural rules."""
    found = catalog(code)
    if found is None:
        return gettext.NullTranslations()
    compiled = io.BytesIO()
    write_mo(compiled, found)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def N_(message: str) -> str:  # noqa: N802 (gettext's name, known to every translator's tool)
    """Mark a string for the catalogs where it cannot be translated yet (defined at import)."""
    return message


def t(message: str, **places: object) -> str:
    """`message` in the current language, its {places} filled in (an empty message stays
    empty: gettext would give the catalog's header)."""
    return _fill(_translations(current()).gettext(message), places) if message else ""


def tn(singular: str, plural: str, count: int, **places: object) -> str:
    """The singular or (one of the language's) plural forms for `count`; {count} is filled in
    with the count formatted for the language."""
    text = _translations(current()).ngettext(singular, plural, count)
    return _fill(text, {"count": number(count), **places})


def _fill(text: str, places: dict[str, object]) -> str:
    return text.format(**places) if places else text


def number(value: int | float | Decimal, digits: int | None = None) -> str:
    """A number as the language writes it (1,234.5 in English, 1.234,5 in Spanish)."""
    if digits is None:
        return numbers.format_decimal(value, locale=current())
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return numbers.format_decimal(value, format=pattern, locale=current())


def percent(share: float, digits: int = 0) -> str:
    """A share as a percentage, the sign where the language puts it (26%; 26 %)."""
    pattern = _locale(current()).percent_formats[None].pattern
    if digits:
        pattern = pattern.replace("0", "0." + "0" * digits, 1)
    return numbers.format_percent(share, format=pattern, locale=current())


def listing(items: Iterable[str]) -> str:
    """Items joined as the language joins them (A, B and C; A, B y C)."""
    return lists.format_list(list(items), locale=current())


def money(cents: int) -> str:
    """US dollars as the language writes them ($1,234.50; 1.234,50 US$ in Spanish)."""
    return numbers.format_currency(Decimal(cents).scaleb(-2), "USD", locale=current())


def day(value: date) -> str:
    """A date with the month's name (Jan 31, 2026; 31 ene 2026)."""
    return dates.format_date(value, format="medium", locale=current())


def month(value: date) -> str:
    """A month with its year (December 2026; diciembre de 2026)."""
    return dates.format_skeleton("yMMMM", value, locale=current())


def moment(value: datetime) -> str:
    """A wall-clock time to the minute with its date and zone (`value` carries the clinic's
    zone): Mar 8, 2026, 2:05 PM CDT; 8 mar 2026, 14:05 CDT."""
    shown = dates.format_datetime(value, _moment_pattern(current()), locale=current())
    zone = value.tzname()
    return f"{shown} {zone}" if zone else shown


@cache
def _moment_pattern(code: str) -> str:
    """The language's medium date and short time, joined as the language joins them."""
    found = _locale(code)
    joined: str = found.datetime_formats["medium"]
    date_part, time_part = found.date_formats["medium"].pattern, found.time_formats["short"].pattern
    return joined.replace("{1}", date_part).replace("{0}", time_part)
