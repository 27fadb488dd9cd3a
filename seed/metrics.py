"""Home health-metric readings: blood pressure, weight, fingerstick glucose and CGM streams.

Shaped like real home data rather than noise: morning/evening blood pressure with day-to-day
variation and a treatment effect; weight drifting slowly with fluid gains in heart failure;
CGM glucose every 5 minutes with meals, a dawn rise, quiet nights, hypos, sensor changes
(10-day sessions with a 2-hour warm-up) and signal-loss gaps; LOW/HIGH past the sensor range.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from seed.population import DEMO_PATIENT, Population, SeedOptions
from seed.wall_clock import first_of_each, stored

MINUTE = np.timedelta64(1, "m")
SECOND = np.timedelta64(1, "s")
CGM_STEP_S = 300
SENSOR_DAYS = 10
CGM_LOW, CGM_HIGH = 40, 400  # the sensor reports "LOW"/"HIGH" beyond its range
BATCH_ROWS = 8_000_000
# Text columns travel as small integer codes into these values (-1: null), never as objects.
CODED = {"source": ("manual", "device", "cgm"), "flag": ("LOW", "HIGH")}
MANUAL, DEVICE, CGM = 0, 1, 2
NO_FLAG, LOW, HIGH = -1, 0, 1


def coded(codes: np.ndarray, values: tuple[str, ...]) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0), pa.array(values))


def _table(pid: list[np.ndarray], columns: dict[str, list[np.ndarray]], ids: list[str]) -> pa.Table:
    """One Arrow batch in (patient id, time) order; ids and text columns dictionary-encoded.

    Rows sorted by the patient's UUID keep each DuckDB row group to a narrow range of ids, so a
    query for one patient skips almost every row group by its min/max (there is no index).
    """
    if not pid:
        return pa.table({})
    patients = np.concatenate(pid).astype(np.int32)
    rank = np.argsort(np.argsort(np.array(ids)))  # each id's place in UUID order
    values = {name: np.concatenate(parts) for name, parts in columns.items()}
    at = values["measured_at"] = stored(values["measured_at"])  # made on the clinic's clock
    order = np.lexsort((values["source"], at, rank[patients]))
    order = order[first_of_each(patients[order], at[order], values["source"][order])]
    data: dict[str, pa.Array] = {"patient_id": coded(patients[order], tuple(ids))}
    for name, column in values.items():
        ordered = column[order]
        data[name] = (
            coded(ordered.astype(np.int8), CODED[name]) if name in CODED else pa.array(ordered)
        )
    return pa.table(data)


def _sources(rng: np.random.Generator, n: int, device_share: float) -> np.ndarray:
    return np.where(rng.random(n) < device_share, DEVICE, MANUAL).astype(np.int8)


def _days(
    opts: SeedOptions, rng: np.random.Generator, share: float, start_frac: float
) -> np.ndarray:
    """Days (as datetime64[D]) on which a patient took readings: from a start, with adherence."""
    total = 365 * opts.years
    first = int(rng.uniform(0, start_frac) * total)
    days = np.arange(first, total)
    days = days[rng.random(len(days)) < share]
    return np.datetime64(opts.start.date(), "D") + days.astype("timedelta64[D]")


def blood_pressure(pop: Population, opts: SeedOptions, rng: np.random.Generator) -> pa.Table:
    chosen = (pop.htn & (rng.random(pop.n) < 0.8)) | (rng.random(pop.n) < 0.04)
    chosen[DEMO_PATIENT] = True  # the demo patient always shows blood pressure
    monitors = np.flatnonzero(chosen)
    monitors = monitors[pop.age[monitors] >= 18]
    pid: list[np.ndarray] = []
    ids: list[str] = []
    cols: dict[str, list[np.ndarray]] = {
        k: [] for k in ("measured_at", "source", "systolic", "diastolic", "pulse")
    }
    for i in monitors:
        days = _days(opts, rng, rng.uniform(0.25, 0.9), 0.7)
        if len(days) == 0:
            continue
        evening = rng.random(len(days)) < 0.45
        minutes = np.where(
            evening,
            rng.integers(18 * 60, 22 * 60, len(days)),
            rng.integers(6 * 60, 9 * 60, len(days)),
        )
        base = 148.0 if pop.htn[i] else 118.0
        base += rng.normal(0, 7)
        # Treatment begins part-way and lowers pressure by about 15 mmHg over a few weeks.
        progress = np.linspace(0, 1, len(days))
        effect = np.where(pop.htn_treated[i], -15 * np.clip((progress - 0.3) * 8, 0, 1), 0)
        drift = np.cumsum(rng.normal(0, 0.4, len(days)))
        systolic = base + effect + drift + np.where(evening, -3, 4) + rng.normal(0, 8, len(days))
        spikes = rng.random(len(days)) < (0.004 if pop.htn[i] else 0.0005)
        systolic = np.where(spikes, rng.uniform(182, 200, len(days)), systolic)
        diastolic = 0.52 * systolic + 14 + rng.normal(0, 5, len(days))
        systolic = np.clip(np.round(systolic), 80, 240).astype(np.int16)
        diastolic = np.clip(np.round(diastolic), 45, 130).astype(np.int16)
        diastolic = np.minimum(diastolic, systolic - 15).astype(np.int16)
        pulse = np.clip(np.round(rng.normal(72, 9) + rng.normal(0, 6, len(days))), 40, 140).astype(
            np.int16
        )
        at = (
            days.astype("datetime64[s]")
            + minutes * 60 * SECOND
            + rng.integers(0, 60, len(days)) * SECOND
        )
        pid.append(np.full(len(days), len(ids)))
        ids.append(pop.ids[i])
        cols["measured_at"].append(at)
        cols["source"].append(_sources(rng, len(days), 0.7))
        cols["systolic"].append(systolic)
        cols["diastolic"].append(diastolic)
        cols["pulse"].append(pulse)
    return _table(pid, cols, ids)


def weight(pop: Population, opts: SeedOptions, rng: np.random.Generator) -> pa.Table:
    chosen = pop.hf | (rng.random(pop.n) < 0.15)
    chosen[DEMO_PATIENT] = True  # and weight
    weighers = np.flatnonzero(chosen)
    weighers = weighers[pop.age[weighers] >= 18]
    pid: list[np.ndarray] = []
    ids: list[str] = []
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("measured_at", "source", "weight_kg")}
    for i in weighers:
        daily = bool(pop.hf[i])
        days = _days(opts, rng, rng.uniform(0.6, 0.95) if daily else rng.uniform(0.08, 0.3), 0.5)
        if len(days) == 0:
            continue
        bmi = rng.normal(28, 5)
        kg = bmi * (pop.height_cm[i] / 100) ** 2
        trend = np.cumsum(rng.normal(0.002, 0.06, len(days)))
        series = kg + trend + rng.normal(0, 0.35, len(days))
        if daily:
            # Fluid gains: about one episode every few months, +2.5 kg over three days.
            for start in np.flatnonzero(rng.random(len(days)) < 0.01):
                series[start : start + 3] += np.array([0.9, 1.8, 2.6])[
                    : len(series[start : start + 3])
                ]
        minutes = rng.integers(6 * 60, 8 * 60, len(days))
        pid.append(np.full(len(days), len(ids)))
        ids.append(pop.ids[i])
        cols["measured_at"].append(days.astype("datetime64[s]") + minutes * 60 * SECOND)
        cols["source"].append(_sources(rng, len(days), 0.5))
        cols["weight_kg"].append(np.round(np.clip(series, 20, 300), 1))
    return _table(pid, cols, ids)


def fingerstick(pop: Population, opts: SeedOptions, rng: np.random.Generator) -> pa.Table:
    testers = np.flatnonzero(pop.diabetic & ~pop.cgm)
    pid: list[np.ndarray] = []
    ids: list[str] = []
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("measured_at", "source", "mg_dl", "flag")}
    for i in testers:
        days = _days(opts, rng, rng.uniform(0.2, 0.8), 0.6)
        if len(days) == 0:
            continue
        per_day = rng.integers(1, 4, len(days))
        day = np.repeat(days, per_day)
        minutes = rng.integers(6 * 60, 22 * 60, len(day))
        at = np.unique(day.astype("datetime64[s]") + minutes * 60 * SECOND)  # one reading a minute
        mean = rng.normal(155, 25)
        values = np.clip(np.round(rng.lognormal(np.log(mean), 0.28, len(at))), 35, 500).astype(
            np.int16
        )
        pid.append(np.full(len(at), len(ids)))
        ids.append(pop.ids[i])
        cols["measured_at"].append(at)
        cols["source"].append(np.full(len(at), DEVICE, dtype=np.int8))
        cols["mg_dl"].append(values)
        cols["flag"].append(np.full(len(at), NO_FLAG, dtype=np.int8))
    return _table(pid, cols, ids)


def _smooth(noise: np.ndarray, length: int) -> np.ndarray:
    kernel = np.exp(-np.arange(length) / (length / 3))
    return np.convolve(noise, kernel / np.sqrt((kernel**2).sum()), mode="same")


def cgm_series(
    opts: SeedOptions, rng: np.random.Generator, a1c_bias: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One wearer's CGM stream over the whole span: (times, mg/dL, flags)."""
    steps_per_day = 86_400 // CGM_STEP_S
    n = 365 * opts.years * steps_per_day
    k = np.arange(n)
    minute_of_day = (k % steps_per_day) * 5.0
    base = rng.normal(135, 18) + a1c_bias
    dawn = 18 * np.exp(-(((minute_of_day - 6.5 * 60) / 80) ** 2))
    days = n // steps_per_day
    impulses = np.zeros(n)
    for meal_minute, size in ((7.5 * 60, 55.0), (12.5 * 60, 60.0), (18.5 * 60, 75.0)):
        eaten = rng.random(days) < 0.93
        at = (np.arange(days) * steps_per_day + (meal_minute + rng.normal(0, 40, days)) / 5).astype(
            int
        )
        at = np.clip(at[eaten], 0, n - 1)
        impulses[at] += np.clip(rng.normal(size, 25, len(at)), 5, 160)
    t = np.arange(48) * 5.0  # four hours of response, peaking near one hour
    kernel = (t / 60) * np.exp(1 - t / 60)
    meals = np.convolve(impulses, kernel)[:n]
    # Day-to-day drift that wanders but returns (AR(1)): a wearer stays near their own level.
    shocks = rng.normal(0, 6, days + 1)
    daily = np.empty(days + 1)
    level = 0.0
    for day, shock in enumerate(shocks):
        level = 0.97 * level + shock
        daily[day] = level
    drift = np.interp(k, np.arange(0, n + 1, steps_per_day), daily * 0.3)
    noise = _smooth(rng.normal(0, 9, n), 24)
    glucose = base + dawn + meals + drift + noise
    # Night-time hypos: a dip of 50-90 mg/dL on about one night in fifteen.
    for night in np.flatnonzero(rng.random(days) < 1 / 15):
        centre = night * steps_per_day + int(rng.uniform(1, 5) * 12)
        span = np.arange(max(centre - 12, 0), min(centre + 12, n))
        glucose[span] -= rng.uniform(50, 90) * np.exp(-(((span - centre) / 6.0) ** 2))
    glucose = np.round(glucose)
    # Gaps: a 2-hour warm-up after each 10-day sensor, and 0-3 signal losses a week.
    keep = np.ones(n, dtype=bool)
    for change in range(0, n, SENSOR_DAYS * steps_per_day):
        keep[change : change + 24] = False
    for loss in np.flatnonzero(rng.random(n) < 1.5 / (7 * steps_per_day)):
        keep[loss : loss + int(rng.integers(3, 24))] = False
    start = np.datetime64(opts.start, "s") + int(rng.integers(0, CGM_STEP_S)) * SECOND
    times = start + (k[keep] * CGM_STEP_S) * SECOND
    values = glucose[keep]
    flags = np.full(len(values), NO_FLAG, dtype=np.int8)
    flags[values < CGM_LOW] = LOW
    flags[values > CGM_HIGH] = HIGH
    return times, np.clip(values, CGM_LOW, CGM_HIGH).astype(np.int16), flags


def cgm(pop: Population, opts: SeedOptions, rng: np.random.Generator) -> Iterator[pa.Table]:
    """CGM streams in batches of a few million rows (bulk-loaded one batch at a time)."""
    pid: list[np.ndarray] = []
    ids: list[str] = []
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("measured_at", "source", "mg_dl", "flag")}
    rows = 0
    # Wearers in UUID order, so the batches follow one another in the same order as their rows.
    for i in sorted(np.flatnonzero(pop.cgm), key=lambda w: pop.ids[w]):
        times, values, flags = cgm_series(opts, rng, a1c_bias=25.0 if pop.dm1[i] else 0.0)
        pid.append(np.full(len(times), len(ids)))
        ids.append(pop.ids[i])
        cols["measured_at"].append(times)
        cols["source"].append(np.full(len(times), CGM, dtype=np.int8))
        cols["mg_dl"].append(values)
        cols["flag"].append(flags)
        rows += len(times)
        if rows >= BATCH_ROWS:
            yield _table(pid, cols, ids)
            pid, ids, rows = [], [], 0
            cols = {k: [] for k in cols}
    if pid:
        yield _table(pid, cols, ids)
