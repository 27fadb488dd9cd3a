"""Proxy access: caregivers' requests for access (the table today; grants are core's, since the
access policy reads them; the workflow comes with the proxy issue). Uses core."""
