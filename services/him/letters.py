"""The letters HIM sends through the portal as PDFs: a denial of access (164.524(d)), in plain
language, with the ground, whether the patient may have it reviewed and how, and how to
complain to the clinic and to the Secretary of Health and Human Services."""

from __future__ import annotations

from datetime import date

from services.core import clock, language
from services.core.language import N_, t
from services.core.models import Patient
from services.him.request_terms import DENIAL_GROUNDS, KINDS
from services.him.tables import RecordsRequest
from services.records.printouts import Printout, clinic

REVIEW = N_(
    "You may ask that this denial be reviewed. A licensed health care professional chosen by "
    "the clinic, who did not take part in the original decision, will review it, and we will "
    "do what the reviewer decides. To ask for a review, reply to this letter through the "
    "patient portal's messages to the records office, or write to the Health Information "
    "Management office."
)
NO_REVIEW = N_("The law does not give a right to have a denial on this ground reviewed.")
COMPLAIN = N_(
    "If you believe your privacy rights were not respected, you may complain to the clinic's "
    "privacy officer, or to the Secretary of the U.S. Department of Health and Human Services "
    "(Office for Civil Rights, www.hhs.gov/ocr/complaints). You will not be treated differently "
    "for complaining."
)


def _letter(title: str, row: RecordsRequest, patient: Patient) -> tuple[Printout, date]:
    """A letter's page with its date and greeting; returns it and the day the request came."""
    name = f"{patient.first_name} {patient.last_name}"
    pdf = Printout(title, name, patient.birth_date, clinic())
    pdf.para(language.day(clock.local(row.completed_at or clock.now()).date()))
    pdf.ln(2)
    pdf.para(t("Dear {name},", name=name))
    pdf.ln(1)
    return pdf, clock.local(row.received_at).date()


def _ending(pdf: Printout) -> bytes:
    pdf.heading(t("How to complain"))
    pdf.para(t(COMPLAIN))
    pdf.ln(2)
    pdf.para(t("Health Information Management, {clinic}", clinic=clinic()))
    return bytes(pdf.output())


def denial_letter(row: RecordsRequest, patient: Patient) -> bytes:
    ground = DENIAL_GROUNDS[row.denial_ground or "not_held"]
    pdf, received = _letter(t("Denial of a records request"), row, patient)
    pdf.para(
        t(
            "On {day} we received your request: {kind} ({details}). We cannot fulfil it, for "
            "this reason:",
            day=language.day(received),
            kind=t(KINDS[row.kind]).lower(),
            details=row.details,
        )
    )
    pdf.heading(t("Reason"))
    pdf.para(t(ground.words))
    if row.denial_note:
        pdf.para(row.denial_note)
    pdf.heading(t("Your right to a review"))
    pdf.para(t(REVIEW if ground.reviewable else NO_REVIEW))
    pdf.heading(t("Other parts of your record"))
    pdf.para(
        t(
            "You may still see the rest of your record in the patient portal, and ask for any "
            "part of it this denial does not cover."
        )
    )
    return _ending(pdf)


def amendment_denial_letter(
    patient: Patient, row: RecordsRequest, item: str, ground: str, note: str | None
) -> bytes:
    """164.526(d): the basis, the right to a statement of disagreement (or to have the request
    and this denial sent with future disclosures of the item), and how to complain."""
    pdf, received = _letter(t("Denial of an amendment request"), row, patient)
    pdf.para(
        t(
            "On {day} you asked us to amend your record ({item}). We did not accept the "
            "amendment, for this reason:",
            day=language.day(received),
            item=item,
        )
    )
    pdf.heading(t("Reason"))
    pdf.para(ground)
    if note:
        pdf.para(note)
    pdf.heading(t("Your right to disagree"))
    pdf.para(
        t(
            "You may file a statement of disagreement with this decision in the patient portal, "
            "under 'Records requests'. Your statement, and any response from the clinic, will "
            "be kept with the item and included whenever the item is shown or disclosed. If you "
            "do not file one, you may ask that your request and this letter be included with "
            "any future disclosure of the item."
        )
    )
    return _ending(pdf)
