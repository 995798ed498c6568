"""The agent console: ``/`` (its page) and ``/console/<file>`` (its scripts and styles).

The files are static, shipped in the package (``services/api/console/static/``) and served
without a token: the page asks for one and sends it with every data call. Only the files listed
in :data:`FILES` (the folder as it is when this module is imported) are served — a name outside
it is a 404, so no path from a request reaches the filesystem.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import FileResponse

from services.api.errors import NotFoundError

router = APIRouter(include_in_schema=False)

CONSOLE_DIR = Path(__file__).with_name("static")
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}
FILES: dict[str, str] = {
    path.name: MEDIA_TYPES[path.suffix]
    for path in sorted(CONSOLE_DIR.iterdir())
    if path.is_file() and path.suffix in MEDIA_TYPES
}
"""Every file of ``static/`` with one of :data:`MEDIA_TYPES`, by name: the page, its ES modules
(``console.js`` imports the others) and its styles."""
# Everything the page loads comes from this origin; the data calls go to the same API.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
FileName = Annotated[str, PathParam(max_length=64)]


def _file(name: str) -> FileResponse:
    media_type = FILES.get(name)
    path = CONSOLE_DIR / name
    if media_type is None or not path.is_file():
        raise NotFoundError("not_found", f"no console file {name}")
    return FileResponse(path, media_type=media_type, headers=HEADERS)


@router.get("/")
async def console_page() -> FileResponse:
    """The console's page; it signs in with a token kept in the browser."""
    return _file("index.html")


@router.get("/console/{name}")
async def console_file(name: FileName) -> FileResponse:
    """One of the console's scripts or styles; 404 for any other name."""
    return _file(name)
