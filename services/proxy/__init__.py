"""Proxy access: a patient's invitations to a caregiver, caregivers' requests for access that
HIM reviews, the grants and their scopes (the grant table is core's, since the access rules read
it), and the age rules that narrow a parent's access at 12 and end it at 18. Uses core and
identity."""
