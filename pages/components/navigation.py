"""Which pages each role sees. Navigation is not authorization: pages and services check too."""

from __future__ import annotations

from dataclasses import dataclass

from services.core import access
from services.core.access import ADMIN, BILLING, CLINICIAN, HIM, MANAGER, PATIENT, PROXY
from services.core.language import N_

# A pseudo-scope of the user's own record: pages only the patient themself may use.
OWN_RECORD = "own_record"


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    url_path: str
    icon: str
    # A patient-side page needs one of these scopes of the record being viewed; () for none.
    scopes: tuple[str, ...] = ()
    hidden: bool = False  # reachable by its link, not listed in the navigation


SIGN_IN = PageSpec("pages/public/sign_in.py", N_("Sign in"), "sign-in", ":material/login:")
REGISTER = PageSpec(
    "pages/public/register.py", N_("Create an account"), "register", ":material/person_add:"
)
VERIFY = PageSpec(
    "pages/public/verify_email.py",
    N_("Verify your email"),
    "verify-email",
    ":material/mark_email_read:",
)
RECOVER = PageSpec(
    "pages/public/recover.py", N_("Forgot username or password"), "recover", ":material/key:"
)
SHARED = PageSpec("pages/public/shared.py", N_("Shared record"), "shared", ":material/share:")
INVITATION = PageSpec(
    "pages/public/invitation.py", N_("Invitation"), "invitation", ":material/mail:", hidden=True
)
HELP = PageSpec("pages/public/help.py", N_("Help"), "help", ":material/help:")
UNDO_CHANGE = PageSpec(
    "pages/public/undo_change.py",
    N_("Undo a change"),
    "undo-change",  # services.identity.account.UNDO_PAGE: the link in the notice
    ":material/undo:",
    hidden=True,
)
SECURE_ACCOUNT = PageSpec(
    "pages/public/secure_account.py",
    N_("Secure your account"),
    "secure-account",  # services.identity.browsers.SECURE_PAGE: the link in the notice
    ":material/lock_reset:",
    hidden=True,
)
# What an anonymous visitor may open; the first is the default page.
PUBLIC_PAGES = (
    SIGN_IN,
    REGISTER,
    VERIFY,
    RECOVER,
    SHARED,
    INVITATION,
    HELP,
    UNDO_CHANGE,
    SECURE_ACCOUNT,
)

REQUEST_ACCESS = PageSpec(
    "pages/proxy/request_access.py", N_("Request access"), "request-access", ":material/how_to_reg:"
)
PATIENT_PAGES = (
    PageSpec("pages/patient/home.py", N_("Home"), "home", ":material/home:", (access.SUMMARY,)),
    PageSpec(
        "pages/patient/results.py",
        N_("Test results"),
        "results",
        ":material/lab_research:",
        (access.RESULTS,),
    ),
    PageSpec(
        "pages/patient/records.py",
        N_("Medical record"),
        "record",
        ":material/folder_open:",
        (access.RECORDS, access.DOCUMENTS),
    ),
    PageSpec(
        "pages/patient/outside_records.py",
        N_("Records from other providers"),
        "outside-records",
        ":material/move_to_inbox:",
        (access.RECORDS,),
    ),
    PageSpec(
        "pages/patient/metrics.py",
        N_("Health metrics"),
        "metrics",
        ":material/monitor_heart:",
        (access.METRICS,),
    ),
    PageSpec(
        "pages/patient/visits.py",
        N_("Visits"),
        "visits",
        ":material/event:",
        (access.APPOINTMENTS,),
    ),
    PageSpec(
        "pages/patient/messages.py",
        N_("Messages"),
        "messages",
        ":material/mail:",
        (access.MESSAGES,),
    ),
    PageSpec(
        "pages/patient/refills.py",
        N_("Refills"),
        "refills",
        ":material/medication:",
        (access.REFILLS,),
    ),
    PageSpec(
        "pages/patient/billing.py",
        N_("Billing"),
        "billing-account",
        ":material/receipt_long:",
        (access.BILLING_SCOPE,),
    ),
    PageSpec(
        "pages/patient/requests.py",
        N_("Records requests"),
        "records-requests",
        ":material/description:",
        (access.RECORDS,),
    ),
    PageSpec(
        "pages/patient/proxies.py",
        N_("Proxy access"),
        "proxy-access",
        ":material/group_add:",
        (OWN_RECORD,),
    ),
    REQUEST_ACCESS,
    INVITATION,
)
STAFF_INBOX = PageSpec("pages/staff/inbox.py", N_("Inbox"), "inbox", ":material/inbox:")
CLINICIAN_METRICS = PageSpec(
    "pages/clinician/metrics.py",
    N_("Patient metrics"),
    "patient-metrics",
    ":material/monitor_heart:",
)

PAGES_BY_ROLE: dict[str, tuple[PageSpec, ...]] = {
    PATIENT: PATIENT_PAGES,
    PROXY: PATIENT_PAGES,
    CLINICIAN: (
        PageSpec(
            "pages/clinician/home.py", N_("Clinician home"), "clinician", ":material/stethoscope:"
        ),
        PageSpec(
            "pages/clinician/schedule.py", N_("Schedule"), "schedule", ":material/event_note:"
        ),
        STAFF_INBOX,
        PageSpec(
            "pages/clinician/refills.py",
            N_("Refill requests"),
            "refill-queue",
            ":material/medication:",
        ),
        PageSpec(
            "pages/clinician/results.py", N_("Result release"), "release", ":material/lab_research:"
        ),
        PageSpec("pages/clinician/alerts.py", N_("Metric alerts"), "alerts", ":material/warning:"),
        PageSpec(
            "pages/clinician/amendments.py",
            N_("Amendment requests"),
            "amendments",
            ":material/edit_note:",
        ),
        CLINICIAN_METRICS,
    ),
    HIM: (
        PageSpec("pages/him/home.py", N_("HIM home"), "him", ":material/folder_shared:"),
        PageSpec(
            "pages/him/records_requests.py",
            N_("Records requests"),
            "records-queue",
            ":material/assignment:",
        ),
        PageSpec(
            "pages/him/proxy_review.py",
            N_("Proxy review"),
            "proxy-review",
            ":material/verified_user:",
        ),
        PageSpec(
            "pages/him/outside_records.py",
            N_("Outside records"),
            "outside-records-him",
            ":material/move_to_inbox:",
        ),
        STAFF_INBOX,
    ),
    BILLING: (
        PageSpec("pages/billing/home.py", N_("Billing home"), "billing", ":material/payments:"),
        STAFF_INBOX,
        PageSpec(
            "pages/billing/receivables.py", N_("Receivables"), "receivables", ":material/finance:"
        ),
        PageSpec("pages/billing/payments.py", N_("Payments"), "payments", ":material/credit_card:"),
        PageSpec(
            "pages/billing/plans.py",
            N_("Payment plans"),
            "payment-plans",
            ":material/event_repeat:",
        ),
        PageSpec(
            "pages/billing/assistance.py",
            N_("Financial assistance"),
            "financial-assistance",
            ":material/volunteer_activism:",
        ),
    ),
    MANAGER: (
        PageSpec("pages/manager/home.py", N_("Portal usage"), "manager", ":material/monitoring:"),
    ),
    ADMIN: (
        PageSpec(
            "pages/admin/home.py", N_("Administration"), "admin", ":material/admin_panel_settings:"
        ),
        PageSpec("pages/admin/accounts.py", N_("Accounts"), "accounts", ":material/group:"),
        PageSpec(
            "pages/admin/schedule.py",
            N_("Schedule"),
            "clinic-schedule",
            ":material/calendar_month:",
        ),
        PageSpec("pages/admin/demo_inbox.py", N_("Demo inbox"), "demo-inbox", ":material/inbox:"),
    ),
}


ACCOUNT = PageSpec(
    "pages/account/account.py", N_("Your account"), "account", ":material/manage_accounts:"
)


def pages_for(roles: frozenset[str], scopes: frozenset[str] = frozenset()) -> list[PageSpec]:
    """The role's pages in a stable order, each once (a patient who is also a proxy), and the
    account and help pages that every signed-in user has. A patient-side page is listed only
    when the record being viewed opens one of its scopes (`scopes`, with OWN_RECORD for one's
    own)."""
    seen: dict[str, PageSpec] = {}
    for role, pages in PAGES_BY_ROLE.items():
        if role in roles:
            for page in pages:
                if not page.scopes or set(page.scopes) & scopes:
                    seen.setdefault(page.path, page)
    return [*seen.values(), ACCOUNT, HELP, UNDO_CHANGE, SECURE_ACCOUNT] if seen else []
