"""Who the synthetic patients are: demographics, conditions, care teams and accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np

from seed import reference as ref


@dataclass(frozen=True)
class SeedOptions:
    patients: int
    years: int
    cgm_share: float
    seed: int
    as_of: date
    events: int | None = None  # portal usage events (None: the demo's volume)

    @property
    def now(self) -> datetime:
        """The moment the synthetic history ends."""
        return datetime.combine(self.as_of, time(0))

    @property
    def start(self) -> datetime:
        return self.now - timedelta(days=365 * self.years)


# Fixed places of the demo people in the population (see seed.demo).
DEMO_PATIENT, DEMO_CHILD, DEMO_PARENT, DEMO_TEEN = 0, 1, 2, 3
REGISTRATION_DEMO_BIRTH = "1945-03-14"


def uuids(rng: np.random.Generator, n: int) -> np.ndarray:
    """n random (version 4) UUID strings drawn from the seeded generator."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexes = [row.tobytes().hex() for row in raw]
    return np.array(
        [f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}" for h in hexes], dtype=object
    )


@dataclass
class Population:
    """Per-patient arrays (index i is one patient) plus the organisation around them."""

    ids: np.ndarray
    mrn: np.ndarray
    first: np.ndarray
    last: np.ndarray
    birth: np.ndarray  # datetime64[D]
    age: np.ndarray
    female: np.ndarray
    site: np.ndarray
    team: np.ndarray
    height_cm: np.ndarray
    htn: np.ndarray
    htn_treated: np.ndarray
    dm1: np.ndarray
    dm2: np.ndarray
    cgm: np.ndarray
    hf: np.ndarray
    hld: np.ndarray
    asthma: np.ndarray
    activated: np.ndarray
    account_ids: np.ndarray  # the id each patient's account has once activated
    activity: np.ndarray  # relative portal activity (heavy-tailed)
    joined: np.ndarray  # days after the history begins that each account opened
    site_ids: np.ndarray
    provider_ids: np.ndarray
    provider_user_ids: np.ndarray
    provider_site: np.ndarray
    team_ids: np.ndarray

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def user_ids(self) -> np.ndarray:
        """The patient's account id, or "" where no account was activated."""
        return np.where(self.activated, self.account_ids, "")

    @property
    def diabetic(self) -> np.ndarray:
        return self.dm1 | self.dm2

    def name(self, i: int) -> str:
        return f"{self.first[i]} {self.last[i]}"


def build(opts: SeedOptions, rng: np.random.Generator) -> Population:
    n = opts.patients
    ids = uuids(rng, n)
    female = rng.random(n) < 0.52
    first = np.where(
        female, rng.choice(ref.FIRST_NAMES_F, n), rng.choice(ref.FIRST_NAMES_M, n)
    ).astype(object)
    last = rng.choice(ref.LAST_NAMES, n).astype(object)
    child = rng.random(n) < 0.18
    age = np.where(child, rng.integers(0, 18, n), np.clip(rng.normal(52, 18, n), 18, 97)).astype(
        int
    )
    day_of_year = rng.integers(0, 365, n)
    as_of = np.datetime64(opts.as_of, "D")
    birth = as_of - (age * 365.25).astype("timedelta64[D]") - day_of_year.astype("timedelta64[D]")
    adult = age >= 18
    old = np.clip((age - 30) / 50, 0, 1)
    htn = adult & (rng.random(n) < 0.08 + 0.5 * old)
    htn_treated = htn & (rng.random(n) < 0.6)
    dm1 = rng.random(n) < 0.006
    dm2 = adult & ~dm1 & (rng.random(n) < 0.04 + 0.18 * old)
    hf = adult & (age > 50) & (rng.random(n) < 0.05)
    hld = adult & (rng.random(n) < 0.1 + 0.3 * old)
    asthma = rng.random(n) < 0.08
    # CGM wearers: type 1 first, then type 2, until the share is reached.
    want = int(round(opts.cgm_share * n))
    order = np.concatenate(
        [
            np.flatnonzero(dm1),
            rng.permutation(np.flatnonzero(dm2)),
            rng.permutation(np.flatnonzero(~(dm1 | dm2))),
        ]
    )
    cgm = np.zeros(n, dtype=bool)
    cgm[order[:want]] = True
    dm2 |= cgm & ~dm1  # a CGM wearer without diabetes on file would be odd
    base_height = np.where(female, 162.0, 176.0)
    growth = np.clip(age / 18, 0.3, 1.0)
    height_cm = np.round(base_height * growth + rng.normal(0, 7, n), 1)
    activated = rng.random(n) < np.where(adult, 0.68, 0.0)

    n_sites = len(ref.SITES)
    n_providers = max(n_sites, n // 250)
    provider_site = np.arange(n_providers) % n_sites
    site = rng.integers(0, n_sites, n)
    # Each care team is led by one provider at one site; patients join a team at their site.
    team = np.empty(n, dtype=int)
    for s in range(n_sites):
        teams_here = np.flatnonzero(provider_site == s)
        members = np.flatnonzero(site == s)
        team[members] = rng.choice(teams_here, len(members))

    pop = Population(
        ids=ids,
        mrn=np.array([f"{7_000_000 + i:08d}" for i in range(n)], dtype=object),
        first=first,
        last=last,
        birth=birth,
        age=age,
        female=female,
        site=site,
        team=team,
        height_cm=height_cm,
        htn=htn,
        htn_treated=htn_treated,
        dm1=dm1,
        dm2=dm2,
        cgm=cgm,
        hf=hf,
        hld=hld,
        asthma=asthma,
        activated=activated,
        account_ids=uuids(rng, n),
        activity=rng.lognormal(0.0, 1.1, n),
        joined=_joined(opts, n),
        site_ids=uuids(rng, n_sites),
        provider_ids=uuids(rng, n_providers),
        provider_user_ids=uuids(rng, n_providers),
        provider_site=provider_site,
        team_ids=uuids(rng, n_providers),
    )
    _shape_demo_people(pop, opts)
    return pop


def _joined(opts: SeedOptions, n: int) -> np.ndarray:
    """Accounts open over the years, a few more each year than the last (its own random stream,
    so the rest of the population is the same as before it existed)."""
    u = np.random.default_rng([opts.seed, 1601]).random(n)
    return 365.0 * opts.years * u**0.8


def _shape_demo_people(pop: Population, opts: SeedOptions) -> None:
    """The demo patient (CGM, hypertension), a 9-year-old child, an 81-year-old parent and a
    15-year-old with her own account (confidential teen information; see records)."""
    as_of = np.datetime64(opts.as_of, "D")
    people = {
        DEMO_PATIENT: ("Alex", "Rivera", 58, False),
        DEMO_CHILD: ("Mia", "Larson", 9, True),
        DEMO_PARENT: ("Ruth", "Larson", 81, True),
        DEMO_TEEN: ("Emma", "Larson", 15, True),
    }
    for i, (first, last, age, female) in people.items():
        pop.first[i], pop.last[i], pop.age[i], pop.female[i] = first, last, age, female
        pop.birth[i] = as_of - np.timedelta64(int(age * 365.25) + 40, "D")
        pop.team[i] = 0
        pop.site[i] = pop.provider_site[0]
    # Ruth has no account of her own: a fixed birth date lets anyone try registering as her.
    pop.birth[DEMO_PARENT] = np.datetime64(REGISTRATION_DEMO_BIRTH, "D")
    pop.height_cm[DEMO_PATIENT] = 175.0
    pop.height_cm[DEMO_CHILD] = 133.0
    pop.htn[DEMO_PATIENT] = pop.htn_treated[DEMO_PATIENT] = True
    pop.dm2[DEMO_PATIENT] = pop.cgm[DEMO_PATIENT] = True
    pop.dm1[DEMO_PATIENT] = False
    pop.hld[DEMO_PATIENT] = True
    pop.hf[DEMO_PATIENT] = False
    pop.htn[DEMO_PARENT] = pop.hf[DEMO_PARENT] = True
    pop.cgm[DEMO_CHILD] = pop.cgm[DEMO_PARENT] = pop.cgm[DEMO_TEEN] = False
    for young in (DEMO_CHILD, DEMO_TEEN):
        pop.dm1[young] = pop.dm2[young] = pop.htn[young] = pop.hf[young] = False
        pop.hld[young] = False
    pop.activated[DEMO_PATIENT] = pop.activated[DEMO_TEEN] = True
    pop.activated[DEMO_CHILD] = pop.activated[DEMO_PARENT] = False
    pop.activity[DEMO_PATIENT] = 4.0
    pop.joined[DEMO_PATIENT] = pop.joined[DEMO_TEEN] = 0.0
