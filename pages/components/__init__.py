"""Shared widgets and the frame's helpers; no page list includes this package."""
