"""Read-only building blocks the pages share: a row of figures and tables (text only)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import streamlit as st

from services.identity import passwords


def figures(values: Mapping[str, object]) -> None:
    """One row of headline figures (st.metric), left to right."""
    for column, (label, value) in zip(st.columns(len(values)), values.items(), strict=True):
        column.metric(label, value)


def table(columns: Mapping[str, Sequence[object]], empty: str) -> None:
    """A read-only table of the given columns, or a sentence when it has no rows."""
    if not any(len(values) for values in columns.values()):
        st.write(empty)
        return
    st.dataframe(pd.DataFrame(dict(columns)), hide_index=True, width="stretch")


def counts(title: str, by: Mapping[str, int], key: str, value: str) -> None:
    """A titled two-column table of counts, such as accounts by role."""
    st.subheader(title)
    table({key: list(by), value: list(by.values())}, empty="None.")


def new_password(label: str, key: str) -> str:
    """A new-password field with the policy's advice (SECURITY.md 1)."""
    return st.text_input(
        label, type="password", key=key, max_chars=passwords.MAX_LENGTH, help=passwords.ADVICE
    )
