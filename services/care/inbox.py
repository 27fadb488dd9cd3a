"""The staff inbox: the pools a staff member works (clinicians the care teams' nurse pools,
billing staff the billing office, HIM staff the records office), each pool's open threads sorted
by how long the patient has waited against the response-time goal (business days); claim or
assign, reply (signed with name and role; the patient is told a message is waiting), forward to
another pool with a note, internal notes the patient never sees, close. Every thread opened or
worked is audited under its patient."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from services.care import messages, pools
from services.care.tables import Message, MessageThread, ThreadNote
from services.core import access, audit, clock, forms, uploads
from services.core.access import Actor
from services.core.errors import Conflict, NotFound, ValidationError
from services.core.language import N_, t
from services.core.models import CareTeam, CareTeamMember, Patient, Provider, User, UserRole
from services.core.work import staff_work

ROLE_TITLES = {
    pools.CARE: N_("Care team"),
    pools.BILLING_OFFICE: N_("Billing office"),
    pools.RECORDS_OFFICE: N_("Records office"),
}


@dataclass(frozen=True)
class PoolSummary:
    code: str
    name: str
    open_threads: int
    waiting: int  # threads waiting for a staff answer
    mine: bool  # one of the clinician's own care teams


@dataclass(frozen=True)
class QueueItem:
    thread_id: uuid.UUID
    patient_name: str
    mrn: str
    subject: str
    category: str
    waiting_since: datetime | None
    business_days: int  # waited so far, when waiting
    overdue: bool
    assigned_to: str | None
    unread: int
    updated_at: datetime


@dataclass(frozen=True)
class Note:
    created_at: datetime
    author: str
    kind: str
    body: str


@dataclass(frozen=True)
class StaffThread:
    thread_id: uuid.UUID
    patient_id: uuid.UUID
    patient_name: str
    mrn: str
    subject: str
    category: str
    pool: str
    pool_name: str
    status: str
    assigned_to: str | None
    waiting_since: datetime | None
    messages: list[messages.MessageView]
    notes: list[Note]
    forward_to: dict[str, str]  # the other pools, by code, with their names
    assignees: dict[uuid.UUID, str]  # the staff who work this pool


def _team_names(session: Session) -> dict[uuid.UUID, str]:
    return dict(session.execute(select(CareTeam.id, CareTeam.name)).tuples().all())


def _own_teams(session: Session, actor: Actor) -> set[uuid.UUID]:
    return set(
        session.scalars(
            select(CareTeamMember.care_team_id)
            .join(Provider, Provider.id == CareTeamMember.provider_id)
            .where(Provider.user_id == actor.user_id)
        )
    )


def own_pools(session: Session, actor: Actor) -> list[str]:
    """The nurse pools of the clinician's own care teams."""
    return [pools.pool_code(pools.CARE, team) for team in _own_teams(session, actor)]


def _pool_codes(session: Session, actor: Actor) -> list[str]:
    """The pools this staff member works: their own care teams first."""
    codes: list[str] = []
    if access.CLINICIAN in actor.roles:
        own = _own_teams(session, actor)
        teams = sorted(_team_names(session).items(), key=lambda team: (team[0] not in own, team[1]))
        codes += [pools.pool_code(pools.CARE, team) for team, _ in teams]
    for office in (pools.BILLING_OFFICE, pools.RECORDS_OFFICE):
        if pools.WORKERS[office] in actor.roles:
            codes.append(office)
    return codes


def all_pools(session: Session) -> dict[str, str]:
    """Every pool a thread may be forwarded to, by code, with its name."""
    names = _team_names(session)
    codes = [pools.pool_code(pools.CARE, team) for team in names]
    codes += [pools.BILLING_OFFICE, pools.RECORDS_OFFICE]
    return {c: pools.pool_name(c, names) for c in codes}


def _works(actor: Actor, pool: str | None) -> bool:
    role = pools.WORKERS.get(pools.office_of_pool(pool or ""))
    return role is not None and role in actor.roles


def _waited(thread: MessageThread, now: datetime) -> tuple[int, bool]:
    if thread.waiting_since is None or thread.status != "open":
        return 0, False
    days = clock.business_days(thread.waiting_since, now)
    return days, days > pools.goal_business_days()


def my_pools(*, actor: Actor) -> list[PoolSummary]:
    """The pools this staff member works, with their open and waiting threads."""
    with staff_work(actor, "messages.pools", *pools.INBOX_ROLES) as session:
        codes = _pool_codes(session, actor)
        counts = {
            pool: (int(open_), int(waiting or 0))
            for pool, open_, waiting in session.execute(
                select(
                    MessageThread.pool,
                    func.count(),
                    func.count(MessageThread.waiting_since),
                )
                .where(MessageThread.status == "open", MessageThread.pool.in_(codes))
                .group_by(MessageThread.pool)
            ).all()
        }
        names = _team_names(session)
        own = set(own_pools(session, actor))
        return [
            PoolSummary(c, pools.pool_name(c, names), *counts.get(c, (0, 0)), c in own)
            for c in codes
        ]


def inbox_queue(*, actor: Actor, pool: str) -> list[QueueItem]:
    """A pool's open threads: those waiting for an answer first, longest wait first; then the
    rest, most recent first."""
    with staff_work(actor, "messages.queue", *pools.INBOX_ROLES) as session:
        if pool not in _pool_codes(session, actor):
            raise NotFound(t("Choose one of your pools."))
        unread = messages.unread_in_thread(from_patient_side=True)
        rows = session.execute(
            select(MessageThread, Patient.first_name, Patient.last_name, Patient.mrn, unread)
            .join(Patient, Patient.id == MessageThread.patient_id)
            .where(MessageThread.pool == pool, MessageThread.status == "open")
        ).all()
        names = _names(session, {r.assigned_to for r, *_ in rows if r.assigned_to})
        now = clock.now()
        items = []
        for thread, first, last, mrn, count in rows:
            days, overdue = _waited(thread, now)
            items.append(
                QueueItem(
                    thread.id,
                    f"{first} {last}",
                    mrn,
                    thread.subject,
                    messages.category_name(thread.category),
                    thread.waiting_since,
                    days,
                    overdue,
                    names.get(thread.assigned_to) if thread.assigned_to else None,
                    int(count or 0),
                    thread.updated_at or thread.created_at,
                )
            )
        waiting = sorted(
            (i for i in items if i.waiting_since), key=lambda i: (i.waiting_since, i.thread_id)
        )
        answered = sorted(
            (i for i in items if not i.waiting_since), key=lambda i: i.updated_at, reverse=True
        )
        return waiting + answered


def _names(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    return dict(
        session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).tuples().all()
    )


def _thread(session: Session, actor: Actor, thread_id: uuid.UUID, action: str) -> MessageThread:
    """A thread in one of this staff member's pools (others are "not found"), audited under
    its patient."""
    thread = session.get(MessageThread, thread_id)
    if thread is None or not _works(actor, thread.pool):
        raise NotFound(t("We could not find that conversation in your pools."))
    audit.record(session, actor, action, patient_id=thread.patient_id)
    return thread


def _note(session: Session, actor: Actor, thread: MessageThread, kind: str, body: str) -> None:
    session.add(
        ThreadNote(
            id=uuid.uuid4(),
            thread_id=thread.id,
            author_user_id=actor.user_id,
            kind=kind,
            body=body,
            created_at=messages.next_moment(
                session.scalar(
                    select(func.max(ThreadNote.created_at)).where(ThreadNote.thread_id == thread.id)
                )
            ),
        )
    )


def inbox_thread(*, actor: Actor, thread_id: uuid.UUID) -> StaffThread:
    """One thread for staff: the messages, the internal notes; the patient's messages are
    marked read."""
    with staff_work(actor, "messages.thread", *pools.INBOX_ROLES) as session:
        thread = _thread(session, actor, thread_id, "messages.staff.read")
        session.execute(
            update(Message)
            .where(
                Message.thread_id == thread.id,
                Message.from_patient_side.is_(True),
                Message.read_at.is_(None),
            )
            .values(read_at=clock.now())
        )
        patient = session.get(Patient, thread.patient_id)
        assert patient is not None
        notes = session.scalars(
            select(ThreadNote)
            .where(ThreadNote.thread_id == thread.id)
            .order_by(ThreadNote.created_at, ThreadNote.id)
        ).all()
        names = _names(
            session,
            {n.author_user_id for n in notes if n.author_user_id}
            | ({thread.assigned_to} if thread.assigned_to else set()),
        )
        return StaffThread(
            thread.id,
            thread.patient_id,
            f"{patient.first_name} {patient.last_name}",
            patient.mrn,
            thread.subject,
            pools.CATEGORIES.get(thread.category or "", "Message"),
            thread.pool or "",
            pools.pool_name(thread.pool or "", _team_names(session)),
            thread.status,
            names.get(thread.assigned_to) if thread.assigned_to else None,
            thread.waiting_since,
            messages.messages_of(session, thread.id),
            [
                Note(
                    n.created_at,
                    names.get(n.author_user_id, "") if n.author_user_id else "",
                    n.kind,
                    n.body,
                )
                for n in notes
            ],
            {c: name for c, name in all_pools(session).items() if c != thread.pool},
            _workers(session, thread.pool or ""),
        )


def inbox_attachment(*, actor: Actor, thread_id: uuid.UUID, attachment_id: uuid.UUID) -> bytes:
    with staff_work(actor, "messages.staff.attachment", *pools.INBOX_ROLES) as session:
        thread = _thread(session, actor, thread_id, "messages.staff.attachment.view")
        return messages.attachment_bytes(session, thread.id, attachment_id)


def inbox_claim(*, actor: Actor, thread_id: uuid.UUID) -> None:
    """Take a thread: one staff member at a time."""
    with staff_work(actor, "messages.claim", *pools.INBOX_ROLES) as session:
        thread = _thread(session, actor, thread_id, "messages.staff.claim")
        done = session.execute(
            update(MessageThread)
            .where(MessageThread.id == thread.id, MessageThread.assigned_to.is_(None))
            .values(assigned_to=actor.user_id)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(t("Someone has already taken this conversation."))
        _note(session, actor, thread, "claim", "Took the conversation.")


def _workers(session: Session, pool: str) -> dict[uuid.UUID, str]:
    role = pools.WORKERS[pools.office_of_pool(pool)]
    return dict(
        session.execute(
            select(User.id, User.display_name)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == role, User.status == "active")
            .order_by(User.display_name)
        )
        .tuples()
        .all()
    )


def inbox_assign(*, actor: Actor, thread_id: uuid.UUID, user_id: uuid.UUID) -> None:
    with staff_work(actor, "messages.assign", *pools.INBOX_ROLES) as session:
        thread = _thread(session, actor, thread_id, "messages.staff.assign")
        workers = _workers(session, thread.pool or "")
        if user_id not in workers:
            raise ValidationError({"assignee": t("Choose someone who works this pool.")})
        thread.assigned_to = user_id
        _note(session, actor, thread, "assign", f"Assigned to {workers[user_id]}.")


def signature(actor: Actor, pool: str) -> str:
    """How a staff reply is signed: name and role."""
    office = pools.office_of_pool(pool)
    title = ROLE_TITLES.get(office, ROLE_TITLES[pools.RECORDS_OFFICE])
    return t("{name}, {title}", name=actor.display_name, title=t(title))


def inbox_reply(
    *,
    actor: Actor,
    thread_id: uuid.UUID,
    body: str,
    attachments: Sequence[uploads.Upload] = (),
) -> uuid.UUID:
    """Answer the patient: signed, the wait ends, the patient is told a message is waiting."""
    text = messages.checked_message(body, attachments)
    with uploads.storing_all(uploads.folder(messages.FOLDER), attachments) as stored:
        with staff_work(actor, "messages.staff.reply", *pools.INBOX_ROLES) as session:
            thread = _thread(session, actor, thread_id, "messages.staff.reply")
            if thread.status != "open":
                raise Conflict(t("This conversation is closed; the patient can write again."))
            sent = messages.post(
                session,
                thread,
                actor.user_id,
                False,
                text,
                signature(actor, thread.pool or ""),
                stored,
            )
            thread.waiting_since = None
            thread.assigned_to = thread.assigned_to or actor.user_id
            messages.tell_patient(session, thread)
            return sent


def inbox_note(*, actor: Actor, thread_id: uuid.UUID, body: str) -> None:
    """An internal note: staff only, never shown to the patient."""
    fields: dict[str, str] = {}
    text = forms.checked_note(fields, "note", body, t("Write the note."), messages.MAX_BODY)
    forms.raise_if(fields)
    with staff_work(actor, "messages.note", *pools.INBOX_ROLES) as session:
        _note(
            session, actor, _thread(session, actor, thread_id, "messages.staff.note"), "note", text
        )


def inbox_forward(*, actor: Actor, thread_id: uuid.UUID, pool: str, note: str) -> None:
    """Send a thread to another pool with a note; it leaves the claimer's hands."""
    fields: dict[str, str] = {}
    text = forms.checked_note(fields, "note", note, t("Say why it is forwarded."))
    forms.raise_if(fields)
    with staff_work(actor, "messages.forward", *pools.INBOX_ROLES) as session:
        thread = _thread(session, actor, thread_id, "messages.staff.forward")
        choices = all_pools(session)
        if pool not in choices or pool == thread.pool:
            raise ValidationError({"pool": t("Choose another pool from the list.")})
        before = choices.get(thread.pool or "", "")
        thread.pool, thread.assigned_to = pool, None
        _note(session, actor, thread, "forward", f"From {before} to {choices[pool]}: {text}")


def inbox_close(*, actor: Actor, thread_id: uuid.UUID) -> None:
    """Close a conversation (the patient can write again, which opens it)."""
    with staff_work(actor, "messages.close", *pools.INBOX_ROLES) as session:
        thread = _thread(session, actor, thread_id, "messages.staff.close")
        if thread.status != "open":
            raise Conflict(t("This conversation is already closed."))
        thread.status, thread.closed_at, thread.closed_by = "closed", clock.now(), actor.user_id
        thread.waiting_since = None
        _note(session, actor, thread, "close", "Closed the conversation.")
