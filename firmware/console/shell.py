"""The console session: log in, run commands, log out. Bytes in, bytes out.

The shell never touches the serial port or the clock itself: the port loop
feeds it what the terminal sent and writes back what it returns, and passes the
current time, so the lock-out after wrong passwords is testable.
"""

from __future__ import annotations

import enum
import shlex

from firmware.console.commands import CommandContext, CommandFailed, run_command
from firmware.console.lines import LineEditor
from firmware.store.admin import PasswordError

MAX_FAILURES = 5
LOCKOUT_SECONDS = 300.0


class Phase(enum.Enum):
    NO_PASSWORD = "no-password"  # first start: the admin must choose one
    NEW_PASSWORD = "new-password"
    CONFIRM_PASSWORD = "confirm-password"
    LOGIN = "login"
    READY = "ready"


class ConsoleShell:
    """One operator session on the serial console."""

    def __init__(self, context: CommandContext) -> None:
        self._ctx = context
        self._editor = LineEditor()
        self._phase = Phase.LOGIN
        self._failures: list[float] = []
        self._locked_until = 0.0
        self._new_password = ""
        self._return_phase = Phase.READY

    def start(self, now: float) -> bytes:
        """The banner and first prompt of a session."""
        self._phase = Phase.LOGIN if self._ctx.password_is_set() else Phase.NO_PASSWORD
        banner = f"Centrala {self._ctx.version} serial console\r\n"
        if self._phase is Phase.NO_PASSWORD:
            banner += "No admin password is set yet. Choose one now.\r\n"
            return banner.encode() + self._ask_new_password(Phase.LOGIN)
        return banner.encode() + self._prompt()

    def feed(self, data: bytes, now: float) -> bytes:
        out = bytearray()
        for byte in data:
            echo, lines = self._editor.feed(bytes([byte]))
            out += echo
            for line in lines:
                out += self._on_line(line, now)
        return bytes(out)

    # -- lines -------------------------------------------------------------
    def _on_line(self, line: str | None, now: float) -> bytes:
        if line is None:
            return self._logout()
        if self._phase in (Phase.NO_PASSWORD, Phase.NEW_PASSWORD):
            self._new_password = line
            self._phase = Phase.CONFIRM_PASSWORD
            return b"Type it again: "
        if self._phase is Phase.CONFIRM_PASSWORD:
            return self._confirm_password(line)
        if self._phase is Phase.LOGIN:
            return self._login(line, now)
        return self._command(line)

    def _login(self, password: str, now: float) -> bytes:
        if now < self._locked_until:
            wait = int(self._locked_until - now) + 1
            return f"Too many wrong passwords; try again in {wait} s.\r\n".encode() + self._prompt()
        if self._ctx.password_matches(password):
            self._failures.clear()
            self._phase = Phase.READY
            self._editor.echo = True
            return b"Logged in. Type 'help' for the commands.\r\n" + self._prompt()
        self._failures = [t for t in self._failures if now - t < LOCKOUT_SECONDS] + [now]
        if len(self._failures) >= MAX_FAILURES:
            self._locked_until = now + LOCKOUT_SECONDS
            self._failures.clear()
        return b"The password is not correct.\r\n" + self._prompt()

    def _confirm_password(self, confirm: str) -> bytes:
        new, self._new_password = self._new_password, ""
        try:
            self._ctx.set_password(new, confirm)
        except PasswordError as exc:
            return f"{exc.message}\r\n".encode() + self._ask_new_password(self._return_phase)
        self._phase = self._return_phase
        self._editor.echo = True
        message = b"The admin password is set. Keep it somewhere safe.\r\n"
        return message + self._prompt()

    def _command(self, line: str) -> bytes:
        try:
            words = shlex.split(line)
        except ValueError as exc:
            return f"error: {exc}\r\n".encode() + self._prompt()
        if not words:
            return self._prompt()
        if words[0] in ("logout", "exit", "quit"):
            return self._logout()
        if words[0] == "passwd":
            return self._ask_new_password(Phase.READY)
        try:
            text = run_command(self._ctx, words)
        except CommandFailed as exc:
            text = f"error: {exc}"
        body = text.replace("\n", "\r\n")
        return (body + "\r\n").encode() + self._prompt() if body else self._prompt()

    # -- prompts -----------------------------------------------------------
    def _ask_new_password(self, then: Phase) -> bytes:
        self._return_phase = then
        self._phase = Phase.NEW_PASSWORD
        self._editor.echo = False
        return b"New admin password: "

    def _prompt(self) -> bytes:
        if self._phase is Phase.LOGIN:
            self._editor.echo = False
            return b"Password: "
        self._editor.echo = True
        return b"centrala> "

    def _logout(self) -> bytes:
        self._phase = Phase.LOGIN
        return b"\r\nLogged out.\r\n" + self._prompt()
