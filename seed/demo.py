"""The demo accounts' known secrets: their password and, for staff, their TOTP keys.

Staff always use a second factor, so the demo staff accounts come enrolled with keys derived
from the seed number (the same seed gives the same keys; README lists the default ones). They
are demo credentials for synthetic data, never for a real deployment.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
from datetime import datetime

import pyotp

DEMO_PASSWORD = "Demo-Portal-2026!"
DEFAULT_SEED = 2026
DEMO_STAFF_USERNAMES = ("clinician.demo", "him.demo", "billing.demo", "manager.demo", "admin.demo")
DEMO_USERNAMES = ("patient.demo", "proxy.demo", *DEMO_STAFF_USERNAMES)


def totp_secret(username: str, seed: int = DEFAULT_SEED) -> str:
    """The base32 TOTP key of a demo staff account for this seed."""
    digest = hashlib.sha256(f"lakeside-demo-totp:{seed}:{username}".encode()).digest()
    return base64.b32encode(digest[:20]).decode()


def totp_code(username: str, at: datetime, step_offset: int = 0, seed: int = DEFAULT_SEED) -> str:
    """The code a demo staff member's authenticator app shows at a (naive UTC) moment."""
    totp = pyotp.TOTP(totp_secret(username, seed))
    return totp.generate_otp(totp.timecode(calendar.timegm(at.timetuple())) + step_offset)
