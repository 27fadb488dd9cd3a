"""Database URLs, schema versions, units of work and bulk loading, on both databases."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import (
    Connection,
    Float,
    Index,
    MetaData,
    Table,
    func,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.engine.interfaces import CacheStats

from services.core import audit, db
from services.core.errors import ConfigurationError
from services.core.models import SchemaVersion, Site
from services.health.tables import WeightReading
from tests.conftest import AUDIT_KEY, SECRET_KEY, scratch_database
from tests.support import postgres
from tests.support.postgres import free_port
from tests.support.served import ROOT


@pytest.mark.parametrize(
    "url, says",
    [
        ("not a url", "not a database URL"),
        ("mysql://root@localhost/portal", "must be a duckdb:/// or postgresql://"),
        ("duckdb:///:memory:", "must name a DuckDB file"),
        ("duckdb:////no/such/folder/portal.duckdb", "folder does not exist"),
    ],
)
def test_bad_urls_stop_with_one_clear_line(url: str, says: str) -> None:
    with pytest.raises(ConfigurationError) as error:
        db.make_engine(url)
    assert says in error.value.message and "\n" not in error.value.message


def test_unreachable_postgres_stops_with_one_clear_line() -> None:
    url = f"postgresql://portal:secret-pw@127.0.0.1:{free_port()}/portal"
    with pytest.raises(ConfigurationError) as error:
        db.make_engine(url)
    message = error.value.message
    assert message.startswith("cannot open the database postgresql+psycopg://portal:***@127.0.0.1")
    assert "secret-pw" not in message and "\n" not in message


def test_new_database_is_created_at_the_latest_version(empty_url: str) -> None:
    engine = db.make_engine(empty_url)
    assert db.migrate(engine) == (None, 1 + len(db.MIGRATIONS))
    assert db.migrate(engine) == (1 + len(db.MIGRATIONS), 1 + len(db.MIGRATIONS))
    with engine.connect() as conn:
        assert inspect(conn).has_table("glucose_readings") and inspect(conn).has_table("audit_log")
    engine.dispose()


def test_two_processes_starting_at_once_migrate_once(
    pg_server: postgres.PostgresServer, tmp_path: Path
) -> None:
    """The advisory lock: the second process waits for the first, then finds the work done."""
    latest = 1 + len(db.MIGRATIONS)
    with scratch_database(pg_server, "twice") as url:
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "tests.support.migrate_worker", url],
                cwd=ROOT,
                env={
                    **os.environ,
                    "PYTHONPATH": str(ROOT),
                    "PORTAL_AUDIT_KEY": AUDIT_KEY,
                    "PORTAL_SECRET_KEY": SECRET_KEY,
                    "PORTAL_DATA_DIR": str(tmp_path),
                },
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        said = [w.communicate(timeout=120) for w in workers]
        assert [w.returncode for w in workers] == [0, 0], [err[-2000:] for _, err in said]
        done = sorted(out.strip() for out, _ in said)
        assert done == sorted([f"None {latest}", f"{latest} {latest}"])
        engine = db.make_engine(url)
        with engine.connect() as conn:
            versions = conn.execute(select(SchemaVersion.version)).scalars().all()
        engine.dispose()
        assert versions == [latest]


def test_existing_database_upgrades_in_place_and_keeps_its_data(empty_url: str) -> None:
    engine = db.make_engine(empty_url)
    db.migrate(engine, migrations=[])  # a database made by an older release (version 1)
    with engine.begin() as conn:
        conn.execute(
            Site.__table__.insert(),
            {
                "id": "00000000-0000-4000-8000-000000000001",
                "code": "X",
                "name": "Old site",
                "state": "MN",
            },
        )

    def add_phone(conn: Connection) -> None:
        conn.execute(text("ALTER TABLE sites ADD COLUMN phone VARCHAR(32)"))

    assert db.migrate(engine, migrations=[add_phone]) == (1, 2)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(phone) FROM sites")).scalar() == 0  # the new column
        assert conn.execute(select(Site.name)).scalar() == "Old site"
        assert conn.execute(select(func.max(SchemaVersion.version))).scalar() == 2
    engine.dispose()


def test_a_newer_database_than_the_code_is_refused(empty_url: str) -> None:
    engine = db.make_engine(empty_url)
    db.migrate(engine, migrations=[lambda conn: None, lambda conn: None])
    with pytest.raises(ConfigurationError, match="newer than this code"):
        db.migrate(engine, migrations=[])
    engine.dispose()


def test_a_failed_unit_of_work_leaves_nothing_behind(seeded_url: str) -> None:
    with db.read_only() as s:
        before = s.scalar(select(func.count()).select_from(Site))
    with pytest.raises(RuntimeError), db.transaction() as s:
        s.add(Site(code="NEW", name="Half-written", state="MN"))
        audit.record(s, None, "test.write")
        s.flush()
        raise RuntimeError("killed half way")
    with db.read_only() as s:
        assert s.scalar(select(func.count()).select_from(Site)) == before
        assert audit.verify_chain(s).ok


def test_bulk_insert_loads_a_dataframe_in_one_statement(empty_url: str) -> None:
    engine = db.make_engine(empty_url)
    db.migrate(engine)
    frame = pd.DataFrame(
        {
            "id": [f"00000000-0000-4000-8000-{i:012d}" for i in range(1000)],
            "code": [f"S{i}" for i in range(1000)],
            "name": [f"Site {i}" for i in range(1000)],
            "state": "MN",
        }
    )
    with engine.begin() as conn:
        assert db.bulk_insert(conn, Site.__table__, frame) == 1000
        assert db.bulk_insert(conn, Site.__table__, frame.iloc[:0]) == 0
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Site)).scalar() == 1000
    engine.dispose()


def test_compiled_statements_are_cached_and_each_call_binds_its_own_values(
    empty_url: str,
) -> None:
    """duckdb_engine leaves SQLAlchemy's compiled-statement cache off; the portal's dialect turns
    it on (the statement's shape is compiled once; its values are bound on each call)."""
    engine = db.make_engine(empty_url)
    db.migrate(engine)
    frame = pd.DataFrame(
        {
            "id": [f"00000000-0000-4000-8000-{i:012d}" for i in range(2)],
            "code": ["A", "B"],
            "name": ["Site A", "Site B"],
            "state": "MN",
        }
    )
    with engine.begin() as conn:
        db.bulk_insert(conn, Site.__table__, frame)
    with engine.connect() as conn:
        first = conn.execute(select(Site.name).where(Site.code == "A"))
        assert first.scalar_one() == "Site A"
        second = conn.execute(select(Site.name).where(Site.code == "B"))
        assert second.context.cache_hit is CacheStats.CACHE_HIT
        assert second.scalar_one() == "Site B"
    engine.dispose()


def test_duckdb_keeps_no_index_on_the_time_series(tmp_path: Path) -> None:
    engine = db.make_engine(f"duckdb:///{tmp_path / 'x.duckdb'}")
    db.migrate(engine)
    with engine.connect() as conn:
        sql = conn.execute(
            text("SELECT sql FROM duckdb_tables() WHERE table_name = 'glucose_readings'")
        ).scalar()
        assert "PRIMARY KEY" not in sql
        assert (
            "PRIMARY KEY"
            in conn.execute(
                text("SELECT sql FROM duckdb_tables() WHERE table_name = 'patients'")
            ).scalar()
        )
    engine.dispose()


def _indexes(engine) -> set[str]:  # type: ignore[no-untyped-def]
    """The names of the indexes the schema made (PostgreSQL's catalogue)."""
    with engine.connect() as conn:
        return set(
            conn.execute(text("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"))
            .scalars()
            .all()
        )


def _columns(engine) -> dict[str, set[tuple[str, str]]]:  # type: ignore[no-untyped-def]
    """Every table's (column, type) pairs, read from information_schema (works on both)."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_schema IN ('main', 'public')"
            )
        ).all()
    out: dict[str, set[tuple[str, str]]] = {}
    for table, column, kind in rows:
        out.setdefault(table, set()).add((column, kind))
    return out


def _version_1_metadata() -> MetaData:
    """The schema as release 1 created it: no later tables or columns."""
    from services.core.models import Base

    meta = MetaData()
    for table in Base.metadata.sorted_tables:
        if table.name in (
            "recovery_codes",
            "one_time_codes",
            "activation_codes",
            "throttles",
            "notification_preferences",
            "unit_preferences",
            "result_delay_preferences",
            "result_hold_decisions",
            "share_links",
            "proxy_request_documents",
            "proxy_invitations",
            "proxy_notices",
            "release_authorizations",
            "amendments",
            "record_updates",
            "adjustments",
            "billing_preferences",
            "checkouts",
            "processor_events",
            "refunds",
            "plan_statements",
            "plan_instalments",
            "payment_methods",
            "assistance_applications",
            "assistance_documents",
            "statement_runs",
            "schedule_templates",
            "schedule_blocks",
            "appointment_requests",
            "waitlist_entries",
            "waitlist_offers",
            "reminders_sent",
            "checkins",
            "questionnaire_responses",
            "message_attachments",
            "thread_notes",
            "pharmacies",
            "usage_user_days",  # v16
            "usage_hours",
            "usage_rollup_state",
            "service_facts",  # v17
            "usage_user_periods",
            "usage_group_days",
            "protected_slices",  # v18
            "audit_verifications",  # v19
            "job_runs",  # v10
            "outside_imports",  # v21
            "outside_items",
            "contact_changes",  # v22
            "webauthn_credentials",  # v23
            "webauthn_challenges",
            "known_browsers",  # v24
            "sso_links",  # v25
            "sso_logins",
        ):
            continue
        columns = [c.copy() for c in table.columns if (table.name, c.name) not in LATER_COLUMNS]
        for column in columns:
            if (table.name, column.name) in FLOAT_IN_V1:
                column.type = Float()  # 4 bytes on DuckDB until v8
        old = Table(table.name, meta, *columns)
        for index in table.indexes:  # the table-level ones (a column's own index came with it)
            if index.name not in LATER_INDEXES and len(index.columns) > 1:
                Index(index.name, *(old.c[c.name] for c in index.columns))
    return meta


LATER_INDEXES = {"ix_message_threads_open_pool", "ix_refill_requests_status"}  # v15


LATER_COLUMNS = {
    ("users", "totp_enabled_at"),  # v2
    ("users", "second_factor_failures"),  # v9
    ("users", "pending_email"),
    ("notification_outbox", "to_address"),
    ("audit_head", "mac"),
    ("users", "birth_date"),  # v11
    ("users", "language"),  # v20
    ("users", "pending_phone"),  # v22
    ("appointments", "sensitive"),
    ("message_threads", "sensitive"),
    ("statement_lines", "sensitive"),
    *(
        ("proxy_requests", column)
        for column in (
            "kind",
            "patient_first_name",
            "patient_last_name",
            "patient_birth_date",
            "patient_mrn",
            "requester_note",
            "info_requested",
            "deny_reason",
            "scopes",
            "grant_ends_at",
            "match_confirmed_by",
            "updated_at",
        )
    ),
    *(  # v12
        ("records_requests", column)
        for column in (
            "parts",
            "date_from",
            "date_to",
            "delivery",
            "limited",
            "fee_cents",
            "assigned_to",
            "updated_at",
            "denial_ground",
            "denial_note",
            "delivered_by",
            "package_name",
            "package_sha256",
            "package_bytes",
        )
    ),
    ("disclosures", "basis"),
    ("share_links", "request_id"),
    ("statement_lines", "code"),  # v13
    ("payment_plans", "months"),
    ("payment_plans", "payment_method_id"),
    ("payment_plans", "created_by"),
    ("payment_plans", "created_at"),
    ("insurance_coverages", "front_document_id"),
    ("insurance_coverages", "back_document_id"),
    ("insurance_coverages", "added_at"),
    ("sites", "address"),  # v14
    *(("appointment_slots", c) for c in ("template_id", "blocked", "held_until", "freed_at")),
    *(
        ("appointments", c)
        for c in (
            "booked_by",
            "rescheduled_from",
            "cancelled_by",
            "cancel_reason",
            "video_room",
            "checked_in_at",
        )
    ),
    *(  # v15
        ("message_threads", c)
        for c in (
            "category",
            "recipient",
            "pool",
            "assigned_to",
            "waiting_since",
            "updated_at",
            "closed_at",
            "closed_by",
        )
    ),
    ("messages", "signature"),
    ("medications", "controlled"),
    *(("refill_requests", c) for c in ("pharmacy_id", "note", "quantity", "refills", "sent_at")),
    ("portal_usage_events", "recorded_at"),  # v16
    ("users", "email_verified_at"),
    ("users", "first_sign_in_at"),
}
FLOAT_IN_V1 = {
    ("weight_readings", "weight_kg"),
    ("lab_components", "value"),
    ("lab_components", "ref_low"),
    ("lab_components", "ref_high"),
}


def test_migrating_from_version_1_gives_the_same_schema_as_a_new_database(
    empty_url: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    old = db.make_engine(empty_url)
    with old.begin() as conn:
        _version_1_metadata().create_all(conn)
        conn.execute(insert(SchemaVersion), {"version": 1, "applied_at": datetime(2026, 1, 1)})
        conn.execute(
            insert(WeightReading),
            {
                "patient_id": uuid.uuid4(),
                "measured_at": datetime(2026, 1, 2),
                "source": "manual",
                "weight_kg": 87.9,
            },
        )
    assert db.migrate(old) == (1, 1 + len(db.MIGRATIONS))
    with old.connect() as conn:  # a 4-byte 87.9 comes out of the upgrade as 87.9, not 87.90000153
        assert conn.execute(select(WeightReading.weight_kg)).scalar_one() == 87.9
    if empty_url.startswith("duckdb"):
        fresh_url = f"duckdb:///{tmp_path / 'fresh.duckdb'}"
    else:
        server = request.getfixturevalue("pg_server")
        server.psql("CREATE DATABASE fresh_schema")
        fresh_url = server.url("fresh_schema")
    fresh = db.make_engine(fresh_url)
    try:
        db.migrate(fresh)
        assert _columns(old) == _columns(fresh)
        if not empty_url.startswith("duckdb"):
            assert _indexes(old) == _indexes(fresh)
    finally:
        old.dispose()
        fresh.dispose()
        if not empty_url.startswith("duckdb"):
            server.psql("DROP DATABASE fresh_schema WITH (FORCE)")
