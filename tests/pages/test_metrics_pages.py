"""The health-metrics pages under AppTest: tabs and charts, entry with refusals and alerts,
units, the clinician's read-only view and the alert queue."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from services.core import clock, db
from services.health.tables import BloodPressureReading, MetricAlert
from tests.pages.test_app import signed_in
from tests.support import world

METRICS = "pages/patient/metrics.py"


def _metrics(username: str = "patient.demo", page: str = METRICS) -> AppTest:
    at = signed_in(username)
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _charts(at: AppTest) -> int:
    return len(at.get("plotly_chart"))


def _manual_bp() -> int:
    with db.read_only() as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(BloodPressureReading)
                .where(
                    BloodPressureReading.patient_id == world.patient_id("Alex", "Rivera"),
                    BloodPressureReading.source == "manual",
                )
            )
            or 0
        )


def test_the_patient_sees_every_metric_tab_with_charts(seeded_url: str) -> None:
    at = _metrics()
    assert at.title[0].value == "Health metrics"
    assert [t.label for t in at.tabs] == [
        "Blood pressure",
        "Weight",
        "Glucose",
        "Add or correct readings",
        "Import from a device",
    ]
    labels = [m.label for m in at.metric]
    assert {"Category of the average", "Time in range", "GMI", "Variability (CV)"} <= set(labels)
    assert any(label.startswith("Average (mmHg") for label in labels)
    assert _charts(at) >= 4  # blood pressure, weight, time in range, AGP, glucose
    assert not at.error


def test_adding_a_reading_refuses_bad_values_then_saves_and_warns_of_a_crisis(
    seeded_url: str,
) -> None:
    at = _metrics()
    before = _manual_bp()
    at.number_input(key="metrics_add_blood_pressure_systolic").set_value(80)
    at.number_input(key="metrics_add_blood_pressure_diastolic").set_value(95)
    at.button(key="FormSubmitter:metrics_add_blood_pressure-Add blood pressure").click().run()
    assert any("lower than the systolic" in e.value for e in at.error)
    assert _manual_bp() == before
    at.number_input(key="metrics_add_blood_pressure_systolic").set_value(192)
    at.number_input(key="metrics_add_blood_pressure_diastolic").set_value(112)
    at.button(key="FormSubmitter:metrics_add_blood_pressure-Add blood pressure").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["Blood pressure reading saved."]
    assert any("crisis range" in e.value and "911" in e.value for e in at.error)
    assert _manual_bp() == before + 1


def test_choosing_units_is_remembered(seeded_url: str) -> None:
    at = _metrics()
    at.selectbox(key="metrics_weight_unit").set_value("lb").run()
    at.selectbox(key="metrics_glucose_unit").set_value("mmol/L").run()
    assert any(m.value.endswith(" mmol/L") for m in at.metric)
    again = _metrics()
    assert again.selectbox(key="metrics_weight_unit").value == "lb"
    assert any("mmol/L" in m.value for m in again.metric)


def test_a_custom_period_and_a_period_without_readings(seeded_url: str) -> None:
    at = _metrics()
    at.segmented_control(key="metrics_period").set_value("Custom").run()
    day = clock.now().date() - timedelta(days=3000)
    at.date_input(key="metrics_custom").set_value((day, day + timedelta(days=2))).run()
    assert not at.exception
    assert "No blood pressure readings in this period." in [i.value for i in at.info]


def test_the_clinician_sees_the_same_charts_read_only(seeded_url: str) -> None:
    at = _metrics("clinician.demo", "pages/clinician/metrics.py")
    assert at.title[0].value == "Patient metrics"
    assert [t.label for t in at.tabs] == ["Blood pressure", "Weight", "Glucose"]
    assert not at.error


def test_the_clinician_acknowledges_an_alert_with_a_note(seeded_url: str) -> None:
    at = _metrics("clinician.demo", "pages/clinician/alerts.py")
    forms = [b for b in at.button if b.label == "Acknowledge"]
    assert forms, "the demo clinician has open alerts"
    first = forms[0]
    alert_id = first.key.removeprefix("FormSubmitter:ack_").removesuffix("-Acknowledge")
    first.click().run()
    assert any("Write what was done" in e.value for e in at.error)
    at.text_area(key=f"ack_note_{alert_id}").input("Called the patient; rechecked at home.")
    next(b for b in at.button if b.key == first.key).click().run()
    assert not at.exception
    with db.read_only() as s:
        note = s.scalar(select(MetricAlert.note).where(MetricAlert.id == uuid.UUID(alert_id)))
    assert note == "Called the patient; rechecked at home."
