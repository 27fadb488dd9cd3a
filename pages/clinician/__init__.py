"""Pages: clinician."""
