"""Deterministic synthetic data for the portal (`python -m seed`)."""
