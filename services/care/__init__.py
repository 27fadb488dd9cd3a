"""Care between visits: appointments (visit types, self-scheduling, the waitlist, reminders,
e-check-in with questionnaires, the clinician's schedule, schedule templates and blocks); secure
messages with the staff inbox and its pools; refill requests and the clinician's refill queue.
Uses core, billing (the insurance on file at check-in) and records (medicines and allergies)."""
