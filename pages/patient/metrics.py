"""Health metrics for the patient (or the person a proxy acts for)."""

from __future__ import annotations

from pages.components import metrics_page, state

actor, patient_id = state.patient_page("Health metrics")
metrics_page.render(actor, patient_id)
