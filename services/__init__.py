"""The portal's use cases: validate, authorize, do, audit — one transaction each."""
