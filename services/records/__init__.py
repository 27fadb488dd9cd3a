"""The record: results and their release, visits, notes and lists (records), documents, the FHIR
export, printouts (PDF, CSV) and share links. Uses core and health (vital signs in FHIR)."""
