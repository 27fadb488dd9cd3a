"""The records-request pages render for their roles and act through the services (AppTest)."""

from __future__ import annotations

from sqlalchemy import select

from pages.components import navigation
from services.core import db
from services.core.models import Patient
from services.him import amendments, queue, requests, updates
from tests.pages.test_app import signed_in
from tests.pages.test_proxy_pages import _open, _press
from tests.pages.test_results_pages import open_tab
from tests.support import world


def test_a_patient_asks_for_a_copy_and_sees_it_with_its_due_date(seeded_url: str) -> None:
    at = _open(signed_in("patient.demo"), "pages/patient/requests.py")
    assert at.title[0].value == "Records requests"
    _press(at, "Ask for my copy")
    assert not at.error, [e.value for e in at.error]
    assert [s.value for s in at.success][0].startswith("Your request was received")
    statuses = at.dataframe[0].value["Status"].tolist()
    assert statuses[0] == "Received"
    assert at.dataframe[0].value["Due by"].tolist()[0] == "Jul 1, 2026"


def test_an_authorization_missing_its_parts_is_refused_by_name(seeded_url: str) -> None:
    alex = world.actor_of("patient.demo")
    assert alex.patient_id is not None
    before = requests.my_requests(actor=alex, patient_id=alex.patient_id)
    at = _open(signed_in("patient.demo"), "pages/patient/requests.py")
    at.text_input(key="release_recipient").input("Northside Orthopedics")
    _press(at, "Sign and send the authorization")
    errors = " ".join(e.value for e in at.error)
    for field in ("Recipient address", "Purpose", "Ends on", "Signature"):
        assert field in errors, errors
    assert requests.my_requests(actor=alex, patient_id=alex.patient_id) == before


def test_him_opens_and_fulfils_a_request_from_the_queue(seeded_url: str) -> None:
    alex = world.actor_of("patient.demo")
    assert alex.patient_id is not None
    rid = requests.copy_request(
        actor=alex, patient_id=alex.patient_id, parts={"results"}, delivery="portal"
    )
    him = _open(signed_in("him.demo"), "pages/him/records_requests.py")
    him.selectbox(key="rq_pick").select(rid).run()
    assert not him.exception and not him.error, [e.value for e in him.error]
    assert any("Copy of my records for Alex Rivera" in h.value for h in him.subheader)
    _press(him, "Fulfil")
    assert not him.error, [e.value for e in him.error]
    assert any(s.value.startswith("Fulfilled: In the portal") for s in him.success)
    done = queue.records_queue(actor=world.actor_of("him.demo"), status="fulfilled")
    assert rid in {i.request_id for i in done}


def test_only_him_has_the_queue_and_patient_side_users_have_their_page() -> None:
    him = {p.path for p in navigation.pages_for(frozenset({"him"}))}
    assert "pages/him/records_requests.py" in him
    for role in ("clinician", "billing", "manager", "admin"):
        pages = {p.path for p in navigation.pages_for(frozenset({role}))}
        assert "pages/him/records_requests.py" not in pages
        assert "pages/patient/requests.py" not in pages
    patient = navigation.pages_for(frozenset({"patient"}), frozenset({"records"}))
    assert "pages/patient/requests.py" in {p.path for p in patient}
    without = navigation.pages_for(frozenset({"proxy"}), frozenset({"results"}))
    assert "pages/patient/requests.py" not in {p.path for p in without}


def test_an_amendment_asked_on_the_page_is_decided_on_the_clinicians_page(
    seeded_url: str,
) -> None:
    at = _open(signed_in("patient.demo"), "pages/patient/requests.py")
    at.text_area(key="amend_change").input("The onset was in 2019.")
    at.text_area(key="amend_reason").input("Diagnosed elsewhere first.")
    _press(at, "Ask for the amendment")
    assert not at.error, [e.value for e in at.error]
    alex = world.actor_of("patient.demo")
    assert alex.patient_id is not None
    [asked] = [
        r
        for r in requests.my_requests(actor=alex, patient_id=alex.patient_id)
        if r.kind == "amendment"
    ]
    doctor = world.actor_of("clinician.demo")
    amendments.amendment_route(
        actor=world.actor_of("him.demo"), request_id=asked.request_id, clinician_id=doctor.user_id
    )
    clinician = _open(signed_in("clinician.demo"), "pages/clinician/amendments.py")
    clinician.selectbox(key="amend_pick").select(asked.request_id).run()
    clinician.text_area(key=f"amend_text_{asked.request_id}").input("Onset 2019, per patient.")
    _press(clinician, "Accept and amend")
    assert not clinician.error, [e.value for e in clinician.error]
    assert any(s.value.startswith("Amended.") for s in clinician.success)
    record = _open(signed_in("patient.demo"), "pages/patient/records.py")
    open_tab(record, "Problems, medicines, allergies, vaccines")
    assert any("Onset 2019, per patient." in t.value for t in record.text)


def test_a_proxy_reports_a_death_and_him_confirms_it_on_the_queue_page(seeded_url: str) -> None:
    ruth = world.patient_id("Ruth", _last_name("Ruth"))
    at = signed_in("proxy.demo")
    at.sidebar.selectbox(key="sidebar_acting_for").select(ruth).run()
    at = _open(at, "pages/patient/requests.py")
    _press(at, "Send the notification")
    errors = " ".join(e.value for e in at.error)
    assert "Give the date of death" in errors and "Reporter phone" in errors, errors
    with db.read_only() as s:
        record = s.get(Patient, ruth)
        assert record is not None
    rid = updates.update_report(
        actor=world.actor_of("proxy.demo"),
        patient_id=ruth,
        form=updates.DeathReport(
            updates.Person(record.first_name, "", record.last_name, record.birth_date, ""),
            record.birth_date.replace(year=record.birth_date.year + 80),
            "Dana Larson",
            "daughter",
            "612 555 0142",
        ),
    )
    him = _open(signed_in("him.demo"), "pages/him/records_requests.py")
    him.selectbox(key="rq_pick").select(rid).run()
    _press(him, "Confirm and update the record")
    assert not him.error, [e.value for e in him.error]
    with db.read_only() as s:
        assert s.get(Patient, ruth).deceased_on is not None  # type: ignore[union-attr]


def _last_name(first: str) -> str:
    with db.read_only() as s:
        return s.scalars(select(Patient.last_name).where(Patient.first_name == first)).first()  # type: ignore[return-value]
