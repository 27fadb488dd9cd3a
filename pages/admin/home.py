"""Administration: accounts by role and status, locked accounts, audit-log health."""

from __future__ import annotations

import streamlit as st

from pages.components import state
from pages.components.format import when
from pages.components.widgets import counts, figures, table
from services.core import language
from services.core.access import ADMIN
from services.core.language import t, tn
from services.identity import admin
from services.jobs.overview import jobs_overview

actor = state.guard(ADMIN)
st.title(t("Administration"))

with state.service_errors():
    view = admin.admin_home(actor=actor)
    figures(
        {
            t("Accounts"): f"{sum(view.accounts_by_status.values()):,}",
            t("Locked now"): len(view.locked),
            t("Failed sign-ins, 24 h"): view.failed_sign_ins_24h,
            t("Refused accesses, 24 h"): view.refused_24h,
        }
    )
    st.subheader(t("Audit log"))
    check = view.audit
    if check.ok:
        st.success(
            t(
                "Chain intact up to entry {last} ({count} new entries verified now); last entry "
                "{when}.",
                last=language.number(check.last_seq),
                count=language.number(check.entries),
                when=when(check.last_at),
            )
        )
    else:
        st.error(
            t(
                "Chain broken at entry {entry}: {problem} ({count} new entries verified before "
                "it).",
                entry=check.first_broken_seq,
                problem=check.problem,
                count=language.number(check.entries),
            )
        )
    full = view.last_full
    if full is None:
        st.info(
            t("No full verification yet: the daily audit full verification job walks the chain.")
        )
    elif full.ok:
        st.caption(
            t(
                "Last full verification {when}: all {count} entries intact ({seconds} s).",
                when=when(full.ended_at),
                count=language.number(full.entries),
                seconds=language.number(full.seconds, 1),
            )
        )
    else:
        st.error(
            t(
                "Last full verification {ended_at}: chain broken at entry "
                "{first_broken_seq}: {problem}.",
                ended_at=when(full.ended_at),
                first_broken_seq=full.first_broken_seq,
                problem=full.problem,
            )
        )
    st.caption(
        tn(
            "{count} entry in the last 24 hours.",
            "{count} entries in the last 24 hours.",
            view.audit_events_24h,
        )
    )
    left, right = st.columns(2)
    with left:
        counts(t("Accounts by role"), view.accounts_by_role, t("Role"), t("Accounts"))
    with right:
        counts(t("Accounts by status"), view.accounts_by_status, t("Status"), t("Accounts"))
    st.subheader(t("Locked accounts"))
    locked = view.locked
    table(
        {
            t("Username"): [a.username for a in locked],
            t("Name"): [a.display_name for a in locked],
            t("Locked until"): [when(a.locked_until) for a in locked],
            t("Failed attempts"): [a.failed_attempts for a in locked],
        },
        empty=t("No locked accounts."),
    )
    st.subheader(t("Scheduled jobs"))
    jobs = jobs_overview(actor=actor)
    table(
        {
            t("Job"): [j.name.replace("_", " ") for j in jobs],
            t("What it does"): [j.description for j in jobs],
            t("Every"): [
                t("{minutes} min", minutes=language.number(j.every.total_seconds() / 60))
                for j in jobs
            ],
            t("Last run"): [when(j.last_started_at) for j in jobs],
            t("Outcome"): [j.last_outcome or t("not run yet") for j in jobs],
            t("Items"): ["" if j.last_items is None else str(j.last_items) for j in jobs],
            t("Next run"): [when(j.next_run_at) for j in jobs],
            t("Failures, 24 h"): [j.failures_24h for j in jobs],
            t("Last error"): [j.last_error or "" for j in jobs],
        },
        empty=t("No scheduled jobs."),
    )
