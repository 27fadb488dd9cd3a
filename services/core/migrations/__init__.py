"""Numbered schema migrations: MIGRATIONS[i] upgrades a database from version i + 1 to i + 2.

Version 1 is the baseline `create_all` made. A new database is created from the models at the
latest version; an existing one runs the steps it lacks. Each step spells out its own DDL (never
the current models, which move on), and a test checks that both paths give the same schema.

One module a version (`vNN_what.py`, its `upgrade(conn)`), listed below in order; shared DDL
helpers are in `ddl`. For a change, add the next module and list it; never edit one that has
shipped. `services.core.db.migrate` runs them, one process at a time (a PostgreSQL advisory
lock; DuckDB lets one process open the file).
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from services.core.migrations import (
    v02_second_factor_and_codes,
    v03_registration,
    v04_notification_preferences,
    v05_unit_preferences,
    v06_result_release,
    v07_share_links,
    v08_double_values,
    v09_account_security,
    v10_job_runs,
    v11_proxy_access,
    v12_records_requests,
    v13_billing,
    v14_appointments,
    v15_messaging_and_refills,
    v16_usage_analytics,
    v17_service_facts,
    v18_protected_slices,
    v19_audit_verifications,
    v20_language,
    v21_outside_records,
    v22_contact_changes,
    v23_passkeys,
    v24_known_browsers,
    v25_single_sign_on,
)

Migration = Callable[[sa.Connection], None]

MIGRATIONS: list[Migration] = [
    v02_second_factor_and_codes.upgrade,
    v03_registration.upgrade,
    v04_notification_preferences.upgrade,
    v05_unit_preferences.upgrade,
    v06_result_release.upgrade,
    v07_share_links.upgrade,
    v08_double_values.upgrade,
    v09_account_security.upgrade,
    v10_job_runs.upgrade,
    v11_proxy_access.upgrade,
    v12_records_requests.upgrade,
    v13_billing.upgrade,
    v14_appointments.upgrade,
    v15_messaging_and_refills.upgrade,
    v16_usage_analytics.upgrade,
    v17_service_facts.upgrade,
    v18_protected_slices.upgrade,
    v19_audit_verifications.upgrade,
    v20_language.upgrade,
    v21_outside_records.upgrade,
    v22_contact_changes.upgrade,
    v23_passkeys.upgrade,
    v24_known_browsers.upgrade,
    v25_single_sign_on.upgrade,
]
