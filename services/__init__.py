"""The use cases, one package per domain; pages and the server call them, they never import
Streamlit. `core` is what every domain uses and uses no domain itself; the domains may use each
other without cycles (tests/test_architecture.py checks both):

core       config, clock, errors, database and migrations, units of work, audit, the access
           policy, crypto, throttling, one-time codes, notifications, spreadsheet-safe CSV,
           usage events (what the analytics count)
identity   sign-in, passwords, second factor, sessions, registration, recovery, the account,
           contact changes, administration of accounts, whom a user acts for
proxy      caregivers' access: invitations, requests HIM reviews, grants, the age rules
health     clinical figures, readings, health metrics, device import, metric alerts
records    results and their release to patients, the medical record, documents, outside
           records, FHIR export, printouts, sharing
care       visits (booking, schedules, check-in, waitlist, reminders), messages and the staff
           inbox, refills and their queue, questionnaires
him        health-information management: records requests (access, release, amendment),
           record updates, the records package, disclosures
billing    statements, the ledger, paying online through the processor, payment plans,
           refunds, insurance, financial assistance, receivables
homes      each role's home page (summaries of the domains above)
analytics  portal-usage rollups and the managers' dashboard, with small cells protected
jobs       the scheduled jobs, their registry, runner and what admins see of them (the
           top-level `worker` package only starts the runner as its own process)
"""

# One metadata for the whole schema: each table lives beside its domain, and every table module
# is imported with this package, so migrations and create_all always see every table.
from services.analytics import tables as _analytics_tables  # noqa: E402,F401
from services.billing import tables as _billing_tables  # noqa: E402,F401
from services.care import tables as _care_tables  # noqa: E402,F401
from services.health import tables as _health_tables  # noqa: E402,F401
from services.him import tables as _him_tables  # noqa: E402,F401
from services.identity import tables as _identity_tables  # noqa: E402,F401
from services.proxy import tables as _proxy_tables  # noqa: E402,F401
from services.records import tables as _records_tables  # noqa: E402,F401
