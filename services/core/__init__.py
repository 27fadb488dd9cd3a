"""What every domain uses: configuration, the clock, typed errors, the database (engine, units of
work, migrations, tables), the audit chain, the access policy, crypto, throttling, one-time codes,
notifications, contact checks, spreadsheet-safe CSV, private files, the cookie hand-off. It imports
no other package of services."""
