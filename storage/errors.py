"""Domain errors. Storage raises them; ``app.py`` maps each one to an HTTP problem once."""

from __future__ import annotations


class DomainError(Exception):
    """Base class. ``detail`` is safe to show to the caller."""

    def __init__(self, detail: str, *, errors: list[dict] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


class InvalidInput(DomainError):
    """The database refused a value the contract let through (a safety net: a 400, not a 500)."""


class NotFound(DomainError):
    """The object named in the request does not exist (or the caller may not know it does)."""


class Conflict(DomainError):
    """The request contradicts the current state: a duplicate, a failed JSON Patch test."""


class Unauthenticated(DomainError):
    """The operation needs to know who is calling, and the request does not say."""


class PermissionDenied(DomainError):
    """The caller is known but may not do this."""


class Unprocessable(DomainError):
    """The request is well-formed but its content breaks a rule of the domain."""


class PreconditionFailed(DomainError):
    """An ``If-Match`` precondition does not hold: the object changed since it was read."""


class Unavailable(DomainError):
    """The database cannot be reached."""
