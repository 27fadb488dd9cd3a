"""Financial assistance on both databases: the poverty-level policy table, applications with
proof checked by content (refusals change nothing and leave no file), billing staff deciding
(an approval takes the discount off what is owed as charity care, a plan's instalments shrink
to match; a denial needs a reason), the patient told, and the refusals."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from services.billing import account, assistance, plans
from services.billing.tables import Adjustment, AssistanceApplication, AssistanceDocument
from services.core import db, uploads
from services.core.errors import (
    ConfigurationError,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from services.core.models import NotificationOutbox
from tests.support import world

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def _alex() -> uuid.UUID:
    return world.patient_id("Alex", "Rivera")


def _me():  # type: ignore[no-untyped-def]
    return world.actor_of("patient.demo")


def _billing():  # type: ignore[no-untyped-def]
    return world.actor_of("billing.demo")


def _apply(household: int = 4, income: str = "40000", proofs=None) -> uuid.UUID:  # type: ignore[no-untyped-def]
    return assistance.assistance_apply(
        actor=_me(),
        patient_id=_alex(),
        household_size=household,
        annual_income=income,
        proofs=[uploads.Upload("tax-return.pdf", PDF)] if proofs is None else proofs,
    )


def test_the_policy_table_turns_income_into_a_discount(monkeypatch: pytest.MonkeyPatch) -> None:
    rules = assistance.policy()
    assert rules.poverty_line(1) == 1_565_000 and rules.poverty_line(4) == 3_215_000
    assert rules.percent_of_poverty(4, 4_000_000) == 124
    assert [rules.discount(p) for p in (124, 200, 201, 300, 373, 400, 401)] == [
        100,
        100,
        75,
        75,
        50,
        50,
        0,
    ]
    monkeypatch.setenv("PORTAL_ASSISTANCE_BRACKETS", "150:100,250:40")
    assert assistance.policy().discount(200) == 40
    for bad in ("lots", "200:150", "0:50"):
        monkeypatch.setenv("PORTAL_ASSISTANCE_BRACKETS", bad)
        with pytest.raises(ConfigurationError):
            assistance.policy()


def _files() -> set[str]:
    return {p.name for p in uploads.folder(assistance.FOLDER).iterdir()}


@pytest.mark.parametrize(
    ("household", "income", "proofs", "field"),
    [
        (0, "40000", None, "household_size"),
        (21, "40000", None, "household_size"),
        (4, "lots", None, "annual_income"),
        (4, "-5", None, "annual_income"),
        (4, "40000", [], "proofs"),
        (4, "40000", [uploads.Upload("pay.pdf", b"MZ\x90\x00 not a pdf")], "proofs"),
        (4, "40000", [uploads.Upload("pay.png", PDF)], "proofs"),
    ],
)
def test_bad_applications_are_refused_and_change_nothing(
    seeded_url: str, household: int, income: str, proofs: list | None, field: str
) -> None:
    before = _files()
    with pytest.raises(ValidationError) as refused:
        _apply(household, income, proofs)
    assert field in refused.value.fields
    assert _files() == before
    with db.read_only() as s:
        assert s.scalar(select(func.count()).select_from(AssistanceApplication)) == 0


def test_an_approval_takes_the_discount_off_what_is_owed(seeded_url: str) -> None:
    before = account.billing_overview(actor=_me(), patient_id=_alex())
    owed = [s for s in before.statements if s.remaining_cents > 0]
    application = _apply(household=4, income="100000")  # 311% of the poverty line: 50% off
    mine = assistance.my_assistance(actor=_me(), patient_id=_alex())
    assert mine is not None and (mine.status, mine.percent_of_poverty, mine.suggested_percent) == (
        "submitted",
        311,
        50,
    )
    with pytest.raises(Conflict, match="already with the billing office"):
        _apply()
    [item] = assistance.assistance_queue(actor=_billing())
    assert item.owed_cents == before.balance_cents and item.mrn
    [(doc_id, title)] = item.application.documents
    assert assistance.assistance_document(actor=_billing(), document_id=doc_id)[2] == PDF
    with pytest.raises(NotFound, match="could not find"):
        assistance.assistance_document(actor=_billing(), document_id=uuid.uuid4())
    with db.read_only() as s:
        stored = s.get(AssistanceDocument, doc_id)
        assert stored is not None
    kept = uploads.folder(assistance.FOLDER) / stored.storage_name
    proof = kept.read_bytes()
    kept.unlink()  # the file lost from the disk: said plainly, never a stack trace
    with pytest.raises(NotFound, match="could not be read"):
        assistance.assistance_document(actor=_billing(), document_id=doc_id)
    kept.write_bytes(proof)
    taken = assistance.assistance_decide(actor=_billing(), application_id=application, approve=True)
    assert taken == sum(s.remaining_cents * 50 // 100 for s in owed)
    after = account.billing_overview(actor=_me(), patient_id=_alex())
    assert after.balance_cents == before.balance_cents - taken
    with db.read_only() as s:
        reasons = s.scalars(select(Adjustment.reason).where(Adjustment.patient_id == _alex())).all()
        told = s.scalar(
            select(func.count()).where(NotificationOutbox.subject.like("%financial assistance%"))
        )
    assert set(reasons) == {"charity_care"} and told == 1
    with pytest.raises(Conflict, match="already decided"):
        assistance.assistance_decide(
            actor=_billing(), application_id=application, approve=False, note="Changed my mind"
        )
    assert assistance.assistance_queue(actor=_billing()) == []
    decided = assistance.my_assistance(actor=_me(), patient_id=_alex())
    assert decided is not None and (decided.status, decided.approved_percent) == ("approved", 50)


def test_a_full_discount_closes_the_statements_and_a_plan_shrinks_with_a_partial_one(
    seeded_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_PLAN_MIN_MONTHLY", "10.00")
    plans.plan_create(actor=_me(), patient_id=_alex(), months=3)
    plan, _ = plans.plan_overview(actor=_me(), patient_id=_alex())
    assert plan is not None
    application = _apply(household=4, income="100000")
    assistance.assistance_decide(
        actor=_billing(), application_id=application, approve=True, percent=20
    )
    shrunk, _ = plans.plan_overview(actor=_me(), patient_id=_alex())
    assert shrunk is not None
    balance = account.billing_overview(actor=_me(), patient_id=_alex()).balance_cents
    assert shrunk.remaining_cents == balance < plan.remaining_cents
    second = _apply(household=4, income="20000")
    assistance.assistance_decide(actor=_billing(), application_id=second, approve=True)
    assert account.billing_overview(actor=_me(), patient_id=_alex()).balance_cents == 0
    assert plans.plan_overview(actor=_me(), patient_id=_alex())[0] is None  # nothing left


def test_a_denial_needs_a_reason_and_no_discount_needs_a_percentage(seeded_url: str) -> None:
    application = _apply(household=1, income="90000")  # 575%: the policy gives nothing
    with pytest.raises(ValidationError):
        assistance.assistance_decide(actor=_billing(), application_id=application, approve=False)
    with pytest.raises(ValidationError, match="no discount"):
        assistance.assistance_decide(actor=_billing(), application_id=application, approve=True)
    with pytest.raises(ValidationError):
        assistance.assistance_decide(
            actor=_billing(), application_id=application, approve=True, percent=120
        )
    assistance.assistance_decide(
        actor=_billing(), application_id=application, approve=False, note="Income over 400%"
    )
    decided = assistance.my_assistance(actor=_me(), patient_id=_alex())
    assert decided is not None and decided.decision_note == "Income over 400%"


def test_assistance_is_refused_to_others(seeded_url: str) -> None:
    _apply()
    other = world.other_patient(_alex())
    with pytest.raises(NotFound):
        assistance.assistance_apply(
            actor=_me(),
            patient_id=other,
            household_size=2,
            annual_income="1",
            proofs=[uploads.Upload("a.pdf", PDF)],
        )
    with pytest.raises(PermissionDenied):
        assistance.my_assistance(actor=_billing(), patient_id=_alex())
    for username in ("patient.demo", "clinician.demo", "him.demo"):
        with pytest.raises(PermissionDenied):
            assistance.assistance_queue(actor=world.actor_of(username))
    with pytest.raises(NotFound):
        assistance.assistance_decide(actor=_billing(), application_id=uuid.uuid4(), approve=True)
