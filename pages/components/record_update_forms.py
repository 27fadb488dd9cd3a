"""The forms of a record update (a death, an adoption), shared by a proxy's page and HIM's."""

from __future__ import annotations

from datetime import date

import streamlit as st

from pages.components.widgets import choose
from services.core import clock
from services.core.language import t
from services.him import updates


def _day(label: str, key: str) -> date | None:
    """A past day (empty until chosen)."""
    return st.date_input(
        label,
        value=None,
        min_value=date(1900, 1, 1),
        max_value=clock.today(),
        format="YYYY-MM-DD",
        key=key,
    )


def _person(key: str) -> updates.Person:
    first, middle, last = st.columns(3)
    return updates.Person(
        first.text_input(t("Patient's first name"), max_chars=80, key=f"{key}_first"),
        middle.text_input(t("Middle name (if any)"), max_chars=80, key=f"{key}_middle"),
        last.text_input(t("Last name"), max_chars=80, key=f"{key}_last"),
        _day(t("Patient's date of birth"), f"{key}_birth"),
        st.text_input(t("Medical record number (if known)"), max_chars=16, key=f"{key}_mrn"),
    )


def death_form(key: str) -> updates.DeathReport | None:
    """The facts a deceased notification needs; the report when submitted."""
    with st.form(key):
        person = _person(key)
        died = _day(t("Date of death"), f"{key}_died")
        reporter = st.text_input(t("Your first and last name"), max_chars=160, key=f"{key}_rname")
        relation = st.text_input(
            t("Your relationship to the patient"), max_chars=40, key=f"{key}_relation"
        )
        phone = st.text_input(t("Your phone number"), max_chars=24, key=f"{key}_phone")
        if not st.form_submit_button(t("Send the notification"), type="primary"):
            return None
    return updates.DeathReport(person, died, reporter, relation, phone)


def adoption_form(key: str) -> updates.AdoptionNotice | None:
    """An adoption with its legal document; the notice when submitted."""
    st.caption(
        t(
            "Accepted documents: {accepted}. Not accepted: {refused}.",
            accepted="; ".join(t(w) for w in updates.ACCEPTED_DOCUMENTS.values()),
            refused="; ".join(t(w).lower() for w in updates.REFUSED_DOCUMENTS.values()),
        )
    )
    with st.form(key):
        person = _person(key)
        kind = choose(t("The legal document you send"), updates.DOCUMENT_TYPES, f"{key}_doctype")
        upload = st.file_uploader(
            t("The document, in its entirety (PDF, PNG or JPEG)"),
            type=["pdf", "png", "jpg", "jpeg"],
            key=f"{key}_file",
        )
        adopted = _day(t("Date of the adoption"), f"{key}_adopted")
        new_first, new_last = st.columns(2)
        first = new_first.text_input(
            t("New first name (if it changes)"), max_chars=80, key=f"{key}_nf"
        )
        last = new_last.text_input(
            t("New last name (if it changes)"), max_chars=80, key=f"{key}_nl"
        )
        parents = st.text_input(t("Adoptive parents' names"), max_chars=200, key=f"{key}_parents")
        if not st.form_submit_button(t("Send the adoption notice"), type="primary"):
            return None
    return updates.AdoptionNotice(
        person,
        kind,
        upload.name if upload else "",
        upload.getvalue() if upload else b"",
        adopted,
        first,
        last,
        parents,
    )
