"""The serial console: login, first-start password, commands, errors, and a real pty."""

import os
import threading
import time

import pytest

from firmware.console.commands import CommandContext
from firmware.console.port import serve
from firmware.console.shell import ConsoleShell
from firmware.store import admin, sync
from hal.clock import ManualClock

PASSWORD = "correct horse battery"


@pytest.fixture
def ctx(tmp_path):
    db = str(tmp_path / "centrala.db")
    conn = sync.connect(db)
    sync.record_card_ports(conn, ["fxo1", "fxs1", "fxs2", "fxs3"])
    sync.seed_defaults(conn, ["fxs1", "fxs2"], ["fxo1"])
    conn.close()
    return CommandContext(
        db, str(tmp_path / "absent.sock"), addresses=lambda: "eth0 UP 10.1.2.3/24"
    )


def type_line(shell, text, now=0.0):
    return shell.feed(text.encode() + b"\r", now).decode()


def logged_in(ctx):
    conn = ctx.db()
    admin.set_password(conn, PASSWORD, PASSWORD)
    conn.close()
    shell = ConsoleShell(ctx)
    assert shell.start(0.0).endswith(b"Password: ")
    assert "Logged in" in type_line(shell, PASSWORD)
    return shell


def test_first_start_asks_for_a_password_and_never_echoes_it(ctx):
    shell = ConsoleShell(ctx)
    assert "No admin password is set" in shell.start(0.0).decode()
    out = type_line(shell, "short")
    assert "short" not in out
    assert "at least 10 characters" in type_line(shell, "short")
    type_line(shell, PASSWORD)
    out = type_line(shell, PASSWORD)
    assert "password is set" in out and PASSWORD not in out
    assert out.endswith("Password: ")
    assert ctx.password_matches(PASSWORD)


def test_wrong_password_is_refused_and_five_lock_the_console(ctx):
    conn = ctx.db()
    admin.set_password(conn, PASSWORD, PASSWORD)
    conn.close()
    shell = ConsoleShell(ctx)
    shell.start(0.0)
    for i in range(5):
        assert "not correct" in type_line(shell, "guess", now=float(i))
    assert "try again in" in type_line(shell, PASSWORD, now=10.0)
    assert "Logged in" in type_line(shell, PASSWORD, now=310.0)


def test_commands_need_a_login(ctx):
    conn = ctx.db()
    admin.set_password(conn, PASSWORD, PASSWORD)
    conn.close()
    shell = ConsoleShell(ctx)
    shell.start(0.0)
    out = type_line(shell, "agents")
    assert "Agent 1" not in out and "not correct" in out


def test_agent_add_goes_to_the_store_and_says_the_service_is_down(ctx):
    shell = logged_in(ctx)
    out = type_line(shell, 'agent add "Anna Nowak" 105 fxs2')
    assert "added agent Anna Nowak" in out and "not running" in out
    assert "Anna Nowak" in type_line(shell, "agents")


def test_bad_value_gets_the_field_error_and_changes_nothing(ctx):
    shell = logged_in(ctx)
    before = [a.name for a in sync.list_agents(ctx.db())]
    out = type_line(shell, "agent add Bob 105 fxs9")
    assert "error: port:" in out and "fxs9" in out
    out = type_line(shell, "queue set sales ring_timeout=1")
    assert "error: ring_timeout" in out
    assert [a.name for a in sync.list_agents(ctx.db())] == before
    assert sync.list_queues(ctx.db())[0].ring_timeout == 15


def test_queue_members_and_routes_can_be_changed(ctx):
    shell = logged_in(ctx)
    assert "changed queue sales" in type_line(shell, 'queue set sales "members=Agent 2"')
    assert sync.list_queues(ctx.db())[0].members == ("Agent 2",)
    assert "fxo1 now goes to queue:support" in type_line(shell, "route set fxo1 queue:support")
    assert "queue:support" in type_line(shell, "routes")


def test_live_commands_say_plainly_when_the_service_is_down(ctx):
    shell = logged_in(ctx)
    assert "error: the call-center service: daemon not running" in type_line(shell, "status")


def test_unknown_command_and_bad_quoting_are_errors_not_crashes(ctx):
    shell = logged_in(ctx)
    assert "unknown command 'frobnicate'" in type_line(shell, "frobnicate")
    assert "error:" in type_line(shell, 'agent add "unterminated')


def test_backspace_and_ctrl_c_edit_the_line(ctx):
    shell = logged_in(ctx)
    out = shell.feed(b"ipx\x7f\r", 0.0).decode()
    assert "10.1.2.3" in out
    out = shell.feed(b"agent del Agent\x03", 0.0).decode()
    assert "^C" in out
    assert len(sync.list_agents(ctx.db())) == 2


def test_logout_returns_to_the_password_prompt(ctx):
    shell = logged_in(ctx)
    out = type_line(shell, "logout")
    assert out.endswith("Password: ")
    assert "Agent 1" not in type_line(shell, "agents")


def test_console_works_over_a_real_serial_device(ctx):
    conn = ctx.db()
    admin.set_password(conn, PASSWORD, PASSWORD)
    conn.close()
    master, slave = os.openpty()
    stop = threading.Event()
    thread = threading.Thread(
        target=serve, args=(os.ttyname(slave), ctx, ManualClock(), stop), daemon=True
    )
    thread.start()
    try:
        received = b""
        deadline = time.monotonic() + 5
        sent = False
        while time.monotonic() < deadline and b"eth0" not in received:
            chunk = os.read(master, 4096) if _readable(master) else b""
            received += chunk
            if b"Password: " in received and not sent:
                os.write(master, PASSWORD.encode() + b"\rip\r")
                sent = True
        assert b"Logged in" in received and b"10.1.2.3" in received
    finally:
        stop.set()
        thread.join(timeout=2)
        os.close(master)
        os.close(slave)


def _readable(fd):
    import select

    return bool(select.select([fd], [], [], 0.1)[0])


def test_agent_set_can_make_an_agent_remote(ctx):
    shell = logged_in(ctx)
    out = type_line(shell, '"agent" set "Agent 2" port= remote_number=600100200')
    assert "changed agent Agent 2" in out, out
    agent = next(a for a in sync.list_agents(ctx.db()) if a.name == "Agent 2")
    assert agent.remote and agent.remote_number == "600100200"
