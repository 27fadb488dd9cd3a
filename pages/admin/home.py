"""Administration: accounts by role and status, locked accounts, audit-log health."""

from __future__ import annotations

import streamlit as st

from pages.components import state
from pages.components.format import when
from pages.components.widgets import counts, figures, table
from services.core.access import ADMIN
from services.identity import admin
from services.jobs.overview import jobs_overview

actor = state.guard(ADMIN)
st.title("Administration")

with state.service_errors():
    view = admin.admin_home(actor=actor)
    figures(
        {
            "Accounts": f"{sum(view.accounts_by_status.values()):,}",
            "Locked now": len(view.locked),
            "Failed sign-ins, 24 h": view.failed_sign_ins_24h,
            "Refused accesses, 24 h": view.refused_24h,
        }
    )
    st.subheader("Audit log")
    check = view.audit
    if check.ok:
        st.success(
            f"Chain intact up to entry {check.last_seq:,} ({check.entries:,} new entries "
            f"verified now); last entry {when(check.last_at)}."
        )
    else:
        st.error(
            f"Chain broken at entry {check.first_broken_seq}: {check.problem} "
            f"({check.entries:,} new entries verified before it)."
        )
    full = view.last_full
    if full is None:
        st.info("No full verification yet: the daily audit full verification job walks the chain.")
    elif full.ok:
        st.caption(
            f"Last full verification {when(full.ended_at)}: all {full.entries:,} entries intact "
            f"({full.seconds:,.1f} s)."
        )
    else:
        st.error(
            f"Last full verification {when(full.ended_at)}: chain broken at entry "
            f"{full.first_broken_seq}: {full.problem}."
        )
    st.caption(f"{view.audit_events_24h:,} entries in the last 24 hours.")
    left, right = st.columns(2)
    with left:
        counts("Accounts by role", view.accounts_by_role, "Role", "Accounts")
    with right:
        counts("Accounts by status", view.accounts_by_status, "Status", "Accounts")
    st.subheader("Locked accounts")
    locked = view.locked
    table(
        {
            "Username": [a.username for a in locked],
            "Name": [a.display_name for a in locked],
            "Locked until": [when(a.locked_until) for a in locked],
            "Failed attempts": [a.failed_attempts for a in locked],
        },
        empty="No locked accounts.",
    )
    st.subheader("Scheduled jobs")
    jobs = jobs_overview(actor=actor)
    table(
        {
            "Job": [j.name.replace("_", " ") for j in jobs],
            "What it does": [j.description for j in jobs],
            "Every": [f"{j.every.total_seconds() / 60:g} min" for j in jobs],
            "Last run": [when(j.last_started_at) for j in jobs],
            "Outcome": [j.last_outcome or "not run yet" for j in jobs],
            "Items": ["" if j.last_items is None else str(j.last_items) for j in jobs],
            "Next run": [when(j.next_run_at) for j in jobs],
            "Failures, 24 h": [j.failures_24h for j in jobs],
            "Last error": [j.last_error or "" for j in jobs],
        },
        empty="No scheduled jobs.",
    )
