"""Which pages each role sees. Navigation is not authorization: pages and services check too."""

from __future__ import annotations

from dataclasses import dataclass

from services.core.access import ADMIN, BILLING, CLINICIAN, HIM, MANAGER, PATIENT, PROXY


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    url_path: str
    icon: str


SIGN_IN = PageSpec("pages/public/sign_in.py", "Sign in", "sign-in", ":material/login:")
REGISTER = PageSpec(
    "pages/public/register.py", "Create an account", "register", ":material/person_add:"
)
VERIFY = PageSpec(
    "pages/public/verify_email.py",
    "Verify your email",
    "verify-email",
    ":material/mark_email_read:",
)
RECOVER = PageSpec(
    "pages/public/recover.py", "Forgot username or password", "recover", ":material/key:"
)
SHARED = PageSpec("pages/public/shared.py", "Shared record", "shared", ":material/share:")
# What an anonymous visitor may open; the first is the default page.
PUBLIC_PAGES = (SIGN_IN, REGISTER, VERIFY, RECOVER, SHARED)

PATIENT_PAGES = (
    PageSpec("pages/patient/home.py", "Home", "home", ":material/home:"),
    PageSpec("pages/patient/results.py", "Test results", "results", ":material/lab_research:"),
    PageSpec("pages/patient/records.py", "Medical record", "record", ":material/folder_open:"),
    PageSpec("pages/patient/metrics.py", "Health metrics", "metrics", ":material/monitor_heart:"),
)
CLINICIAN_METRICS = PageSpec(
    "pages/clinician/metrics.py", "Patient metrics", "patient-metrics", ":material/monitor_heart:"
)

PAGES_BY_ROLE: dict[str, tuple[PageSpec, ...]] = {
    PATIENT: PATIENT_PAGES,
    PROXY: PATIENT_PAGES,
    CLINICIAN: (
        PageSpec(
            "pages/clinician/home.py", "Clinician home", "clinician", ":material/stethoscope:"
        ),
        PageSpec(
            "pages/clinician/results.py", "Result release", "release", ":material/lab_research:"
        ),
        PageSpec("pages/clinician/alerts.py", "Metric alerts", "alerts", ":material/warning:"),
        CLINICIAN_METRICS,
    ),
    HIM: (PageSpec("pages/him/home.py", "HIM home", "him", ":material/folder_shared:"),),
    BILLING: (PageSpec("pages/billing/home.py", "Billing home", "billing", ":material/payments:"),),
    MANAGER: (
        PageSpec("pages/manager/home.py", "Portal usage", "manager", ":material/monitoring:"),
    ),
    ADMIN: (
        PageSpec(
            "pages/admin/home.py", "Administration", "admin", ":material/admin_panel_settings:"
        ),
        PageSpec("pages/admin/accounts.py", "Accounts", "accounts", ":material/group:"),
        PageSpec("pages/admin/demo_inbox.py", "Demo inbox", "demo-inbox", ":material/inbox:"),
    ),
}


ACCOUNT = PageSpec(
    "pages/account/account.py", "Your account", "account", ":material/manage_accounts:"
)


def pages_for(roles: frozenset[str]) -> list[PageSpec]:
    """The role's pages in a stable order, each once (a patient who is also a proxy), and the
    account page that every signed-in user has."""
    seen: dict[str, PageSpec] = {}
    for role, pages in PAGES_BY_ROLE.items():
        if role in roles:
            for page in pages:
                seen.setdefault(page.path, page)
    return [*seen.values(), ACCOUNT] if seen else []
