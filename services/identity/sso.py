"""Staff single sign-on with OpenID Connect (docs/rules/security.md 28).

The clinic's identity provider (PORTAL_SSO_ISSUER, its client id and secret) signs staff in; the
portal is its client, with Authlib for the authorization code flow with PKCE (S256) and joserfc
for the ID token's signature and claims (issuer, audience, expiry, nonce). An admin links a staff
account to the provider's subject (`sso_link`); a linked account then signs in only through the
provider, never with the portal's password. The portal's roles and account status decide what
the person may do: a subject nobody linked, or a portal account that is disabled, is refused
whatever the provider says, and no claim of the provider grants a role.

A sign-in under way is bound to the browser that began it (its binding cookie), its state is
stored hashed and used once within ten minutes, and its nonce and PKCE verifier are sealed.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import delete, select

from services.core import access, audit, clock, crypto, db, throttle
from services.core.access import Actor, actor_for
from services.core.config import SsoSettings, settings
from services.core.errors import AuthenticationFailed, NotFound, RateLimited, ValidationError
from services.core.language import N_, t
from services.core.models import User
from services.core.work import staff_work
from services.identity import auth
from services.identity.admin import named_account
from services.identity.browsers import Browser
from services.identity.tables import SsoLink, SsoLogin

CALLBACK = "/_portal/sso/callback"  # server.sso serves it; the provider sends the browser here
LOGIN_LIFETIME = timedelta(minutes=10)
STARTS = 20  # sign-ins one browser may begin in 15 minutes
TIMEOUT = 10  # seconds for each request to the provider
ALGORITHMS = ["RS256", "PS256", "ES256", "EdDSA"]
MAX_SUBJECT = 255
# What the server's route puts in the sign-in page's address after a refusal: a code, never
# words, so that nobody can make the page say something else.
REFUSALS = {
    "again": N_("This sign-in has ended or was already used. Please start again."),
    "cookies": N_("Your browser must keep cookies from this portal to sign in this way."),
    "provider": N_(
        "Your organisation's sign-in did not sign you in. Please try again, or call the help desk."
    ),
    "unlinked": N_(
        "Your organisation's account is not linked to a portal account. Ask the portal's "
        "administrator to link it."
    ),
    "closed": N_("This portal account cannot sign in now. Please contact the help desk."),
}


class SsoRefused(AuthenticationFailed):
    """A single sign-on refused; `code` is one of REFUSALS."""

    def __init__(self, code: str) -> None:
        super().__init__(t(REFUSALS[code]))
        self.code = code


@dataclass(frozen=True)
class LinkView:
    username: str
    name: str
    subject: str
    linked_at: datetime
    last_used_at: datetime | None


def offered() -> str | None:
    """The provider's name for the sign-in page's button, or None without single sign-on."""
    config = settings().sso
    return None if config is None else config.name


def _config() -> SsoSettings:
    config = settings().sso
    if config is None:
        raise SsoRefused("provider")
    return config


@lru_cache(maxsize=4)
def _metadata(issuer: str) -> dict[str, Any]:
    """The provider's OpenID configuration (read once per process); its issuer must be ours."""
    found = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=TIMEOUT)
    found.raise_for_status()
    meta: dict[str, Any] = found.json()
    if meta.get("issuer") != issuer:
        raise ValueError("the provider names another issuer")
    return meta


def _client(config: SsoSettings) -> OAuth2Session:
    return OAuth2Session(
        config.client_id,
        config.client_secret,
        scope="openid email profile",
        redirect_uri=f"{settings().public_url}{CALLBACK}",
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )


def _binding_hash(binding: str) -> str:
    return crypto.code_hash(f"sso\x1f{binding}")


def _refuse(code: str, detail: str, actor: Actor | None = None) -> SsoRefused:
    """Record a refused sign-in in a transaction of its own."""
    with db.transaction() as session:
        audit.record(session, actor, "auth.sso.sign_in", outcome=audit.DENIED, detail=detail[:200])
    return SsoRefused(code)


def begin(*, browser: str | None) -> str:
    """Where to send the browser to sign in at the provider (the authorization request)."""
    config = _config()
    if browser is None:
        raise SsoRefused("cookies")
    try:
        meta = _metadata(config.issuer)
    except (requests.RequestException, ValueError) as exc:
        raise _refuse("provider", f"configuration unreadable: {type(exc).__name__}") from None
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(48)
    now = clock.now()
    with db.transaction() as session:
        if not throttle.allow(session, throttle.key("sso-start", browser), STARTS):
            raise RateLimited(t(throttle.TOO_MANY))
        session.execute(delete(SsoLogin).where(SsoLogin.expires_at < now - timedelta(days=1)))
        session.add(
            SsoLogin(
                id=uuid.uuid4(),
                state_hash=crypto.code_hash(state),
                browser_hash=_binding_hash(browser),
                sealed=crypto.encrypt(json.dumps([nonce, verifier]).encode()).decode(),
                created_at=now,
                expires_at=now + LOGIN_LIFETIME,
            )
        )
    url, _ = _client(config).create_authorization_url(
        meta["authorization_endpoint"], state=state, nonce=nonce, code_verifier=verifier
    )
    return str(url)


def _spend(state: str, browser: str | None) -> tuple[str, str] | None:
    """The nonce and verifier of the live sign-in this state names, spent now; None when there
    is none, or another browser brings it (spent all the same: a carried-off URL is dead)."""
    with db.transaction() as session:
        row = session.scalars(
            select(SsoLogin).where(
                SsoLogin.state_hash == crypto.code_hash(state or "-"),
                SsoLogin.used_at.is_(None),
                SsoLogin.expires_at > clock.now(),
            )
        ).one_or_none()
        if row is None:
            return None
        row.used_at = clock.now()
        if browser is None or row.browser_hash != _binding_hash(browser):
            return None
        nonce, verifier = json.loads(crypto.decrypt(row.sealed.encode()))
        return str(nonce), str(verifier)


def _subject(config: SsoSettings, code: str, nonce: str, verifier: str) -> str:
    """Trade the code for tokens and check the ID token; its subject."""
    meta = _metadata(config.issuer)
    tokens = _client(config).fetch_token(
        meta["token_endpoint"],
        grant_type="authorization_code",
        code=code,
        code_verifier=verifier,
        timeout=TIMEOUT,
    )
    keys = KeySet.import_key_set(requests.get(meta["jwks_uri"], timeout=TIMEOUT).json())
    decoded = jwt.decode(tokens["id_token"], keys, algorithms=ALGORITHMS)
    jwt.JWTClaimsRegistry(
        leeway=60,
        iss={"essential": True, "value": config.issuer},
        aud={"essential": True, "value": config.client_id},
        sub={"essential": True},
        exp={"essential": True},
        nonce={"essential": True, "value": nonce},
    ).validate(decoded.claims)
    return str(decoded.claims["sub"])


@auth.delivering
def finish(
    *, state: str, code: str | None, error: str | None, browser: str | None, user_agent: str
) -> auth.SignedIn:
    """The provider sent the browser back: the portal session of the linked staff account."""
    config = _config()
    spent = _spend(state, browser)
    if spent is None:
        raise _refuse("again", "state not live, or another browser")
    if error or not code:
        raise _refuse("provider", f"provider answered {(error or 'no code')[:60]}")
    try:
        subject = _subject(config, code, *spent)
    except (OAuthError, JoseError, requests.RequestException, KeyError, ValueError) as exc:
        raise _refuse("provider", f"token or ID token refused: {type(exc).__name__}") from None
    with db.transaction() as session:
        link = session.scalars(
            select(SsoLink).where(SsoLink.issuer == config.issuer, SsoLink.subject == subject)
        ).one_or_none()
        user = session.get(User, link.user_id) if link is not None else None
        actor = actor_for(session, user) if user is not None else None
        if link is not None and user is not None and actor is not None:
            if user.status == "active" and actor.is_staff:
                link.last_used_at = clock.now()
                audit.record(session, actor, "auth.sso.used")
                return auth.open_session(session, user, browser=Browser(browser, user_agent))
    if link is None:
        raise _refuse("unlinked", f"subject not linked: {subject[:80]}")
    raise _refuse("closed", "portal account not active or not staff", actor)


def sso_links(*, actor: Actor) -> list[LinkView]:
    """Admins: the staff accounts linked to the provider."""
    with staff_work(actor, "sso.links.view", access.ADMIN) as session:
        rows = session.execute(
            select(SsoLink, User).join(User, User.id == SsoLink.user_id).order_by(User.username)
        ).all()
        return [
            LinkView(u.username, u.display_name, k.subject, k.linked_at, k.last_used_at)
            for k, u in rows
        ]


def sso_link(*, actor: Actor, username: str, subject: str) -> None:
    """Admins: link a staff account to the provider's subject (replacing its link, if any)."""
    config = _config()
    subject = (subject or "").strip()
    if not subject or len(subject) > MAX_SUBJECT:
        raise ValidationError(
            {"subject": t("Enter the provider's subject (its user id), at most 255 characters.")}
        )
    with staff_work(actor, "sso.link", access.ADMIN) as session:
        user = named_account(session, username)
        if not actor_for(session, user).is_staff:
            raise ValidationError({"username": t("Only staff accounts sign in this way.")})
        taken = session.scalars(
            select(SsoLink).where(SsoLink.issuer == config.issuer, SsoLink.subject == subject)
        ).one_or_none()
        if taken is not None and taken.user_id != user.id:
            raise ValidationError({"subject": t("That subject is linked to another account.")})
        session.execute(delete(SsoLink).where(SsoLink.user_id == user.id))
        session.add(
            SsoLink(
                id=uuid.uuid4(),
                user_id=user.id,
                issuer=config.issuer,
                subject=subject,
                linked_by=actor.user_id,
                linked_at=clock.now(),
            )
        )
        audit.record(session, actor, "sso.linked", detail=user.username)


def sso_unlink(*, actor: Actor, username: str) -> None:
    """Admins: the account signs in with its portal password again (set by a reset)."""
    with staff_work(actor, "sso.unlink", access.ADMIN) as session:
        user = named_account(session, username)
        gone = session.execute(delete(SsoLink).where(SsoLink.user_id == user.id))
        if not getattr(gone, "rowcount", 0):
            raise NotFound(t("That account is not linked."))
        audit.record(session, actor, "sso.unlinked", detail=user.username)
