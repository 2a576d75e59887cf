"""Box-wide settings; for now the REST API token."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from webui.auth import api_token_exists, issue_api_token, login_required, revoke_api_token
from webui.db import get_db

bp = Blueprint("settings", __name__, url_prefix="/settings")


@bp.route("")
@login_required
def index() -> ResponseReturnValue:
    """Whether an API token exists (the token itself is never shown again)."""
    return render_template("settings.html", has_token=api_token_exists(get_db()), token=None)


@bp.route("/api-token", methods=["POST"])
@login_required
def create_token() -> ResponseReturnValue:
    """Make a new API token and show it this once; the previous token stops working."""
    token = issue_api_token(get_db())
    response = render_template("settings.html", has_token=True, token=token)
    # The token is in this page only: no cache may keep a copy of it.
    return response, 200, {"Cache-Control": "no-store"}


@bp.route("/api-token/delete", methods=["POST"])
@login_required
def delete_token() -> ResponseReturnValue:
    """Revoke the API token, e.g. when a script that knew it is retired."""
    revoke_api_token(get_db())
    flash("The API token is revoked; scripts using it are refused from now on.", "success")
    return redirect(url_for("settings.index"))
