"""The questionnaires a visit may ask for before check-in, scored by their published rules.

PHQ-9 (Kroenke, Spitzer & Williams, J Gen Intern Med 2001;16:606-613) and GAD-7 (Spitzer et al.,
Arch Intern Med 2006;166:1092-1097), both developed with an educational grant from Pfizer and free
to reproduce: each item 0 ("not at all") to 3 ("nearly every day") over the last two weeks; the
score is the sum; severity bands as published. PHQ-9 item 9 (thoughts that you would be better
off dead or of hurting yourself) answered above 0 is flagged to the clinician at once, whatever
the total."""

from __future__ import annotations

from dataclasses import dataclass

from services.core.language import N_

ANSWERS = (
    N_("Not at all"),
    N_("Several days"),
    N_("More than half the days"),
    N_("Nearly every day"),
)
STEM = N_(
    "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
)


@dataclass(frozen=True)
class Instrument:
    code: str
    name: str
    items: tuple[str, ...]
    # (lowest score of the band, its name), rising; the name is kept as written and shown
    # translated.
    bands: tuple[tuple[int, str], ...]


PHQ9 = Instrument(
    "phq9",
    N_("PHQ-9 (depression)"),
    (
        N_("Little interest or pleasure in doing things"),
        N_("Feeling down, depressed, or hopeless"),
        N_("Trouble falling or staying asleep, or sleeping too much"),
        N_("Feeling tired or having little energy"),
        N_("Poor appetite or overeating"),
        N_(
            "Feeling bad about yourself — or that you are a failure or have let "
            "yourself or your family down"
        ),
        N_("Trouble concentrating on things, such as reading the newspaper or watching television"),
        N_(
            "Moving or speaking so slowly that other people could have noticed? Or "
            "the opposite — being so fidgety or restless that you have been moving "
            "around a lot more than usual"
        ),
        N_("Thoughts that you would be better off dead or of hurting yourself in some way"),
    ),
    (
        (0, N_("none-minimal")),
        (5, N_("mild")),
        (10, N_("moderate")),
        (15, N_("moderately severe")),
        (20, N_("severe")),
    ),
)
GAD7 = Instrument(
    "gad7",
    N_("GAD-7 (anxiety)"),
    (
        N_("Feeling nervous, anxious or on edge"),
        N_("Not being able to stop or control worrying"),
        N_("Worrying too much about different things"),
        N_("Trouble relaxing"),
        N_("Being so restless that it is hard to sit still"),
        N_("Becoming easily annoyed or irritable"),
        N_("Feeling afraid as if something awful might happen"),
    ),
    ((0, N_("minimal")), (5, N_("mild")), (10, N_("moderate")), (15, N_("severe"))),
)
INSTRUMENTS = {i.code: i for i in (PHQ9, GAD7)}
SELF_HARM_ITEM = 8  # PHQ-9 item 9, counted from 0
CRISIS = N_(
    "If you are thinking about hurting yourself, you are not alone and help "
    "is available now: call or text 988 (the Suicide & Crisis Lifeline, 24 "
    "hours a day), or call 911 or go to the nearest emergency room if you "
    "are in danger. Your care team has been told."
)


@dataclass(frozen=True)
class Scored:
    instrument: str
    answers: tuple[int, ...]
    score: int
    severity: str
    self_harm: bool  # PHQ-9 item 9 above 0


def score(code: str, answers: tuple[int, ...]) -> Scored:
    """The published score and band; ValueError for an unknown instrument or a bad answer."""
    instrument = INSTRUMENTS.get(code)
    if instrument is None:
        raise ValueError(f"unknown questionnaire {code!r}")
    if len(answers) != len(instrument.items) or any(a not in (0, 1, 2, 3) for a in answers):
        raise ValueError(f"{instrument.name} needs an answer 0-3 to each of its items")
    total = sum(answers)
    severity = [name for low, name in instrument.bands if total >= low][-1]
    self_harm = code == PHQ9.code and answers[SELF_HARM_ITEM] > 0
    return Scored(code, answers, total, severity, self_harm)
