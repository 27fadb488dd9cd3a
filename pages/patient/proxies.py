"""Proxy access: who can act for me (change, renew, revoke), invitations I sent, requests waiting
for my answer, and a new invitation."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import streamlit as st

from pages.components import state
from pages.components.format import last_day, plain, when
from pages.components.widgets import table, words
from services.core import clock, language
from services.core.access import PATIENT, SCOPES
from services.core.language import listing, t
from services.proxy import grants, invitations, proxy_rules, requests


def _scopes_picker(label: str, key: str, chosen: tuple[str, ...] | list[str] = ()) -> list[str]:
    return st.multiselect(
        label,
        list(SCOPES),
        default=[s for s in chosen if s in SCOPES],
        format_func=words(proxy_rules.SCOPE_WORDS),
        key=key,
        help=t(
            "Only these parts of your record are shown to this person; you can change it later."
        ),
    )


def _end_picker(label: str, key: str) -> date:
    today = clock.today()
    latest = clock.add_months(today, proxy_rules.max_months())
    return st.date_input(
        label,
        value=min(clock.add_months(today, proxy_rules.default_months()), latest),
        min_value=today + timedelta(days=1),
        max_value=latest,
        format="YYYY-MM-DD",
        key=key,
    )


def _words(scopes: tuple[str, ...]) -> str:
    return listing(t(proxy_rules.SCOPE_WORDS.get(s, s)) for s in scopes)


def _people(patient_id: uuid.UUID) -> None:
    st.subheader(t("People who can act for you"))
    people = grants.proxies_list(actor=actor, patient_id=patient_id)
    table(
        {
            t("Name"): [p.name for p in people],
            t("Relationship"): [proxy_rules.relationship_words(p.relationship) for p in people],
            t("May see"): [_words(p.scopes) for p in people],
            t("Until"): [last_day(p.ends_at) if p.ends_at else t("You turn 18") for p in people],
            t("Last used"): [
                when(p.last_used_at) if p.last_used_at else t("Not yet") for p in people
            ],
        },
        empty=t("Nobody can act for you in the portal."),
    )
    for p in people:
        with st.expander(t("Change access for {name}", name=plain(p.name))):
            if not p.patient_managed:
                st.write(
                    t(
                        "This access rests on a parent's right or a legal document. To change "
                        "it, contact the clinic's health information office."
                    )
                )
                continue
            scopes = _scopes_picker(t("What they may see"), f"proxy_scopes_{p.grant_id}", p.scopes)
            if st.button(t("Save what they may see"), key=f"proxy_save_{p.grant_id}"):
                with state.service_errors():
                    grants.grant_scopes_change(
                        actor=actor, patient_id=patient_id, grant_id=p.grant_id, scopes=set(scopes)
                    )
                    st.success(t("Saved. It applies from their next click."))
            ends = _end_picker(t("Renew until"), f"proxy_renew_{p.grant_id}")
            if st.button(t("Renew"), key=f"proxy_renew_btn_{p.grant_id}"):
                with state.service_errors():
                    grants.grant_renew(
                        actor=actor, patient_id=patient_id, grant_id=p.grant_id, ends_on=ends
                    )
                    st.success(t("Renewed until {day}.", day=language.day(ends)))
            confirm = st.checkbox(
                t("Yes, end {name}'s access now", name=plain(p.name)),
                key=f"proxy_confirm_{p.grant_id}",
            )
            if st.button(
                t("Revoke access"), key=f"proxy_revoke_{p.grant_id}", disabled=not confirm
            ):
                with state.service_errors():
                    grants.grant_revoke(actor=actor, patient_id=patient_id, grant_id=p.grant_id)
                    state.done(t("{name}'s access has ended.", name=plain(p.name)))


def _asked(patient_id: uuid.UUID) -> None:
    asked = requests.requests_for_patient(actor=actor, patient_id=patient_id)
    if not asked:
        return
    st.subheader(t("Requests for access to your record"))
    for r in asked:
        with st.container(border=True):
            st.markdown(
                t(
                    "**{requester}** ({relationship}) asked on {received_at}.",
                    requester=plain(r.requester),
                    relationship=plain(r.relationship),
                    received_at=when(r.received_at),
                )
            )
            if r.note:
                st.text(r.note)
            scopes = _scopes_picker(t("What they may see"), f"answer_scopes_{r.request_id}")
            ends = _end_picker(t("Until"), f"answer_end_{r.request_id}")
            approve, decline = st.columns(2)
            if approve.button(t("Approve"), key=f"answer_yes_{r.request_id}", type="primary"):
                with state.service_errors():
                    requests.request_answer(
                        actor=actor,
                        patient_id=patient_id,
                        request_id=r.request_id,
                        approve=True,
                        scopes=set(scopes),
                        ends_on=ends,
                    )
                    state.done(t("{requester} can now act for you.", requester=plain(r.requester)))
            if decline.button(t("Decline"), key=f"answer_no_{r.request_id}"):
                with state.service_errors():
                    requests.request_answer(
                        actor=actor,
                        patient_id=patient_id,
                        request_id=r.request_id,
                        approve=False,
                    )
                    state.done(t("You declined the request. Nothing was shared."))


def _invitations(patient_id: uuid.UUID) -> None:
    st.subheader(t("Invitations waiting to be accepted"))
    pending = invitations.invitations_pending(actor=actor, patient_id=patient_id)
    table(
        {
            t("Name"): [i.invitee_name for i in pending],
            t("Email"): [i.invitee_email for i in pending],
            t("May see"): [_words(i.scopes) for i in pending],
            t("Link works until"): [when(i.link_expires_at) for i in pending],
        },
        empty=t("No invitations are waiting."),
    )
    for i in pending:
        if st.button(
            t("Cancel the invitation to {invitee_email}", invitee_email=plain(i.invitee_email)),
            key=f"invite_cancel_{i.invitation_id}",
        ):
            with state.service_errors():
                invitations.invitation_cancel(
                    actor=actor, patient_id=patient_id, invitation_id=i.invitation_id
                )
                state.done(t("The invitation was cancelled; its link no longer works."))


def _invite(patient_id: uuid.UUID) -> None:
    st.subheader(t("Invite someone to help with your care"))
    st.write(
        t(
            "They get an email with a link that works once. They sign in, or create "
            "a caregiver account, and then see only what you choose here."
        )
    )
    with st.form("proxy_invite", clear_on_submit=False):
        name = st.text_input(t("Their name"), max_chars=120, key="invite_name")
        email = st.text_input(t("Their email address"), max_chars=254, key="invite_email")
        relationship = st.selectbox(
            t("How they are related to you"),
            list(proxy_rules.DELEGATE_RELATIONSHIPS),
            format_func=proxy_rules.relationship_words,
            key="invite_relationship",
        )
        scopes = _scopes_picker(t("What they may see"), "invite_scopes")
        ends = _end_picker(t("Access ends on"), "invite_end")
        sent = st.form_submit_button(t("Send invitation"), type="primary")
    if sent:
        with state.service_errors():
            invitations.invitation_create(
                actor=actor,
                patient_id=patient_id,
                name=name,
                email=email,
                relationship=relationship,
                scopes=set(scopes),
                ends_on=ends,
            )
            st.success(t("Invitation sent to {email}.", email=plain(email)))


actor = state.guard(PATIENT)
st.title(t("Proxy access"))
state.show_flash()
patient_id = state.acting_patient()
if patient_id is None or patient_id != actor.patient_id:
    st.info(t("Only a patient can choose who acts for them. Open your own record in the sidebar."))
    st.stop()
with state.service_errors():
    _people(patient_id)
    _asked(patient_id)
    _invitations(patient_id)
    _invite(patient_id)
