"""The portal in Spanish and the sign-in page in Arabic, in a real browser (issue 18): the
language chosen before signing in is kept in the account; right to left does not break the
layout."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from seed import demo
from tests.e2e.conftest import choose, new_tab

pytestmark = pytest.mark.e2e


def _sign_in_as(page: Page, username: str, user_label: str, password_label: str, go: str) -> None:
    page.get_by_role("textbox", name=user_label).fill(username)
    page.get_by_role("textbox", name=password_label, exact=True).fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name=go, exact=True).click()


def test_a_patient_reads_sign_in_home_and_results_in_spanish_and_keeps_it(
    page: Page, browser: Browser, app_url: str
) -> None:
    page.goto(app_url)
    choose(page, "Language", "Español")
    expect(page.get_by_role("heading", name="Portal de Lakeside Health")).to_be_visible()
    _sign_in_as(page, "patient.demo", "Nombre de usuario", "Contraseña", "Iniciar sesión")
    expect(page.get_by_role("heading", name="Bienvenido/a, Alex")).to_be_visible()
    expect(page.get_by_role("heading", name="Próximas citas")).to_be_visible()
    page.get_by_role("link", name="Resultados de pruebas").click()
    expect(page.get_by_role("heading", name="Resultados de pruebas")).to_be_visible()
    expect(page.get_by_text("Descargar resultados (CSV)")).to_be_visible()
    page.get_by_role("button", name="Cerrar sesión", exact=True).click()
    expect(page.get_by_text("Ha cerrado la sesión.")).to_be_visible()  # the tab keeps Spanish

    other = new_tab(browser)  # another browser: its sign-in page starts in English
    try:
        other.goto(app_url)
        _sign_in_as(other, "patient.demo", "Username", "Password", "Sign in")
        expect(other.get_by_role("heading", name="Bienvenido/a, Alex")).to_be_visible()
    finally:
        other.context.close()


def test_the_sign_in_page_in_arabic_reads_right_to_left_without_sideways_scrolling(
    page: Page, app_url: str
) -> None:
    page.goto(app_url)
    choose(page, "Language", "العربية")
    expect(page.get_by_role("heading", name="بوابة ليكسايد الصحية")).to_be_visible()
    expect(page.get_by_role("textbox", name="اسم المستخدم")).to_be_visible()
    main = page.get_by_test_id("stMain")
    assert main.evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    box = page.get_by_role("textbox", name="اسم المستخدم").bounding_box()
    assert box is not None and box["x"] + box["width"] <= 1280
