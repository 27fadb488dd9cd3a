"""The Messages and Refills pages, the staff Inbox and the refill queue render and work through
the services (AppTest)."""

from __future__ import annotations

from services.care import messages, refills
from tests.pages.test_app import signed_in
from tests.pages.test_proxy_pages import _open
from tests.support import world


def _alex():  # type: ignore[no-untyped-def]
    alex = world.actor_of("patient.demo")
    assert alex.patient_id is not None
    return alex, alex.patient_id


def test_the_patient_writes_a_message_and_reads_the_conversation(seeded_url: str) -> None:
    at = _open(signed_in("patient.demo"), "pages/patient/messages.py")
    assert at.title[0].value == "Messages"
    assert any("call 911" in w.value for w in at.warning)  # not for emergencies, said plainly
    at.text_input(key="message_subject").input("Dizzy <b>spells</b>")
    at.text_area(key="message_body").input("Since Tuesday, **mostly** mornings.")
    next(b for b in at.button if b.label == "Send message").click().run()
    assert not at.error, [e.value for e in at.error]
    assert any("was sent" in s.value for s in at.success)
    # The new conversation is open, its text shown as typed (never as Markdown or HTML).
    assert any(t.value == "Since Tuesday, **mostly** mornings." for t in at.text)
    actor, patient = _alex()
    [mine] = [
        t for t in messages.my_threads(actor=actor, patient_id=patient) if "Dizzy" in t.subject
    ]
    assert mine.subject == "Dizzy <b>spells</b>"


def test_the_staff_inbox_answers_and_notes(seeded_url: str) -> None:
    actor, patient = _alex()
    thread = messages.message_send(
        actor=actor,
        patient_id=patient,
        recipient="care",
        category="medical",
        subject="Page test",
        body="Is this normal?",
    )
    at = _open(signed_in("clinician.demo"), "pages/staff/inbox.py")
    assert at.title[0].value == "Inbox" and not at.error, [e.value for e in at.error]
    at.selectbox(key="inbox_pick").set_value(thread).run()
    assert any(t.value == "Is this normal?" for t in at.text)
    at.text_area[0].input("Yes, quite normal.")
    next(b for b in at.button if b.label == "Send reply").click().run()
    assert not at.error, [e.value for e in at.error]
    view = messages.thread_read(actor=actor, patient_id=patient, thread_id=thread)
    assert view.messages[-1].body == "Yes, quite normal."
    billing = _open(signed_in("billing.demo"), "pages/staff/inbox.py")
    assert not billing.error and not billing.exception
    assert billing.selectbox(key="inbox_pool").value == "billing"


def test_the_patient_asks_for_a_refill_and_the_clinician_approves(seeded_url: str) -> None:
    at = _open(signed_in("patient.demo"), "pages/patient/refills.py")
    assert at.title[0].value == "Refills" and not at.error
    assert any("controlled substance" in c.value for c in at.caption)
    next(b for b in at.button if b.label == "Request the refill").click().run()
    assert any("was sent to your care team" in s.value for s in at.success)
    actor, patient = _alex()
    asked = next(  # the newest
        r for r in refills.my_refills(actor=actor, patient_id=patient) if r.status == "requested"
    )
    queue = _open(signed_in("clinician.demo"), "pages/clinician/refills.py")
    assert queue.title[0].value == "Refill requests" and not queue.error
    decide = [b for b in queue.button if b.label == "Record the decision"]
    decide[-1].click().run()  # the queue is oldest first: this request is the last
    assert not queue.error, [e.value for e in queue.error]
    [now] = [
        r
        for r in refills.my_refills(actor=actor, patient_id=patient)
        if r.request_id == asked.request_id
    ]
    assert now.status_name == "Sent to the pharmacy"
