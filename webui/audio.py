"""Audio: where music on hold comes from, and the paging extension.

Music on hold plays either uploaded prompts (a playlist, in the order given,
looped) or the sound device's line-in, live. The page writes the store and asks
the daemon to reload; whether the box has a sound device (and a line-in) is read
from the daemon's status, so a technician is told why the line-in cannot be
chosen on a board without one.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from firmware.ivr.prompts import SHIPPED
from firmware.store import audio as audio_store
from firmware.store.models import ConfigError
from webui.auth import login_required
from webui.daemon_link import announce_saved, read_status
from webui.db import get_db
from webui.prompts import upload_dir

bp = Blueprint("audio", __name__, url_prefix="/audio")


def _prompt_names() -> list[str]:
    names = {p.stem for p in SHIPPED.glob("*.wav")}
    if upload_dir().is_dir():
        names.update(p.stem for p in upload_dir().glob("*.wav"))
    return sorted(names)


def _render(form: dict[str, Any], errors: dict[str, str]) -> ResponseReturnValue:
    reading = read_status()
    audio = (reading.status or {}).get("audio") if reading.running else None
    page = render_template(
        "audio/settings.html", form=form, errors=errors, prompts=_prompt_names(),
        audio=audio, daemon_running=reading.running,
    )
    return page, 400 if errors else 200


@bp.route("")
@login_required
def index() -> ResponseReturnValue:
    """The current settings, and what the daemon reports of its sound device."""
    try:
        config = audio_store.get_audio(get_db())
    except ConfigError as exc:
        return _render(audio_store.AudioConfig().to_dict(), {exc.field: exc.message})
    return _render(config.to_dict(), {})


@bp.route("", methods=["POST"])
@login_required
def save() -> ResponseReturnValue:
    """Store the settings; a bad value changes nothing and is shown beside its field."""
    form = {
        "moh_source": request.form.get("moh_source", "files"),
        "moh_playlist": request.form.get("moh_playlist", ""),
        "paging_extension": request.form.get("paging_extension", ""),
    }
    try:
        config = audio_store.validate_audio(form)
    except ConfigError as exc:
        return _render(form, {exc.field: exc.message})
    known = set(_prompt_names())
    unknown = [name for name in config.moh_playlist if name not in known]
    if unknown:
        return _render(form, {"moh_playlist": f"there is no prompt named {unknown[0]!r}; "
                                              "upload it on the Prompts page first"})
    if config.moh_source == "files" and not config.moh_playlist:
        return _render(form, {"moh_playlist": "name at least one prompt to play, "
                                              "or callers on hold hear silence"})
    audio_store.save_audio(get_db(), config)
    announce_saved("Audio settings saved.")
    return redirect(url_for("audio.index"))
