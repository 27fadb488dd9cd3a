"""The Visits page renders for a patient and books through the services (AppTest)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from services.care import booking, schedule, visits
from services.core import clock
from tests.pages.test_app import signed_in
from tests.pages.test_proxy_pages import _open
from tests.support import world


def test_the_patient_books_a_visit_and_sees_it(seeded_url: str) -> None:
    at = _open(signed_in("patient.demo"), "pages/patient/visits.py")
    assert at.title[0].value == "Visits"
    assert not at.exception and not at.error, [e.value for e in at.error]
    alex = world.actor_of("patient.demo")
    assert alex.patient_id is not None
    before, _ = visits.my_visits(actor=alex, patient_id=alex.patient_id)
    at.text_input[0].input("Sore knee").run()
    next(b for b in at.button if b.label == "Book this time").click().run()
    assert not at.error, [e.value for e in at.error]
    assert any(s.value.startswith("Booked:") for s in at.success)
    after, _ = visits.my_visits(actor=alex, patient_id=alex.patient_id)
    assert len(after) == len(before) + 1
    assert any(v.reason == "Sore knee" for v in after)


def test_a_request_only_visit_is_asked_for(seeded_url: str) -> None:
    at = _open(signed_in("patient.demo"), "pages/patient/visits.py")
    at.selectbox(key="schedule_type").select("procedure").run()
    at.text_input(key="request_preferred").input("Mornings")
    next(b for b in at.button if b.label == "Send the request").click().run()
    assert not at.error, [e.value for e in at.error]
    assert any("the clinic will call you" in s.value for s in at.success)


def _annual_within_a_week() -> tuple[uuid.UUID, uuid.UUID]:
    alex = world.actor_of("patient.demo")
    assert alex.patient_id is not None
    today = clock.today()
    slot = booking.open_slots(
        actor=alex,
        patient_id=alex.patient_id,
        visit_type="annual",
        date_from=today + timedelta(days=1),
        date_to=today + timedelta(days=6),
    )[0]
    visit = booking.book(
        actor=alex, patient_id=alex.patient_id, slot_id=slot.slot_id, visit_type="annual"
    )
    return alex.patient_id, visit


def test_the_patient_checks_in_with_the_questionnaires(seeded_url: str) -> None:
    _, visit = _annual_within_a_week()
    at = _open(signed_in("patient.demo"), "pages/patient/visits.py")
    key = f"checkin_{visit}"
    at.checkbox(key=f"{key}_contact").check()
    at.checkbox(key=f"{key}_insurance").check()
    for code, items in (("phq9", 9), ("gad7", 7)):
        for n in range(1, items + 1):
            at.radio(key=f"{key}_{code}_{n}").set_value(1 if n == 9 else 0)
    next(b for b in at.button if b.label == "Check in").click().run()
    assert any("988" in e.value for e in at.error), [e.value for e in at.error]


def test_the_clinician_schedule_shows_the_flag(seeded_url: str) -> None:
    at = _open(signed_in("clinician.demo"), "pages/clinician/schedule.py")
    assert at.title[0].value == "Schedule"
    assert not at.exception and not at.error, [e.value for e in at.error]


def test_the_admin_adds_weekly_hours_and_schedules_a_request(seeded_url: str) -> None:
    alex = world.actor_of("patient.demo")
    assert alex.patient_id is not None
    booking.request_visit(
        actor=alex, patient_id=alex.patient_id, visit_type="procedure", preferred="Any morning"
    )
    at = _open(signed_in("admin.demo"), "pages/admin/schedule.py")
    assert not at.exception and not at.error, [e.value for e in at.error]
    next(b for b in at.button if b.label == "Add the weekly hours").click().run()
    assert any(s.value.startswith("Added;") for s in at.success), [e.value for e in at.error]
    at.button(key="request_book").click().run()
    assert any("the patient is told" in s.value for s in at.success)


def test_the_admin_ends_weekly_hours(seeded_url: str) -> None:
    at = _open(signed_in("admin.demo"), "pages/admin/schedule.py")
    before = len(schedule.templates_list(actor=world.actor_of("admin.demo")))
    at.button(key="template_end").click().run()
    assert any(s.value.startswith("Ended.") for s in at.success), [e.value for e in at.error]
    assert len(schedule.templates_list(actor=world.actor_of("admin.demo"))) == before - 1
