"""Pages: admin."""
