"""Print-ready PDFs (a visit summary, the record summary) and the results as CSV.

Every PDF page carries the patient's name and date of birth in its header, as printed records
must. Text is set in DejaVu Sans (shipped in services/assets, Unicode) with fpdf2, so names and
notes in any script print as written.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from pathlib import Path

from fpdf import FPDF
from sqlalchemy import select

from services.core import access, clock, language
from services.core.access import Actor
from services.core.errors import NotFound
from services.core.language import t
from services.core.models import Provider
from services.core.spreadsheet import csv_bytes
from services.core.work import patient_work
from services.records import addenda, records
from services.records.results import visible_to
from services.records.tables import Encounter, LabComponent, LabResult

ASSETS = Path(__file__).resolve().parent / "assets"


class Printout(FPDF):
    """A Letter-size PDF whose every page names the patient, their birth date and the clinic."""

    def __init__(self, title: str, patient_name: str, birth_date: date, clinic: str) -> None:
        super().__init__(format="Letter")
        self.add_font("DejaVu", "", str(ASSETS / "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", str(ASSETS / "DejaVuSans-Bold.ttf"))
        self.doc_title, self.patient, self.birth, self.clinic = (
            title,
            patient_name,
            birth_date,
            clinic,
        )
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title(title)
        self.add_page()

    def header(self) -> None:
        self.set_font("DejaVu", "B", 9)
        self.cell(
            0,
            5,
            t("{name} · born {day}", name=self.patient, day=language.day(self.birth)),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        self.set_font("DejaVu", "", 8)
        self.cell(0, 4, f"{self.clinic} · {self.doc_title}", new_x="LMARGIN", new_y="NEXT")
        self.ln(3)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", "", 8)
        self.cell(
            0,
            5,
            t(
                "Printed {moment} · page {page} of {pages}",
                moment=language.moment(clock.local(clock.now())),
                page=self.page_no(),
                pages="{nb}",  # fpdf2 writes the page count here
            ),
        )

    def heading(self, text: str) -> None:
        self.ln(2)
        self.set_font("DejaVu", "B", 12)
        self.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font("DejaVu", "", 10)

    def para(self, text: str) -> None:
        """A paragraph, kept on one page when it fits on one (never split by a page break)."""
        self.set_font("DejaVu", "", 10)
        lines = self.multi_cell(0, 5, text, dry_run=True, output="LINES")
        assert isinstance(lines, list)
        height = 5 * len(lines)
        if height <= self.eph and self.y + height > self.page_break_trigger:
            self.add_page()
        self.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")

    def rows(self, lines: list[str], empty: str) -> None:
        for line in lines or [empty]:
            self.para(f"• {line}" if lines else line)

    def addenda(self, found: list[addenda.Addendum]) -> None:
        """Amendments and statements of disagreement, each naming the item it belongs to."""
        if found:
            self.heading(t("Amendments and statements of disagreement"))
            self.rows([a.line() for a in found], "")


def clinic() -> str:
    from services.core.config import settings

    return settings().clinic_name


def summary_pdf(*, actor: Actor, patient_id: uuid.UUID) -> bytes:
    """The record summary: problems, medications, allergies, immunizations, latest results."""
    with patient_work(actor, patient_id, "records.summary_pdf", access.RECORDS) as (session, found):
        s = records._summary(session, patient_id)
        extra = addenda.addenda(session, patient_id, found)
        latest: list[tuple[str, datetime]] = []
        if access.RESULTS in found.scopes:
            latest = [
                (r.panel_name, r.collected_at)
                for r in session.execute(
                    select(LabResult.panel_name, LabResult.collected_at)
                    .where(LabResult.patient_id == patient_id, visible_to(found, clock.now()))
                    .order_by(LabResult.collected_at.desc())
                    .limit(15)
                )
            ]
    pdf = Printout(t("Health record summary"), s.patient_name, s.birth_date, clinic())
    pdf.para(t("Medical record number {mrn}", mrn=s.mrn))
    pdf.heading(t("Problems"))
    pdf.rows(
        [
            t(
                "{problem} ({code}), {status}, since {day}",
                problem=d,
                code=c,
                status=st,
                day=language.day(o),
            )
            if o
            else t("{problem} ({code}), {status}", problem=d, code=c, status=st)
            for c, d, o, st in s.problems
        ],
        t("None recorded."),
    )
    pdf.heading(t("Medications"))
    pdf.rows(
        [
            t(
                "{name}: {dose}, {frequency} (since {day}, {status})",
                name=n,
                dose=d,
                frequency=f,
                day=language.day(start),
                status=st,
            )
            for n, d, f, start, st in s.medications
        ],
        t("None recorded."),
    )
    pdf.heading(t("Allergies"))
    pdf.rows([f"{sub}: {r} ({sev})" for sub, r, sev in s.allergies], t("No known allergies."))
    pdf.heading(t("Immunizations"))
    pdf.rows(
        [
            t("{vaccine}, {day}, lot {lot}", vaccine=v, day=language.day(d), lot=lot)
            if lot
            else t("{vaccine}, {day}", vaccine=v, day=language.day(d))
            for v, d, lot in s.immunizations
        ],
        t("None recorded."),
    )
    if latest:
        pdf.heading(t("Latest test results"))
        pdf.rows(
            [
                t("{test}, collected {day}", test=name, day=language.day(clock.local(at).date()))
                for name, at in latest
            ],
            "",
        )
    pdf.addenda(extra)
    return bytes(pdf.output())


def visit_pdf(*, actor: Actor, patient_id: uuid.UUID, encounter_id: uuid.UUID) -> bytes:
    """One visit's after-visit summary."""
    with patient_work(actor, patient_id, "records.visit_pdf", access.RECORDS) as (session, found):
        row = session.execute(
            select(Encounter, Provider.name, Provider.credentials)
            .join(Provider, Provider.id == Encounter.provider_id)
            .where(
                Encounter.id == encounter_id,
                Encounter.patient_id == patient_id,
                Encounter.start_at <= clock.now(),
                *([~records.confidential_visit()] if found.adolescent_limited else []),
            )
        ).first()
        if row is None:
            raise NotFound(t("We could not find that visit."))
        visit, provider, credentials = row
        s = records._summary(session, patient_id)
    pdf = Printout(t("Visit summary"), s.patient_name, s.birth_date, clinic())
    pdf.heading(
        t(
            "Visit ({kind}) on {moment}",
            kind=visit.kind,
            moment=language.moment(clock.local(visit.start_at)),
        )
    )
    pdf.para(t("With {provider}, {credentials}", provider=provider, credentials=credentials))
    pdf.para(t("Reason: {reason}", reason=visit.reason))
    pdf.heading(t("Summary"))
    pdf.para(visit.visit_summary or t("No summary was written for this visit."))
    pdf.heading(t("Current medications"))
    pdf.rows([f"{n}: {d}, {f}" for n, d, f, _, st in s.medications if st == "active"], t("None."))
    pdf.heading(t("Allergies"))
    pdf.rows([f"{sub}: {r} ({sev})" for sub, r, sev in s.allergies], t("No known allergies."))
    return bytes(pdf.output())


RESULT_COLUMNS = [
    "collected_at",
    "test",
    "component",
    "loinc",
    "value",
    "unit",
    "reference_low",
    "reference_high",
    "flag",
]


def results_csv(*, actor: Actor, patient_id: uuid.UUID) -> bytes:
    """Every released result component as CSV (cells a spreadsheet will not run)."""
    with patient_work(actor, patient_id, "results.csv_export", access.RESULTS) as (session, found):
        rows = session.execute(
            select(
                LabResult.collected_at,
                LabResult.panel_name,
                LabComponent.name,
                LabComponent.loinc,
                LabComponent.value,
                LabComponent.unit,
                LabComponent.ref_low,
                LabComponent.ref_high,
                LabComponent.flag,
            )
            .join(LabComponent, LabComponent.result_id == LabResult.id)
            .where(LabResult.patient_id == patient_id, visible_to(found, clock.now()))
            .order_by(LabResult.collected_at, LabComponent.name)
        ).all()
    return csv_bytes(RESULT_COLUMNS, rows)
