"""Voicemail: the messages callers left, to play in the browser, download or delete."""

from __future__ import annotations

import contextlib
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue

from firmware.store import sync
from firmware.store.models import NotFoundError, VoicemailMessage
from webui.auth import login_required
from webui.db import get_db

bp = Blueprint("voicemail", __name__, url_prefix="/voicemail")
PAGE = 100


def _data_dir() -> Path:
    return Path(current_app.config["DATABASE"]).resolve().parent


def _file_of(message: VoicemailMessage) -> Path | None:
    """The message's file, if it exists inside the data directory (never anywhere else)."""
    path = Path(message.path).resolve()
    if not path.is_relative_to(_data_dir()) or path.suffix != ".wav" or not path.is_file():
        return None
    return path


@bp.route("")
@login_required
def index() -> ResponseReturnValue:
    """The newest messages first, each with a player."""
    conn = get_db()
    messages = [(m, _file_of(m) is not None) for m in sync.list_voicemail(conn, limit=PAGE)]
    return render_template(
        "voicemail/list.html", messages=messages, total=sync.count_voicemail(conn)
    )


def _audio(message_id: int, download: bool) -> ResponseReturnValue:
    message = sync.get_voicemail(get_db(), message_id)
    if message is None:
        abort(404)
    path = _file_of(message)
    if path is None:
        abort(404)
    name = f"voicemail-{message.id}-{message.caller_number or 'unknown'}.wav"
    return send_file(path, mimetype="audio/wav", as_attachment=download, download_name=name)


@bp.route("/<int:message_id>/play")
@login_required
def play(message_id: int) -> ResponseReturnValue:
    """The message's audio, for the page's player."""
    return _audio(message_id, download=False)


@bp.route("/<int:message_id>/download")
@login_required
def download(message_id: int) -> ResponseReturnValue:
    """The message as a WAV file to save."""
    return _audio(message_id, download=True)


@bp.route("/<int:message_id>/delete", methods=["POST"])
@login_required
def delete(message_id: int) -> ResponseReturnValue:
    """Forget the message and remove its file."""
    try:
        message = sync.delete_voicemail(get_db(), message_id)
    except NotFoundError:
        abort(404)
    path = _file_of(message)
    if path is not None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    caller = message.caller_number or "an unknown caller"
    flash(f"The message from {caller} was deleted.", "success")
    return redirect(url_for("voicemail.index"))
