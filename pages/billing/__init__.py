"""Pages: billing."""
