"""Pages: public."""
