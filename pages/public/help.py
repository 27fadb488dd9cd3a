"""Help, signed in or not: registering, activation codes, the second step and recovery codes,
trouble signing in, caregivers, records requests, bills, and whom to call."""

from __future__ import annotations

import streamlit as st

from pages.components import navigation, state
from pages.components.widgets import table
from services.core import support
from services.core.config import settings
from services.core.language import t

st.title(t("Help"))
contacts = support.contacts()
signed_out = state.actor() is None
st.write(
    t(
        "Answers to common questions about the {clinic} patient portal. In an emergency, call 911.",
        clinic=settings().clinic_name,
    )
)

with st.expander(t("Creating your account"), expanded=True):
    st.write(
        t(
            "Choose Create an account on the sign-in page. We match you to your patient record "
            "with your name, your date of birth and your medical record number (printed on "
            "your visit papers) or an activation code from the clinic. Then you choose a "
            "username and a password, and we email you a code to confirm your address."
        )
    )
    if signed_out:  # the public pages are in the navigation only before signing in
        st.page_link(navigation.REGISTER.path, label=t("Create an account"))
with st.expander(t("Activation codes")):
    st.write(
        t(
            "An activation code has 10 letters and digits, like ABCDE-23456. The front desk or "
            "the help desk gives you one. It works once and for 30 days. If yours has expired, "
            "ask for a new one."
        )
    )
with st.expander(t("The second sign-in step and recovery codes")):
    st.write(
        t(
            "A second step keeps your account safe even if someone learns your password. After "
            "your password, you type the 6-digit code from an authenticator app on your "
            "phone, or a code we send by email or text. Switch it on under Your account."
        )
    )
    st.write(
        t(
            "When you switch it on, you get recovery codes. Keep them somewhere safe: each one "
            "signs you in once if you lose your phone. You can make new ones under Your account; "
            "the old ones then stop working."
        )
    )
with st.expander(t("Trouble signing in")):
    st.write(
        t(
            "Use a current version of Chrome, Edge, Firefox or Safari, and allow cookies for "
            "this site: the portal keeps you signed in with one. After several wrong passwords, "
            "sign-in pauses for a few minutes to protect your account; wait, then try again. "
            "Sessions end after a while without activity."
        )
    )
    if signed_out:
        st.page_link(navigation.RECOVER.path, label=t("Forgot your username or password?"))
with st.expander(t("Helping someone else (caregivers)")):
    st.write(
        t(
            "A patient can invite you to see parts of their record under Proxy access. A parent "
            "or a legal guardian can ask for access with the legal documents; the clinic's "
            "health information office checks them. A teen's confidential information is not "
            "shown to parents once the child is 12."
        )
    )
with st.expander(t("Copies of your records")):
    st.write(
        t(
            "Under Records requests you can download a copy of your record, send it to someone "
            "else, ask for a list of disclosures, or ask for a correction. The clinic has 30 "
            "days to send records (60 for a list of disclosures or a correction)."
        )
    )
with st.expander(t("Bills and payments")):
    st.write(
        t(
            "Under Billing you can see your statements, pay online, start a payment plan, or "
            "apply for financial assistance. Questions about a bill go to the billing office."
        )
    )

st.subheader(t("Whom to call"))
table(
    {
        t("For"): [
            t("Help with the portal ({hours})", hours=contacts.help_desk_hours),
            t("Appointments and medical questions"),
            t("Bills and payments"),
            t("Medical records"),
        ],
        t("Phone"): [
            contacts.help_desk_phone,
            contacts.clinic_phone,
            contacts.billing_phone,
            contacts.records_phone,
        ],
    },
    empty="",
    static=True,
)
