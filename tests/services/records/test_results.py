"""Results and their release on both databases, on a frozen clock: immediate release by default,
holds only with an exception's reason and an end, auto-release at the end, the patient's delay
preference, concurrency of release, and a held result invisible to every service."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from services.core import audit, clock, db
from services.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from services.core.models import AuditEvent, NotificationOutbox, Provider, User
from services.homes.patient import patient_home
from services.records import results
from services.records.tables import LabComponent, LabResult
from tests.conftest import NOW
from tests.support import world


def _alex() -> uuid.UUID:
    return world.patient_id("Alex", "Rivera")


def _new_result(
    patient_id: uuid.UUID,
    category: str = "chemistry",
    status: str = "preliminary",
    collected_at: datetime = NOW - timedelta(hours=6),
) -> uuid.UUID:
    """A just-collected HbA1c result for the patient, ordered by the demo clinician."""
    with db.transaction() as s:
        provider = s.scalar(
            select(Provider.id)
            .join(User, User.id == Provider.user_id)
            .where(User.username == "clinician.demo")
        )
        result = LabResult(
            patient_id=patient_id,
            ordering_provider_id=provider,
            panel_code="4548-4",
            panel_name="Hemoglobin A1c",
            category=category,
            collected_at=collected_at,
            status=status,
            resulted_at=None,
        )
        s.add(result)
        s.flush()
        s.add(
            LabComponent(
                result_id=result.id,
                loinc="4548-4",
                name="Hemoglobin A1c",
                value=8.1,
                unit="%",
                ref_low=4.0,
                ref_high=5.6,
                flag="H",
            )
        )
        return result.id


def held_result(
    reason: str = results.PREVENTING_HARM, note: str = "Call first.", days: int = 3
) -> uuid.UUID:
    """A final HbA1c result of Alex's, held by the demo clinician (held before it was final)."""
    rid = _new_result(_alex())
    results.result_hold(
        actor=_doctor(),
        result_id=rid,
        reason=reason,
        note=note,
        until=NOW + timedelta(days=days),
    )
    results.result_finalize(actor=_doctor(), result_id=rid)  # final, but the hold stands
    return rid


def _me() -> Any:
    return world.actor_of("patient.demo")


def _doctor() -> Any:
    return world.actor_of("clinician.demo")


def _visible(result_id: uuid.UUID) -> bool:
    return result_id in {r.result_id for r in results.results_list(actor=_me(), patient_id=_alex())}


def _result_notices() -> int:
    with db.read_only() as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(NotificationOutbox)
                .where(NotificationOutbox.kind == "results")
            )
            or 0
        )


def test_a_final_result_is_the_patients_at_once_and_they_are_told(seeded_url: str) -> None:
    rid = _new_result(_alex())
    assert not _visible(rid)  # preliminary
    notices = _result_notices()
    assert results.result_finalize(actor=_doctor(), result_id=rid)
    assert _visible(rid)
    assert _result_notices() == notices + 1
    with pytest.raises(Conflict):
        results.result_finalize(actor=_doctor(), result_id=rid)


@pytest.mark.parametrize(
    "reason, note, days, field",
    [
        ("because", "Call first.", 3, "reason"),
        (results.PREVENTING_HARM, "  ", 3, "note"),
        (results.PREVENTING_HARM, "Call first.", -1, "until"),
        (results.PREVENTING_HARM, "Call first.", 31, "until"),
    ],
)
def test_a_hold_needs_an_exception_a_note_and_an_end(
    seeded_url: str, reason: str, note: str, days: int, field: str
) -> None:
    rid = _new_result(_alex())
    with pytest.raises(ValidationError) as refused:
        results.result_hold(
            actor=_doctor(),
            result_id=rid,
            reason=reason,
            note=note,
            until=NOW + timedelta(days=days),
        )
    assert field in refused.value.fields
    with db.read_only() as s:
        assert s.get(LabResult, rid).held_at is None  # type: ignore[union-attr]


def test_a_held_result_releases_by_itself_at_the_end(seeded_url: str) -> None:
    rid = held_result(note="Discuss the new diagnosis by phone first.")
    until = NOW + timedelta(days=3)
    assert not _visible(rid)
    assert rid in {h.result_id for h in results.held_results(actor=_doctor())}
    with clock.frozen(until - timedelta(seconds=1)):
        assert not _visible(rid)
    with clock.frozen(until):
        assert _visible(rid)  # never later than its end, with no job run
        notices = _result_notices()
        assert results.release_ended_holds() >= 1  # other seeded holds may end then too
        assert _result_notices() >= notices + 1
        assert results.release_ended_holds() == 0
    with db.read_only() as s:
        assert s.get(LabResult, rid).released_at == until  # type: ignore[union-attr]


def test_release_by_hand_with_a_comment_and_a_changed_end(seeded_url: str) -> None:
    rid = held_result(results.PATIENT_REQUEST, "Asked to wait.", days=2)
    results.hold_change(
        actor=_doctor(), result_id=rid, until=NOW + timedelta(days=5), note="Patient travelling."
    )
    with clock.frozen(NOW + timedelta(days=3)):
        assert not _visible(rid)
    assert (
        results.results_release(
            actor=_doctor(), result_ids=[rid], comment="Higher than last time; let us talk."
        )
        == 1
    )
    assert _visible(rid)
    detail = results.result_detail(actor=_me(), patient_id=_alex(), result_id=rid)
    assert detail.clinician_comment == "Higher than last time; let us talk."
    assert detail.components[0].flag == "H"
    with pytest.raises(Conflict):  # released: no longer held
        results.hold_change(actor=_doctor(), result_id=rid, until=NOW + timedelta(days=6), note="x")
    with pytest.raises(Conflict):  # and cannot be held again
        results.result_hold(
            actor=_doctor(),
            result_id=rid,
            reason=results.PREVENTING_HARM,
            note="Too late.",
            until=NOW + timedelta(days=2),
        )


def test_the_patients_delay_preference_holds_sensitive_results(seeded_url: str) -> None:
    alex = _alex()
    results.delay_preferences_update(actor=_me(), patient_id=alex, categories={"sensitive"})
    assert results.delay_preferences(actor=_me(), patient_id=alex) == {"sensitive"}
    sensitive, routine = _new_result(alex, "sensitive"), _new_result(alex, "chemistry")
    assert not results.result_finalize(actor=_doctor(), result_id=sensitive)
    assert results.result_finalize(actor=_doctor(), result_id=routine)
    assert not _visible(sensitive) and _visible(routine)
    with db.read_only() as s:
        assert s.get(LabResult, sensitive).hold_reason == results.PATIENT_REQUEST  # type: ignore[union-attr]
    with pytest.raises(ValidationError):
        results.delay_preferences_update(actor=_me(), patient_id=alex, categories={"chemistry"})


def test_only_the_patient_sets_the_preference_and_only_care_team_clinicians_hold(
    seeded_url: str,
) -> None:
    proxy = world.actor_of("proxy.demo")
    mia = world.patient_id("Mia", "Larson")
    with pytest.raises(PermissionDenied):
        results.delay_preferences_update(actor=proxy, patient_id=mia, categories={"sensitive"})
    rid = _new_result(_alex())
    with pytest.raises(PermissionDenied):  # a patient cannot hold their own result
        results.result_hold(
            actor=_me(),
            result_id=rid,
            reason=results.PATIENT_REQUEST,
            note="x",
            until=NOW + timedelta(days=1),
        )
    with pytest.raises(PermissionDenied):  # nor release or finalize it
        results.result_finalize(actor=_me(), result_id=rid)
    with db.read_only() as s:
        refused = s.execute(
            select(AuditEvent.action, AuditEvent.outcome)
            .where(AuditEvent.action.in_(["results.hold", "results.finalize"]))
            .order_by(AuditEvent.seq)
        ).all()
    assert [tuple(r) for r in refused][-2:] == [
        ("results.hold", audit.DENIED),
        ("results.finalize", audit.DENIED),
    ]
    other = _new_result(world.other_patient(*_care_team()))
    for call in (
        lambda: results.result_hold(
            actor=_doctor(),
            result_id=other,
            reason=results.PREVENTING_HARM,
            note="x",
            until=NOW + timedelta(days=1),
        ),
        lambda: results.results_release(actor=_doctor(), result_ids=[other]),
        lambda: results.result_finalize(actor=_doctor(), result_id=other),
    ):
        with pytest.raises(PermissionDenied):
            call()
    with pytest.raises(NotFound):
        results.results_release(actor=_doctor(), result_ids=[uuid.uuid4()])


def _care_team() -> set[uuid.UUID]:
    from services.core.access import clinician_patients

    with db.read_only() as s:
        return set(s.scalars(clinician_patients(_doctor().user_id)))


def test_two_clinicians_releasing_at_once_make_one_release(seeded_url: str) -> None:
    rid = held_result()
    notices = _result_notices()
    counts: list[int] = []
    barrier = threading.Barrier(2)

    def release() -> None:
        barrier.wait()
        counts.append(results.results_release(actor=_doctor(), result_ids=[rid]))

    threads = [threading.Thread(target=release) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(counts) == [0, 1]
    assert _result_notices() == notices + 1


def test_opening_a_result_is_recorded_for_the_patient_side_only(seeded_url: str) -> None:
    rid = _new_result(_alex())
    results.result_finalize(actor=_doctor(), result_id=rid)
    results.result_detail(actor=_doctor(), patient_id=_alex(), result_id=rid)
    with db.read_only() as s:
        assert s.get(LabResult, rid).first_viewed_at is None  # type: ignore[union-attr]
    assert next(
        r for r in results.results_list(actor=_me(), patient_id=_alex()) if r.result_id == rid
    ).new
    results.result_detail(actor=_me(), patient_id=_alex(), result_id=rid)
    with db.read_only() as s:
        assert s.get(LabResult, rid).first_viewed_at == NOW  # type: ignore[union-attr]


def test_filters_by_test_and_date(seeded_url: str) -> None:
    everything = results.results_list(actor=_me(), patient_id=_alex())
    assert everything and everything == sorted(
        everything, key=lambda r: r.collected_at, reverse=True
    )
    code = everything[0].panel_code
    same = results.results_list(actor=_me(), patient_id=_alex(), panel_code=code)
    assert same and {r.panel_code for r in same} == {code}
    since = NOW - timedelta(days=90)
    recent = results.results_list(actor=_me(), patient_id=_alex(), since=since)
    assert all(r.collected_at >= since for r in recent) and len(recent) < len(everything)
    with pytest.raises(ValidationError):
        results.results_list(
            actor=_me(), patient_id=_alex(), since=NOW, until=NOW - timedelta(days=1)
        )


# --- a held result is invisible everywhere on the patient side ---------------------------------

# In this order: opening the result (result_detail) takes it off the home page's new results.
PATIENT_SIDE_VIEWS: dict[str, Callable[[Any, uuid.UUID, uuid.UUID], set[uuid.UUID] | bool]] = {
    "home new results": lambda actor, pid, rid: (
        rid in {r.result_id for r in (patient_home(actor=actor, patient_id=pid).new_results or [])}
    ),
    "results_list": lambda actor, pid, rid: (
        rid in {r.result_id for r in results.results_list(actor=actor, patient_id=pid)}
    ),
    "result_detail": lambda actor, pid, rid: _opens(actor, pid, rid),
    "result_trend": lambda actor, pid, rid: (
        (
            (results.result_trend(actor=actor, patient_id=pid, loinc="4548-4")["value"] - 8.1).abs()
            < 1e-4  # stored as a 4-byte float on DuckDB
        ).any()
    ),
}


def _opens(actor: Any, pid: uuid.UUID, rid: uuid.UUID) -> bool:
    try:
        results.result_detail(actor=actor, patient_id=pid, result_id=rid)
    except NotFound:
        return False
    return True


def test_a_held_result_is_invisible_to_every_patient_side_service(seeded_url: str) -> None:
    alex, rid = _alex(), held_result()
    for name, shows in PATIENT_SIDE_VIEWS.items():
        assert not shows(_me(), alex, rid), name
    results.results_release(actor=_doctor(), result_ids=[rid])
    for name, shows in PATIENT_SIDE_VIEWS.items():
        assert shows(_me(), alex, rid), name
