"""Pages: staff."""
