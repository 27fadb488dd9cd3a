"""The records package: exactly what a records request asked for, as one zip.

Built from the parts and dates asked for and nothing else: the record as a PDF, the same as a
FHIR R4 bundle, the imaging reports as their own PDF, billing lines as CSV, and the documents HIM
chose (only when the whole record was asked for). Results are those the patient may see
(released, never held); a request made by a parent with limited access to a 12-17 year old
leaves the confidential adolescent information out. A `contents.txt` lists what is inside.

The package is kept as built, encrypted in the data directory, so what was released stays what
was released while the record moves on.
"""

from __future__ import annotations

import hashlib
import io
import re
import uuid
import zipfile
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.billing.tables import Statement, StatementLine
from services.core import access, clock, crypto, language, money, private_files, uploads
from services.core.access import Access
from services.core.errors import NotFound
from services.core.language import t
from services.core.models import Provider
from services.core.spreadsheet import csv_bytes
from services.him.tables import RecordsRequest
from services.records import addenda, records
from services.records.documents import FOLDER as DOCUMENTS_FOLDER
from services.records.extent import ALL, Extent
from services.records.fhir_export import bundle_json
from services.records.printouts import Printout, clinic
from services.records.results import visible_to
from services.records.tables import (
    ClinicalNote,
    Document,
    Encounter,
    ImagingReport,
    LabComponent,
    LabResult,
)

FOLDER = "releases"
BILLING_COLUMNS = [
    "statement_date",
    "service_date",
    "description",
    "charge",
    "insurance_paid",
    "adjustment",
    "patient_owes",
]


@dataclass(frozen=True)
class Package:
    data: bytes
    files: list[str]


def extent_of(row: RecordsRequest) -> Extent:
    parts = frozenset((row.parts or ALL).split(","))
    return Extent(parts, row.date_from, row.date_to)


def _as(row: RecordsRequest) -> Access:
    """The patient's own view of their record, narrowed as the requester's was."""
    return Access("self", frozenset(access.SCOPES), adolescent_limited=bool(row.limited))


def build(
    session: Session,
    row: RecordsRequest,
    recipient: str,
    documents: Collection[uuid.UUID],
    now: datetime,
) -> Package:
    extent, found = extent_of(row), _as(row)
    summary = records._summary(session, row.patient_id)
    files: dict[str, bytes] = {
        "record.pdf": _record_pdf(session, row, summary, extent, found, recipient, now),
        "record-fhir.json": bundle_json(session, row.patient_id, found, now, extent, documents),
    }
    if extent.has("imaging"):
        files["imaging-reports.pdf"] = _imaging_pdf(session, row, summary, extent, now)
    if extent.has("billing"):
        files["billing.csv"] = _billing_csv(session, row, extent)
    for number, (title, suffix, data) in enumerate(_documents(session, row, documents), start=1):
        files[f"documents/{number:02d}-{_safe(title)}{suffix}"] = data
    listing = [
        t(
            "{clinic}: records released for {name} (MRN {mrn})",
            clinic=clinic(),
            name=summary.patient_name,
            mrn=summary.mrn,
        ),
        t(
            "Request {request}, prepared {moment} for {recipient}.",
            request=row.id,
            moment=language.moment(clock.local(now)),
            recipient=recipient,
        ),
        t("What was asked: {what}.", what=extent.words()),
        "",
        *files,
    ]
    files["contents.txt"] = ("\n".join(listing) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return Package(buffer.getvalue(), list(files))


def _safe(title: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-")[:60] or "document"


def _documents(
    session: Session, row: RecordsRequest, chosen: Collection[uuid.UUID]
) -> list[tuple[str, str, bytes]]:
    if not chosen:
        return []
    found = session.scalars(
        select(Document)
        .where(Document.patient_id == row.patient_id, Document.id.in_(list(chosen)))
        .order_by(Document.created_at)
    ).all()
    if len(found) != len(set(chosen)):
        raise NotFound(t("A chosen document is not in this patient's record."))
    out = []
    for d in found:
        data = uploads.read_checked(uploads.folder(DOCUMENTS_FOLDER), d.storage_name, d.sha256)
        if data is None:
            raise NotFound(t("The stored file of '{title}' is missing or damaged.", title=d.title))
        out.append((d.title, uploads.suffix(d.content_type), data))
    return out


def _record_pdf(
    session: Session,
    row: RecordsRequest,
    summary: records.Summary,
    extent: Extent,
    found: Access,
    recipient: str,
    now: datetime,
) -> bytes:
    pdf = Printout(t("Records released"), summary.patient_name, summary.birth_date, clinic())
    pdf.para(t("Medical record number {mrn}", mrn=summary.mrn))
    pdf.para(
        t(
            "Prepared {day} for {recipient}.",
            day=language.day(clock.local(now).date()),
            recipient=recipient,
        )
    )
    pdf.para(t("What was asked: {what}.", what=extent.words()))
    if extent.has(ALL):
        pdf.heading(t("Problems"))
        pdf.rows(
            [
                t("{problem} ({code}), {status}", problem=d, code=c, status=st)
                for c, d, _, st in summary.problems
            ],
            t("None recorded."),
        )
        pdf.heading(t("Medications"))
        pdf.rows([f"{n}: {d}, {f} ({st})" for n, d, f, _, st in summary.medications], t("None."))
        pdf.heading(t("Allergies"))
        pdf.rows([f"{a}: {r} ({sev})" for a, r, sev in summary.allergies], t("None known."))
        pdf.heading(t("Immunizations"))
        pdf.rows(
            [
                t("{vaccine}, {day}", vaccine=v, day=language.day(d))
                for v, d, _ in summary.immunizations
            ],
            t("None recorded."),
        )
    pid, limited = row.patient_id, found.adolescent_limited
    if extent.has("visits"):
        pdf.heading(t("Visits"))
        visits = select(Encounter, Provider.name).join(
            Provider, Provider.id == Encounter.provider_id
        )
        visits = visits.where(
            Encounter.patient_id == pid,
            Encounter.start_at <= now,
            *extent.within(Encounter.start_at),
            *([~records.confidential_visit()] if limited else []),
        ).order_by(Encounter.start_at)
        shown = [
            t(
                "{day}, visit ({kind}) with {provider}: {reason}. {summary}",
                day=language.day(clock.local(v.start_at).date()),
                kind=v.kind,
                provider=who,
                reason=v.reason,
                summary=v.visit_summary or t("No summary written."),
            )
            for v, who in session.execute(visits)
        ]
        pdf.rows(shown, t("No visits in this period."))
    if extent.has("notes"):
        pdf.heading(t("Clinical notes"))
        notes = select(ClinicalNote, Provider.name).join(
            Provider, Provider.id == ClinicalNote.author_provider_id
        )
        notes = notes.where(
            ClinicalNote.patient_id == pid,
            ClinicalNote.released_at.is_not(None),
            ClinicalNote.released_at <= now,
            *extent.within(ClinicalNote.signed_at),
            *([ClinicalNote.sensitive.is_(False)] if limited else []),
        ).order_by(ClinicalNote.signed_at)
        written = 0
        for note, author in session.execute(notes):
            pdf.para(
                t(
                    "{title}, signed {day} by {author}",
                    title=note.title,
                    day=language.day(clock.local(note.signed_at).date()),
                    author=author,
                )
            )
            pdf.para(note.body)
            pdf.ln(2)
            written += 1
        if not written:
            pdf.para(t("No notes in this period."))
    if extent.has("results"):
        pdf.heading(t("Test results"))
        results = session.execute(
            select(LabResult.panel_name, LabResult.collected_at, LabComponent)
            .join(LabComponent, LabComponent.result_id == LabResult.id)
            .where(
                LabResult.patient_id == pid,
                visible_to(found, now),
                *extent.within(LabResult.collected_at),
            )
            .order_by(LabResult.collected_at, LabResult.panel_name, LabComponent.name)
        ).all()
        pdf.rows(
            [
                f"{language.day(clock.local(at).date())} {panel}: {c.name} "
                + (f"{c.value:g}" if c.value is not None else (c.value_text or ""))
                + (f" {c.unit}" if c.unit else "")
                + (f" ({c.flag})" if c.flag else "")
                for panel, at, c in results
            ],
            t("No results in this period."),
        )
    pdf.addenda(addenda.addenda(session, pid, found, extent))
    return bytes(pdf.output())


def _imaging_pdf(
    session: Session,
    row: RecordsRequest,
    summary: records.Summary,
    extent: Extent,
    now: datetime,
) -> bytes:
    pdf = Printout(t("Imaging reports"), summary.patient_name, summary.birth_date, clinic())
    reports = session.scalars(
        select(ImagingReport)
        .where(
            ImagingReport.patient_id == row.patient_id,
            ImagingReport.released_at.is_not(None),
            ImagingReport.released_at <= now,
            *extent.within(ImagingReport.performed_at),
        )
        .order_by(ImagingReport.performed_at)
    ).all()
    for r in reports:
        pdf.heading(f"{r.modality} {r.study}, {language.day(clock.local(r.performed_at).date())}")
        pdf.para(r.report_text)
    if not reports:
        pdf.para(t("No imaging reports in this period."))
    return bytes(pdf.output())


def _billing_csv(session: Session, row: RecordsRequest, extent: Extent) -> bytes:
    query = (
        select(
            Statement.statement_date,
            StatementLine.service_date,
            StatementLine.description,
            StatementLine.charge_cents,
            StatementLine.insurance_paid_cents,
            StatementLine.adjustment_cents,
            StatementLine.patient_cents,
        )
        .join(Statement, Statement.id == StatementLine.statement_id)
        .where(Statement.patient_id == row.patient_id)
        .order_by(StatementLine.service_date)
    )
    if extent.start is not None:
        query = query.where(StatementLine.service_date >= extent.start)
    if extent.end is not None:
        query = query.where(StatementLine.service_date <= extent.end)
    if row.limited:
        query = query.where(StatementLine.sensitive.is_not(True))
    return csv_bytes(
        BILLING_COLUMNS,
        [(*r[:3], *(money.amount(c) for c in r[3:])) for r in session.execute(query)],
    )


def store(package: Package) -> tuple[str, str]:
    """Keep the package encrypted; returns (storage name, SHA-256 of the zip)."""
    name = uuid.uuid4().hex
    private_files.write_private(uploads.folder(FOLDER) / name, crypto.encrypt(package.data))
    return name, hashlib.sha256(package.data).hexdigest()


def load(row: RecordsRequest) -> bytes:
    """The package as it was built for this request."""
    if not row.package_name or not row.package_sha256:
        raise NotFound(t("No package was built for this request."))
    path = uploads.folder(FOLDER) / row.package_name
    data = crypto.decrypt(path.read_bytes()) if path.exists() else b""
    if hashlib.sha256(data).hexdigest() != row.package_sha256:
        raise NotFound(t("The stored package is missing or damaged; build it again."))
    return data
