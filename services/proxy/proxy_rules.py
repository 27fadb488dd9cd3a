"""The proxy product policy (docs/rules/compliance.md, "Proxy access"): every limit a setting, and
the words shared by the patient's, the caregiver's and HIM's pages. The ages themselves are the
access policy's (services.core.access)."""

from __future__ import annotations

import calendar
import uuid
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from services.core import access, clock, forms, language, notify
from services.core.config import number_setting
from services.core.language import N_, t
from services.core.models import ProxyGrant, User, UserRole

SCOPE_WORDS = {
    access.RESULTS: N_("Test results"),
    access.RECORDS: N_("Medical record"),
    access.METRICS: N_("Health metrics"),
    access.APPOINTMENTS: N_("Appointments"),
    access.MESSAGES: N_("Messages"),
    access.REFILLS: N_("Prescription refills"),
    access.BILLING_SCOPE: N_("Billing"),
    access.DOCUMENTS: N_("Documents"),
}
DELEGATE_RELATIONSHIPS = {
    "spouse": N_("Spouse or partner"),
    "adult_child": N_("Adult child"),
    "parent": N_("Parent"),
    "sibling": N_("Brother or sister"),
    "friend": N_("Friend"),
    "caregiver": N_("Paid or professional caregiver"),
    "other": N_("Other"),
}
# What a caregiver's request rests on.
MINOR, ADULT_CONSENT, ADULT_LEGAL = "minor", "adult_consent", "adult_legal"
REQUEST_KINDS = {
    MINOR: N_("A child under 18 in my care"),
    ADULT_CONSENT: N_("An adult who can agree to it (they approve in the portal)"),
    ADULT_LEGAL: N_("An adult who cannot consent (guardianship or power of attorney)"),
}
REQUEST_RELATIONSHIPS = {
    MINOR: {"parent": N_("Parent"), "guardian": N_("Legal guardian")},
    ADULT_CONSENT: DELEGATE_RELATIONSHIPS,
    ADULT_LEGAL: {
        "guardian": N_("Court-appointed guardian"),
        "power_of_attorney": N_("Power of attorney"),
        "health_care_poa": N_("Health care power of attorney"),
    },
}


def relationship_words(code: str) -> str:
    """A relationship's name in the current language (its code when it is not one of ours)."""
    for names in (DELEGATE_RELATIONSHIPS, *REQUEST_RELATIONSHIPS.values()):
        if code in names:
            return t(names[code])
    return code


LEGAL_DOCUMENT_TYPES = (
    N_("Birth certificate"),
    N_("Custody or guardianship order"),
    N_("Power of attorney"),
    N_("Health care power of attorney"),
    N_("Photo identification"),
    N_("Other legal document"),
)
DENY_REASONS = {
    "documents_insufficient": N_("The documents do not show the legal right to access this record"),
    "identity_not_verified": N_("We could not verify your identity"),
    "no_matching_record": N_("We could not find the patient's record"),
    "patient_declined": N_("The patient did not agree"),
    "patient_is_adult": N_("The patient is an adult and must agree or be represented legally"),
    "other": N_("Other"),
}
MAX_NOTE = forms.MAX_NOTE


def default_months() -> int:
    return int(number_setting("proxy_default_months", 18))


def max_months() -> int:
    return int(number_setting("proxy_max_months", 18))


def invitation_days() -> float:
    """How long an invitation link works."""
    return number_setting("proxy_invitation_days", 7)


def review_business_days() -> int:
    """HIM's service level for a proxy request."""
    return int(number_setting("proxy_review_business_days", 5))


def notice_days() -> int:
    """How many days before an age change or a grant's end both sides are told."""
    return int(number_setting("proxy_notice_days", 30))


def invite_min_age() -> int:
    """The youngest patient who may invite delegates (18; lower it to let teens invite)."""
    return int(number_setting("proxy_invite_min_age", 18))


def birthday(birth: date, age: int) -> date:
    """The day someone born on `birth` turns `age` (29 February birthdays turn on 1 March)."""
    year = birth.year + age
    if birth.month == 2 and birth.day == 29 and not calendar.isleap(year):
        return date(year, 3, 1)
    return birth.replace(year=year)


def grant_end(fields: dict[str, str], ends_on: date | None, birth: date, basis: str) -> datetime:
    """When a grant ends (the end of its last day in the clinic's time zone): the default when
    none is chosen, refused past the maximum; a parent's grant never outlives the 18th
    birthday."""
    today = clock.today()
    latest = clock.add_months(today, max_months())
    if basis == access.PARENT_OF_MINOR:
        latest = min(latest, birthday(birth, access.adult_age()) - timedelta(days=1))
    chosen = ends_on or min(clock.add_months(today, default_months()), latest)
    if chosen <= today:
        fields["ends_on"] = t("Choose an end date after today.")
    elif chosen > latest:
        fields["ends_on"] = t("Choose an end date on or before {last}.", last=language.day(latest))
    return clock.day_start(chosen + timedelta(days=1))


def checked_scopes(fields: dict[str, str], scopes: set[str] | frozenset[str]) -> str:
    """The stored form of the chosen scopes, or a message in `fields`."""
    chosen = [s for s in access.SCOPES if s in scopes]
    if not chosen:
        fields["scopes"] = t("Choose at least one part of the record to share.")
    elif set(scopes) - set(access.SCOPES):
        fields["scopes"] = t("Choose from the listed parts of the record.")
    return ",".join(chosen)


def new_grant(
    session: Session,
    *,
    patient_id: uuid.UUID,
    proxy_user_id: uuid.UUID,
    relationship: str,
    scopes: str,
    basis: str,
    ends_at: datetime | None,
) -> ProxyGrant:
    """A live grant (and the proxy role for its holder); one that person already held for this
    patient ends in its favour."""
    now = clock.now()
    for old in session.scalars(
        select(ProxyGrant).where(
            ProxyGrant.patient_id == patient_id,
            ProxyGrant.proxy_user_id == proxy_user_id,
            ProxyGrant.revoked_at.is_(None),
        )
    ):
        old.revoked_at = now
    if session.get(UserRole, (proxy_user_id, access.PROXY)) is None:
        session.add(UserRole(user_id=proxy_user_id, role=access.PROXY))
    grant = ProxyGrant(
        patient_id=patient_id,
        proxy_user_id=proxy_user_id,
        relationship=relationship,
        scopes=scopes,
        basis=basis,
        granted_at=now,
        expires_at=ends_at,
    )
    session.add(grant)
    session.flush()
    return grant


SIGN_IN_FOR_MORE = N_("Sign in to the patient portal for details.")


def tell(
    session: Session,
    subject: str,
    body: str,
    *,
    users: tuple[uuid.UUID | None, ...] = (),
    patient_id: uuid.UUID | None = None,
    **places: notify.Place,
) -> None:
    """Email people about proxy access (the users given, and the patient's own account), always:
    who may see a record is a security matter. Never clinical detail. `subject` and `body` are
    catalog messages (`N_`), written in each recipient's language with `places` filled in."""
    wanted = select(User).where(User.status == "active", User.email.is_not(None))
    chosen = [u for u in users if u is not None]
    if patient_id is not None:
        wanted = wanted.where(or_(User.id.in_(chosen), User.patient_id == patient_id))
    else:
        wanted = wanted.where(User.id.in_(chosen))
    for user in session.scalars(wanted):
        notify.email_to(session, user, "proxy", subject, body, places, ending=SIGN_IN_FOR_MORE)
