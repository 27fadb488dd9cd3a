"""The accounting of disclosures on both databases: exactly the kinds the rule lists, over the
six years before the request, produced by HIM as a PDF in the portal; the first in twelve months
free; disclosures made outside the portal recorded by HIM with their basis."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from services.core import clock, db
from services.core.errors import NotFound, PermissionDenied, ValidationError
from services.core.models import Patient
from services.him import accounting, queue, requests
from services.him.tables import RecordsRequest
from tests.conftest import NOW
from tests.services.him.test_records_requests import _alex, _him, _me, _release, pdf_text
from tests.support import world


def _mrn() -> str:
    with db.read_only() as s:
        return s.scalars(select(Patient.mrn).where(Patient.id == _alex())).one()


def _record(on: date, recipient: str, basis: str) -> None:
    accounting.disclosure_record(
        actor=_him(),
        mrn=_mrn(),
        disclosed_on=on,
        recipient=recipient,
        description="Records",
        purpose="A purpose",
        basis=basis,
    )


def _compiled(request_id: object) -> accounting.Accounting:
    with db.read_only() as s:
        row = s.get(RecordsRequest, request_id)
        assert row is not None
        return accounting.accounting_for_request(s, row)


def test_the_accounting_lists_exactly_the_kinds_the_rule_requires_over_six_years(
    seeded_url: str,
) -> None:
    for basis in accounting.BASES:
        _record(NOW.date() - timedelta(days=30), f"Recipient for {basis}", basis)
    since = clock.add_months(NOW.date(), -72)
    _record(since, "First day inside", "judicial")
    _record(since - timedelta(days=1), "Day before the window", "judicial")
    queue.request_fulfil(actor=_him(), request_id=_release())  # under the authorization
    rid = requests.accounting_request(actor=_me(), patient_id=_alex())
    with pytest.raises(NotFound):  # not before HIM produces it
        requests.accounting_document(actor=_me(), patient_id=_alex(), request_id=rid)
    queue.request_fulfil(actor=_him(), request_id=rid)
    with clock.frozen(NOW + timedelta(days=1)):
        _record(NOW.date() + timedelta(days=1), "After the request", "judicial")
        found = _compiled(rid)
    listed = {e.recipient for e in found.listed}
    bases = {e.basis for e in found.listed}
    assert bases == set(accounting.LISTED)  # every listed kind, and none of the excluded
    assert "First day inside" in listed
    assert "Day before the window" not in listed and "After the request" not in listed
    assert found.since == since
    # The seeded history: 0.3, 1.2 and 2.5 years ago are listed; 6.5 and 7.5 are too old.
    assert {"State Department of Health", "Hennepin County District Court"} <= listed
    assert "County Sheriff" not in listed and "State Cancer Registry" not in listed
    assert {e.basis for e in found.authorized} == {"authorization", "patient"}
    text = pdf_text(requests.accounting_document(actor=_me(), patient_id=_alex(), request_id=rid))
    assert "Hennepin County District Court" in text and "Recipient for treatment" not in text
    assert "Northside Orthopedics" in text.split("for your information")[1]


def _fee(request_id: object) -> int:
    mine = requests.my_requests(actor=_me(), patient_id=_alex())
    return next(r.fee_cents for r in mine if r.request_id == request_id)


def test_the_first_accounting_in_twelve_months_is_free(seeded_url: str) -> None:
    first = requests.accounting_request(actor=_me(), patient_id=_alex())
    second = requests.accounting_request(actor=_me(), patient_id=_alex())
    assert (_fee(first), _fee(second)) == (0, 1000)
    with clock.frozen(NOW + timedelta(days=200)):
        assert _fee(requests.accounting_request(actor=_me(), patient_id=_alex())) == 1000
    with clock.frozen(NOW + timedelta(days=366)):
        requests.request_withdraw(
            actor=_me(),
            patient_id=_alex(),
            request_id=requests.accounting_request(actor=_me(), patient_id=_alex()),
        )  # NOW + 200 is within twelve months: charged, then withdrawn
    with clock.frozen(NOW + timedelta(days=570)):
        assert _fee(requests.accounting_request(actor=_me(), patient_id=_alex())) == 0


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"recipient": " "}, "recipient"),
        ({"basis": "curiosity"}, "basis"),
        ({"disclosed_on": NOW.date() + timedelta(days=1)}, "disclosed_on"),
        ({"disclosed_on": None}, "disclosed_on"),
        ({"description": "x" * 201}, "description"),
        ({"mrn": "00000000"}, "mrn"),
    ],
)
def test_a_disclosure_record_needs_each_fact(
    seeded_url: str, changes: dict[str, object], field: str
) -> None:
    values: dict[str, object] = {
        "mrn": _mrn(),
        "disclosed_on": NOW.date(),
        "recipient": "County court",
        "description": "Visit notes",
        "purpose": "Subpoena",
        "basis": "judicial",
    }
    values.update(changes)
    with pytest.raises(ValidationError) as refused:
        accounting.disclosure_record(actor=_him(), **values)  # type: ignore[arg-type]
    assert field in refused.value.fields


def test_only_him_records_disclosures(seeded_url: str) -> None:
    for staff in ("billing.demo", "clinician.demo"):
        with pytest.raises(PermissionDenied):
            accounting.disclosure_record(
                actor=world.actor_of(staff),
                mrn=_mrn(),
                disclosed_on=NOW.date(),
                recipient="Court",
                description="Notes",
                purpose="Subpoena",
                basis="judicial",
            )
