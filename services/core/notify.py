"""One notification service: an outbox table and pluggable senders (SMTP for email, an HTTP
gateway for text messages).

Services queue a message in their own transaction (`enqueue`), so nothing is sent for work that
rolled back; `deliver` then hands queued messages to the configured senders and records each
outcome. With no sender configured for a channel, messages stay queued, and in the demo an
admin reads them on the Demo inbox page. Bodies are stored encrypted: they may carry a code.
"""

from __future__ import annotations

import json
import logging
import smtplib
import urllib.request
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Protocol

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from services.core import access, clock, crypto, db, language
from services.core.access import Actor
from services.core.config import SmsSettings, SmtpSettings, settings
from services.core.errors import PermissionDenied
from services.core.language import N_, t
from services.core.models import NotificationOutbox, NotificationPreference, User
from services.core.work import staff_work

log = logging.getLogger(__name__)

EMAIL, SMS = "email", "sms"
Place = object  # a value for a message's {place}, or a function giving it in a language
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Outgoing:
    message_id: uuid.UUID
    channel: str
    to: str
    subject: str
    body: str


class Sender(Protocol):
    def send(self, message: Outgoing) -> None: ...


class SmtpSender:
    """Email through an SMTP server (host, port, credentials from configuration)."""

    def __init__(self, config: SmtpSettings) -> None:
        self.config = config

    def send(self, message: Outgoing) -> None:
        email = EmailMessage()
        email["From"] = self.config.sender
        email["To"] = message.to
        email["Subject"] = message.subject
        email.set_content(message.body)
        with smtplib.SMTP(self.config.host, self.config.port, timeout=10) as smtp:
            if self.config.starttls:
                smtp.starttls()
            if self.config.username:
                smtp.login(self.config.username, self.config.password or "")
            smtp.send_message(email)


class HttpSmsSender:
    """Text messages through an SMS gateway's HTTP endpoint (URL and token from configuration).

    One JSON POST per message, `{"to": ..., "body": ..., "id": ...}`; any 2xx answer is delivery.
    Providers with another request shape sit behind a small bridge that accepts this one.
    """

    def __init__(self, config: SmsSettings) -> None:
        self.config = config

    def send(self, message: Outgoing) -> None:
        payload = {"to": message.to, "body": message.body, "id": str(message.message_id)}
        request = urllib.request.Request(
            self.config.url,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        if self.config.token:
            request.add_header("Authorization", f"Bearer {self.config.token}")
        # urlopen raises HTTPError (an OSError) for any answer outside 2xx/3xx.
        with urllib.request.urlopen(request, timeout=10):  # noqa: S310 (scheme checked in config)
            pass


def configured_senders() -> dict[str, Sender]:
    cfg = settings()
    senders: dict[str, Sender] = {}
    if cfg.smtp is not None:
        senders[EMAIL] = SmtpSender(cfg.smtp)
    if cfg.sms is not None:
        senders[SMS] = HttpSmsSender(cfg.sms)
    return senders


def enqueue(
    session: Session,
    user_id: uuid.UUID,
    channel: str,
    kind: str,
    subject: str,
    body: str,
    to_address: str | None = None,
) -> None:
    """Queue one message in the caller's transaction; to the user's address at delivery time,
    or to `to_address` (an address being verified, or the old one told of a change)."""
    session.add(
        NotificationOutbox(
            user_id=user_id,
            channel=channel,
            kind=kind,
            subject=subject,
            body=crypto.encrypt(body.encode()).decode(),
            created_at=clock.now(),
            attempts=0,
            to_address=to_address,
        )
    )


SECURITY = "security"
CLINIC_SUBJECT = N_("{clinic}: {about}")  # every email's subject line


def security_notice(
    session: Session, user: User, subject: str, body: str, to_address: str | None = None
) -> None:
    """A security message: always by email, whatever the person chose for other kinds (callers
    write it in the recipient's language: `language.using(user.language)`)."""
    if to_address or user.email:
        enqueue(
            session,
            user.id,
            EMAIL,
            SECURITY,
            t(CLINIC_SUBJECT, clinic=settings().clinic_name, about=subject),
            body + "\n" + t("If this was not you, call the clinic's help desk."),
            to_address,
        )


def to_patient(
    session: Session, patient_id: uuid.UUID, kind: str, subject: str, body: str, **places: Place
) -> None:
    """Queue a notice for the patient's own account by the channels they chose for this kind
    (email when they chose nothing; a text only with a mobile number on file)."""
    to_patients(session, [patient_id], kind, subject, body, **places)


def to_patients(
    session: Session,
    patient_ids: Sequence[uuid.UUID] | Select[uuid.UUID],
    kind: str,
    subject: str,
    body: str,
    **places: Place,
) -> int:
    """The same notice to many patients' accounts (a list of ids, or a query of them), each by
    the channels its owner chose for this kind, in two queries; returns how many were queued.
    `subject` and `body` are catalog messages (`N_`), written in each owner's language with
    the places filled in (a place may be a function, called in that language: a date, money)."""
    rows = session.execute(
        select(User, NotificationPreference)
        .outerjoin(
            NotificationPreference,
            (NotificationPreference.user_id == User.id) & (NotificationPreference.kind == kind),
        )
        .where(User.patient_id.in_(patient_ids), User.status == "active")
    ).all()
    queued = 0
    for user, choice in rows:
        channels = (
            [EMAIL]
            if choice is None
            else [c for c, on in ((EMAIL, choice.email), (SMS, choice.sms)) if on]
        )
        with language.using(user.language):
            filled = fill(places)
            words = (t(subject, **filled), t(body, **filled))
        for channel in channels:
            if _address(user, channel):
                enqueue(session, user.id, channel, kind, *words)
                queued += 1
    return queued


def email_to(
    session: Session,
    user: User,
    kind: str,
    subject: str,
    body: str,
    places: Mapping[str, Place],
    ending: str = "",
) -> None:
    """One email to one person in their language: the clinic's subject line, the body with its
    places filled in, and an ending line (`subject`, `body`, `ending`: catalog messages)."""
    with language.using(user.language):
        text = t(body, **fill(places)) + ("\n" + t(ending) if ending else "")
        about = t(CLINIC_SUBJECT, clinic=settings().clinic_name, about=t(subject))
        enqueue(session, user.id, EMAIL, kind, about, text)


def fill(places: Mapping[str, Place]) -> dict[str, object]:
    """A message's places in the current language (a function place is called now)."""
    return {k: v() if callable(v) else v for k, v in places.items()}


def _address(user: User, channel: str, fixed: str | None = None) -> str | None:
    return fixed or (user.email if channel == EMAIL else user.phone)


@dataclass(frozen=True)
class Delivery:
    sent: int
    failed: int
    waiting: int


def deliver(senders: Mapping[str, Sender] | None = None, limit: int = 200) -> Delivery:
    """Hand queued messages to their channel's sender; failures are retried up to 5 times."""
    senders = configured_senders() if senders is None else senders
    sent = failed = waiting = 0
    with db.transaction() as session:
        rows = session.execute(
            select(NotificationOutbox, User)
            .join(User, User.id == NotificationOutbox.user_id)
            .where(NotificationOutbox.sent_at.is_(None), NotificationOutbox.attempts < MAX_ATTEMPTS)
            .order_by(NotificationOutbox.created_at)
            .limit(limit)
        ).all()
        for row, user in rows:
            sender = senders.get(row.channel)
            to = _address(user, row.channel, row.to_address)
            if sender is None or not to:
                waiting += 1
                continue
            message = Outgoing(
                row.id, row.channel, to, row.subject, crypto.decrypt(row.body.encode()).decode()
            )
            try:
                sender.send(message)
            except (OSError, smtplib.SMTPException) as exc:
                row.attempts += 1
                row.last_error = f"{type(exc).__name__}: {exc}"[:200]
                log.warning("notification %s not sent: %s", row.id, type(exc).__name__)
                failed += 1
            else:
                row.attempts += 1
                row.sent_at = clock.now()
                sent += 1
    return Delivery(sent, failed, waiting)


def flush() -> None:
    """Best-effort delivery right after a service queued something; never fails the caller."""
    try:
        deliver()
    except Exception:  # delivery problems are recorded per message; the user's action stands
        log.exception("notification delivery failed")


@dataclass(frozen=True)
class InboxItem:
    created_at: datetime
    to: str
    channel: str
    kind: str
    subject: str
    body: str
    sent_at: datetime | None


def demo_inbox(*, actor: Actor, limit: int = 50) -> list[InboxItem]:
    """Admins, in the demo only: what would have been sent, newest first."""
    with staff_work(actor, "notify.demo_inbox.view", access.ADMIN) as session:
        if settings().environment == "production":
            raise PermissionDenied(t("The demo inbox exists only in the demo."))
        rows = session.execute(
            select(NotificationOutbox, User)
            .join(User, User.id == NotificationOutbox.user_id)
            .order_by(NotificationOutbox.created_at.desc())
            .limit(limit)
        ).all()
        return [
            InboxItem(
                row.created_at,
                _address(user, row.channel, row.to_address)
                or f"({user.username}: no {row.channel} address)",
                row.channel,
                row.kind,
                row.subject,
                crypto.decrypt(row.body.encode()).decode(),
                row.sent_at,
            )
            for row, user in rows
        ]
