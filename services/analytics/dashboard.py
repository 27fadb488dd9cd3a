"""The managers' portal-usage dashboard: one audited call gives every figure for a period and a
filter, each as a table (the chart is drawn from it and the CSV is the same table), read from the
rollups and the account tables in SQL, with small counts hidden (services.analytics.cells). No
name, record number or other identifier of anyone is in it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.analytics import adoption, cube, engagement, periods, service_levels
from services.analytics.cube import Axes, Cube, Filters, rate
from services.analytics.figures import Figure, percent, table
from services.analytics.groups import BANDS, NO_AGE, NO_SITE
from services.analytics.periods import Period
from services.core import access, clock, db
from services.core.access import Actor
from services.core.errors import ValidationError
from services.core.language import N_, t
from services.core.models import Site
from services.core.work import staff_work

HIDDEN = N_("suppressed")  # how a hidden figure reads in tables and downloads
WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
FEATURE_NAMES = {
    "sign_in": N_("Sign-in"),
    "home": N_("Home"),
    "results": N_("Test results"),
    "records": N_("Health record"),
    "metrics": N_("Health metrics"),
    "appointments": N_("Visits"),
    "messages": N_("Messages"),
    "refills": N_("Refills"),
    "billing": N_("Billing"),
    "documents": N_("Documents"),
    "device_import": N_("Device imports"),
}
DAILY_UP_TO = 120  # days; a longer period's daily figure is not drawn (weeks say it)
BAND_LABELS = {NO_AGE: N_("Not known (caregivers)"), "75+": N_("75 and over")}


@dataclass(frozen=True)
class Dashboard:
    period: Period
    previous: Period
    filters: Filters
    sites: list[tuple[str, str]]  # (code, name) to filter by
    bands: tuple[str, ...]
    headline: pd.DataFrame  # measure, this period, the one before
    figures: dict[str, Figure]


@dataclass(frozen=True)
class Choices:
    """What the dashboard can be filtered by, each with its label."""

    sites: dict[str, str]
    bands: dict[str, str]


def filter_choices(*, actor: Actor) -> Choices:
    with staff_work(actor, "analytics.filters.view", access.MANAGER) as session:
        axes, sites = _axes(session)
        return Choices(
            sites={**dict(sites), NO_SITE: t("No site (caregivers' own accounts)")},
            bands={b: t(BAND_LABELS.get(b, b.replace("-", "–"))) for b in axes.bands},
        )


def yesterday() -> date:
    return clock.today() - timedelta(days=1)


def _axes(session: Session) -> tuple[Axes, list[tuple[str, str]]]:
    sites = [
        (str(c), str(n))
        for c, n in session.execute(select(Site.code, Site.name).order_by(Site.code))
    ]
    return Axes(tuple(c for c, _ in sites) + (NO_SITE,), (*BANDS, NO_AGE)), sites


def _check(filters: Filters, axes: Axes) -> None:
    if filters.site is not None and filters.site not in axes.sites:
        raise ValidationError({"site": t("Choose one of the sites listed.")})
    if filters.age_band is not None and filters.age_band not in axes.bands:
        raise ValidationError({"age_band": t("Choose one of the age bands listed.")})


def _headline(
    session: Session, period: Period, axes: Axes, f: Filters, daily: Cube
) -> list[tuple[str, object]]:
    """The period's key figures, in the same order for this period and the one before."""
    active = engagement.active_people(session, period, axes, None).series(f)[0]
    person_days = daily.total(f)
    average = None if person_days is None else person_days / period.days
    patients, activated = adoption.over_time(session, [period.last], axes)
    return [
        (t("People active"), active),
        (t("Average daily active people"), None if average is None else round(average, 1)),
        (
            t("Stickiness % (average daily ÷ people active)"),
            percent(_stickiness(person_days, active, period.days)),
        ),
        (t("Activated accounts at the end"), activated.series(f)[0]),
        (
            t("Activation rate at the end"),
            percent(rate(activated.series(f)[0], patients.series(f)[0])),
        ),
    ]


def _stickiness(person_days: int | None, people: int | None, days: int) -> float | None:
    """Average daily active people as a share of the people active in the whole span."""
    ratio = rate(person_days, people)
    return None if ratio is None else ratio / days


def _engagement(
    session: Session, period: Period, axes: Axes, f: Filters, daily: Cube
) -> dict[str, Figure]:
    figures = {}
    if period.days <= DAILY_UP_TO:
        figures["daily"] = Figure(
            t("Daily active people"),
            t("People who used the portal each day (each person once a day)."),
            "line",
            table(t("Day"), daily.buckets, **{t("People"): daily.series(f)}),
        )
    weekly = engagement.active_people(session, period, axes, periods.WEEK)
    figures["weekly"] = Figure(
        t("Weekly active people"),
        t(
            "People who used the portal in each week (weeks begin on Monday; the "
            "first and last may be partial)."
        ),
        "bar",
        table(t("Week of"), weekly.buckets, **{t("People"): weekly.series(f)}),
    )
    monthly = engagement.active_people(session, period, axes, periods.MONTH)
    days: list[date] = period.each_day()
    months: list[date] = period.months()
    month_days = [[d for d in days if d.replace(day=1) == month] for month in months]
    person_days = [daily.total(f, days) for days in month_days]
    people = monthly.series(f)
    figures["monthly"] = Figure(
        t("Monthly active people and stickiness"),
        t(
            "People who used the portal in each month, and stickiness: the month's "
            "average daily active people as a share of them (%)."
        ),
        "bar",
        table(
            t("Month"),
            [m.strftime("%b %Y") for m in months],
            **{
                t("People"): people,
                t("Stickiness %"): [
                    percent(_stickiness(d, p, len(days)))
                    for d, p, days in zip(person_days, people, month_days, strict=True)
                ],
            },
        ),
    )
    by_feature = engagement.feature_use(session, period, axes)
    figures["features"] = Figure(
        t("Use by feature, per week"),
        t("People who used each part of the portal in each week."),
        "line",
        table(
            t("Week of"),
            weekly.buckets,
            **{t(FEATURE_NAMES[k]): counts.series(f) for k, counts in by_feature.items()},
        ),
    )
    hours = engagement.weekday_hours(session, period, axes)
    values = hours.series(f)
    figures["hours"] = Figure(
        t("When people use the portal"),
        t("People active in each hour of each weekday (clinic time), added up over the period."),
        "heatmap",
        table(
            t("Hour"),
            [f"{h:02d}:00" for h in range(24)],
            **{t(WEEKDAYS[d]): values[d * 24 : d * 24 + 24] for d in range(7)},
        ),
    )
    return figures


def _adoption(session: Session, period: Period, axes: Axes, f: Filters) -> dict[str, Figure]:
    ends = _bucket_ends(period)
    patients, activated = adoption.over_time(session, ends, axes)
    on_record, accounts = patients.series(f), activated.series(f)
    funnel = adoption.funnel(session, period, axes)
    stages = funnel.series(f)
    proxies = adoption.proxies(session, period, axes).series(f)
    registered = stages[adoption.FUNNEL.index(adoption.REGISTERED)]
    return {
        "activation": Figure(
            t("Patients and activated accounts"),
            t(
                "Patients on record and accounts with a verified email at the end of "
                "each week or month, and the activation rate (%)."
            ),
            "line",
            table(
                t("At the end of"),
                ends,
                **{
                    t("Patients"): on_record,
                    t("Activated accounts"): accounts,
                    t("Activation rate %"): [
                        percent(rate(a, p)) for a, p in zip(accounts, on_record, strict=True)
                    ],
                },
            ),
        ),
        "funnel": Figure(
            t("Activation funnel"),
            t("Patients at each step by the end of the period."),
            "funnel",
            table(
                t("Step"),
                [t(step) for step in adoption.FUNNEL],
                **{t("Patients"): stages[: len(adoption.FUNNEL)]},
            ),
        ),
        "access": Figure(
            t("Second step and caregivers"),
            t(
                "Accounts with a second sign-in step (and their share of registered "
                "accounts), patients with a caregiver's access, and caregivers' "
                "accounts, at the end of the period."
            ),
            "bar",
            table(
                t("Measure"),
                [
                    t(adoption.SECOND_STEP),
                    t("Second step on, % of registered"),
                    *(t(kind) for kind in adoption.PROXY_KINDS),
                ],
                **{
                    t("Value"): [
                        stages[-1],
                        percent(rate(stages[-1], registered)),
                        *proxies,
                    ]
                },
            ),
        ),
    }


def _bucket_ends(period: Period) -> list[date]:
    """The last day of each week (90 days or fewer) or month in the period."""
    starts = period.starts()
    ends = [s - timedelta(days=1) for s in starts[1:]] + [period.last]
    return [e for e in ends if e >= period.first]


def _views(
    session: Session, period: Period, axes: Axes, filters: Filters
) -> tuple[pd.DataFrame, dict[str, Figure]]:
    """The headline (this period and the one before) and every figure."""
    previous = period.previous()
    daily = engagement.daily_active(session, period, axes)
    now = _headline(session, period, axes, filters, daily)
    before = _headline(
        session, previous, axes, filters, engagement.daily_active(session, previous, axes)
    )
    headline = table(
        t("Measure"),
        [m for m, _ in now],
        **{period.label(): [v for _, v in now], previous.label(): [v for _, v in before]},
    )
    figures = {
        **_adoption(session, period, axes, filters),
        **_engagement(session, period, axes, filters, daily),
        **service_levels.figures(session, period, axes, filters),
    }
    return headline, figures


def dashboard(*, actor: Actor, period: Period, filters: Filters) -> Dashboard:
    """Every figure for the period and filter, with the previous period's headline beside it."""
    with staff_work(actor, "analytics.dashboard.view", access.MANAGER) as session:
        axes, sites = _axes(session)
        _check(filters, axes)
        cube.load(session)
        headline, figures = _views(session, period, axes, filters)
        cube.store(session)
        return Dashboard(
            period=period,
            previous=period.previous(),
            filters=filters,
            sites=sites,
            bands=axes.bands,
            headline=headline,
            figures=figures,
        )


def prepare() -> int:
    """The job: the small-cell masks of the periods managers choose from, worked out and stored
    ahead of the day's first view (one view protects every filter), and old ones dropped; how
    many were new."""
    with db.transaction() as session:
        axes, _ = _axes(session)
        cube.forget_old(session)
        cube.load(session)
        for days in periods.CHOICES.values():
            _views(session, periods.ending(days, yesterday()), axes, Filters())
        return cube.store(session)


def as_text(value: object) -> str:
    """A table cell as the page and the CSV show it."""
    hidden = value is None or (isinstance(value, float) and pd.isna(value))
    return t(HIDDEN) if hidden else str(value)
