"""Adoption: patients and activated accounts over time, the activation funnel, second-step
adoption and caregivers' (proxy) access. People are grouped by their record's site and their
age at the end of each bucket."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Date, DateTime, and_, case, column, func, literal, or_, select, values
from sqlalchemy.orm import Session

from services.analytics.cube import Axes, Cube, fetch, fetch_columns, transposed
from services.analytics.groups import age_band
from services.analytics.periods import Period
from services.analytics.tables import UsageUserDay
from services.core import clock
from services.core.language import N_
from services.core.models import Patient, ProxyGrant, Site, User
from services.identity.tables import ActivationCode

ISSUED, REGISTERED, VERIFIED, SIGNED_IN, ACTIVE = (
    N_("Activation code issued"),
    N_("Registered"),
    N_("Email verified"),
    N_("Signed in"),
    N_("Active in the last 30 days"),
)
FUNNEL = (ISSUED, REGISTERED, VERIFIED, SIGNED_IN, ACTIVE)
SECOND_STEP = N_("Second step on")
WITH_PROXY, PROXY_ACCOUNTS = N_("Patients with a caregiver's access"), N_("Caregiver accounts")
PROXY_KINDS = (WITH_PROXY, PROXY_ACCOUNTS)
ACTIVE_WINDOW = 30


def _cutoff(day: date) -> Any:
    """The stored moment the clinic's day after `day` begins (so `< cutoff` means by its end)."""
    return clock.day_start(day + timedelta(days=1))


def _group(end: Any) -> tuple[Any, Any]:
    return func.coalesce(Site.code, "none"), age_band(end, Patient.birth_date)


def over_time(session: Session, ends: Sequence[date], axes: Axes) -> tuple[Cube, Cube]:
    """Patients on record and activated accounts (email verified) at the end of each bucket."""
    moments = values(column("end", Date), column("cutoff", DateTime), name="ends").data(
        [(e, _cutoff(e)) for e in ends]
    )
    site, band = _group(moments.c.end)
    query = (
        select(
            moments.c.end,
            site,
            band,
            func.count(),
            func.sum(case((User.email_verified_at < moments.c.cutoff, 1), else_=0)),
        )
        .select_from(moments)
        .join(Patient, Patient.created_at < moments.c.cutoff)
        .join(Site, Site.id == Patient.site_id)
        .join(User, User.patient_id == Patient.id, isouter=True)
        .group_by(moments.c.end, site, band)
    )
    end, site_of, band_of, people, verified = fetch_columns(session, query)
    patients = Cube((end, site_of, band_of, people), ends, axes)
    activated = Cube((end, site_of, band_of, verified), ends, axes)
    return patients, activated


def funnel(session: Session, period: Period, axes: Axes) -> Cube:
    """Each stage's people at the end of the period, and those with a second step on."""
    cutoff = _cutoff(period.last)
    site, band = _group(literal(period.last, Date))
    issued = select(ActivationCode.patient_id).where(ActivationCode.created_at < cutoff)
    query = (
        select(
            site,
            band,
            func.sum(case((Patient.id.in_(issued), 1), else_=0)),
            func.sum(case((User.created_at < cutoff, 1), else_=0)),
            func.sum(case((User.email_verified_at < cutoff, 1), else_=0)),
            func.sum(case((User.first_sign_in_at < cutoff, 1), else_=0)),
            func.sum(case((User.id.in_(_active_since(period)), 1), else_=0)),
            func.sum(case((User.totp_enabled_at < cutoff, 1), else_=0)),
        )
        .select_from(Patient)
        .join(Site, Site.id == Patient.site_id)
        .join(User, User.patient_id == Patient.id, isouter=True)
        .where(Patient.created_at < cutoff)
        .group_by(site, band)
    )
    stages = (*FUNNEL, SECOND_STEP)
    rows = [
        (stage, s, b, counts[k] or 0)
        for s, b, *counts in fetch(session, query)
        for k, stage in enumerate(stages)
    ]
    return Cube(transposed(rows), stages, axes)


def _active_since(period: Period) -> Any:
    first = period.last - timedelta(days=ACTIVE_WINDOW - 1)
    return select(UsageUserDay.user_id).where(UsageUserDay.day.between(first, period.last))


def proxies(session: Session, period: Period, axes: Axes) -> Cube:
    """Patients with a caregiver's live access at the end of the period, and the caregivers'
    accounts (each counted with the first patient they act for)."""
    cutoff = _cutoff(period.last)
    site, band = _group(literal(period.last, Date))
    live = and_(
        ProxyGrant.granted_at < cutoff,
        or_(ProxyGrant.revoked_at.is_(None), ProxyGrant.revoked_at >= cutoff),
        or_(ProxyGrant.expires_at.is_(None), ProxyGrant.expires_at >= cutoff),
    )
    base = (
        select(
            ProxyGrant.patient_id, ProxyGrant.proxy_user_id, site.label("site"), band.label("band")
        )
        .join(Patient, Patient.id == ProxyGrant.patient_id)
        .join(Site, Site.id == Patient.site_id)
        .where(live)
        .subquery()
    )
    patients = select(base.c.site, base.c.band, func.count(func.distinct(base.c.patient_id)))
    carers = (
        select(
            base.c.proxy_user_id,
            func.min(base.c.site).label("site"),
            func.min(base.c.band).label("band"),
        )
        .group_by(base.c.proxy_user_id)
        .subquery()
    )
    rows = [
        (WITH_PROXY, s, b, n)
        for s, b, n in fetch(session, patients.group_by(base.c.site, base.c.band))
    ] + [
        (PROXY_ACCOUNTS, s, b, n)
        for s, b, n in fetch(
            session,
            select(carers.c.site, carers.c.band, func.count()).group_by(
                carers.c.site, carers.c.band
            ),
        )
    ]
    return Cube(transposed(rows), PROXY_KINDS, axes)
