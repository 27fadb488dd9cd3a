"""Health information management: records requests (ROI) and their legal deadlines (the table
today; the queues come with the records-requests issue). Uses core and records."""
