"""Error pages: JSON under /api/, a plain page elsewhere."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from webui.auth import api_error

_PAGES: dict[int, tuple[str, str]] = {
    404: ("Not found", "There is no such page, or the item it showed was deleted."),
    405: ("Not allowed", "This address does not accept that kind of request."),
}


def _http_error(exc: HTTPException) -> ResponseReturnValue:
    code = exc.code or 500
    # Keep headers such as Allow on a 405, which clients rely on.
    headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
    if request.path.startswith("/api/"):
        return api_error(exc.description or exc.name, code), code, headers
    title, message = _PAGES.get(code, (exc.name, exc.description or exc.name))
    return render_template("error.html", title=title, message=message), code, headers


def init_app(app: Flask) -> None:
    """Answer 404 and 405 in the shape the caller understands."""
    for code in _PAGES:
        app.register_error_handler(code, _http_error)
