"""Clinical figures for the health metrics (docs/rules/clinical.md), in one place.

Published standards are constants with their source. Product policies (alert thresholds, the
heart-failure weight rule, plausible entry ranges, what counts as morning) are settings: each can
be changed with PORTAL_<NAME> or `<name>` in secrets.toml, and `policy()` reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from services.core import language
from services.core.config import number_setting
from services.core.language import N_, t

# --- blood pressure: ACC/AHA 2017 adult categories (Whelton et al., Hypertension 2018) --------

BP_CATEGORIES = (
    N_("Normal"),
    N_("Elevated"),
    N_("Stage 1 hypertension"),
    N_("Stage 2 hypertension"),
    N_("Hypertensive crisis"),
)
# Lower bounds (mmHg) of each category above normal; crisis is strictly above its bound.
SYSTOLIC_ELEVATED, SYSTOLIC_STAGE1, SYSTOLIC_STAGE2, SYSTOLIC_CRISIS = 120, 130, 140, 180
DIASTOLIC_STAGE1, DIASTOLIC_STAGE2, DIASTOLIC_CRISIS = 80, 90, 120


def bp_rank(systolic: float, diastolic: float) -> int:
    """Index into BP_CATEGORIES; when the two numbers disagree the higher category applies."""
    if systolic > SYSTOLIC_CRISIS or diastolic > DIASTOLIC_CRISIS:
        return 4
    if systolic >= SYSTOLIC_STAGE2 or diastolic >= DIASTOLIC_STAGE2:
        return 3
    if systolic >= SYSTOLIC_STAGE1 or diastolic >= DIASTOLIC_STAGE1:
        return 2
    if systolic >= SYSTOLIC_ELEVATED:
        return 1
    return 0


def bp_category(systolic: float, diastolic: float) -> str:
    return BP_CATEGORIES[bp_rank(systolic, diastolic)]


def is_bp_crisis(systolic: float, diastolic: float) -> bool:
    return bp_rank(systolic, diastolic) == 4


# --- glucose: CGM time in range (Battelino et al., Diabetes Care 2019) -------------------------

VERY_LOW, LOW, HIGH, VERY_HIGH = 54, 70, 180, 250  # mg/dL bounds of the five ranges
# (key, label, target text): below 54; 54-69; 70-180; 181-250; above 250.
TIR_RANGES = (
    ("tbr2", N_("Very low (< 54 mg/dL)"), "< 1%"),
    ("tbr1", N_("Low (54–69 mg/dL)"), N_("< 4% with very low")),
    ("tir", N_("In range (70–180 mg/dL)"), "> 70%"),
    ("tar1", N_("High (181–250 mg/dL)"), N_("< 25% with very high")),
    ("tar2", N_("Very high (> 250 mg/dL)"), "< 5%"),
)
TIR_TARGET_PERCENT = 70
CV_TARGET_PERCENT = 36
TIR_WINDOW_DAYS = 14  # the standard window for TIR, GMI, CV and the AGP
CGM_READINGS_PER_DAY = 288  # one every 5 minutes
SUFFICIENT_WEAR_PERCENT = 70  # metrics are reported as sufficient only from 70% worn
AGP_PERCENTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
SENSOR_LOW, SENSOR_HIGH = 40, 400  # what a CGM's LOW / HIGH markers are stored as (mg/dL)

# GMI (%) = 3.31 + 0.02392 x mean glucose in mg/dL (Bergenstal et al., Diabetes Care 2018).
GMI_INTERCEPT, GMI_SLOPE = 3.31, 0.02392
MG_DL_PER_MMOL_L = 18.016


def gmi(mean_mg_dl: float) -> float:
    return GMI_INTERCEPT + GMI_SLOPE * mean_mg_dl


def cv_percent(sd: float, mean: float) -> float:
    """Glycaemic variability: coefficient of variation, SD / mean, as a percentage."""
    return 100.0 * sd / mean


def to_mmol_l(mg_dl: float) -> float:
    return mg_dl / MG_DL_PER_MMOL_L


def to_mg_dl(mmol_l: float) -> float:
    return mmol_l * MG_DL_PER_MMOL_L


# --- weight ------------------------------------------------------------------------------------

KG_PER_LB = 0.45359237  # exact, by definition
BMI_CATEGORIES = ((18.5, N_("Underweight")), (25.0, N_("Healthy weight")), (30.0, N_("Overweight")))
OBESITY = N_("Obesity")


def to_lb(kg: float) -> float:
    return kg / KG_PER_LB


def to_kg(lb: float) -> float:
    return lb * KG_PER_LB


def bmi(weight_kg: float, height_cm: float) -> float:
    """Body-mass index, weight (kg) / height (m) squared."""
    return weight_kg / (height_cm / 100.0) ** 2


def bmi_category(value: float) -> str:
    """Adult categories: < 18.5, 18.5-24.9, 25-29.9, >= 30."""
    for upper, label in BMI_CATEGORIES:
        if value < upper:
            return label
    return OBESITY


# --- units -------------------------------------------------------------------------------------

KG, LB = "kg", "lb"
MG_DL, MMOL_L = "mg/dL", "mmol/L"
WEIGHT_UNITS = (KG, LB)
GLUCOSE_UNITS = (MG_DL, MMOL_L)


def weight_in(kg: float, unit: str) -> float:
    return to_lb(kg) if unit == LB else kg


def glucose_in(mg_dl: float, unit: str) -> float:
    return to_mmol_l(mg_dl) if unit == MMOL_L else mg_dl


# --- product policy ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    glucose_alert_low: float  # mg/dL; a reading below reaches the care team
    glucose_alert_high: float  # mg/dL; a reading above reaches the care team
    weight_gain_day_kg: float  # heart failure: gain over the previous day's weight
    weight_gain_week_kg: float  # heart failure: gain over the lowest weight of the past week
    alert_recent_days: float  # older readings (e.g. an imported history) raise no alert
    systolic_min: float
    systolic_max: float
    diastolic_min: float
    diastolic_max: float
    pulse_min: float
    pulse_max: float
    weight_min_kg: float
    weight_max_kg: float
    weight_min_lb: float
    weight_max_lb: float
    glucose_min: float  # mg/dL
    glucose_max: float  # mg/dL
    glucose_min_mmol: float
    glucose_max_mmol: float
    clock_skew_minutes: float  # how far in the future a reading's time may be
    morning_from_hour: float  # morning readings: from this hour ...
    morning_to_hour: float  # ... to before this one
    evening_from_hour: float
    evening_to_hour: float
    chart_points: float  # most points sent per chart trace
    agp_bin_minutes: float  # width of the AGP's time-of-day bins


DEFAULTS = Policy(
    glucose_alert_low=54,
    glucose_alert_high=300,
    weight_gain_day_kg=1.0,  # about 2-3 lb in a day
    weight_gain_week_kg=2.0,  # about 5 lb in a week
    alert_recent_days=7,
    systolic_min=50,
    systolic_max=300,
    diastolic_min=20,
    diastolic_max=200,
    pulse_min=20,
    pulse_max=250,
    weight_min_kg=0.5,
    weight_max_kg=500,
    weight_min_lb=1,
    weight_max_lb=1100,
    glucose_min=20,
    glucose_max=600,
    glucose_min_mmol=1.1,
    glucose_max_mmol=33.3,
    clock_skew_minutes=5,
    morning_from_hour=4,
    morning_to_hour=12,
    evening_from_hour=16,
    evening_to_hour=24,
    chart_points=2000,
    agp_bin_minutes=15,
)


@cache
def policy() -> Policy:
    """The policy in force; `policy.cache_clear()` re-reads it (tests)."""
    return Policy(
        **{name: number_setting(name, value) for name, value in DEFAULTS.__dict__.items()}
    )


CRISIS_STEPS = N_(
    "Wait five minutes and measure again. If it is still this high, or you "
    "have chest pain, shortness of breath, back pain, numbness, weakness, a "
    "change in vision or difficulty speaking, call 911 now."
)


def guidance(rule: str) -> str:
    """What the patient should do about a reading that raised an alert."""
    p = policy()
    told = t("Your care team has been told.")
    texts = {
        "bp_crisis": t(
            "This reading is in the hypertensive crisis range. {steps}",
            steps=t(CRISIS_STEPS),
        ),
        "glucose_low": (
            t(
                "This glucose is very low. Take 15 grams of fast-acting sugar now and "
                "check again in 15 minutes. If you cannot treat it yourself or feel "
                "confused, call 911."
            )
        ),
        "glucose_high": (
            t(
                "This glucose is very high. Drink water, check for ketones if your plan "
                "says so and follow your sick-day plan. If you are vomiting, very "
                "drowsy or breathing fast, call 911."
            )
        ),
        "weight_gain_day": t(
            "Your weight rose by more than {kg} kg ({lb} lb) since yesterday. With heart "
            "failure this can be fluid building up: call your care team today.",
            kg=language.number(p.weight_gain_day_kg),
            lb=language.number(to_lb(p.weight_gain_day_kg), 1),
        ),
        "weight_gain_week": t(
            "Your weight rose by more than {kg} kg ({lb} lb) within a week. With heart "
            "failure this can be fluid building up: call your care team today.",
            kg=language.number(p.weight_gain_week_kg),
            lb=language.number(to_lb(p.weight_gain_week_kg), 1),
        ),
    }
    return f"{texts[rule]} {told}"


RULE_LABELS = {
    "bp_crisis": N_("Blood pressure in the crisis range"),
    "glucose_low": N_("Glucose below the alert limit"),
    "glucose_high": N_("Glucose above the alert limit"),
    "weight_gain_day": N_("Heart failure: weight gain in a day"),
    "weight_gain_week": N_("Heart failure: weight gain in a week"),
}
