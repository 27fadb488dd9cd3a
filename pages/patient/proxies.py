"""Proxy access: who can act for me (change, renew, revoke), invitations I sent, requests waiting
for my answer, and a new invitation."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import streamlit as st

from pages.components import state
from pages.components.format import last_day, plain, when
from pages.components.widgets import table
from services.core import clock
from services.core.access import PATIENT, SCOPES
from services.proxy import grants, invitations, policy, requests


def _scopes_picker(label: str, key: str, chosen: tuple[str, ...] | list[str] = ()) -> list[str]:
    return st.multiselect(
        label,
        list(SCOPES),
        default=[s for s in chosen if s in SCOPES],
        format_func=policy.SCOPE_WORDS.get,
        key=key,
        help="Only these parts of your record are shown to this person; you can change it later.",
    )


def _end_picker(label: str, key: str) -> date:
    today = clock.today()
    latest = clock.add_months(today, policy.max_months())
    return st.date_input(
        label,
        value=min(clock.add_months(today, policy.default_months()), latest),
        min_value=today + timedelta(days=1),
        max_value=latest,
        format="YYYY-MM-DD",
        key=key,
    )


def _words(scopes: tuple[str, ...]) -> str:
    return ", ".join(policy.SCOPE_WORDS.get(s, s) for s in scopes)


def _people(patient_id: uuid.UUID) -> None:
    st.subheader("People who can act for you")
    people = grants.proxies_list(actor=actor, patient_id=patient_id)
    table(
        {
            "Name": [p.name for p in people],
            "Relationship": [p.relationship.replace("_", " ") for p in people],
            "May see": [_words(p.scopes) for p in people],
            "Until": [last_day(p.ends_at) if p.ends_at else "You turn 18" for p in people],
            "Last used": [when(p.last_used_at) if p.last_used_at else "Not yet" for p in people],
        },
        empty="Nobody can act for you in the portal.",
    )
    for p in people:
        with st.expander(f"Change access for {plain(p.name)}"):
            if not p.patient_managed:
                st.write(
                    "This access rests on a parent's right or a legal document. To change it, "
                    "contact the clinic's health information office."
                )
                continue
            scopes = _scopes_picker("What they may see", f"proxy_scopes_{p.grant_id}", p.scopes)
            if st.button("Save what they may see", key=f"proxy_save_{p.grant_id}"):
                with state.service_errors():
                    grants.grant_scopes_change(
                        actor=actor, patient_id=patient_id, grant_id=p.grant_id, scopes=set(scopes)
                    )
                    st.success("Saved. It applies from their next click.")
            ends = _end_picker("Renew until", f"proxy_renew_{p.grant_id}")
            if st.button("Renew", key=f"proxy_renew_btn_{p.grant_id}"):
                with state.service_errors():
                    grants.grant_renew(
                        actor=actor, patient_id=patient_id, grant_id=p.grant_id, ends_on=ends
                    )
                    st.success(f"Renewed until {ends:%B %-d, %Y}.")
            confirm = st.checkbox(
                f"Yes, end {plain(p.name)}'s access now", key=f"proxy_confirm_{p.grant_id}"
            )
            if st.button("Revoke access", key=f"proxy_revoke_{p.grant_id}", disabled=not confirm):
                with state.service_errors():
                    grants.grant_revoke(actor=actor, patient_id=patient_id, grant_id=p.grant_id)
                    state.done(f"{plain(p.name)}'s access has ended.")


def _asked(patient_id: uuid.UUID) -> None:
    asked = requests.requests_for_patient(actor=actor, patient_id=patient_id)
    if not asked:
        return
    st.subheader("Requests for access to your record")
    for r in asked:
        with st.container(border=True):
            st.markdown(
                f"**{plain(r.requester)}** ({plain(r.relationship)}) asked on "
                f"{when(r.received_at)}."
            )
            if r.note:
                st.text(r.note)
            scopes = _scopes_picker("What they may see", f"answer_scopes_{r.request_id}")
            ends = _end_picker("Until", f"answer_end_{r.request_id}")
            approve, decline = st.columns(2)
            if approve.button("Approve", key=f"answer_yes_{r.request_id}", type="primary"):
                with state.service_errors():
                    requests.request_answer(
                        actor=actor,
                        patient_id=patient_id,
                        request_id=r.request_id,
                        approve=True,
                        scopes=set(scopes),
                        ends_on=ends,
                    )
                    state.done(f"{plain(r.requester)} can now act for you.")
            if decline.button("Decline", key=f"answer_no_{r.request_id}"):
                with state.service_errors():
                    requests.request_answer(
                        actor=actor,
                        patient_id=patient_id,
                        request_id=r.request_id,
                        approve=False,
                    )
                    state.done("You declined the request. Nothing was shared.")


def _invitations(patient_id: uuid.UUID) -> None:
    st.subheader("Invitations waiting to be accepted")
    pending = invitations.invitations_pending(actor=actor, patient_id=patient_id)
    table(
        {
            "Name": [i.invitee_name for i in pending],
            "Email": [i.invitee_email for i in pending],
            "May see": [_words(i.scopes) for i in pending],
            "Link works until": [when(i.link_expires_at) for i in pending],
        },
        empty="No invitations are waiting.",
    )
    for i in pending:
        if st.button(
            f"Cancel the invitation to {plain(i.invitee_email)}",
            key=f"invite_cancel_{i.invitation_id}",
        ):
            with state.service_errors():
                invitations.invitation_cancel(
                    actor=actor, patient_id=patient_id, invitation_id=i.invitation_id
                )
                state.done("The invitation was cancelled; its link no longer works.")


def _invite(patient_id: uuid.UUID) -> None:
    st.subheader("Invite someone to help with your care")
    st.write(
        "They get an email with a link that works once. They sign in, or create a caregiver "
        "account, and then see only what you choose here."
    )
    with st.form("proxy_invite", clear_on_submit=False):
        name = st.text_input("Their name", max_chars=120, key="invite_name")
        email = st.text_input("Their email address", max_chars=254, key="invite_email")
        relationship = st.selectbox(
            "How they are related to you",
            list(policy.DELEGATE_RELATIONSHIPS),
            format_func=policy.DELEGATE_RELATIONSHIPS.get,
            key="invite_relationship",
        )
        scopes = _scopes_picker("What they may see", "invite_scopes")
        ends = _end_picker("Access ends on", "invite_end")
        sent = st.form_submit_button("Send invitation", type="primary")
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
            st.success(f"Invitation sent to {plain(email)}.")


actor = state.guard(PATIENT)
st.title("Proxy access")
state.show_flash()
patient_id = state.acting_patient()
if patient_id is None or patient_id != actor.patient_id:
    st.info("Only a patient can choose who acts for them. Open your own record in the sidebar.")
    st.stop()
with state.service_errors():
    _people(patient_id)
    _asked(patient_id)
    _invitations(patient_id)
    _invite(patient_id)
