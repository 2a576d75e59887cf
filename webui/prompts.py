"""Prompts: the recordings callers hear, listened to, replaced and uploaded here.

An upload may be any WAV a technician has (any rate, mono or stereo, 8/16/24-bit);
it is converted once, on upload, to what the box plays (8 kHz, 16-bit, mono, with
anti-alias resampling), so playout never resamples. An upload named like a
shipped prompt replaces it; deleting the upload brings the shipped one back.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue

from firmware.ivr.prompts import SHIPPED
from firmware.media.prompts import PromptError, load_prompt, save_wav
from webui.auth import login_required
from webui.daemon_link import announce_saved

bp = Blueprint("prompts", __name__, url_prefix="/prompts")

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # a ten-minute CD-quality WAV; prompts are far shorter


def upload_dir() -> Path:
    """The data directory's prompt folder, the one the daemon's prompt library reads first."""
    return Path(current_app.config["DATABASE"]).parent / "prompts"


def _listing() -> list[dict[str, object]]:
    uploads = {p.stem: p for p in upload_dir().glob("*.wav")} if upload_dir().is_dir() else {}
    shipped = {p.stem: p for p in SHIPPED.glob("*.wav")}
    rows = []
    for name in sorted(set(uploads) | set(shipped)):
        path = uploads.get(name) or shipped[name]
        rows.append({
            "name": name,
            "uploaded": name in uploads,
            "replaces_shipped": name in uploads and name in shipped,
            "seconds": _seconds(path),
        })
    return rows


def _seconds(path: Path) -> float | None:
    # The stored files are 8 kHz 16-bit mono with a 44-byte header, by construction.
    try:
        return max(0, path.stat().st_size - 44) / 16000
    except OSError:
        return None


def _render(errors: dict[str, str], name: str = "") -> ResponseReturnValue:
    page = render_template("prompts/list.html", prompts=_listing(), errors=errors, name=name)
    return page, 400 if errors else 200


@bp.route("")
@login_required
def index() -> ResponseReturnValue:
    """Every prompt a flow can play, shipped or uploaded, with a player."""
    return _render({})


@bp.route("", methods=["POST"])
@login_required
def upload() -> ResponseReturnValue:
    """Convert and store an uploaded WAV; a file that cannot be played changes nothing."""
    name = request.form.get("name", "").strip()
    if not NAME.fullmatch(name):
        return _render({"name": "Use letters, digits, '-' and '_' (up to 64), e.g. welcome."},
                       name)
    file = request.files.get("file")
    if file is None or not file.filename:
        return _render({"file": "Choose a WAV file to upload."}, name)
    data = file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        return _render({"file": "The file is larger than 20 MB; shorten it first."}, name)
    folder = upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        original = Path(scratch) / "upload.wav"
        original.write_bytes(data)
        try:
            samples = load_prompt(original)
        except PromptError as exc:
            return _render({"file": f"This file cannot be used: {exc}"}, name)
        if samples.size == 0:
            return _render({"file": "This file holds no sound."}, name)
        converted = Path(scratch) / "converted.wav"
        save_wav(converted, samples)
        # Replace in one step, so the daemon never reads half a file.
        os.replace(converted, folder / f"{name}.wav")
    announce_saved(f"Prompt {name} uploaded ({samples.size / 8000:.1f} s).")
    return redirect(url_for("prompts.index"))


@bp.route("/<name>.wav")
@login_required
def audio(name: str) -> ResponseReturnValue:
    """The prompt as the box plays it, for the page's player."""
    if not NAME.fullmatch(name):
        abort(404)
    for folder in (upload_dir(), SHIPPED):
        path = folder / f"{name}.wav"
        if path.is_file():
            return send_file(path, mimetype="audio/wav")
    abort(404)


@bp.route("/<name>/delete", methods=["POST"])
@login_required
def delete(name: str) -> ResponseReturnValue:
    """Delete an upload; a shipped prompt of the same name plays again."""
    if not NAME.fullmatch(name):
        abort(404)
    path = upload_dir() / f"{name}.wav"
    if not path.is_file():
        abort(404)
    path.unlink()
    announce_saved(f"Uploaded prompt {name} deleted.")
    return redirect(url_for("prompts.index"))
