"""HIM's legal clocks (docs/rules/compliance.md, HIPAA Privacy Rule): how long each kind of request
may take and the one extension it may have, counted in calendar days from the receipt on the
clinic's calendar. A request is due by the end of its last day (the next local midnight, stored in
UTC), so a receipt late in the evening or across a daylight-saving change gets its whole last
day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.core import clock
from services.core.errors import Conflict, ValidationError
from services.core.language import t


@dataclass(frozen=True)
class Clock:
    days: int  # to act, from receipt
    extension_days: int  # the most one extension may add (0: none)


# 164.524 access (and releases under an authorization, handled the same way), 164.526
# amendment, 164.528 accounting of disclosures; record updates follow the clinic's 30 days.
CLOCKS = {
    "access": Clock(30, 30),
    "roi": Clock(30, 30),
    "amendment": Clock(60, 30),
    "accounting": Clock(60, 30),
    "update": Clock(30, 0),
}


def due_at(kind: str, received_at: datetime) -> datetime:
    """The end of the last day to act on a request of this kind received then."""
    last_day = clock.local(received_at).date() + timedelta(days=CLOCKS[kind].days)
    return clock.day_start(last_day + timedelta(days=1))


def extended_due_at(
    kind: str, due: datetime, new_last_day: datetime, already_extended: bool, reason: str
) -> datetime:
    """The due time after the one extension the rule allows: a new last day no more than the
    extension past the current one, with a written reason; a second extension is refused."""
    if already_extended:
        raise Conflict(t("This request was already extended once; the rule allows one extension."))
    allowed = CLOCKS[kind].extension_days
    if not allowed:
        raise Conflict(t("This kind of request cannot be extended."))
    fields = {}
    current_last = clock.local(due).date() - timedelta(days=1)
    wanted = clock.local(new_last_day).date()
    if wanted <= current_last:
        fields["new_date"] = t("Choose a date after the current due date.")
    elif wanted > current_last + timedelta(days=allowed):
        fields["new_date"] = t("An extension adds at most {allowed} days.", allowed=allowed)
    if not reason.strip():
        fields["reason"] = t("Write the reason for the delay; the patient is told it.")
    if fields:
        raise ValidationError(fields)
    return clock.day_start(wanted + timedelta(days=1))
