"""Result release: the care-team patients' held results (longest held or abnormal first) to
release, one or many, with a comment for the patient; a hold's end to change with a reason; and
results not final yet, to hold (with an exception's reason) or finalize."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from functools import partial

import streamlit as st

from pages.components import result_view, state
from pages.components.format import plain, when
from pages.components.widgets import reason
from services.core import clock
from services.core.access import CLINICIAN
from services.core.language import t, tn
from services.records import results

actor = state.guard(CLINICIAN)
st.title(t("Result release"))
st.caption(
    t(
        "Results are released to patients as soon as they are final. A hold "
        "needs an exception (preventing harm for this patient, or the patient's "
        "own request), a note and an end; at the end the result is released by "
        "itself."
    )
)
state.show_flash()


def _until(key: str) -> datetime:
    day = st.date_input(
        t("Hold until"),
        value=clock.today() + timedelta(days=3),
        key=f"{key}_day",
        min_value=clock.today(),
        max_value=clock.today() + timedelta(days=30),
    )
    return clock.from_local(datetime.combine(day, time(17, 0)))  # 5 pm at the clinic


def _held_label(h: results.HeldItem, show: Callable[[str], str]) -> str:
    """One held result in a line; `show` makes names safe where the line is read as Markdown."""
    line = t(
        "{patient_name} (MRN {mrn}) · {panel_name} · held since {held_at} · ends {hold_until}",
        patient_name=show(h.patient_name),
        mrn=h.mrn,
        panel_name=show(h.panel_name),
        held_at=when(h.held_at),
        hold_until=when(h.hold_until),
    )
    return " · ".join((line, t("outside the range"))) if h.abnormal else line


with state.service_errors():
    held = results.held_results(actor=actor)
    order = st.radio(
        t("Order"),
        [t("Longest held first"), t("Outside the range first")],
        horizontal=True,
        key="release_order",
    )
    if order == t("Outside the range first"):
        held = sorted(held, key=lambda h: (not h.abnormal, h.held_at))
    st.subheader(t("Held results ({held})", held=len(held)))
    if not held:
        st.info(t("No held results."))
    else:
        labels = {h.result_id: _held_label(h, str) for h in held}
        with st.form("release_many"):
            chosen = st.multiselect(
                t("Results to release"),
                list(labels),
                format_func=labels.__getitem__,
                key="release_pick",
            )
            comment = st.text_area(
                t("Comment for the patient (optional, shown with each result)"),
                max_chars=results.MAX_NOTE,
                key="release_comment",
            )
            if st.form_submit_button(t("Release"), type="primary"):
                state.act(
                    partial(
                        results.results_release,
                        actor=actor,
                        result_ids=chosen,
                        comment=comment or None,
                    ),
                    lambda count: tn(
                        "Released {count} result; the patient has been told.",
                        "Released {count} results; the patients have been told.",
                        count,
                    ),
                )
        for h in held:
            # Only an opened result is read (each read of a result is audited as a view).
            box = st.expander(_held_label(h, plain), key=f"held_{h.result_id}", on_change="rerun")
            with box:
                st.write(
                    t(
                        "Reason: {hold_reason}",
                        hold_reason=t(results.HOLD_REASONS.get(h.hold_reason, h.hold_reason)),
                    )
                )
                st.caption(plain(h.hold_note or ""))
                if box.open:
                    detail = results.result_detail(
                        actor=actor, patient_id=h.patient_id, result_id=h.result_id
                    )
                    result_view.components_table(detail)
                with st.form(f"change_{h.result_id}"):
                    until = _until(f"change_{h.result_id}")
                    why = st.text_input(t("Why the new end"), key=f"change_note_{h.result_id}")
                    if st.form_submit_button(t("Change the end")):
                        state.act(
                            partial(
                                results.hold_change,
                                actor=actor,
                                result_id=h.result_id,
                                until=until,
                                note=why,
                            ),
                            t("Hold changed."),
                        )

    pending = results.preliminary_results(actor=actor)
    st.subheader(t("Not final yet ({pending})", pending=len(pending)))
    for p in pending:
        held_note = (
            " · " + t("hold ends {hold_until}", hold_until=when(p.hold_until))
            if p.hold_until
            else ""
        )
        with st.expander(
            t(
                "{patient_name} (MRN {mrn}) · {panel_name} · collected {collected_at}",
                patient_name=plain(p.patient_name),
                mrn=p.mrn,
                panel_name=plain(p.panel_name),
                collected_at=when(p.collected_at),
            )
            + held_note
        ):
            with st.form(f"hold_{p.result_id}"):
                code, note = reason(
                    t("Exception"),
                    results.HOLD_REASONS,
                    t("Reason for this patient"),
                    results.MAX_NOTE,
                    f"hold_{p.result_id}",
                    radio=True,
                )
                until = _until(f"hold_{p.result_id}")
                if st.form_submit_button(t("Hold")):
                    state.act(
                        partial(
                            results.result_hold,
                            actor=actor,
                            result_id=p.result_id,
                            reason=code,
                            note=note,
                            until=until,
                        ),
                        t("Held; it will be released by itself at the end."),
                    )
            if st.button(t("Mark final (releases it unless held)"), key=f"final_{p.result_id}"):
                state.act(
                    partial(results.result_finalize, actor=actor, result_id=p.result_id),
                    lambda released: (
                        t("Final and released to the patient.") if released else t("Final; held.")
                    ),
                )
