"""Scheduling policy: the visit types (which a patient may book, which are "request only", which
are video, which questionnaires each asks for) and the settings the clinic may change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from services.core.config import number_setting, text_setting
from services.core.language import N_, t

OFFICE, VIDEO = "office", "video"  # the two kinds of slot: in the clinic, or on video


@dataclass(frozen=True)
class VisitType:
    code: str
    name: str
    slot_kind: str  # office or video: the slots it can take
    self_schedule: bool  # the patient books it; otherwise "request only" (a staff queue)
    questionnaires: tuple[str, ...]  # asked at e-check-in (services.care.questionnaires)
    instructions: str


VISIT_TYPES = {
    v.code: v
    for v in (
        VisitType(
            "office",
            N_("Office visit"),
            OFFICE,
            True,
            (),
            N_("Arrive 15 minutes early with your insurance card and your medicines or a list."),
        ),
        VisitType(
            "video",
            N_("Video visit"),
            VIDEO,
            True,
            (),
            N_(
                "Join from a quiet, private place with a camera; the button appears 15 "
                "minutes before."
            ),
        ),
        VisitType(
            "annual",
            N_("Annual wellness visit"),
            OFFICE,
            True,
            ("phq9", "gad7"),
            N_("Arrive 15 minutes early. Fasting is not needed unless your care team asked."),
        ),
        VisitType(
            "behavioral",
            N_("Mental health follow-up"),
            VIDEO,
            True,
            ("phq9", "gad7"),
            N_("Join from a private place where you can talk freely."),
        ),
        VisitType(
            "new_patient",
            N_("New patient visit"),
            OFFICE,
            False,
            ("phq9", "gad7"),
            N_(
                "Bring a photo ID, your insurance card, and records from your last clinic if "
                "you have them."
            ),
        ),
        VisitType(
            "procedure",
            N_("Minor procedure"),
            OFFICE,
            False,
            (),
            N_("The clinic calls you before the visit with any preparation."),
        ),
    )
}


def late_cancel_hours() -> float:
    """Within this many hours of the visit a patient cannot cancel online (they call)."""
    return number_setting("late_cancel_hours", 24)


def offer_minutes() -> float:
    """How long a waitlist offer of an earlier slot stays open."""
    return number_setting("waitlist_offer_minutes", 120)


def reminder_days() -> tuple[int, ...]:
    """Days before a visit that reminders go, e.g. "3,1"."""
    raw = text_setting("reminder_days", "3,1")
    return tuple(sorted({int(d) for d in raw.split(",") if d.strip().isdigit()}, reverse=True))


def type_name(code: str) -> str:
    """A visit type's name for people, also for kinds seeded or kept before the list."""
    kind = VISIT_TYPES.get(code)
    return t(kind.name) if kind else code.replace("_", " ").capitalize()


def checkin_days() -> float:
    """E-check-in opens this many days before the visit."""
    return number_setting("checkin_days", 7)


JOIN_EARLY = timedelta(minutes=15)  # a video visit's join button appears this long before
SEARCH_DAYS_MAX = 90  # the furthest a patient may look for open slots
# A waitlist offer's life: open until taken, declined, expired, or withdrawn when the visit it
# would move is cancelled.
OFFER_OPEN, OFFER_ACCEPTED, OFFER_EXPIRED = "open", "accepted", "expired"
OFFER_DECLINED, OFFER_WITHDRAWN = "declined", "withdrawn"
