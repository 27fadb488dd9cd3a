"""E-check-in on both databases: open from 7 days before the visit until it starts, once;
confirmations required; medicine and allergy changes kept for the care team; the visit type's
questionnaires required and scored; a positive PHQ-9 item 9 flags the clinician at once (an
email with no detail) and shows the patient crisis resources."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from services.care import booking, checkin, clinician_visits, questionnaires
from services.care.tables import AppointmentSlot, CheckIn, QuestionnaireResponse
from services.core import clock, crypto, db
from services.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from services.core.models import AuditEvent, NotificationOutbox, Provider, User
from tests.services.care.test_booking import _alex, _me, _search
from tests.support import world

CALM = {"phq9": (0,) * 9, "gad7": (1,) * 7}
ITEM9 = {"phq9": (0,) * 8 + (1,), "gad7": (0,) * 7}


def _annual(first: int = 3) -> tuple[uuid.UUID, booking.OpenSlot]:
    slot = _search(_me(), _alex(), first=first)[0]
    visit = booking.book(actor=_me(), patient_id=_alex(), slot_id=slot.slot_id, visit_type="annual")
    return visit, slot


def _submit(visit: uuid.UUID, answers: dict[str, tuple[int, ...]], **changes: object):  # type: ignore[no-untyped-def]
    values: dict[str, object] = {
        "contact_confirmed": True,
        "insurance_confirmed": True,
        "medication_changes": "",
        "allergy_changes": "",
        "answers": answers,
    } | changes
    return checkin.checkin_submit(
        actor=_me(),
        patient_id=_alex(),
        appointment_id=visit,
        **values,  # type: ignore[arg-type]
    )


def test_check_in_scores_the_questionnaires_and_keeps_changes_for_review(
    seeded_url: str,
) -> None:
    visit, _ = _annual()
    form = checkin.checkin_form(actor=_me(), patient_id=_alex(), appointment_id=visit)
    assert [q.code for q in form.questionnaires] == ["phq9", "gad7"]
    assert form.contact and form.medications
    done = _submit(visit, CALM, medication_changes="Stopped lisinopril last week")
    assert [(s.instrument, s.score, s.severity) for s in done.scores] == [
        ("phq9", 0, "none-minimal"),
        ("gad7", 7, "mild"),
    ]
    assert done.crisis is None
    with db.read_only() as s:
        kept = s.get(CheckIn, visit)
        assert kept is not None and kept.medication_changes == "Stopped lisinopril last week"
        assert len(s.scalars(select(QuestionnaireResponse)).all()) == 2
    with pytest.raises(Conflict, match="already checked in"):
        _submit(visit, CALM)


def test_item_9_flags_the_clinician_at_once_and_shows_crisis_help(seeded_url: str) -> None:
    visit, _ = _annual()
    done = _submit(visit, ITEM9)
    assert done.crisis == questionnaires.CRISIS and "988" in done.crisis
    with db.read_only() as s:
        told = s.execute(
            select(NotificationOutbox, User)
            .join(User, User.id == NotificationOutbox.user_id)
            .join(Provider, Provider.user_id == User.id)
            .where(NotificationOutbox.kind == "care")
        ).all()
    assert len(told) == 1
    body = crypto.decrypt(told[0][0].body.encode()).decode()
    assert "needs your attention" in body and "PHQ" not in body and "Alex" not in body


def test_item_9_for_a_provider_without_an_account_is_still_flagged_and_audited(
    seeded_url: str,
) -> None:
    """A locum without a portal account: no email can go, but the schedule flag and the audit do,
    and the patient still sees the crisis help."""
    with db.transaction() as s:
        site = s.scalars(select(Provider.site_id).limit(1)).one()
        locum = Provider(
            id=uuid.uuid4(),
            user_id=None,
            name="Robin Locum",
            credentials="MD",
            specialty="Family medicine",
            npi="1999999999",
            site_id=site,
        )
        s.add(locum)
        s.flush()
        slot = AppointmentSlot(
            id=uuid.uuid4(),
            provider_id=locum.id,
            site_id=site,
            start_at=clock.now() + timedelta(days=3),
            minutes=30,
            visit_type="office",
            booked=False,
        )
        s.add(slot)
    visit = booking.book(actor=_me(), patient_id=_alex(), slot_id=slot.id, visit_type="annual")
    done = _submit(visit, ITEM9)
    assert done.crisis == questionnaires.CRISIS
    with db.read_only() as s:
        assert (
            s.scalars(select(NotificationOutbox).where(NotificationOutbox.kind == "care")).all()
            == []
        )
        flagged = s.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "appointments.checkin.flag", AuditEvent.patient_id == _alex()
            )
        ).all()
    assert len(flagged) == 1


def test_check_in_is_refused_outside_its_window_or_incomplete(seeded_url: str) -> None:
    visit, slot = _annual(first=10)
    with pytest.raises(Conflict, match="opens 7 days before"):
        checkin.checkin_form(actor=_me(), patient_id=_alex(), appointment_id=visit)
    with clock.frozen(slot.start_at - timedelta(days=2)):
        with pytest.raises(ValidationError):
            _submit(visit, CALM, contact_confirmed=False)
        with pytest.raises(ValidationError) as missing:
            _submit(visit, {"phq9": (0,) * 9})
        assert "gad7" in missing.value.fields
        with pytest.raises(ValidationError):
            _submit(visit, {"phq9": (0,) * 8 + (5,), "gad7": (0,) * 7})
        with db.read_only() as s:
            assert s.get(CheckIn, visit) is None
    with clock.frozen(slot.start_at + timedelta(minutes=1)), pytest.raises(Conflict):
        _submit(visit, CALM)
    with pytest.raises(NotFound):
        checkin.checkin_form(actor=_me(), patient_id=_alex(), appointment_id=uuid.uuid4())
    with pytest.raises(PermissionDenied):
        checkin.checkin_form(
            actor=world.actor_of("clinician.demo"), patient_id=_alex(), appointment_id=visit
        )


def test_the_clinician_sees_the_flag_on_top_of_the_schedule(seeded_url: str) -> None:
    with db.read_only() as s:
        doctor = s.scalars(
            select(Provider.id)
            .join(User, User.id == Provider.user_id)
            .where(User.username == "clinician.demo")
        ).one()
    slots = [s for s in _search(_me(), _alex(), first=2, days=6) if s.provider_id == doctor]
    assert slots, "the demo clinician has open slots"
    visit = booking.book(
        actor=_me(), patient_id=_alex(), slot_id=slots[-1].slot_id, visit_type="annual"
    )
    with clock.frozen(slots[-1].start_at - timedelta(days=1)):
        _submit(visit, ITEM9)
    week = clinician_visits.clinician_schedule(
        actor=world.actor_of("clinician.demo"), first=clock.today(), days=7
    )
    assert week[0].appointment_id == visit and week[0].flagged and week[0].checked_in
    assert [(s.instrument, s.score) for s in week[0].scores] == [("gad7", 0), ("phq9", 1)]
    assert [v.start_at for v in week[1:]] == sorted(v.start_at for v in week[1:])
    with pytest.raises(PermissionDenied):
        clinician_visits.clinician_schedule(actor=_me())
