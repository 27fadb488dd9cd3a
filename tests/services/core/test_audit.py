"""The audit chain: every change, removal or reordering of a row is detected; verified
incrementally on the admins' home and in full by the daily job."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, update

from services.core import audit, audit_checks, db
from services.core.models import AuditEvent, AuditHead, AuditVerification
from services.homes.clinician import clinician_home
from services.homes.patient import patient_home
from services.identity import admin
from tests.conftest import NOW
from tests.support import world


def _some_activity() -> None:
    actor = world.sign_in("patient.demo")
    for _ in range(3):
        patient_home(actor=actor, patient_id=actor.patient_id)
    clinician_home(actor=world.sign_in("clinician.demo"))


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
    patient_home(actor=actor, patient_id=actor.patient_id)
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
    from services.core.config import settings

    monkeypatch.setenv("PORTAL_AUDIT_KEY", "a-different-key-that-an-attacker-might-guess-000")
    settings.cache_clear()
    check = _verify()
    assert not check.ok and check.first_broken_seq == 1


def _head() -> tuple[int, str, str | None]:
    with db.read_only() as s:
        head = s.get(AuditHead, 1)
        assert head is not None
        return head.last_seq, head.last_mac, head.mac


def _cut_after(seq: int) -> None:
    with db.transaction() as s:
        s.execute(delete(AuditEvent).where(AuditEvent.seq > seq))


def test_a_head_set_back_to_the_new_last_entry_without_the_key_is_detected(
    seeded_url: str,
) -> None:
    """The probe: delete the last entries, point the head at the new last entry's MAC."""
    _some_activity()
    last_seq, _, _ = _head()
    _cut_after(last_seq - 2)
    with db.transaction() as s:
        new_last = s.get(AuditEvent, last_seq - 2)
        assert new_last is not None
        s.execute(
            update(AuditHead)
            .where(AuditHead.id == 1)
            .values(last_seq=new_last.seq, last_mac=new_last.mac)
        )
    check = _verify()
    assert not check.ok and check.problem == "the chain's head was altered"


def test_a_head_rewound_to_an_earlier_state_of_its_own_is_caught_by_the_checkpoint(
    seeded_url: str,
) -> None:
    _some_activity()
    earlier = _head()  # a copy of the head row, as someone with the file could keep one
    _some_activity()
    _cut_after(earlier[0])
    with db.transaction() as s:
        s.execute(
            update(AuditHead)
            .where(AuditHead.id == 1)
            .values(last_seq=earlier[0], last_mac=earlier[1], mac=earlier[2])
        )
    check = _verify()
    assert not check.ok and "checkpoint" in (check.problem or "")
    assert audit.checkpoint_path().stat().st_mode & 0o777 == 0o600


def test_an_altered_or_missing_checkpoint_is_reported(seeded_url: str) -> None:
    _some_activity()
    path = audit.checkpoint_path()
    seq, mac, tag = path.read_text().split()
    path.write_text(f"{int(seq) + 5} {mac} {tag}\n")
    assert _verify().problem == "the checkpoint outside the database was altered"
    path.unlink()
    assert _verify().problem == "the checkpoint outside the database is missing"


def test_the_checkpoint_follows_each_commit_and_not_a_rollback(seeded_url: str) -> None:
    _some_activity()
    before = audit.checkpoint_path().read_text()
    try:
        with db.transaction() as s:
            audit.record(s, None, "test.rolled_back")
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    assert audit.checkpoint_path().read_text() == before
    _some_activity()
    assert _verify().ok


# --- verification at scale: incremental walks, the daily full walk ------------------------------


def _incremental() -> audit.AuditCheck:
    with db.transaction() as s:
        return audit_checks.incremental(s)


def _last_entry() -> int:
    with db.read_only() as s:
        return int(s.scalar(select(func.max(AuditEvent.seq))) or 0)


def test_an_incremental_walk_checks_only_what_was_appended_since(seeded_url: str) -> None:
    _some_activity()
    first = _incremental()
    assert first.ok and first.entries == first.last_seq == _last_entry()
    _some_activity()
    second = _incremental()
    assert second.ok and second.entries == _last_entry() - first.last_seq
    assert second.last_seq == _last_entry()
    with db.read_only() as s:
        stored = s.scalar(select(func.count()).select_from(AuditVerification))
    again = _incremental()  # nothing appended since: nothing walked, nothing stored
    assert again.ok and again.entries == 0 and again.last_at is not None
    with db.read_only() as s:
        assert s.scalar(select(func.count()).select_from(AuditVerification)) == stored


def test_the_full_walk_finds_an_old_change_the_incremental_one_cannot(seeded_url: str) -> None:
    _some_activity()
    assert _incremental().ok
    with db.transaction() as s:  # an entry verified long ago, changed
        s.execute(update(AuditEvent).where(AuditEvent.seq == 2).values(outcome="denied"))
    _some_activity()
    assert _incremental().ok  # beyond its reach, by design: the daily full walk's job
    assert audit_checks.full() == 2 - 1  # walked up to the broken entry
    assert audit_checks.full() == 0  # once a day
    with db.read_only() as s:
        full = audit_checks.last_full(s)
    assert full is not None and not full.ok and full.first_broken_seq == 2
    board = admin.admin_home(actor=world.sign_in("admin.demo"))
    assert board.last_full is not None and board.last_full.problem == "entry content altered"


def test_a_changed_starting_point_or_a_forged_verification_is_no_shortcut(
    seeded_url: str,
) -> None:
    _some_activity()
    verified = _incremental()
    with db.transaction() as s:  # the entry the next walk would start after, changed
        s.execute(
            update(AuditEvent).where(AuditEvent.seq == verified.last_seq).values(outcome="denied")
        )
    check = _incremental()
    assert not check.ok and check.first_broken_seq == verified.last_seq
    assert check.problem == "an entry verified before was altered or removed"

    with db.transaction() as s:  # put it back, change a later one, and forge "verified" past it
        s.execute(
            update(AuditEvent).where(AuditEvent.seq == verified.last_seq).values(outcome="success")
        )
    _some_activity()
    changed = verified.last_seq + 2
    with db.transaction() as s:
        s.execute(update(AuditEvent).where(AuditEvent.seq == changed).values(detail="edited"))
        head = s.get(AuditHead, 1)
        assert head is not None
        s.add(
            AuditVerification(
                kind=audit_checks.INCREMENTAL,
                started_at=NOW,
                ended_at=NOW,
                entries=0,
                ok=True,
                last_seq=head.last_seq,
                last_mac=head.last_mac,
                tag="0" * 64,  # made without the key
            )
        )
    check = _incremental()
    assert not check.ok and check.first_broken_seq == changed


def test_entries_appended_during_a_walk_wait_for_the_next_one(
    seeded_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _some_activity()
    real = audit._mac_of
    appended: list[int] = []

    def mac_and_append_once(row: bytes) -> str:
        if not appended:  # another request appends while the walk is under way
            appended.append(0)
            with db.transaction() as s:
                appended[0] = audit.record(s, None, "test.during_walk")
        return real(row)

    monkeypatch.setattr(audit, "_mac_of", mac_and_append_once)
    with db.read_only() as s:
        check = audit.verify_chain(s, batch=2)
    assert check.ok and check.last_seq == appended[0] - 1
    monkeypatch.setattr(audit, "_mac_of", real)
    assert _verify().ok and _verify().last_seq == appended[0]


def test_the_database_makes_each_entrys_content_exactly_as_python_does(seeded_url: str) -> None:
    """The walk lets the database write what each MAC covers: every field, set or empty."""
    actor = world.sign_in("patient.demo")
    patient_home(actor=actor, patient_id=actor.patient_id)
    with db.transaction() as s:
        audit.record(s, None, "test.every_field", detail="a\\u00e9 \u00e9 'quoted' | 100%")
        s.execute(  # a caregiver acting for someone, at a moment with no microseconds
            update(AuditEvent)
            .where(AuditEvent.seq == 1)
            .values(acting_for_patient_id=actor.patient_id, occurred_at=NOW)
        )
    log = AuditEvent.__table__
    with db.read_only() as s:
        content = audit.content_sql(s.get_bind().dialect.name)
        rows = s.execute(select(log, content.label("made")).order_by(log.c.seq)).all()
    assert len(rows) >= 3
    for row in rows:
        assert row.made.encode() == audit._content(row), row.seq
