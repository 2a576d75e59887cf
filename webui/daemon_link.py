"""The web UI's line to the running daemon, through the control socket.

Configuration never depends on it (the store is written directly); only live
state and the "reload" after a save do, and both say plainly when the daemon is
not there.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from flask import current_app, flash

from firmware.control.client import ControlClient, ControlError

# The client's sentence for a socket nobody listens on; the API repeats it.
DAEMON_DOWN = "daemon not running"


class ReloadOutcome(enum.Enum):
    """What became of a saved change."""

    APPLIED = "applied"
    NOT_RUNNING = "not-running"
    FAILED = "failed"


@dataclass(frozen=True)
class StatusReading:
    """The daemon's status, or why there is none (``status`` None, ``problem`` set)."""

    status: dict[str, Any] | None
    problem: str | None

    @property
    def running(self) -> bool:
        return self.status is not None


def control_client() -> ControlClient:
    """A client for the app's control socket."""
    return ControlClient(
        current_app.config["CONTROL_SOCKET"], timeout=current_app.config["CONTROL_TIMEOUT"]
    )


def daemon_request(cmd: str, **args: Any) -> dict[str, Any]:
    """Run one command in the daemon; raises ControlError when it is down or refuses."""
    return control_client().request(cmd, **args)


def daemon_is_down(exc: ControlError) -> bool:
    """Whether ``exc`` means nobody listens on the socket (rather than a refusal)."""
    return str(exc) == DAEMON_DOWN


def read_status() -> StatusReading:
    """The daemon's status, never raising: a page must render with the daemon down."""
    try:
        return StatusReading(daemon_request("status"), None)
    except ControlError as exc:
        return StatusReading(None, None if daemon_is_down(exc) else str(exc))


def reload_daemon() -> tuple[ReloadOutcome, str | None]:
    """Ask the daemon to apply the stored configuration, without dropping calls."""
    try:
        daemon_request("reload")
    except ControlError as exc:
        if daemon_is_down(exc):
            return ReloadOutcome.NOT_RUNNING, None
        return ReloadOutcome.FAILED, str(exc)
    return ReloadOutcome.APPLIED, None


def announce_saved(message: str) -> None:
    """Reload the daemon after a save and tell the technician whether the change is live."""
    outcome, problem = reload_daemon()
    if outcome is ReloadOutcome.APPLIED:
        flash(f"{message} The change is in effect.", "success")
    elif outcome is ReloadOutcome.NOT_RUNNING:
        flash(message, "success")
        flash("Saved. The service is not running; the change applies when it starts.", "warning")
    else:
        flash(message, "success")
        flash(
            f"Saved, but the service could not apply it now ({problem}); "
            "it applies when the service restarts.",
            "warning",
        )
