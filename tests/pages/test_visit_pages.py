"""The Visits page renders for a patient and books through the services (AppTest)."""

from __future__ import annotations

from services.care import visits
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
