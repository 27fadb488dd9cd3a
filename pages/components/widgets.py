"""Building blocks the pages share: figures and tables (text only), choices from catalogs, a
reason with a note, downloads, password and caregiver account fields."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import PurePath
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from pages.components.format import plain
from services.core.language import t
from services.identity import passwords, registration


def figures(values: Mapping[str, int | float | str | None]) -> None:
    """One row of headline figures (st.metric), left to right."""
    for column, (label, value) in zip(st.columns(len(values)), values.items(), strict=True):
        column.metric(label, value)


def table(columns: Mapping[str, Sequence[object]], empty: str, static: bool = False) -> None:
    """A read-only table of the given columns, or a sentence when it has no rows; `static`
    for a short table shown as plain HTML (read by screen readers and copied as text), whose
    cells st.table would read as Markdown: each is escaped to show as written."""
    if not any(len(values) for values in columns.values()):
        st.write(empty)
        return
    if static:
        frame = pd.DataFrame({plain(k): [plain(v) for v in vs] for k, vs in columns.items()})
        st.table(frame.set_index(frame.columns[0]))
    else:
        st.dataframe(pd.DataFrame(dict(columns)), hide_index=True, width="stretch")


def narrow(
    place: DeltaGenerator, label: str, choices: Mapping[str, str], everything: str, key: str
) -> str | None:
    """A filter's select box: None (shown as `everything`) or one of the choices' keys (their
    words are catalog messages, shown translated)."""
    options: list[str | None] = [None, *choices]
    return place.selectbox(
        label,
        options,
        format_func=lambda k: everything if k is None else t(choices[k]),
        key=key,
    )


def open_one(labels: Mapping[uuid.UUID, str], key: str, remember: str) -> None:
    """A queue's "Open a request" picker: the chosen row's id is kept under `remember`, so the
    request stays open while the page reruns."""
    chosen = st.selectbox(
        t("Open a request"),
        [None, *labels],
        format_func=lambda r: t("Choose…") if r is None else labels[r],
        key=key,
    )
    if chosen is not None:
        st.session_state[remember] = chosen


def counts(title: str, by: Mapping[str, int], key: str, value: str) -> None:
    """A titled two-column table of counts, such as accounts by role."""
    st.subheader(title)
    table({key: list(by), value: list(by.values())}, empty=t("None."))


def help_link() -> None:
    """The way to the Help page from a page without the sidebar (before signing in)."""
    st.page_link("pages/public/help.py", label=t("Help"), icon=":material/help:")


def link_token() -> str:
    """The key a link in an email carries (`?token=`); without one the page says so and stops."""
    token = st.query_params.get("token", "")
    if not token:
        st.info(t("Open the link you were sent; it carries its key."))
        st.stop()
    return token


def new_password(label: str, key: str) -> str:
    """A new-password field with the policy's advice (docs/rules/security.md 1)."""
    return st.text_input(
        label,
        type="password",
        key=key,
        max_chars=passwords.MAX_LENGTH,
        help=t(passwords.ADVICE, min_length=passwords.MIN_LENGTH),
    )


def caregiver_account(key: str, email: str = "") -> registration.CaregiverDetails | None:
    """The form of a caregiver's own account (name, date of birth, contact, sign-in, terms);
    the details when submitted, else None."""
    with st.form(key):
        first = st.text_input(t("Your first name"), max_chars=80, key=f"{key}_first")
        last = st.text_input(t("Your last name"), max_chars=80, key=f"{key}_last")
        born = st.date_input(
            t("Your date of birth"),
            value=None,
            min_value=date(1900, 1, 1),
            format="YYYY-MM-DD",
            key=f"{key}_birth",
        )
        address = st.text_input(t("Email"), value=email, max_chars=254, key=f"{key}_email")
        phone = st.text_input(t("Mobile phone (optional)"), max_chars=24, key=f"{key}_phone")
        username = st.text_input(t("Username"), max_chars=64, key=f"{key}_username")
        password = new_password(t("Password"), f"{key}_password")
        accept = st.checkbox(
            t(
                "I accept the portal's terms of use (version {version}).",
                version=registration.TERMS_VERSION,
            ),
            key=f"{key}_terms",
        )
        if not st.form_submit_button(t("Create caregiver account"), type="primary"):
            return None
    return registration.CaregiverDetails(
        first, last, born, address, phone or None, username, password, accept
    )


def reason(
    label: str,
    catalog: Mapping[str, str],
    note_label: str,
    max_chars: int,
    key: str,
    *,
    radio: bool = False,
) -> tuple[str, str]:
    """A reason chosen from a catalog and a note in the person's words (a denial, a hold):
    the reason's code and the note."""
    code = choose(label, catalog, f"{key}_reason", radio=radio)
    return code, st.text_area(note_label, max_chars=max_chars, key=f"{key}_note")


# The type of a download by its name's ending, where the page does not say it.
FILE_TYPES = {
    ".pdf": "application/pdf",
    ".csv": "text/csv",
    ".ics": "text/calendar",
    ".zip": "application/zip",
}


def download(
    label: str,
    data: Any,
    *,
    file_name: str,
    key: str,
    mime: str | None = None,
    icon: str = ":material/download:",
    place: DeltaGenerator | None = None,
) -> None:
    """A download button that runs nothing on click: `data` is the bytes or a function that
    makes them (called only when the person asks, so a service audits a real download); the
    type is the file name's (.pdf, .csv, .ics, .zip) unless given."""
    offer = place.download_button if place is not None else st.download_button
    kind = mime or FILE_TYPES.get(PurePath(file_name).suffix)
    offer(label, data=data, file_name=file_name, mime=kind, on_click="ignore", key=key, icon=icon)


def choose(
    label: str,
    catalog: Mapping[str, str],
    key: str,
    *,
    radio: bool = False,
    horizontal: bool = False,
    place: DeltaGenerator | None = None,
) -> str:
    """One code of a catalog, each offered in its words (translated): a select box, or radio
    buttons."""
    codes, shown = list(catalog), words(catalog)
    if radio:
        offer = place.radio if place is not None else st.radio
        found = offer(label, codes, format_func=shown, horizontal=horizontal, key=key)
    else:
        pick = place.selectbox if place is not None else st.selectbox
        found = pick(label, codes, format_func=shown, key=key)
    return "" if found is None else str(found)


def words(catalog: Mapping[Any, str]) -> Callable[[Any], str]:
    """A choice from one of the services' catalogs (code -> catalog message), shown translated:
    the `format_func` of a select box, radio or multiselect over the codes."""
    return lambda code: t(catalog[code])
