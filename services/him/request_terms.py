"""The words and settings of records requests: kinds, statuses, forms of delivery, fees
(docs/rules/compliance.md and the clinic's published instructions in seeds/004), and the grounds on
which access may be denied (45 CFR 164.524(a)(2) unreviewable, (a)(3) reviewable)."""

from __future__ import annotations

from dataclasses import dataclass

from services.core.config import cents_setting, number_setting
from services.core.language import N_

ACCESS, ROI, AMENDMENT, ACCOUNTING, UPDATE = "access", "roi", "amendment", "accounting", "update"
KINDS = {
    ACCESS: N_("Copy of my records"),
    ROI: N_("Release to a third party"),
    AMENDMENT: N_("Amendment"),
    ACCOUNTING: N_("Accounting of disclosures"),
    UPDATE: N_("Record update"),
}

RECEIVED, IN_REVIEW, IN_PROGRESS = "received", "in_review", "in_progress"
FULFILLED, DENIED, WITHDRAWN = "fulfilled", "denied", "withdrawn"
OPEN = (RECEIVED, IN_REVIEW, IN_PROGRESS)
STATUSES = {
    RECEIVED: N_("Received"),
    IN_REVIEW: N_("In review"),
    IN_PROGRESS: N_("In progress"),
    FULFILLED: N_("Fulfilled"),
    DENIED: N_("Denied"),
    WITHDRAWN: N_("Withdrawn"),
}

# A copy for the patient: in the portal (PDF and FHIR), or mailed; a release goes by link when
# the recipient's address is an email, else by mail.
PORTAL, CD_MAIL, PAPER, COURIER, LINK, MAIL = (
    "portal",
    "cd_mail",
    "paper",
    "courier",
    "link",
    "mail",
)
COPY_FORMS = {
    PORTAL: N_("Download in the portal (PDF and FHIR)"),
    CD_MAIL: N_("Encrypted CD by U.S. mail"),
    PAPER: N_("Paper copy by mail"),
    COURIER: N_("Encrypted CD by courier (two business days)"),
}
DELIVERED = {PORTAL: N_("In the portal"), LINK: N_("By secure link"), MAIL: N_("Mailed")}
# The longest date range a request may name, and how far back records go.
EARLIEST_YEAR = 1900


@dataclass(frozen=True)
class Ground:
    words: str
    reviewable: bool  # the patient may have the denial reviewed by another professional


DENIAL_GROUNDS = {
    "psychotherapy_notes": Ground(N_("The request is for psychotherapy notes."), False),
    "legal_proceeding": Ground(
        N_("The information was compiled for a civil, criminal or administrative proceeding."),
        False,
    ),
    "confidential_source": Ground(
        N_(
            "The information was obtained from someone other than a health care "
            "provider under a promise of confidentiality, and access would reveal "
            "the source."
        ),
        False,
    ),
    "not_held": Ground(N_("We do not hold the records asked for."), False),
    "authorization_ended": Ground(
        N_("The authorization ended before the records could be released."), False
    ),
    "endanger_life": Ground(
        N_(
            "A licensed health care professional determined that access is "
            "reasonably likely to endanger the life or physical safety of the "
            "patient or another person."
        ),
        True,
    ),
    "harm_to_other": Ground(
        N_(
            "The records refer to another person, and a licensed health care "
            "professional determined that access is reasonably likely to cause that "
            "person substantial harm."
        ),
        True,
    ),
    "representative_harm": Ground(
        N_(
            "The request is made by a personal representative, and a licensed "
            "health care professional determined that access by them is reasonably "
            "likely to cause substantial harm to the patient or another person."
        ),
        True,
    ),
}


def fee_cents(kind: str, delivery: str | None, earlier_accountings: int = 0) -> int:
    """The fee shown on a request: a patient's own copy is free (the clinic's policy, and
    always for an electronic copy); a courier costs its flat fee; a release to a third party
    and a second accounting within 12 months cost what the settings say."""
    if kind == ACCESS:
        return cents_setting("records_courier_fee", "45.00") if delivery == COURIER else 0
    if kind == ROI:
        return cents_setting("records_release_fee", "0.00")
    if kind == ACCOUNTING and earlier_accountings:
        return cents_setting("accounting_repeat_fee", "10.00")
    return 0


def link_days() -> int:
    """How long a records package's link works for its recipient."""
    return int(number_setting("release_link_days", 14))


def due_soon_days() -> int:
    """The queue flags a request due within this many days."""
    return int(number_setting("records_due_soon_days", 7))
