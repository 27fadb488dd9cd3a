"""Checked contact details: an email address and a mobile number, as every form takes them."""

from __future__ import annotations

import re

from services.core.language import t

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


def contact_fields(fields: dict[str, str], email: str, phone: str | None) -> tuple[str, str | None]:
    """A checked email and mobile number (digits only), adding field messages for bad ones."""
    email = (email or "").strip()
    if not EMAIL_RE.match(email) or len(email) > 254:
        fields["email"] = t("Enter an email address like name@example.org.")
    return email, phone_field(fields, "phone", phone)


def phone_field(fields: dict[str, str], name: str, phone: str | None) -> str | None:
    """A checked phone number (digits only), or a message in `fields`."""
    digits = re.sub(r"[\s().-]", "", phone or "")
    if digits and not re.fullmatch(r"\+?\d{10,15}", digits):
        fields[name] = t("Enter a phone number of 10 to 15 digits, like +1 555 010 0199.")
    return digits or None
