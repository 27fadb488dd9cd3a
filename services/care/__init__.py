"""Care between visits: appointments (visit types, self-scheduling, the waitlist, reminders,
e-check-in with questionnaires, the clinician's schedule, schedule templates and blocks); secure
messages and refill requests (their tables today; issue 15 adds the services). Uses core,
billing (the insurance on file at check-in) and records (medicines and allergies)."""
