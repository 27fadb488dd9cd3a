"""Test results: newest first, new ones marked until opened, filters, a result's detail with its
trend, and the choice to have sensitive results wait for the clinician."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from pages.components import result_view, state
from pages.components.format import plain, when
from pages.components.widgets import download, table
from services.core import clock
from services.core.language import t
from services.records import fhir_export, printouts, results

OPEN = "results_open"

actor, patient_id = state.patient_page(t("Test results"))

with state.service_errors():
    everything = results.results_list(actor=actor, patient_id=patient_id)
    tests = {r.panel_code: r.panel_name for r in everything}
    left, right = st.columns(2)
    test_options: list[str | None] = [None, *sorted(tests, key=tests.__getitem__)]
    test = left.selectbox(
        t("Test"),
        test_options,
        format_func=lambda c: t("All tests") if c is None else tests[c],
        key="results_test",
    )
    today = clock.today()
    picked = right.date_input(
        t("Collected between"),
        value=(today - timedelta(days=365 * 3), today),
        max_value=today,
        key="results_dates",
    )
    since = until = None
    if isinstance(picked, tuple) and len(picked) == 2:
        since = clock.day_start(picked[0])  # the clinic's days
        until = clock.day_start(picked[1] + timedelta(days=1))
    shown = results.results_list(
        actor=actor, patient_id=patient_id, panel_code=test, since=since, until=until
    )
    if not shown:
        st.info(t("No results match."))
    else:
        table(
            {
                t("Test"): [r.panel_name for r in shown],
                t("Collected"): [when(r.collected_at) for r in shown],
                t("Available since"): [when(r.available_at) for r in shown],
                t("New"): [t("New") if r.new else "" for r in shown],
                t("Outside the range"): [t("Yes") if r.abnormal else t("No") for r in shown],
            },
            empty=t("No results."),
        )
        labels = {
            r.result_id: (
                t(
                    "{test}, collected {collected} (new)",
                    test=r.panel_name,
                    collected=when(r.collected_at),
                )
                if r.new
                else t(
                    "{test}, collected {collected}",
                    test=r.panel_name,
                    collected=when(r.collected_at),
                )
            )
            for r in shown
        }
        chosen = st.selectbox(
            t("Open a result"),
            list(labels),
            index=None,
            format_func=labels.__getitem__,
            placeholder=t("Choose a result"),
            key=OPEN,
        )
        if chosen is not None:
            detail = results.result_detail(actor=actor, patient_id=patient_id, result_id=chosen)
            st.subheader(plain(detail.summary.panel_name))
            result_view.result_body(actor, patient_id, detail)

    download(
        t("Download results (CSV)"),
        lambda: printouts.results_csv(actor=actor, patient_id=patient_id),
        file_name="results.csv",
        key="results_csv",
        icon=":material/table:",
    )
    st.download_button(
        t("Download the record (FHIR R4 JSON)"),
        data=lambda: fhir_export.fhir_bundle(actor=actor, patient_id=patient_id),
        file_name="health-record-fhir.json",
        mime="application/fhir+json",
        on_click="ignore",
        key="results_fhir",
        icon=":material/download:",
        help=t(
            "Your results, record and home readings in the standard format other "
            "clinics and apps read. Held results are not included until they are "
            "released."
        ),
    )

    if patient_id == actor.patient_id:
        st.subheader(t("Sensitive results"))
        waits = results.delay_preferences(actor=actor, patient_id=patient_id)
        wanted = st.toggle(
            t(
                "Wait to see sensitive results (for example, some infection or genetic "
                "tests) until my clinician has contacted me"
            ),
            value="sensitive" in waits,
            key="results_delay_sensitive",
            help=t("Other results are always available as soon as they are final."),
        )
        if wanted != ("sensitive" in waits):
            results.delay_preferences_update(
                actor=actor, patient_id=patient_id, categories={"sensitive"} if wanted else set()
            )
            st.success(t("Saved."))
