"""The clinical record and the portal's workflows around each synthetic patient."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, time, timedelta

import numpy as np
import pandas as pd

from seed import plans as billing_plans
from seed import reference as ref
from seed.population import DEMO_PATIENT, DEMO_TEEN, Population, SeedOptions, uuids
from services.core import clock

Sink = Callable[[str, pd.DataFrame], None]


def _when(
    rng: np.random.Generator, opts: SeedOptions, n: int, hours: tuple[int, int] = (8, 17)
) -> list[datetime]:
    """n moments within the span, on working hours."""
    days = rng.integers(0, 365 * opts.years, n)
    minutes = rng.integers(hours[0] * 60, hours[1] * 60, n)
    return [
        clock.from_local(opts.start + timedelta(days=int(d), minutes=int(m)))
        for d, m in zip(days, minutes, strict=True)
    ]


def organisation(pop: Population, sink: Sink) -> None:
    sink(
        "sites",
        pd.DataFrame(
            {
                "id": pop.site_ids,
                "code": [s[0] for s in ref.SITES],
                "name": [s[1] for s in ref.SITES],
                "state": [s[2] for s in ref.SITES],
                "address": [s[3] for s in ref.SITES],
            }
        ),
    )
    sink(
        "pharmacies",
        pd.DataFrame(
            ref.PHARMACY_DIRECTORY, columns=["name", "address", "phone", "ncpdp_id"]
        ).assign(id=lambda d: [ref.pharmacy_id(n) for n in d["ncpdp_id"]]),
    )


def patients(pop: Population, opts: SeedOptions, rng: np.random.Generator, sink: Sink) -> None:
    n = pop.n
    middle = np.where(rng.random(n) < 0.5, rng.choice(list("ABCDEJKLMRST"), n), None)
    sink(
        "patients",
        pd.DataFrame(
            {
                "id": pop.ids,
                "mrn": pop.mrn,
                "first_name": pop.first,
                "middle_name": middle,
                "last_name": pop.last,
                "birth_date": pop.birth.astype("datetime64[s]").astype(object),
                "sex": np.where(pop.female, "F", "M"),
                "email": [
                    f"{f.lower()}.{s.lower()}{i}@example.org"
                    for i, (f, s) in enumerate(zip(pop.first, pop.last, strict=True))
                ],
                "phone": [f"+1555{7_000_000 + i:07d}" for i in range(n)],
                "address": [f"{100 + i % 9000} Lake Street" for i in range(n)],
                "site_id": pop.site_ids[pop.site],
                "height_cm": pop.height_cm,
                "heart_failure": pop.hf,
                "deceased_on": None,
                "created_at": opts.start - timedelta(days=30),
            }
        ),
    )


def providers_and_teams(
    pop: Population, opts: SeedOptions, rng: np.random.Generator, sink: Sink
) -> pd.DataFrame:
    """Provider users (returned for the users table), providers, one care team per provider."""
    m = len(pop.provider_ids)
    female = rng.random(m) < 0.5
    first = np.where(female, rng.choice(ref.FIRST_NAMES_F, m), rng.choice(ref.FIRST_NAMES_M, m))
    last = rng.choice(ref.LAST_NAMES, m)
    creds = rng.choice(["MD", "MD", "DO", "NP", "PA"], m)
    names = [f"{f} {s}, {c}" for f, s, c in zip(first, last, creds, strict=True)]
    names[0] = "Jordan Patel, MD"  # clinician.demo
    sink(
        "providers",
        pd.DataFrame(
            {
                "id": pop.provider_ids,
                "user_id": pop.provider_user_ids,
                "name": names,
                "credentials": creds,
                "specialty": rng.choice(ref.SPECIALTIES, m),
                "npi": [f"{1_234_500_000 + i:010d}" for i in range(m)],
                "site_id": pop.site_ids[pop.provider_site],
            }
        ),
    )
    sink(
        "care_teams",
        pd.DataFrame(
            {
                "id": pop.team_ids,
                "name": [f"Primary care team {i + 1}" for i in range(m)],
                "site_id": pop.site_ids[pop.provider_site],
            }
        ),
    )
    sink(
        "care_team_members",
        pd.DataFrame(
            {
                "care_team_id": pop.team_ids,
                "provider_id": pop.provider_ids,
                "member_role": "primary",
            }
        ),
    )
    sink(
        "patient_care_teams",
        pd.DataFrame(
            {
                "patient_id": pop.ids,
                "care_team_id": pop.team_ids[pop.team],
                "since": opts.start.date(),
            }
        ),
    )
    return pd.DataFrame(
        {
            "id": pop.provider_user_ids,
            "username": [f"provider{i:04d}" for i in range(m)],
            "display_name": names,
        }
    )


def _conditions(pop: Population, i: int) -> list[str]:
    flags = {
        "hypertension": pop.htn[i],
        "diabetes2": pop.dm2[i],
        "diabetes1": pop.dm1[i],
        "heart_failure": pop.hf[i],
        "hyperlipidemia": pop.hld[i],
        "asthma": pop.asthma[i],
    }
    return [k for k, v in flags.items() if v]


def clinical(
    pop: Population, opts: SeedOptions, rng: np.random.Generator, sink: Sink
) -> dict[str, list[str]]:
    """Problems, medications, allergies, immunizations, imaging, encounters with notes."""
    problems, meds, allergies, shots, imaging, encounters, notes = [], [], [], [], [], [], []
    active_meds: dict[str, list[str]] = {}
    for i in range(pop.n):
        pid = pop.ids[i]
        provider = pop.provider_ids[pop.team[i]]
        site = pop.site_ids[pop.site[i]]
        for cond in _conditions(pop, i):
            code, desc = ref.PROBLEMS[cond]
            onset = opts.start.date() - timedelta(days=int(rng.integers(30, 3000)))
            problems.append((pid, code, desc, onset, "active", opts.start))
            for name, rx, dose, freq in ref.MEDICATIONS.get(cond, ()):
                if cond == "hypertension" and not pop.htn_treated[i]:
                    continue
                mid = uuids(rng, 1)[0]
                meds.append(
                    (
                        mid,
                        pid,
                        name,
                        rx,
                        dose,
                        freq,
                        provider,
                        onset,
                        None,
                        "active",
                        int(rng.integers(0, 4)),
                        None,
                    )
                )
                active_meds.setdefault(pid, []).append(mid)
        if i == DEMO_PATIENT:  # one of each kind a refill request is refused for, and one to ask
            for name, rx, dose, freq, status, refills, controlled in ref.DEMO_MEDICATIONS:
                mid = str(uuid.uuid5(uuid.NAMESPACE_OID, f"demo-medication-{pid}-{rx}"))
                ended = opts.now.date() - timedelta(days=40) if status == "stopped" else None
                meds.append(
                    (
                        mid,
                        pid,
                        name,
                        rx,
                        dose,
                        freq,
                        provider,
                        opts.start.date(),
                        ended,
                        status,
                        refills,
                        controlled,
                    )
                )
                if status == "active":
                    active_meds.setdefault(pid, []).append(mid)
        if rng.random() < 0.3:
            sub, reaction, severity = ref.ALLERGIES[int(rng.integers(0, len(ref.ALLERGIES)))]
            allergies.append((pid, sub, reaction, severity, opts.start))
        for year in range(opts.years):
            if rng.random() < 0.6:
                day = opts.start.date() + timedelta(days=365 * year + int(rng.integers(250, 330)))
                shots.append(
                    (
                        pid,
                        ref.VACCINES[0][0],
                        ref.VACCINES[0][1],
                        day,
                        f"FL{rng.integers(1000, 9999)}",
                    )
                )
        if rng.random() < 0.5:
            vaccine, cvx = ref.VACCINES[int(rng.integers(1, len(ref.VACCINES)))]
            shots.append((pid, vaccine, cvx, _when(rng, opts, 1)[0].date(), None))
        if rng.random() < 0.1:
            modality, study, text = ref.IMAGING[int(rng.integers(0, len(ref.IMAGING)))]
            at = _when(rng, opts, 1)[0]
            imaging.append(
                (
                    pid,
                    modality,
                    study,
                    at,
                    f"FINDINGS: {text}\nIMPRESSION: See findings.",
                    at + timedelta(hours=6),
                )
            )
        visits = int(rng.poisson(2.5 * opts.years)) + (3 if i == DEMO_PATIENT else 0)
        for at in _when(rng, opts, visits):
            kind = rng.choice(["office", "office", "video", "telephone"])
            reason = ref.VISIT_REASONS[int(rng.integers(0, len(ref.VISIT_REASONS)))]
            eid = uuids(rng, 1)[0]
            summary = (
                f"Reason for visit: {reason}.\nSeen by your care team ({kind} visit).\n"
                "Instructions: keep taking your medicines as prescribed; "
                "call us if symptoms get worse."
            )
            encounters.append(
                (eid, pid, provider, site, kind, at, at + timedelta(minutes=30), reason, summary)
            )
            if kind != "telephone":
                body = (
                    f"Subjective: patient seen for {reason.lower()}.\n"
                    "Objective: vitals reviewed.\n"
                    f"Assessment and plan: {', '.join(_conditions(pop, i)) or 'well visit'}; "
                    "continue current plan, follow up as scheduled."
                )
                notes.append(
                    (
                        pid,
                        eid,
                        provider,
                        "progress",
                        f"Progress note: {reason}",
                        body,
                        False,
                        at + timedelta(hours=2),
                        at + timedelta(hours=2),
                    )
                )
    frame = pd.DataFrame
    sink(
        "problems",
        frame(
            problems,
            columns=["patient_id", "code", "description", "onset_date", "status", "recorded_at"],
        ).assign(id=lambda d: uuids(rng, len(d))),
    )
    sink(
        "medications",
        frame(
            meds,
            columns=[
                "id",
                "patient_id",
                "name",
                "rxnorm",
                "dose",
                "frequency",
                "prescriber_id",
                "start_date",
                "end_date",
                "status",
                "refills_remaining",
                "controlled",
            ],
        ),
    )
    sink(
        "allergies",
        frame(
            allergies, columns=["patient_id", "substance", "reaction", "severity", "recorded_at"]
        ).assign(id=lambda d: uuids(rng, len(d))),
    )
    sink(
        "immunizations",
        frame(shots, columns=["patient_id", "vaccine", "cvx", "administered_on", "lot"]).assign(
            id=lambda d: uuids(rng, len(d))
        ),
    )
    sink(
        "imaging_reports",
        frame(
            imaging,
            columns=[
                "patient_id",
                "modality",
                "study",
                "performed_at",
                "report_text",
                "released_at",
            ],
        ).assign(id=lambda d: uuids(rng, len(d))),
    )
    enc = frame(
        encounters,
        columns=[
            "id",
            "patient_id",
            "provider_id",
            "site_id",
            "kind",
            "start_at",
            "end_at",
            "reason",
            "visit_summary",
        ],
    )
    sink("encounters", enc)
    sink(
        "clinical_notes",
        frame(
            notes,
            columns=[
                "patient_id",
                "encounter_id",
                "author_provider_id",
                "note_type",
                "title",
                "body",
                "sensitive",
                "signed_at",
                "released_at",
            ],
        ).assign(id=lambda d: uuids(rng, len(d))),
    )
    _appointments_and_billing(pop, opts, rng, enc, sink)
    return active_meds


# What a visit's statement line says, and its CPT code (95: by video).
LINE_WORDS = {
    "office": ("Office visit, established patient", "99213"),
    "video": ("Video visit, established patient", "99213-95"),
    "lab": ("Blood draw (venipuncture)", "36415"),
}


SELF_BOOKED, CHECKED_IN = 0.45, 0.6  # shares of visits booked and checked in online


def _booked_online(pop: Population, opts: SeedOptions, appts: pd.DataFrame) -> pd.DataFrame:
    """Past visits the patient booked in the portal, and those checked in online, among patients
    whose account was open by then (drawn apart: the rest of the world stays the same)."""
    rng = np.random.default_rng([opts.seed, 14])
    index = pd.Series(np.arange(pop.n), index=pop.ids)
    who = index[appts["patient_id"]].to_numpy()
    opened = pd.Timestamp(opts.start) + pd.to_timedelta(pop.joined[who], unit="D")
    created = pd.to_datetime(appts["created_at"])
    online = pop.activated[who] & (created >= opened).to_numpy()
    booked = online & (rng.random(len(appts)) < SELF_BOOKED)
    checked = online & (rng.random(len(appts)) < CHECKED_IN) & (appts["status"] == "completed")
    appts["booked_by"] = np.where(booked, pop.account_ids[who], None)
    start = pd.to_datetime(appts["start_at"])
    early = pd.to_timedelta(rng.integers(60, 6 * 24 * 60, len(appts)), unit="min")
    appts["checked_in_at"] = (start - early).where(checked.to_numpy(), None)
    return appts


def _appointments_and_billing(
    pop: Population, opts: SeedOptions, rng: np.random.Generator, enc: pd.DataFrame, sink: Sink
) -> None:
    """Past visits as completed appointments with statements; booked future visits and slots."""
    visits = enc[enc["kind"] != "telephone"]
    appts = pd.DataFrame(
        {
            "id": uuids(rng, len(visits)),
            "patient_id": visits["patient_id"].to_numpy(),
            "provider_id": visits["provider_id"].to_numpy(),
            "site_id": visits["site_id"].to_numpy(),
            "slot_id": None,
            "start_at": visits["start_at"].to_numpy(),
            "minutes": 30,
            "visit_type": visits["kind"].to_numpy(),
            "reason": visits["reason"].to_numpy(),
            "status": np.where(rng.random(len(visits)) < 0.05, "no_show", "completed"),
            "created_at": (visits["start_at"] - pd.Timedelta(days=14)).to_numpy(),
            "cancelled_at": None,
        }
    )
    # Open slots for the next 30 working days, half-hourly 9:00-16:00, per provider.
    slots = []
    for p, provider in enumerate(pop.provider_ids):
        for d in range(1, 43):
            day = opts.now + timedelta(days=d)
            if day.weekday() >= 5:
                continue
            for half_hour in range(18, 32):
                slots.append(
                    (
                        provider,
                        pop.site_ids[pop.provider_site[p]],
                        clock.from_local(day + timedelta(minutes=30 * half_hour)),
                    )
                )
    slot_frame = pd.DataFrame(slots, columns=["provider_id", "site_id", "start_at"])
    slot_frame["id"] = uuids(rng, len(slot_frame))
    slot_frame["minutes"] = 30
    slot_frame["visit_type"] = np.where(rng.random(len(slot_frame)) < 0.25, "video", "office")
    slot_frame["booked"] = False
    # About 40% of patients have a booked visit in one of those slots.
    future = np.flatnonzero(rng.random(pop.n) < 0.4)
    future = np.union1d(future, [DEMO_PATIENT])
    booked = []
    for i in future:
        provider = pop.provider_ids[pop.team[i]]
        free = np.flatnonzero(
            (slot_frame["provider_id"].to_numpy() == provider) & ~slot_frame["booked"].to_numpy()
        )
        if len(free) == 0:
            continue
        k = int(free[int(rng.integers(0, min(len(free), 60)))])
        slot_frame.loc[k, "booked"] = True
        row = slot_frame.loc[k]
        booked.append(
            (
                uuids(rng, 1)[0],
                pop.ids[i],
                provider,
                row["site_id"],
                row["id"],
                row["start_at"],
                30,
                row["visit_type"],
                ref.VISIT_REASONS[int(rng.integers(0, len(ref.VISIT_REASONS)))],
                "booked",
                opts.now - timedelta(days=int(rng.integers(1, 30))),
                None,
            )
        )
    sink("appointment_slots", slot_frame)
    # The weekly hours behind those slots, so the schedule job keeps making them (no draws:
    # the rest of the world stays the same).
    weekdays = range(5)
    sink(
        "schedule_templates",
        pd.DataFrame(
            {
                "id": [
                    uuid.uuid5(uuid.NAMESPACE_OID, f"template-{provider}-{day}")
                    for provider in pop.provider_ids
                    for day in weekdays
                ],
                "provider_id": [p for p in pop.provider_ids for _ in weekdays],
                "site_id": [
                    pop.site_ids[pop.provider_site[i]]
                    for i in range(len(pop.provider_ids))
                    for _ in weekdays
                ],
                "weekday": [day for _ in pop.provider_ids for day in weekdays],
                "start_minute": 9 * 60,
                "end_minute": 16 * 60,
                "slot_minutes": 30,
                "slot_kind": "office",
                "active": True,
                "created_by": None,
                "created_at": opts.now,
            }
        ),
    )
    sink(
        "appointments",
        _booked_online(
            pop,
            opts,
            pd.concat([appts, pd.DataFrame(booked, columns=appts.columns)], ignore_index=True),
        ),
    )

    # Statements: one per visit; insurance pays most; patients pay most of the rest.
    charge = np.round(rng.lognormal(np.log(180), 0.5, len(visits))).astype(np.int64) * 100
    insurance = (charge * rng.uniform(0.6, 0.9, len(visits))).astype(np.int64)
    adjustment = (charge * 0.05).astype(np.int64)
    patient = np.maximum(charge - insurance - adjustment, 0)
    service = pd.to_datetime(visits["start_at"]).dt.date.to_numpy()
    statement_date = [d + timedelta(days=21) for d in service]
    due = [d + timedelta(days=30) for d in statement_date]
    recent = np.array([d > opts.now.date() - timedelta(days=75) for d in statement_date])
    paid = rng.random(len(visits)) < np.where(recent, 0.45, 0.96)
    paid_at = [
        datetime.combine(d, datetime.min.time()) + timedelta(days=int(x), hours=int(h))
        for d, x, h in zip(
            statement_date,
            rng.integers(1, 28, len(visits)),
            rng.integers(8, 21, len(visits)),
            strict=True,
        )
    ]
    keep = np.array([d <= opts.now.date() for d in statement_date])
    # Paid only where the payment has happened by now: the ledger and the status agree.
    pay = keep & paid & (patient > 0) & np.array([t <= opts.now for t in paid_at])
    sids = uuids(rng, len(visits))
    statements = pd.DataFrame(
        {
            "id": sids,
            "patient_id": visits["patient_id"].to_numpy(),
            "statement_date": statement_date,
            "due_date": due,
            "amount_cents": patient,
            "status": np.where(pay | (patient == 0), "paid", "open"),
        }
    )
    kept = statements[keep].copy()
    plan_tables, plan_payments = billing_plans.plans(pop, opts, kept)
    sink("statements", kept)
    kind = visits["kind"].to_numpy()
    sink(
        "statement_lines",
        pd.DataFrame(
            {
                "id": uuids(rng, len(visits)),
                "statement_id": sids,
                "service_date": service,
                "description": [LINE_WORDS.get(k, LINE_WORDS["office"])[0] for k in kind],
                "charge_cents": charge,
                "insurance_paid_cents": insurance,
                "adjustment_cents": adjustment,
                "patient_cents": patient,
                "code": [LINE_WORDS.get(k, LINE_WORDS["office"])[1] for k in kind],
            }
        )[keep],
    )
    online = rng.random(len(visits)) < 0.62
    payments = pd.DataFrame(
        {
            "id": uuids(rng, len(visits)),
            "patient_id": visits["patient_id"].to_numpy(),
            "statement_id": sids,
            "amount_cents": patient,
            "method": np.where(online, "card", "ach"),
            "card_last4": np.where(
                online, [f"{x:04d}" for x in rng.integers(0, 10_000, len(visits))], None
            ),
            "processor_ref": [f"pi_{h}" for h in uuids(rng, len(visits))],
            "paid_at": paid_at,
            "status": "succeeded",
            "online": online,
        }
    )[pay]
    if len(plan_payments):
        payments = pd.concat([payments, plan_payments], ignore_index=True)
    sink("payments", payments)
    sink(
        "insurance_coverages",
        pd.DataFrame(
            {
                "id": uuids(rng, pop.n),
                "patient_id": pop.ids,
                "payer": rng.choice(ref.PAYERS, pop.n),
                "member_id": [f"M{x:09d}" for x in rng.integers(0, 10**9, pop.n)],
                "group_number": [f"G{x:05d}" for x in rng.integers(0, 10**5, pop.n)],
                "effective_on": opts.start.date(),
            }
        ),
    )
    for name, frame in plan_tables.items():
        sink(name, frame)


def labs(pop: Population, opts: SeedOptions, rng: np.random.Generator, sink: Sink) -> None:
    """Lab panels with reference ranges and flags; a few recent ones held with a reason."""
    rates = {  # panels per year
        "bmp": np.where(pop.htn | pop.diabetic | pop.hf, 2.0, 0.8),
        "lipid": np.where(pop.hld | pop.diabetic, 1.0, 0.4),
        "a1c": np.where(pop.diabetic, 3.0, 0.25),
        "cbc": np.full(pop.n, 0.7),
        "tsh": np.full(pop.n, 0.2),
    }
    results = []
    components = []
    for panel, rate in rates.items():
        code, name, category, parts = ref.PANELS[panel]
        counts = rng.poisson(rate * opts.years)
        counts[pop.age < 2] = 0
        if panel in ("a1c", "bmp", "lipid"):
            counts[DEMO_PATIENT] = max(counts[DEMO_PATIENT], 2 * opts.years + 2)
        who = np.repeat(np.arange(pop.n), counts)
        m = len(who)
        days = rng.integers(0, 365 * opts.years, m)
        # The demo patient's newest panels are recent, so the home page has new results.
        demo = np.flatnonzero(who == DEMO_PATIENT)
        days[demo[-2:]] = 365 * opts.years - rng.integers(1, 8, len(demo[-2:]))
        collected = np.datetime64(opts.start, "s") + (
            days * 86_400 + rng.integers(7 * 3600, 11 * 3600, m)
        ) * np.timedelta64(1, "s")
        ids = uuids(rng, m)
        resulted = collected + rng.integers(3 * 3600, 30 * 3600, m) * np.timedelta64(1, "s")
        results.append(
            pd.DataFrame(
                {
                    "id": ids,
                    "patient_id": pop.ids[who],
                    "ordering_provider_id": pop.provider_ids[pop.team[who]],
                    "panel_code": code,
                    "panel_name": name,
                    "category": category,
                    "collected_at": collected,
                    "resulted_at": resulted,
                }
            )
        )
        for loinc, cname, unit, low, high, mean, sd in parts:
            shift = np.zeros(m)
            if loinc == "4548-4":
                shift = np.where(pop.diabetic[who], rng.normal(2.1, 0.9, m), 0)
            elif loinc == "2345-7":
                shift = np.where(pop.diabetic[who], rng.normal(55, 30, m), 0)
            elif loinc in ("13457-7", "2093-3"):
                shift = np.where(pop.hld[who], rng.normal(35, 15, m), 0)
            elif loinc == "2160-0":
                shift = np.where(pop.htn[who] & (pop.age[who] > 65), 0.25, 0)
            values = np.maximum(mean + shift + rng.normal(0, sd, m), 0.1)
            decimals = 1 if mean < 20 else 0
            values = np.round(values, decimals + (1 if mean < 2 else 0))
            flag = np.full(m, None, dtype=object)
            if low is not None:
                flag[values < low] = "L"
            if high is not None:
                flag[values > high] = "H"
            components.append(
                pd.DataFrame(
                    {
                        "id": uuids(rng, m),
                        "result_id": ids,
                        "loinc": loinc,
                        "name": cname,
                        "value": values,
                        "value_text": None,
                        "unit": unit,
                        "ref_low": low,
                        "ref_high": high,
                        "flag": flag,
                    }
                )
            )
    res = pd.concat(results, ignore_index=True)
    now = np.datetime64(opts.now, "s")
    res["status"] = np.where(res["resulted_at"] > now, "preliminary", "final")
    res.loc[res["resulted_at"] > now, "resulted_at"] = pd.NaT
    final = res["status"] == "final"
    # Released at once by default; a few recent ones held by a clinician, with reason and end.
    recent = final & (res["collected_at"] > now - np.timedelta64(10, "D"))
    hold = recent & (rng.random(len(res)) < 0.15)
    demo_recent = np.flatnonzero(recent & (res["patient_id"] == pop.ids[DEMO_PATIENT]))
    hold.iloc[demo_recent[:2]] = True
    hold.iloc[demo_recent[2:]] = False
    res["released_at"] = res["resulted_at"].where(final & ~hold)
    res["held_at"] = res["resulted_at"].where(hold)
    res["hold_reason"] = np.where(
        hold, np.where(rng.random(len(res)) < 0.7, "preventing_harm", "patient_request"), None
    )
    res["hold_note"] = np.where(
        hold, "Result to be discussed with the patient by phone before release.", None
    )
    res["hold_until"] = (res["resulted_at"] + pd.Timedelta(days=7)).where(hold)
    # A hold ends by itself: a past end means the result was released then
    # (docs/rules/compliance.md).
    ended = hold & (res["hold_until"] <= pd.Timestamp(opts.now))
    res.loc[ended, "released_at"] = res.loc[ended, "hold_until"]
    res["held_by_provider_id"] = res["ordering_provider_id"].where(hold)
    res["clinician_comment"] = np.where(
        final & (rng.random(len(res)) < 0.3), "Your results look stable. No changes needed.", None
    )
    position = pd.Series(np.arange(pop.n), index=pop.ids)[res["patient_id"]].to_numpy()
    viewed = res["released_at"].notna() & pop.activated[position] & (rng.random(len(res)) < 0.75)
    res["first_viewed_at"] = (
        res["released_at"] + pd.to_timedelta(rng.lognormal(2.5, 1.2, len(res)), unit="h")
    ).where(viewed)
    res.loc[res["first_viewed_at"] > pd.Timestamp(opts.now), "first_viewed_at"] = pd.NaT
    res.loc[res["patient_id"] == pop.ids[DEMO_PATIENT], "first_viewed_at"] = res[
        "first_viewed_at"
    ].where(res["released_at"] < pd.Timestamp(opts.now - timedelta(days=30)))
    sink("lab_results", res)
    sink("lab_components", pd.concat(components, ignore_index=True))


def confidential_teen(
    pop: Population, opts: SeedOptions, rng: np.random.Generator, sink: Sink
) -> None:
    """Emma Larson (15, `teen.demo`, whose parent is `proxy.demo`): a confidential visit with
    its note, a sexually transmitted infection test, a follow-up visit booked and a message
    thread, all hidden from her parent (limited access at 12-17) and shown to her; and ordinary
    entries her parent does see."""
    i = DEMO_TEEN
    pid, provider = pop.ids[i], pop.provider_ids[pop.team[i]]
    site, team = pop.site_ids[pop.site[i]], pop.team_ids[pop.team[i]]
    visit_at = clock.from_local(
        datetime.combine(opts.now.date() - timedelta(days=12), time(15, 30))
    )
    encounter, result, thread = (str(u) for u in uuids(rng, 3))
    sink(
        "encounters",
        pd.DataFrame(
            [
                (
                    encounter,
                    pid,
                    provider,
                    site,
                    "office",
                    visit_at,
                    visit_at + timedelta(minutes=30),
                    "Confidential adolescent visit",
                    "Reason for visit: confidential adolescent visit.\nWe talked privately about "
                    "your questions. Call the clinic or message us if anything changes.",
                )
            ],
            columns=[
                "id",
                "patient_id",
                "provider_id",
                "site_id",
                "kind",
                "start_at",
                "end_at",
                "reason",
                "visit_summary",
            ],
        ),
    )
    sink(
        "clinical_notes",
        pd.DataFrame(
            {
                "id": uuids(rng, 1),
                "patient_id": pid,
                "encounter_id": encounter,
                "author_provider_id": provider,
                "note_type": "progress",
                "title": "Confidential: reproductive health visit",
                "body": "Subjective: 15-year-old seen alone for contraception counselling and "
                "sexual health screening; confidentiality explained.\nPlan: screening test sent; "
                "follow up in 2 weeks.",
                "sensitive": True,
                "signed_at": visit_at + timedelta(hours=2),
                "released_at": visit_at + timedelta(hours=2),
            }
        ),
    )
    resulted = visit_at + timedelta(days=2)
    sink(
        "lab_results",
        pd.DataFrame(
            {
                "id": [result],
                "patient_id": pid,
                "ordering_provider_id": provider,
                "panel_code": "43304-5",
                "panel_name": "Chlamydia trachomatis rRNA, NAA",
                "category": "sensitive",
                "collected_at": visit_at + timedelta(minutes=20),
                "status": "final",
                "resulted_at": resulted,
                "released_at": resulted,
            }
        ),
    )
    sink(
        "lab_components",
        pd.DataFrame(
            {
                "id": uuids(rng, 1),
                "result_id": result,
                "loinc": "43304-5",
                "name": "Chlamydia trachomatis rRNA",
                "value_text": "Not detected",
            }
        ),
    )
    follow_up = clock.from_local(datetime.combine(opts.now.date() + timedelta(days=3), time(16)))
    sink(
        "appointments",
        pd.DataFrame(
            {
                "id": uuids(rng, 2),
                "patient_id": pid,
                "provider_id": provider,
                "site_id": site,
                "slot_id": None,
                "start_at": [follow_up, follow_up + timedelta(days=30)],
                "minutes": 30,
                "visit_type": "office",
                "reason": ["Confidential follow-up", "Sports physical"],
                "status": "booked",
                "created_at": opts.now - timedelta(days=10),
                "sensitive": [True, False],
            }
        ),
    )
    sink(
        "message_threads",
        pd.DataFrame(
            {
                "id": [thread],
                "patient_id": pid,
                "care_team_id": team,
                "subject": "Your test result",
                "status": "open",
                "created_at": resulted,
                "sensitive": True,
            }
        ),
    )
    sink(
        "messages",
        pd.DataFrame(
            {
                "id": uuids(rng, 1),
                "thread_id": thread,
                "sender_user_id": None,
                "from_patient_side": False,
                "body": "Hi Emma, your test came back negative. See you at your follow-up.",
                "sent_at": resulted + timedelta(hours=1),
                "read_at": None,
            }
        ),
    )
    # The confidential visit's bill: a statement her parent does not see.
    statement = str(uuids(rng, 1)[0])
    billed_on = visit_at.date() + timedelta(days=5)
    sink(
        "statements",
        pd.DataFrame(
            {
                "id": [statement],
                "patient_id": pid,
                "statement_date": billed_on,
                "due_date": billed_on + timedelta(days=30),
                "amount_cents": 2500,
                "status": "open",
            }
        ),
    )
    sink(
        "statement_lines",
        pd.DataFrame(
            {
                "id": uuids(rng, 1),
                "statement_id": statement,
                "service_date": visit_at.date(),
                "description": "Office visit, confidential",
                "charge_cents": 16000,
                "insurance_paid_cents": 13500,
                "adjustment_cents": 0,
                "patient_cents": 2500,
                "sensitive": True,
                "code": "99213",
            }
        ),
    )
