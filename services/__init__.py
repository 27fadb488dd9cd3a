"""The use cases, one package per domain; pages and the server call them, they never import
Streamlit. `core` is what every domain uses and uses no domain itself; the domains may use each
other without cycles (tests/test_architecture.py checks both):

core       config, clock, errors, database and migrations, units of work, audit, the access
           policy, crypto, throttling, one-time codes, notifications, spreadsheet-safe CSV,
           usage events (what the analytics count)
identity   sign-in, passwords, second factor, sessions, registration, recovery, the account,
           administration of accounts, whom a user acts for
health     clinical figures, readings, health metrics, device import, metric alerts
records    results and their release, the medical record, documents, FHIR, printouts, sharing
homes      each role's home page (summaries of the domains above)
analytics  portal-usage rollups and the managers' dashboard, with small cells protected
jobs       the scheduled jobs, their runner and what admins see of them
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
