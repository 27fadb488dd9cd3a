"""Every text column of the schema, sorted into text people wrote (typed in the portal, brought in
by a file or an outside record, or entered in the clinic's directory and records) and codes the
portal itself writes. The walk over every page (tests/pages/test_user_text_pages.py) fills the
first kind with markup; a new column must be put in one of the two, so that a new field is walked
by default."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session

from services.core import crypto
from services.core.models import Base

WRITTEN = {
    "allergies": {"substance", "reaction"},
    "amendments": {
        "item_label",
        "change",
        "reason",
        "amendment_text",
        "denial_note",
        "disagreement",
        "rebuttal",
        "notify",
    },
    "appointment_requests": {"preferred", "note"},
    "appointments": {"reason", "cancel_reason"},
    "assistance_applications": {"decision_note"},
    "assistance_documents": {"title"},
    "audit_log": {"actor_username", "detail"},
    "care_teams": {"name"},
    "checkins": {"medication_changes", "allergy_changes"},
    "clinical_notes": {"title", "body"},
    "contact_changes": {"old_value", "new_value"},
    "disclosures": {"recipient", "description", "purpose"},
    "documents": {"title"},
    "encounters": {"reason", "visit_summary"},
    "adjustments": {"note"},
    "imaging_reports": {"study", "report_text"},
    "immunizations": {"vaccine", "lot"},
    "insurance_coverages": {"payer", "member_id", "group_number"},
    "lab_components": {"name", "value_text", "unit"},
    "lab_results": {"panel_name", "hold_note", "clinician_comment"},
    "medications": {"name", "dose", "frequency"},
    "message_attachments": {"title"},
    "message_threads": {"subject"},
    "messages": {"body", "signature"},
    "metric_alerts": {"note"},
    "notification_outbox": {"subject", "body", "to_address"},
    "outside_imports": {"source", "file_name"},
    "outside_items": {"name", "value_text", "unit", "detail"},
    "patients": {"first_name", "middle_name", "last_name", "email", "phone", "address"},
    "pharmacies": {"name", "address", "phone"},
    "problems": {"description"},
    "providers": {"name", "credentials", "specialty"},
    "proxy_invitations": {"invitee_name", "invitee_email"},
    "proxy_request_documents": {"title"},
    "webauthn_credentials": {"name"},  # the name the person gave their key
    "known_browsers": {"description"},  # read from the user agent, which the browser writes
    "sso_links": {"subject"},  # the identity provider's user id, typed by an admin
    "proxy_requests": {
        "decision_note",
        "patient_first_name",
        "patient_last_name",
        "patient_mrn",
        "requester_note",
        "info_requested",
    },
    "record_updates": {
        "first_name",
        "middle_name",
        "last_name",
        "reporter_name",
        "reporter_phone",
        "new_first_name",
        "new_last_name",
        "adoptive_parents",
        "decided_note",
    },
    "records_requests": {"recipient", "details", "extension_reason", "denial_note"},
    "refill_requests": {"pharmacy", "decision_note", "note"},
    "refunds": {"reason", "decision_note"},
    "release_authorizations": {
        "recipient_name",
        "recipient_address",
        "purpose",
        "end_event",
        "signature",
    },
    "result_hold_decisions": {"note"},
    "schedule_blocks": {"reason"},
    "share_links": {"recipient_name", "recipient_email"},
    "sites": {"name", "address"},
    "statement_lines": {"description"},
    "thread_notes": {"body"},
    "users": {"display_name", "email", "pending_email", "phone", "pending_phone"},
}

# Written by the portal: states, kinds and codes from its own lists (shown through its own words),
# identifiers, hashes, references from the payment processor, and file names it made.
CODES = {
    "allergies": {"severity"},
    "amendments": {"item_kind", "decision", "denial_ground"},
    "appointment_requests": {"visit_type", "status"},
    "appointment_slots": {"visit_type"},
    "appointments": {"visit_type", "status", "video_room"},
    "assistance_applications": {"status"},
    "assistance_documents": {"content_type", "storage_name", "sha256"},
    "audit_head": {"last_mac", "mac"},
    "audit_log": {"actor_role", "action", "outcome", "prev_mac", "mac"},
    "audit_verifications": {"kind", "last_mac", "problem", "tag"},
    "blood_pressure_readings": {"source"},
    "care_team_members": {"member_role"},
    "checkouts": {
        "purpose",
        "idempotency_key",
        "processor_ref",
        "url",
        "status",
        "payment_ref",
        "card_last4",
    },
    "clinical_notes": {"note_type"},
    "contact_changes": {"kind", "undo_hash"},
    "disclosures": {"basis"},
    "documents": {"doc_type", "content_type", "storage_name", "sha256"},
    "encounters": {"kind"},
    "glucose_readings": {"source", "flag"},
    "adjustments": {"reason"},
    "imaging_reports": {"modality"},
    "immunizations": {"cvx"},
    "job_runs": {"job", "outcome", "error"},
    "lab_components": {"loinc", "flag"},
    "lab_results": {"panel_code", "category", "status", "hold_reason"},
    "medications": {"rxnorm", "status", "controlled"},
    "message_attachments": {"content_type", "storage_name", "sha256"},
    "message_threads": {"status", "category", "recipient", "pool"},
    "metric_alerts": {"metric", "rule", "value_text"},
    "notification_outbox": {"channel", "kind", "last_error"},
    "notification_preferences": {"kind"},
    "one_time_codes": {"purpose", "code_hash"},
    "activation_codes": {"code_hash"},
    "outside_imports": {"sha256"},
    "outside_items": {"key", "kind", "code", "status"},
    "patients": {"mrn", "sex"},
    "payment_methods": {"customer_ref", "processor_ref", "brand", "last4"},
    "payment_plans": {"status"},
    "payments": {"method", "card_last4", "processor_ref", "status"},
    "pharmacies": {"ncpdp_id"},
    "plan_instalments": {"status", "payment_ref"},
    "portal_usage_events": {"feature"},
    "problems": {"code", "status"},
    "processor_events": {"event_id", "kind", "reference", "outcome"},
    "protected_slices": {"digest", "hidden"},
    "providers": {"npi"},
    "proxy_grants": {"relationship", "scopes", "basis"},
    "proxy_invitations": {"relationship", "scopes", "token_hash"},
    "proxy_notices": {"kind"},
    "proxy_request_documents": {"doc_type", "content_type", "storage_name", "sha256"},
    "proxy_requests": {"relationship", "status", "kind", "deny_reason", "scopes"},
    "questionnaire_responses": {"instrument", "answers", "severity"},
    "record_updates": {
        "kind",
        "mrn",
        "reporter_relationship",
        "document_type",
        "storage_name",
        "sha256",
        "content_type",
    },
    "records_requests": {
        "kind",
        "status",
        "parts",
        "delivery",
        "denial_ground",
        "delivered_by",
        "package_name",
        "package_sha256",
    },
    "recovery_codes": {"code_hash"},
    "refill_requests": {"status"},
    "refunds": {"status", "processor_ref"},
    "release_authorizations": {"parts", "signer_relationship"},
    "result_delay_preferences": {"category"},
    "result_hold_decisions": {"decision", "reason"},
    "schedule_templates": {"slot_kind"},
    "service_facts": {"kind", "site", "age_band", "queue"},
    "share_links": {"what", "token_hash"},
    "sites": {"code", "state"},
    "statement_lines": {"code"},
    "statements": {"status"},
    "thread_notes": {"kind"},
    "throttles": {"key_hash"},
    "unit_preferences": {"weight", "glucose"},
    "usage_group_days": {"site", "age_band"},
    "usage_hours": {"site", "age_band"},
    "usage_user_days": {"site", "age_band"},
    "usage_user_periods": {"unit", "site", "age_band"},
    "user_roles": {"role"},
    "user_sessions": {"token_hash", "end_reason"},
    "users": {"username", "password_hash", "status", "terms_version", "language"},
    "waitlist_entries": {"slot_kind", "status"},
    "waitlist_offers": {"status"},
    "webauthn_challenges": {"purpose", "kind", "challenge_hash"},
    "webauthn_credentials": {"credential_id", "kind", "transports"},
    "known_browsers": {"browser_hash"},
    "sso_links": {"issuer"},
    "sso_logins": {"state_hash", "browser_hash", "sealed"},
    "weight_readings": {"source"},
}


# Kept encrypted (the outbox's bodies): filled with the markup sealed the same way.
SEALED = {("notification_outbox", "body")}


def text_columns() -> Iterator[tuple[Table, str]]:
    """Every text column of the schema, as (table, column name)."""
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if column.type.python_type is str:
                yield table, column.name


def markup(token: str) -> str:
    """Bold, an HTML tag and a link if read as Markdown or HTML; each field gets its own token."""
    return f"**{token}**<i>"


def fill(session: Session) -> dict[str, str]:
    """Every written text of every row replaced by markup naming its column; returns token to
    "table.column" for the columns that held a value. The audit chain is left alone (its rows
    are signed); the rest is written directly: the walk checks how pages show text, not what
    the services accept."""
    tokens: dict[str, str] = {}
    for table, name in text_columns():
        if name not in WRITTEN.get(table.name, set()) or table.name == "audit_log":
            continue
        token = f"ut{len(tokens):03d}"
        value = markup(token)
        if (table.name, name) in SEALED:
            value = crypto.encrypt(value.encode()).decode()
        held = table.c[name].is_not(None)
        if session.scalar(select(func.count()).select_from(table).where(held)):
            session.execute(update(table).where(held).values({name: value}))
            tokens[token] = f"{table.name}.{name}"
    return tokens
