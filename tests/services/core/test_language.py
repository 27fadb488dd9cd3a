"""The translation layer: catalogs, the language of the work in hand, plural forms, and numbers,
money and dates written for the language."""

from __future__ import annotations

import threading
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from services.core import language
from services.core.language import t, tn


def test_a_message_is_shown_in_the_current_language_with_its_places_filled() -> None:
    where = "a***@example.org"
    with language.using("es"):
        assert t("Sign in") == "Iniciar sesión"
        assert t("We sent a code to {where}. It expires in 10 minutes.", where=where) == (
            f"Enviamos un código a {where}. Vence en 10 minutos."
        )
        assert t("A sentence no catalog holds.") == "A sentence no catalog holds."
        assert t("") == ""
    assert t("Sign in") == "Sign in"
    with language.using("xx"):  # a language the portal does not speak: English
        assert language.current() == "en"


def test_each_thread_works_in_its_own_language() -> None:
    seen: list[str] = []

    def other() -> None:
        language.use("es")
        seen.append(t("Sign in"))

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert seen == ["Iniciar sesión"]
    assert t("Sign in") == "Sign in"


@pytest.fixture
def made_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Catalog:
    """A Spanish catalog of the test's own, read in place of locale/."""
    catalog = Catalog(locale="es", domain=language.DOMAIN)
    monkeypatch.setattr(language, "LOCALES", tmp_path)
    language.catalog.cache_clear()
    language._translations.cache_clear()

    def write() -> None:
        path = language.catalog_path("es")
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as po:
            write_po(po, catalog)

    catalog.write = write  # type: ignore[attr-defined]
    yield catalog
    language.catalog.cache_clear()
    language._translations.cache_clear()


def test_plural_forms_follow_the_language_and_a_guessed_translation_is_not_used(
    made_catalog: Catalog,
) -> None:
    made_catalog.add(
        ("{count} result", "{count} results"), ("{count} resultado", "{count} resultados")
    )
    made_catalog.add("Pay now", "Pagar ahora", flags=["fuzzy"])
    made_catalog.write()  # type: ignore[attr-defined]
    with language.using("es"):
        one = tn("{count} result", "{count} results", 1)
        many = tn("{count} result", "{count} results", 1234)
        assert (one, many) == ("1 resultado", "1.234 resultados")
        assert t("Pay now") == "Pay now"  # fuzzy: shown in English until reviewed
    assert tn("{count} result", "{count} results", 1234) == "1,234 results"


def test_numbers_money_and_dates_are_written_for_the_language() -> None:
    moment = datetime(2026, 3, 8, 14, 5, tzinfo=ZoneInfo("America/Chicago"))
    assert (language.number(1234.5), language.money(123450)) == ("1,234.5", "$1,234.50")
    assert language.day(date(2026, 1, 31)) == "Jan 31, 2026"
    assert language.month(date(2026, 12, 1)) == "December 2026"
    assert language.moment(moment) == "Mar 8, 2026, 2:05\u202fPM CDT"
    assert language.percent(0.256) == "26%"
    with language.using("es"):
        assert (language.number(1234.5), language.money(123450)) == ("1.234,5", "1.234,50\xa0US$")
        assert language.day(date(2026, 1, 31)) == "31 ene 2026"
        assert language.month(date(2026, 12, 1)) == "diciembre de 2026"
        assert language.moment(moment) == "8 mar 2026, 14:05 CDT"
        assert (language.percent(0.256), language.percent(0.256, 1)) == ("26\xa0%", "25,6\xa0%")


def test_arabic_is_laid_out_right_to_left() -> None:
    assert language.right_to_left("ar")
    assert not language.right_to_left("es")
