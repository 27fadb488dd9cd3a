"""Administration: accounts by role and status, locked accounts, audit-log health."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pages.components import state
from pages.components.format import when
from services import admin
from services.access import ADMIN

actor = state.guard(ADMIN)
st.title("Administration")

with state.service_errors():
    view = admin.admin_home(actor=actor)
    cols = st.columns(4)
    cols[0].metric("Accounts", f"{sum(view.accounts_by_status.values()):,}")
    cols[1].metric("Locked now", len(view.locked))
    cols[2].metric("Failed sign-ins, 24 h", view.failed_sign_ins_24h)
    cols[3].metric("Refused accesses, 24 h", view.refused_24h)

    st.subheader("Audit log")
    check = view.audit
    if check.ok:
        st.success(
            f"Chain intact: {check.entries:,} entries verified; last entry {when(check.last_at)}."
        )
    else:
        st.error(
            f"Chain broken at entry {check.first_broken_seq}: {check.problem} "
            f"({check.entries:,} entries verified before it)."
        )
    st.caption(f"{view.audit_events_24h:,} entries in the last 24 hours.")

    left, right = st.columns(2)
    with left:
        st.subheader("Accounts by role")
        st.dataframe(
            pd.DataFrame(
                {
                    "Role": list(view.accounts_by_role),
                    "Accounts": list(view.accounts_by_role.values()),
                }
            ),
            hide_index=True,
        )
    with right:
        st.subheader("Accounts by status")
        st.dataframe(
            pd.DataFrame(
                {
                    "Status": list(view.accounts_by_status),
                    "Accounts": list(view.accounts_by_status.values()),
                }
            ),
            hide_index=True,
        )
    st.subheader("Locked accounts")
    if view.locked:
        st.dataframe(
            pd.DataFrame(
                {
                    "Username": [a.username for a in view.locked],
                    "Name": [a.display_name for a in view.locked],
                    "Locked until": [when(a.locked_until) for a in view.locked],
                    "Failed attempts": [a.failed_attempts for a in view.locked],
                }
            ),
            hide_index=True,
        )
    else:
        st.write("No locked accounts.")
