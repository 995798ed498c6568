"""Every error answers with a status, a stable code and a message, never a stack trace.

The one place that turns the domains' errors (:mod:`services.api.errors`) into HTTP: the body is
always ``{"error": {"code", "message", ...details}}``.
"""

from __future__ import annotations

import logging
from typing import Any

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
    UnauthenticatedError,
)

log = logging.getLogger("tweetcare.api")

STATUS: dict[type[DomainError], int] = {
    BadQueryError: 400,
    UnauthenticatedError: 401,
    ForbiddenError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    InvalidInputError: 422,
}
"""The status of each kind of domain error (a subclass answers as its kind)."""


def status_of(exc: DomainError) -> int:
    """The HTTP status of ``exc``: that of the nearest kind in :data:`STATUS`, else 500."""
    return next((STATUS[k] for k in type(exc).__mro__ if k in STATUS), 500)


def body(code: str, message: str, **detail: Any) -> dict[str, Any]:
    """The JSON body of every error: ``{"error": {"code", "message", ...}}``."""
    return {"error": {"code": code, "message": message, **detail}}


def install(app: FastAPI) -> None:
    """Route every error through :func:`body`."""

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(body(exc.code, exc.message, **exc.detail), status_code=status_of(exc))

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
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(body(code, str(exc.detail)), status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", exc_info=exc, extra={"path": request.url.path})
        return JSONResponse(
            body("internal_error", "something went wrong on our side; it has been logged"),
            status_code=500,
        )
