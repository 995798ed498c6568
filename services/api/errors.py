"""The errors the API's domains raise: a stable ``code``, a human ``message`` and details.

Nothing here knows HTTP. Each kind of error stands for one way a request fails (not found,
not allowed, refused as it is, in conflict with the case); :mod:`services.api.error_handlers`
maps the kinds to status codes in one place.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A request the API will not carry out; ``code`` is stable, ``detail`` goes into the body."""

    def __init__(self, code: str, message: str, **detail: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail


class UnauthenticatedError(DomainError):
    """No token, or one that is unknown or revoked."""


class ForbiddenError(DomainError):
    """The token's role may not do this."""


class NotFoundError(DomainError):
    """The thing asked for does not exist (or is not the asker's)."""


class InvalidInputError(DomainError):
    """Well-formed input the API refuses as it is (a reply too long, an unknown variable)."""


class BadQueryError(DomainError):
    """A read the read model cannot answer: a cursor from elsewhere, a filter a target lacks."""


class ConflictError(DomainError):
    """The action contradicts the case (a public reply to a DM case)."""


class CaseNotFoundError(NotFoundError):
    def __init__(self, case_id: str) -> None:
        super().__init__("case_not_found", f"there is no case {case_id}", case_id=case_id)


class InvalidCursorError(BadQueryError):
    def __init__(self, why: str) -> None:
        super().__init__("invalid_cursor", f"the cursor is not valid here: {why}")


class InvalidSearchError(BadQueryError):
    def __init__(self, why: str) -> None:
        super().__init__("invalid_search", why)


class CannedNotFoundError(NotFoundError):
    def __init__(self, doc_id: str) -> None:
        super().__init__("canned_not_found", f"no canned reply {doc_id}")


class RetryLaterError(DomainError):
    """A request refused for now: ``retry_after_s`` is when trying again may work."""

    def __init__(self, code: str, message: str, retry_after_s: float, **detail: Any) -> None:
        super().__init__(code, message, **detail)
        self.retry_after_s = retry_after_s


class TooManyRequestsError(RetryLaterError):
    """The token is over its rate or holds as many of a scarce thing as it may (exports)."""


class UnavailableError(RetryLaterError):
    """Something the API needs (Elasticsearch) is not answering."""
