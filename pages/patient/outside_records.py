"""Records from other providers: bring in a FHIR file from another clinic, hospital or health
app, and see what came in, each item with its source, kept apart from this clinic's record."""

from __future__ import annotations

from pages.components import outside_view, state
from services.core.language import t

actor, patient_id = state.patient_page(t("Records from other providers"))
state.show_flash()
with state.service_errors():
    outside_view.what_came_in(actor, patient_id)
    outside_view.bring_in(actor, patient_id)
