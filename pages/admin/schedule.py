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
from services.core.language import t, tn

actor = state.guard(ADMIN)
st.title(t("Schedule"))
DAYS = (
    t("Monday"),
    t("Tuesday"),
    t("Wednesday"),
    t("Thursday"),
    t("Friday"),
    t("Saturday"),
    t("Sunday"),
)


def _templates(choices: schedule.Choices) -> None:
    rows = schedule.templates_list(actor=actor)
    table(
        {
            t("Provider"): [row.provider_name for row in rows],
            t("Site"): [row.site_name for row in rows],
            t("Day"): [DAYS[row.weekday] for row in rows],
            t("Hours"): [f"{row.start}–{row.end}" for row in rows],
            t("Slots"): [
                t("{minutes} min, {kind}", minutes=row.slot_minutes, kind=row.slot_kind)
                for row in rows
            ],
        },
        empty=t("No weekly templates yet."),
        static=True,
    )
    if rows:
        with st.expander(t("End weekly hours")):
            names = {
                row.template_id: f"{row.provider_name} · {DAYS[row.weekday]} "
                f"{row.start}–{row.end} · {row.site_name}"
                for row in rows
            }
            chosen = st.selectbox(t("Weekly hours"), list(names), format_func=names.__getitem__)
            st.caption(
                t(
                    "Open times from these hours close; booked visits stay (block the days "
                    "to cancel them with a notice)."
                )
            )
            if st.button(t("End these hours"), key="template_end"):
                kept = schedule.template_end(actor=actor, template_id=chosen)
                state.done(
                    tn(
                        "Ended. {count} booked visit remains in those hours.",
                        "Ended. {count} booked visits remain in those hours.",
                        kept,
                    )
                )
    with st.form("template_form"):
        provider = st.selectbox(
            t("Provider"), list(choices.providers), format_func=choices.providers.__getitem__
        )
        site = st.selectbox(t("Site"), list(choices.sites), format_func=choices.sites.__getitem__)
        day = st.selectbox(t("Day"), range(7), format_func=lambda d: DAYS[d])
        left, right = st.columns(2)
        start = left.text_input(t("From (HH:MM, clinic time)"), value="09:00")
        end = right.text_input(t("To"), value="12:00")
        minutes = st.selectbox(t("Slot length (minutes)"), (10, 15, 20, 30, 40, 45, 60), index=3)
        kind = st.radio(t("Kind"), ("office", "video"), horizontal=True)
        if st.form_submit_button(t("Add the weekly hours")):
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
            state.done(
                t(
                    "Added; {made} slots made for the next {weeks} weeks.",
                    made=made,
                    weeks=schedule.WEEKS_AHEAD,
                )
            )


def _blocks(choices: schedule.Choices) -> None:
    with st.form("block_form"):
        provider = st.selectbox(
            t("Provider away"), list(choices.providers), format_func=choices.providers.__getitem__
        )
        span = st.date_input(
            t("Days away"),
            value=(clock.today(), clock.today() + timedelta(days=4)),
            format="MM/DD/YYYY",
        )
        reason = st.text_input(t("Reason (staff only)"), max_chars=200)
        if st.form_submit_button(t("Block and cancel the visits in it")):
            first, last = (span[0], span[-1]) if isinstance(span, tuple) and span else (None, None)
            if first is None or last is None:
                st.error(t("Choose the first and the last day."))
                return
            cancelled = schedule.block_add(
                actor=actor, provider_id=provider, first=first, last=last, reason=reason
            )
            state.done(
                t(
                    "Blocked; {cancelled} visits cancelled and their patients told.",
                    cancelled=cancelled,
                )
            )


def _requests() -> None:
    queue = schedule.requests_queue(actor=actor)
    table(
        {
            t("Asked"): [when(r.requested_at) for r in queue],
            t("Patient"): [r.patient_name for r in queue],
            "MRN": [r.mrn for r in queue],
            t("Visit"): [r.type_name for r in queue],
            t("Suits them"): [r.preferred for r in queue],
            t("Note"): [r.note or "" for r in queue],
        },
        empty=t("No visit requests waiting."),
        static=True,
    )
    if not queue:
        return
    labels = {
        r.request_id: t(
            "{patient_name} (MRN {mrn}): {type_name}",
            patient_name=r.patient_name,
            mrn=r.mrn,
            type_name=r.type_name,
        )
        for r in queue
    }
    chosen = st.selectbox(
        t("Schedule"), list(labels), format_func=labels.__getitem__, key="request_pick"
    )
    slots = schedule.request_slots(actor=actor, request_id=chosen, first=clock.today())
    if not slots:
        st.info(t("No open slot of that kind in the next two weeks."))
        return
    times = {s.slot_id: f"{when(s.start_at)} · {s.provider_name} · {s.site_name}" for s in slots}
    slot = st.selectbox(t("Time"), list(times), format_func=times.__getitem__, key="request_slot")
    if st.button(t("Book it and tell the patient"), key="request_book"):
        schedule.request_schedule(actor=actor, request_id=chosen, slot_id=slot)
        state.done(t("Booked; the patient is told."))


with state.service_errors():
    state.show_flash()
    options = schedule.keeping_choices(actor=actor)
    hours, away, asked = st.tabs([t("Weekly hours"), t("Blocks"), t("Visit requests")])
    with hours, state.service_errors():
        _templates(options)
    with away, state.service_errors():
        _blocks(options)
    with asked, state.service_errors():
        _requests()
