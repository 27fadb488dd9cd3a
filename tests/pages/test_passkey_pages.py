"""Passkeys and security keys on the pages (AppTest): Your account lists a key and renames and
removes it (a wrong password changes nothing), and a clinic that requires a phishing-resistant
factor of staff leads a staff member without one to the account page until one is added. The
browser ceremony itself is proven in Chromium (tests/e2e/test_passkeys.py)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from services.core.config import settings
from services.identity import passkeys
from tests.pages.test_app import EXPECTED_PAGES, _pages, signed_in
from tests.support import world
from tests.support.soft_authenticator import SoftAuthenticator

ACCOUNT = "pages/account/account.py"


def _add_key(username: str, name: str) -> None:
    actor = world.actor_of(username)
    options = passkeys.add_begin(actor=actor, password=world.DEMO_PASSWORD, kind=passkeys.PASSKEY)
    passkeys.add_finish(actor=actor, response=SoftAuthenticator().create(options), name=name)


def _names(username: str) -> list[str]:
    return [k.name for k in passkeys.credentials(actor=world.actor_of(username))]


def _submit(at: AppTest, button: str, password: str, new_name: str = "") -> AppTest:
    at.text_input(key="passkey_rename").input(new_name)
    at.text_input(key="passkey_remove_password").input(password)
    return at.button(key=f"FormSubmitter:passkey_manage-{button}").click().run()


def test_the_account_page_lists_renames_and_removes_a_key(seeded_url: str) -> None:
    at = signed_in("patient.demo")  # before the key: with one, a password asks for it next
    _add_key("patient.demo", "Work laptop")
    at.switch_page(ACCOUNT).run()
    assert not at.exception
    assert any("Work laptop" in shown.value.to_string() for shown in at.table)

    _submit(at, "Rename", "", new_name="   ")
    assert any("name" in e.value.lower() for e in at.error)
    assert _names("patient.demo") == ["Work laptop"]
    _submit(at, "Rename", "", new_name="Kitchen tablet")
    assert any(s.value == "Renamed." for s in at.success)
    assert _names("patient.demo") == ["Kitchen tablet"]

    _submit(at, "Remove", "not my password")
    assert any("password" in e.value.lower() for e in at.error)
    assert _names("patient.demo") == ["Kitchen tablet"]  # a refusal changes nothing
    _submit(at, "Remove", world.DEMO_PASSWORD)
    assert any(s.value.startswith("Removed.") for s in at.success)
    assert _names("patient.demo") == []


def test_the_add_form_refuses_a_wrong_password_and_starts_nothing(seeded_url: str) -> None:
    at = signed_in("patient.demo")
    at.switch_page(ACCOUNT).run()
    at.text_input(key="passkey_name").input("Phone")
    at.text_input(key="passkey_add_password").input("wrong")
    at.button(key="FormSubmitter:passkey_add-Add").click().run()
    assert any("password" in e.value.lower() for e in at.error)
    assert not [b for b in at.button if b.key == "passkey_create"]  # no ceremony offered
    assert _names("patient.demo") == []


def test_required_keys_lead_staff_to_the_account_page_until_they_add_one(
    seeded_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_STAFF_REQUIRE_PASSKEY", "true")
    settings.cache_clear()
    at = signed_in("clinician.demo")
    assert _pages(at) == {ACCOUNT, "pages/public/help.py"}
    assert at.title[0].value == "Your account"
    assert any("passkey or a security key" in w.value for w in at.warning)

    _add_key("clinician.demo", "Badge key")
    at.run()
    assert _pages(at) == EXPECTED_PAGES["clinician.demo"]
    assert not at.warning

    patient = signed_in("patient.demo")  # the setting is about staff only
    assert _pages(patient) == EXPECTED_PAGES["patient.demo"]
