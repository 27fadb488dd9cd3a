"""Create a patient account: match your record, choose your sign-in, verify your email."""

from __future__ import annotations

from datetime import date

import streamlit as st

from pages.components import navigation, state
from pages.components.widgets import caregiver_account, help_link, new_password
from services.core.errors import AuthenticationFailed
from services.core.language import t
from services.identity import passwords, registration

TICKET = "register_ticket"
NAMES = "register_names"

st.title(t("Create your patient account"))


def _identity_step() -> None:
    st.write(
        t(
            "First we match you to your patient record. Enter your name and date of birth as the "
            "clinic has them, and your medical record number, the activation code the clinic gave "
            "you, or both."
        )
    )
    with st.form("register_identity"):
        first = st.text_input(t("First name"), key="register_first", max_chars=80)
        last = st.text_input(t("Last name"), key="register_last", max_chars=80)
        born = st.date_input(
            t("Date of birth"),
            key="register_birth",
            value=None,
            min_value=date(1900, 1, 1),
            format="YYYY-MM-DD",
        )
        mrn = st.text_input(
            t("Medical record number"),
            key="register_mrn",
            max_chars=16,
            help=t("Only digits. It is printed on your visit papers and your bills."),
        )
        code = st.text_input(
            t("Activation code"),
            key="register_code",
            max_chars=14,
            placeholder="ABCDE-23456",
            help=t(
                "Ten letters and digits the clinic gives you. It works once, for 30 days. You "
                "need it or your medical record number."
            ),
        )
        submitted = st.form_submit_button(t("Continue"), type="primary")
    if submitted:
        with state.service_errors():
            st.session_state[TICKET] = registration.registration_match(
                first_name=first, last_name=last, birth_date=born, mrn=mrn, activation_code=code
            )
            st.session_state[NAMES] = (first, last)
            st.rerun()


def _account_step(ticket: str) -> None:
    st.success(t("We found your record. Now choose how you will sign in."))
    email = st.text_input(t("Email"), key="register_email", max_chars=254)
    phone = st.text_input(t("Mobile phone (optional)"), key="register_phone", max_chars=24)
    username = st.text_input(t("Username"), key="register_username", max_chars=64)
    password = new_password(t("Password"), "register_password")
    if password:
        strength = passwords.password_strength(
            password, (*st.session_state.get(NAMES, ()), username, email)
        )
        st.progress(
            (strength.score + 1) / 5,
            text=t("Strength: {label}. {hint}", label=strength.label, hint=strength.hint),
        )
    accept = st.checkbox(
        t(
            "I accept the portal's terms of use (version {version}).",
            version=registration.TERMS_VERSION,
        ),
        key="register_terms",
    )
    if st.button(t("Create account"), type="primary", key="register_create"):
        with state.service_errors():
            try:
                registration.registration_create(
                    ticket=ticket,
                    email=email,
                    phone=phone,
                    username=username,
                    password=password,
                    accept_terms=accept,
                )
            except AuthenticationFailed:
                st.session_state.pop(TICKET, None)  # the match expired: start again
                raise
            st.session_state.pop(TICKET, None)
            st.session_state["verify_username"] = username.strip().lower()
            st.switch_page(navigation.VERIFY.path)


def _caregiver_step() -> None:
    st.write(
        t(
            "A caregiver account lets you help with someone else's care: they invite you, or you "
            "ask for access with the legal documents (a parent, a guardian, a power of attorney)."
        )
    )
    details = caregiver_account("register_caregiver")
    if details is not None:
        with state.service_errors():
            registration.caregiver_registration_create(details)
            st.session_state["verify_username"] = details.username.strip().lower()
            st.switch_page(navigation.VERIFY.path)


ticket = st.session_state.get(TICKET)
caregiver = (
    st.radio(
        t("Who is this account for?"),
        ["me", "caregiver"],
        format_func={
            "me": t("Me, a patient of the clinic"),
            "caregiver": t("I care for someone else and am not a patient here"),
        }.get,
        key="register_who",
        horizontal=True,
        disabled=isinstance(ticket, str),
    )
    == "caregiver"
)
if caregiver:
    _caregiver_step()
elif isinstance(ticket, str):
    _account_step(ticket)
    if st.button(t("Start again"), key="register_restart"):
        st.session_state.pop(TICKET, None)
        st.rerun()
else:
    _identity_step()
st.page_link(navigation.SIGN_IN.path, label=t("Already have an account? Sign in"))
help_link()
