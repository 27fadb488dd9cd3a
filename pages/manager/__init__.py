"""Pages: manager."""
