"""`python -m jobs`: the job runner as its own process, for PostgreSQL deployments."""
