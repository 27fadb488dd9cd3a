"""Sign in: username and password, then the second factor when the account has one (an
authenticator code, or a passkey or security key); or a passkey alone.

Staff who have not switched on a second factor enrol here before their first session.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

import streamlit as st

from pages.components import authenticator, languages, navigation, state
from pages.components.format import plain
from pages.components.webauthn import ceremony
from pages.components.widgets import help_link
from services.core.errors import AuthenticationFailed
from services.core.language import t
from services.identity import auth, passkeys, sso

KEY_OPTIONS = "sign_in_key_options"  # the options of the ceremony asked for last
SSO_START = "/_portal/sso/start"  # server.sso.START: sends the browser to the provider

languages.chooser()
st.title(t("Lakeside Health portal"))


def _password_step() -> None:
    st.write(
        t("Sign in to see your health information, message your care team and manage your visits.")
    )
    authenticator.sign_in_form()
    _passkey_sign_in()
    _single_sign_on()
    st.caption(
        t(
            "After several failed attempts, sign-in pauses for a few minutes to protect your "
            "account. Sessions end after a period without activity."
        )
    )
    st.page_link(navigation.REGISTER.path, label=t("New here? Create your patient account"))
    st.page_link(navigation.VERIFY.path, label=t("Have a verification code? Verify your email"))
    st.page_link(navigation.RECOVER.path, label=t("Forgot your username or password?"))


def _single_sign_on() -> None:
    """Staff of a clinic with single sign-on: the provider's sign-in, and why it was refused
    when it was (the server's route names the reason by a code)."""
    refused = st.query_params.get("sso")
    if refused in sso.REFUSALS:
        st.error(t(sso.REFUSALS[refused]))
    provider = sso.offered()
    if provider is not None:
        # A link in this tab (st.link_button opens another tab, which would leave this one at the
        # sign-in page). Raw HTML: a fixed route and the clinic's configured name, escaped.
        label = escape(t("Sign in with {name}", name=provider))
        st.html(f'<p><a href="{SSO_START}" target="_self">{label}</a></p>')  # i18n: not shown


def _key_ceremony(
    begin: Callable[[], str], label: str, finish: Callable[[str], auth.SignedIn], key: str
) -> None:
    """A passkey or security key, asked for on a click (each ask is a new five-minute challenge):
    the browser's answer goes to `finish`, and its session opens."""
    if st.button(label, key=key, icon=":material/passkey:"):
        with state.service_errors():
            st.session_state[KEY_OPTIONS] = begin()
    options = st.session_state.get(KEY_OPTIONS)
    if not isinstance(options, str):
        return
    outcome = ceremony(
        options=options,
        create=False,
        label=t("Use it now"),
        waiting=t("Waiting for your device…"),
        key=f"{KEY_OPTIONS}_ceremony",
    )
    answer = outcome.answer
    if answer is not None:
        del st.session_state[KEY_OPTIONS]
        _finish(lambda: finish(answer))
    elif outcome.failed is not None:
        st.error(t("Your browser gave no answer (it was cancelled or timed out). Try again."))


def _finish(step: Callable[[], auth.SignedIn]) -> None:
    """The last step of a sign-in: the session opens, or the refusal is shown (and a password
    step that has ended is forgotten, so the page asks for the password again)."""
    with state.service_errors():
        try:
            authenticator.finish(step())
            st.rerun()
        except AuthenticationFailed as exc:
            if exc.message == t(auth.START_AGAIN):
                st.session_state.pop(authenticator.PENDING, None)
            st.error(exc.message)


def _passkey_sign_in() -> None:
    st.caption(t("Or, with a passkey on this device or your phone, no password is needed:"))
    _key_ceremony(
        lambda: passkeys.sign_in_begin(browser=authenticator.browser_binding()),
        t("Sign in with a passkey"),
        lambda answer: passkeys.sign_in_finish(
            response=answer, browser=authenticator.this_browser()
        ),
        "sign_in_passkey",
    )


def _code_step(step: auth.CodeNeeded | auth.EnrolmentNeeded) -> None:
    trust = False
    if isinstance(step, auth.EnrolmentNeeded):
        st.subheader(t("Set up two-step verification"))
        st.write(
            t(
                "Staff accounts always use a second step. Scan this code with an authenticator "
                "app (or type the key below into it), then enter the 6-digit code it shows."
            )
        )
        st.image(step.enrolment.qr_svg, caption=t("Authenticator setup code"), width=220)
        st.text_input(
            t("Key for manual entry"), value=step.enrolment.secret, disabled=True, key="sign_in_key"
        )
        label = t("Code from your authenticator app")
    else:
        st.subheader(t("Two-step verification"))
        label = t("Code from your authenticator app, or a recovery code")
        trust = step.trust_days > 0 and st.checkbox(
            t("Trust this browser for {days} days", days=step.trust_days),
            key="sign_in_trust",
            help=t(
                "On a browser you trust, signing in asks only for your password. Do not tick "
                "this on a shared or public computer. You can forget it on Your account."
            ),
        )
        if step.security_key:
            _key_ceremony(
                lambda: passkeys.second_step_begin(pending=step.pending),
                t("Use your passkey or security key"),
                lambda answer: passkeys.second_step_finish(
                    pending=step.pending,
                    response=answer,
                    browser=authenticator.this_browser(),
                    trust=trust,
                ),
                "sign_in_security_key",
            )
        if not step.authenticator:
            _restart()
            return
    with st.form("sign_in_second_step"):
        code = st.text_input(
            label,
            key="sign_in_code",
            max_chars=16,
            help=t(
                "Open your authenticator app and type the 6 digits it shows for this portal; "
                "they change every 30 seconds. A recovery code works once, if you lost your phone."
            ),
        )
        submitted = st.form_submit_button(t("Verify"), type="primary")
    if submitted:
        _finish(
            lambda: auth.sign_in_code(
                pending=step.pending,
                code=code,
                browser=authenticator.this_browser(),
                trust=trust,
            )
        )
    if isinstance(step, auth.CodeNeeded):
        st.caption(t("No authenticator at hand? We can send a one-time code instead."))
        by_email, by_text = st.columns(2)
        for column, channel, label in (
            (by_email, "email", t("Email me a code")),
            (by_text, "sms", t("Text me a code")),
        ):
            if column.button(label, key=f"sign_in_send_{channel}"):
                with state.service_errors():
                    where = auth.sign_in_send_code(pending=step.pending, channel=channel)
                    st.info(
                        t(
                            "We sent a code to {where}. It expires in 10 minutes.",
                            where=plain(where),
                        )
                    )
    _restart()


def _restart() -> None:
    if st.button(t("Start again"), key="sign_in_restart"):
        del st.session_state[authenticator.PENDING]
        st.session_state.pop(KEY_OPTIONS, None)
        st.rerun()


pending = st.session_state.get(authenticator.PENDING)
if isinstance(pending, auth.CodeNeeded | auth.EnrolmentNeeded):
    _code_step(pending)
else:
    _password_step()
help_link()
