"""A real OpenID Connect provider for the single sign-on tests: node-oidc-provider (npm
`oidc-provider`, locked in tests/support/oidc/package-lock.json; `make test` installs it) run
under Node with one client and a few identities, on a free local port. Its sign-in page
(tests/support/oidc/provider.mjs) takes any password for the identities it knows, `ACCOUNTS`;
one is disabled at the provider, which sends the browser back with `access_denied`.
`sign_in_at_provider` fills that page with plain HTTP, as a browser would, for the service
tests; the browser tests fill it in Chromium."""

from __future__ import annotations

import json
import re
import secrets
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

from tests.support.postgres import free_port

FOLDER = Path(__file__).parent / "oidc"
ACCOUNTS = {
    "okta|clinician-7": {"email": "jordan.patel@lakeside.example", "name": "Jordan Patel"},
    "okta|stranger-1": {"email": "someone@lakeside.example", "name": "Not in the portal"},
    "okta|left-2": {"email": "left@lakeside.example", "name": "Left", "disabled": True},
}


@dataclass(frozen=True)
class Provider:
    issuer: str
    client_id: str
    client_secret: str

    def env(self) -> dict[str, str]:
        """The portal's settings for this provider."""
        return {
            "PORTAL_SSO_ISSUER": self.issuer,
            "PORTAL_SSO_CLIENT_ID": self.client_id,
            "PORTAL_SSO_CLIENT_SECRET": self.client_secret,
            "PORTAL_SSO_NAME": "Lakeside staff sign-in",
        }


def installed() -> None:
    """The provider's package, installed from its lock file when missing."""
    if not (FOLDER / "node_modules" / "oidc-provider").is_dir():
        npm = shutil.which("npm")
        assert npm, "npm is needed for the single sign-on tests (make test installs Node)"
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=FOLDER, check=True)


@contextmanager
def oidc_provider(redirect_uri: str) -> Iterator[Provider]:
    """The provider, listening on 127.0.0.1, for one client whose only redirect is given."""
    installed()
    port = free_port()
    provider = Provider(f"http://127.0.0.1:{port}", "portal", secrets.token_urlsafe(24))
    config = {
        "issuer": provider.issuer,
        "port": port,
        "cookie_key": secrets.token_urlsafe(24),
        "client": {
            "id": provider.client_id,
            "secret": provider.client_secret,
            "redirect_uri": redirect_uri,
        },
        "accounts": ACCOUNTS,
    }
    process = subprocess.Popen(
        ["node", "provider.mjs", json.dumps(config)],
        cwd=FOLDER,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:  # warnings about its development defaults come first
            if line.startswith("listening"):
                break
        else:
            raise AssertionError(f"the provider did not start (exit {process.wait()})")
        # Keep reading what it prints, so that a full pipe never stops it.
        threading.Thread(target=process.stdout.read, daemon=True).start()
        yield provider
    finally:
        process.terminate()
        process.wait(timeout=10)


def sign_in_at_provider(authorization_url: str, subject: str) -> str:
    """Sign in at the provider's page; the URL it sends the browser back to."""
    browser = requests.Session()
    answer = browser.get(authorization_url, allow_redirects=True, timeout=10)
    form = re.search(r'<form[^>]*action="([^"]+)"', answer.text)
    assert form, answer.text[:300]
    answer = browser.post(
        urljoin(answer.url, form.group(1)),
        data={"login": subject, "password": "any"},
        allow_redirects=False,
        timeout=10,
    )
    for _ in range(5):  # the provider's own redirects, then the one back to the portal
        assert answer.status_code in (302, 303), answer.text[:300]
        target = urljoin(answer.url, answer.headers["location"])
        if urlsplit(target).netloc != urlsplit(authorization_url).netloc:
            return target
        answer = browser.get(target, allow_redirects=False, timeout=10)
    raise AssertionError("the provider did not send the browser back")
