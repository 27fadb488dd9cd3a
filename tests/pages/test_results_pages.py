"""The results pages under AppTest: the patient's list, a result with its trend, the delay
choice; the clinician's release page releasing a held result with a comment."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from services.core import db
from services.core.models import AuditEvent
from services.records import explanations, results
from services.records.tables import LabResult
from tests.conftest import NOW
from tests.pages.test_app import signed_in
from tests.services.records.test_results import _alex, held_result
from tests.support import world


def test_the_patient_opens_a_result_with_its_trend(seeded_url: str) -> None:
    at = signed_in("patient.demo")
    at.switch_page("pages/patient/results.py").run()
    assert not at.exception and at.title[0].value == "Test results"
    me = world.actor_of("patient.demo")
    newest = results.results_list(actor=me, patient_id=_alex())[0]
    assert newest.new
    at.selectbox(key="results_open").set_value(newest.result_id).run()
    assert not at.exception and not at.error
    assert at.subheader[0].value == newest.panel_name
    opened = next(
        r
        for r in results.results_list(actor=me, patient_id=_alex())
        if r == newest or r.result_id == newest.result_id
    )
    assert not opened.new  # opening it was recorded
    assert any("Outside the range" in c for df in at.dataframe for c in df.value.columns)
    # The test explained in plain words, linked from the trend.
    about = explanations.explanation(newest.panel_code)
    assert about is not None
    assert f"About this test: {about.name}" in [h.value for h in at.subheader]
    assert about.measures in [m.value for m in at.markdown]
    at.toggle(key="results_delay_sensitive").set_value(True).run()
    assert results.delay_preferences(actor=me, patient_id=_alex()) == {"sensitive"}


def test_the_clinician_releases_a_held_result_with_a_comment(seeded_url: str) -> None:
    rid = held_result()
    at = signed_in("clinician.demo")
    at.switch_page("pages/clinician/results.py").run()
    assert not at.exception and at.title[0].value == "Result release"
    at.multiselect(key="release_pick").select(rid)
    at.text_area(key="release_comment").input("Slightly higher; we will talk on Monday.")
    at.button(key="FormSubmitter:release_many-Release").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["Released 1 result; the patient has been told."]
    with db.read_only() as s:
        row = s.get(LabResult, rid)
        assert row is not None and row.released_at == NOW
        assert row.clinician_comment == "Slightly higher; we will talk on Monday."


def _result_views() -> int:
    with db.read_only() as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "results.view")
            )
            or 0
        )


def test_the_release_page_reads_a_held_result_only_when_it_is_opened(seeded_url: str) -> None:
    """The page used to read (and audit as viewed) every held result on every run."""
    _, second = held_result(), held_result()
    at = signed_in("clinician.demo")
    before = _result_views()
    at.switch_page("pages/clinician/results.py").run()
    assert not at.exception and _result_views() == before
    at.session_state[f"held_{second}"] = True  # as a click on its line does
    at.run()
    assert not at.exception and _result_views() == before + 1


def test_the_medical_record_page_shows_each_part(seeded_url: str) -> None:
    at = signed_in("patient.demo")
    at.switch_page("pages/patient/records.py").run()
    assert not at.exception and not at.error
    assert at.title[0].value == "Medical record"
    assert [t.label for t in at.tabs] == [
        "Visits",
        "Notes and care plans",
        "Problems, medicines, allergies, vaccines",
        "Imaging",
        "Documents",
        "Share with another clinic",
    ]
    assert at.expander  # visits listed
    assert [t.key for t in at.text_input] == ["records_visit_q"]
    open_tab(at, "Notes and care plans")
    assert at.expander  # notes listed; the visits tab no longer runs
    assert [t.key for t in at.text_input] == ["records_note_q"]
    at.text_input(key="records_note_q").input("no-such-words-anywhere").run()
    assert "No notes match." in [i.value for i in at.info]
    open_tab(at, "Problems, medicines, allergies, vaccines")
    assert [s.value for s in at.subheader][:2] == ["Problems", "Medications"]


def test_only_the_open_tab_of_the_record_is_read_and_recorded_as_seen(seeded_url: str) -> None:
    at = signed_in("patient.demo")
    before = _record_views()
    at.switch_page("pages/patient/records.py").run()
    assert set(_record_views() - before) == {"records.visits.view"}
    before = _record_views()
    open_tab(at, "Imaging")
    assert not at.exception and set(_record_views() - before) == {"records.imaging.view"}


def _record_views() -> Counter[str]:
    """How many times each part of the record has been recorded as seen."""
    with db.read_only() as s:
        rows = s.execute(
            select(AuditEvent.action, func.count())
            .where(AuditEvent.action.like("records.%.view"))
            .group_by(AuditEvent.action)
        ).all()
    return Counter({str(action): int(n) for action, n in rows})


def open_tab(at: AppTest, label: str) -> AppTest:
    """Choose a tab of the record page, as a click on it does (the page runs again)."""
    at.session_state["records_tab"] = label
    return at.run()


def test_an_upload_without_a_file_is_refused_with_messages(seeded_url: str) -> None:
    at = signed_in("patient.demo")
    at.switch_page("pages/patient/records.py").run()
    open_tab(at, "Documents")
    at.button(key="FormSubmitter:documents_upload-Upload").click().run()
    assert not at.exception
    messages = [e.value for e in at.error]
    assert (
        "File: The file is empty." in messages and "Title: Give the document a title." in messages
    )


def test_a_share_link_made_on_the_record_page_opens_for_its_recipient(seeded_url: str) -> None:
    from tests.pages.test_app import APP

    at = signed_in("patient.demo")
    at.switch_page("pages/patient/records.py").run()
    open_tab(at, "Share with another clinic")
    at.text_input(key="share_name").input("Northside Clinic")
    at.text_input(key="share_email").input("records@northside.example")
    at.button(key="FormSubmitter:share_new-Create link").click().run()
    assert not at.exception and not at.error
    link = at.code[0].value
    token = link.split("token=")[1]
    visitor = AppTest.from_file(APP, default_timeout=60)
    visitor.query_params["token"] = token
    visitor.switch_page("pages/public/shared.py").run()
    visitor.text_input(key="shared_email").input("records@northside.example")
    visitor.button(key="FormSubmitter:shared_open-Open").click().run()
    assert not visitor.exception and not visitor.error
    assert visitor.success[0].value.startswith("Ready.")
