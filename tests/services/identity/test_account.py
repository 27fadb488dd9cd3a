"""The account page's services: re-authentication first, sessions end, access log by name."""

from __future__ import annotations

import re

import pyotp
import pytest
from sqlalchemy import select

from services.core import clock, db, notify
from services.core.errors import AuthenticationFailed, NotFound, PermissionDenied, ValidationError
from services.core.models import AuditEvent, User
from services.homes.patient import patient_home
from services.identity import account, auth, recovery, sessions
from tests.support import world

NEW = "quiet harbor lantern morning"


def test_changing_the_password_needs_the_current_one_and_ends_other_sessions(
    seeded_url: str,
) -> None:
    here, there = world.signed_in("patient.demo"), world.signed_in("patient.demo")
    with pytest.raises(AuthenticationFailed):
        account.password_change(
            actor=here.actor, token=here.token, current="wrong password here", new=NEW
        )
    with pytest.raises(ValidationError):
        account.password_change(
            actor=here.actor,
            token=here.token,
            current=world.DEMO_PASSWORD,
            new="alex rivera forever!",
        )
    assert (
        account.password_change(
            actor=here.actor, token=here.token, current=world.DEMO_PASSWORD, new=NEW
        )
        == 1
    )
    sessions.session_resume(token=here.token, acting_for=None)
    with pytest.raises(AuthenticationFailed):
        sessions.session_resume(token=there.token, acting_for=None)
    assert isinstance(auth.sign_in(username="patient.demo", password=NEW), auth.SignedIn)


def test_contact_changes_need_the_password_and_valid_values(seeded_url: str) -> None:
    me = world.sign_in("patient.demo")
    with pytest.raises(AuthenticationFailed):
        account.contact_update(actor=me, password="nope", email="alex@example.org", phone=None)
    with pytest.raises(ValidationError) as bad:
        account.contact_update(actor=me, password=world.DEMO_PASSWORD, email="bad", phone="12")
    assert set(bad.value.fields) == {"email", "phone"}
    old_email = account.account_overview(actor=me).email
    assert account.contact_update(
        actor=me, password=world.DEMO_PASSWORD, email="alex@example.org", phone="+1 555 010 0100"
    )
    view = account.account_overview(actor=me)
    assert (view.email, view.pending_email, view.phone, view.pending_phone) == (
        old_email,
        "alex@example.org",
        None,
        "+15550100100",
    )


def _inbox() -> list[notify.InboxItem]:
    return notify.demo_inbox(actor=world.actor_of("admin.demo"))


def _emailed_code(to: str) -> str:
    body = next(m.body for m in _inbox() if m.to == to)
    return re.search(r"\b(\d{6})\b", body).group(1)  # type: ignore[union-attr]


def test_a_new_email_takes_effect_only_with_its_code_and_the_old_address_is_told(
    seeded_url: str,
) -> None:
    me = world.sign_in("patient.demo")
    old = account.account_overview(actor=me).email
    assert old
    new = "alex.new@example.org"
    assert account.contact_update(actor=me, password=world.DEMO_PASSWORD, email=new, phone=None)
    # The probe: a username reminder asked for the unverified address goes nowhere.
    before = len(_inbox())
    recovery.username_reminder(email=new)
    assert len(_inbox()) == before
    code = _emailed_code(new)
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(ValidationError):
        account.contact_change_confirm(actor=me, kind=account.EMAIL, code=wrong)
    assert account.account_overview(actor=me).email == old
    assert account.contact_change_confirm(actor=me, kind=account.EMAIL, code=code) == new
    view = account.account_overview(actor=me)
    assert (view.email, view.pending_email) == (new, None)
    told = [m for m in _inbox() if m.to == old and m.kind == notify.SECURITY]
    assert told and "a***@example.org" in told[0].body
    with pytest.raises(ValidationError):  # the code works once
        account.contact_change_confirm(actor=me, kind=account.EMAIL, code=code)


def test_an_email_change_can_be_cancelled_and_its_code_then_fails(seeded_url: str) -> None:
    me = world.sign_in("patient.demo")
    old = account.account_overview(actor=me).email
    account.contact_update(
        actor=me, password=world.DEMO_PASSWORD, email="alex.new@example.org", phone=None
    )
    code = _emailed_code("alex.new@example.org")
    account.contact_change_cancel(actor=me, kind=account.EMAIL)
    with pytest.raises(ValidationError):
        account.contact_change_confirm(actor=me, kind=account.EMAIL, code=code)
    view = account.account_overview(actor=me)
    assert (view.email, view.pending_email) == (old, None)


def test_confirming_or_cancelling_an_unknown_kind_is_refused_and_changes_nothing(
    seeded_url: str,
) -> None:
    me = world.sign_in("patient.demo")
    account.contact_update(
        actor=me, password=world.DEMO_PASSWORD, email="alex.new@example.org", phone=None
    )
    code = _emailed_code("alex.new@example.org")
    for refused in (
        lambda: account.contact_change_confirm(actor=me, kind="address", code=code),
        lambda: account.contact_change_cancel(actor=me, kind="address"),
    ):
        with pytest.raises(ValidationError) as caught:
            refused()
        assert caught.value.fields == {"kind": "Choose the email address or the mobile number."}
    assert account.account_overview(actor=me).pending_email == "alex.new@example.org"
    assert account.contact_change_confirm(actor=me, kind=account.EMAIL, code=code)


def _undo_link(to: str, now_reads: str) -> str:
    """The undo link in the notice that says the detail "is now" this."""
    [body] = [m.body for m in _inbox() if m.to == to and f"is now {now_reads}." in m.body]
    return re.search(r"undo-change\?token=([\w-]+)", body).group(1)  # type: ignore[union-attr]


def test_the_old_address_is_told_at_once_and_can_undo_the_change(seeded_url: str) -> None:
    """The probe (issue 31, item 4): the old address was not told of a change it could undo."""
    signed = world.signed_in("patient.demo")
    me = signed.actor
    old = account.account_overview(actor=me).email
    assert old
    new = "attacker@example.org"
    account.contact_update(actor=me, password=world.DEMO_PASSWORD, email=new, phone=None)
    [asked] = [m for m in _inbox() if m.to == old and m.kind == notify.SECURITY]
    assert "a***@example.org" in asked.body and "Keep my current details" in asked.body
    assert [m.to for m in _inbox() if m.kind == notify.SECURITY and m.to == new] == []
    account.contact_change_confirm(actor=me, kind=account.EMAIL, code=_emailed_code(new))
    token = _undo_link(old, "a***@example.org")
    assert "Your contact details are back" in account.contact_change_undo(token=token)
    assert account.account_overview(actor=world.sign_in("patient.demo")).email == old
    with pytest.raises(AuthenticationFailed):  # every session ended
        sessions.session_resume(token=signed.token, acting_for=None)
    with pytest.raises(NotFound):  # the link works once
        account.contact_change_undo(token=token)
    with pytest.raises(NotFound):
        account.contact_change_undo(token="made-up")


def test_a_new_mobile_number_takes_effect_only_with_the_texted_code(seeded_url: str) -> None:
    me = world.sign_in("patient.demo")
    email = account.account_overview(actor=me).email
    number = "+15550100177"
    assert account.contact_update(
        actor=me, password=world.DEMO_PASSWORD, email=email or "", phone="+1 555 010 0177"
    )
    view = account.account_overview(actor=me)
    assert (view.phone, view.pending_phone) == (None, number)
    [text] = [m for m in _inbox() if m.to == number]
    assert text.channel == notify.SMS
    code = re.search(r"\b(\d{6})\b", text.body).group(1)  # type: ignore[union-attr]
    assert any("•••• 0177" in m.body for m in _inbox() if m.to == email)  # told at once
    with pytest.raises(ValidationError):
        account.contact_change_confirm(actor=me, kind=account.PHONE, code="12345x")
    assert account.contact_change_confirm(actor=me, kind=account.PHONE, code=code) == number
    view = account.account_overview(actor=me)
    assert (view.phone, view.pending_phone) == (number, None)
    # Taking the number off changes at once; the email is told and can put it back.
    account.contact_update(actor=me, password=world.DEMO_PASSWORD, email=email or "", phone="")
    assert account.account_overview(actor=me).phone is None
    account.contact_change_undo(token=_undo_link(email or "", "none"))
    assert account.account_overview(actor=world.sign_in("patient.demo")).phone == number


def _security_subjects(email: str) -> list[str]:
    return [m.subject for m in _inbox() if m.to == email and m.kind == notify.SECURITY]


def test_password_and_second_factor_changes_are_told_to_the_owner(seeded_url: str) -> None:
    me = world.signed_in("patient.demo")
    email = account.account_overview(actor=me.actor).email
    assert email
    account.password_change(actor=me.actor, token=me.token, current=world.DEMO_PASSWORD, new=NEW)
    setup = account.second_factor_start(actor=me.actor, password=NEW)
    account.second_factor_finish(actor=me.actor, code=pyotp.TOTP(setup.secret).at(clock.now()))
    account.recovery_codes_renew(actor=me.actor, password=NEW)
    account.second_factor_off(actor=me.actor, password=NEW)
    recovery.password_reset_request(username="patient.demo")
    reset_code = re.search(  # type: ignore[union-attr]
        r"code is (\w{5}-\w{5})", next(m.body for m in _inbox() if m.kind == "password_reset")
    ).group(1)
    recovery.password_reset_complete(
        username="patient.demo", code=reset_code, new_password="quiet meadow copper sunrise"
    )
    subjects = " | ".join(_security_subjects(email))
    for change in (
        "password was changed",
        "switched on",
        "new recovery codes",
        "switched off",
        "password was reset",
    ):
        assert change in subjects, change


def test_preferences_default_to_email_and_text_needs_a_phone(seeded_url: str) -> None:
    me = world.sign_in("patient.demo")
    assert account.account_overview(actor=me).preferences["results"] == account.Channels(
        True, False
    )
    with pytest.raises(ValidationError):
        account.preferences_update(actor=me, preferences={"results": account.Channels(True, True)})
    with pytest.raises(ValidationError):
        account.preferences_update(actor=me, preferences={"weather": account.Channels(True, False)})
    email = account.account_overview(actor=me).email or ""
    account.contact_update(
        actor=me, password=world.DEMO_PASSWORD, email=email, phone="+15550100100"
    )
    with pytest.raises(ValidationError):  # a number waiting for its code is not one to text
        account.preferences_update(actor=me, preferences={"results": account.Channels(False, True)})
    [text] = [m for m in _inbox() if m.to == "+15550100100"]
    code = re.search(r"\b(\d{6})\b", text.body).group(1)  # type: ignore[union-attr]
    account.contact_change_confirm(actor=me, kind=account.PHONE, code=code)
    account.preferences_update(actor=me, preferences={"results": account.Channels(False, True)})
    assert account.account_overview(actor=me).preferences["results"] == account.Channels(
        False, True
    )


def test_a_patient_switches_the_authenticator_on_and_off(seeded_url: str) -> None:
    me = world.sign_in("patient.demo")
    with pytest.raises(AuthenticationFailed):
        account.second_factor_start(actor=me, password="not it")
    setup = account.second_factor_start(actor=me, password=world.DEMO_PASSWORD)
    with pytest.raises(ValidationError):
        account.second_factor_finish(actor=me, code="000000")
    codes = account.second_factor_finish(actor=me, code=pyotp.TOTP(setup.secret).at(clock.now()))
    assert len(codes) == 10
    assert isinstance(
        auth.sign_in(username="patient.demo", password=world.DEMO_PASSWORD), auth.CodeNeeded
    )
    renewed = account.recovery_codes_renew(actor=me, password=world.DEMO_PASSWORD)
    assert set(renewed).isdisjoint(codes)
    account.second_factor_off(actor=me, password=world.DEMO_PASSWORD)
    assert isinstance(
        auth.sign_in(username="patient.demo", password=world.DEMO_PASSWORD), auth.SignedIn
    )


def test_staff_cannot_switch_the_second_factor_off(seeded_url: str) -> None:
    staff = world.sign_in("billing.demo")
    with pytest.raises(PermissionDenied):
        account.second_factor_off(actor=staff, password=world.DEMO_PASSWORD)
    assert account.account_overview(actor=staff).must_keep_second_factor


def test_activity_lists_sign_ins_and_failures(seeded_url: str) -> None:
    with pytest.raises(AuthenticationFailed):
        auth.sign_in(username="patient.demo", password="wrong-password-123456")
    me = world.sign_in("patient.demo")
    whats = [a.what for a in account.sign_in_activity(actor=me)]
    assert whats[:1] == ["Signed in"]


def test_the_access_log_names_staff_and_roles_but_not_the_patient(seeded_url: str) -> None:
    me = world.sign_in("patient.demo")
    patient_home(actor=me, patient_id=me.patient_id)  # the patient's own view: not listed
    clinician = world.actor_of("clinician.demo")
    from services.core import access as policy
    from services.core.work import patient_work

    with patient_work(clinician, me.patient_id, "records.view", policy.RECORDS):  # type: ignore[arg-type]
        pass
    seen = account.record_access_log(actor=me, patient_id=me.patient_id)  # type: ignore[arg-type]
    assert [(s.who, s.role, s.what) for s in seen] == [
        ("Jordan Patel, MD", "Clinician", "Medical record")
    ]
    other = world.some_patient_user()
    from services.core.errors import NotFound

    with pytest.raises(NotFound):
        account.record_access_log(actor=other, patient_id=me.patient_id)  # type: ignore[arg-type]


def test_a_disabled_account_cannot_use_its_account_page(seeded_url: str) -> None:
    me = world.sign_in("patient.demo")
    with db.transaction() as s:
        s.scalars(select(User).where(User.username == "patient.demo")).one().status = "disabled"
    with pytest.raises(AuthenticationFailed):
        account.account_overview(actor=me)


def test_the_language_is_kept_in_the_account_and_an_unknown_one_changes_nothing(
    seeded_url: str,
) -> None:
    me = world.sign_in("patient.demo")
    assert me.language == "en"
    with pytest.raises(ValidationError):
        account.language_update(actor=me, code="xx")
    assert account.language_update(actor=me, code="es").language == "es"
    assert world.sign_in("patient.demo").language == "es"  # the next sign-in reads it back
    with db.read_only() as s:
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.detail == "es")).all()
    assert actions == ["account.language_update"]
