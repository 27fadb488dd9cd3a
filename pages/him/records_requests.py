"""HIM's records-request queue: open requests by due date with their flags, filters and
assignment; one request with what it needs and the actions (move on, extend once, deny,
fulfil); and disclosures made outside the portal, recorded for the accounting."""

from __future__ import annotations

import uuid

import streamlit as st

from pages.components import record_update_forms, state
from pages.components.format import fee, last_day, plain, when
from pages.components.widgets import narrow, open_one, table
from services.core import clock, uploads
from services.core.access import HIM
from services.him import accounting, amendments, policy, queue, updates
from services.records.extent import PARTS

OPEN = "records_queue_open"

actor = state.guard(HIM)
st.title("Records requests")
state.show_flash()


def _queue() -> None:
    kind_col, status_col, flag_col, who_col = st.columns(4)
    kind = narrow(kind_col, "Kind", policy.KINDS, "All kinds", "rq_kind")
    status = narrow(status_col, "Status", policy.STATUSES, "All open", "rq_status")
    flag = narrow(flag_col, "Deadline", queue.FLAGS, "Any", "rq_flag")
    assigned = who_col.selectbox(
        "Assigned",
        [None, "me", "nobody"],
        format_func=lambda a: {None: "Anyone", "me": "To me", "nobody": "To nobody"}[a],
        key="rq_assigned",
    )
    items = queue.records_queue(actor=actor, kind=kind, status=status, flag=flag, assigned=assigned)
    late = sum(i.flag == "overdue" for i in items)
    soon = sum(i.flag == "due_soon" for i in items)
    st.caption(f"{len(items)} shown: {late} overdue, {soon} due within 7 days.")
    table(
        {
            "Due by": [last_day(i.due_at) for i in items],
            "Flag": [queue.FLAGS.get(i.flag, "") for i in items],
            "Kind": [policy.KINDS.get(i.kind, i.kind) for i in items],
            "Patient": [i.patient_name for i in items],
            "MRN": [i.mrn for i in items],
            "Status": [policy.STATUSES.get(i.status, i.status) for i in items],
            "Received": [when(i.received_at) for i in items],
            "Assigned to": [i.assignee or "" for i in items],
        },
        empty="No requests match.",
    )
    labels = {
        i.request_id: f"{i.patient_name} (MRN {i.mrn}): {policy.KINDS.get(i.kind, i.kind)}, "
        f"due {last_day(i.due_at)}"
        for i in items
    }
    open_one(labels, "rq_pick", OPEN)


def _request(request_id: uuid.UUID) -> None:
    d = queue.request_detail(actor=actor, request_id=request_id)
    st.subheader(f"{policy.KINDS.get(d.kind, d.kind)} for {plain(d.patient_name)}")
    st.caption(
        f"MRN {plain(d.mrn)}, born {d.birth_date:%b %d, %Y}. Asked by {plain(d.requested_by)}, "
        f"received {when(d.received_at)}. Status: {policy.STATUSES.get(d.status, d.status)}."
    )
    if d.status in policy.OPEN:
        due = f"Due by the end of {d.last_day:%B %d, %Y}"
        if d.flag == "overdue":
            st.error(f"{due}: overdue.")
        elif d.flag == "due_soon":
            st.warning(f"{due}.")
        else:
            st.info(f"{due}.")
    if d.extended:
        st.text(f"Extended once. Reason given to the patient: {d.extension_reason or ''}")
    facts = {
        "What": d.what,
        "Parts": ", ".join(PARTS.get(p, p) for p in sorted(d.parts)) or "—",
        "Form": policy.COPY_FORMS.get(
            d.delivery or "", policy.DELIVERED.get(d.delivery or "", "—")
        ),
        "Fee": fee(d.fee_cents),
    }
    if d.limited:
        facts["Note"] = (
            "Asked by a parent with limited access: confidential information is left out."
        )
    table({"": list(facts), "Value": list(facts.values())}, empty="")
    if d.authorization is not None:
        a = d.authorization
        st.markdown("**Authorization**")
        table(
            {
                "": ["Recipient", "Address", "Purpose", "Ends", "Signed", "Signer"],
                "Value": [
                    a.recipient_name,
                    a.recipient_address,
                    a.purpose,
                    a.ends,
                    f"{a.signature}, {a.signed_on:%Y-%m-%d}",
                    a.signer_relationship,
                ],
            },
            empty="",
        )
        if a.revoked_at:
            st.error(f"Revoked by the patient {when(a.revoked_at)}: release nothing more.")
    asked = _amendment(d) if d.kind == policy.AMENDMENT else None
    if d.kind == policy.UPDATE:
        _update(d)
    elif d.status in policy.OPEN:
        _work(d, asked)
    if d.status == policy.FULFILLED and d.delivered_by == policy.MAIL:
        st.download_button(
            "Download the package to mail",
            data=lambda: queue.package_for_staff(actor=actor, request_id=d.request_id)[1],
            file_name=f"release-{d.request_id}.zip",
            mime="application/zip",
            on_click="ignore",
            key=f"rq_package_{d.request_id}",
            icon=":material/download:",
        )


def _work(d: queue.RequestDetail, asked: amendments.AmendmentView | None) -> None:
    staff = dict(queue.him_staff(actor=actor))
    left, right = st.columns(2)
    options = [None, *staff]
    assignee = left.selectbox(
        "Assigned to",
        options,
        index=options.index(d.assigned_to) if d.assigned_to in staff else 0,
        format_func=lambda u: "Nobody" if u is None else staff[u],
        key=f"rq_assignee_{d.request_id}",
    )
    if left.button("Assign", key=f"rq_assign_{d.request_id}"):
        with state.service_errors():
            queue.request_assign(actor=actor, request_id=d.request_id, user_id=assignee)
            state.done("Assigned.")
    moves = queue.MOVES.get(d.status, ())
    if moves:
        target = right.selectbox(
            "Move to",
            list(moves),
            format_func=policy.STATUSES.get,
            key=f"rq_move_to_{d.request_id}",
        )
        if right.button("Move", key=f"rq_move_{d.request_id}"):
            with state.service_errors():
                queue.request_move(actor=actor, request_id=d.request_id, status=target)
                state.done(f"Now {policy.STATUSES[target].lower()}.")
    if asked is not None:
        route, extend = st.tabs(["Route", "Extend"])
        with route:
            _route(asked)
    else:
        fulfil, extend, deny = st.tabs(["Fulfil", "Extend", "Deny"])
        with fulfil:
            _fulfil(d)
        with deny:
            _deny(d)
    with extend:
        new_day = st.date_input(
            "New last day",
            value=None,
            min_value=d.last_day,
            format="YYYY-MM-DD",
            key=f"rq_ext_day_{d.request_id}",
        )
        reason = st.text_area(
            "Reason (the patient is told)", max_chars=1000, key=f"rq_ext_reason_{d.request_id}"
        )
        if st.button("Extend the deadline", key=f"rq_extend_{d.request_id}"):
            with state.service_errors():
                queue.request_extend(
                    actor=actor, request_id=d.request_id, new_last_day=new_day, reason=reason
                )
                state.done("Extended. The patient has been told the reason and the new date.")


def _update(d: queue.RequestDetail) -> None:
    u = updates.update_detail(actor=actor, request_id=d.request_id)
    st.markdown(f"**As reported:** {plain(u.given)}")
    table({"": list(u.facts), "Value": list(u.facts.values())}, empty="")
    if u.has_document:
        kind, data = updates.update_document(actor=actor, request_id=d.request_id)
        if kind.startswith("image/"):
            st.image(data, caption="The document as sent")
        st.download_button(
            "Download the document",
            data=data,
            file_name=f"record-update-{d.request_id}{uploads.suffix(kind)}",
            mime=kind,
            on_click="ignore",
            key=f"rq_update_doc_{d.request_id}",
            icon=":material/download:",
        )
    if u.status not in policy.OPEN:
        return
    st.caption(
        "Confirming a death closes the patient's accounts, ends their sessions and every "
        "proxy's access, and stops notifications. Confirming an adoption records the new name "
        "and ends the access of other parents."
    )
    note = st.text_area(
        "Note (needed to decline)", max_chars=1000, key=f"rq_update_note_{d.request_id}"
    )
    confirm, decline = st.columns(2)
    for column, label, yes in (
        (confirm, "Confirm and update the record", True),
        (decline, "Decline", False),
    ):
        if column.button(
            label, key=f"rq_update_{yes}_{d.request_id}", type="primary" if yes else "secondary"
        ):
            with state.service_errors():
                updates.update_decide(actor=actor, request_id=d.request_id, confirm=yes, note=note)
                state.done("Confirmed; the record is updated." if yes else "Declined.")


def _deny(d: queue.RequestDetail) -> None:
    ground = st.selectbox(
        "Ground",
        list(policy.DENIAL_GROUNDS),
        format_func=lambda g: policy.DENIAL_GROUNDS[g].words,
        key=f"rq_ground_{d.request_id}",
    )
    st.caption(
        "Reviewable: the patient may have it reviewed."
        if policy.DENIAL_GROUNDS[ground].reviewable
        else "Not reviewable."
    )
    note = st.text_area(
        "Explanation for the letter (optional)", max_chars=1000, key=f"rq_deny_note_{d.request_id}"
    )
    if st.button("Deny and send the letter", key=f"rq_deny_{d.request_id}"):
        with state.service_errors():
            queue.request_deny(actor=actor, request_id=d.request_id, ground=ground, note=note)
            state.done("Denied. The letter is in the patient's portal.")


def _amendment(d: queue.RequestDetail) -> amendments.AmendmentView:
    a = amendments.amendment_detail(actor=actor, request_id=d.request_id)
    st.markdown("**Amendment asked for**")
    st.text(
        f"Item: {a.item_label}\nNow: {a.current}\nChange asked: {a.change}\n"
        f"Reason: {a.reason}\nTell: {a.notify or '—'}\nRouted to: {a.routed_to or 'nobody yet'}"
    )
    if a.decision:
        st.text(
            f"Decision: {a.decision}"
            + (f"\nAmendment: {a.amendment_text}" if a.amendment_text else "")
            + (
                f"\nGround: {amendments.GROUNDS.get(a.denial_ground or '', '')}"
                if a.denial_ground
                else ""
            )
        )
    if a.disagreement:
        st.text(f"Patient's statement of disagreement: {a.disagreement}")
        if a.rebuttal:
            st.text(f"Rebuttal: {a.rebuttal}")
        else:
            rebuttal = st.text_area(
                "Rebuttal (optional; the patient gets a copy)",
                max_chars=amendments.MAX_TEXT,
                key=f"rq_rebut_{d.request_id}",
            )
            if st.button("Add the rebuttal", key=f"rq_rebut_btn_{d.request_id}"):
                with state.service_errors():
                    amendments.rebuttal_add(actor=actor, request_id=d.request_id, rebuttal=rebuttal)
                    state.done("Rebuttal added. It travels with the item.")
    return a


def _route(a: amendments.AmendmentView) -> None:
    people = dict(amendments.clinicians(actor=actor))
    options = list(people)
    who = st.selectbox(
        "Route to (the author is suggested)",
        options,
        index=options.index(a.routed_to_id) if a.routed_to_id in people else 0,
        format_func=people.get,
        key=f"rq_route_to_{a.request_id}",
    )
    if st.button("Route for a decision", key=f"rq_route_{a.request_id}"):
        with state.service_errors():
            amendments.amendment_route(actor=actor, request_id=a.request_id, clinician_id=who)
            state.done(f"Routed to {people[who]}.")


def _fulfil(d: queue.RequestDetail) -> None:
    chosen: list[uuid.UUID] = []
    if d.documents:
        names = dict(d.documents)
        chosen = st.multiselect(
            "Documents to include",
            list(names),
            format_func=names.get,
            key=f"rq_docs_{d.request_id}",
        )
    if d.kind == policy.ROI:
        st.write(
            "The package goes by a secure link to the recipient's email, or is kept for "
            "mailing; the release is recorded as a disclosure."
        )
    elif d.kind == policy.ACCOUNTING:
        st.write("The accounting is produced from the disclosures on record.")
    if st.button("Fulfil", type="primary", key=f"rq_fulfil_{d.request_id}"):
        with state.service_errors():
            done = queue.request_fulfil(actor=actor, request_id=d.request_id, documents=chosen)
            state.done(
                f"Fulfilled: {policy.DELIVERED.get(done.delivered_by, done.delivered_by)}"
                + (f", {len(done.files)} files in the package." if done.files else ".")
            )


def _disclosure() -> None:
    st.write(
        "Record a disclosure made outside the portal (a subpoena answered, a report to public "
        "health) so that it appears in the patient's accounting."
    )
    with st.form("disclosure_form"):
        mrn = st.text_input("Patient MRN", max_chars=16, key="disc_mrn")
        day = st.date_input(
            "Disclosed on", value=clock.today(), format="YYYY-MM-DD", key="disc_day"
        )
        recipient = st.text_input("Recipient", max_chars=200, key="disc_recipient")
        description = st.text_input("What was disclosed", max_chars=200, key="disc_what")
        purpose = st.text_input("Purpose", max_chars=200, key="disc_purpose")
        basis = st.selectbox(
            "Legal basis",
            list(accounting.BASES),
            format_func=accounting.BASES.get,
            key="disc_basis",
        )
        submitted = st.form_submit_button("Record the disclosure")
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
            state.done("Recorded.")


def _enter_update() -> None:
    st.write("Enter a death or an adoption reported by email, mail or at registration.")
    death, adoption = st.tabs(["A death", "An adoption"])
    with death:
        report = record_update_forms.death_form("him_death")
    with adoption:
        notice = record_update_forms.adoption_form("him_adoption")
    form = report or notice
    if form is not None:
        with state.service_errors():
            updates.update_enter(actor=actor, form=form)
            state.done("Entered. It is in the queue to confirm.")


with state.service_errors():
    work, record, enter = st.tabs(["Queue", "Record a disclosure", "Enter a record update"])
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
