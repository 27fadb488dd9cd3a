"""Test results and their lawful release to the patient (information blocking, 45 CFR 171:
docs/rules/compliance.md).

A final result is the patient's at once. A clinician on the care team may hold one result only
with a reason that fits an exception (preventing harm, 171.201; the patient's request, 171.202),
a note and an end; at the end it is the patient's by itself: `released_to_patient` is the one
rule every patient-facing query uses, and it needs no job to have run. Patients may ask for
results in sensitive categories to wait for their clinician (the privacy exception); the rule
holds those at the moment they become final. Releasing notifies the patient.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from services.core import access, clock, db, notify
from services.core.access import Access, Actor, clinician_patients
from services.core.config import number_setting
from services.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from services.core.language import N_, number, t
from services.core.models import Patient, Provider
from services.core.work import patient_work, staff_work
from services.records import outside
from services.records.tables import (
    LabComponent,
    LabResult,
    ResultDelayPreference,
    ResultHoldDecision,
)

PREVENTING_HARM, PATIENT_REQUEST = "preventing_harm", "patient_request"
HOLD_REASONS = {
    PREVENTING_HARM: N_(
        "Preventing harm: a licensed clinician's decision for this patient (171.201)"
    ),
    PATIENT_REQUEST: N_("The patient asked to hear from their clinician first (171.202)"),
}
DELAYABLE = ("sensitive",)  # categories a patient may ask to wait for their clinician
MAX_NOTE = 1000
QUEUE_LIMIT = 500  # rows a clinician's queue shows at once
NEW_FOR_DAYS = 30


def max_hold_days() -> float:
    """Product policy (a setting): the longest a hold may last before it ends by itself."""
    return number_setting("max_hold_days", 30)


def released_to_patient(now: datetime) -> ColumnElement[bool]:
    """The one rule for a result the patient may see: released by hand or on becoming final,
    or held and past the hold's end (which releases it even before any job has run)."""
    return or_(
        and_(LabResult.released_at.is_not(None), LabResult.released_at <= now),
        and_(
            LabResult.status == "final",
            LabResult.held_at.is_not(None),
            LabResult.hold_until.is_not(None),
            LabResult.hold_until <= now,
        ),
    )


# Results a parent with limited access (a 12-17 year old's) never sees: reproductive health,
# sexually transmitted infections, pregnancy, mental health and substance use tests.
CONFIDENTIAL_CATEGORIES = ("sensitive",)


def visible_to(found: Access, now: datetime) -> ColumnElement[bool]:
    """What the patient side may see of the results: released ones, less confidential
    adolescent results when a parent's access is limited."""
    if found.adolescent_limited:
        return and_(released_to_patient(now), LabResult.category.not_in(CONFIDENTIAL_CATEGORIES))
    return released_to_patient(now)


def held(now: datetime) -> ColumnElement[bool]:
    """A final result under a live hold."""
    return and_(
        LabResult.status == "final",
        LabResult.released_at.is_(None),
        LabResult.held_at.is_not(None),
        LabResult.hold_until > now,
    )


# --- what patients see ------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultSummary:
    result_id: uuid.UUID
    panel_code: str
    panel_name: str
    category: str
    collected_at: datetime
    available_at: datetime
    abnormal: bool
    new: bool  # not opened yet


@dataclass(frozen=True)
class Component:
    loinc: str
    name: str
    value: float | None
    value_text: str | None
    unit: str | None
    ref_low: float | None
    ref_high: float | None
    flag: str | None  # L, H, LL, HH


@dataclass(frozen=True)
class ResultDetail:
    summary: ResultSummary
    ordering_provider: str
    components: list[Component]
    clinician_comment: str | None


FLAG_WORDS = {
    "L": N_("Low"),
    "H": N_("High"),
    "LL": N_("Critically low"),
    "HH": N_("Critically high"),
}


def _available_at() -> ColumnElement[datetime]:
    return func.coalesce(LabResult.released_at, LabResult.hold_until)


def _abnormal() -> ColumnElement[bool]:
    return (
        select(LabComponent.id)
        .where(LabComponent.result_id == LabResult.id, LabComponent.flag.is_not(None))
        .exists()
    )


def _summaries(session: Session, *where: ColumnElement[bool]) -> list[ResultSummary]:
    rows = session.execute(
        select(
            LabResult.id,
            LabResult.panel_code,
            LabResult.panel_name,
            LabResult.category,
            LabResult.collected_at,
            _available_at(),
            _abnormal(),
            LabResult.first_viewed_at.is_(None),
        )
        .where(*where)
        .order_by(LabResult.collected_at.desc())
    ).all()
    return [ResultSummary(*row) for row in rows]


def results_list(
    *,
    actor: Actor,
    patient_id: uuid.UUID,
    panel_code: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[ResultSummary]:
    """The patient's released results, newest first, filtered by test and collection date."""
    if since is not None and until is not None and until < since:
        raise ValidationError({"until": t("The end date must not be before the start date.")})
    with patient_work(actor, patient_id, "results.list", access.RESULTS) as (session, found):
        where = [LabResult.patient_id == patient_id, visible_to(found, clock.now())]
        if panel_code:
            where.append(LabResult.panel_code == panel_code)
        if since is not None:
            where.append(LabResult.collected_at >= since)
        if until is not None:
            where.append(LabResult.collected_at < until)
        return _summaries(session, *where)


def result_detail(*, actor: Actor, patient_id: uuid.UUID, result_id: uuid.UUID) -> ResultDetail:
    """One released result with its components; the patient side opening it is recorded."""
    with patient_work(actor, patient_id, "results.view", access.RESULTS) as (session, found):
        now = clock.now()
        visible = [LabResult.id == result_id, LabResult.patient_id == patient_id]
        if found.patient_side:
            visible.append(visible_to(found, now))
        summaries = _summaries(session, *visible)
        if not summaries:
            raise NotFound(t("We could not find that result."))
        result = session.get(LabResult, result_id)
        assert result is not None
        if found.patient_side and result.first_viewed_at is None:
            # The release-to-view figures count from here.
            session.execute(
                update(LabResult).where(LabResult.id == result_id).values(first_viewed_at=now)
            )
        provider = session.get(Provider, result.ordering_provider_id)
        components = [
            Component(c.loinc, c.name, c.value, c.value_text, c.unit, c.ref_low, c.ref_high, c.flag)
            for c in session.scalars(
                select(LabComponent)
                .where(LabComponent.result_id == result_id)
                .order_by(LabComponent.name)
            )
        ]
        return ResultDetail(
            summaries[0],
            f"{provider.name}, {provider.credentials}" if provider else "",
            components,
            result.clinician_comment,
        )


def result_trend(*, actor: Actor, patient_id: uuid.UUID, loinc: str) -> pd.DataFrame:
    """One test's values over time (released results only), with its reference range, and the
    values other providers sent (`source` names them; empty for this clinic's own)."""
    with patient_work(actor, patient_id, "results.trend", access.RESULTS) as (session, found):
        rows = session.execute(
            select(
                LabResult.collected_at,
                LabComponent.value,
                LabComponent.unit,
                LabComponent.ref_low,
                LabComponent.ref_high,
                LabComponent.flag,
            )
            .join(LabResult, LabResult.id == LabComponent.result_id)
            .where(
                LabResult.patient_id == patient_id,
                LabComponent.loinc == loinc,
                LabComponent.value.is_not(None),
                visible_to(found, clock.now()),
            )
        ).all()
        elsewhere = outside.outside_results(session, found, patient_id, loinc)
    frame = pd.DataFrame(
        [(*r, "") for r in rows]
        + [(at, v, u, lo, hi, None, src) for at, v, u, lo, hi, src in elsewhere],
        columns=["collected_at", "value", "unit", "ref_low", "ref_high", "flag", "source"],
    )
    return frame.sort_values("collected_at", kind="stable", ignore_index=True)


# --- the release preference (privacy exception) ----------------------------------------------


def delay_preferences(*, actor: Actor, patient_id: uuid.UUID) -> set[str]:
    with patient_work(actor, patient_id, "results.delay_preferences.view", access.RESULTS) as (
        session,
        _,
    ):
        return set(
            session.scalars(
                select(ResultDelayPreference.category).where(
                    ResultDelayPreference.patient_id == patient_id
                )
            )
        )


def delay_preferences_update(*, actor: Actor, patient_id: uuid.UUID, categories: set[str]) -> None:
    """The patient's own choice: results in these categories wait for their clinician."""
    unknown = set(categories) - set(DELAYABLE)
    if unknown:
        raise ValidationError({"categories": t("Only sensitive results can be set to wait.")})
    with patient_work(actor, patient_id, "results.delay_preferences.update", access.RESULTS) as (
        session,
        found,
    ):
        access.require_basis(found, N_("Only the patient can change this choice."), access.SELF)
        session.execute(
            delete(ResultDelayPreference).where(ResultDelayPreference.patient_id == patient_id)
        )
        for category in sorted(categories):
            session.add(ResultDelayPreference(patient_id=patient_id, category=category))


# --- what clinicians do -------------------------------------------------------------------------


@dataclass(frozen=True)
class HeldItem:
    result_id: uuid.UUID
    patient_id: uuid.UUID
    patient_name: str
    mrn: str
    panel_name: str
    held_at: datetime
    hold_until: datetime
    hold_reason: str
    hold_note: str | None
    abnormal: bool


def _queue(
    session: Session, actor: Actor, condition: ColumnElement[bool], *columns: Any
) -> list[Any]:
    """Care-team patients' results matching a condition: result, patient, name, MRN, test,
    then the given columns and whether any value is out of range."""
    return list(
        session.execute(
            select(
                LabResult.id,
                Patient.id,
                Patient.first_name + " " + Patient.last_name,
                Patient.mrn,
                LabResult.panel_name,
                *columns,
                _abnormal(),
            )
            .join(Patient, Patient.id == LabResult.patient_id)
            .where(LabResult.patient_id.in_(clinician_patients(actor.user_id)), condition)
            .order_by(columns[0])
            .limit(QUEUE_LIMIT)
        )
    )


def held_results(*, actor: Actor) -> list[HeldItem]:
    """The clinician's care-team patients' held results, longest held first."""
    with staff_work(actor, "results.held.view", access.CLINICIAN) as session:
        rows = _queue(
            session,
            actor,
            held(clock.now()),
            LabResult.held_at,
            LabResult.hold_until,
            LabResult.hold_reason,
            LabResult.hold_note,
        )
        return [HeldItem(*row) for row in rows]


@dataclass(frozen=True)
class PendingItem:
    result_id: uuid.UUID
    patient_id: uuid.UUID
    patient_name: str
    mrn: str
    panel_name: str
    collected_at: datetime
    hold_until: datetime | None  # held already, before becoming final
    abnormal: bool


def preliminary_results(*, actor: Actor) -> list[PendingItem]:
    """Care-team patients' results not final yet (to hold before release, or finalize)."""
    with staff_work(actor, "results.preliminary.view", access.CLINICIAN) as session:
        rows = _queue(
            session,
            actor,
            LabResult.status != "final",
            LabResult.collected_at,
            LabResult.hold_until,
        )
        return [PendingItem(*row) for row in rows]


@contextmanager
def _clinician_work(
    actor: Actor, result_id: uuid.UUID, action: str
) -> Iterator[tuple[Session, uuid.UUID]]:
    """Work on one result by a clinician on the patient's care team; anyone else is refused
    inside the unit of work, so the refusal is audited like every other."""
    with db.read_only() as session:
        patient_id = session.scalar(select(LabResult.patient_id).where(LabResult.id == result_id))
    if patient_id is None:
        raise NotFound(t("That result was not found."))
    with patient_work(actor, patient_id, action, access.RESULTS) as (session, found):
        access.require_basis(
            found, N_("Only a clinician on the patient's care team can do this."), access.CLINICIAN
        )
        yield session, patient_id


def _provider_of(session: Session, actor: Actor) -> uuid.UUID:
    provider = session.scalar(select(Provider.id).where(Provider.user_id == actor.user_id))
    if provider is None:
        raise PermissionDenied(t("Only a licensed clinician can hold a result."))
    return provider


def _hold_fields(reason: str, note: str, until: datetime | None) -> dict[str, str]:
    fields = {}
    if reason not in HOLD_REASONS:
        fields["reason"] = t("Choose why: preventing harm, or the patient's own request.")
    if not (note or "").strip():
        fields["note"] = t("Write the reason for this patient (it is kept with the result).")
    elif len(note) > MAX_NOTE:
        fields["note"] = t("Keep the note under {limit} characters.", limit=number(MAX_NOTE))
    now = clock.now()
    if until is None or until <= now:
        fields["until"] = t("The hold must end in the future.")
    elif until > now + timedelta(days=max_hold_days()):
        fields["until"] = t("A hold may last at most {days} days.", days=number(max_hold_days()))
    return fields


def result_hold(
    *, actor: Actor, result_id: uuid.UUID, reason: str, note: str, until: datetime | None
) -> None:
    """Hold one result not yet released, with an exception's reason, a note and an end."""
    fields = _hold_fields(reason, note, until)
    if fields:
        raise ValidationError(fields)
    with _clinician_work(actor, result_id, "results.hold") as (session, patient_id):
        now = clock.now()
        done = session.execute(
            update(LabResult)
            .where(
                LabResult.id == result_id,
                or_(LabResult.released_at.is_(None), LabResult.released_at > now),
                ~released_to_patient(now),
            )
            .values(
                held_at=now,
                hold_reason=reason,
                hold_note=note.strip(),
                hold_until=until,
                released_at=None,
            )
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(t("This result is already released to the patient; it cannot be held."))
        _decided(session, actor, result_id, "hold", reason, note.strip(), until)


def hold_change(*, actor: Actor, result_id: uuid.UUID, until: datetime | None, note: str) -> None:
    """Move a live hold's end, with a new reason recorded."""
    with _clinician_work(actor, result_id, "results.hold_change") as (session, patient_id):
        reason, earlier = session.execute(
            select(LabResult.hold_reason, LabResult.hold_note).where(LabResult.id == result_id)
        ).one()
        fields = _hold_fields(reason or "", note, until)
        if fields:
            raise ValidationError(fields)
        done = session.execute(
            update(LabResult)
            .where(LabResult.id == result_id, held(clock.now()))
            .values(
                hold_until=until,
                hold_note=f"{earlier or ''}\n{clock.now():%Y-%m-%d %H:%M}: {note.strip()}",
            )
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(t("This result is no longer held."))
        _decided(session, actor, result_id, "change", reason, note.strip(), until)


def results_release(
    *, actor: Actor, result_ids: list[uuid.UUID], comment: str | None = None
) -> int:
    """Release held results now (with an optional comment for the patient); returns how many
    this call released. Two clinicians releasing at once: one release, one answer of 0."""
    if comment is not None and len(comment) > MAX_NOTE:
        raise ValidationError(
            {"comment": t("Keep the comment under {limit} characters.", limit=number(MAX_NOTE))}
        )
    released = 0
    for result_id in result_ids:
        with _clinician_work(actor, result_id, "results.release") as (session, patient_id):
            now = clock.now()
            values: dict[str, object] = {"released_at": now}
            if comment and comment.strip():
                values["clinician_comment"] = comment.strip()
            done = session.execute(
                update(LabResult).where(LabResult.id == result_id, held(now)).values(**values)
            )
            if done.rowcount == 1:  # type: ignore[attr-defined]
                released += 1
                _decided(session, actor, result_id, "release", None, comment, None)
                _tell_patient(session, patient_id)
    return released


def result_finalize(*, actor: Actor, result_id: uuid.UUID) -> bool:
    """A preliminary result becomes final: released at once, unless the patient asked for its
    category to wait for their clinician (then held, ending by itself). True when released."""
    with _clinician_work(actor, result_id, "results.finalize") as (session, patient_id):
        result = session.get(LabResult, result_id)
        assert result is not None
        if result.status == "final":
            raise Conflict(t("This result is already final."))
        now = clock.now()
        # One UPDATE per row and transaction: DuckDB refuses a second update of a row that
        # other tables reference (its foreign keys are checked as delete + insert).
        values: dict[str, object] = {"status": "final", "resulted_at": now}
        released = False
        if result.held_at is not None and result.hold_until and result.hold_until > now:
            pass  # held while preliminary: the hold stands
        elif session.scalar(
            select(ResultDelayPreference.category).where(
                ResultDelayPreference.patient_id == patient_id,
                ResultDelayPreference.category == result.category,
            )
        ):
            # Kept as written and translated where it is shown.
            note = N_("The patient asked for results like this to wait for their clinician.")
            until = now + timedelta(days=max_hold_days())
            values |= {
                "held_at": now,
                "hold_reason": PATIENT_REQUEST,
                "hold_note": note,
                "hold_until": until,
            }
            _decided(session, actor, result_id, "hold", PATIENT_REQUEST, note, until)
        else:
            values["released_at"] = now
            released = True
        session.execute(update(LabResult).where(LabResult.id == result_id).values(**values))
        if released:
            _tell_patient(session, patient_id)
        return released


def release_ended_holds() -> int:
    """The scheduled job: holds whose end has passed are recorded as released then, and the
    patients told (they could already see them: `released_to_patient` needs no job)."""
    now = clock.now()
    with db.transaction() as session:
        ended = session.execute(
            select(LabResult.id, LabResult.patient_id).where(
                LabResult.status == "final",
                LabResult.released_at.is_(None),
                LabResult.held_at.is_not(None),
                LabResult.hold_until <= now,
            )
        ).all()
        for result_id, patient_id in ended:
            session.execute(
                update(LabResult)
                .where(LabResult.id == result_id)
                .values(released_at=LabResult.hold_until)
            )
            _tell_patient(session, patient_id)
        return len(ended)


def _decided(
    session: Session,
    actor: Actor,
    result_id: uuid.UUID,
    decision: str,
    reason: str | None,
    note: str | None,
    until: datetime | None,
) -> None:
    """Record who decided about a hold (docs/rules/compliance.md: reason and decider are kept)."""
    session.add(
        ResultHoldDecision(
            result_id=result_id,
            provider_id=_provider_of(session, actor),
            decision=decision,
            reason=reason,
            note=note,
            until=until,
            decided_at=clock.now(),
        )
    )


def _tell_patient(session: Session, patient_id: uuid.UUID) -> None:
    """A notice without clinical detail: the result itself is read only after signing in."""
    notify.to_patient(
        session,
        patient_id,
        "results",
        N_("A new test result is ready"),
        N_("A new test result is ready in your patient portal. Sign in to read it."),
    )
