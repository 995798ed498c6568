"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc): the OpenAPI schema's pages, served from this
origin out of an installed package (``fastapi-offline``'s copies of Swagger UI and ReDoc, pinned
with the package), never from a CDN, under a Content-Security-Policy.

The pages share their origin with the console, whose token sits in the browser: so every script
they run comes from here (no inline script, no other host), they cannot be framed, and they
call nothing but this API. Only the files in :data:`ASSETS` are served. ``TWEETCARE_API_DOCS=
false`` turns the pages off (404).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import fastapi_offline
from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse

from services.api.errors import NotFoundError

router = APIRouter(include_in_schema=False)

_PACKAGE = Path(fastapi_offline.__file__).with_name("static")
_OURS = Path(__file__).with_name("static")
ASSETS: dict[str, tuple[Path, str]] = {
    "swagger-ui-bundle.js": (_PACKAGE / "swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
    "swagger-ui.css": (_PACKAGE / "swagger-ui.css", "text/css; charset=utf-8"),
    "redoc.standalone.js": (_PACKAGE / "redoc.standalone.js", "text/javascript; charset=utf-8"),
    "favicon.png": (_PACKAGE / "favicon.png", "image/png"),
    "swagger-init.js": (_OURS / "swagger-init.js", "text/javascript; charset=utf-8"),
}
"""Every file the two pages load, by the name they load it by."""

_COMMON = (
    "default-src 'none'; script-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
# ReDoc styles itself with <style> elements it writes (styled-components) and searches in a
# worker it makes from a blob: those two, and only on its page.
CSP = {
    "swagger": f"{_COMMON}; style-src 'self'",
    "redoc": f"{_COMMON}; style-src 'self' 'unsafe-inline'; worker-src blob:",
}
_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}

SWAGGER_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tweetcare API</title>
<link rel="icon" href="/docs/assets/favicon.png">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/swagger-init.js"></script></body></html>
"""
REDOC_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tweetcare API</title>
<link rel="icon" href="/docs/assets/favicon.png"></head>
<body><redoc spec-url="/openapi.json"></redoc>
<script src="/docs/assets/redoc.standalone.js"></script></body></html>
"""
AssetName = Annotated[str, PathParam(max_length=64)]


@router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    return HTMLResponse(
        SWAGGER_PAGE, headers={**_HEADERS, "Content-Security-Policy": CSP["swagger"]}
    )


@router.get("/redoc")
async def redoc() -> HTMLResponse:
    return HTMLResponse(REDOC_PAGE, headers={**_HEADERS, "Content-Security-Policy": CSP["redoc"]})


@router.get("/docs/assets/{name}")
async def asset(name: AssetName) -> FileResponse:
    """One of the files in :data:`ASSETS`; 404 for any other name."""
    found = ASSETS.get(name)
    if found is None:
        raise NotFoundError("not_found", f"no documentation file {name}")
    path, media_type = found
    return FileResponse(
        path, media_type=media_type,
        headers={**_HEADERS, "Cache-Control": "public, max-age=86400"},
    )  # fmt: skip
