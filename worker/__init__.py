"""`python -m worker`: the job runner as its own process, for PostgreSQL deployments. The jobs
themselves, their registry and runner are `services.jobs`; this package only starts the runner."""
