"""Secure messaging, the patient's side (or a proxy's with the messages scope): write to the care
team, the billing office or the records office with a category, subject, text and attachments;
threads newest first with unread counts and search; a thread read marks the staff's messages
read. Messages are part of the record: every read and write is audited. A proxy's message is
signed with who wrote it for whom. The staff's internal notes live in another table that no
function here reads. Notifications say only that a message is waiting."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, ScalarSelect, and_, exists, func, or_, select, update
from sqlalchemy.orm import Session

from services.care import pools
from services.care.tables import Message, MessageAttachment, MessageThread
from services.core import access, clock, forms, notify, uploads
from services.core.access import Access, Actor
from services.core.config import settings
from services.core.errors import Conflict, NotFound
from services.core.language import N_, t
from services.core.models import Patient, PatientCareTeam
from services.core.work import patient_work

FOLDER = "messages"
MAX_SUBJECT, MAX_BODY, MAX_FILES = 200, 5000, 3
PATIENT_SIDE = N_("Messages are written here by the patient or their proxy; staff use the inbox.")
EMERGENCY = N_(
    "Messages are not for emergencies. If you have a medical emergency, "
    "call 911. If you are thinking about harming yourself, call or text "
    "988."
)


@dataclass(frozen=True)
class Attachment:
    attachment_id: uuid.UUID
    title: str
    size_bytes: int


@dataclass(frozen=True)
class MessageView:
    message_id: uuid.UUID
    sent_at: datetime
    from_patient_side: bool
    signature: str
    body: str
    attachments: list[Attachment]


@dataclass(frozen=True)
class ThreadSummary:
    thread_id: uuid.UUID
    subject: str
    category: str
    with_whom: str
    status: str
    last_at: datetime
    unread: int


@dataclass(frozen=True)
class ThreadView:
    thread_id: uuid.UUID
    subject: str
    category: str
    with_whom: str
    status: str
    messages: list[MessageView]


def category_name(category: str | None) -> str:
    """What a thread is about, in words."""
    return t(pools.CATEGORIES[category]) if category in pools.CATEGORIES else t("Message")


def answer_note() -> str:
    """When to expect an answer, for the compose page."""
    return (
        t(
            "We answer within {days} business days (Monday to Friday).",
            days=pools.goal_business_days(),
        )
        + " "
        + t(EMERGENCY)
    )


def checked_files(fields: dict[str, str], files: Sequence[uploads.Upload]) -> None:
    """Attachments: at most three, each accepted by its content (PDF, PNG, JPEG)."""
    if len(files) > MAX_FILES:
        fields["attachments"] = t("Attach at most {limit} files.", limit=MAX_FILES)
    for f in files:
        problem = uploads.file_problem(f.filename, f.data)
        if problem:
            fields["attachments"] = f"{f.filename}: {problem}"


def checked_body(fields: dict[str, str], body: str) -> str:
    return forms.checked_note(fields, "body", body, t("Write your message."), MAX_BODY)


def checked_message(body: str, attachments: Sequence[uploads.Upload]) -> str:
    """A reply's text and files, or the whole reply refused."""
    fields: dict[str, str] = {}
    text = checked_body(fields, body)
    checked_files(fields, attachments)
    forms.raise_if(fields)
    return text


def next_moment(latest: datetime | None) -> datetime:
    """Now, or just after the thread's latest entry: its order never depends on ties."""
    now = clock.now()
    return now if latest is None or latest < now else latest + timedelta(microseconds=1)


def post(
    session: Session,
    thread: MessageThread,
    author: uuid.UUID,
    from_patient_side: bool,
    body: str,
    signature: str,
    stored: Sequence[tuple[uploads.Upload, uploads.Stored]],
) -> uuid.UUID:
    """Add one message and its attachments to a thread (in the caller's transaction)."""
    now = next_moment(
        session.scalar(select(func.max(Message.sent_at)).where(Message.thread_id == thread.id))
    )
    message = Message(
        id=uuid.uuid4(),
        thread_id=thread.id,
        sender_user_id=author,
        from_patient_side=from_patient_side,
        body=body,
        sent_at=now,
        read_at=None,
        signature=signature[:200],
    )
    session.add(message)
    for sent, kept in stored:
        row = MessageAttachment(id=uuid.uuid4(), message_id=message.id)
        row.keep(kept, sent.filename, now)
        session.add(row)
    thread.updated_at = now
    return message.id


def messages_of(session: Session, thread_id: uuid.UUID) -> list[MessageView]:
    """A thread's messages, oldest first, with their attachments (never the staff's notes)."""
    rows = session.scalars(
        select(Message).where(Message.thread_id == thread_id).order_by(Message.sent_at, Message.id)
    ).all()
    files = session.scalars(
        select(MessageAttachment)
        .where(MessageAttachment.message_id.in_([m.id for m in rows]))
        .order_by(MessageAttachment.uploaded_at, MessageAttachment.title)
    ).all()
    by_message: dict[uuid.UUID, list[Attachment]] = {}
    for f in files:
        by_message.setdefault(f.message_id, []).append(Attachment(f.id, f.title, f.size_bytes))
    return [
        MessageView(
            m.id,
            m.sent_at,
            m.from_patient_side,
            m.signature or (t("You") if m.from_patient_side else t("Your care team")),
            m.body,
            by_message.get(m.id, []),
        )
        for m in rows
    ]


def attachment_bytes(session: Session, thread_id: uuid.UUID, attachment_id: uuid.UUID) -> bytes:
    row = session.get(MessageAttachment, attachment_id)
    message = session.get(Message, row.message_id) if row else None
    if row is None or message is None or message.thread_id != thread_id:
        raise NotFound(t("We could not find that attachment."))
    data = uploads.read_checked(uploads.folder(FOLDER), row.storage_name, row.sha256)
    if data is None:
        raise NotFound(t("That attachment could not be read; ask the sender to send it again."))
    return data


def _visible(found: Access) -> list[ColumnElement[bool]]:
    """A parent of a 12-17 year old does not see the teen's confidential threads."""
    return [MessageThread.sensitive.is_not(True)] if found.adolescent_limited else []


def _thread(
    session: Session, found: Access, patient_id: uuid.UUID, thread_id: uuid.UUID
) -> MessageThread:
    thread = session.scalar(
        select(MessageThread).where(
            MessageThread.id == thread_id,
            MessageThread.patient_id == patient_id,
            *_visible(found),
        )
    )
    if thread is None:
        raise NotFound(t("We could not find that conversation."))
    return thread


def _signature(session: Session, actor: Actor, patient_id: uuid.UUID) -> str:
    patient = session.get(Patient, patient_id)
    assert patient is not None
    name = f"{patient.first_name} {patient.last_name}"
    return (
        name
        if actor.patient_id == patient_id
        else t("{display_name} for {name}", display_name=actor.display_name, name=name)
    )


def _post_for_patient(
    session: Session,
    actor: Actor,
    patient_id: uuid.UUID,
    thread: MessageThread,
    text: str,
    stored: Sequence[tuple[uploads.Upload, uploads.Stored]],
) -> uuid.UUID:
    signature = _signature(session, actor, patient_id)
    return post(session, thread, actor.user_id, True, text, signature, stored)


def _confidential(session: Session, actor: Actor, patient_id: uuid.UUID) -> bool:
    """A teen's own message (12 to 17) is confidential: their parent's access does not show it."""
    if actor.patient_id != patient_id:
        return False
    birth: date | None = session.scalar(select(Patient.birth_date).where(Patient.id == patient_id))
    age = access.age_on(birth, clock.today()) if birth else access.adult_age()
    return access.limited_from_age() <= age < access.adult_age()


def message_send(
    *,
    actor: Actor,
    patient_id: uuid.UUID,
    recipient: str,
    category: str,
    subject: str,
    body: str,
    attachments: Sequence[uploads.Upload] = (),
) -> uuid.UUID:
    """Start a conversation; it goes to a staff pool by the routing rules. Returns the thread."""
    fields: dict[str, str] = {}
    if recipient not in pools.RECIPIENTS:
        fields["recipient"] = t("Choose whom to write to.")
    if category not in pools.CATEGORIES:
        fields["category"] = t("Choose what the message is about.")
    title = forms.checked_note(fields, "subject", subject, t("Give the message a subject."), 200)
    text = checked_body(fields, body)
    checked_files(fields, attachments)
    forms.raise_if(fields)
    with uploads.storing_all(uploads.folder(FOLDER), attachments) as stored:
        with patient_work(actor, patient_id, "messages.send", access.MESSAGES) as (session, found):
            access.require_patient_side(found, PATIENT_SIDE)
            team = session.scalar(
                select(PatientCareTeam.care_team_id)
                .where(PatientCareTeam.patient_id == patient_id)
                .order_by(PatientCareTeam.since.desc())
                .limit(1)
            )
            if team is None:
                raise Conflict(
                    t(
                        "No care team is on file for you yet: please call {clinic_name}.",
                        clinic_name=settings().clinic_name,
                    )
                )
            now = clock.now()
            thread = MessageThread(
                id=uuid.uuid4(),
                patient_id=patient_id,
                care_team_id=team,
                subject=title,
                status="open",
                created_at=now,
                sensitive=_confidential(session, actor, patient_id),
                category=category,
                recipient=recipient,
                pool=pools.pool_code(pools.office_for(recipient, category), team),
                waiting_since=now,
            )
            session.add(thread)
            session.flush()
            _post_for_patient(session, actor, patient_id, thread, text, stored)
            return thread.id


def message_reply(
    *,
    actor: Actor,
    patient_id: uuid.UUID,
    thread_id: uuid.UUID,
    body: str,
    attachments: Sequence[uploads.Upload] = (),
) -> uuid.UUID:
    """Write again in a conversation (a closed one opens again and waits for an answer)."""
    text = checked_message(body, attachments)
    with uploads.storing_all(uploads.folder(FOLDER), attachments) as stored:
        with patient_work(actor, patient_id, "messages.reply", access.MESSAGES) as (session, found):
            access.require_patient_side(found, PATIENT_SIDE)
            thread = _thread(session, found, patient_id, thread_id)
            if thread.status != "open":
                thread.status, thread.closed_at, thread.closed_by = "open", None, None
            thread.waiting_since = thread.waiting_since or clock.now()
            return _post_for_patient(session, actor, patient_id, thread, text, stored)


def unread_in_thread(from_patient_side: bool) -> ScalarSelect[int]:
    """Per thread of the outer query: the other side's messages not read yet."""
    return (
        select(func.count())
        .where(
            Message.thread_id == MessageThread.id,
            Message.from_patient_side.is_(from_patient_side),
            Message.read_at.is_(None),
        )
        .scalar_subquery()
    )


def my_threads(*, actor: Actor, patient_id: uuid.UUID, search: str = "") -> list[ThreadSummary]:
    """The patient's conversations, newest first; `search` looks in subjects and messages."""
    words = search.strip()[:100]
    with patient_work(actor, patient_id, "messages.list", access.MESSAGES) as (session, found):
        access.require_patient_side(found, PATIENT_SIDE)
        last = func.coalesce(MessageThread.updated_at, MessageThread.created_at)
        query = select(
            MessageThread,
            last,
            unread_in_thread(from_patient_side=False),
        ).where(MessageThread.patient_id == patient_id, *_visible(found))
        if words:
            pattern = (
                "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            )
            query = query.where(
                or_(
                    MessageThread.subject.ilike(pattern, escape="\\"),
                    exists().where(
                        and_(
                            Message.thread_id == MessageThread.id,
                            Message.body.ilike(pattern, escape="\\"),
                        )
                    ),
                )
            )
        rows = session.execute(query.order_by(last.desc(), MessageThread.id)).all()
        return [
            ThreadSummary(
                th.id,
                th.subject,
                category_name(th.category),
                pools.patient_label(th.pool),
                th.status,
                at,
                int(unread or 0),
            )
            for th, at, unread in rows
        ]


def thread_read(*, actor: Actor, patient_id: uuid.UUID, thread_id: uuid.UUID) -> ThreadView:
    """One conversation; the staff's messages in it are marked read."""
    with patient_work(actor, patient_id, "messages.read", access.MESSAGES) as (session, found):
        access.require_patient_side(found, PATIENT_SIDE)
        thread = _thread(session, found, patient_id, thread_id)
        session.execute(
            update(Message)
            .where(
                Message.thread_id == thread.id,
                Message.from_patient_side.is_(False),
                Message.read_at.is_(None),
            )
            .values(read_at=clock.now())
        )
        return ThreadView(
            thread.id,
            thread.subject,
            category_name(thread.category),
            pools.patient_label(thread.pool),
            thread.status,
            messages_of(session, thread.id),
        )


def message_attachment(
    *, actor: Actor, patient_id: uuid.UUID, thread_id: uuid.UUID, attachment_id: uuid.UUID
) -> bytes:
    with patient_work(actor, patient_id, "messages.attachment", access.MESSAGES) as (
        session,
        found,
    ):
        access.require_patient_side(found, PATIENT_SIDE)
        thread = _thread(session, found, patient_id, thread_id)
        return attachment_bytes(session, thread.id, attachment_id)


def tell_patient(session: Session, thread: MessageThread) -> None:
    """A new message is waiting: the notice says only that, and from which office."""
    notify.to_patient(
        session,
        thread.patient_id,
        "messages",
        N_("{clinic}: you have a new message"),
        N_("{pool} sent you a message. Sign in to the patient portal to read it."),
        clinic=settings().clinic_name,
        pool=lambda: pools.patient_label(thread.pool),  # in the patient's language
    )
