"""Health metrics for the patient (or the person a proxy acts for)."""

from __future__ import annotations

from pages.components import metrics_page, state
from services.core.language import t

actor, patient_id = state.patient_page(t("Health metrics"))
metrics_page.render(actor, patient_id)
