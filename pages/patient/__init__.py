"""Pages: patient."""
