import os
import socket

from firmware import sdnotify


def test_ready_datagram_reaches_the_notify_socket(tmp_path):
    path = str(tmp_path / "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(path)
        assert sdnotify.notify("READY=1", {"NOTIFY_SOCKET": path})
        assert server.recv(64) == b"READY=1"


def test_abstract_socket_name_is_sent_with_a_nul_byte():
    name = f"centrala-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind("\0" + name)
        assert sdnotify.notify("WATCHDOG=1", {"NOTIFY_SOCKET": "@" + name})
        assert server.recv(64) == b"WATCHDOG=1"


def test_without_systemd_nothing_is_sent():
    assert not sdnotify.notify("READY=1", {})


def test_watchdog_interval_is_half_of_watchdogsec_for_this_process():
    assert sdnotify.watchdog_interval({"WATCHDOG_USEC": "10000000"}) == 5.0
    env = {"WATCHDOG_USEC": "10000000", "WATCHDOG_PID": str(os.getpid() + 1)}
    assert sdnotify.watchdog_interval(env) is None
    assert sdnotify.watchdog_interval({}) is None
