"""HIM's records-request queue: open requests by due date with their flags, filters and
assignment; one request with what it needs and the actions (move on, extend once, deny,
fulfil); and disclosures made outside the portal, recorded for the accounting."""

from __future__ import annotations

import uuid

import streamlit as st

from pages.components import record_update_forms, state
from pages.components.format import fee, last_day, plain, when
from pages.components.widgets import choose, download, narrow, open_one, table, words
from services.core import clock, language, uploads
from services.core.access import HIM
from services.core.language import t, tn
from services.him import accounting, amendments, queue, request_terms, updates
from services.records.extent import PARTS

OPEN = "records_queue_open"

actor = state.guard(HIM)
st.title(t("Records requests"))
state.show_flash()


def _queue() -> None:
    kind_col, status_col, flag_col, who_col = st.columns(4)
    kind = narrow(kind_col, t("Kind"), request_terms.KINDS, t("All kinds"), "rq_kind")
    status = narrow(status_col, t("Status"), request_terms.STATUSES, t("All open"), "rq_status")
    flag = narrow(flag_col, t("Deadline"), queue.FLAGS, t("Any"), "rq_flag")
    whom = {None: t("Anyone"), "me": t("To me"), "nobody": t("To nobody")}
    assigned = who_col.selectbox(
        t("Assigned"), list(whom), format_func=whom.__getitem__, key="rq_assigned"
    )
    items = queue.records_queue(actor=actor, kind=kind, status=status, flag=flag, assigned=assigned)
    late = sum(i.flag == "overdue" for i in items)
    soon = sum(i.flag == "due_soon" for i in items)
    st.caption(
        t(
            "{shown} shown: {late} overdue, {soon} due within 7 days.",
            shown=len(items),
            late=late,
            soon=soon,
        )
    )
    table(
        {
            t("Due by"): [last_day(i.due_at) for i in items],
            t("Flag"): [t(queue.FLAGS.get(i.flag, "")) for i in items],
            t("Kind"): [t(request_terms.KINDS.get(i.kind, i.kind)) for i in items],
            t("Patient"): [i.patient_name for i in items],
            "MRN": [i.mrn for i in items],
            t("Status"): [t(request_terms.STATUSES.get(i.status, i.status)) for i in items],
            t("Received"): [when(i.received_at) for i in items],
            t("Assigned to"): [i.assignee or "" for i in items],
        },
        empty=t("No requests match."),
    )
    labels = {
        i.request_id: t(
            "{patient} (MRN {mrn}): {kind}, due {day}",
            patient=i.patient_name,
            mrn=i.mrn,
            kind=t(request_terms.KINDS.get(i.kind, i.kind)),
            day=last_day(i.due_at),
        )
        for i in items
    }
    open_one(labels, "rq_pick", OPEN)


def _request(request_id: uuid.UUID) -> None:
    d = queue.request_detail(actor=actor, request_id=request_id)
    st.subheader(
        t(
            "{kind} for {patient}",
            kind=t(request_terms.KINDS.get(d.kind, d.kind)),
            patient=plain(d.patient_name),
        )
    )
    st.caption(
        t(
            "MRN {mrn}, born {born}. Asked by {asked_by}, received {received}. Status: {status}.",
            mrn=plain(d.mrn),
            born=language.day(d.birth_date),
            asked_by=plain(d.requested_by),
            received=when(d.received_at),
            status=t(request_terms.STATUSES.get(d.status, d.status)),
        )
    )
    if d.status in request_terms.OPEN:
        day = language.day(d.last_day)
        if d.flag == "overdue":
            st.error(t("Due by the end of {day}: overdue.", day=day))
        elif d.flag == "due_soon":
            st.warning(t("Due by the end of {day}.", day=day))
        else:
            st.info(t("Due by the end of {day}.", day=day))
    if d.extended:
        st.text(
            t(
                "Extended once. Reason given to the patient: {reason}",
                reason=d.extension_reason or "",
            )
        )
    facts = {
        t("What"): d.what,
        t("Parts"): language.listing(t(PARTS.get(p, p)) for p in sorted(d.parts)) or "—",
        t("Form"): t(
            request_terms.COPY_FORMS.get(
                d.delivery or "", request_terms.DELIVERED.get(d.delivery or "", "—")
            )
        ),
        t("Fee"): fee(d.fee_cents),
    }
    if d.limited:
        facts[t("Note")] = t(
            "Asked by a parent with limited access: confidential information is left out."
        )
    table({"": list(facts), t("Value"): list(facts.values())}, empty="")
    if d.authorization is not None:
        a = d.authorization
        st.markdown(t("**Authorization**"))
        table(
            {
                "": [
                    t("Recipient"),
                    t("Address"),
                    t("Purpose"),
                    t("Ends"),
                    t("Signed"),
                    t("Signer"),
                ],
                t("Value"): [
                    a.recipient_name,
                    a.recipient_address,
                    a.purpose,
                    a.ends,
                    f"{a.signature}, {language.day(a.signed_on)}",
                    a.signer_relationship,
                ],
            },
            empty="",
        )
        if a.revoked_at:
            st.error(
                t(
                    "Revoked by the patient {when}: release nothing more.",
                    when=when(a.revoked_at),
                )
            )
    asked = _amendment(d) if d.kind == request_terms.AMENDMENT else None
    if d.kind == request_terms.UPDATE:
        _update(d)
    elif d.status in request_terms.OPEN:
        _work(d, asked)
    if d.status == request_terms.FULFILLED and d.delivered_by == request_terms.MAIL:
        download(
            t("Download the package to mail"),
            lambda: queue.package_for_staff(actor=actor, request_id=d.request_id)[1],
            file_name=f"release-{d.request_id}.zip",
            key=f"rq_package_{d.request_id}",
        )


def _work(d: queue.RequestDetail, asked: amendments.AmendmentView | None) -> None:
    staff = dict(queue.him_staff(actor=actor))
    left, right = st.columns(2)
    options = [None, *staff]
    assignee = left.selectbox(
        t("Assigned to"),
        options,
        index=options.index(d.assigned_to) if d.assigned_to in staff else 0,
        format_func=lambda u: t("Nobody") if u is None else staff[u],
        key=f"rq_assignee_{d.request_id}",
    )
    if left.button(t("Assign"), key=f"rq_assign_{d.request_id}"):
        with state.service_errors():
            queue.request_assign(actor=actor, request_id=d.request_id, user_id=assignee)
            state.done(t("Assigned."))
    moves = queue.MOVES.get(d.status, ())
    if moves:
        target = right.selectbox(
            t("Move to"),
            list(moves),
            format_func=words(request_terms.STATUSES),
            key=f"rq_move_to_{d.request_id}",
        )
        if right.button(t("Move"), key=f"rq_move_{d.request_id}"):
            with state.service_errors():
                queue.request_move(actor=actor, request_id=d.request_id, status=target)
                state.done(t("Now: {status}.", status=t(request_terms.STATUSES[target])))
    if asked is not None:
        route, extend = st.tabs([t("Route"), t("Extend")])
        with route:
            _route(asked)
    else:
        fulfil, extend, deny = st.tabs([t("Fulfil"), t("Extend"), t("Deny")])
        with fulfil:
            _fulfil(d)
        with deny:
            _deny(d)
    with extend:
        new_day = st.date_input(
            t("New last day"),
            value=None,
            min_value=d.last_day,
            format="YYYY-MM-DD",
            key=f"rq_ext_day_{d.request_id}",
        )
        reason = st.text_area(
            t("Reason (the patient is told)"), max_chars=1000, key=f"rq_ext_reason_{d.request_id}"
        )
        if st.button(t("Extend the deadline"), key=f"rq_extend_{d.request_id}"):
            with state.service_errors():
                queue.request_extend(
                    actor=actor, request_id=d.request_id, new_last_day=new_day, reason=reason
                )
                state.done(t("Extended. The patient has been told the reason and the new date."))


def _update(d: queue.RequestDetail) -> None:
    u = updates.update_detail(actor=actor, request_id=d.request_id)
    st.markdown(t("**As reported:** {given}", given=plain(u.given)))
    table({"": list(u.facts), t("Value"): list(u.facts.values())}, empty="")
    if u.has_document:
        kind, data = updates.update_document(actor=actor, request_id=d.request_id)
        if kind.startswith("image/"):
            st.image(data, caption=t("The document as sent"))
        download(
            t("Download the document"),
            data,
            file_name=f"record-update-{d.request_id}{uploads.suffix(kind)}",
            key=f"rq_update_doc_{d.request_id}",
            mime=kind,
        )
    if u.status not in request_terms.OPEN:
        return
    st.caption(
        t(
            "Confirming a death closes the patient's accounts, ends their sessions "
            "and every proxy's access, and stops notifications. Confirming an "
            "adoption records the new name and ends the access of other parents."
        )
    )
    note = st.text_area(
        t("Note (needed to decline)"), max_chars=1000, key=f"rq_update_note_{d.request_id}"
    )
    confirm, decline = st.columns(2)
    for column, label, yes in (
        (confirm, t("Confirm and update the record"), True),
        (decline, t("Decline"), False),
    ):
        if column.button(
            label, key=f"rq_update_{yes}_{d.request_id}", type="primary" if yes else "secondary"
        ):
            with state.service_errors():
                updates.update_decide(actor=actor, request_id=d.request_id, confirm=yes, note=note)
                state.done(t("Confirmed; the record is updated.") if yes else t("Declined."))


def _deny(d: queue.RequestDetail) -> None:
    ground = st.selectbox(
        t("Ground"),
        list(request_terms.DENIAL_GROUNDS),
        format_func=lambda g: t(request_terms.DENIAL_GROUNDS[g].words),
        key=f"rq_ground_{d.request_id}",
    )
    st.caption(
        t("Reviewable: the patient may have it reviewed.")
        if request_terms.DENIAL_GROUNDS[ground].reviewable
        else t("Not reviewable.")
    )
    note = st.text_area(
        t("Explanation for the letter (optional)"),
        max_chars=1000,
        key=f"rq_deny_note_{d.request_id}",
    )
    if st.button(t("Deny and send the letter"), key=f"rq_deny_{d.request_id}"):
        with state.service_errors():
            queue.request_deny(actor=actor, request_id=d.request_id, ground=ground, note=note)
            state.done(t("Denied. The letter is in the patient's portal."))


def _amendment(d: queue.RequestDetail) -> amendments.AmendmentView:
    a = amendments.amendment_detail(actor=actor, request_id=d.request_id)
    st.markdown(t("**Amendment asked for**"))
    st.text(
        t(
            "Item: {item}\nNow: {now}\nChange asked: {change}\nReason: {reason}\nTell: {tell}\n"
            "Routed to: {routed}",
            item=a.item_label,
            now=a.current,
            change=a.change,
            reason=a.reason,
            tell=a.notify or "—",
            routed=a.routed_to or t("nobody yet"),
        )
    )
    if a.decision:
        lines = [t("Decision: {decision}", decision=a.decision)]
        if a.amendment_text:
            lines.append(t("Amendment: {value}", value=a.amendment_text))
        if a.denial_ground:
            ground = t(amendments.GROUNDS.get(a.denial_ground, ""))
            lines.append(t("Ground: {ground}", ground=ground))
        st.text("\n".join(lines))
    if a.disagreement:
        st.text(t("Patient's statement of disagreement: {statement}", statement=a.disagreement))
        if a.rebuttal:
            st.text(t("Rebuttal: {rebuttal}", rebuttal=a.rebuttal))
        else:
            rebuttal = st.text_area(
                t("Rebuttal (optional; the patient gets a copy)"),
                max_chars=amendments.MAX_TEXT,
                key=f"rq_rebut_{d.request_id}",
            )
            if st.button(t("Add the rebuttal"), key=f"rq_rebut_btn_{d.request_id}"):
                with state.service_errors():
                    amendments.rebuttal_add(actor=actor, request_id=d.request_id, rebuttal=rebuttal)
                    state.done(t("Rebuttal added. It travels with the item."))
    return a


def _route(a: amendments.AmendmentView) -> None:
    people = dict(amendments.clinicians(actor=actor))
    options = list(people)
    who = st.selectbox(
        t("Route to (the author is suggested)"),
        options,
        index=options.index(a.routed_to_id) if a.routed_to_id in people else 0,
        format_func=people.__getitem__,
        key=f"rq_route_to_{a.request_id}",
    )
    if st.button(t("Route for a decision"), key=f"rq_route_{a.request_id}"):
        with state.service_errors():
            amendments.amendment_route(actor=actor, request_id=a.request_id, clinician_id=who)
            state.done(t("Routed to {name}.", name=people[who]))


def _fulfil(d: queue.RequestDetail) -> None:
    chosen: list[uuid.UUID] = []
    if d.documents:
        names = dict(d.documents)
        chosen = st.multiselect(
            t("Documents to include"),
            list(names),
            format_func=names.__getitem__,
            key=f"rq_docs_{d.request_id}",
        )
    if d.kind == request_terms.ROI:
        st.write(
            t(
                "The package goes by a secure link to the recipient's email, or is kept "
                "for mailing; the release is recorded as a disclosure."
            )
        )
    elif d.kind == request_terms.ACCOUNTING:
        st.write(t("The accounting is produced from the disclosures on record."))
    if st.button(t("Fulfil"), type="primary", key=f"rq_fulfil_{d.request_id}"):
        with state.service_errors():
            done = queue.request_fulfil(actor=actor, request_id=d.request_id, documents=chosen)
            how = t(request_terms.DELIVERED.get(done.delivered_by, done.delivered_by))
            state.done(
                tn(
                    "Fulfilled: {how}, {count} file in the package.",
                    "Fulfilled: {how}, {count} files in the package.",
                    len(done.files),
                    how=how,
                )
                if done.files
                else t("Fulfilled: {how}.", how=how)
            )


def _disclosure() -> None:
    st.write(
        t(
            "Record a disclosure made outside the portal (a subpoena answered, a "
            "report to public health) so that it appears in the patient's "
            "accounting."
        )
    )
    with st.form("disclosure_form"):
        mrn = st.text_input(t("Patient MRN"), max_chars=16, key="disc_mrn")
        day = st.date_input(
            t("Disclosed on"), value=clock.today(), format="YYYY-MM-DD", key="disc_day"
        )
        recipient = st.text_input(t("Recipient"), max_chars=200, key="disc_recipient")
        description = st.text_input(t("What was disclosed"), max_chars=200, key="disc_what")
        purpose = st.text_input(t("Purpose"), max_chars=200, key="disc_purpose")
        basis = choose(t("Legal basis"), accounting.BASES, "disc_basis")
        submitted = st.form_submit_button(t("Record the disclosure"))
    if submitted:
        with state.service_errors():
            accounting.disclosure_record(
                actor=actor,
                mrn=mrn,
                disclosed_on=day,
                recipient=recipient,
                description=description,
                purpose=purpose,
                basis=basis,
            )
            state.done(t("Recorded."))


def _enter_update() -> None:
    st.write(t("Enter a death or an adoption reported by email, mail or at registration."))
    death, adoption = st.tabs([t("A death"), t("An adoption")])
    with death:
        report = record_update_forms.death_form("him_death")
    with adoption:
        notice = record_update_forms.adoption_form("him_adoption")
    form = report or notice
    if form is not None:
        with state.service_errors():
            updates.update_enter(actor=actor, form=form)
            state.done(t("Entered. It is in the queue to confirm."))


with state.service_errors():
    work, record, enter = st.tabs(
        [t("Queue"), t("Record a disclosure"), t("Enter a record update")]
    )
    with work:
        _queue()
        opened = st.session_state.get(OPEN)
        if isinstance(opened, uuid.UUID):
            st.divider()
            _request(opened)
    with record:
        _disclosure()
    with enter:
        _enter_update()
