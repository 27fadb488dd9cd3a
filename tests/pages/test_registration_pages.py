"""The registration and verification forms under AppTest."""

from __future__ import annotations

import re

from streamlit.testing.v1 import AppTest

from services.core import notify
from tests.pages.test_app import APP
from tests.services.identity.test_registration import GOOD_PASSWORD, _unregistered
from tests.support import world


def _open_register() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("pages/public/register.py").run()
    return at


def test_register_shows_field_messages_then_creates_a_pending_account(seeded_url: str) -> None:
    p = _unregistered()
    at = _open_register()
    assert at.title[0].value == "Create your patient account"
    at.button[0].click().run()  # everything empty
    assert not at.exception
    messages = " ".join(e.value for e in at.error)
    assert "Enter your first name." in messages and "date of birth" in messages
    at.text_input(key="register_first").input(p.first_name)
    at.text_input(key="register_last").input(p.last_name)
    at.date_input(key="register_birth").set_value(p.birth_date)
    at.text_input(key="register_mrn").input(p.mrn)
    at.button[0].click().run()
    assert "We found your record" in at.success[0].value
    at.text_input(key="register_email").input("form.user@example.org")
    at.text_input(key="register_username").input("form.user")
    at.text_input(key="register_password").input("short")
    at.run()
    assert "Very weak" in at.get("progress")[0].proto.text or at.get("progress")
    at.button(key="register_create").click().run()
    errors = " ".join(e.value for e in at.error)
    assert "Password: Use at least 15 characters" in errors and "Accept terms:" in errors
    at.text_input(key="register_password").input(GOOD_PASSWORD)
    at.checkbox(key="register_terms").check()
    at.button(key="register_create").click().run()
    assert not at.exception
    assert at.title[0].value == "Verify your email"
    code = re.search(
        r"\b(\d{6})\b", notify.demo_inbox(actor=world.actor_of("admin.demo"))[0].body
    ).group(1)  # type: ignore[union-attr]
    # AppTest keeps its own idea of the current page: open the verify page as the browser is now.
    at.switch_page("pages/public/verify_email.py").run()
    assert at.text_input(key="verify_username_input").value == "form.user"
    at.text_input(key="verify_code").input(code)
    at.button[0].click().run()
    assert [e.value for e in at.error] == [] and "account is active" in at.success[0].value


def test_a_mismatch_shows_the_same_neutral_message(seeded_url: str) -> None:
    at = _open_register()
    at.text_input(key="register_first").input("Nobody")
    at.text_input(key="register_last").input("Here")
    at.date_input(key="register_birth").set_value(__import__("datetime").date(1970, 1, 1))
    at.text_input(key="register_mrn").input("12345678")
    at.button[0].click().run()
    assert [e.value for e in at.error] == [
        "We could not match these details to a patient record without an account. Check them "
        "against your visit paperwork, or ask the clinic for an activation code."
    ]


def test_recover_pages_answer_without_revealing_accounts(seeded_url: str) -> None:
    from services.identity import recovery

    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("pages/public/recover.py").run()
    at.text_input(key="recover_email").input("nobody@nowhere.example")
    at.button[0].click().run()
    assert [i.value for i in at.info] == [recovery.SENT]
    at.text_input(key="recover_username").input("patient.demo")
    at.button[1].click().run()
    assert [i.value for i in at.info] == [recovery.SENT]
    body = notify.demo_inbox(actor=world.actor_of("admin.demo"))[0].body
    code = re.search(r"code is (\w{5}-\w{5})", body).group(1)  # type: ignore[union-attr]
    at.text_input(key="reset_username").input("patient.demo")
    at.text_input(key="reset_code").input(code)
    at.text_input(key="reset_password").input("quiet harbor lantern morning")
    at.button[2].click().run()
    assert not at.exception and "password is changed" in at.success[0].value
