"""Accounts (demo ones included), proxies, HIM requests, messages, refills, alerts."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from argon2 import PasswordHasher
from argon2.low_level import Type, hash_secret

from seed import reference as ref
from seed.demo import DEMO_PASSWORD, totp_secret
from seed.population import (
    DEMO_CHILD,
    DEMO_PARENT,
    DEMO_PATIENT,
    DEMO_TEEN,
    Population,
    SeedOptions,
    uuids,
)
from seed.records import Sink
from services.core import crypto
from services.him import deadlines
from services.identity import auth
from services.records.extent import Extent

FULL_SCOPES = "results,records,metrics,appointments,messages,refills,billing,documents"
# (username, display name, role) of the staff demo accounts; patient.demo and proxy.demo follow.
DEMO_STAFF = (
    ("clinician.demo", "Jordan Patel, MD", "clinician"),
    ("him.demo", "Casey Morgan (HIM)", "him"),
    ("billing.demo", "Riley Chen (Billing)", "billing"),
    ("manager.demo", "Sam Okafor (Portal manager)", "manager"),
    ("admin.demo", "Taylor Brooks (Admin)", "admin"),
)


def demo_hash(rng: np.random.Generator) -> str:
    """An argon2id hash of the demo password, its salt drawn from the seed (deterministic)."""
    params = PasswordHasher()
    return hash_secret(
        DEMO_PASSWORD.encode(),
        rng.bytes(16),
        time_cost=params.time_cost,
        memory_cost=params.memory_cost,
        parallelism=params.parallelism,
        hash_len=params.hash_len,
        type=Type.ID,
    ).decode()


def accounts(
    pop: Population,
    opts: SeedOptions,
    rng: np.random.Generator,
    provider_users: pd.DataFrame,
    sink: Sink,
) -> dict[str, str]:
    """All user accounts and roles; returns the demo usernames' ids."""
    password = demo_hash(rng)
    created = opts.start
    patients = np.flatnonzero(pop.activated)
    users = pd.DataFrame(
        {
            "id": pop.account_ids[patients],
            "username": [f"patient{i:06d}" for i in patients],
            "display_name": [pop.name(i) for i in patients],
            "email": [
                f"{pop.first[i].lower()}.{pop.last[i].lower()}{i}@example.org" for i in patients
            ],
            "patient_id": pop.ids[patients],
            "role": "patient",
        }
    )
    users.loc[users["patient_id"] == pop.ids[DEMO_PATIENT], "username"] = "patient.demo"
    users.loc[users["patient_id"] == pop.ids[DEMO_TEEN], "username"] = "teen.demo"
    providers = provider_users.assign(patient_id=None, role="clinician")
    providers.loc[0, "username"] = "clinician.demo"
    providers["email"] = providers["username"] + "@lakeside.example"
    staff_ids = uuids(rng, len(DEMO_STAFF) + 1)
    staff = pd.DataFrame(
        [
            (staff_ids[k], u, d, f"{u}@lakeside.example", None, r)
            for k, (u, d, r) in enumerate(DEMO_STAFF[1:])
        ]
        + [(staff_ids[-1], "proxy.demo", "Dana Larson", "dana.larson@example.org", None, "proxy")],
        columns=users.columns,
    )
    # Other caregivers: about 3% of patients have a proxy with an account of their own.
    cared_for = np.setdiff1d(
        np.flatnonzero(rng.random(pop.n) < 0.03), [DEMO_PATIENT, DEMO_CHILD, DEMO_PARENT, DEMO_TEEN]
    )
    caregiver_ids = uuids(rng, len(cared_for))
    caregivers = pd.DataFrame(
        {
            "id": caregiver_ids,
            "username": [f"caregiver{i:06d}" for i in cared_for],
            "display_name": [f"{rng.choice(ref.FIRST_NAMES_F)} {pop.last[i]}" for i in cared_for],
            "email": None,
            "patient_id": None,
            "role": "proxy",
        }
    )
    everyone = pd.concat([users, providers, staff, caregivers], ignore_index=True)
    demo = everyone["username"].str.endswith(".demo")
    everyone["password_hash"] = np.where(demo, password, auth.NO_PASSWORD)
    everyone["phone"] = None
    everyone["status"] = "active"
    everyone["failed_attempts"] = 0
    everyone["locked_until"] = None
    everyone["terms_version"] = np.where(everyone["role"] == "patient", "2026-01", None)
    # Patients' accounts open over the years (pop.joined); everyone else's at the start.
    opened = pd.Series(created, index=everyone.index, dtype="datetime64[us]")
    is_patient = (everyone["role"] == "patient").to_numpy()
    opened[is_patient] = np.datetime64(created, "us") + (pop.joined[patients] * 86_400e6).astype(
        "timedelta64[us]"
    )
    everyone["terms_accepted_at"] = opened.where(is_patient, None)
    everyone["created_at"] = opened
    everyone["last_sign_in_at"] = None
    # The activation funnel: the emailed code a few minutes after registering, a first sign-in.
    everyone["email_verified_at"] = (opened + pd.Timedelta(minutes=4)).where(is_patient, None)
    everyone["first_sign_in_at"] = (opened + pd.Timedelta(minutes=6)).where(is_patient, None)
    # Staff always use a second factor: the demo staff come enrolled (keys in seed.demo).
    staff_demo = demo & (everyone["role"] != "patient") & (everyone["role"] != "proxy")
    everyone["totp_secret_encrypted"] = [
        crypto.encrypt(totp_secret(u, opts.seed).encode()) if s else None
        for u, s in zip(everyone["username"], staff_demo, strict=True)
    ]
    everyone["totp_enabled_at"] = np.where(staff_demo, created, None)
    _patients_second_factor(everyone, is_patient & ~demo.to_numpy(), opts)
    everyone["totp_last_step"] = None
    sink("users", everyone.drop(columns=["role"]))
    sink("user_roles", everyone[["id", "role"]].rename(columns={"id": "user_id"}))
    sink("activation_codes", _activation_codes(pop, opts, opened[is_patient].to_numpy()))

    proxy_demo = staff_ids[-1]
    grants = [
        (proxy_demo, DEMO_CHILD, "parent", FULL_SCOPES, "parent_of_minor", None),
        (proxy_demo, DEMO_TEEN, "parent", FULL_SCOPES, "parent_of_minor", None),
        (
            proxy_demo,
            DEMO_PARENT,
            "child",
            "results,records,metrics,appointments,messages,refills",
            "patient_consent",
            opts.now + timedelta(days=540),
        ),
    ] + [
        (
            caregiver_ids[k],
            i,
            "parent" if pop.age[i] < 18 else "spouse",
            FULL_SCOPES,
            "parent_of_minor" if pop.age[i] < 18 else "patient_consent",
            None if pop.age[i] < 18 else opts.now + timedelta(days=int(rng.integers(30, 540))),
        )
        for k, i in enumerate(cared_for)
    ]
    sink(
        "proxy_grants",
        pd.DataFrame(
            {
                "id": uuids(rng, len(grants)),
                "patient_id": [pop.ids[g[1]] for g in grants],
                "proxy_user_id": [g[0] for g in grants],
                "relationship": [g[2] for g in grants],
                "scopes": [g[3] for g in grants],
                "basis": [g[4] for g in grants],
                "granted_at": opts.now - timedelta(days=200),
                "expires_at": [g[5] for g in grants],
                "revoked_at": None,
            }
        ),
    )
    ids = dict(zip(everyone.loc[demo, "username"], everyone.loc[demo, "id"], strict=True))
    return ids


def _patients_second_factor(
    everyone: pd.DataFrame, patients: np.ndarray, opts: SeedOptions
) -> None:
    """About one patient in eight turned on a second step, some weeks after registering."""
    rng = np.random.default_rng([opts.seed, 1603])  # its own stream: the rest stays the same
    chosen = patients & (rng.random(len(everyone)) < 0.125)
    later = pd.to_timedelta(rng.integers(1, 90, len(everyone)), unit="D")
    everyone.loc[chosen, "totp_enabled_at"] = (everyone["created_at"] + later)[chosen]
    everyone.loc[chosen, "totp_secret_encrypted"] = [
        crypto.encrypt(rng.bytes(20).hex().encode()) for _ in range(int(chosen.sum()))
    ]


def _activation_codes(pop: Population, opts: SeedOptions, opened: np.ndarray) -> pd.DataFrame:
    """The codes staff issued: used by each account's registration, and for some adults who
    have not registered yet, unused (the earlier ones expired). Never valid codes: random hashes."""
    rng = np.random.default_rng([opts.seed, 1604])
    registered = np.flatnonzero(pop.activated)
    waiting = np.flatnonzero(~pop.activated & (pop.age >= 18) & (rng.random(pop.n) < 0.2))
    issued = np.concatenate(
        [
            opened - pd.to_timedelta(rng.integers(1, 20, len(registered)), unit="D").to_numpy(),
            np.datetime64(opts.now, "us")
            - pd.to_timedelta(rng.integers(1, 365 * opts.years, len(waiting)), unit="D").to_numpy(),
        ]
    )
    who = np.concatenate([registered, waiting])
    return pd.DataFrame(
        {
            "id": uuids(rng, len(who)),
            "patient_id": pop.ids[who],
            "code_hash": [rng.bytes(32).hex() for _ in range(len(who))],
            "issued_by": None,
            "created_at": issued,
            "expires_at": issued + np.timedelta64(30, "D"),
            "used_at": np.concatenate([opened, np.full(len(waiting), np.datetime64("NaT"))]),
        }
    )


def him_requests(
    pop: Population, opts: SeedOptions, rng: np.random.Generator, demo: dict[str, str], sink: Sink
) -> None:
    """Proxy reviews, records requests on their legal clocks, and the disclosures on record."""
    n = max(40, pop.n // 25)
    who = rng.integers(0, pop.n, n)
    kind = rng.choice(["access", "roi", "accounting"], n, p=[0.55, 0.35, 0.10])
    # A third arrived in the last month and is mostly still open (a few past their day).
    recent = rng.random(n) < 0.35
    ago = np.where(recent, rng.uniform(0, 33, n), rng.uniform(35, 400, n))
    received = [opts.now - timedelta(days=float(d)) for d in ago]
    due = [deadlines.due_at(k, r) for k, r in zip(kind, received, strict=True)]
    open_ = recent & (rng.random(n) < 0.85)
    status = np.where(
        open_,
        rng.choice(["received", "in_review", "in_progress"], n),
        rng.choice(["fulfilled", "denied", "withdrawn"], n, p=[0.9, 0.04, 0.06]),
    )
    completed = [
        None if o else r + timedelta(days=float(rng.uniform(2, 25)))
        for o, r in zip(open_, received, strict=True)
    ]
    parts = rng.choice(["all", "results,visits", "imaging", "notes,visits", "billing"], n)
    parts = np.where(kind == "accounting", None, parts)
    by_email = rng.random(n) < 0.6
    delivery = np.where(
        kind == "roi",
        np.where(by_email, "link", "mail"),
        np.where(kind == "access", rng.choice(["portal", "cd_mail", "paper"], n), "portal"),
    )
    done = status == "fulfilled"
    rids = uuids(rng, n)
    sink(
        "records_requests",
        pd.DataFrame(
            {
                "id": rids,
                "patient_id": pop.ids[who],
                "kind": kind,
                "requested_by": None,  # on paper, entered by staff
                "recipient": np.where(kind == "roi", RELEASE_TO[0], None),
                "details": [
                    "Accounting of disclosures, six years before the request"
                    if k == "accounting"
                    else f"{Extent(frozenset(p.split(','))).words()}; "
                    + ("for continuity of care" if k == "roi" else "paper request")
                    for k, p in zip(kind, parts, strict=True)
                ],
                "received_at": received,
                "due_at": due,
                "extended_due_at": None,
                "extension_reason": None,
                "status": status,
                "completed_at": np.where(status == "withdrawn", None, completed),
                "handled_by": np.where(open_, None, demo["him.demo"]),
                "parts": parts,
                "date_from": None,
                "date_to": None,
                "delivery": delivery,
                "limited": False,
                "fee_cents": 0,
                "assigned_to": np.where(status == "in_progress", demo["him.demo"], None),
                "updated_at": received,
                "denial_ground": np.where(status == "denied", "not_held", None),
                "denial_note": None,
                # Packages of fulfilled seeded requests went out by mail (none is kept here).
                "delivered_by": np.where(
                    done, np.where(kind == "accounting", "portal", "mail"), None
                ),
                "package_name": None,
                "package_sha256": None,
                "package_bytes": None,
            }
        ),
    )
    roi = kind == "roi"
    sink(
        "release_authorizations",
        pd.DataFrame(
            {
                "request_id": rids[roi],
                "recipient_name": RELEASE_TO[0],
                "recipient_address": np.where(by_email[roi], RELEASE_TO[1], RELEASE_TO[2]),
                "purpose": "Continuity of care",
                "parts": parts[roi],
                "ends_on": [
                    (r + timedelta(days=365)).date()
                    for r, k in zip(received, roi, strict=True)
                    if k
                ],
                "end_event": None,
                "signature": [f"{pop.first[i]} {pop.last[i]}" for i in who[roi]],
                "signed_on": [r.date() for r, k in zip(received, roi, strict=True) if k],
                "signed_by": None,
                "signer_relationship": "self",
                "revoked_at": None,
                "revoked_by": None,
            }
        ),
    )
    released = done & roi
    disclosures = pd.DataFrame(
        {
            "id": uuids(rng, int(released.sum())),
            "patient_id": pop.ids[who[released]],
            "disclosed_at": [c for c, r in zip(completed, released, strict=True) if r],
            "recipient": f"{RELEASE_TO[0]}, {RELEASE_TO[2]}",
            "description": [d for d, r in zip(parts, released, strict=True) if r],
            "purpose": "Continuity of care",
            "request_id": rids[released],
            "basis": "authorization",
        }
    )
    sink("disclosures", pd.concat([disclosures, _demo_disclosures(pop, opts, rng)]))
    _amendments_and_updates(pop, opts, rng, demo, sink)


AMENDMENT_ASKS = (
    ("My middle name is spelled wrong.", "It is on my passport as written."),
    ("My phone number is out of date.", "I changed carriers last year."),
    ("My preferred name is missing.", "I go by my middle name."),
)


def _amendments_and_updates(
    pop: Population, opts: SeedOptions, rng: np.random.Generator, demo: dict[str, str], sink: Sink
) -> None:
    """A few open amendment requests (about personal details; some routed to the demo
    clinician) and a death reported by phone, waiting for HIM."""
    n = max(3, pop.n // 150)
    who = rng.choice(np.arange(DEMO_TEEN + 1, pop.n), n + 1, replace=False)
    received = [opts.now - timedelta(days=float(d)) for d in rng.uniform(1, 50, n + 1)]
    ids = uuids(rng, n + 1)
    asks = [AMENDMENT_ASKS[i % len(AMENDMENT_ASKS)] for i in range(n)]
    kinds = ["amendment"] * n + ["update"]
    sink(
        "records_requests",
        pd.DataFrame(
            {
                "id": ids,
                "patient_id": pop.ids[who],
                "kind": kinds,
                "requested_by": None,
                "recipient": None,
                "details": [f"Amend Personal details: {a[0]}" for a in asks]
                + ["Deceased notification"],
                "received_at": received,
                "due_at": [deadlines.due_at(k, r) for k, r in zip(kinds, received, strict=True)],
                "status": ["in_review" if i % 2 else "received" for i in range(n)] + ["received"],
                "limited": False,
                "fee_cents": 0,
                "updated_at": received,
            }
        ),
    )
    sink(
        "amendments",
        pd.DataFrame(
            {
                "request_id": ids[:n],
                "patient_id": pop.ids[who[:n]],
                "item_kind": "demographics",
                "item_id": pop.ids[who[:n]],
                "item_label": "Personal details",
                "change": [a[0] for a in asks],
                "reason": [a[1] for a in asks],
                "routed_to": [demo["clinician.demo"] if i % 2 else None for i in range(n)],
            }
        ),
    )
    last = who[n]
    sink(
        "record_updates",
        pd.DataFrame(
            {
                "request_id": ids[n:],
                "kind": "deceased",
                "first_name": pop.first[last],
                "last_name": pop.last[last],
                "birth_date": pop.birth[last].astype("datetime64[D]").astype(object),
                "mrn": pop.mrn[last],
                "died_on": (opts.now - timedelta(days=3)).date(),
                "reporter_name": "Pat Morgan",
                "reporter_relationship": "spouse",
                "reporter_phone": "+15075550177",
            },
            index=[0],
        ),
    )
    # Caregivers' requests waiting for HIM: adults represented by a guardian or an agent.
    pending = max(3, pop.n // 800)
    who = rng.integers(DEMO_TEEN + 1, pop.n, pending)
    who = who[pop.age[who] >= 18]
    received = [opts.now - timedelta(days=float(d)) for d in rng.uniform(0, 20, len(who))]
    sink(
        "proxy_requests",
        pd.DataFrame(
            {
                "id": uuids(rng, len(who)),
                "requester_user_id": demo["proxy.demo"],
                "patient_id": None,
                "relationship": rng.choice(
                    ["guardian", "power_of_attorney", "health_care_poa"], len(who)
                ),
                "document_id": None,
                "status": "received",
                "received_at": received,
                "decided_by": None,
                "decided_at": None,
                "decision_note": None,
                "kind": "adult_legal",
                "patient_first_name": pop.first[who],
                "patient_last_name": pop.last[who],
                "patient_birth_date": pop.birth[who].astype("datetime64[D]").astype(object),
                "patient_mrn": pop.mrn[who],
                "requester_note": "I handle this person's affairs; I can send the signed papers.",
                "updated_at": received,
            }
        ),
    )


RELEASE_TO = (
    "Northside Orthopedics",
    "records@northside-ortho.example",
    "Northside Orthopedics, 400 Lake St, Suite 2, Rochester, MN 55901",
)
# Alex Rivera's disclosures over eight years, of every kind the accounting lists or leaves out:
# (years ago, recipient, what, purpose, basis).
DEMO_DISCLOSURES = (
    (
        0.3,
        "State Department of Health",
        "Reportable condition report",
        "Public health",
        "public_health",
    ),
    (1.2, "Hennepin County District Court", "Visit records, 2024", "Subpoena", "judicial"),
    (
        2.5,
        "State Board of Medical Practice",
        "Visit note, May 2023",
        "Licensure review",
        "health_oversight",
    ),
    (3.1, "Blue Lake Health Plan", "Claims detail", "Payment of a claim", "payment"),
    (4.0, "Lakeside Cardiology", "Records for a referral", "Treatment", "treatment"),
    (5.5, "Quality Improvement Office", "Chart review", "Health care operations", "operations"),
    (6.5, "State Cancer Registry", "Screening result", "Public health", "public_health"),
    (7.5, "County Sheriff", "Visit date", "Law enforcement request", "law_enforcement"),
)


def _demo_disclosures(pop: Population, opts: SeedOptions, rng: np.random.Generator) -> pd.DataFrame:
    rows = DEMO_DISCLOSURES
    return pd.DataFrame(
        {
            "id": uuids(rng, len(rows)),
            "patient_id": pop.ids[DEMO_PATIENT],
            "disclosed_at": [opts.now - timedelta(days=365.25 * r[0]) for r in rows],
            "recipient": [r[1] for r in rows],
            "description": [r[2] for r in rows],
            "purpose": [r[3] for r in rows],
            "request_id": None,
            "basis": [r[4] for r in rows],
        }
    )


REFILL_DENIAL = "This medicine needs a review at a visit before it is refilled again."


def messages_and_refills(
    pop: Population,
    opts: SeedOptions,
    rng: np.random.Generator,
    active_meds: dict[str, list[str]],
    sink: Sink,
) -> None:
    threads, messages, refills = [], [], []
    for i in np.flatnonzero(pop.activated):
        pid, team = pop.ids[i], pop.team_ids[pop.team[i]]
        user = pop.account_ids[i]
        count = int(rng.poisson(1.2 * opts.years * min(pop.activity[i], 3))) + (
            2 if i == DEMO_PATIENT else 0
        )
        for k in range(count):
            started = opts.now - timedelta(days=float(rng.uniform(0, 365 * opts.years)))
            if i == DEMO_PATIENT and k < 2:
                started = opts.now - timedelta(days=2 + k)
            tid = uuids(rng, 1)[0]
            replies = int(rng.integers(1, 5))
            recent = started > opts.now - timedelta(days=7)
            subject, category = ref.MESSAGE_TOPICS[int(rng.integers(0, len(ref.MESSAGE_TOPICS)))]
            name = f"{pop.first[i]} {pop.last[i]}"
            at = started
            for r in range(replies):
                patient_side = r % 2 == 0
                at = at + timedelta(hours=float(rng.uniform(1, 30)))
                last = r == replies - 1
                unread = recent and last and (i == DEMO_PATIENT or rng.random() < 0.5)
                body = (
                    "Hello, I have a question about my care. Could you advise?"
                    if patient_side
                    else "Thank you for your message. Your care team has reviewed it."
                )
                messages.append(
                    (
                        tid,
                        user if patient_side else None,
                        patient_side,
                        body,
                        min(at, opts.now),
                        None if unread else min(at, opts.now),
                        name if patient_side else None,
                    )
                )
            # An open thread whose last word is the patient's waits for an answer since then.
            asked = at if replies % 2 == 1 else None
            threads.append(
                (
                    tid,
                    pid,
                    team,
                    subject,
                    "open" if recent else "closed",
                    started,
                    category,
                    "care",
                    f"care:{team}",
                    min(asked, opts.now) if recent and asked else None,
                    min(at, opts.now),
                )
            )
        for med in active_meds.get(pid, []):
            for _ in range(int(rng.poisson(0.8 * opts.years))):
                at = opts.now - timedelta(days=float(rng.uniform(0, 365 * opts.years)))
                pending = at > opts.now - timedelta(days=4)
                store = int(rng.integers(0, len(ref.PHARMACIES)))
                status = "requested" if pending else ("sent" if rng.random() < 0.92 else "denied")
                decided = None if pending else at + timedelta(hours=20)
                refills.append(
                    (
                        pid,
                        med,
                        user,
                        ref.PHARMACIES[store],
                        ref.pharmacy_id(ref.PHARMACY_DIRECTORY[store][3]),
                        status,
                        at,
                        decided,
                        decided if status == "sent" else None,
                        30 if status == "sent" else None,
                        REFILL_DENIAL if status == "denied" else None,
                    )
                )
    sink(
        "message_threads",
        pd.DataFrame(
            threads,
            columns=[
                "id",
                "patient_id",
                "care_team_id",
                "subject",
                "status",
                "created_at",
                "category",
                "recipient",
                "pool",
                "waiting_since",
                "updated_at",
            ],
        ),
    )
    frame = pd.DataFrame(
        messages,
        columns=[
            "thread_id",
            "sender_user_id",
            "from_patient_side",
            "body",
            "sent_at",
            "read_at",
            "signature",
        ],
    )
    sink("messages", frame.assign(id=uuids(rng, len(frame))))
    frame = pd.DataFrame(
        refills,
        columns=[
            "patient_id",
            "medication_id",
            "requested_by",
            "pharmacy",
            "pharmacy_id",
            "status",
            "requested_at",
            "decided_at",
            "sent_at",
            "quantity",
            "decision_note",
        ],
    )
    sink(
        "refill_requests",
        frame.assign(
            id=uuids(rng, len(frame)),
            decided_by=None,
            refills=0,
            quantity=frame["quantity"].astype("Int64"),
        ),
    )


def alerts(pop: Population, opts: SeedOptions, rng: np.random.Generator, sink: Sink) -> None:
    """Recent readings past the alert policy, as the care team's queue would hold them."""
    rows = []
    now: datetime = opts.now
    for i in np.flatnonzero(pop.htn | pop.cgm | pop.hf):
        if i != DEMO_PATIENT and rng.random() > 0.04:
            continue
        metric, rule, value = [
            (
                "blood_pressure",
                "bp_crisis",
                f"{int(rng.integers(181, 200))}/{int(rng.integers(100, 125))} mmHg",
            ),
            ("glucose", "glucose_low", f"{int(rng.integers(45, 54))} mg/dL"),
            ("weight", "weight_gain_week", "+2.4 kg in 3 days"),
        ][0 if pop.htn[i] else (1 if pop.cgm[i] else 2)]
        at = now - timedelta(hours=float(rng.uniform(2, 120)))
        rows.append((pop.ids[i], metric, rule, at, value, at + timedelta(minutes=5)))
    frame = pd.DataFrame(
        rows, columns=["patient_id", "metric", "rule", "measured_at", "value_text", "created_at"]
    )
    sink(
        "metric_alerts",
        frame.assign(
            id=uuids(rng, len(frame)), acknowledged_by=None, acknowledged_at=None, note=None
        ),
    )
