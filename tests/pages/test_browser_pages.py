"""Browsers on the pages (AppTest): Your account lists the browsers an account signed in from and
forgets one or all; the link of a new-sign-in notice opens "Secure your account", which refuses a
weak password, then ends every session and changes the password once. Trusting a browser at the
second step, which needs a real browser's cookie, is proven in Chromium
(tests/e2e/test_browsers.py)."""

from __future__ import annotations

import re
from datetime import timedelta

from streamlit.testing.v1 import AppTest

from services.core import clock, notify
from services.identity import account, auth, browsers, sessions
from tests.pages.test_app import APP, signed_in
from tests.services.identity.test_browsers import LAPTOP, NEW_PASSWORD, PHONE
from tests.support import world

ACCOUNT = "pages/account/account.py"


def _browsers_table(at: AppTest) -> str:
    return next(
        shown.value.to_string() for shown in at.table if "Browser" in shown.value.index.name
    )


def test_the_account_page_lists_the_browsers_and_forgets_them(seeded_url: str) -> None:
    auth.sign_in(username="patient.demo", password=world.DEMO_PASSWORD, browser=LAPTOP)
    with clock.frozen(clock.now() + timedelta(minutes=1)):
        auth.sign_in(username="patient.demo", password=world.DEMO_PASSWORD, browser=PHONE)
    at = signed_in("patient.demo")
    at.switch_page(ACCOUNT).run()
    assert not at.exception
    shown = _browsers_table(at)
    assert "Chrome on Windows" in shown and "Mobile Safari on iOS" in shown
    assert "Not trusted" in shown

    at.selectbox(key="browser_pick").select_index(0)
    at.button(key="FormSubmitter:browsers_forget-Forget this browser").click().run()
    assert [s.value for s in at.success] == ["Forgotten."]
    me = world.actor_of("patient.demo")
    assert [b.description for b in browsers.browsers_list(actor=me, browser=None)] == [
        "Chrome on Windows"
    ]
    at.button(key="FormSubmitter:browsers_forget-Forget every browser").click().run()
    assert [s.value for s in at.success] == ["Every browser is forgotten."]
    assert browsers.browsers_list(actor=me, browser=None) == []
    assert "None yet." in [m.value for m in at.markdown]


def test_the_notices_link_secures_the_account(seeded_url: str) -> None:
    auth.sign_in(username="patient.demo", password=world.DEMO_PASSWORD, browser=LAPTOP)
    intruder = auth.sign_in(username="patient.demo", password=world.DEMO_PASSWORD, browser=PHONE)
    assert isinstance(intruder, auth.SignedIn)
    address = account.account_overview(actor=world.actor_of("patient.demo")).email
    mail = notify.demo_inbox(actor=world.actor_of("admin.demo"))
    [body] = [m.body for m in mail if m.to == address and "secure-account?token=" in m.body]
    token = re.search(r"token=([\w-]+)", body).group(1)  # type: ignore[union-attr]

    page = AppTest.from_file(APP, default_timeout=60)
    page.query_params["token"] = token
    page.run().switch_page("pages/public/secure_account.py").run()
    assert page.title[0].value == "Secure your account"
    page.text_input(key="secure_password").input("password")
    page.button[0].click().run()
    assert page.error and not page.success  # a weak password: nothing changed
    sessions.session_resume(token=intruder.token, acting_for=None)

    page.text_input(key="secure_password").input(NEW_PASSWORD)
    page.button[0].click().run()
    assert [s.value for s in page.success] == [
        "Done. Every session was signed out; sign in with your new password."
    ]
    assert isinstance(auth.sign_in(username="patient.demo", password=NEW_PASSWORD), auth.SignedIn)
    page.button[0].click().run()  # the link works once
    assert "already used" in page.error[0].value
