"""The age and end-date rules, applied by the clock (a scheduled job).

The access policy already narrows a parent's access at 12 and ends it at 18, and ends an adult's
grant at its end date, on the clinic's calendar, with no job needed. This job tells people: the
proxy and the patient (when they have an account), `notice_days` before each change and on the
day, each notice once (proxy_notices remembers it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from services.core import access, audit, clock, db, language, notify
from services.core.language import N_, t
from services.core.models import Patient, ProxyGrant
from services.proxy import proxy_rules
from services.proxy.tables import ProxyNotice


@dataclass(frozen=True)
class Change:
    """One change a grant goes through, and the notices about it."""

    kind: str  # limited, adult, ends
    on: date


WORDS = {
    "limited": (
        N_("a parent's access changes at 12"),
        N_(
            "At 12, a parent's access to a child's record becomes limited: confidential teen "
            "information (such as reproductive or mental health) is no longer shown to the "
            "parent. This applies {when} to a record you share in the patient portal."
        ),
    ),
    "adult": (
        N_("a parent's access ends at 18"),
        N_(
            "At 18, a parent's access to their child's record ends. The patient can invite the "
            "parent again from their own account. This applies {when} to a record you share in "
            "the patient portal."
        ),
    ),
    "ends": (
        N_("proxy access is ending"),
        N_(
            "A proxy's access to a patient's record reaches its end date. The patient can renew "
            "it under 'Proxy access' before then. This applies {when} to a record you share in "
            "the patient portal."
        ),
    ),
}


def changes(grant: ProxyGrant, birth: date) -> list[Change]:
    """The dated changes ahead of or behind a grant (its own end, or a minor's birthdays)."""
    if grant.basis == access.PARENT_OF_MINOR:
        found = [
            Change("limited", proxy_rules.birthday(birth, access.limited_from_age())),
            Change("adult", proxy_rules.birthday(birth, access.adult_age())),
        ]
    else:
        found = []
    if grant.expires_at is not None:
        ends = clock.local(grant.expires_at).date()
        if not found or ends < found[-1].on:  # a parent's grant ending at 18 is told once
            found.append(Change("ends", ends))
    return found


def due_notices(change: Change, today: date) -> list[str]:
    """The notice kinds due today for one change: `notice_days` before it, and on the day
    (a late run still sends a missed notice, up to the change itself)."""
    due = []
    if change.on - timedelta(days=proxy_rules.notice_days()) <= today < change.on:
        due.append(f"{change.kind}_soon")
    if change.on <= today < change.on + timedelta(days=proxy_rules.notice_days()):
        due.append(f"{change.kind}_today")
    return due


def _send(session: Session, grant: ProxyGrant, change: Change, kind: str) -> None:
    subject, body = WORDS[change.kind]
    today = kind.endswith("_today")
    proxy_rules.tell(
        session,
        subject,
        body,
        users=(grant.proxy_user_id,),
        patient_id=grant.patient_id,
        when=lambda: t("today") if today else t("on {day}", day=language.day(change.on)),
    )
    session.add(ProxyNotice(grant_id=grant.id, kind=kind, change_on=change.on, sent_at=clock.now()))
    audit.record(session, None, "proxy.notice", patient_id=grant.patient_id, detail=kind)


def send_proxy_notices() -> int:
    """Notices due today for live grants; returns how many were sent (0 on a second run)."""
    today = clock.today()
    window = timedelta(days=proxy_rules.notice_days() + 2)  # 29 February birthdays move a day
    birthdays = [
        Patient.birth_date.between(born - window, born + window)
        for born in (
            clock.add_months(today, -12 * age)
            for age in (access.limited_from_age(), access.adult_age())
        )
    ]
    sent = 0
    with db.transaction() as session:
        rows = session.execute(
            select(ProxyGrant, Patient.birth_date)
            .join(Patient, Patient.id == ProxyGrant.patient_id)
            .where(
                ProxyGrant.revoked_at.is_(None),
                or_(
                    and_(ProxyGrant.basis == access.PARENT_OF_MINOR, or_(*birthdays)),
                    ProxyGrant.expires_at.between(
                        clock.day_start(today - window), clock.day_start(today + window)
                    ),
                ),
            )
        ).all()
        already = {
            (g, k)
            for g, k in session.execute(
                select(ProxyNotice.grant_id, ProxyNotice.kind).where(
                    ProxyNotice.grant_id.in_([grant.id for grant, _ in rows])
                )
            )
        }
        for grant, birth in rows:
            for change in changes(grant, birth):
                for kind in due_notices(change, today):
                    if (grant.id, kind) not in already:
                        _send(session, grant, change, kind)
                        already.add((grant.id, kind))
                        sent += 1
    notify.flush()
    return sent
