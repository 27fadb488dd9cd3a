"""Care between visits: appointments and their slots, secure messages, refill requests (the
tables today; the services come with the appointments and messaging issues). Uses core."""
