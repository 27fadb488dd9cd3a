"""Pages: proxy."""
