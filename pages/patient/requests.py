"""Records requests: what I asked for, with its status, due date and fee (withdraw, revoke,
download, letters); a copy of my record; a release to someone else under my signed
authorization; an accounting of disclosures."""

from __future__ import annotations

from datetime import date
from functools import partial

import streamlit as st

from pages.components import record_update_forms, state
from pages.components.format import fee, last_day, plain, when
from pages.components.widgets import download, table, words
from services.core import clock, language
from services.core.language import t
from services.him import accounting, amendments, request_terms, requests, updates
from services.him.authorization import Authorization
from services.records.extent import ALL, PARTS

actor, patient_id = state.patient_page(t("Records requests"))
acting = state.acting_choice()
state.show_flash()
st.caption(
    t(
        "The law gives the clinic 30 days to send records (60 for an accounting "
        "of disclosures); we usually take about two weeks. Your own copy is "
        "free."
    )
)


def _what(key: str) -> tuple[set[str], date | None, date | None]:
    """The parts of the record and the days, as the patient chooses them."""
    whole = st.radio(
        t("What do you want?"),
        [t("The whole record"), t("Some parts")],
        horizontal=True,
        key=f"{key}_whole",
    )
    parts = {ALL}
    if whole == t("Some parts"):
        parts = set(
            st.multiselect(
                t("Which parts"),
                [p for p in PARTS if p != ALL],
                format_func=words(PARTS),
                key=f"{key}_parts",
            )
        )
    left, right = st.columns(2)
    start = left.date_input(
        t("From (optional)"),
        value=None,
        min_value=date(request_terms.EARLIEST_YEAR, 1, 1),
        max_value=clock.today(),
        format="YYYY-MM-DD",
        key=f"{key}_from",
    )
    end = right.date_input(
        t("To (optional)"),
        value=None,
        min_value=date(request_terms.EARLIEST_YEAR, 1, 1),
        max_value=clock.today(),
        format="YYYY-MM-DD",
        key=f"{key}_to",
    )
    return parts, start, end


def _mine() -> None:
    mine = requests.my_requests(actor=actor, patient_id=patient_id)
    table(
        {
            t("Received"): [when(r.received_at) for r in mine],
            t("Request"): [t(request_terms.KINDS.get(r.kind, r.kind)) for r in mine],
            t("What"): [r.what for r in mine],
            t("Status"): [t(request_terms.STATUSES.get(r.status, r.status)) for r in mine],
            t("Due by"): [last_day(r.due_at) if r.is_open else "" for r in mine],
            t("Fee"): [fee(r.fee_cents) for r in mine],
        },
        empty=t("You have not asked for records yet."),
    )
    for r in mine:
        title = t(
            "{kind} received {received_at}",
            kind=t(request_terms.KINDS.get(r.kind, r.kind)),
            received_at=when(r.received_at),
        )
        with st.expander(plain(title)):
            _one(r)


def _one(r: requests.PatientRequest) -> None:
    st.text(
        t(
            "{what}\nStatus: {status}",
            what=r.what,
            status=t(request_terms.STATUSES.get(r.status, r.status)),
        )
    )
    if r.recipient:
        st.text(t("To: {recipient}", recipient=r.recipient))
    if r.is_open:
        st.write(t("Due by the end of {due_at}.", due_at=last_day(r.due_at)))
    if r.extended:
        st.warning(t("The clinic extended the deadline to {due_at}.", due_at=last_day(r.due_at)))
        st.text(t("Reason: {value}", value=r.extension_reason or ""))
    if r.revoked_at:
        st.info(t("You revoked this authorization on {revoked_at}.", revoked_at=when(r.revoked_at)))
    if r.status == request_terms.FULFILLED:
        st.success(
            t(
                "Completed {completed_at}: {how}.",
                completed_at=when(r.completed_at),
                how=t(request_terms.DELIVERED.get(r.delivered_by or "", "")),
            )
        )
        if r.kind == request_terms.ACCESS and r.delivered_by == request_terms.PORTAL:
            download(
                t("Download your records (zip: PDF and FHIR)"),
                partial(
                    requests.package_download,
                    actor=actor,
                    patient_id=patient_id,
                    request_id=r.request_id,
                ),
                file_name=f"records-{clock.local(r.completed_at or r.received_at):%Y-%m-%d}.zip",
                key=f"package_{r.request_id}",
            )
        if r.kind == request_terms.ACCOUNTING:
            _accounting_tables(r)
            download(
                t("Download the accounting (PDF)"),
                partial(
                    requests.accounting_document,
                    actor=actor,
                    patient_id=patient_id,
                    request_id=r.request_id,
                ),
                file_name="accounting-of-disclosures.pdf",
                key=f"accounting_{r.request_id}",
            )
    if r.status == request_terms.DENIED:
        st.error(
            t("The clinic could not fulfil this request. The letter explains why and your rights.")
        )
        download(
            t("Download the letter (PDF)"),
            partial(
                requests.denial_letter, actor=actor, patient_id=patient_id, request_id=r.request_id
            ),
            file_name="records-request-letter.pdf",
            key=f"letter_{r.request_id}",
        )
    if r.is_open and st.button(t("Withdraw this request"), key=f"withdraw_{r.request_id}"):
        with state.service_errors():
            requests.request_withdraw(actor=actor, patient_id=patient_id, request_id=r.request_id)
            state.done(t("Withdrawn."))
    if r.can_revoke:
        st.caption(
            t("Revoking stops any release not yet made. Releases already made stay recorded.")
        )
        if st.button(t("Revoke my authorization"), key=f"revoke_{r.request_id}"):
            with state.service_errors():
                stopped = requests.authorization_revoke(
                    actor=actor, patient_id=patient_id, request_id=r.request_id
                )
                state.done(
                    t("Revoked. The release was stopped.")
                    if stopped
                    else t("Revoked. The records had already been released; that stays recorded.")
                )


def _amendment(r: requests.PatientRequest) -> None:
    a = amendments.my_amendment(actor=actor, patient_id=patient_id, request_id=r.request_id)
    st.text(
        t(
            "Item: {item_label}\nChange asked: {change}\nReason: {reason}",
            item_label=a.item_label,
            change=a.change,
            reason=a.reason,
        )
    )
    if a.decision == amendments.ACCEPTED:
        st.success(t("Accepted. The amendment shows with the item in your record."))
        st.text(t("Amendment: {value}", value=a.amendment_text or ""))
    if a.decision == request_terms.DENIED:
        st.error(t("Not accepted. The letter explains why and your right to disagree."))
        download(
            t("Download the letter (PDF)"),
            partial(
                amendments.amendment_denial_letter,
                actor=actor,
                patient_id=patient_id,
                request_id=r.request_id,
            ),
            file_name="amendment-letter.pdf",
            key=f"amend_letter_{r.request_id}",
        )
        if a.disagreement:
            st.text(
                t("Your statement of disagreement: {disagreement}", disagreement=a.disagreement)
            )
        else:
            statement = st.text_area(
                t("Statement of disagreement (kept with the item from now on)"),
                max_chars=amendments.MAX_TEXT,
                key=f"disagree_{r.request_id}",
            )
            if st.button(t("File my statement"), key=f"disagree_btn_{r.request_id}"):
                with state.service_errors():
                    amendments.disagreement_file(
                        actor=actor,
                        patient_id=patient_id,
                        request_id=r.request_id,
                        statement=statement,
                    )
                    state.done(t("Filed. It now travels with the item."))
        if a.rebuttal:
            st.text(t("The clinic's response: {rebuttal}", rebuttal=a.rebuttal))
    if r.is_open and st.button(t("Withdraw this request"), key=f"withdraw_{r.request_id}"):
        with state.service_errors():
            requests.request_withdraw(actor=actor, patient_id=patient_id, request_id=r.request_id)
            state.done(t("Withdrawn."))


def _correction() -> None:
    st.write(
        t(
            "If something in your record is wrong or incomplete, ask the clinic to "
            "amend it. The clinic answers within 60 days. If it says no, you may "
            "file a statement of disagreement that stays with the item."
        )
    )
    items = amendments.amendable_items(actor=actor, patient_id=patient_id)
    labels = {(i.kind, i.item_id): i.label for i in items}
    chosen = st.selectbox(
        t("What should be amended"),
        list(labels),
        format_func=lambda k: labels[k],
        key="amend_item",
    )
    with st.form("amend_form"):
        change = st.text_area(
            t("What should it say instead"), max_chars=amendments.MAX_TEXT, key="amend_change"
        )
        reason = st.text_area(t("Why"), max_chars=amendments.MAX_TEXT, key="amend_reason")
        people = st.text_area(
            t("Whom should we tell if we amend it (names and email addresses, optional)"),
            max_chars=amendments.MAX_TEXT,
            key="amend_people",
        )
        submitted = st.form_submit_button(t("Ask for the amendment"), type="primary")
    if submitted and chosen is not None:
        with state.service_errors():
            amendments.amendment_request(
                actor=actor,
                patient_id=patient_id,
                item_kind=chosen[0],
                item_id=chosen[1],
                change=change,
                reason=reason,
                notify_people=people,
            )
            state.done(t("Your amendment request was received. The clinic has 60 days to answer."))


def _accounting_tables(r: requests.PatientRequest) -> None:
    found = requests.accounting_view(actor=actor, patient_id=patient_id, request_id=r.request_id)
    st.write(
        t(
            "Disclosures from {first} to {last} that the rule requires us to list:",
            first=language.day(found.since),
            last=last_day(found.until),
        )
    )

    def listing(entries: list[accounting.Entry], empty: str) -> None:
        table(
            {
                t("Date"): [when(e.disclosed_at) for e in entries],
                t("To"): [e.recipient for e in entries],
                t("What"): [e.description for e in entries],
                t("Purpose"): [e.purpose for e in entries],
            },
            empty=empty,
            static=True,
        )

    listing(found.listed, t("None."))
    st.write(t("Releases you asked for or authorized (for your information):"))
    listing(found.authorized, t("None."))


def _copy() -> None:
    st.write(t("A copy of your record for yourself."))
    parts, start, end = _what("copy")
    delivery = st.radio(
        t("How do you want it?"),
        list(request_terms.COPY_FORMS),
        format_func=lambda d: t(
            "{form} ({fee})",
            form=t(request_terms.COPY_FORMS[d]),
            fee=fee(request_terms.fee_cents(request_terms.ACCESS, d)),
        ),
        key="copy_delivery",
    )
    if st.button(t("Ask for my copy"), type="primary", key="copy_submit"):
        with state.service_errors():
            requests.copy_request(
                actor=actor,
                patient_id=patient_id,
                parts=parts,
                delivery=delivery,
                date_from=start,
                date_to=end,
            )
            state.done(t("Your request was received. Its due date is shown under 'My requests'."))


def _release() -> None:
    st.write(
        t(
            "Authorize the clinic to send your records to someone else (another "
            "doctor, a lawyer, an insurer). Every part of this form is required by "
            "law. You can revoke it at any time, except for releases already made."
        )
    )
    parts, start, end = _what("release")
    with st.form("release_form"):
        recipient = st.text_input(
            t("Send to (person or organization)"), max_chars=200, key="release_recipient"
        )
        address = st.text_input(
            t("Their email address or postal address"),
            max_chars=200,
            key="release_address",
            help=t("With an email address, they get a secure link that works for them alone."),
        )
        purpose = st.text_input(
            t("Purpose"),
            max_chars=200,
            key="release_purpose",
            help=t("For example: continuing care."),
        )
        ends_on = st.date_input(
            t("This authorization ends on"), value=None, format="YYYY-MM-DD", key="release_ends"
        )
        event = st.text_input(t("…or ends when (an event)"), max_chars=200, key="release_event")
        signature = st.text_input(
            t("Signature: type your full name"), max_chars=200, key="release_sig"
        )
        signed_on = st.date_input(
            t("Date"), value=clock.today(), format="YYYY-MM-DD", key="release_signed_on"
        )
        submitted = st.form_submit_button(t("Sign and send the authorization"), type="primary")
    st.caption(t("Fee: {fee}.", fee=fee(request_terms.fee_cents(request_terms.ROI, None))))
    if submitted:
        with state.service_errors():
            requests.release_request(
                actor=actor,
                patient_id=patient_id,
                form=Authorization(
                    recipient_name=recipient,
                    recipient_address=address,
                    purpose=purpose,
                    parts=frozenset(parts),
                    ends_on=ends_on,
                    end_event=event,
                    signature=signature,
                    signed_on=signed_on,
                ),
                date_from=start,
                date_to=end,
            )
            state.done(t("Your authorization was received. The release is due within 30 days."))


def _accounting() -> None:
    st.write(
        t(
            "A list of the times the clinic disclosed your health information to "
            "others in the six years before your request, other than for your "
            "treatment, payment, the clinic's operations, to you, or as you "
            "authorized. The first in any 12 months is free."
        )
    )
    if st.button(t("Ask for an accounting of disclosures"), key="accounting_submit"):
        with state.service_errors():
            requests.accounting_request(actor=actor, patient_id=patient_id)
            state.done(t("Your request was received. The clinic has 60 days to answer."))


def _record_update() -> None:
    st.write(
        t(
            "Tell the clinic that the person you act for has died, or (a parent) of "
            "an adoption. The health information office confirms it before the "
            "record changes."
        )
    )
    death, adoption = st.tabs([t("A death"), t("An adoption")])
    with death:
        report = record_update_forms.death_form("update_death")
    with adoption:
        notice = record_update_forms.adoption_form("update_adoption")
    form = report or notice
    if form is not None:
        with state.service_errors():
            updates.update_report(actor=actor, patient_id=patient_id, form=form)
            state.done(t("Received. The health information office will confirm it."))


def _tabs() -> None:
    mine, copy, release, listing, correction = st.tabs(
        [
            t("My requests"),
            t("Get a copy"),
            t("Send to someone else"),
            t("Accounting of disclosures"),
            t("Ask for a correction"),
        ]
    )
    with mine:
        _mine()
    with copy:
        _copy()
    with release:
        _release()
    with listing:
        _accounting()
    with correction:
        _correction()
    if acting is not None and acting.relationship != "self":
        with st.expander(t("Report a death or an adoption")):
            _record_update()


with state.service_errors():
    _tabs()
