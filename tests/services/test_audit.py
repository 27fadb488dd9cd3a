"""The audit chain: every change, removal or reordering of a row is detected."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, update

from services import audit, db, home
from services.models import AuditEvent
from tests.support import world


def _some_activity() -> None:
    actor = world.sign_in("patient.demo")
    for _ in range(3):
        home.patient_home(actor=actor, patient_id=actor.patient_id)
    home.clinician_home(actor=world.sign_in("clinician.demo"))


def _verify() -> audit.AuditCheck:
    with db.read_only() as s:
        return audit.verify_chain(s, batch=2)  # small batches: the walk crosses batch edges


def test_intact_chain_verifies(seeded_url: str) -> None:
    _some_activity()
    check = _verify()
    assert check.ok and check.first_broken_seq is None
    with db.read_only() as s:
        assert check.entries == s.scalar(select(func.count()).select_from(AuditEvent))


def test_audit_rows_carry_who_what_whom_and_outcome(seeded_url: str) -> None:
    actor = world.sign_in("patient.demo")
    home.patient_home(actor=actor, patient_id=actor.patient_id)
    with db.read_only() as s:
        row = s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    assert (row.actor_user_id, row.actor_username, row.patient_id) == (
        actor.user_id,
        "patient.demo",
        actor.patient_id,
    )
    assert (row.action, row.outcome, row.actor_role) == ("home.patient.view", "success", "patient")


@pytest.mark.parametrize(
    "tamper, broken_at",
    [
        (
            lambda s: s.execute(
                update(AuditEvent).where(AuditEvent.seq == 3).values(outcome="denied")
            ),
            3,
        ),
        (
            lambda s: s.execute(
                update(AuditEvent).where(AuditEvent.seq == 2).values(actor_username="someone")
            ),
            2,
        ),
        (lambda s: s.execute(delete(AuditEvent).where(AuditEvent.seq == 3)), 3),
    ],
    ids=["edit outcome", "edit actor", "delete middle"],
)
def test_tampering_is_detected_at_the_first_broken_link(
    seeded_url: str, tamper, broken_at: int
) -> None:  # type: ignore[no-untyped-def]
    _some_activity()
    with db.transaction() as s:
        tamper(s)
    check = _verify()
    assert not check.ok and check.first_broken_seq == broken_at


def test_reordering_is_detected(seeded_url: str) -> None:
    _some_activity()
    with db.transaction() as s:
        s.execute(update(AuditEvent).where(AuditEvent.seq == 2).values(seq=-2))
        s.execute(update(AuditEvent).where(AuditEvent.seq == 3).values(seq=2))
        s.execute(update(AuditEvent).where(AuditEvent.seq == -2).values(seq=3))
    check = _verify()
    assert not check.ok and check.first_broken_seq == 2


def test_cutting_off_the_end_is_detected(seeded_url: str) -> None:
    _some_activity()
    with db.transaction() as s:
        last = s.scalar(select(func.max(AuditEvent.seq)))
        s.execute(delete(AuditEvent).where(AuditEvent.seq == last))
    check = _verify()
    assert not check.ok and check.problem == "entries removed from the end"


def test_a_forged_row_without_the_key_is_detected(
    seeded_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _some_activity()
    from services.config import settings

    monkeypatch.setenv("PORTAL_AUDIT_KEY", "a-different-key-that-an-attacker-might-guess-000")
    settings.cache_clear()
    check = _verify()
    assert not check.ok and check.first_broken_seq == 1
