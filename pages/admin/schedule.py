"""Keeping the schedule: providers' weekly templates (the job makes their slots six weeks
ahead), blocks that cancel the visits in them with notices, and "request only" visits to
schedule."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from pages.components import state
from pages.components.format import when
from pages.components.widgets import table
from services.care import schedule
from services.core import clock
from services.core.access import ADMIN

actor = state.guard(ADMIN)
st.title("Schedule")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _templates(choices: schedule.Choices) -> None:
    rows = schedule.templates_list(actor=actor)
    table(
        {
            "Provider": [t.provider_name for t in rows],
            "Site": [t.site_name for t in rows],
            "Day": [DAYS[t.weekday] for t in rows],
            "Hours": [f"{t.start}–{t.end}" for t in rows],
            "Slots": [f"{t.slot_minutes} min, {t.slot_kind}" for t in rows],
        },
        empty="No weekly templates yet.",
        static=True,
    )
    if rows:
        with st.expander("End weekly hours"):
            names = {
                t.template_id: f"{t.provider_name} · {DAYS[t.weekday]} {t.start}–{t.end} · "
                f"{t.site_name}"
                for t in rows
            }
            chosen = st.selectbox("Weekly hours", list(names), format_func=names.get)
            st.caption(
                "Open times from these hours close; booked visits stay (block the days "
                "to cancel them with a notice)."
            )
            if st.button("End these hours", key="template_end"):
                kept = schedule.template_end(actor=actor, template_id=chosen)
                state.done(f"Ended. {kept} booked visit(s) remain in those hours.")
    with st.form("template_form"):
        provider = st.selectbox(
            "Provider", list(choices.providers), format_func=choices.providers.get
        )
        site = st.selectbox("Site", list(choices.sites), format_func=choices.sites.get)
        day = st.selectbox("Day", range(7), format_func=lambda d: DAYS[d])
        left, right = st.columns(2)
        start = left.text_input("From (HH:MM, clinic time)", value="09:00")
        end = right.text_input("To", value="12:00")
        minutes = st.selectbox("Slot length (minutes)", (10, 15, 20, 30, 40, 45, 60), index=3)
        kind = st.radio("Kind", ("office", "video"), horizontal=True)
        if st.form_submit_button("Add the weekly hours"):
            schedule.template_add(
                actor=actor,
                provider_id=provider,
                site_id=site,
                weekday=day,
                start=start,
                end=end,
                slot_minutes=minutes,
                slot_kind=kind,
            )
            made = schedule.generate_slots()
            state.done(f"Added; {made} slots made for the next {schedule.WEEKS_AHEAD} weeks.")


def _blocks(choices: schedule.Choices) -> None:
    with st.form("block_form"):
        provider = st.selectbox(
            "Provider away", list(choices.providers), format_func=choices.providers.get
        )
        span = st.date_input(
            "Days away",
            value=(clock.today(), clock.today() + timedelta(days=4)),
            format="MM/DD/YYYY",
        )
        reason = st.text_input("Reason (staff only)", max_chars=200)
        if st.form_submit_button("Block and cancel the visits in it"):
            first, last = (span[0], span[-1]) if isinstance(span, tuple) and span else (None, None)
            if first is None or last is None:
                st.error("Choose the first and the last day.")
                return
            cancelled = schedule.block_add(
                actor=actor, provider_id=provider, first=first, last=last, reason=reason
            )
            state.done(f"Blocked; {cancelled} visits cancelled and their patients told.")


def _requests() -> None:
    queue = schedule.requests_queue(actor=actor)
    table(
        {
            "Asked": [when(r.requested_at) for r in queue],
            "Patient": [r.patient_name for r in queue],
            "MRN": [r.mrn for r in queue],
            "Visit": [r.type_name for r in queue],
            "Suits them": [r.preferred for r in queue],
            "Note": [r.note or "" for r in queue],
        },
        empty="No visit requests waiting.",
        static=True,
    )
    if not queue:
        return
    labels = {r.request_id: f"{r.patient_name} (MRN {r.mrn}): {r.type_name}" for r in queue}
    chosen = st.selectbox("Schedule", list(labels), format_func=labels.get, key="request_pick")
    slots = schedule.request_slots(actor=actor, request_id=chosen, first=clock.today())
    if not slots:
        st.info("No open slot of that kind in the next two weeks.")
        return
    times = {s.slot_id: f"{when(s.start_at)} · {s.provider_name} · {s.site_name}" for s in slots}
    slot = st.selectbox("Time", list(times), format_func=times.get, key="request_slot")
    if st.button("Book it and tell the patient", key="request_book"):
        schedule.request_schedule(actor=actor, request_id=chosen, slot_id=slot)
        state.done("Booked; the patient is told.")


with state.service_errors():
    state.show_flash()
    options = schedule.keeping_choices(actor=actor)
    hours, away, asked = st.tabs(["Weekly hours", "Blocks", "Visit requests"])
    with hours, state.service_errors():
        _templates(options)
    with away, state.service_errors():
        _blocks(options)
    with asked, state.service_errors():
        _requests()
