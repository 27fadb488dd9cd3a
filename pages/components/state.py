"""Session-state keys in one place, and the guard every page runs first."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import streamlit as st

from pages.components.format import plain
from services.core import language
from services.core.access import PATIENT, PROXY, Actor, PatientChoice
from services.core.errors import PortalError, ValidationError
from services.core.language import N_, t

log = logging.getLogger("portal.pages")
T = TypeVar("T")

ACTOR = "actor"
TOKEN = "session_token"
RECOVERY_CODES = "recovery_codes_to_show"
CHOICES = "acting_choices"
ACTING_FOR = "acting_for"
COOKIE_READ = "session_cookie_read"
FORGET_COOKIE = "session_cookie_forget"
NOTICE = "signed_out_notice"
# The session as this full run read it, for the sidebar's timer in the same run (its own reruns
# read the session afresh).
RESUMED = "session_resumed"
# An invitation link opened before signing in: kept through sign-in, then offered to accept.
PENDING_INVITATION = "pending_invitation_token"
# The language chosen before signing in (or the one signed out of): kept through both.
LANGUAGE = "language"
LANGUAGE_CHOSEN = "language_chosen"  # chosen on the sign-in page: it becomes the account's
GENERIC_ERROR = N_(
    "Something went wrong on our side. Please try again; if it keeps happening, contact support."
)


def init() -> None:
    st.session_state.setdefault(ACTOR, None)
    st.session_state.setdefault(TOKEN, None)
    st.session_state.setdefault(CHOICES, [])
    st.session_state.setdefault(ACTING_FOR, None)


def actor() -> Actor | None:
    found = st.session_state.get(ACTOR)
    return found if isinstance(found, Actor) else None


def token() -> str | None:
    found = st.session_state.get(TOKEN)
    return found if isinstance(found, str) else None


def signed_in(actor: Actor, session_token: str) -> None:
    """Start this tab's state afresh for a new session (an invitation being accepted stays)."""
    pending = st.session_state.get(PENDING_INVITATION)
    st.session_state.clear()
    init()
    if pending:
        st.session_state[PENDING_INVITATION] = pending
    st.session_state[LANGUAGE] = actor.language
    st.session_state[ACTOR] = actor
    st.session_state[TOKEN] = session_token
    st.session_state[ACTING_FOR] = actor.patient_id


def signed_out(notice: str) -> None:
    """Forget the session in this tab, have the browser's cookie deleted, and say why (the tab
    keeps its language)."""
    st.session_state.clear()
    init()
    st.session_state[LANGUAGE] = language.current()
    st.session_state[COOKIE_READ] = True
    st.session_state[FORGET_COOKIE] = True
    st.session_state[NOTICE] = notice


def guard(*roles: str) -> Actor:
    """Stop the page unless the signed-in user holds one of its roles (services check again)."""
    current = actor()
    if current is not None and current.roles & set(roles):
        return current
    st.error(t("You do not have access to this page."))
    st.stop()
    raise AssertionError("st.stop() ends the script run")


def patient_page(title: str) -> tuple[Actor, uuid.UUID]:
    """A patient-side page's start: the role guard, its title, and whose record it shows."""
    current = guard(PATIENT, PROXY)
    st.title(title)
    patient_id = acting_patient()
    if patient_id is None:
        st.info(t("Choose whose record to open in the sidebar."))
        st.stop()
        raise AssertionError("st.stop() ends the script run")
    viewing_notice(current, patient_id)
    return current, patient_id


def acting_choice() -> PatientChoice | None:
    """The sidebar's current choice: whose record, and what this user may see of it."""
    chosen = acting_patient()
    for choice in st.session_state.get(CHOICES) or []:
        if isinstance(choice, PatientChoice) and choice.patient_id == chosen:
            return choice
    return None


def viewing_notice(current: Actor, patient_id: uuid.UUID) -> None:
    """Say whose record is open whenever it is not the user's own."""
    choice = acting_choice()
    if patient_id != current.patient_id and choice is not None:
        st.info(
            t("You are viewing {name}'s record.", name=plain(choice.name)),
            icon=":material/supervisor_account:",
        )


FLASH = "flash_message"


def flash(message: str) -> None:
    """A success message that survives the rerun an action needs to redraw the page."""
    st.session_state[FLASH] = message


def done(message: str) -> None:
    """After an action: redraw the page, which then shows this message."""
    flash(message)
    st.rerun()


def act(
    work: Callable[[], T], message: str | Callable[[T], str], forget: str | None = None
) -> None:
    """Do a service's action, then redraw the page with its message (or the message worked out
    from what the action returned); a refusal shows the service's words and changes nothing.
    `forget` names a session key to drop once it worked (the item the action closed)."""
    with service_errors():
        outcome = work()
        if forget is not None:
            st.session_state.pop(forget, None)
        done(message(outcome) if callable(message) else message)


def show_flash() -> None:
    message = st.session_state.pop(FLASH, None)
    if isinstance(message, str):
        st.success(message)


def acting_patient() -> uuid.UUID | None:
    found = st.session_state.get(ACTING_FOR)
    return found if isinstance(found, uuid.UUID) else None


@contextmanager
def service_errors() -> Iterator[None]:
    """Show a service's typed error as a message; anything else as a generic one, logged."""
    try:
        yield
    except ValidationError as exc:
        st.error(exc.message)
        for field, message in exc.fields.items():
            st.error(f"{field.replace('_', ' ').capitalize()}: {message}")
    except PortalError as exc:
        st.error(exc.message)
    except Exception:
        log.exception("unexpected error on a page")
        st.error(t(GENERIC_ERROR))
