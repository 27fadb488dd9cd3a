"""Billing: the ledger of statements, payments and adjustments; the patient's account, paying on
the processor's hosted page, payment plans, financial assistance and insurance cards; billing
staff's receivables, payments desk, refunds and monthly statements. Uses core and records (the
printouts, the patient's documents); never clinical content."""
