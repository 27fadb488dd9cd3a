"""Registration: identity match without leaks, throttling, account fields, email verification."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from services.core import db, notify
from services.core.errors import (
    AuthenticationFailed,
    Conflict,
    NotFound,
    RateLimited,
    ValidationError,
)
from services.core.models import NotificationOutbox, Patient, User
from services.identity import auth, registration
from tests.support import world
from tests.support.smtp import smtp_server

GOOD_PASSWORD = "violet tractor umbrella sunrise"


def _unregistered() -> Patient:
    """An adult patient without an account."""
    with db.read_only() as s:
        patient = s.scalars(
            select(Patient)
            .where(
                ~select(User.id).where(User.patient_id == Patient.id).exists(),
                Patient.birth_date < date(2000, 1, 1),
            )
            .order_by(Patient.mrn)
        ).first()
    assert patient is not None
    return patient


def _counts() -> tuple[int, int]:
    with db.read_only() as s:
        return (
            int(s.scalar(select(func.count()).select_from(User)) or 0),
            int(s.scalar(select(func.count()).select_from(NotificationOutbox)) or 0),
        )


def _ticket(p: Patient) -> str:
    return registration.registration_match(
        first_name=p.first_name, last_name=p.last_name, birth_date=p.birth_date, mrn=p.mrn
    )


def test_a_patient_registers_verifies_and_signs_in(seeded_url: str) -> None:
    p = _unregistered()
    ticket = _ticket(p)
    registration.registration_create(
        ticket=ticket,
        email="new.patient@example.org",
        phone="+1 (555) 010-0199",
        username="new.patient",
        password=GOOD_PASSWORD,
        accept_terms=True,
    )
    with pytest.raises(AuthenticationFailed) as early:
        auth.sign_in(username="new.patient", password=GOOD_PASSWORD)
    assert early.value.message == auth.NOT_VERIFIED
    inbox = notify.demo_inbox(actor=world.actor_of("admin.demo"))
    mail = inbox[0]
    assert (mail.to, mail.kind, mail.channel) == (
        "new.patient@example.org",
        "email_verify",
        "email",
    )
    code = re.search(r"\b(\d{6})\b", mail.body).group(1)  # type: ignore[union-attr]
    with pytest.raises(AuthenticationFailed):
        registration.registration_verify(
            username="new.patient", code="000000" if code != "000000" else "111111"
        )
    registration.registration_verify(username="new.patient", code=code)
    step = auth.sign_in(username="new.patient", password=GOOD_PASSWORD)
    assert isinstance(step, auth.SignedIn) and step.actor.patient_id == p.id
    with db.read_only() as s:
        user = s.scalars(select(User).where(User.username == "new.patient")).one()
        assert (user.terms_version, user.phone) == (registration.TERMS_VERSION, "+15550100199")
        assert user.terms_accepted_at is not None
        stored = s.scalars(select(NotificationOutbox.body)).all()
    assert all(code not in body for body in stored), "the code is stored encrypted"
    with pytest.raises(AuthenticationFailed):
        registration.registration_verify(username="new.patient", code=code)


def test_an_activation_code_alone_is_enough_and_works_once(seeded_url: str) -> None:
    p = _unregistered()
    code = registration.activation_code_issue(actor=world.actor_of("him.demo"), patient_id=p.id)
    ticket = registration.registration_match(
        first_name=p.first_name.upper(),
        last_name=p.last_name,
        birth_date=p.birth_date.isoformat(),
        activation_code=code,
    )
    registration.registration_create(
        ticket=ticket,
        email="a@example.org",
        phone=None,
        username="activated.one",
        password=GOOD_PASSWORD,
        accept_terms=True,
    )
    with pytest.raises(NotFound):
        registration.registration_match(
            first_name=p.first_name,
            last_name=p.last_name,
            birth_date=p.birth_date,
            activation_code=code,
        )


def test_only_him_and_admin_issue_activation_codes(seeded_url: str) -> None:
    from services.core.errors import PermissionDenied

    p = _unregistered()
    for username in ("patient.demo", "clinician.demo", "billing.demo", "manager.demo"):
        with pytest.raises(PermissionDenied):
            registration.activation_code_issue(actor=world.actor_of(username), patient_id=p.id)
    with pytest.raises(Conflict):
        registration.activation_code_issue(
            actor=world.actor_of("admin.demo"), patient_id=world.sign_in("patient.demo").patient_id
        )  # type: ignore[arg-type]


def test_a_mismatch_never_says_which_field_or_whether_the_record_exists(seeded_url: str) -> None:
    p = _unregistered()
    demo = world.sign_in("patient.demo")
    tries = [
        {
            "first_name": p.first_name,
            "last_name": p.last_name,
            "birth_date": p.birth_date + timedelta(days=1),
            "mrn": p.mrn,
        },
        {
            "first_name": p.first_name,
            "last_name": "Nobody",
            "birth_date": p.birth_date,
            "mrn": p.mrn,
        },
        {
            "first_name": p.first_name,
            "last_name": p.last_name,
            "birth_date": p.birth_date,
            "mrn": "99999999",
        },
        {
            "first_name": "Zed",
            "last_name": "Unknown",
            "birth_date": date(1970, 1, 1),
            "mrn": "12345678",
        },
        # a real record that already has an account (the demo patient)
        {
            "first_name": "Alex",
            "last_name": "Rivera",
            "birth_date": _birth(demo.patient_id),
            "mrn": _mrn(demo.patient_id),
        },
    ]
    messages = set()
    for attempt in tries:
        with pytest.raises(NotFound) as refused:
            registration.registration_match(**attempt)
        messages.add(refused.value.message)
    assert messages == {registration.NO_MATCH}


def _birth(patient_id):  # type: ignore[no-untyped-def]
    with db.read_only() as s:
        return s.get(Patient, patient_id).birth_date  # type: ignore[union-attr]


def _mrn(patient_id):  # type: ignore[no-untyped-def]
    with db.read_only() as s:
        return s.get(Patient, patient_id).mrn  # type: ignore[union-attr]


def test_repeated_mismatches_are_throttled(seeded_url: str) -> None:
    p = _unregistered()
    wrong = {
        "first_name": p.first_name,
        "last_name": p.last_name,
        "birth_date": p.birth_date,
        "mrn": "11111111",
    }
    for _ in range(5):
        with pytest.raises(NotFound):
            registration.registration_match(**wrong)
    with pytest.raises(RateLimited):
        registration.registration_match(**(wrong | {"mrn": p.mrn}))  # even the right MRN, for now


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"first_name": ""}, "first_name"),
        ({"last_name": "x" * 81}, "last_name"),
        ({"birth_date": date.today() + timedelta(days=2)}, "birth_date"),
        ({"birth_date": "31/01/1970"}, "birth_date"),
        ({"mrn": "", "activation_code": ""}, "mrn"),
        ({"mrn": "12ab"}, "mrn"),
        ({"activation_code": "short"}, "activation_code"),
    ],
)
def test_identity_fields_are_checked_first(seeded_url: str, changes: dict, field: str) -> None:  # type: ignore[type-arg]
    p = _unregistered()
    base = {
        "first_name": p.first_name,
        "last_name": p.last_name,
        "birth_date": p.birth_date,
        "mrn": p.mrn,
    }
    with pytest.raises(ValidationError) as refused:
        registration.registration_match(**(base | changes))
    assert field in refused.value.fields


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": ""}, "email"),
        ({"phone": "12"}, "phone"),
        ({"username": "Ab"}, "username"),
        ({"username": "patient.demo"}, "username"),
        ({"password": "short"}, "password"),
        ({"password": "1qaz2wsx3edc4rfv"}, "password"),
        ({"accept_terms": False}, "accept_terms"),
    ],
)
def test_account_fields_are_refused_with_a_message_and_nothing_written(
    seeded_url: str,
    changes: dict,
    field: str,  # type: ignore[type-arg]
) -> None:
    ticket = _ticket(_unregistered())
    before = _counts()
    good = {
        "email": "ok@example.org",
        "phone": None,
        "username": "fresh.user",
        "password": GOOD_PASSWORD,
        "accept_terms": True,
    }
    with pytest.raises(ValidationError) as refused:
        registration.registration_create(ticket=ticket, **(good | changes))
    assert field in refused.value.fields
    assert _counts() == before


def _create(ticket: str, username: str, email: str = "ok@example.org") -> None:
    registration.registration_create(
        ticket=ticket,
        email=email,
        phone=None,
        username=username,
        password=GOOD_PASSWORD,
        accept_terms=True,
    )


@pytest.mark.parametrize("vary", ["nothing", "email", "ticket"])
def test_every_username_check_counts_per_ticket_record_and_address(
    seeded_url: str, vary: str
) -> None:
    """The probe (issue 31, item 5): after a record matched, the form told which usernames were
    taken without limit (a free name with a weak password answered, and did not count)."""
    patient = _unregistered()
    ticket = _ticket(patient)
    names = ["patient.demo", "free.one", "proxy.demo", "free.two", "clinician.demo", "him.demo"]
    names.append("billing.demo")  # five checks in all: the weak-password tries asked nothing
    for n, name in enumerate(names):
        email = f"try{n}@example.org" if vary == "email" else "ok@example.org"
        with pytest.raises(ValidationError) as refused:
            registration.registration_create(
                ticket=_ticket(patient) if vary == "ticket" else ticket,
                email=email,
                phone=None,
                username=name,
                password="weak" if name.startswith("free") else GOOD_PASSWORD,
                accept_terms=True,
            )
        # A weak password is named and the username not asked about; a taken one is refused
        # with a free one to choose.
        assert set(refused.value.fields) == ({"password"} if "free" in name else {"username"})
    before = _counts()
    for email in ("ok@example.org", "another@example.org"):  # a new ticket, a new address
        with pytest.raises(RateLimited):
            _create(_ticket(patient), "admin.demo", email)
    assert _counts() == before


def test_a_taken_username_is_refused_with_a_free_one_to_choose(seeded_url: str) -> None:
    patient = _unregistered()
    with pytest.raises(ValidationError) as refused:
        _create(_ticket(patient), "patient.demo")
    message = refused.value.fields["username"]
    suggested = re.search(r"([a-z0-9.]+\d{3}) is free", message).group(1)  # type: ignore[union-attr]
    assert suggested.startswith(f"{patient.first_name.lower()}.")
    assert "patient.demo" not in message
    _create(_ticket(patient), suggested)  # it is free indeed
    with db.read_only() as s:
        assert s.scalar(select(User.patient_id).where(User.username == suggested)) == patient.id


def test_a_username_taken_between_the_check_and_the_save_is_refused_and_changes_nothing(
    seeded_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two registrations at once: the other one saved the name after this one's check."""
    monkeypatch.setattr(registration, "_username_check", lambda *_: None)  # free when asked
    before = _counts()
    with pytest.raises(ValidationError) as refused:
        _create(_ticket(_unregistered()), "patient.demo")
    assert refused.value.fields == {
        "username": "That username was taken a moment ago. Choose another."
    }
    assert _counts() == before


def test_a_suggestion_is_found_while_the_short_names_are_all_taken(
    seeded_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = {f"ana.lee{n}" for n in range(100, 1000)}
    monkeypatch.setattr(registration, "_taken", lambda _, names: set(names) & taken)
    with db.read_only() as s:
        free = registration._free_username(s, ("Ana", "Lee"))
    assert free.startswith("ana.lee") and free not in taken and len(free) > len("ana.lee123")


def test_the_username_check_limit_is_per_address_too(seeded_url: str) -> None:
    """Another patient record does not reset the count for the same email address."""
    first, second = _unregistered(), None
    with db.read_only() as s:
        second = s.scalars(
            select(Patient)
            .where(
                ~select(User.id).where(User.patient_id == Patient.id).exists(),
                Patient.birth_date < date(2000, 1, 1),
                Patient.id != first.id,
            )
            .order_by(Patient.mrn)
        ).first()
    assert second is not None
    for name in ("patient.demo", "proxy.demo", "clinician.demo", "him.demo", "billing.demo"):
        with pytest.raises(ValidationError):
            _create(_ticket(first), name, "same@example.org")
    with pytest.raises(RateLimited):
        _create(_ticket(second), "admin.demo", "same@example.org")


def test_a_caregivers_username_checks_count_per_address_and_person(seeded_url: str) -> None:
    def register(username: str, email: str) -> None:
        registration.caregiver_registration_create(
            registration.CaregiverDetails(
                first_name="Sam",
                last_name="Carer",
                birth_date="1980-02-02",
                email=email,
                phone=None,
                username=username,
                password=GOOD_PASSWORD,
                accept_terms=True,
            )
        )

    for n, name in enumerate(("patient.demo", "proxy.demo", "clinician.demo", "him.demo")):
        with pytest.raises(ValidationError):
            register(name, f"sam{n}@example.org")  # a new address each time
    with pytest.raises(ValidationError):
        register("billing.demo", "sam9@example.org")
    with pytest.raises(RateLimited):  # the same person, a sixth address
        register("admin.demo", "sam10@example.org")


def test_a_forged_or_expired_ticket_is_refused(seeded_url: str) -> None:
    from services.core import clock
    from tests.conftest import NOW

    ticket = _ticket(_unregistered())
    good = {
        "email": "ok@example.org",
        "phone": None,
        "username": "fresh.user",
        "password": GOOD_PASSWORD,
        "accept_terms": True,
    }
    forged = ticket[:-1] + ("0" if ticket[-1] != "0" else "1")
    for bad in (forged, "garbage", ""):
        with pytest.raises(AuthenticationFailed):
            registration.registration_create(ticket=bad, **good)
    with (
        clock.frozen(NOW + registration.TICKET_LIFETIME + timedelta(minutes=1)),
        pytest.raises(AuthenticationFailed),
    ):
        registration.registration_create(ticket=ticket, **good)


def _use_smtp(monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    from services.core.config import settings as config

    monkeypatch.setenv("PORTAL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PORTAL_SMTP_PORT", str(port))
    monkeypatch.setenv("PORTAL_SMTP_STARTTLS", "false")
    config.cache_clear()


def _register(email: str, username: str) -> None:
    registration.registration_create(
        ticket=_ticket(_unregistered()),
        email=email,
        phone=None,
        username=username,
        password=GOOD_PASSWORD,
        accept_terms=True,
    )


def test_verification_email_goes_out_through_a_real_smtp_server(
    seeded_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with smtp_server() as (mailbox, port):
        _use_smtp(monkeypatch, port)
        _register("mailed@example.org", "mailed.user")
    assert len(mailbox.messages) == 1
    message = mailbox.messages[0]
    assert message["To"] == "mailed@example.org" and "verification code" in message["Subject"]
    code = re.search(r"\b(\d{6})\b", message.get_payload()).group(1)  # type: ignore[union-attr, arg-type]
    registration.registration_verify(username="mailed.user", code=code)
    with db.read_only() as s:
        assert s.scalars(select(NotificationOutbox.sent_at)).one() is not None


def test_an_unreachable_smtp_server_is_recorded_and_retried(
    seeded_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.postgres import free_port

    _use_smtp(monkeypatch, free_port())  # nothing listens there
    _register("later@example.org", "later.user")
    with db.read_only() as s:
        row = s.scalars(select(NotificationOutbox)).one()
    assert row.sent_at is None and row.attempts == 1 and row.last_error
    with smtp_server() as (mailbox, port):
        _use_smtp(monkeypatch, port)
        assert notify.deliver().sent == 1
    assert len(mailbox.messages) == 1


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    email=st.text(max_size=80),
    phone=st.one_of(st.none(), st.text(max_size=30)),
    username=st.text(max_size=80),
    password=st.text(max_size=100),
    accept=st.booleans(),
)
def test_any_account_input_is_accepted_or_refused_with_field_messages(
    seeded_url: str, email: str, phone: str | None, username: str, password: str, accept: bool
) -> None:
    ticket = _ticket(_unregistered())
    before = _counts()
    try:
        registration.registration_create(
            ticket=ticket,
            email=email,
            phone=phone,
            username=username,
            password=password,
            accept_terms=accept,
        )
    except ValidationError as refused:
        assert refused.fields and all(isinstance(m, str) and m for m in refused.fields.values())
        assert _counts() == before, "a refusal writes nothing"
    else:
        assert _counts()[0] == before[0] + 1


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    first=st.text(max_size=90),
    last=st.text(max_size=90),
    born=st.one_of(st.dates(), st.text(max_size=12), st.none()),
    mrn=st.one_of(st.none(), st.text(max_size=20)),
    code=st.one_of(st.none(), st.text(max_size=14)),
)
def test_any_identity_input_gets_a_ticket_or_a_clear_refusal(
    seeded_url: str, first: str, last: str, born: object, mrn: str | None, code: str | None
) -> None:
    try:
        registration.registration_match(
            first_name=first, last_name=last, birth_date=born, mrn=mrn, activation_code=code
        )  # type: ignore[arg-type]
    except ValidationError as refused:
        assert refused.fields
    except (NotFound, RateLimited) as refused:
        assert refused.message
