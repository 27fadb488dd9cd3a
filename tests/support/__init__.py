"""Test helpers: a throw-away PostgreSQL server, seeded template databases, a served app."""
