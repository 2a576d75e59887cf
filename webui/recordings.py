"""Call recordings: each listed with its call, to play, download or delete; and their limits.

Which calls are recorded is a queue setting; how long recordings are kept and
how much disk they may take are the box's, set here, and applied by the
daemon's periodic sweep (or at once with "Apply now").
"""

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
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue

from firmware.control.client import ControlError
from firmware.store import recordings as store
from firmware.store.models import ConfigError, NotFoundError
from firmware.store.recordings import CallRecording
from webui.auth import login_required
from webui.daemon_link import daemon_is_down, daemon_request
from webui.db import get_db

bp = Blueprint("recordings", __name__, url_prefix="/recordings")
PAGE = 100


def _recordings_dir() -> Path:
    return Path(current_app.config["DATABASE"]).resolve().parent / "recordings"


def _file_of(recording: CallRecording) -> Path | None:
    """The recording's file, if it exists in the recordings folder (never anywhere else)."""
    path = Path(recording.path).resolve()
    if path.parent != _recordings_dir() or path.suffix != ".wav" or not path.is_file():
        return None
    return path


def _render(limits: dict[str, str], errors: dict[str, str]) -> ResponseReturnValue:
    conn = get_db()
    found = store.list_recordings(conn, limit=PAGE)
    calls = store.cdrs_of_calls(conn, [r.call_id for r in found])
    listed = [(r, calls.get(r.call_id, []), _file_of(r) is not None) for r in found]
    used = sum(r.bytes for r in store.oldest_recordings(conn))
    page = render_template(
        "recordings/list.html", recordings=listed, total=store.count_recordings(conn),
        used_mb=used / (1024 * 1024), limits=limits, errors=errors,
        fields=("retention_days", "quota_mb"),
    )
    return page, 400 if errors else 200


@bp.route("")
@login_required
def index() -> ResponseReturnValue:
    """The newest recordings first, each with its call and a player."""
    limits = store.get_limits(get_db())
    return _render({"retention_days": str(limits.retention_days),
                    "quota_mb": str(limits.quota_mb)}, {})


@bp.route("/limits", methods=["POST"])
@login_required
def limits() -> ResponseReturnValue:
    """Save how long recordings are kept and the disk they may use."""
    values = {name: request.form.get(name, "") for name in ("retention_days", "quota_mb")}
    try:
        saved = store.save_limits(get_db(), values)
    except ConfigError as exc:
        return _render(values, {exc.field: exc.message})
    flash(f"Recordings are kept {saved.retention_days} days, within {saved.quota_mb} MB; "
          "the next sweep applies this.", "success")
    return redirect(url_for("recordings.index"))


@bp.route("/sweep", methods=["POST"])
@login_required
def sweep() -> ResponseReturnValue:
    """Ask the daemon to apply the limits now."""
    try:
        result = daemon_request("recordings-sweep")
    except ControlError as exc:
        if daemon_is_down(exc):
            flash("The service is not running; the limits apply when it starts.", "warning")
        else:
            flash(f"Not done: {exc}", "error")
        return redirect(url_for("recordings.index"))
    flash(f"{result['deleted']} recording(s) deleted, {result['kept']} kept.", "success")
    return redirect(url_for("recordings.index"))


def _audio(recording_id: int, download: bool) -> ResponseReturnValue:
    recording = store.get_recording(get_db(), recording_id)
    if recording is None:
        abort(404)
    path = _file_of(recording)
    if path is None:
        abort(404)
    name = f"recording-{recording.call_id}-{recording.caller_number or 'unknown'}.wav"
    return send_file(path, mimetype="audio/wav", as_attachment=download, download_name=name)


@bp.route("/<int:recording_id>/play")
@login_required
def play(recording_id: int) -> ResponseReturnValue:
    """The recording's audio, for the page's player."""
    return _audio(recording_id, download=False)


@bp.route("/<int:recording_id>/download")
@login_required
def download(recording_id: int) -> ResponseReturnValue:
    """The recording as a WAV file to save (caller left, agent right)."""
    return _audio(recording_id, download=True)


@bp.route("/<int:recording_id>/delete", methods=["POST"])
@login_required
def delete(recording_id: int) -> ResponseReturnValue:
    """Forget the recording and remove its file."""
    try:
        recording = store.delete_recording(get_db(), recording_id)
    except NotFoundError:
        abort(404)
    path = _file_of(recording)
    if path is not None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    flash(f"The recording of call {recording.call_id} was deleted.", "success")
    return redirect(url_for("recordings.index"))
