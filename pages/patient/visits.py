"""Visits: upcoming ones (place, instructions, video join, add to calendar, cancel or move),
booking a visit in an open slot (or asking for a "request only" one), and past visits. Times
are the clinic's."""

from __future__ import annotations

import uuid
from datetime import timedelta
from functools import partial

import streamlit as st

from pages.components import state
from pages.components.format import plain, when
from pages.components.widgets import download, table
from services.care import booking, checkin, questionnaires, visit_types, visits, waitlist
from services.core import clock
from services.core.language import listing, t, tn

actor, patient_id = state.patient_page(t("Visits"))
state.show_flash()
ANY = "any"
MOVING = "visits_moving"  # the visit being moved to another time


def _upcoming(items: list[visits.Visit]) -> None:
    if not items:
        st.info(t("You have no upcoming visits. Book one under Schedule a visit."))
    for v in items:
        with st.container(border=True, key=f"visit_{v.appointment_id}"):
            st.markdown(
                f"**{when(v.start_at)}** · "
                + tn(
                    "{visit} · {count} minute",
                    "{visit} · {count} minutes",
                    v.minutes,
                    visit=v.type_name,
                )
            )
            st.text(t("With {provider}", provider=v.provider_name))
            if v.video:
                st.text(t("Video visit: the join button appears 15 minutes before the start."))
            else:
                st.text(f"{v.site_name}, {v.address or ''}")
                if v.map_link:
                    st.text(t("Map: {link}", link=v.map_link))
            st.caption(v.instructions)
            st.text(t("Reason: {reason}", reason=v.reason))
            if v.waitlisted:
                st.caption(t("You asked to be offered an earlier time if one opens."))
            _actions(v)
            if v.checked_in:
                st.caption(t("Checked in. Thank you."))
            elif v.checkin_open:
                with st.expander(t("Check in for this visit")):
                    _checkin(v)


def _actions(v: visits.Visit) -> None:
    buttons = st.columns(4)
    if v.join_url:
        buttons[0].link_button(t("Join the video visit"), v.join_url, type="primary")
    download(
        t("Add to calendar"),
        partial(
            visits.visit_ics, actor=actor, patient_id=patient_id, appointment_id=v.appointment_id
        ),
        file_name="visit.ics",
        key=f"ics_{v.appointment_id}",
        icon=":material/event:",
        place=buttons[1],
    )
    if not v.can_change:
        if v.change_note:
            st.caption(v.change_note)
        return
    if buttons[2].button(t("Move to another time"), key=f"move_{v.appointment_id}"):
        st.session_state[MOVING] = (v.appointment_id, v.visit_type)
        st.info(t("Choose the new time under Schedule a visit."))
    if buttons[3].button(t("Cancel visit"), key=f"cancel_{v.appointment_id}"):
        booking.cancel(actor=actor, patient_id=patient_id, appointment_id=v.appointment_id)
        state.done(t("Your visit was cancelled."))


def _checkin(v: visits.Visit) -> None:
    """Confirm details, report changes, answer the visit's questionnaires."""
    form = checkin.checkin_form(actor=actor, patient_id=patient_id, appointment_id=v.appointment_id)
    key = f"checkin_{v.appointment_id}"
    with st.form(key):
        st.text(t("Contact details on file: {details}", details="; ".join(form.contact) or "—"))
        contact = st.checkbox(t("These are right"), key=f"{key}_contact")
        st.text(t("Insurance on file: {insurance}", insurance=form.insurance or "—"))
        insurance = st.checkbox(t("This is my current insurance"), key=f"{key}_insurance")
        st.text(t("Medicines on file: {medicines}", medicines=listing(form.medications) or "—"))
        meds = st.text_area(t("Changes to your medicines (for your care team)"), key=f"{key}_meds")
        st.text(t("Allergies on file: {allergies}", allergies=listing(form.allergies) or "—"))
        allergies = st.text_area(t("Changes to your allergies"), key=f"{key}_allergies")
        answers: dict[str, tuple[int, ...]] = {}
        for instrument in form.questionnaires:
            st.subheader(t(instrument.name))
            st.caption(t(questionnaires.STEM))
            picked = [
                st.radio(
                    f"{n}. {t(item)}",
                    range(len(questionnaires.ANSWERS)),
                    format_func=lambda a: t(questionnaires.ANSWERS[a]),
                    index=None,
                    horizontal=True,
                    key=f"{key}_{instrument.code}_{n}",
                )
                for n, item in enumerate(instrument.items, start=1)
            ]
            answers[instrument.code] = tuple(a for a in picked if a is not None)
        sent = st.form_submit_button(t("Check in"))
    if sent:
        done = checkin.checkin_submit(
            actor=actor,
            patient_id=patient_id,
            appointment_id=v.appointment_id,
            contact_confirmed=contact,
            insurance_confirmed=insurance,
            medication_changes=meds,
            allergy_changes=allergies,
            answers=answers,
        )
        if done.crisis:
            st.error(t(done.crisis))  # shown at once, before anything else
            return
        state.done(t("You are checked in. Thank you."))


def _offers() -> None:
    for offer in waitlist.my_offers(actor=actor, patient_id=patient_id):
        with st.container(border=True, key=f"offer_{offer.offer_id}"):
            st.markdown(t("**An earlier time is open: {start_at}**", start_at=when(offer.start_at)))
            st.text(
                t(
                    "With {provider} at {site}, instead of {old}. Held for you until {until}.",
                    provider=offer.provider_name,
                    site=offer.site_name,
                    old=when(offer.instead_of),
                    until=when(offer.expires_at),
                )
            )
            take, keep = st.columns(2)
            if take.button(t("Take the earlier time"), key=f"take_offer_{offer.offer_id}"):
                waitlist.offer_accept(actor=actor, patient_id=patient_id, offer_id=offer.offer_id)
                state.done(t("Your visit was moved to the earlier time."))
            if keep.button(t("Keep my time"), key=f"keep_offer_{offer.offer_id}"):
                waitlist.offer_decline(actor=actor, patient_id=patient_id, offer_id=offer.offer_id)
                state.done(t("You kept your time."))


def _own_team(name: str, own: bool) -> str:
    return t("{name} (your care team)", name=name) if own else name


def _slot_label(s: booking.OpenSlot) -> str:
    return " · ".join((when(s.start_at), _own_team(s.provider_name, s.own_team), s.site_name))


def _schedule() -> None:
    choices = booking.booking_choices(actor=actor, patient_id=patient_id)
    moving = st.session_state.get(MOVING)
    types = {v.code: v for v in choices.visit_types}
    if moving:
        st.info(t("Choose a new time for your visit; the old time is freed when you confirm."))
        if st.button(t("Keep the old time"), key="move_stop"):
            st.session_state.pop(MOVING, None)
            st.rerun()
    code = st.selectbox(
        t("Type of visit"),
        list(types),
        index=list(types).index(moving[1]) if moving else 0,
        format_func=lambda c: (
            t(types[c].name)
            if types[c].self_schedule
            else t("{visit} (request)", visit=t(types[c].name))
        ),
        disabled=bool(moving),
        key="schedule_type",
    )
    chosen = types[code]
    if not chosen.self_schedule:
        _request(chosen)
        return
    providers = {ANY: t("Any provider")} | {
        pid: _own_team(name, own) for pid, name, own in choices.providers
    }
    sites = {ANY: t("Any location")} | dict(choices.sites)
    left, right = st.columns(2)
    provider = left.selectbox(t("Provider"), list(providers), format_func=providers.__getitem__)
    site = right.selectbox(t("Location"), list(sites), format_func=sites.__getitem__)
    today = clock.today()
    span = st.date_input(
        t("Days"),
        value=(today, today + timedelta(days=14)),
        min_value=today,
        max_value=today + timedelta(days=visit_types.SEARCH_DAYS_MAX),
        format="MM/DD/YYYY",
    )
    if not isinstance(span, tuple) or len(span) != 2:
        st.caption(t("Choose the first and the last day."))
        return
    slots = booking.open_slots(
        actor=actor,
        patient_id=patient_id,
        visit_type=code,
        date_from=span[0],
        date_to=span[1],
        provider_id=None if provider == ANY else provider,  # type: ignore[arg-type]
        site_id=None if site == ANY else site,  # type: ignore[arg-type]
    )
    if not slots:
        st.info(t("No open times in those days. Try other days, any provider or any location."))
        return
    _book(slots, chosen, moving)


def _book(
    slots: list[booking.OpenSlot],
    chosen: visit_types.VisitType,
    moving: tuple[uuid.UUID, str] | None,
) -> None:
    labels = {s.slot_id: plain(_slot_label(s)) for s in slots}
    slot = st.radio(t("Open times (clinic time)"), list(labels), format_func=labels.__getitem__)
    reason = "" if moving else st.text_input(t("Reason for the visit"), max_chars=200)
    waitlist = not moving and st.checkbox(
        t("Offer me an earlier time if one opens"), key="schedule_waitlist"
    )
    if st.button(t("Move my visit here") if moving else t("Book this time"), type="primary"):
        try:
            if moving:
                booking.reschedule(
                    actor=actor, patient_id=patient_id, appointment_id=moving[0], slot_id=slot
                )
                st.session_state.pop(MOVING, None)
            else:
                booking.book(
                    actor=actor,
                    patient_id=patient_id,
                    slot_id=slot,
                    visit_type=chosen.code,
                    reason=reason,
                    waitlist=bool(waitlist),
                )
            chosen_time = labels[slot]
            state.done(
                t("Moved to: {time}.", time=chosen_time)
                if moving
                else t("Booked: {time}.", time=chosen_time)
            )
        except booking.SlotTaken as taken:
            st.warning(taken.message)
            for s in taken.next_slots:
                st.text(_slot_label(s))


def _request(chosen: visit_types.VisitType) -> None:
    st.write(
        t(
            "A {visit} is arranged by the clinic: send a request and we call you to find a time.",
            visit=t(chosen.name).lower(),
        )
    )
    with st.form("visit_request"):
        preferred = st.text_input(
            t("Days and times that suit you"), max_chars=500, key="request_preferred"
        )
        note = st.text_area(t("Anything we should know"), max_chars=1000)
        if st.form_submit_button(t("Send the request")):
            booking.request_visit(
                actor=actor,
                patient_id=patient_id,
                visit_type=chosen.code,
                preferred=preferred,
                note=note,
            )
            state.done(t("Your request was sent; the clinic will call you."))


def _past(items: list[visits.Visit]) -> None:
    table(
        {
            t("When"): [when(v.start_at) for v in items],
            t("Visit"): [v.type_name for v in items],
            t("With"): [v.provider_name for v in items],
            t("Where"): [t("Video") if v.video else v.site_name for v in items],
            t("Reason"): [v.reason for v in items],
        },
        empty=t("No past visits."),
        static=True,
    )


with state.service_errors():
    upcoming, past = visits.my_visits(actor=actor, patient_id=patient_id)
    now, schedule, before = st.tabs([t("Upcoming"), t("Schedule a visit"), t("Past visits")])
    with now, state.service_errors():
        _offers()
        _upcoming(upcoming)
    with schedule, state.service_errors():
        _schedule()
    with before:
        _past(past)
