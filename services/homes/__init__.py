"""Each role's home page: small SQL summaries of the domains (patient, clinician, him, billing).
Uses core, health and records; nothing imports it but pages."""
