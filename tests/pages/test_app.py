"""The frame and the homes under Streamlit's AppTest: navigation per role, errors as messages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pages.components import authenticator, languages, navigation, state
from pages.components.format import plain
from services.core import cookie_handoff, db
from services.identity import sessions
from tests.support import postgres, world
from tests.support.world import DEMO_PASSWORD

APP = str(Path(__file__).resolve().parents[2] / "app.py")

PUBLIC = {p.path for p in navigation.PUBLIC_PAGES}
# Every signed-in person has these; the patient side has its own pages besides.
EVERYONE = {
    "pages/account/account.py",
    "pages/public/help.py",
    "pages/public/undo_change.py",
    "pages/public/secure_account.py",
}
PATIENT_SIDE = EVERYONE | {
    "pages/patient/home.py",
    "pages/patient/results.py",
    "pages/patient/records.py",
    "pages/patient/outside_records.py",
    "pages/patient/metrics.py",
    "pages/patient/visits.py",
    "pages/patient/messages.py",
    "pages/patient/refills.py",
    "pages/patient/billing.py",
    "pages/patient/requests.py",
    "pages/proxy/request_access.py",
    "pages/public/invitation.py",
}
EXPECTED_PAGES = {
    "patient.demo": PATIENT_SIDE | {"pages/patient/proxies.py"},  # a caregiver has none of theirs
    "proxy.demo": PATIENT_SIDE,
    "clinician.demo": EVERYONE
    | {
        "pages/clinician/home.py",
        "pages/clinician/schedule.py",
        "pages/staff/inbox.py",
        "pages/clinician/refills.py",
        "pages/clinician/results.py",
        "pages/clinician/alerts.py",
        "pages/clinician/amendments.py",
        "pages/clinician/metrics.py",
    },
    "him.demo": EVERYONE
    | {
        "pages/him/home.py",
        "pages/him/records_requests.py",
        "pages/him/proxy_review.py",
        "pages/him/outside_records.py",
        "pages/staff/inbox.py",
    },
    "billing.demo": EVERYONE
    | {
        "pages/billing/home.py",
        "pages/staff/inbox.py",
        "pages/billing/receivables.py",
        "pages/billing/payments.py",
        "pages/billing/plans.py",
        "pages/billing/assistance.py",
    },
    "manager.demo": EVERYONE
    | {
        "pages/manager/home.py",
    },
    "admin.demo": EVERYONE
    | {
        "pages/admin/home.py",
        "pages/admin/accounts.py",
        "pages/admin/schedule.py",
        "pages/admin/demo_inbox.py",
    },
}
EXPECTED_TITLE = {
    "patient.demo": "Welcome, Alex",
    "proxy.demo": "Emma Larson's home",
    "clinician.demo": "Clinician home",
    "him.demo": "Health information management",
    "billing.demo": "Billing",
    "manager.demo": "Portal usage",
    "admin.demo": "Administration",
}


def _pages(at: AppTest) -> set[str]:
    root = Path(APP).parent
    return {str(Path(p["script_path"]).relative_to(root)) for p in at._registered_pages.values()}


def submitted(username: str, password: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    fields = {t.label: t for t in at.text_input}
    fields["Username"].input(username)
    fields["Password"].input(password)
    return at.button[0].click().run()


def _has_code_input(at: AppTest) -> bool:
    return any(t.key == "sign_in_code" for t in at.text_input)


def signed_in(username: str, password: str = DEMO_PASSWORD) -> AppTest:
    at = submitted(username, password)
    if _has_code_input(at):
        at.text_input(key="sign_in_code").input(world.demo_code(username))
        at.button(key="FormSubmitter:sign_in_second_step-Verify").click().run()
    # The run that signs in starts on the sign-in page; AppTest settles on the home page (and
    # its widget ids) on the next run, as a browser does once it has the new page list.
    return at.run()


def test_a_full_run_reads_the_session_once_for_the_frame_and_the_timer(
    seeded_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = signed_in("patient.demo")
    asked: list[str] = []
    monkeypatch.setattr(sessions, "session_status", lambda *, token: asked.append(token) or 0.0)
    at.run()
    assert not at.exception and at.title[0].value == EXPECTED_TITLE["patient.demo"]
    assert asked == []  # the timer used what the frame had just read


def test_anonymous_visitor_gets_only_the_sign_in_page(seeded_url: str) -> None:
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert _pages(at) == PUBLIC
    assert at.title[0].value == "Lakeside Health portal"
    assert not at.exception


@pytest.mark.parametrize("username", list(EXPECTED_PAGES))
def test_each_role_sees_exactly_its_pages_and_a_home_with_data(
    seeded_url: str, username: str
) -> None:
    at = signed_in(username)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert _pages(at) == EXPECTED_PAGES[username]
    assert at.title[0].value == EXPECTED_TITLE[username]
    assert len(at.metric) >= 4
    assert (
        username.split(".")[0] in " ".join(m.value for m in at.sidebar.markdown)
        or at.sidebar.markdown
    )


def test_wrong_password_is_a_message_not_a_traceback(seeded_url: str) -> None:
    at = submitted("patient.demo", "wrong-password-for-sure")
    assert not at.exception
    assert [e.value for e in at.error] == ["Incorrect username or password."]
    assert _pages(at) == PUBLIC


def test_a_revoked_grant_leaves_the_switcher_at_the_next_click(seeded_url: str) -> None:
    """A grant revoked while the proxy is signed in: the next click says so; no record, no trace."""
    from sqlalchemy import update

    from services.core import clock, db
    from services.core.models import ProxyGrant
    from tests.support.world import patient_id

    at = signed_in("proxy.demo")
    with db.transaction() as s:
        s.execute(
            update(ProxyGrant)
            .where(ProxyGrant.patient_id == patient_id("Ruth", "Larson"))
            .values(revoked_at=clock.now())
        )
    at.sidebar.selectbox(key="sidebar_acting_for").select(patient_id("Ruth", "Larson")).run()
    assert not at.exception and not at.error
    assert [w.value for w in at.sidebar.warning] == [
        "Your access to Ruth Larson's record has ended."
    ]
    box = at.sidebar.selectbox(key="sidebar_acting_for")
    assert "Ruth Larson (child)" not in box.options
    assert at.title[0].value == "Emma Larson's home"


def test_an_unexpected_error_shows_a_generic_message(
    seeded_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:

    from services.homes import clinician

    at = signed_in("clinician.demo")

    def broken(**_: object) -> None:
        raise RuntimeError("database exploded with PHI inside")

    monkeypatch.setattr(clinician, "clinician_home", broken)
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [state.GENERIC_ERROR]


def test_the_database_gone_is_a_clear_message_and_the_next_click_after_it_returns_works(
    own_seeded_url: str, own_postgres: postgres.PostgresServer
) -> None:
    at = signed_in("patient.demo")
    assert at.title[0].value == EXPECTED_TITLE["patient.demo"]
    own_postgres.halt("fast")
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [db.UNREACHABLE]
    own_postgres.resume()
    at.run()  # the same session, no sign-in again
    assert not at.exception and not at.error
    assert at.title[0].value == EXPECTED_TITLE["patient.demo"]


def test_proxy_switches_between_the_people_they_care_for(seeded_url: str) -> None:
    from tests.support.world import patient_id

    at = signed_in("proxy.demo")
    box = at.sidebar.selectbox(key="sidebar_acting_for")
    assert box.options == [  # by name
        "Emma Larson (parent)",
        "Mia Larson (parent)",
        "Ruth Larson (child)",
    ]
    box.select(patient_id("Ruth", "Larson")).run()
    assert at.title[0].value == "Ruth Larson's home"
    # Ruth's consent leaves billing out: no balance on her home.
    assert "Balance due" not in [m.label for m in at.metric]


def test_sign_out_returns_to_the_sign_in_page(seeded_url: str, bound_browser: None) -> None:
    at = signed_in("patient.demo")
    at.sidebar.button(key="sidebar_sign_out").click().run()
    assert _pages(at) == PUBLIC
    assert at.session_state[state.ACTOR] is None and at.session_state[state.TOKEN] is None
    assert [i.value for i in at.info] == ["You have signed out."]
    # The browser is told to drop the cookie; the notice stays until the next sign-in.
    assert _cookie_handoffs(at) == [cookie_handoff.Cookie("lakeside_session", "", 0)]
    at.run()
    assert [i.value for i in at.info] == ["You have signed out."]


def test_a_disabled_account_is_signed_out_on_its_next_rerun(seeded_url: str) -> None:
    from sqlalchemy import update

    from services.core import db
    from services.core.models import User

    at = signed_in("patient.demo")
    with db.transaction() as s:
        s.execute(update(User).where(User.username == "patient.demo").values(status="disabled"))
    at.run()
    assert _pages(at) == PUBLIC
    assert "Your session has ended. Please sign in again." in [i.value for i in at.info]


def test_a_misconfigured_database_stops_start_up_with_one_line(configure) -> None:  # type: ignore[no-untyped-def]
    import streamlit as st

    st.cache_resource.clear()  # start-up runs once per process; this test is a new start
    configure("mysql://nowhere/portal")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "The portal cannot start: "
        "PORTAL_DATABASE_URL must be a duckdb:/// or postgresql:// URL, not mysql://"
    ]


def test_an_idle_session_ends_on_the_next_rerun(seeded_url: str) -> None:
    from datetime import timedelta

    from services.core import clock
    from tests.conftest import NOW

    at = signed_in("patient.demo")
    with clock.frozen(NOW + timedelta(minutes=14)):
        at.run()  # activity: the session goes on
        assert _pages(at) == EXPECTED_PAGES["patient.demo"]
    with clock.frozen(NOW + timedelta(minutes=14 + 16)):
        at.run()
        assert _pages(at) == PUBLIC
        assert "Your session has ended. Please sign in again." in [i.value for i in at.info]


def test_sign_out_everywhere_ends_the_other_tabs(seeded_url: str) -> None:
    first, second = signed_in("patient.demo"), signed_in("patient.demo")
    first.sidebar.button(key="sidebar_sign_out_all").click().run()
    assert _pages(first) == PUBLIC
    assert [i.value for i in first.info] == ["You have signed out on every device (2 sessions)."]
    second.run()
    assert _pages(second) == PUBLIC
    assert [i.value for i in second.info] == ["Your session has ended. Please sign in again."]


def test_the_idle_warning_counts_down() -> None:
    from pages.components.sidebar import idle_notice

    assert idle_notice(5 * 60, 2) is None
    assert idle_notice(120, 2) == "You will be signed out in about 2 minutes for inactivity."
    assert idle_notice(42.4, 2) == "You will be signed out in 42 seconds for inactivity."


def test_staff_sign_in_asks_for_the_code_and_refuses_a_wrong_one(seeded_url: str) -> None:
    at = submitted("clinician.demo", DEMO_PASSWORD)
    assert _has_code_input(at) and at.subheader[0].value == "Two-step verification"
    at.text_input(key="sign_in_code").input("000000")
    at.button[0].click().run()
    assert [e.value for e in at.error] == [
        "That code is not right. Enter the current code from your app, or a recovery code."
    ]
    assert _pages(at) == PUBLIC
    at.text_input(key="sign_in_code").input(world.demo_code("clinician.demo"))
    at.button[0].click().run()
    at.run()
    assert at.title[0].value == "Clinician home"


def test_staff_enrol_at_first_sign_in_and_see_recovery_codes_once(seeded_url: str) -> None:
    import pyotp
    from sqlalchemy import select

    from services.core import clock, db
    from services.core.models import User
    from services.identity import auth

    with db.transaction() as s:
        user = s.scalars(
            select(User).where(User.username.like("provider%")).order_by(User.username)
        ).first()
        assert user is not None
        user.password_hash = auth.hash_password(DEMO_PASSWORD)
        username = user.username
    at = submitted(username, DEMO_PASSWORD)
    assert at.subheader[0].value == "Set up two-step verification"
    secret = at.text_input(key="sign_in_key").value
    at.text_input(key="sign_in_code").input(pyotp.TOTP(secret).at(clock.now()))
    at.button[0].click().run()
    at.run()
    assert at.title[0].value == "Clinician home"
    codes = at.code[0].value.split("\n")
    assert len(codes) == 10
    at.button(key="recovery_codes_saved").click().run()
    assert not at.code


@pytest.mark.parametrize("username", ["patient.demo", "clinician.demo"])
def test_the_account_page_renders_for_patients_and_staff(seeded_url: str, username: str) -> None:
    at = signed_in(username)
    at.switch_page("pages/account/account.py").run()
    assert not at.exception and not at.error
    assert at.title[0].value == "Your account"
    headings = [h.value for h in at.subheader]
    assert "Two-step verification" in headings and "Recent sign-in activity" in headings
    assert ("Who has opened your record" in headings) == (username == "patient.demo")


def test_changing_the_password_on_the_account_page(seeded_url: str) -> None:
    at = signed_in("patient.demo")
    at.switch_page("pages/account/account.py").run()
    at.text_input(key="account_current_password").input("wrong password")
    at.text_input(key="account_new_password").input("quiet harbor lantern morning")
    at.button(key="FormSubmitter:account_password-Change password").click().run()
    assert "Your current password is not right." in [e.value for e in at.error]
    at.text_input(key="account_current_password").input(DEMO_PASSWORD)
    at.button(key="FormSubmitter:account_password-Change password").click().run()
    assert "Password changed. 0 other sessions signed out." in [s.value for s in at.success]


def test_a_new_email_on_the_account_page_waits_for_its_code(seeded_url: str) -> None:
    from services.core import notify
    from services.identity import account

    at = signed_in("patient.demo")
    at.switch_page("pages/account/account.py").run()
    me = world.actor_of("patient.demo")
    old = account.account_overview(actor=me).email
    at.text_input(key="account_email").input("alex.new@example.org")
    at.text_input(key="account_contact_password").input(DEMO_PASSWORD)
    at.button(key="FormSubmitter:account_contact-Save contact details").click().run()
    assert "New address: alex.new@example.org" in [t.value for t in at.text]
    assert account.account_overview(actor=me).email == old  # unchanged until the code
    mail = notify.demo_inbox(actor=world.actor_of("admin.demo"))
    code = re.findall(r"\d{6}", next(m.body for m in mail if m.to == "alex.new@example.org"))[0]
    at.text_input(key="account_email_code").input(code)
    at.button(key="FormSubmitter:account_email_confirm-Confirm").click().run()
    at.run()
    assert account.account_overview(actor=me).email == "alex.new@example.org"
    assert not any("New address" in t.value for t in at.text)

    # The old address was told, with a link that puts it back (opened signed out).
    mail = notify.demo_inbox(actor=world.actor_of("admin.demo"))
    [link] = [m.body for m in mail if m.to == old and "undo-change?token=" in m.body]
    token = re.search(r"token=([\w-]+)", link).group(1)  # type: ignore[union-attr]
    undo = AppTest.from_file(APP, default_timeout=60)
    undo.query_params["token"] = token
    undo.run().switch_page("pages/public/undo_change.py").run()
    undo.button(key="undo_change").click().run()
    assert [s.value for s in undo.success] == [
        "Your contact details are back as they were and every session is signed out."
    ]
    assert account.account_overview(actor=world.actor_of("patient.demo")).email == old
    undo.button(key="undo_change").click().run()
    assert "This link does not work any more" in undo.error[0].value


def test_admin_accounts_page_acts_and_issues_activation_codes(seeded_url: str) -> None:
    at = signed_in("admin.demo")
    at.switch_page("pages/admin/accounts.py").run()
    assert not at.exception and at.title[0].value == "Accounts"
    at.text_input(key="accounts_action_username").input("patient.demo")
    at.selectbox(key="accounts_action").select("Deactivate")
    at.button(key="FormSubmitter:accounts_action-Apply").click().run()
    assert f"Deactivate: done for {plain('patient.demo')}." in [s.value for s in at.success]
    at.text_input(key="accounts_mrn").input("99999999")
    at.button(key="FormSubmitter:accounts_activation-Issue a code").click().run()
    assert "We could not find that patient." in [e.value for e in at.error]


def test_staff_can_ask_for_an_emailed_code_instead(seeded_url: str) -> None:
    import re

    from services.core import notify

    at = submitted("clinician.demo", DEMO_PASSWORD)
    at.button(key="sign_in_send_email").click().run()
    sent_to = plain("c***@lakeside.example")  # user text is escaped where Markdown is read
    assert f"We sent a code to {sent_to}. It expires in 10 minutes." in [i.value for i in at.info]
    body = notify.demo_inbox(actor=world.actor_of("admin.demo"))[0].body
    at.text_input(key="sign_in_code").input(re.search(r"code is (\d{6})", body).group(1))  # type: ignore[union-attr]
    at.button[0].click().run()
    at.run()
    assert at.title[0].value == "Clinician home"


BROWSER = "b" * 43  # the binding value a browser's websocket carries (AppTest sends none)


@pytest.fixture
def bound_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(authenticator, "browser_binding", lambda: BROWSER)


def _cookie_handoffs(at: AppTest) -> list[cookie_handoff.Cookie | str]:
    """The cookies the page asked the browser to fetch (1-pixel images with a ticket)."""
    page = "".join(e.proto.body for e in at.get("html"))
    found = re.findall(r'src="/_portal/cookie/([\w-]+)"', page)
    return [cookie_handoff.redeem(ticket, BROWSER) for ticket in found]


def test_the_cookie_carries_only_the_session_token_and_is_deleted_at_sign_out(
    seeded_url: str, bound_browser: None
) -> None:
    at = submitted("patient.demo", DEMO_PASSWORD)  # the run that signs in hands the cookie over
    token = at.session_state[state.TOKEN]
    [cookie] = _cookie_handoffs(at)
    assert cookie is not None and (cookie.name, cookie.value) == ("lakeside_session", token)
    assert "script" not in "".join(e.proto.body for e in at.get("html"))  # no script on the page
    at.run()
    assert _cookie_handoffs(at) == []  # handed over once, not on every run
    at.sidebar.button(key="sidebar_sign_out").click().run()
    [forget] = _cookie_handoffs(at)
    assert forget == cookie_handoff.Cookie("lakeside_session", "", 0)


def _choose_language(code: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    return at.selectbox(key=languages.CHOICE).select(code).run()


def test_the_language_chosen_at_sign_in_is_kept_in_the_account_and_after_sign_out(
    seeded_url: str,
) -> None:
    at = _choose_language("es")
    assert at.title[0].value == "Portal de Lakeside Health"
    fields = {t.label: t for t in at.text_input}
    fields["Nombre de usuario"].input("patient.demo")
    fields["Contraseña"].input(DEMO_PASSWORD)
    at.button[0].click().run()
    at.run()
    assert not at.exception and _pages(at) == EXPECTED_PAGES["patient.demo"]
    assert world.sign_in("patient.demo").language == "es"
    at.sidebar.button(key="sidebar_sign_out").click().run()
    assert at.title[0].value == "Portal de Lakeside Health"


def test_the_sign_in_page_in_arabic_is_laid_out_right_to_left(seeded_url: str) -> None:
    at = _choose_language("ar")
    assert at.title[0].value == "بوابة ليكسايد الصحية"
    assert [t.label for t in at.text_input] == ["اسم المستخدم", "كلمة المرور"]
    assert languages.RIGHT_TO_LEFT in [h.proto.body for h in at.get("html")]
    assert languages.RIGHT_TO_LEFT not in [h.proto.body for h in _choose_language("es").get("html")]


def test_the_help_page_opens_before_and_after_sign_in_with_the_numbers_to_call(
    seeded_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_HELP_DESK_PHONE", "(555) 010-4357")
    monkeypatch.setenv("PORTAL_HELP_DESK_HOURS", "Mon–Sat 7:00–19:00")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert "help" in [link.proto.page for link in at.get("page_link")]  # its URL path
    at.switch_page("pages/public/help.py").run()
    assert not at.exception and at.title[0].value == "Help"
    shown = " ".join(str(tbl.value) for tbl in at.table)
    assert plain("(555) 010-4357") in shown and plain("Mon–Sat 7:00–19:00") in shown
    assert {e.label for e in at.expander} >= {"Activation codes", "Trouble signing in"}
    signed = signed_in("patient.demo")
    assert "pages/public/help.py" in _pages(signed)
    signed.switch_page("pages/public/help.py").run()
    assert not signed.exception and signed.title[0].value == "Help"
