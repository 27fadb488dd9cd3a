"""The use cases, one package per domain; pages and the server call them, they never import
Streamlit. `core` is what every domain uses and uses no domain itself; the domains may use each
other without cycles (tests/test_architecture.py checks both):

core       config, clock, errors, database and migrations, units of work, audit, the access
           policy, crypto, throttling, one-time codes, notifications, spreadsheet-safe CSV
identity   sign-in, passwords, second factor, sessions, registration, recovery, the account,
           administration of accounts, whom a user acts for
health     clinical figures, readings, health metrics, device import, metric alerts
records    results and their release, the medical record, documents, FHIR, printouts, sharing
homes      each role's home page (summaries of the domains above)
analytics  portal-usage figures for managers, with small cells suppressed
jobs       the scheduled jobs, their runner and what admins see of them
"""
