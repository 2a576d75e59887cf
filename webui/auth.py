"""Who may use the web UI and the REST API.

The box ships with no password at all: until the admin sets one on /setup,
every page sends the browser there and every API call answers 503, so no
factory default can ever let a stranger in. Afterwards pages need a login
session and the API takes either that session or a bearer token created on the
settings page.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import sqlite3
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError, CSRFProtect

from firmware.store import sync
from firmware.store.admin import (
    MIN_PASSWORD_LENGTH,
    PasswordError,
    password_is_set,
    password_matches,
    set_password,
)
from hal.clock import Clock
from webui.db import get_db

TOKEN_SETTING = "api_token_hash"
SETUP_FIRST = "set the admin password in the web UI first"
SESSION_USER = "user"
ADMIN = "admin"

bp = Blueprint("auth", __name__)

F = TypeVar("F", bound=Callable[..., ResponseReturnValue])


@dataclass
class LoginThrottle:
    """Refuses logins from an address after repeated failures, to stop password guessing.

    Kept in memory per worker: a reboot or a second worker gives an attacker a
    few more guesses, which a 10-character password easily absorbs.
    """

    clock: Clock
    max_failures: int = 5
    window: float = 300.0
    lockout: float = 300.0
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _locked_until: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def locked_for(self, address: str) -> float:
        """Seconds until ``address`` may try again; 0 when it may try now."""
        now = self.clock.now()
        with self._lock:
            until = self._locked_until.get(address)
            if until is None:
                return 0.0
            if now >= until:
                del self._locked_until[address]
                return 0.0
            return until - now

    def record_failure(self, address: str) -> None:
        """Count a wrong password; the fifth within the window locks the address out."""
        now = self.clock.now()
        with self._lock:
            failures = self._failures.setdefault(address, deque())
            failures.append(now)
            while failures and failures[0] <= now - self.window:
                failures.popleft()
            if len(failures) >= self.max_failures:
                self._locked_until[address] = now + self.lockout
                del self._failures[address]

    def record_success(self, address: str) -> None:
        """Forget earlier failures: the person at this address knows the password."""
        with self._lock:
            self._failures.pop(address, None)


def throttle() -> LoginThrottle:
    """The app's login throttle."""
    return cast(LoginThrottle, current_app.extensions["centrala.login_throttle"])


def _safe_next(target: str | None) -> str:
    """Follow ``next`` only to a path on this box, never to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("dashboard.index")


def login_required(view: F) -> F:
    """Send a browser without a login session to the login page, then back here."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        if session.get(SESSION_USER) is None:
            # Only a page can be returned to; a form's POST cannot be replayed.
            target = request.full_path.rstrip("?") if request.method == "GET" else None
            return redirect(url_for("auth.login", next=target))
        return view(*args, **kwargs)

    return cast(F, wrapped)


def _hash_token(token: str) -> str:
    # A token is 256 random bits, so a fast hash is enough and keeps every API
    # call cheap on a small board; slow hashes are for guessable passwords.
    return "sha256$" + hashlib.sha256(token.encode()).hexdigest()


def issue_api_token(conn: sqlite3.Connection) -> str:
    """Create a new API token (replacing any earlier one) and return it; only its hash is kept."""
    token = secrets.token_urlsafe(32)
    sync.set_setting(conn, TOKEN_SETTING, _hash_token(token))
    return token


def revoke_api_token(conn: sqlite3.Connection) -> None:
    """Make the current API token stop working."""
    sync.set_setting(conn, TOKEN_SETTING, "")


def api_token_exists(conn: sqlite3.Connection) -> bool:
    """Whether an API token is currently valid."""
    return bool(sync.get_setting(conn, TOKEN_SETTING))


def bearer_token_valid(conn: sqlite3.Connection, token: str) -> bool:
    """Whether ``token`` is the current API token (compared in constant time)."""
    stored = sync.get_setting(conn, TOKEN_SETTING)
    if not stored or not token:
        return False
    return hmac.compare_digest(str(stored), _hash_token(token))


def _bearer(header: str | None) -> str | None:
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def api_error(message: str, status: int, field_name: str | None = None) -> Response:
    """The API's one error shape: ``{"error": sentence, "field": path or null}``."""
    response = jsonify({"error": message, "field": field_name})
    response.status_code = status
    return response


def api_auth_required(view: F) -> F:
    """Admit an API call with a valid bearer token or a login session, else answer 401.

    A request that sends an Authorization header is judged on it alone, so a
    wrong token is never rescued by a cookie the browser happened to attach.
    """

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        header = request.headers.get("Authorization")
        if header is not None:
            token = _bearer(header)
            if token is None or not bearer_token_valid(get_db(), token):
                response = api_error("the API token is not valid", 401)
                response.headers["WWW-Authenticate"] = "Bearer"
                return response
            return view(*args, **kwargs)
        if session.get(SESSION_USER) is None:
            response = api_error("log in or send an API token", 401)
            response.headers["WWW-Authenticate"] = "Bearer"
            return response
        return view(*args, **kwargs)

    return cast(F, wrapped)


@bp.route("/setup", methods=["GET", "POST"])
def setup() -> ResponseReturnValue:
    """First start: the admin chooses the password; afterwards this page is closed."""
    conn = get_db()
    if password_is_set(conn):
        return redirect(url_for("auth.login"))
    errors: dict[str, str] = {}
    if request.method == "POST":
        password = request.form.get("password", "")
        confirm = request.form.get("confirm", "")
        try:
            set_password(conn, password, confirm)
        except PasswordError as exc:
            errors[exc.field] = exc.message
        else:
            session.clear()
            session[SESSION_USER] = ADMIN
            flash("The admin password is set. Keep it somewhere safe.", "success")
            return redirect(url_for("dashboard.index"))
    status = 400 if errors else 200
    return render_template("auth/setup.html", errors=errors, min_length=MIN_PASSWORD_LENGTH), status


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Log the admin in, refusing an address that keeps guessing."""
    error: str | None = None
    status = 200
    if request.method == "POST":
        address = request.remote_addr or "unknown"
        wait = throttle().locked_for(address)
        if wait > 0:
            minutes = max(1, round(wait / 60))
            error = (
                f"Too many wrong passwords from your address. "
                f"Try again in {minutes} minute{'s' if minutes != 1 else ''}."
            )
            status = 429
        else:
            password = request.form.get("password", "")
            if password_matches(get_db(), password):
                throttle().record_success(address)
                target = _safe_next(request.args.get("next"))
                session.clear()
                session[SESSION_USER] = ADMIN
                return redirect(target)
            throttle().record_failure(address)
            error = "The password is not correct."
            status = 401
    return render_template("auth/login.html", error=error), status


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    """End the session (POST with a CSRF token, so another site cannot log the admin out)."""
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


def init_app(app: Flask, csrf: CSRFProtect) -> None:
    """Install the setup gate, then CSRF checking, in that order, and their error pages."""
    app.extensions["centrala.login_throttle"] = LoginThrottle(clock=app.config["CLOCK"])
    # CSRFProtect's own hook is switched off; ours skips bearer API calls, which
    # a browser cannot forge because another site cannot set that header.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False

    @app.before_request
    def require_password_set() -> ResponseReturnValue | None:
        if request.endpoint in ("auth.setup", "static"):
            return None
        if password_is_set(get_db()):
            return None
        if request.path.startswith("/api/"):
            return api_error(SETUP_FIRST, 503)
        return redirect(url_for("auth.setup"))

    @app.before_request
    def check_csrf() -> None:
        if not app.config.get("WTF_CSRF_ENABLED", True):
            return
        if request.path.startswith("/api/") and _bearer(request.headers.get("Authorization")):
            return
        csrf.protect(apply_exemptions=True)

    @app.errorhandler(CSRFError)
    def csrf_failed(exc: CSRFError) -> ResponseReturnValue:
        if request.path.startswith("/api/"):
            return api_error(f"CSRF check failed: {exc.description}", 400)
        return render_template("error.html", title="Form expired", message=(
            "The form was missing its security token or it had expired. "
            "Go back, reload the page and try again."
        )), 400
