"""The sidebar: who is signed in, whom a proxy acts for (with a switcher), the session timer,
sign out here and everywhere."""

from __future__ import annotations

import streamlit as st

from pages.components import state
from pages.components.format import plain
from services.core import clock
from services.core.access import PATIENT, PROXY, Actor, PatientChoice
from services.core.config import settings
from services.core.language import listing, t, tn
from services.identity import acting, sessions
from services.proxy.proxy_rules import SCOPE_WORDS

SWITCHER = "sidebar_acting_for"


def sidebar(actor: Actor) -> None:
    with st.sidebar:
        st.markdown(f"**{plain(actor.display_name)}**")
        st.caption(", ".join(sorted(actor.roles)))
        if actor.roles & {PATIENT, PROXY}:
            _patient_switcher(actor)
        # The timer reruns on its own, often enough to warn in time even with a short timeout.
        interval = max(5.0, min(30.0, settings().idle_timeout_minutes * 60 / 4))
        st.fragment(_idle_timer, run_every=interval)()
        if st.button(
            t("Sign out"), key="sidebar_sign_out", icon=":material/logout:", width="stretch"
        ):
            with state.service_errors():
                sessions.session_end(actor=actor, token=state.token() or "")
            state.signed_out(t("You have signed out."))
            st.rerun()
        if st.button(t("Sign out everywhere"), key="sidebar_sign_out_all", width="stretch"):
            with state.service_errors():
                ended = sessions.sessions_end_all(actor=actor)
                state.signed_out(
                    tn(
                        "You have signed out on every device ({count} session).",
                        "You have signed out on every device ({count} sessions).",
                        ended,
                    )
                )
                st.rerun()


def idle_notice(seconds_left: float, warn_within_minutes: float) -> str | None:
    """The warning to show before an idle sign-out, or None while there is time."""
    if seconds_left > warn_within_minutes * 60:
        return None
    if seconds_left < 90:
        return tn(
            "You will be signed out in {count} second for inactivity.",
            "You will be signed out in {count} seconds for inactivity.",
            max(0, round(seconds_left)),
        )
    return tn(
        "You will be signed out in about {count} minute for inactivity.",
        "You will be signed out in about {count} minutes for inactivity.",
        round(seconds_left / 60),
    )


def _idle_timer() -> None:
    """Warns before the idle timeout without counting as activity; a click keeps the session."""
    resumed = st.session_state.pop(state.RESUMED, None)  # a full run has just read it
    if resumed is not None:
        left = resumed.seconds_left(clock.now())
    else:
        left = sessions.session_status(token=state.token() or "")
    if left <= 0:
        st.rerun(scope="app")  # the full rerun finds the session ended and shows sign-in
    notice = idle_notice(left, settings().idle_warning_minutes)
    if notice is not None:
        st.warning(notice)
        if st.button(t("Stay signed in"), key="sidebar_stay_signed_in"):
            st.rerun(scope="app")  # a full rerun counts as activity


def _patient_switcher(actor: Actor) -> None:
    """Whose record to open. The list is read afresh on every page, so a grant that ends or
    narrows shows at the proxy's next click."""
    before = st.session_state.get(state.CHOICES) or []
    choices: list[PatientChoice] = []
    with state.service_errors():
        choices = acting.acting_choices(actor=actor, previous=before or None)
    st.session_state[state.CHOICES] = choices
    ids = [c.patient_id for c in choices]
    lost = [c for c in before if c.patient_id not in ids]
    for gone in lost:
        if gone.patient_id in (state.acting_patient(), st.session_state.get(SWITCHER)):
            st.warning(t("Your access to {name}'s record has ended.", name=plain(gone.name)))
    if not choices:
        st.session_state[state.ACTING_FOR] = None
        st.info(t("No patient records are linked to this account yet."))
        return
    labels = {
        c.patient_id: c.name if c.relationship == "self" else f"{c.name} ({c.relationship})"
        for c in choices
    }
    if st.session_state.get(SWITCHER) not in ids:
        current = state.acting_patient()
        st.session_state[SWITCHER] = current if current in ids else ids[0]
    if len(ids) == 1:  # nothing to choose: said in words (a disabled box is hard to read)
        chosen = ids[0]
        if PROXY in actor.roles:
            st.write(t("Acting for {name}", name=plain(labels[chosen])))
    else:
        chosen = st.selectbox(
            t("Acting for"), ids, format_func=lambda pid: labels[pid], key=SWITCHER
        )
    # The sidebar runs before the page, so the page already sees this choice.
    st.session_state[state.ACTING_FOR] = chosen
    choice = next(c for c in choices if c.patient_id == chosen)
    if choice.relationship != "self":
        shown = [words for scope, words in SCOPE_WORDS.items() if scope in choice.scopes]
        st.caption(t("You may see: {parts}.", parts=listing(t(words) for words in shown)))
        if choice.limited:
            st.caption(
                t(
                    "Confidential teen information (such as reproductive or mental health) "
                    "is not shown to parents once a child is 12."
                )
            )


def recovery_codes(codes: list[str] | None) -> None:
    """Show new recovery codes once, above the page, until the user confirms they saved them."""
    if not codes:
        return
    st.warning(
        t(
            "Save these recovery codes somewhere safe. Each one signs you in once "
            "if you lose your authenticator app. They will not be shown again."
        )
    )
    st.code("\n".join(codes), language=None)
    if st.button(t("I have saved my recovery codes"), key="recovery_codes_saved"):
        del st.session_state[state.RECOVERY_CODES]
        st.rerun()
