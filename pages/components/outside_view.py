"""Records from other providers: bringing a FHIR file in (check, preview, confirm, add) and
showing what came in, by kind, with each item's source. Shared by the patient's page and the
health-information staff's page."""

from __future__ import annotations

import uuid

import streamlit as st

from pages.components import result_view, state
from pages.components.format import plain, when
from pages.components.widgets import table
from services.core import language
from services.core.access import Actor
from services.core.language import t, tn
from services.records import outside, results

FILE_KEY = "outside_file"
ADDED = "outside_added"  # how many files were added this session: a new uploader after each
PREVIEW = "outside_preview"  # (patient, uploaded file) and its preview


def bring_in(actor: Actor, patient_id: uuid.UUID) -> None:
    """The import form: a file, its preview, where it comes from, and the button that adds it."""
    st.subheader(t("Bring in records from another provider"))
    st.caption(
        t(
            "Ask the other clinic or hospital (or your health app) for your records as a FHIR R4 "
            "file (JSON). They are added beside this clinic's record, marked with where they "
            "came from; this clinic's own record is not changed."
        )
    )
    upload = st.file_uploader(
        t("FHIR file (JSON)"),
        type=["json"],
        max_upload_size=int(outside.max_megabytes()),
        key=f"{FILE_KEY}_{patient_id}_{st.session_state.get(ADDED, 0)}",
    )
    if upload is None:
        return
    data = upload.getvalue()
    shown = _preview(actor, patient_id, upload.file_id, data)
    born = language.day(shown.born) if shown.born else "—"
    st.write(t("This file is about {person}, born {born}.", person=plain(shown.person), born=born))
    confirmed = True
    if not shown.same_person:
        st.warning(
            t("The name or birth date in the file does not match your record.")
            if patient_id == actor.patient_id
            else t("The name or birth date in the file does not match this patient's record.")
        )
        confirmed = st.checkbox(
            t("These records belong to this patient (for example, under an earlier name)."),
            key=f"outside_confirm_{patient_id}",
        )
    table(
        {
            t("What"): [t(outside.KINDS[k]) for k in shown.new],
            t("To be added"): [language.number(n) for n in shown.new.values()],
        },
        empty=t("Everything in this file is already here: nothing to add."),
        static=True,
    )
    if shown.already_here:
        st.caption(
            tn(
                "{count} item is already here from an earlier import and will not be added again.",
                "{count} items are already here from an earlier import and will not be added "
                "again.",
                shown.already_here,
            )
        )
    if shown.left_out:
        with st.expander(t("Parts of the file this portal does not keep")):
            table(
                {
                    t("Kind of entry"): list(shown.left_out),
                    t("Entries"): [language.number(n) for n in shown.left_out.values()],
                },
                empty=t("None."),
            )
    if not shown.new:
        return
    source = st.text_input(
        t("Where these records come from"),
        value=shown.source,
        max_chars=outside.MAX_SOURCE,
        key=f"outside_source_{patient_id}",
    )
    if st.button(t("Add these records"), type="primary", disabled=not confirmed):
        done = outside.import_bundle(
            actor=actor,
            patient_id=patient_id,
            data=data,
            file_name=upload.name,
            source=source,
            confirmed=confirmed,
        )
        st.session_state[ADDED] = st.session_state.get(ADDED, 0) + 1
        st.session_state.pop(PREVIEW, None)
        state.done(
            tn(
                "Added {count} item from {source}.",
                "Added {count} items from {source}.",
                sum(done.added.values()),
                source=plain(source),
            )
        )


def _preview(actor: Actor, patient_id: uuid.UUID, file_id: str, data: bytes) -> outside.Preview:
    """The file's preview, read once per uploaded file (every widget on the page reruns it, and
    a large bundle takes seconds to check); adding it checks the file again."""
    key = (patient_id, file_id)
    kept = st.session_state.get(PREVIEW)
    if isinstance(kept, tuple) and kept[0] == key:
        return kept[1]
    shown = outside.preview(actor=actor, patient_id=patient_id, data=data)
    st.session_state[PREVIEW] = (key, shown)
    return shown


def what_came_in(actor: Actor, patient_id: uuid.UUID) -> None:
    """The outside records by kind, each with its source; outside results' trends; the files
    brought in, any of which can be taken out again."""
    record = outside.outside_record(actor=actor, patient_id=patient_id)
    if record.withheld:
        st.info(t(outside.LIMITED))
        return
    if not record.items:
        st.info(t("No records from other providers yet."))
    kinds = list(record.items)
    tabs = st.tabs([t(outside.KINDS[k]) for k in kinds]) if kinds else []
    for tab, kind in zip(tabs, kinds, strict=True):
        with tab:
            rows = record.items[kind]
            if kind == outside.RESULT:
                _results(actor, patient_id, rows)
                continue
            table(
                {
                    t("Name"): [r.name for r in rows],
                    t("When"): [when(r.occurred_at) for r in rows],
                    t("Status"): [r.status or "" for r in rows],
                    t("Details"): [r.detail or "" for r in rows],
                    t("From"): [r.source for r in rows],
                },
                empty=t("None."),
            )
    if record.imports:
        _files(actor, patient_id, record.imports)


def _files(actor: Actor, patient_id: uuid.UUID, imports: list[outside.Batch]) -> None:
    """The files brought in, and taking one's records out again (a wrong file)."""
    st.subheader(t("Files brought in"))
    table(
        {
            t("From"): [i.source for i in imports],
            t("File"): [i.file_name for i in imports],
            t("Added"): [when(i.imported_at) for i in imports],
            t("Items"): [language.number(i.items) for i in imports],
            t("Removed"): [when(i.removed_at) if i.removed_at else "" for i in imports],
        },
        empty=t("None."),
    )
    live = {i.import_id: i for i in imports if i.removed_at is None}
    if not live:
        return
    with st.form(f"outside_remove_{patient_id}"):
        st.subheader(t("Remove a file's records"))
        chosen = st.selectbox(
            t("File"),
            list(live),
            format_func=lambda i: t(
                "{file} from {source}, added {added}",
                file=live[i].file_name,
                source=live[i].source,
                added=when(live[i].imported_at),
            ),
        )
        sure = st.checkbox(
            t("Remove everything this file added (this clinic's record is not changed).")
        )
        if st.form_submit_button(t("Remove")):
            if not sure:
                st.warning(t("Tick the box to confirm first."))
                return
            gone = outside.remove_import(actor=actor, patient_id=patient_id, import_id=chosen)
            st.session_state.pop(PREVIEW, None)
            state.done(tn("Removed {count} item.", "Removed {count} items.", gone))


def _results(actor: Actor, patient_id: uuid.UUID, rows: list[outside.Shown]) -> None:
    """Outside results as a table, and any test's trend beside this clinic's own values."""
    table(
        {
            t("Test"): [r.name for r in rows],
            t("Result"): [
                r.value_text if r.value is None else language.number(r.value) for r in rows
            ],
            t("Unit"): [r.unit or "" for r in rows],
            t("When"): [when(r.occurred_at) for r in rows],
            t("From"): [r.source for r in rows],
        },
        empty=t("None."),
    )
    tests = {r.code: r.name for r in rows if r.value is not None and r.code}
    if not tests:
        return
    chosen = st.selectbox(
        t("Trend over time"),
        sorted(tests, key=tests.__getitem__),
        format_func=tests.__getitem__,
        key=f"outside_trend_{patient_id}",
    )
    frame = results.result_trend(actor=actor, patient_id=patient_id, loinc=chosen)
    if len(frame) < 2:
        st.caption(t("Only one result of this test so far: no trend yet."))
        return
    st.plotly_chart(result_view.trend_chart(frame, tests[chosen]), key="outside_trend_chart")
