"""The one access policy: may this actor do this to this patient's data?

Default deny. A patient reaches their own record; a proxy reaches a patient through a live grant
that covers the scope; staff reach patients only through a role that needs the scope
(clinicians: only their care-team patients). A patient-side actor who lacks access is told
"not found", so guessing ids reveals nothing; staff are told they lack permission.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import Session

from services.core import clock
from services.core.config import number_setting
from services.core.errors import NotFound, PermissionDenied
from services.core.language import N_, t
from services.core.models import (
    CareTeamMember,
    Patient,
    PatientCareTeam,
    Provider,
    ProxyGrant,
    User,
    UserRole,
)

PATIENT, PROXY, CLINICIAN, HIM, BILLING, MANAGER, ADMIN = (
    "patient",
    "proxy",
    "clinician",
    "him",
    "billing",
    "manager",
    "admin",
)
ROLES = (PATIENT, PROXY, CLINICIAN, HIM, BILLING, MANAGER, ADMIN)
SELF = "self"  # the basis of a patient's access to their own record (a proxy's is PROXY)
STAFF_ROLES = (CLINICIAN, HIM, BILLING, MANAGER, ADMIN)
ROLE_WORDS = {
    PATIENT: N_("Patient"),
    PROXY: N_("Proxy"),
    CLINICIAN: N_("Clinician"),
    HIM: N_("Health information staff"),
    BILLING: N_("Billing staff"),
    MANAGER: N_("Manager"),
    ADMIN: N_("Administrator"),
}

# Scopes of a patient's data; a proxy grant lists the ones it covers.
RESULTS, RECORDS, METRICS, APPOINTMENTS, MESSAGES, REFILLS, BILLING_SCOPE, DOCUMENTS = (
    "results",
    "records",
    "metrics",
    "appointments",
    "messages",
    "refills",
    "billing",
    "documents",
)
SCOPES = (RESULTS, RECORDS, METRICS, APPOINTMENTS, MESSAGES, REFILLS, BILLING_SCOPE, DOCUMENTS)
# The patient-side overview (home page): every patient and proxy has it, no staff role does.
SUMMARY = "summary"

# Minimum necessary (HIPAA 164.502(b)): what each staff role's work needs.
STAFF_SCOPES: dict[str, frozenset[str]] = {
    CLINICIAN: frozenset(SCOPES) - {BILLING_SCOPE},
    HIM: frozenset({RECORDS, RESULTS, DOCUMENTS}),
    BILLING: frozenset({BILLING_SCOPE}),
    MANAGER: frozenset(),
    ADMIN: frozenset(),
}

# The bases of a proxy grant: a parent of a minor (ends by itself at adulthood), the patient's
# own consent (an invitation, or a caregiver's request the adult approved), or a legal document
# HIM reviewed (guardianship, power of attorney).
PARENT_OF_MINOR, PATIENT_CONSENT, LEGAL_DOCUMENT = (
    "parent_of_minor",
    "patient_consent",
    "legal_document",
)


def limited_from_age() -> int:
    """Product policy (docs/rules/compliance.md, a setting): from this age a parent's access is
    limited."""
    return int(number_setting("proxy_limited_from_age", 12))


def adult_age() -> int:
    """Product policy (a setting): at this age a parent's access ends by itself."""
    return int(number_setting("proxy_adult_age", 18))


@dataclass(frozen=True)
class Actor:
    """The signed-in user as services see it; `acting_for` is the patient chosen in the app."""

    user_id: uuid.UUID
    username: str
    display_name: str
    roles: frozenset[str]
    patient_id: uuid.UUID | None = None
    acting_for: uuid.UUID | None = None
    language: str = "en"

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & set(STAFF_ROLES))

    @property
    def primary_role(self) -> str:
        return next((r for r in ROLES if r in self.roles), "")

    def acting_as(self, patient_id: uuid.UUID | None) -> Actor:
        return replace(self, acting_for=patient_id)


def actor_for(session: Session, user: User) -> Actor:
    """The immutable actor value for a user row (roles read from the database)."""
    roles = frozenset(session.scalars(select(UserRole.role).where(UserRole.user_id == user.id)))
    return Actor(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        roles=roles,
        patient_id=user.patient_id,
        acting_for=user.patient_id,
        language=user.language or "en",
    )


@dataclass(frozen=True)
class Access:
    """Why access was granted, and what it covers."""

    basis: str  # self, proxy, or a staff role
    scopes: frozenset[str]
    adolescent_limited: bool = False  # parent of a 12-17 year old: no confidential information
    grant_id: uuid.UUID | None = field(default=None, compare=False)

    @property
    def patient_side(self) -> bool:
        """The patient, or someone acting for them (not staff)."""
        return self.basis in (SELF, PROXY)


def age_on(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _live_grants(proxy_user_id: uuid.UUID) -> Select[ProxyGrant, date]:
    now = clock.now()
    return (
        select(ProxyGrant, Patient.birth_date)
        .join(Patient, Patient.id == ProxyGrant.patient_id)
        .where(
            ProxyGrant.proxy_user_id == proxy_user_id,
            ProxyGrant.revoked_at.is_(None),
            or_(ProxyGrant.expires_at.is_(None), ProxyGrant.expires_at > now),
        )
    )


def _grant_access(grant: ProxyGrant, birth: date) -> Access | None:
    age = age_on(birth, clock.today())  # birthdays turn at the clinic's midnight
    if grant.basis == PARENT_OF_MINOR and age >= adult_age():
        return None
    limited = grant.basis == PARENT_OF_MINOR and age >= limited_from_age()
    scopes = frozenset(s for s in grant.scopes.split(",") if s in SCOPES) | {SUMMARY}
    return Access(basis=PROXY, scopes=scopes, adolescent_limited=limited, grant_id=grant.id)


def clinician_patients(provider_user_id: uuid.UUID) -> Select[uuid.UUID]:
    """A subquery of the ids of the patients on this clinician's care teams."""
    return (
        select(PatientCareTeam.patient_id)
        .join(CareTeamMember, CareTeamMember.care_team_id == PatientCareTeam.care_team_id)
        .join(Provider, Provider.id == CareTeamMember.provider_id)
        .where(Provider.user_id == provider_user_id)
    )


def patient_access(session: Session, actor: Actor, patient_id: uuid.UUID) -> Access | None:
    """What the actor may see of this patient, or None."""
    if actor.patient_id == patient_id and PATIENT in actor.roles:
        return Access(basis=SELF, scopes=frozenset(SCOPES) | {SUMMARY})
    if PROXY in actor.roles or PATIENT in actor.roles:
        for grant, birth in session.execute(
            _live_grants(actor.user_id).where(ProxyGrant.patient_id == patient_id)
        ):
            found = _grant_access(grant, birth)
            if found is not None:
                return found
    staff_scopes: set[str] = set()
    basis = ""
    for role in STAFF_ROLES:
        if role not in actor.roles or not STAFF_SCOPES[role]:
            continue
        if role == CLINICIAN:
            on_team = session.scalar(
                select(
                    exists(
                        clinician_patients(actor.user_id).where(
                            PatientCareTeam.patient_id == patient_id
                        )
                    )
                )
            )
            if not on_team:
                continue
        staff_scopes |= STAFF_SCOPES[role]
        basis = basis or role
    if staff_scopes:
        return Access(basis=basis, scopes=frozenset(staff_scopes))
    return None


def authorize_patient(session: Session, actor: Actor, patient_id: uuid.UUID, scope: str) -> Access:
    """Access to one scope of one patient's data, or the refusal that fits the actor."""
    if not isinstance(actor, Actor):
        raise PermissionDenied(t("Please sign in."))
    exists_ = session.scalar(select(exists().where(Patient.id == patient_id)))
    found = patient_access(session, actor, patient_id) if exists_ else None
    if found is not None and scope in found.scopes:
        return found
    if actor.is_staff and exists_:
        raise PermissionDenied(t("You do not have access to this part of this patient's record."))
    raise NotFound(t("We could not find that record."))


def require_basis(found: Access, message: str, *bases: str) -> None:
    """Work that only these kinds of access may do (the patient, a proxy, a clinician on the care
    team); `message` (a catalog message) says who may."""
    if found.basis not in bases:
        raise PermissionDenied(t(message))


def require_patient_side(found: Access, message: str) -> None:
    """Work only the patient (or their proxy) does for themselves; staff have their own."""
    require_basis(found, message, SELF, PROXY)


def require_role(actor: Actor, *roles: str) -> None:
    """Default deny for staff work: the actor must hold one of the roles."""
    if not isinstance(actor, Actor):
        raise PermissionDenied(t("Please sign in."))
    if not actor.roles & set(roles):
        raise PermissionDenied(t("Your role does not include this work."))


def staff_members(session: Session, role: str) -> list[tuple[uuid.UUID, str]]:
    """The active accounts holding a staff role, by name: (user id, display name)."""
    rows = session.execute(
        select(User.id, User.display_name)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == role, User.status == "active")
        .order_by(User.display_name)
    ).all()
    return [(uid, name) for uid, name in rows]


def holds_role(session: Session, user_id: uuid.UUID, role: str) -> bool:
    return user_id in {uid for uid, _ in staff_members(session, role)}


@dataclass(frozen=True)
class PatientChoice:
    patient_id: uuid.UUID
    name: str
    relationship: str  # "self", or the proxy relationship
    scopes: frozenset[str]
    limited: bool = False  # a parent's view of a 12-17 year old: no confidential information


def patient_choices(session: Session, actor: Actor) -> list[PatientChoice]:
    """The patients this actor may act for: their own record first, then live proxy grants."""
    choices: list[PatientChoice] = []
    if actor.patient_id is not None and PATIENT in actor.roles:
        own = session.get(Patient, actor.patient_id)
        if own is not None:
            choices.append(
                PatientChoice(
                    own.id,
                    f"{own.first_name} {own.last_name}",
                    "self",
                    frozenset(SCOPES) | {SUMMARY},
                )
            )
    rows = session.execute(
        _live_grants(actor.user_id)
        .add_columns(Patient.first_name, Patient.last_name)
        .order_by(Patient.last_name, Patient.first_name)
    ).all()
    for grant, birth, first, last in rows:
        found = _grant_access(grant, birth)
        if found is not None:
            choices.append(
                PatientChoice(
                    grant.patient_id,
                    f"{first} {last}",
                    grant.relationship,
                    found.scopes,
                    found.adolescent_limited,
                )
            )
    return choices
