"""A patient's authorization to release records to a third party (HIPAA 164.508): valid only when
it names what is disclosed, who discloses, the recipient, the purpose, an end date or event, and
is signed and dated. The discloser is always the clinic (the service stamps its name). Every
missing or bad element is named; nothing is accepted in part."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.core.contact import EMAIL_RE
from services.core.errors import ValidationError
from services.core.language import t
from services.records.extent import PARTS

MAX_TEXT = 200


@dataclass(frozen=True)
class Authorization:
    recipient_name: str
    recipient_address: str  # a postal address or an email address
    purpose: str
    parts: frozenset[str]
    ends_on: date | None  # an end date, or
    end_event: str  # an end event ("when my claim is settled")
    signature: str  # the signer's typed full name
    signed_on: date | None


def _text(fields: dict[str, str], name: str, value: str, missing: str) -> str:
    value = (value or "").strip()
    if not value:
        fields[name] = missing
    elif len(value) > MAX_TEXT or any(ord(ch) < 32 for ch in value):
        fields[name] = t("Use at most {limit} letters, digits and punctuation.", limit=MAX_TEXT)
    return value


def checked(form: Authorization, signer_name: str, today: date) -> Authorization:
    """The authorization with its text trimmed, or ValidationError naming every element that
    a valid authorization needs and this one lacks. `signer_name` is the patient's (or their
    representative's) full name, which the typed signature must match."""
    fields: dict[str, str] = {}
    recipient = _text(
        fields, "recipient_name", form.recipient_name, t("Name who receives the records.")
    )
    address = _text(
        fields,
        "recipient_address",
        form.recipient_address,
        t("Give the recipient's address or email."),
    )
    if "@" in address and not EMAIL_RE.match(address):
        fields["recipient_address"] = t("Enter an email address like records@clinic.example.")
    purpose = _text(
        fields, "purpose", form.purpose, t("Say why the records are released (or 'at my request').")
    )
    if not form.parts:
        fields["parts"] = t("Choose what is released.")
    elif form.parts - set(PARTS):
        fields["parts"] = t("Choose from the listed parts of the record.")
    event = (form.end_event or "").strip()
    if form.ends_on is None and not event:
        fields["ends_on"] = t("Give the date or event when this authorization ends.")
    elif form.ends_on is not None and form.ends_on <= today:
        fields["ends_on"] = t("The end date must be after today.")
    elif len(event) > MAX_TEXT:
        fields["ends_on"] = t(
            "Describe the end event in at most {limit} characters.", limit=MAX_TEXT
        )
    signature = " ".join((form.signature or "").split())
    if not signature:
        fields["signature"] = t("Sign by typing your full name.")
    elif signature.casefold() != " ".join(signer_name.split()).casefold():
        fields["signature"] = t(
            "Type your full name as the clinic has it: {signer_name}.", signer_name=signer_name
        )
    if form.signed_on is None:
        fields["signed_on"] = t("Date your signature.")
    elif form.signed_on != today:
        fields["signed_on"] = t("Date your signature today.")
    if fields:
        raise ValidationError(fields)
    return Authorization(
        recipient, address, purpose, form.parts, form.ends_on, event, signature, form.signed_on
    )
