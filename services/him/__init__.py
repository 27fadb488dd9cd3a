"""Health information management: records requests (ROI) and the legal clocks they run on
(`deadlines`: every kind's days and its one extension, on the clinic's calendar), and the checks
of a release authorization (`authorization`, 164.508); the queues come with the records-requests
issue. Uses core and records."""
