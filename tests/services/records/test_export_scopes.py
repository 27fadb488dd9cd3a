"""Every export follows the same scope rules as the pages: a proxy whose grant lacks a scope gets
nothing of that scope from any export (FHIR, PDF, CSV), walked over every scope."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from pypdf import PdfReader

from services.core import access
from services.core.errors import NotFound
from services.health import metrics
from services.records import documents, fhir_export, printouts, records
from tests.conftest import NOW
from tests.services.records.test_documents import uploaded
from tests.services.records.test_results import _alex
from tests.support import world


def _fhir_parts(actor: access.Actor, document_id: uuid.UUID) -> set[str]:
    """Which scopes' content the FHIR bundle carries."""
    bundle = json.loads(fhir_export.fhir_bundle(actor=actor, patient_id=_alex()))
    parts: set[str] = set()
    for entry in bundle["entry"]:
        r = entry["resource"]
        kind = r["resourceType"]
        categories = {c["code"] for cat in r.get("category", []) for c in cat.get("coding", [])}
        if kind == "DiagnosticReport" or (kind == "Observation" and "laboratory" in categories):
            parts.add(access.RESULTS)
        elif kind == "Observation":
            parts.add(access.METRICS)
        elif kind == "DocumentReference" and r["id"] == str(document_id):
            parts.add(access.DOCUMENTS)
        elif kind != "Patient":
            parts.add(access.RECORDS)
    return parts


def _pdf_text(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def _first_visit() -> uuid.UUID:
    return records.visits(actor=world.actor_of("patient.demo"), patient_id=_alex())[0].encounter_id


EXPORTS: dict[str, tuple[str, Callable[[access.Actor, uuid.UUID], bytes]]] = {
    "fhir": (
        access.RECORDS,
        lambda a, _: fhir_export.fhir_bundle(actor=a, patient_id=_alex()),
    ),
    "summary pdf": (
        access.RECORDS,
        lambda a, _: printouts.summary_pdf(actor=a, patient_id=_alex()),
    ),
    "visit pdf": (
        access.RECORDS,
        lambda a, _: printouts.visit_pdf(actor=a, patient_id=_alex(), encounter_id=_first_visit()),
    ),
    "results csv": (
        access.RESULTS,
        lambda a, _: printouts.results_csv(actor=a, patient_id=_alex()),
    ),
    "metrics csv": (
        access.METRICS,
        lambda a, _: metrics.metrics_export(
            actor=a,
            patient_id=_alex(),
            kind=metrics.GLUCOSE,
            start=NOW - timedelta(days=30),
            end=NOW,
        ),
    ),
    "document download": (
        access.DOCUMENTS,
        lambda a, doc: documents.document_download(actor=a, patient_id=_alex(), document_id=doc)[2],
    ),
}

GRANTS = [frozenset({s}) for s in access.SCOPES] + [
    frozenset(access.SCOPES) - {s} for s in access.SCOPES
]


@pytest.mark.parametrize("scopes", GRANTS, ids=lambda s: "+".join(sorted(s)))
def test_every_export_follows_the_grant_scopes(seeded_url: str, scopes: frozenset[str]) -> None:
    document_id = uploaded()
    proxy = world.proxy_of_alex(scopes)
    for name, (needs, export) in EXPORTS.items():
        if needs not in scopes:
            with pytest.raises(NotFound):
                export(proxy, document_id)
            continue
        data = export(proxy, document_id)
        assert data, name
    if access.RECORDS in scopes:
        expected = {access.RECORDS} | (scopes & {access.RESULTS, access.METRICS, access.DOCUMENTS})
        assert _fhir_parts(proxy, document_id) == expected
        summary = _pdf_text(printouts.summary_pdf(actor=proxy, patient_id=_alex()))
        assert ("Latest test results" in summary) == (access.RESULTS in scopes)


def test_a_proxy_without_the_documents_scope_gets_no_document_in_fhir(seeded_url: str) -> None:
    """The probe that found it: Ruth's delegate (no documents scope) saw her upload in FHIR."""
    document_id = uploaded()
    proxy = world.proxy_of_alex(frozenset(access.SCOPES) - {access.DOCUMENTS})
    bundle = fhir_export.fhir_bundle(actor=proxy, patient_id=_alex()).decode()
    assert str(document_id) not in bundle and "Letter from the cardiologist" not in bundle
