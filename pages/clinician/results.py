"""Result release: the care-team patients' held results (longest held or abnormal first) to
release, one or many, with a comment for the patient; a hold's end to change with a reason; and
results not final yet, to hold (with an exception's reason) or finalize."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta

import streamlit as st

from pages.components import result_view, state
from pages.components.format import plain, when
from services.core import clock
from services.core.access import CLINICIAN
from services.records import results

actor = state.guard(CLINICIAN)
st.title("Result release")
st.caption(
    "Results are released to patients as soon as they are final. A hold needs an exception "
    "(preventing harm for this patient, or the patient's own request), a note and an end; at "
    "the end the result is released by itself."
)
for message in st.session_state.pop("release_done", []):
    st.success(message)


def _until(key: str) -> datetime:
    day = st.date_input(
        "Hold until",
        value=clock.today() + timedelta(days=3),
        key=f"{key}_day",
        min_value=clock.today(),
        max_value=clock.today() + timedelta(days=30),
    )
    return clock.from_local(datetime.combine(day, time(17, 0)))  # 5 pm at the clinic


def _held_label(h: results.HeldItem, show: Callable[[str], str]) -> str:
    """One held result in a line; `show` makes names safe where the line is read as Markdown."""
    return (
        f"{show(h.patient_name)} (MRN {h.mrn}) · {show(h.panel_name)} · held since "
        f"{when(h.held_at)} · ends {when(h.hold_until)}"
        + (" · outside the range" if h.abnormal else "")
    )


def _done(message: str) -> None:
    st.session_state["release_done"] = [message]
    st.rerun()


with state.service_errors():
    held = results.held_results(actor=actor)
    order = st.radio(
        "Order",
        ["Longest held first", "Outside the range first"],
        horizontal=True,
        key="release_order",
    )
    if order == "Outside the range first":
        held = sorted(held, key=lambda h: (not h.abnormal, h.held_at))
    st.subheader(f"Held results ({len(held)})")
    if not held:
        st.info("No held results.")
    else:
        labels = {h.result_id: _held_label(h, str) for h in held}
        with st.form("release_many"):
            chosen = st.multiselect(
                "Results to release", list(labels), format_func=labels.get, key="release_pick"
            )
            comment = st.text_area(
                "Comment for the patient (optional, shown with each result)",
                max_chars=results.MAX_NOTE,
                key="release_comment",
            )
            if st.form_submit_button("Release", type="primary"):
                count = results.results_release(
                    actor=actor, result_ids=chosen, comment=comment or None
                )
                _done(f"Released {count} result(s); the patients have been told.")
        for h in held:
            with st.expander(_held_label(h, plain)):
                st.write(f"Reason: {results.HOLD_REASONS.get(h.hold_reason, h.hold_reason)}")
                st.caption(plain(h.hold_note or ""))
                detail = results.result_detail(
                    actor=actor, patient_id=h.patient_id, result_id=h.result_id
                )
                result_view.components_table(detail)
                with st.form(f"change_{h.result_id}"):
                    until = _until(f"change_{h.result_id}")
                    why = st.text_input("Why the new end", key=f"change_note_{h.result_id}")
                    if st.form_submit_button("Change the end"):
                        results.hold_change(
                            actor=actor, result_id=h.result_id, until=until, note=why
                        )
                        _done("Hold changed.")

    pending = results.preliminary_results(actor=actor)
    st.subheader(f"Not final yet ({len(pending)})")
    for p in pending:
        held_note = f" · hold ends {when(p.hold_until)}" if p.hold_until else ""
        with st.expander(
            f"{plain(p.patient_name)} (MRN {p.mrn}) · {plain(p.panel_name)} · collected "
            f"{when(p.collected_at)}{held_note}"
        ):
            with st.form(f"hold_{p.result_id}"):
                reason = st.radio(
                    "Exception",
                    list(results.HOLD_REASONS),
                    format_func=results.HOLD_REASONS.get,
                    key=f"hold_reason_{p.result_id}",
                )
                note = st.text_area(
                    "Reason for this patient",
                    max_chars=results.MAX_NOTE,
                    key=f"hold_note_{p.result_id}",
                )
                until = _until(f"hold_{p.result_id}")
                if st.form_submit_button("Hold"):
                    results.result_hold(
                        actor=actor, result_id=p.result_id, reason=reason, note=note, until=until
                    )
                    _done("Held; it will be released by itself at the end.")
            if st.button("Mark final (releases it unless held)", key=f"final_{p.result_id}"):
                released = results.result_finalize(actor=actor, result_id=p.result_id)
                _done("Final and released to the patient." if released else "Final; held.")
