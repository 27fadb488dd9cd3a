"""Secure messaging on both databases: routing rules, the staff inbox (claim, assign, reply,
forward, notes, close), read and unread, the wait in business days against the goal on a frozen
clock, attachments checked by content, proxies, and that the staff's internal notes never reach
any patient-side service."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from services.care import inbox, messages, pools
from services.care.tables import Message, MessageAttachment, MessageThread
from services.core import access, clock, crypto, db, uploads
from services.core.access import Actor
from services.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from services.core.models import NotificationOutbox, PatientCareTeam
from services.homes.clinician import clinician_home
from services.homes.patient import patient_home
from tests.support import world

PDF = b"%PDF-1.4\n% a test attachment\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _me() -> Actor:
    return world.actor_of("patient.demo")


def _alex() -> uuid.UUID:
    return world.patient_id("Alex", "Rivera")


def _clinician() -> Actor:
    return world.actor_of("clinician.demo")


def _send(actor: Actor | None = None, **changes: object) -> uuid.UUID:
    values: dict[str, object] = {
        "recipient": pools.CARE,
        "category": "medical",
        "subject": "Knee pain",
        "body": "My knee hurts when I climb stairs.",
    } | changes
    return messages.message_send(
        actor=actor or _me(),
        patient_id=_alex(),
        **values,  # type: ignore[arg-type]
    )


def _thread(thread_id: uuid.UUID) -> MessageThread:
    with db.read_only() as s:
        found = s.get(MessageThread, thread_id)
        assert found is not None
        return found


def _team() -> uuid.UUID:
    with db.read_only() as s:
        return s.scalars(
            select(PatientCareTeam.care_team_id).where(PatientCareTeam.patient_id == _alex())
        ).first()  # type: ignore[return-value]


@pytest.mark.parametrize("recipient", list(pools.RECIPIENTS))
@pytest.mark.parametrize("category", list(pools.CATEGORIES))
def test_the_routing_rules(recipient: str, category: str) -> None:
    expected = {
        "medical": pools.CARE,
        "refill": pools.CARE,
        "billing": pools.BILLING_OFFICE,
        "records": pools.RECORDS_OFFICE,
    }.get(category, recipient)
    assert pools.office_for(recipient, category) == expected


def test_a_message_lands_in_its_pool_and_the_right_staff_see_it(seeded_url: str) -> None:
    medical = _send(recipient=pools.BILLING_OFFICE)  # clinical: the care team, whoever asked
    bill = _send(recipient=pools.CARE, category="billing", subject="A charge")
    assert _thread(medical).pool == f"care:{_team()}"
    assert _thread(bill).pool == pools.BILLING_OFFICE
    queue = inbox.inbox_queue(actor=_clinician(), pool=f"care:{_team()}")
    assert medical in {i.thread_id for i in queue} and bill not in {i.thread_id for i in queue}
    billing = world.actor_of("billing.demo")
    assert [p.code for p in inbox.my_pools(actor=billing)] == [pools.BILLING_OFFICE]
    assert bill in {i.thread_id for i in inbox.inbox_queue(actor=billing, pool="billing")}
    with pytest.raises(NotFound):  # not their pool
        inbox.inbox_thread(actor=billing, thread_id=medical)
    with pytest.raises(NotFound):
        inbox.inbox_queue(actor=billing, pool=f"care:{_team()}")
    with pytest.raises(NotFound):
        inbox.inbox_thread(actor=_clinician(), thread_id=bill)
    with pytest.raises(PermissionDenied):
        inbox.my_pools(actor=world.actor_of("manager.demo"))


def test_a_reply_is_signed_marks_read_and_tells_the_patient_without_content(
    seeded_url: str,
) -> None:
    waiting = clinician_home(actor=_clinician()).messages_waiting
    thread = _send(subject="Stairs", body="Private detail about my knee")
    assert clinician_home(actor=_clinician()).messages_waiting == waiting + 1
    before = patient_home(actor=_me(), patient_id=_alex()).unread_messages
    [item] = [
        i
        for i in inbox.inbox_queue(actor=_clinician(), pool=f"care:{_team()}")
        if i.thread_id == thread
    ]
    assert item.unread == 1 and item.waiting_since is not None
    view = inbox.inbox_thread(actor=_clinician(), thread_id=thread)  # the patient's is read now
    assert view.patient_name == "Alex Rivera" and view.messages[0].signature == "Alex Rivera"
    inbox.inbox_reply(actor=_clinician(), thread_id=thread, body="Ice it and rest; call if worse.")
    assert clinician_home(actor=_clinician()).messages_waiting == waiting
    [mine] = [
        t for t in messages.my_threads(actor=_me(), patient_id=_alex()) if t.thread_id == thread
    ]
    assert mine.unread == 1 and mine.with_whom == "Your care team"
    assert patient_home(actor=_me(), patient_id=_alex()).unread_messages == before + 1
    read = messages.thread_read(actor=_me(), patient_id=_alex(), thread_id=thread)
    assert read.messages[-1].signature == "Jordan Patel, MD, Care team"
    assert patient_home(actor=_me(), patient_id=_alex()).unread_messages == before
    assert _thread(thread).waiting_since is None and _thread(thread).assigned_to is not None
    with db.read_only() as s:
        notices = s.scalars(
            select(NotificationOutbox).where(NotificationOutbox.kind == "messages")
        ).all()
    bodies = [crypto.decrypt(n.body.encode()).decode() for n in notices]
    assert bodies and all("knee" not in b.lower() and "ice it" not in b.lower() for b in bodies)


def _at(day: str, hour: int) -> datetime:
    return clock.from_local(datetime.fromisoformat(f"{day} {hour:02d}:00"))


def test_the_wait_counts_business_days_against_the_goal(seeded_url: str) -> None:
    with clock.frozen(_at("2026-06-05", 10)):  # a Friday
        first = _send(subject="First")
    with clock.frozen(_at("2026-06-08", 9)):  # Monday
        second = _send(subject="Second")
    pool = f"care:{_team()}"

    def waited(at: datetime) -> dict[uuid.UUID, tuple[int, bool]]:
        with clock.frozen(at):
            return {
                i.thread_id: (i.business_days, i.overdue)
                for i in inbox.inbox_queue(actor=_clinician(), pool=pool)
            }

    assert waited(_at("2026-06-08", 10))[first] == (1, False)  # the weekend does not count
    assert waited(_at("2026-06-10", 10))[first] == (3, False)  # at the goal
    late = waited(_at("2026-06-11", 10))
    assert late[first] == (4, True) and late[second] == (3, False)
    with clock.frozen(_at("2026-06-11", 10)):
        order = [i.thread_id for i in inbox.inbox_queue(actor=_clinician(), pool=pool)]
        assert order.index(first) < order.index(second)  # the longest wait first
        inbox.inbox_reply(actor=_clinician(), thread_id=first, body="Answered.")
        order = [i.thread_id for i in inbox.inbox_queue(actor=_clinician(), pool=pool)]
        assert order.index(second) < order.index(first)  # answered ones after the waiting
    assert waited(_at("2026-06-12", 10))[first] == (0, False)


def test_claim_assign_note_forward_and_close(seeded_url: str) -> None:
    thread = _send()
    other = world.actor_of("billing.demo")
    inbox.inbox_claim(actor=_clinician(), thread_id=thread)
    with pytest.raises(Conflict):
        inbox.inbox_claim(actor=_clinician(), thread_id=thread)
    staff = inbox.inbox_thread(actor=_clinician(), thread_id=thread).assignees
    assert _clinician().user_id in staff and other.user_id not in staff
    with pytest.raises(ValidationError):
        inbox.inbox_assign(actor=_clinician(), thread_id=thread, user_id=other.user_id)
    inbox.inbox_note(actor=_clinician(), thread_id=thread, body="Check the X-ray first.")
    with pytest.raises(ValidationError):
        inbox.inbox_forward(actor=_clinician(), thread_id=thread, pool="nowhere", note="x")
    with pytest.raises(ValidationError):
        inbox.inbox_forward(actor=_clinician(), thread_id=thread, pool="billing", note=" ")
    inbox.inbox_forward(actor=_clinician(), thread_id=thread, pool="billing", note="A bill")
    assert _thread(thread).pool == "billing" and _thread(thread).assigned_to is None
    view = inbox.inbox_thread(actor=other, thread_id=thread)
    assert [n.kind for n in view.notes] == ["claim", "note", "forward"]
    assert "A bill" in view.notes[-1].body
    inbox.inbox_close(actor=other, thread_id=thread)
    with pytest.raises(Conflict, match="already closed"):
        inbox.inbox_close(actor=other, thread_id=thread)
    with pytest.raises(Conflict):
        inbox.inbox_reply(actor=other, thread_id=thread, body="Late")
    with pytest.raises(NotFound, match="attachment"):
        inbox.inbox_attachment(actor=other, thread_id=thread, attachment_id=uuid.uuid4())
    with pytest.raises(ValidationError):
        inbox.inbox_note(actor=other, thread_id=thread, body=" ")
    assert thread not in {i.thread_id for i in inbox.inbox_queue(actor=other, pool="billing")}
    # The patient writes again: it opens and waits again.
    messages.message_reply(actor=_me(), patient_id=_alex(), thread_id=thread, body="Any news?")
    assert _thread(thread).status == "open" and _thread(thread).waiting_since is not None


def test_two_clinicians_claiming_at_once_one_gets_it(seeded_url: str) -> None:
    thread = _send()
    first = _clinician()
    second = world.actor_of_user(
        next(
            u
            for u in inbox.inbox_thread(actor=first, thread_id=thread).assignees
            if u != first.user_id
        )
    )
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def claim(actor: Actor) -> None:
        start.wait()
        try:
            inbox.inbox_claim(actor=actor, thread_id=thread)
            outcomes.append("claimed")
        except Conflict:
            outcomes.append("refused")

    workers = [threading.Thread(target=claim, args=(a,)) for a in (first, second)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(outcomes) == ["claimed", "refused"]


def test_attachments_are_checked_by_content_and_refused_whole(seeded_url: str) -> None:
    with db.read_only() as s:
        threads = s.scalar(select(func.count()).select_from(MessageThread))
    kept = set(uploads.folder(messages.FOLDER).iterdir())
    for bad in (
        uploads.Upload("notes.pdf", b"just text, not a PDF"),
        uploads.Upload("photo.pdf", PNG),  # a PNG named as a PDF
        uploads.Upload("empty.png", b""),
    ):
        with pytest.raises(ValidationError) as refused:
            _send(attachments=[uploads.Upload("fine.pdf", PDF), bad])
        assert "attachments" in refused.value.fields
    with pytest.raises(ValidationError):
        _send(attachments=[uploads.Upload(f"{n}.pdf", PDF) for n in range(4)])
    with db.read_only() as s:
        assert s.scalar(select(func.count()).select_from(MessageThread)) == threads
    assert set(uploads.folder(messages.FOLDER).iterdir()) == kept  # no file left behind
    thread = _send(attachments=[uploads.Upload("x-ray.png", PNG)])
    [sent] = messages.thread_read(actor=_me(), patient_id=_alex(), thread_id=thread).messages
    [attached] = sent.attachments
    assert attached.title == "x-ray.png"
    got = inbox.inbox_attachment(
        actor=_clinician(), thread_id=thread, attachment_id=attached.attachment_id
    )
    assert got == PNG
    with pytest.raises(NotFound):  # an attachment of another thread
        messages.message_attachment(
            actor=_me(), patient_id=_alex(), thread_id=_send(), attachment_id=attached.attachment_id
        )


def test_bad_messages_are_refused_and_change_nothing(seeded_url: str) -> None:
    for changes, field in (
        ({"recipient": "the mayor"}, "recipient"),
        ({"category": "gossip"}, "category"),
        ({"subject": "  "}, "subject"),
        ({"body": ""}, "body"),
        ({"body": "x" * (messages.MAX_BODY + 1)}, "body"),
    ):
        with pytest.raises(ValidationError) as refused:
            _send(**changes)
        assert field in refused.value.fields
    with db.read_only() as s:
        assert not s.scalars(
            select(MessageThread).where(MessageThread.subject == "Knee pain")
        ).all()
    with pytest.raises(PermissionDenied):
        _send(_clinician())
    other = world.some_patient_user()
    with pytest.raises(NotFound):  # another patient's conversation: as if it were not there
        assert other.patient_id
        messages.thread_read(actor=other, patient_id=_alex(), thread_id=_send())
    with pytest.raises(NotFound, match="that conversation"):  # Alex's id, a made-up thread
        messages.message_reply(
            actor=_me(), patient_id=_alex(), thread_id=uuid.uuid4(), body="Hello?"
        )


def test_a_proxy_writes_for_the_patient_and_is_named(seeded_url: str) -> None:
    proxy = world.proxy_of_alex(frozenset({access.MESSAGES}))
    thread = _send(proxy, subject="For Alex")
    [sent] = messages.thread_read(actor=proxy, patient_id=_alex(), thread_id=thread).messages
    assert sent.signature == "Dana Larson for Alex Rivera"
    assert thread in {t.thread_id for t in messages.my_threads(actor=_me(), patient_id=_alex())}


@pytest.mark.parametrize(
    "call",
    ["list", "read", "send", "reply", "attachment"],
)
def test_a_proxy_without_the_messages_scope_is_refused(seeded_url: str, call: str) -> None:
    thread = _send()
    proxy = world.proxy_of_alex(frozenset(access.SCOPES) - {access.MESSAGES})
    calls = {
        "list": lambda: messages.my_threads(actor=proxy, patient_id=_alex()),
        "read": lambda: messages.thread_read(actor=proxy, patient_id=_alex(), thread_id=thread),
        "send": lambda: _send(proxy),
        "reply": lambda: messages.message_reply(
            actor=proxy, patient_id=_alex(), thread_id=thread, body="x"
        ),
        "attachment": lambda: messages.message_attachment(
            actor=proxy, patient_id=_alex(), thread_id=thread, attachment_id=uuid.uuid4()
        ),
    }
    with pytest.raises(NotFound, match="could not find that record"):
        calls[call]()


def test_a_teens_own_message_is_hidden_from_the_limited_parent(seeded_url: str) -> None:
    emma = world.patient_id("Emma", "Larson")
    teen = world.actor_of("teen.demo")
    thread = messages.message_send(
        actor=teen,
        patient_id=emma,
        recipient=pools.CARE,
        category="medical",
        subject="Private question",
        body="Something private",
    )
    parent = world.actor_of("proxy.demo")
    assert thread not in {t.thread_id for t in messages.my_threads(actor=parent, patient_id=emma)}
    with pytest.raises(NotFound):
        messages.thread_read(actor=parent, patient_id=emma, thread_id=thread)
    assert thread in {t.thread_id for t in messages.my_threads(actor=teen, patient_id=emma)}


MARKER = "INTERNAL-ONLY-7f3a"


def test_internal_notes_reach_no_patient_side_service(seeded_url: str) -> None:
    """Walks every patient-side reader of messages with a note and a forward that carry a
    marker: the marker never comes back, and searching for it finds nothing."""
    thread = _send(attachments=[uploads.Upload("a.pdf", PDF)])
    inbox.inbox_note(actor=_clinician(), thread_id=thread, body=f"{MARKER} do not tell")
    inbox.inbox_forward(
        actor=_clinician(), thread_id=thread, pool=pools.RECORDS_OFFICE, note=MARKER
    )
    inbox.inbox_reply(actor=world.actor_of("him.demo"), thread_id=thread, body="Answer")
    proxy = world.proxy_of_alex(frozenset({access.MESSAGES}))
    read = messages.thread_read(actor=_me(), patient_id=_alex(), thread_id=thread)
    [attached] = read.messages[0].attachments
    seen = [
        messages.my_threads(actor=_me(), patient_id=_alex()),
        messages.my_threads(actor=_me(), patient_id=_alex(), search="Knee"),
        read,
        messages.thread_read(actor=proxy, patient_id=_alex(), thread_id=thread),
        messages.message_attachment(
            actor=_me(),
            patient_id=_alex(),
            thread_id=thread,
            attachment_id=attached.attachment_id,
        ),
        patient_home(actor=_me(), patient_id=_alex()),
    ]
    assert all(MARKER not in repr(part) for part in seen)
    assert messages.my_threads(actor=_me(), patient_id=_alex(), search=MARKER) == []
    assert read.with_whom == "Records office"
    with db.read_only() as s:
        assert s.scalar(select(func.count()).where(Message.body.contains(MARKER))) == 0
        assert s.scalar(select(func.count()).select_from(MessageAttachment)) == 1


def test_search_finds_subjects_and_text_and_treats_wildcards_as_text(seeded_url: str) -> None:
    mine = _send(subject="Rash on arm", body="It itches 100% of the time")
    found = lambda words: {  # noqa: E731
        t.thread_id for t in messages.my_threads(actor=_me(), patient_id=_alex(), search=words)
    }
    assert mine in found("rash") and mine in found("ITCHES") and mine in found("100%")
    assert found("%") == {mine}  # a percent sign is text, not "anything"
    assert mine not in found("fever")
    newest = messages.my_threads(actor=_me(), patient_id=_alex())[0]
    assert newest.thread_id == mine  # newest first


def test_the_seeded_inbox_waits_and_its_pools_are_counted(seeded_url: str) -> None:
    [mine] = [p for p in inbox.my_pools(actor=_clinician()) if p.mine][:1]
    assert mine.open_threads >= mine.waiting
    queue = inbox.inbox_queue(actor=_clinician(), pool=mine.code)
    assert len(queue) == mine.open_threads
    assert timedelta(0) <= clock.now() - min(
        (i.waiting_since for i in queue if i.waiting_since), default=clock.now()
    )
