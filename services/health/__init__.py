"""Health metrics: clinical figures and policy (clinical), readings and their checks, the metrics
views and exports, device imports, and metric alerts for the care team. Uses core only."""
