"""Domain errors raised by services; the API and views turn them into responses."""

from __future__ import annotations


class TrellisError(Exception):
    """Base of domain errors. `errors` is a list of (field, message) pairs."""

    status = 400

    def __init__(self, detail: str, errors: list[tuple[str, str]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors or [])

    @classmethod
    def field(cls, field: str, message: str) -> TrellisError:
        return cls(f"{field}: {message}", [(field, message)])


class InvalidInput(TrellisError):
    status = 400


class NotFound(TrellisError):
    """Missing, or not visible to the caller (the two answer alike so ids do not leak)."""

    status = 404


class Forbidden(TrellisError):
    """The caller may see the record but not do this to it."""

    status = 403


class Conflict(TrellisError):
    status = 409


class StaleVersion(TrellisError):
    status = 412


class Throttled(TrellisError):
    status = 429
