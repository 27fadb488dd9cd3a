"""Health metrics on both databases: clinical figures against hand-worked examples, SQL
aggregates, thinning, entry refusals, edits, alerts raised once, access, export and units."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import delete, func, select

from services.core import clock, db
from services.core.errors import NotFound, PermissionDenied, ValidationError
from services.core.models import Patient, PatientCareTeam
from services.core.spreadsheet import safe_cell
from services.health import clinical, metrics, readings
from services.health.readings import BP, CGM, GLUCOSE, WEIGHT, Entry
from services.health.tables import MetricAlert
from tests.conftest import DEXCOM_EXPORT, NOW
from tests.services.core.test_clock import FALL_BACK, SPRING_FORWARD
from tests.support import world

# --- clinical figures (no database) -----------------------------------------------------------


@pytest.mark.parametrize(
    "systolic, diastolic, category",
    [
        (119, 79, "Normal"),
        (120, 79, "Elevated"),
        (129, 79, "Elevated"),
        (130, 79, "Stage 1 hypertension"),
        (119, 80, "Stage 1 hypertension"),
        (139, 89, "Stage 1 hypertension"),
        (140, 60, "Stage 2 hypertension"),
        (110, 90, "Stage 2 hypertension"),
        (180, 120, "Stage 2 hypertension"),
        (181, 100, "Hypertensive crisis"),
        (150, 121, "Hypertensive crisis"),
        (125, 95, "Stage 2 hypertension"),  # the higher of the two categories applies
    ],
)
def test_blood_pressure_categories_at_every_boundary(
    systolic: int, diastolic: int, category: str
) -> None:
    assert clinical.bp_category(systolic, diastolic) == category


def test_glucose_and_weight_figures_match_worked_examples() -> None:
    assert clinical.gmi(154) == pytest.approx(3.31 + 0.02392 * 154)  # 6.99368
    assert clinical.gmi(154) == pytest.approx(6.99368)
    assert clinical.cv_percent(36, 100) == pytest.approx(36.0)
    assert clinical.to_mmol_l(180) == pytest.approx(9.9911, abs=1e-4)
    assert clinical.to_mg_dl(1) == pytest.approx(18.016)
    assert clinical.to_kg(1) == pytest.approx(0.45359237)
    assert clinical.bmi(70, 175) == pytest.approx(22.857, abs=1e-3)
    assert [clinical.bmi_category(v) for v in (18.49, 18.5, 24.99, 25, 29.99, 30)] == [
        "Underweight",
        "Healthy weight",
        "Healthy weight",
        "Overweight",
        "Overweight",
        "Obesity",
    ]


# --- helpers -----------------------------------------------------------------------------------


def _alex() -> uuid.UUID:
    return world.patient_id("Alex", "Rivera")


def _clear(kind: str, patient_id: uuid.UUID) -> None:
    table = readings.TABLES[kind]
    with db.transaction() as s:
        s.execute(delete(table).where(table.c.patient_id == patient_id))
        s.execute(delete(MetricAlert).where(MetricAlert.patient_id == patient_id))


def _put(kind: str, patient_id: uuid.UUID, frame: pd.DataFrame, source: str) -> None:
    with db.transaction() as s:
        db.bulk_insert(
            s.connection(),
            readings.TABLES[kind],
            frame.assign(patient_id=patient_id, source=source),
        )


def _count(kind: str, patient_id: uuid.UUID) -> int:
    table = readings.TABLES[kind]
    with db.read_only() as s:
        return int(
            s.scalar(
                select(func.count()).select_from(table).where(table.c.patient_id == patient_id)
            )
            or 0
        )


def _alerts(patient_id: uuid.UUID) -> list[tuple[str, datetime]]:
    with db.read_only() as s:
        return list(
            s.execute(
                select(MetricAlert.rule, MetricAlert.measured_at)
                .where(MetricAlert.patient_id == patient_id)
                .order_by(MetricAlert.measured_at)
            ).tuples()
        )


def _view(actor_name: str = "patient.demo", days: int = 30) -> metrics.MetricsView:
    return metrics.metrics_view(
        actor=world.actor_of(actor_name),
        patient_id=_alex(),
        start=NOW - timedelta(days=days),
        end=NOW,
    )


# --- SQL aggregates ----------------------------------------------------------------------------


def test_time_in_range_gmi_and_cv_are_computed_in_sql(seeded_url: str) -> None:
    """100 readings in the 14-day window: 1 very low, 3 low, 80 in range (boundaries 70 and
    180 included), 10 high (250 included), 6 very high."""
    patient = _alex()
    _clear(GLUCOSE, patient)
    values = (
        [50] + [54, 60, 69] + [70, 180] + [120] * 78 + [181, 250] + [200] * 8 + [251] + [300] * 5
    )
    times = [NOW - timedelta(days=13) + timedelta(minutes=5 * i) for i in range(len(values))]
    _put(GLUCOSE, patient, pd.DataFrame({"measured_at": times, "mg_dl": values, "flag": None}), CGM)
    found = _view().glucose
    assert found is not None and found.readings == 100
    assert found.percents == pytest.approx(
        {"tbr2": 1.0, "tbr1": 3.0, "tir": 80.0, "tar1": 10.0, "tar2": 6.0}
    )
    mean, sd = float(np.mean(values)), float(np.std(values, ddof=1))
    assert found.mean == pytest.approx(mean)
    assert found.gmi == pytest.approx(3.31 + 0.02392 * mean)
    assert found.cv == pytest.approx(100 * sd / mean)
    assert found.worn_percent == pytest.approx(100 * 100 / (14 * 288))
    assert not found.sufficient  # under 70% of the expected readings: "not enough data"


def test_agp_percentiles_on_a_small_known_series(seeded_url: str) -> None:
    patient = _alex()
    _clear(GLUCOSE, patient)
    first = NOW.date() - timedelta(days=5)  # readings at the clinic's midnight and noon
    rows = [
        (clock.day_start(first + timedelta(days=i)) + timedelta(minutes=i), v)
        for i, v in enumerate([100, 110, 120, 130, 140])
    ]
    rows += [
        (clock.day_start(first + timedelta(days=i)) + timedelta(hours=12, minutes=3), v)
        for i, v in enumerate([60, 80])
    ]
    _put(
        GLUCOSE,
        patient,
        pd.DataFrame(rows, columns=["measured_at", "mg_dl"]).assign(flag=None),
        CGM,
    )
    agp = _view().glucose.agp  # type: ignore[union-attr]
    first = agp[agp["minute"] == 0].iloc[0]
    expected = np.percentile([100, 110, 120, 130, 140], [5, 25, 50, 75, 95])  # linear, as SQL
    assert [first.p5, first.p25, first.p50, first.p75, first.p95] == pytest.approx(list(expected))
    assert list(expected) == pytest.approx([102, 110, 120, 130, 138])
    noon = agp[agp["minute"] == 12 * 60].iloc[0]
    assert (noon.p5, noon.p50, noon.p95) == pytest.approx((61, 70, 79))
    assert list(agp["minute"]) == [0, 720]


def test_thinning_keeps_each_buckets_lowest_and_highest_reading(seeded_url: str) -> None:
    patient = _alex()
    _clear(GLUCOSE, patient)
    rng = np.random.default_rng(3)
    start = NOW - timedelta(days=60)
    n = 17_280  # 60 days of CGM
    frame = pd.DataFrame(
        {
            "measured_at": [start + timedelta(minutes=5 * i) for i in range(n)],
            "mg_dl": rng.integers(40, 400, n).astype(np.int16),
            "flag": None,
        }
    )
    _put(GLUCOSE, patient, frame, CGM)
    table = readings.TABLES[GLUCOSE]
    with db.read_only() as s:
        thin, bucket = metrics.thinned(
            s, table, "mg_dl", [table.c.patient_id == patient], start, NOW, points=400
        )
    assert bucket == (NOW - start) / 200
    assert len(thin) <= 400
    width = (NOW - start).total_seconds() / 200
    bucket = ((frame["measured_at"] - start).dt.total_seconds() // width).astype(int)
    kept = set(zip(pd.to_datetime(thin["measured_at"]), thin["value"], strict=True))
    for _, group in frame.groupby(bucket):
        assert any((t, group["mg_dl"].min()) in kept for t in group["measured_at"])
        assert any((t, group["mg_dl"].max()) in kept for t in group["measured_at"])
    assert (
        thin["value"].min() == frame["mg_dl"].min() and thin["value"].max() == frame["mg_dl"].max()
    )


def test_the_view_is_limited_to_the_window_and_to_the_chart_budget(seeded_url: str) -> None:
    view = _view(days=365)
    budget = clinical.policy().chart_points
    for trace, frame in view.series.items():
        times = pd.to_datetime(frame["measured_at"].dropna())
        assert frame["value"].notna().sum() <= budget, trace
        if len(times):
            assert times.min() >= pd.Timestamp(view.start) - pd.Timedelta(seconds=1)
            assert times.max() < pd.Timestamp(view.end)
    assert view.bp.readings > 0 and view.bp.category in clinical.BP_CATEGORIES
    assert view.units == metrics.Units()


def test_bp_headline_morning_and_evening_averages(seeded_url: str) -> None:
    patient = _alex()
    _clear(BP, patient)
    day = clock.day_start(NOW.date() - timedelta(days=3))  # 7 am and 8 pm at the clinic
    rows = [
        (day + timedelta(hours=7), 130, 84),
        (day + timedelta(days=1, hours=7), 134, 86),
        (day + timedelta(hours=20), 120, 76),
        (day + timedelta(days=1, hours=20), 186, 100),  # a crisis reading
    ]
    _put(
        BP,
        patient,
        pd.DataFrame(rows, columns=["measured_at", "systolic", "diastolic"]).assign(pulse=None),
        "device",
    )
    bp = _view(days=7).bp
    assert (bp.readings, bp.systolic, bp.diastolic) == (4, 142, 86)
    assert bp.category == "Stage 2 hypertension"
    assert bp.morning == (132, 85, 2) and bp.evening == (153, 88, 2)
    assert list(bp.crises["systolic"]) == [186]


def _bp_on(day: date, *wall_hours: float) -> list[tuple[datetime, int, int]]:
    return [
        (clock.from_local(datetime.combine(day, time()) + timedelta(hours=h)), 120, 80)
        for h in wall_hours
    ]


@pytest.mark.parametrize("day", [SPRING_FORWARD, FALL_BACK], ids=["spring", "autumn"])
def test_morning_and_evening_are_the_clinics_on_the_days_the_clocks_change(
    seeded_url: str, day: date
) -> None:
    """4-12 h and 16-24 h on the clinic's wall clock, whatever the UTC offset that day."""
    patient = _alex()
    _clear(BP, patient)
    # On UTC's clock these would be 3 mornings and 4 evenings; on the clinic's, 2 and 2.
    rows = _bp_on(day, 3.5, 4.0, 11.9, 12.0, 15.9, 16.0, 23.9)
    frame = pd.DataFrame(rows, columns=["measured_at", "systolic", "diastolic"]).assign(pulse=None)
    _put(BP, patient, frame, "device")
    view = metrics.metrics_view(
        actor=world.actor_of("patient.demo"),
        patient_id=patient,
        start=clock.day_start(day),
        end=clock.day_start(day + timedelta(days=1)),
    )
    assert view.bp.readings == 7
    assert view.bp.morning is not None and view.bp.morning[2] == 2
    assert view.bp.evening is not None and view.bp.evening[2] == 2


@pytest.mark.parametrize(
    "day, hours", [(SPRING_FORWARD, 23), (FALL_BACK, 25)], ids=["spring", "autumn"]
)
def test_a_cgm_day_is_the_clinics_day_of_23_or_25_hours(
    seeded_url: str, day: date, hours: int
) -> None:
    patient = _alex()
    _clear(GLUCOSE, patient)
    start = clock.day_start(day) - timedelta(hours=2)  # two hours either side of the day
    count = (hours + 4) * 12
    times = [start + timedelta(minutes=5 * i) for i in range(count)]
    frame = pd.DataFrame({"measured_at": times, "mg_dl": 110}).assign(flag=None)
    _put(GLUCOSE, patient, frame, CGM)
    view = metrics.metrics_view(
        actor=world.actor_of("patient.demo"),
        patient_id=patient,
        start=start,
        end=start + timedelta(hours=hours + 4),
    )
    days = view.glucose_days.set_index(pd.to_datetime(view.glucose_days["day"]).dt.date)
    assert int(days.loc[day, "readings"]) == hours * 12


def test_weight_moving_average_and_bmi(seeded_url: str) -> None:
    patient = _alex()
    _clear(WEIGHT, patient)
    day = NOW.replace(hour=7, minute=0, second=0) - timedelta(days=9)
    kgs = [80.0, 80.2, 80.4, 80.6, 80.8, 81.0, 81.2, 81.4, 81.6, 81.8]
    _put(
        WEIGHT,
        patient,
        pd.DataFrame(
            {"measured_at": [day + timedelta(days=i) for i in range(10)], "weight_kg": kgs}
        ),
        "device",
    )
    summary = _view(days=7).weight
    last = summary.moving_average.iloc[-1]
    assert last.weight_kg == pytest.approx(np.mean(kgs[-7:]))
    assert summary.latest_kg == pytest.approx(81.8)
    with db.read_only() as s:
        height = s.get(Patient, patient).height_cm  # type: ignore[union-attr]
    assert summary.bmi == pytest.approx(81.8 / (height / 100) ** 2)


# --- entry, edits and refusals -----------------------------------------------------------------


def _entry(**values: object) -> Entry:
    base: dict[str, object] = {"kind": BP, "measured_at": NOW - timedelta(hours=1)}
    base.update(values)
    return Entry(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "entry, field",
    [
        (_entry(systolic=49, diastolic=30), "systolic"),
        (_entry(systolic=301, diastolic=90), "systolic"),
        (_entry(systolic=120, diastolic=19), "diastolic"),
        (_entry(systolic=250, diastolic=201), "diastolic"),
        (_entry(systolic=120, diastolic=120), "diastolic"),  # not below systolic
        (_entry(systolic=120, diastolic=80, pulse=19), "pulse"),
        (_entry(systolic=120, diastolic=80, pulse=251), "pulse"),
        (_entry(systolic=None, diastolic=80), "systolic"),
        (_entry(systolic=120, diastolic=80, measured_at=NOW + timedelta(minutes=6)), "measured_at"),
        (_entry(systolic=120, diastolic=80, measured_at=datetime(1950, 1, 1)), "measured_at"),
        (_entry(systolic=120, diastolic=80, measured_at=None), "measured_at"),
        (_entry(kind=WEIGHT, weight=0.4, unit="kg"), "weight"),
        (_entry(kind=WEIGHT, weight=501, unit="kg"), "weight"),
        (_entry(kind=WEIGHT, weight=0.9, unit="lb"), "weight"),
        (_entry(kind=WEIGHT, weight=1101, unit="lb"), "weight"),
        (_entry(kind=WEIGHT, weight=70, unit="stone"), "unit"),
        (_entry(kind=GLUCOSE, glucose=19, unit="mg/dL"), "glucose"),
        (_entry(kind=GLUCOSE, glucose=601, unit="mg/dL"), "glucose"),
        (_entry(kind=GLUCOSE, glucose=1.0, unit="mmol/L"), "glucose"),
        (_entry(kind=GLUCOSE, glucose=33.4, unit="mmol/L"), "glucose"),
        (_entry(kind=GLUCOSE, glucose=100, unit=None), "unit"),
        (_entry(kind="cholesterol"), "kind"),
    ],
)
def test_entries_outside_the_plausible_ranges_are_refused_and_change_nothing(
    seeded_url: str, entry: Entry, field: str
) -> None:
    patient = _alex()
    before = {k: _count(k, patient) for k in readings.KINDS}
    with pytest.raises(ValidationError) as refused:
        readings.reading_add(actor=world.actor_of("patient.demo"), patient_id=patient, entry=entry)
    assert field in refused.value.fields
    assert {k: _count(k, patient) for k in readings.KINDS} == before


def test_a_reading_four_minutes_ahead_is_clock_skew_and_accepted(seeded_url: str) -> None:
    entry = _entry(systolic=122, diastolic=78, measured_at=NOW + timedelta(minutes=4))
    assert (
        readings.reading_add(actor=world.actor_of("patient.demo"), patient_id=_alex(), entry=entry)
        == []
    )


def test_units_are_converted_on_the_way_in(seeded_url: str) -> None:
    patient, me = _alex(), world.actor_of("patient.demo")
    _clear(WEIGHT, patient)
    _clear(GLUCOSE, patient)
    at = NOW - timedelta(hours=2)
    readings.reading_add(
        actor=me,
        patient_id=patient,
        entry=_entry(kind=WEIGHT, measured_at=at, weight=176.4, unit="lb"),
    )
    readings.reading_add(
        actor=me,
        patient_id=patient,
        entry=_entry(kind=GLUCOSE, measured_at=at, glucose=5.5, unit="mmol/L"),
    )
    manual = _view(days=1).manual
    assert manual[WEIGHT]["weight_kg"].iloc[0] == pytest.approx(80.01, abs=0.01)
    assert manual[GLUCOSE]["mg_dl"].iloc[0] == 99  # 5.5 x 18.016 = 99.1


def test_typed_in_readings_can_be_corrected_and_deleted_but_device_ones_cannot(
    seeded_url: str,
) -> None:
    patient, me = _alex(), world.actor_of("patient.demo")
    _clear(BP, patient)
    at = NOW - timedelta(hours=3)
    readings.reading_add(
        actor=me, patient_id=patient, entry=_entry(measured_at=at, systolic=128, diastolic=82)
    )
    with pytest.raises(ValidationError) as taken:
        readings.reading_add(
            actor=me, patient_id=patient, entry=_entry(measured_at=at, systolic=129, diastolic=82)
        )
    assert "measured_at" in taken.value.fields
    later = at + timedelta(minutes=10)
    readings.reading_replace(
        actor=me,
        patient_id=patient,
        original_at=at,
        entry=_entry(measured_at=later, systolic=126, diastolic=80),
    )
    assert list(_view(days=1).manual[BP]["systolic"]) == [126]
    device_at = NOW - timedelta(hours=5)
    _put(
        BP,
        patient,
        pd.DataFrame(
            {"measured_at": [device_at], "systolic": [140], "diastolic": [90], "pulse": [70]}
        ),
        "device",
    )
    with pytest.raises(ValidationError):
        readings.reading_delete(actor=me, patient_id=patient, kind=BP, measured_at=device_at)
    with pytest.raises(ValidationError):
        readings.reading_replace(
            actor=me,
            patient_id=patient,
            original_at=device_at,
            entry=_entry(measured_at=device_at, systolic=120, diastolic=80),
        )
    with pytest.raises(NotFound):
        readings.reading_delete(actor=me, patient_id=patient, kind=BP, measured_at=at)  # moved
    readings.reading_delete(actor=me, patient_id=patient, kind=BP, measured_at=later)
    assert _count(BP, patient) == 1  # the device reading stays


# --- alerts ------------------------------------------------------------------------------------


def test_a_crisis_reading_raises_one_alert_with_guidance(seeded_url: str) -> None:
    patient, me = _alex(), world.actor_of("patient.demo")
    _clear(BP, patient)
    at = NOW - timedelta(minutes=30)
    raised = readings.reading_add(
        actor=me, patient_id=patient, entry=_entry(measured_at=at, systolic=192, diastolic=110)
    )
    assert [a.rule for a in raised] == ["bp_crisis"] and "911" in raised[0].guidance
    assert raised[0].value_text == "192/110 mmHg"
    with pytest.raises(ValidationError):  # the same reading again is a duplicate: no second alert
        readings.reading_add(
            actor=me, patient_id=patient, entry=_entry(measured_at=at, systolic=192, diastolic=110)
        )
    readings.reading_add(
        actor=me,
        patient_id=patient,
        entry=_entry(measured_at=at + timedelta(minutes=5), systolic=150, diastolic=95),
    )
    assert _alerts(patient) == [("bp_crisis", at)]


def test_glucose_alerts_once_per_reading_and_once_per_cgm_episode(seeded_url: str) -> None:
    patient, me = _alex(), world.actor_of("patient.demo")
    _clear(GLUCOSE, patient)
    at = NOW - timedelta(hours=1)
    assert [
        a.rule
        for a in readings.reading_add(
            actor=me,
            patient_id=patient,
            entry=_entry(kind=GLUCOSE, measured_at=at, glucose=52, unit="mg/dL"),
        )
    ] == ["glucose_low"]
    assert (
        readings.reading_add(
            actor=me,
            patient_id=patient,
            entry=_entry(
                kind=GLUCOSE, measured_at=at + timedelta(minutes=1), glucose=54, unit="mg/dL"
            ),
        )
        == []
    )
    assert [
        a.rule
        for a in readings.reading_add(
            actor=me,
            patient_id=patient,
            entry=_entry(
                kind=GLUCOSE, measured_at=at + timedelta(minutes=2), glucose=301, unit="mg/dL"
            ),
        )
    ] == ["glucose_high"]
    # A CGM file: two separate hypo episodes (six and three readings under 54) and one old one.
    start = NOW - timedelta(days=2)
    values = [100] * 10 + [53, 50, 48, 45, 49, 52] + [90] * 30 + [51, 50, 53] + [110] * 5
    lines = [
        f"{(start + timedelta(minutes=5 * i)).isoformat()},EGV,{v}" for i, v in enumerate(values)
    ]
    old = (NOW - timedelta(days=30)).isoformat()
    data = _dexcom(lines + [f"{old},EGV,45"])
    plan = _import(data)
    assert sorted(a.value_text for a in plan.alerts) == ["45 mg/dL", "50 mg/dL"]
    assert len(_alerts(patient)) == 4
    again = _import(data)  # the same file again: every row is a duplicate, no new alert
    assert again.total_new == 0 and again.duplicates == len(values) + 1 and again.alerts == []
    assert len(_alerts(patient)) == 4


def test_heart_failure_weight_gain_by_day_and_by_week(seeded_url: str) -> None:
    patient, me = _alex(), world.actor_of("patient.demo")
    _clear(WEIGHT, patient)
    with db.transaction() as s:
        s.get(Patient, patient).heart_failure = True  # type: ignore[union-attr]
    day = NOW.replace(hour=7, minute=0, second=0)

    def weigh(days_ago: int, kg: float) -> list[str]:
        entry = _entry(
            kind=WEIGHT, measured_at=day - timedelta(days=days_ago), weight=kg, unit="kg"
        )
        return [a.rule for a in readings.reading_add(actor=me, patient_id=patient, entry=entry)]

    assert weigh(6, 80.0) == []
    assert weigh(5, 80.9) == []  # +0.9 kg in a day: under the 1 kg rule
    assert weigh(4, 81.6) == []  # +0.7 in a day, +1.6 in the week
    assert weigh(3, 82.2) == ["weight_gain_week"]  # +2.2 kg over the week's lowest
    assert weigh(2, 82.1) == ["weight_gain_week"]  # still up 2.1 kg: each reading counts
    assert weigh(1, 80.4) == []
    assert weigh(0, 81.5) == ["weight_gain_day"]  # +1.1 kg since yesterday
    assert len(_alerts(patient)) == 3


# --- access ------------------------------------------------------------------------------------


def test_access_to_metrics_is_refused_outside_the_rules(seeded_url: str) -> None:
    alex = _alex()
    other = world.some_patient_user()
    with pytest.raises(NotFound):
        metrics.metrics_view(actor=other, patient_id=alex, start=NOW - timedelta(days=7), end=NOW)
    clinician = world.actor_of("clinician.demo")
    with db.read_only() as s:
        mine = set(s.scalars(access_patients(clinician)))
        outsider = s.scalars(
            select(PatientCareTeam.patient_id).where(PatientCareTeam.patient_id.not_in(mine))
        ).first()
    assert outsider is not None and alex in mine
    with pytest.raises(PermissionDenied):
        metrics.metrics_view(
            actor=clinician, patient_id=outsider, start=NOW - timedelta(days=7), end=NOW
        )
    assert metrics.metrics_view(
        actor=clinician, patient_id=alex, start=NOW - timedelta(days=7), end=NOW
    ).read_only
    with pytest.raises(PermissionDenied):  # the care team reads; the patient side enters
        readings.reading_add(
            actor=clinician, patient_id=alex, entry=_entry(systolic=120, diastolic=80)
        )
    # A proxy whose grant does not cover metrics.
    proxy = world.actor_of("proxy.demo")
    ruth = world.patient_id("Ruth", "Larson")
    with db.transaction() as s:
        from services.core.models import ProxyGrant

        grant = s.get(ProxyGrant, world.grant_of(proxy, ruth))
        grant.scopes = "results,appointments"  # type: ignore[union-attr]
    with pytest.raises(NotFound):
        metrics.metrics_view(actor=proxy, patient_id=ruth, start=NOW - timedelta(days=7), end=NOW)


def access_patients(clinician):  # type: ignore[no-untyped-def]
    from services.core.access import clinician_patients

    return clinician_patients(clinician.user_id)


def test_a_period_that_ends_before_it_starts_is_refused(seeded_url: str) -> None:
    with pytest.raises(ValidationError):
        metrics.metrics_view(
            actor=world.actor_of("patient.demo"),
            patient_id=_alex(),
            start=NOW,
            end=NOW - timedelta(days=1),
        )


# --- export and units --------------------------------------------------------------------------


def test_export_is_the_periods_readings_as_spreadsheet_safe_csv(seeded_url: str) -> None:
    patient = _alex()
    _clear(BP, patient)
    _put(
        BP,
        patient,
        pd.DataFrame(
            {
                "measured_at": [NOW - timedelta(days=1)],
                "systolic": [128],
                "diastolic": [82],
                "pulse": [70],
            }
        ),
        "device",
    )
    data = metrics.metrics_export(
        actor=world.actor_of("patient.demo"),
        patient_id=patient,
        kind=BP,
        start=NOW - timedelta(days=7),
        end=NOW,
    )
    lines = data.decode().splitlines()
    assert lines[0] == "measured_at,source,systolic,diastolic,pulse"
    assert lines[1].endswith(",device,128,82,70") and len(lines) == 2
    assert safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert safe_cell("-5") == "-5" and safe_cell("+1 555") == "'+1 555"


def test_units_preference_is_saved_and_checked(seeded_url: str) -> None:
    me = world.actor_of("patient.demo")
    assert metrics.units_update(actor=me, weight="lb", glucose="mmol/L") == metrics.Units(
        "lb", "mmol/L"
    )
    assert _view().units == metrics.Units("lb", "mmol/L")
    with pytest.raises(ValidationError) as refused:
        metrics.units_update(actor=me, weight="stone", glucose="mg")
    assert set(refused.value.fields) == {"weight", "glucose"}


# --- imports -----------------------------------------------------------------------------------

DEXCOM_HEADER = (
    "Index,Timestamp (YYYY-MM-DDThh:mm:ss),Event Type,Event Subtype,Patient Info,Device Info,"
    "Source Device ID,Glucose Value (mg/dL),Insulin Value (u),Carb Value (grams),"
    "Duration (hh:mm:ss),Glucose Rate of Change (mg/dL/min)"
)


def _dexcom(lines: list[str]) -> bytes:
    """A Dexcom Clarity export around `timestamp,EGV,value` lines."""
    rows = [DEXCOM_HEADER, "1,,FirstName,,Alex,,,,,,,", "2,,LastName,,Rivera,,,,,,,"]
    for i, line in enumerate(lines, start=3):
        at, kind, value = line.split(",")
        rows.append(f"{i},{at},{kind},,,,G6,{value},,,,")
    return ("\ufeff" + "\n".join(rows) + "\n").encode()


def _import(data: bytes, confirm: bool = True):  # type: ignore[no-untyped-def]
    from services.health import device_import

    call = device_import.import_confirm if confirm else device_import.import_preview
    return call(actor=world.actor_of("patient.demo"), patient_id=_alex(), data=data)


def test_the_real_dexcom_export_previews_then_imports(seeded_url: str) -> None:
    patient = _alex()
    _clear(GLUCOSE, patient)
    data = DEXCOM_EXPORT.read_bytes()
    egv = sum(1 for line in data.decode("utf-8-sig").splitlines() if ",EGV," in line)
    preview = _import(data, confirm=False)
    assert preview.file_format == "Dexcom Clarity CGM export"
    assert preview.total_new == egv and preview.problem_count == 0
    assert preview.not_readings == 11  # names, device, alerts
    assert preview.note and "Joe Schmoe" in preview.note
    assert _count(GLUCOSE, patient) == 0  # a preview saves nothing
    done = _import(data)
    assert done.total_new == egv and _count(GLUCOSE, patient) == egv
    assert done.alerts == []  # 2016 readings are history, not news


def test_template_rows_good_and_bad_are_reported_by_line(seeded_url: str) -> None:
    from services.health import device_import

    patient = _alex()
    for kind in readings.KINDS:
        _clear(kind, patient)
    at = (NOW - timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    text = "\n".join(
        [
            ",".join(device_import.TEMPLATE_COLUMNS),
            f"{at},blood_pressure,128,82,70,,,",  # line 2: good
            f"{at},blood_pressure,80,90,,,,",  # line 3: diastolic above systolic
            f"{at},weight,,,,81.4,,kg",  # line 4: good
            f"{at},weight,,,,81.4,,stone",  # line 5: unit
            f"{at},glucose,,,,,abc,mg/dL",  # line 6: not a number
            "not a time,glucose,,,,,100,mg/dL",  # line 7: time
            f"{at},cholesterol,,,,,,",  # line 8: metric
            f"{at},glucose,,,,,112,mg/dL",  # line 9: good
            f"{at},glucose,,,,,113,mg/dL",  # line 10: same time as line 9
        ]
    ).encode()
    plan = _import(text, confirm=False)
    assert plan.new_rows == {BP: 1, WEIGHT: 1, GLUCOSE: 1}
    assert plan.duplicates == 1
    assert [p.line for p in plan.problems] == [3, 5, 6, 7, 8]
    assert "diastolic" in plan.problems[0].message and "unit" in plan.problems[1].message
    done = _import(text)
    assert done.total_new == 3 and _count(BP, patient) == 1 and _count(GLUCOSE, patient) == 1


@pytest.mark.parametrize(
    "data, says",
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "not a CSV"),
        (b"date,sugar\n2026-01-01,100\n", "columns"),
        (b'measured_at,metric\n"2026-01-01,glucose\n', "could not be read"),
    ],
)
def test_files_we_cannot_read_are_refused_whole(seeded_url: str, data: bytes, says: str) -> None:
    with pytest.raises(ValidationError) as refused:
        _import(data, confirm=False)
    assert says in refused.value.fields["file"]


def test_a_100000_row_file_imports_in_one_go(seeded_url: str) -> None:
    patient = _alex()
    _clear(GLUCOSE, patient)
    start = NOW - timedelta(days=400)
    lines = [
        f"{(start + timedelta(minutes=5 * i)).isoformat()},EGV,{100 + (i % 150)}"
        for i in range(100_000)
    ]
    plan = _import(_dexcom(lines))
    assert plan.total_new == 100_000 and _count(GLUCOSE, patient) == 100_000


# --- the alert queue ---------------------------------------------------------------------------


def test_the_queue_holds_only_care_team_alerts_and_each_is_acknowledged_once(
    seeded_url: str,
) -> None:
    from services.core.access import clinician_patients
    from services.core.errors import Conflict
    from services.health import alerts

    clinician = world.actor_of("clinician.demo")
    with db.transaction() as s:  # an alert for a patient on another team
        mine = set(s.scalars(clinician_patients(clinician.user_id)))
        other = s.scalars(select(Patient.id).where(Patient.id.not_in(mine)).limit(1)).one()
        s.add(
            MetricAlert(
                patient_id=other,
                metric="blood_pressure",
                rule="bp_severe",
                measured_at=NOW,
                value_text="182/121 mmHg",
                created_at=NOW,
            )
        )
    queue = alerts.alert_queue(actor=clinician)
    assert queue
    with db.read_only() as s:
        everyone = set(s.scalars(select(MetricAlert.patient_id)))
    assert {a.patient_id for a in queue} <= mine and everyone - mine  # others exist, not shown
    first = queue[0]
    with pytest.raises((PermissionDenied, NotFound)):  # a patient cannot close an alert
        alerts.alert_acknowledge(
            actor=world.actor_of("patient.demo"), alert_id=first.alert_id, note="ok"
        )
    with pytest.raises(ValidationError):
        alerts.alert_acknowledge(actor=clinician, alert_id=first.alert_id, note="  ")
    alerts.alert_acknowledge(actor=clinician, alert_id=first.alert_id, note="Called; fine now.")
    with pytest.raises(Conflict):
        alerts.alert_acknowledge(actor=clinician, alert_id=first.alert_id, note="Again.")
    assert first.alert_id not in {a.alert_id for a in alerts.alert_queue(actor=clinician)}
    with pytest.raises(PermissionDenied):
        alerts.alert_queue(actor=world.actor_of("billing.demo"))
    with db.read_only() as s:
        outside = s.scalars(
            select(MetricAlert.id).where(MetricAlert.patient_id.not_in(mine))
        ).first()
    with pytest.raises(PermissionDenied):
        alerts.alert_acknowledge(actor=clinician, alert_id=outside, note="Not mine.")  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        alerts.alert_acknowledge(actor=clinician, alert_id=uuid.uuid4(), note="No such alert.")
