"""The demo payment processor (development and tests only)."""
