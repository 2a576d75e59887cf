"""Who gets in: first-start setup, login, lockout, logout, CSRF and the session cookie."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from webui_support import PASSWORD, csrf_token_of, make_app

from firmware.store import sync
from hal.clock import ManualClock

DEFAULT_PASSWORDS = ["", "admin", "password", "1234", "centrala", "admin123456"]


def _requests(app: Flask) -> list[tuple[str, str]]:
    """(method, url) of every route the app registers, with ids filled in."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        url = re.sub(r"<(?:int:)?(\w+)>", "1", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, url))
    return found


def test_every_route_sends_to_setup_until_the_admin_password_is_set(
    app: Flask, client: FlaskClient
) -> None:
    for method, url in _requests(app):
        response = client.open(url, method=method)
        if url == "/setup":
            # The one open page: the form, or its refusal of an empty password.
            assert response.status_code == (200 if method == "GET" else 400)
        elif url.startswith("/api/"):
            assert response.status_code == 503, (method, url)
            assert response.json == {
                "error": "set the admin password in the web UI first",
                "field": None,
            }
        else:
            assert response.status_code == 302, (method, url)
            assert response.headers["Location"] == "/setup", (method, url)


def test_every_route_refuses_after_logout(app: Flask, client: FlaskClient, logged_in) -> None:
    assert client.get("/").status_code == 200
    logged_in.logout()
    for method, url in _requests(app):
        response = client.open(url, method=method)
        if url in ("/login", "/agent/login"):
            # The open pages (admin and agent logins): the form, or the refusal of an
            # empty password or PIN.
            assert response.status_code == (200 if method == "GET" else 401), (method, url)
        elif url.startswith("/api/") or url == "/agent/live.json":
            assert response.status_code == 401, (method, url)
            assert "error" in response.json
        elif (url == "/agent" or url.startswith("/agent/")) and not url.startswith("/agent/pins"):
            # An agent's pages send to the agent login; the PIN admin pages are the admin's.
            assert response.status_code == 302, (method, url)
            assert response.headers["Location"].startswith("/agent/login"), (method, url)
        else:
            assert response.status_code == 302, (method, url)
            assert response.headers["Location"].startswith("/login"), (method, url)


def test_setup_rejects_a_short_password(client: FlaskClient, db) -> None:
    response = client.post("/setup", data={"password": "short1234", "confirm": "short1234"})
    assert response.status_code == 400
    assert "at least 10 characters" in response.get_data(as_text=True)
    assert sync.get_setting(db, "admin_password_hash") is None


def test_setup_rejects_a_mismatched_confirmation(client: FlaskClient, db) -> None:
    response = client.post("/setup", data={"password": PASSWORD, "confirm": PASSWORD + "x"})
    assert response.status_code == 400
    assert "not the same" in response.get_data(as_text=True)
    assert sync.get_setting(db, "admin_password_hash") is None


def test_setup_stores_only_a_hash_and_logs_the_admin_in(client: FlaskClient, auth, db) -> None:
    response = auth.setup()
    assert response.headers["Location"] == "/"
    stored = sync.get_setting(db, "admin_password_hash")
    assert stored is not None and PASSWORD not in stored
    assert client.get("/").status_code == 200


def test_setup_cannot_replace_a_password_once_set(client: FlaskClient, auth, db) -> None:
    auth.setup()
    first = sync.get_setting(db, "admin_password_hash")
    auth.logout()
    response = client.post("/setup", data={"password": "x" * 12, "confirm": "x" * 12})
    assert response.headers["Location"] == "/login"
    assert sync.get_setting(db, "admin_password_hash") == first
    assert auth.login("x" * 12).status_code == 401


def test_no_default_password_works_before_or_after_setup(client: FlaskClient, auth) -> None:
    for guess in DEFAULT_PASSWORDS:
        response = auth.login(guess)
        assert response.headers["Location"] == "/setup"
        assert client.get("/").headers["Location"] == "/setup"
    auth.setup()
    auth.logout()
    for guess in DEFAULT_PASSWORDS[:4]:
        assert auth.login(guess).status_code == 401
        assert client.get("/").headers["Location"].startswith("/login")


def test_login_with_the_right_password_returns_to_the_page_asked_for(
    client: FlaskClient, auth
) -> None:
    auth.setup()
    auth.logout()
    first = client.get("/agents")
    assert first.headers["Location"] == "/login?next=/agents"
    response = client.post("/login?next=/agents", data={"password": PASSWORD})
    assert response.headers["Location"] == "/agents"
    assert client.get("/agents").status_code == 200


def test_login_never_redirects_to_another_site(client: FlaskClient, auth) -> None:
    auth.setup()
    auth.logout()
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = client.post(f"/login?next={target}", data={"password": PASSWORD})
        assert response.headers["Location"] == "/"
        auth.logout()


def test_five_wrong_passwords_lock_the_address_out_for_five_minutes(
    tmp_path: Path,
) -> None:
    clock = ManualClock()
    app = make_app(tmp_path, CLOCK=clock)
    client = app.test_client()
    client.post("/setup", data={"password": PASSWORD, "confirm": PASSWORD})
    client.post("/logout")
    for _ in range(5):
        clock.advance(10)
        assert client.post("/login", data={"password": "wrong guess"}).status_code == 401
    refused = client.post("/login", data={"password": PASSWORD})
    assert refused.status_code == 429
    assert "Too many wrong passwords" in refused.get_data(as_text=True)
    assert client.get("/").headers["Location"].startswith("/login")
    clock.advance(299)
    assert client.post("/login", data={"password": PASSWORD}).status_code == 429
    clock.advance(1)
    assert client.post("/login", data={"password": PASSWORD}).status_code == 302
    assert client.get("/").status_code == 200


def test_wrong_passwords_spread_over_more_than_five_minutes_do_not_lock_out(
    tmp_path: Path,
) -> None:
    clock = ManualClock()
    app = make_app(tmp_path, CLOCK=clock)
    client = app.test_client()
    client.post("/setup", data={"password": PASSWORD, "confirm": PASSWORD})
    client.post("/logout")
    # One guess every 76 s: never five within any five minutes.
    for _ in range(8):
        assert client.post("/login", data={"password": "wrong guess"}).status_code == 401
        clock.advance(76)
    assert client.post("/login", data={"password": PASSWORD}).status_code == 302


def test_lockout_of_one_address_leaves_others_free(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    client = app.test_client()
    client.post("/setup", data={"password": PASSWORD, "confirm": PASSWORD})
    client.post("/logout")
    attacker = {"REMOTE_ADDR": "192.0.2.66"}
    for _ in range(5):
        client.post("/login", data={"password": "guess"}, environ_base=attacker)
    assert (
        client.post("/login", data={"password": PASSWORD}, environ_base=attacker).status_code
        == 429
    )
    admin = {"REMOTE_ADDR": "192.0.2.10"}
    assert client.post("/login", data={"password": PASSWORD}, environ_base=admin).status_code == 302


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(
    tmp_path: Path,
) -> None:
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    setup_page = client.get("/setup")
    token = csrf_token_of(setup_page)
    assert client.post("/setup", data={"password": PASSWORD, "confirm": PASSWORD}).status_code == (
        400
    )
    response = client.post(
        "/setup", data={"password": PASSWORD, "confirm": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302

    agent = {"name": "Anna", "extension": "101", "port": "fxs1", "logged_in": "1"}
    refused = client.post("/agents/new", data=agent)
    assert refused.status_code == 400
    assert "security token" in refused.get_data(as_text=True)
    conn = sync.connect(app.config["DATABASE"])
    try:
        assert sync.list_agents(conn) == []
        token = csrf_token_of(client.get("/agents/new"))
        assert client.post("/agents/new", data={**agent, "csrf_token": token}).status_code == 302
        assert [a.name for a in sync.list_agents(conn)] == ["Anna"]
    finally:
        conn.close()


def test_logout_needs_the_csrf_token_so_other_sites_cannot_log_the_admin_out(
    tmp_path: Path,
) -> None:
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    token = csrf_token_of(client.get("/setup"))
    client.post("/setup", data={"password": PASSWORD, "confirm": PASSWORD, "csrf_token": token})
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200
    token = csrf_token_of(client.get("/"))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_session_cookie_is_httponly_and_samesite_lax(client: FlaskClient, auth) -> None:
    response = auth.setup()
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_apps_on_one_database_share_the_session_key(tmp_path: Path) -> None:
    first = make_app(tmp_path)
    second = make_app(tmp_path)
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 32
    browser = first.test_client()
    browser.post("/setup", data={"password": PASSWORD, "confirm": PASSWORD})
    cookie = browser.get_cookie("session")
    assert cookie is not None
    other_worker = second.test_client()
    other_worker.set_cookie("session", cookie.value)
    assert other_worker.get("/").status_code == 200


@pytest.mark.parametrize("header", ["Content-Security-Policy", "X-Frame-Options"])
def test_pages_forbid_foreign_scripts_and_framing(client: FlaskClient, header: str) -> None:
    assert header in client.get("/setup").headers
