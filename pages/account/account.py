"""Your account: contact details, notifications, password, two-step verification, activity."""

from __future__ import annotations

import streamlit as st

from pages.components import state
from pages.components.format import plain, when
from pages.components.widgets import new_password, table
from services.core import language
from services.core.access import ROLES
from services.core.language import N_, t, tn
from services.identity import account

ENROLMENT = "account_enrolment"

WAITING_WORDS = {
    account.EMAIL: (
        N_("We sent a code to your new address. Your email stays as it is until you enter it."),
        N_("New address: {address}"),
        N_("Code from the email"),
    ),
    account.PHONE: (
        N_(
            "We texted a code to your new mobile number. Your number stays as it is until you "
            "enter it."
        ),
        N_("New number: {address}"),
        N_("Code from the text message"),
    ),
}


def _waiting_change(kind: str, address: str) -> None:
    """The code form for a new email address or mobile number that waits for its code."""
    told, named, label = WAITING_WORDS[kind]
    st.info(t(told))
    st.text(t(named, address=address))
    with st.form(f"account_{kind}_confirm"):
        code = st.text_input(t(label), key=f"account_{kind}_code", max_chars=8)
        confirm = st.form_submit_button(t("Confirm"))
        cancel = st.form_submit_button(t("Keep my current details"))
    if confirm:
        with state.service_errors():
            account.contact_change_confirm(actor=actor, kind=kind, code=code)
            st.success(t("Your contact details are changed."))
            st.rerun()
    if cancel:
        with state.service_errors():
            account.contact_change_cancel(actor=actor, kind=kind)
            st.rerun()


actor = state.guard(*ROLES)
st.title(t("Your account"))

with state.service_errors():
    view = account.account_overview(actor=actor)
    st.caption(t("Signed in as {username}", username=plain(view.username)))

    st.subheader(t("Language"))
    codes = list(language.LANGUAGES)
    chosen = st.selectbox(
        t("Language of the portal and of its emails and texts to you"),
        codes,
        index=codes.index(actor.language),
        format_func=language.LANGUAGES.__getitem__,
        key="account_language",
    )
    if chosen != actor.language:
        account.language_update(actor=actor, code=chosen)
        st.rerun()  # the frame reads the account's language afresh

    st.subheader(t("Contact details"))
    with st.form("account_contact"):
        email = st.text_input(
            t("Email"), value=view.email or "", key="account_email", max_chars=254
        )
        phone = st.text_input(
            t("Mobile phone"), value=view.phone or "", key="account_phone", max_chars=24
        )
        password = st.text_input(
            t("Current password (to confirm)"), type="password", key="account_contact_password"
        )
        if st.form_submit_button(t("Save contact details")):
            with state.service_errors():
                if account.contact_update(actor=actor, password=password, email=email, phone=phone):
                    st.rerun()  # shows the code form for the new address
                st.success(t("Contact details saved."))
    for kind, waiting in ((account.EMAIL, view.pending_email), (account.PHONE, view.pending_phone)):
        if waiting:
            _waiting_change(kind, waiting)

    st.subheader(t("Notifications"))
    st.caption(t("Security messages (sign-in and password changes) always go to your email."))
    with st.form("account_preferences"):
        preferences: dict[str, account.Channels] = {}
        for kind, channels in view.preferences.items():
            left, right = st.columns(2)
            preferences[kind] = account.Channels(
                left.checkbox(
                    t("{kind} by email", kind=t(account.KIND_WORDS[kind])),
                    value=channels.email,
                    key=f"pref_{kind}_email",
                ),
                right.checkbox(
                    t("{kind} by text message", kind=t(account.KIND_WORDS[kind])),
                    value=channels.sms,
                    key=f"pref_{kind}_sms",
                ),
            )
        if st.form_submit_button(t("Save notification choices")):
            with state.service_errors():
                account.preferences_update(actor=actor, preferences=preferences)
                st.success(t("Notification choices saved."))

    st.subheader(t("Password"))
    with st.form("account_password"):
        current = st.text_input(
            t("Current password"), type="password", key="account_current_password"
        )
        new = new_password(t("New password"), "account_new_password")
        if st.form_submit_button(t("Change password")):
            with state.service_errors():
                ended = account.password_change(
                    actor=actor, token=state.token() or "", current=current, new=new
                )
                st.success(
                    tn(
                        "Password changed. {count} other session signed out.",
                        "Password changed. {count} other sessions signed out.",
                        ended,
                    )
                )

    st.subheader(t("Two-step verification"))
    enrolment = st.session_state.get(ENROLMENT)
    if enrolment is not None:
        st.image(enrolment.qr_svg, caption=t("Scan with your authenticator app"), width=220)
        st.text_input(
            t("Key for manual entry"), value=enrolment.secret, disabled=True, key="account_key"
        )
        with st.form("account_totp_finish"):
            code = st.text_input(
                t("Code from your authenticator app"), key="account_totp_code", max_chars=8
            )
            if st.form_submit_button(t("Switch on")):
                with state.service_errors():
                    st.session_state[state.RECOVERY_CODES] = account.second_factor_finish(
                        actor=actor, code=code
                    )
                    del st.session_state[ENROLMENT]
                    st.rerun()
    elif view.second_factor_on:
        st.success(
            tn(
                "On. {count} unused recovery code left.",
                "On. {count} unused recovery codes left.",
                view.recovery_codes_left,
            )
        )
        with st.form("account_totp_manage"):
            confirm = st.text_input(
                t("Current password (to confirm)"), type="password", key="account_mfa_password"
            )
            renew = st.form_submit_button(t("New recovery codes"))
            off = False if view.must_keep_second_factor else st.form_submit_button(t("Switch off"))
        if renew:
            with state.service_errors():
                st.session_state[state.RECOVERY_CODES] = account.recovery_codes_renew(
                    actor=actor, password=confirm
                )
                st.rerun()
        if off:
            with state.service_errors():
                account.second_factor_off(actor=actor, password=confirm)
                st.rerun()
    else:
        st.info(t("Off. Add a second step with an authenticator app to protect your account."))
        with st.form("account_totp_start"):
            confirm = st.text_input(
                t("Current password (to confirm)"),
                type="password",
                key="account_mfa_start_password",
            )
            if st.form_submit_button(t("Set up an authenticator app")):
                with state.service_errors():
                    st.session_state[ENROLMENT] = account.second_factor_start(
                        actor=actor, password=confirm
                    )
                    st.rerun()

    st.subheader(t("Recent sign-in activity"))
    activity = account.sign_in_activity(actor=actor)
    table(
        {
            t("When"): [when(a.at) for a in activity],
            t("What"): [a.what for a in activity],
            t("Outcome"): [a.outcome for a in activity],
        },
        empty=t("No activity yet."),
    )

    patient_id = state.acting_patient()
    if patient_id is not None and patient_id == actor.patient_id:
        st.subheader(t("Who has opened your record"))
        seen = account.record_access_log(actor=actor, patient_id=patient_id)
        table(
            {
                t("When"): [when(a.at) for a in seen],
                t("Who"): [a.who for a in seen],
                t("Role"): [a.role for a in seen],
                t("Part of the record"): [a.what for a in seen],
            },
            empty=t("Nobody else has opened your record."),
        )
