"""Pages: him."""
