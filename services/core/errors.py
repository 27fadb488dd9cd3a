"""The typed errors that services raise and pages show as messages."""

from __future__ import annotations

from services.core.language import t


class PortalError(Exception):
    """Base of every error a page may show to the user as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(PortalError):
    pass


class PermissionDenied(PortalError):
    pass


class ValidationError(PortalError):
    """Bad input; `fields` maps a field name to its message."""

    def __init__(self, fields: dict[str, str], message: str | None = None) -> None:
        super().__init__(message or t("Please correct the marked fields."))
        self.fields = dict(fields)

    def __str__(self) -> str:
        details = "; ".join(f"{k}: {v}" for k, v in self.fields.items())
        return f"{self.message} ({details})" if details else self.message


class Conflict(PortalError):
    pass


class Unavailable(PortalError):
    """The database cannot be reached or written just now; nothing was changed."""


class RateLimited(PortalError):
    pass


class AuthenticationFailed(PortalError):
    pass


class ConfigurationError(PortalError):
    """The deployment is misconfigured; start-up stops with this one line."""
