"""The browsers an account signs in from: new-sign-in notices and "Trust this browser".

A browser is recognised by its binding cookie (server.cookies: a random HttpOnly value the
server gives each browser with its first page, kept 400 days), stored only as a keyed hash. What
kind of browser it is comes from its user agent alone, so it is approximate ("Chrome on
Windows"); no other fingerprint is taken.

- A sign-in from a browser the account has not used before sends a security notice to the
  account's address, with a link that ends every session and changes the password
  (services.identity.recovery.secure_account). The first browser an account is seen with is
  recorded without a notice (a new account, or every account when schema v24 arrives).
- After the second step a patient may trust the browser for PORTAL_TRUST_BROWSER_DAYS (30; 0
  offers it to nobody): a sign-in from it then needs only the password. Staff are offered it only
  where PORTAL_STAFF_MAY_TRUST_BROWSER allows. Forgetting a browser, changing the password or
  securing the account ends the trust.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session
from ua_parser import parse

from services.core import audit, clock, crypto, db, language, notify, one_time
from services.core.access import Actor, actor_for
from services.core.config import settings
from services.core.errors import NotFound
from services.core.language import N_, t
from services.core.models import User
from services.identity.tables import KnownBrowser

SECURE_PURPOSE = "secure_account"  # the one-time token of the notice's link
SECURE_LIFETIME = timedelta(days=7)
SECURE_PAGE = "secure-account"  # the public page the link opens
MAX_AGENT = 512  # of a user agent, read for its description only
UNKNOWN_BROWSER = N_("An unknown browser")
NO_COOKIES = N_("a browser that keeps no cookies, so it cannot be recognised")


@dataclass(frozen=True)
class Browser:
    """Where a sign-in comes from: the browser's binding cookie (None when it keeps no cookies)
    and its user agent."""

    binding: str | None
    user_agent: str = ""


@dataclass(frozen=True)
class BrowserView:
    browser_id: uuid.UUID
    description: str
    first_used_at: datetime
    last_used_at: datetime
    trusted_until: datetime | None  # None, or a moment past: not trusted
    this_browser: bool


def describe(user_agent: str) -> str:
    """What a user agent says the browser is: "Chrome on Windows", or "An unknown browser"."""
    found = parse((user_agent or "")[:MAX_AGENT])
    name = found.user_agent.family if found.user_agent else None
    system = found.os.family if found.os else None
    if not name or name == "Other":
        return t(UNKNOWN_BROWSER)
    if not system or system == "Other":
        return name[:80]
    return t("{browser} on {system}", browser=name, system=system)[:80]


def _hash(binding: str) -> str:
    return crypto.code_hash(f"browser\x1f{binding}")


def trust_days(actor: Actor) -> int:
    """How long this account may trust a browser (0: it may not)."""
    config = settings()
    if actor.is_staff and not config.staff_may_trust_browser:
        return 0
    return config.trust_browser_days


def _row(session: Session, user_id: uuid.UUID, binding: str) -> KnownBrowser | None:
    return session.scalars(
        select(KnownBrowser).where(
            KnownBrowser.user_id == user_id, KnownBrowser.browser_hash == _hash(binding)
        )
    ).one_or_none()


def trusted(session: Session, user: User, browser: Browser | None) -> bool:
    """Whether this browser may skip the account's second step now."""
    if browser is None or browser.binding is None or not trust_days(actor_for(session, user)):
        return False
    row = _row(session, user.id, browser.binding)
    return row is not None and row.trusted_until is not None and row.trusted_until > clock.now()


def seen(session: Session, user: User, browser: Browser | None, trust: bool) -> bool:
    """Record a sign-in from this browser in the caller's transaction (trusting it when asked
    and allowed); a browser the account has not used before is told to the account's address
    (True: a notice was queued). `browser` None: the caller has no browser (a script, a test of
    the rules)."""
    if browser is None:
        return False
    now = clock.now()
    description = describe(browser.user_agent)
    if browser.binding is None:
        _notice(session, user, t(NO_COOKIES), now)
        return True
    told = False
    row = _row(session, user.id, browser.binding)
    if row is None:
        others = select(func.count()).where(KnownBrowser.user_id == user.id)
        if session.scalar(others.select_from(KnownBrowser)):
            _notice(session, user, description, now)
            told = True
        row = KnownBrowser(
            id=uuid.uuid4(),
            user_id=user.id,
            browser_hash=_hash(browser.binding),
            description=description,
            first_used_at=now,
            last_used_at=now,
        )
        session.add(row)
    row.description, row.last_used_at = description, now
    days = trust_days(actor_for(session, user))
    if trust and days:
        row.trusted_until = now + timedelta(days=days)
        audit.record(session, actor_for(session, user), "auth.browser_trusted", detail=description)
    return told


def _notice(session: Session, user: User, description: str, now: datetime) -> None:
    secret = secrets.token_urlsafe(32)
    one_time.issue(session, user.id, SECURE_PURPOSE, SECURE_LIFETIME, secret)
    with language.using(user.language):  # in the recipient's language
        notify.security_notice(
            session,
            user,
            t("new sign-in to your account"),
            t(
                "Your patient portal account was signed in to from {browser} on {when}. If "
                "this was you, there is nothing to do. If this wasn't you, "
                "open this link within {days} days to end every session and change your "
                "password:\n{link}",
                browser=description,
                when=language.moment(clock.local(now)),
                days=SECURE_LIFETIME.days,
                link=f"{settings().public_url}/{SECURE_PAGE}?token={secret}",
            ),
        )
    audit.record(session, actor_for(session, user), "auth.new_browser_notice")


def browsers_list(*, actor: Actor, browser: Browser | None) -> list[BrowserView]:
    """The account's browsers, the last used first; `browser` marks the one asking."""
    mine = _hash(browser.binding) if browser is not None and browser.binding else None
    with db.read_only() as session:
        rows = session.scalars(
            select(KnownBrowser)
            .where(KnownBrowser.user_id == actor.user_id)
            .order_by(KnownBrowser.last_used_at.desc())
        ).all()
        now = clock.now()
        return [
            BrowserView(
                r.id,
                r.description,
                r.first_used_at,
                r.last_used_at,
                r.trusted_until if r.trusted_until and r.trusted_until > now else None,
                r.browser_hash == mine,
            )
            for r in rows
        ]


def browser_forget(*, actor: Actor, browser_id: uuid.UUID) -> None:
    """Forget one browser: it is no longer trusted, and its next sign-in is told as new."""
    with db.transaction() as session:
        row = session.get(KnownBrowser, browser_id)
        if row is None or row.user_id != actor.user_id:
            raise NotFound(t("That browser is not on your account."))
        session.delete(row)
        audit.record(session, actor, "auth.browser_forgotten", detail=row.description)


def browsers_forget_all(*, actor: Actor) -> int:
    """Forget every browser of the account; how many there were."""
    with db.transaction() as session:
        count = forget_all(session, actor.user_id)
        audit.record(session, actor, "auth.browsers_forgotten", detail=str(count))
    return count


def forget_all(session: Session, user_id: uuid.UUID) -> int:
    """Forget every browser of an account in the caller's transaction."""
    found = session.execute(delete(KnownBrowser).where(KnownBrowser.user_id == user_id))
    return int(getattr(found, "rowcount", 0) or 0)


def end_trust(session: Session, user_id: uuid.UUID) -> None:
    """No browser of the account skips the second step any more (a new password, an account
    secured after a notice); they stay known, so no notice is sent for them again."""
    session.execute(
        update(KnownBrowser).where(KnownBrowser.user_id == user_id).values(trusted_until=None)
    )
