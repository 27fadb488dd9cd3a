"""Your account: contact details, notifications, password, two-step verification, passkeys and
security keys, activity."""

from __future__ import annotations

from functools import partial

import streamlit as st

from pages.components import authenticator, state
from pages.components.format import plain, when
from pages.components.webauthn import ceremony
from pages.components.widgets import choose, new_password, table
from services.core import language
from services.core.access import ROLES
from services.core.language import N_, t, tn
from services.identity import account, browsers, passkeys

ENROLMENT = "account_enrolment"
PASSKEY_ADD = "account_passkey_add"  # (options, name) while the browser makes one

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


def _browsers() -> None:
    """The browsers the account signed in from: which are trusted, forgetting one or all."""
    st.subheader(t("Browsers you signed in from"))
    st.caption(
        t(
            "What each browser says it is, so the names are approximate. A sign-in from a "
            "browser not listed here is told to your email address. A trusted browser skips "
            "the second step until the date shown."
        )
    )
    found = browsers.browsers_list(actor=actor, browser=authenticator.this_browser())
    table(
        {
            t("Browser"): [
                t("{browser} (this browser)", browser=b.description)
                if b.this_browser
                else b.description
                for b in found
            ],
            t("First used"): [when(b.first_used_at) for b in found],
            t("Last used"): [when(b.last_used_at) for b in found],
            t("Trusted until"): [
                when(b.trusted_until) if b.trusted_until else t("Not trusted") for b in found
            ],
        },
        empty=t("None yet."),
        static=True,
    )
    if not found:
        return
    names = {b.browser_id: f"{b.description}, {when(b.last_used_at)}" for b in found}
    with st.form("browsers_forget"):
        chosen = st.selectbox(
            t("Browser"), list(names), format_func=names.__getitem__, key="browser_pick"
        )
        one = st.form_submit_button(t("Forget this browser"))
        every = st.form_submit_button(t("Forget every browser"))
    if one and chosen is not None:
        state.act(partial(browsers.browser_forget, actor=actor, browser_id=chosen), t("Forgotten."))
    if every:
        state.act(
            partial(browsers.browsers_forget_all, actor=actor), t("Every browser is forgotten.")
        )


def _passkeys() -> None:
    """The account's passkeys and security keys: the list, a rename, a removal, adding one."""
    st.subheader(t("Passkeys and security keys"))
    st.caption(
        t(
            "A passkey signs you in with your phone's or computer's screen lock (a PIN, a "
            "fingerprint or your face), with no password and no code, and a fake site cannot "
            "use it. A security key (a small USB or NFC device) is a second step after your "
            "password."
        )
    )
    keys = passkeys.credentials(actor=actor)
    table(
        {
            t("Name"): [k.name for k in keys],
            t("Kind"): [t(passkeys.KINDS[k.kind]) for k in keys],
            t("Added"): [when(k.created_at) for k in keys],
            t("Last used"): [
                when(k.last_used_at) if k.last_used_at else t("Not yet") for k in keys
            ],
        },
        empty=t("None yet."),
        static=True,
    )
    if keys:
        names = {k.credential_id: k.name for k in keys}
        with st.form("passkey_manage"):
            chosen = st.selectbox(
                t("Passkey or security key"),
                list(names),
                format_func=names.__getitem__,
                key="passkey_pick",
            )
            new_name = st.text_input(
                t("New name"), max_chars=passkeys.MAX_NAME, key="passkey_rename"
            )
            confirm = st.text_input(
                t("Current password (to remove it)"), type="password", key="passkey_remove_password"
            )
            rename = st.form_submit_button(t("Rename"))
            remove = st.form_submit_button(t("Remove"))
        if rename and chosen is not None:
            state.act(
                partial(passkeys.rename, actor=actor, credential_id=chosen, name=new_name),
                t("Renamed."),
            )
        if remove and chosen is not None:
            state.act(
                partial(passkeys.remove, actor=actor, credential_id=chosen, password=confirm),
                t("Removed. We sent a notice to your email address."),
            )
    adding = st.session_state.get(PASSKEY_ADD)
    if not isinstance(adding, tuple):
        with st.form("passkey_add"):
            kind = choose(t("What to add"), passkeys.KINDS, "passkey_kind", radio=True)
            name = st.text_input(
                t("Its name (so that you can tell it from others)"),
                max_chars=passkeys.MAX_NAME,
                key="passkey_name",
            )
            confirm = st.text_input(
                t("Current password (to confirm)"), type="password", key="passkey_add_password"
            )
            begin = st.form_submit_button(t("Add"))
        if begin:
            with state.service_errors():
                options = passkeys.add_begin(actor=actor, password=confirm, kind=kind)
                st.session_state[PASSKEY_ADD] = (options, name)
                st.rerun()
        return
    options, name = adding
    st.info(t("Press the button, then follow your browser's prompt."))
    outcome = ceremony(
        options=options,
        create=True,
        label=t("Create it now"),
        waiting=t("Waiting for your device…"),
        key="passkey_create",
    )
    if outcome.answer is not None:
        state.act(
            partial(passkeys.add_finish, actor=actor, response=outcome.answer, name=name),
            t("Added. We sent a notice to your email address."),
            forget=PASSKEY_ADD,
        )
    elif outcome.failed is not None:
        st.error(t("Your browser made none (it was cancelled or timed out). Try again, or cancel."))
    if st.button(t("Cancel"), key="passkey_cancel"):
        st.session_state.pop(PASSKEY_ADD, None)
        st.rerun()


actor = state.guard(*ROLES)
st.title(t("Your account"))
state.show_flash()

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

    _passkeys()
    _browsers()

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
