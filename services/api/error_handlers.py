"""Every error answers with a status, a stable code and a message, never a stack trace.

The one place that turns the domains' errors (:mod:`services.api.errors`) into HTTP: the body is
always ``{"error": {"code", "message", ...details}}``.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from elastic_transport import ConnectionError as EsConnectionError
from elastic_transport import ConnectionTimeout as EsConnectionTimeout
from elasticsearch import ApiError as EsApiError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.api.errors import (
    BadQueryError,
    ConflictError,
    DomainError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    RetryLaterError,
    TooManyRequestsError,
    UnauthenticatedError,
    UnavailableError,
)

log = logging.getLogger("tweetcare.api")

STATUS: dict[type[DomainError], int] = {
    BadQueryError: 400,
    UnauthenticatedError: 401,
    ForbiddenError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    InvalidInputError: 422,
    TooManyRequestsError: 429,
    UnavailableError: 503,
}
"""The status of each kind of domain error (a subclass answers as its kind)."""


def status_of(exc: DomainError) -> int:
    """The HTTP status of ``exc``: that of the nearest kind in :data:`STATUS`, else 500."""
    return next((STATUS[k] for k in type(exc).__mro__ if k in STATUS), 500)


def body(code: str, message: str, **detail: Any) -> dict[str, Any]:
    """The JSON body of every error: ``{"error": {"code", "message", ...}}``."""
    return {"error": {"code": code, "message": message, **detail}}


ES_RETRY_AFTER_S = 5.0
"""What ``Retry-After`` says while Elasticsearch does not answer."""
_ES_DOWN = (502, 503, 504, 429)


def from_elasticsearch(exc: Exception) -> DomainError | None:
    """The domain error an Elasticsearch failure stands for: not answering (no connection, a
    timeout, 429/5xx from the cluster or a proxy) is :class:`UnavailableError`; an aggregation
    over too many buckets is ``too_many_buckets``; anything else is None (a bug: a 500)."""
    if isinstance(exc, (EsConnectionError, EsConnectionTimeout)):
        return UnavailableError(
            "elasticsearch_unavailable", "the read model is not answering; try again shortly",
            ES_RETRY_AFTER_S,
        )  # fmt: skip
    if isinstance(exc, EsApiError):
        if "too_many_buckets_exception" in str(exc.body):
            return BadQueryError(
                "too_many_buckets", "the statistics asked for hold too many groups and periods: "
                "narrow the window, choose a longer interval or filter by queue or brand",
            )  # fmt: skip
        if "index_not_found_exception" in str(exc.body):  # before the indexer made it, a rebuild
            return UnavailableError(
                "elasticsearch_unavailable", "the read model is being built; try again shortly",
                ES_RETRY_AFTER_S,
            )  # fmt: skip
        if exc.meta.status in _ES_DOWN:
            return UnavailableError(
                "elasticsearch_unavailable", "the read model is overloaded or recovering; try "
                "again shortly", ES_RETRY_AFTER_S,
            )  # fmt: skip
    return None


def respond(exc: DomainError) -> JSONResponse:
    """The answer to ``exc``: its status and body, and ``Retry-After`` (whole seconds, at least
    1) when it is to be tried again later."""
    headers = {}
    if isinstance(exc, RetryLaterError):
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after_s)))
    return JSONResponse(
        body(exc.code, exc.message, **exc.detail), status_code=status_of(exc), headers=headers
    )


def install(app: FastAPI) -> None:
    """Route every error through :func:`body`."""

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return respond(exc)

    async def _elasticsearch(request: Request, exc: Exception) -> JSONResponse:
        error = from_elasticsearch(exc)
        if error is None:
            return await _unexpected(request, exc)
        if isinstance(error, UnavailableError):
            log.warning(
                "elasticsearch unavailable",
                extra={"path": request.url.path, "why": type(exc).__name__},
            )
        return respond(error)

    for kind in (EsConnectionError, EsConnectionTimeout, EsApiError):
        app.add_exception_handler(kind, _elasticsearch)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [
            {"field": ".".join(str(p) for p in e["loc"]), "problem": e["msg"]} for e in exc.errors()
        ]
        return JSONResponse(
            body("invalid_input", "the request is not valid; see fields", fields=fields),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # FastAPI's "error parsing the body" (bytes that are not UTF-8)
            return JSONResponse(
                body("invalid_input", "the request is not valid; see fields",
                     fields=[{"field": "body", "problem": str(exc.detail)}]),
                status_code=422,
            )  # fmt: skip
        codes = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}
        code = codes.get(exc.status_code, "http_error")
        return JSONResponse(body(code, str(exc.detail)), status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", exc_info=exc, extra={"path": request.url.path})
        return JSONResponse(
            body("internal_error", "something went wrong on our side; it has been logged"),
            status_code=500,
        )
