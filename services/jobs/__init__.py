"""Work that must happen at a time, not when someone clicks: the registry of scheduled jobs
(registry), the runner that runs each due job once per slot of its schedule and records every
run (runner), and what admins see of them (overview). Uses core and the domains whose jobs it
runs; nothing but the server, `python -m worker` and pages uses it."""
