"""Our user side (``pri-dut``) against libpri acting as the network, over SOCK_SEQPACKET.

The network side is a small C program built at test time against libpri (Debian
``libpri-dev``); it runs libpri on a virtual clock, so 30 s of protocol time
take a second, and it prints every frame both ways and libpri's events. These
tests read that transcript. They skip when gcc or libpri is missing, and the
trace test when tshark is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from firmware.signaling.q931.messages import Message, MessageType, decode_message

HERE = Path(__file__).parent
REPO = HERE.parents[1]
M = MessageType


@pytest.fixture(scope="module")
def network_side(tmp_path_factory: pytest.TempPathFactory) -> Path:
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is not installed, so the libpri network side cannot be built")
    binary = tmp_path_factory.mktemp("libpri") / "libpri_network"
    build = subprocess.run(
        [gcc, "-O1", "-rdynamic", "-o", str(binary), str(HERE / "libpri_network.c"), "-lpri"],
        capture_output=True,
        text=True,
    )
    if build.returncode != 0:
        reason = (build.stderr.strip().splitlines() or ["no output"])[-1]
        pytest.skip(f"libpri (Debian package libpri-dev) is not available: {reason}")
    return binary


@dataclass
class Exchange:
    lines: list[str]
    network_status: int
    dut_status: int
    dut_log: str

    def dut_messages(self) -> list[Message]:
        """The Q.931 messages our side sent, from its I frames."""
        out = []
        for line in self.lines:
            if line.startswith("DUT "):
                frame = bytes.fromhex(line[4:])
                if len(frame) > 4 and not frame[2] & 1:
                    out.append(decode_message(frame[4:]))
        return out

    def dut_frames(self) -> list[bytes]:
        return [bytes.fromhex(x[4:]) for x in self.lines if x.startswith("DUT ")]

    def has(self, text: str) -> bool:
        return any(line.startswith(text) for line in self.lines)

    def value(self, prefix: str) -> str:
        return next(line for line in self.lines if line.startswith(prefix))


def run(
    network_side: Path, tmp_path_factory: pytest.TempPathFactory, steps: list[str], *dut_args: str
) -> Exchange:
    # A short directory: a Unix socket path must fit in 108 octets.
    sock = tmp_path_factory.mktemp("s") / "d"
    network = subprocess.Popen(
        [str(network_side), str(sock), *steps],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert network.stdout is not None
    assert network.stdout.readline().strip() == "LISTENING"
    dut = subprocess.Popen(
        [sys.executable, "-m", "firmware.pri.dut", *dut_args],
        env={**os.environ, "PRI_SOCKET": str(sock)},
        cwd=REPO,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        transcript, _ = network.communicate(timeout=90)
        # The contract: pri-dut exits 0 within 5 s once the network closes the socket.
        _, dut_log = dut.communicate(timeout=5)
    finally:
        for process in (network, dut):
            if process.poll() is None:
                process.kill()
                process.wait()
    return Exchange(transcript.splitlines(), network.returncode, dut.returncode, dut_log)


def assert_link_never_dropped(ex: Exchange) -> None:
    assert not ex.has("EVENT DCHAN_DOWN")
    assert ex.dut_frames().count(bytes.fromhex("00017f")) <= 1  # no SABME but the first


def test_link_comes_up_and_polls_are_answered_for_30_seconds(network_side, tmp_path_factory):
    ex = run(network_side, tmp_path_factory, ["up", "idle:30"])
    assert ex.network_status == 0 and ex.dut_status == 0
    polls = re.match(r"POLLS sent=(\d+) answered=(\d+) up=1 down=0", ex.value("POLLS"))
    assert polls is not None
    assert int(polls[1]) >= 2 and polls[1] == polls[2]
    assert_link_never_dropped(ex)


def test_incoming_call_is_answered_on_its_channel_and_cleared(network_side, tmp_path_factory):
    ex = run(
        network_side, tmp_path_factory, ["up", "incoming:1", "hangup"], "--answer-incoming"
    )
    assert ex.network_status == 0 and ex.dut_status == 0
    assert ex.has("ANSWERED 1") and ex.has("CLEARED 1")
    sent = ex.dut_messages()
    connect = next(m for m in sent if m.known_type is M.CONNECT)
    assert connect.fields.channel is not None and connect.fields.channel.channels == (1,)
    assert [m.known_type for m in sent][-1] is M.RELEASE


def test_outgoing_call_is_placed_and_cleared(network_side, tmp_path_factory):
    ex = run(
        network_side, tmp_path_factory, ["up", "outgoing"], "--call", "4321", "--hangup-after", "1"
    )
    assert ex.network_status == 0 and ex.dut_status == 0
    assert ex.has("EVENT RING channel=1 called=4321 complete=1 ctype=0 layer1=35")
    assert ex.has("OUTGOING done=1 cause=16")
    kinds = [m.known_type for m in ex.dut_messages()]
    assert kinds == [M.SETUP, M.CONNECT_ACKNOWLEDGE, M.DISCONNECT, M.RELEASE_COMPLETE]


def test_thirty_simultaneous_incoming_calls_are_answered_and_cleared(
    network_side, tmp_path_factory
):
    ex = run(
        network_side, tmp_path_factory, ["up", "incoming:30", "hangup"], "--answer-incoming"
    )
    assert ex.network_status == 0 and ex.dut_status == 0
    assert ex.has("ANSWERED 30") and ex.has("CLEARED 30")
    connects = [m for m in ex.dut_messages() if m.known_type is M.CONNECT]
    channels = sorted(m.fields.channel.channels[0] for m in connects if m.fields.channel)
    assert channels == sorted(set(range(1, 32)) - {16})
    assert_link_never_dropped(ex)


def test_restart_classes_7_6_and_0_are_acknowledged(network_side, tmp_path_factory):
    steps = ["up", "inject:0802000046790187", "inject:0802000046790186", "reset:5"]
    ex = run(network_side, tmp_path_factory, steps)
    assert ex.network_status == 0 and ex.dut_status == 0
    acks = [m for m in ex.dut_messages() if m.known_type is M.RESTART_ACKNOWLEDGE]
    assert [int(m.fields.restart) for m in acks] == [7, 6, 0]
    assert all(m.is_global and m.flag for m in acks)
    assert acks[2].fields.channel is not None and acks[2].fields.channel.channels == (5,)
    assert ex.has("EVENT RESTART_ACK channel=5")


# (steps, what our side must answer: message type, cause, diagnostic or call state)
INVALID_MESSAGES = [
    ("inject:080200334508028190", (M.RELEASE_COMPLETE, 81)),  # DISCONNECT, unknown reference
    ("inject:080200357f", (M.RELEASE_COMPLETE, 81)),  # unknown type, unknown reference
    ("inject:0802003475", (M.STATUS, 30)),  # STATUS ENQUIRY, unknown reference
    ("inject:0802000001", (M.STATUS, 81)),  # ALERTING on the global reference
    ("inject:08020036051803a9838570038031", (M.RELEASE_COMPLETE, 96)),  # SETUP without BC
    ("inject:080200370504038090a30101ff1803a98386", (M.RELEASE_COMPLETE, 96)),  # CR element
    ("inject:080200380504038090a31803a98390", (M.RELEASE_COMPLETE, 82)),  # time slot 16
    ("inject:080200390504038090a3180189", (M.RELEASE_COMPLETE, 100)),  # basic rate channel
    ("inject:0902003a05", None),  # another protocol discriminator: ignored
    ("inject:08013b05", None),  # one-octet call reference: ignored
]
ACTIVE_CALL_MESSAGES = [
    ("inject-call:080200007f", (M.STATUS, 97)),  # unknown message type
    ("inject-call:0802000001", (M.STATUS, 101)),  # ALERTING while active
    ("inject-call:080200006e", (M.STATUS, 96)),  # NOTIFY without its indicator
    ("inject-call:080200007b7b0100", (M.STATUS, 99)),  # unknown optional element
    ("inject-call:0802000075", (M.STATUS, 30)),  # STATUS ENQUIRY
]
INVALID_FRAMES = [
    "raw:00",
    "raw:0001",
    "raw:000100",
    "raw:03017f",
    "raw:02007f",
    "raw:06017f",
    "raw:02037f",
    "raw:fc0103",
]


def test_invalid_frames_and_messages_are_handled_without_dropping_the_link(
    network_side, tmp_path_factory
):
    steps = [
        "up",
        *[s for s, _ in INVALID_MESSAGES],
        *INVALID_FRAMES,
        "incoming:1",
        *[s for s, _ in ACTIVE_CALL_MESSAGES],
        "hangup",
        "incoming:2",
        "hangup",
    ]
    ex = run(network_side, tmp_path_factory, steps, "--answer-incoming")
    assert ex.network_status == 0 and ex.dut_status == 0
    answers = [
        (m.known_type, m.fields.cause.value)
        for m in ex.dut_messages()
        if m.known_type in (M.STATUS, M.RELEASE_COMPLETE) and m.fields.cause is not None
    ]
    expected = [a for _, a in INVALID_MESSAGES + ACTIVE_CALL_MESSAGES if a is not None]
    assert answers[: len(expected)] == expected
    statuses = [m for m in ex.dut_messages() if m.known_type is M.STATUS]
    assert [m.fields.call_state for m in statuses[2:]] == [10, 10, 10, 10, 10]
    assert ex.has("CLEARED 1") and ex.has("CLEARED 2")
    assert_link_never_dropped(ex)


def test_without_call_flag_no_setup_is_sent_and_unknown_flags_are_ignored(
    network_side, tmp_path_factory
):
    ex = run(network_side, tmp_path_factory, ["up", "wait:300"], "--bogus-flag")
    assert ex.dut_status == 0
    assert "ignoring unknown argument '--bogus-flag'" in ex.dut_log
    assert [m for m in ex.dut_messages() if m.known_type is M.SETUP] == []


def test_trace_of_our_frames_dissects_cleanly_in_tshark(network_side, tmp_path_factory, tmp_path):
    tshark = shutil.which("tshark")
    if tshark is None:
        pytest.skip("tshark (Debian package tshark) is not installed")
    pcap = tmp_path / "d-channel.pcap"
    steps = [
        "up",
        "outgoing",  # first: the box places its call as soon as the link is up
        "incoming:3",
        "hangup",
        "inject:0802000046790187",
        "reset:9",
        "inject:080200334508028190",
        "inject:0802003475",
    ]
    ex = run(
        network_side,
        tmp_path_factory,
        steps,
        "--answer-incoming",
        "--call",
        "4321",
        "--hangup-after",
        "0.5",
        "--pcap",
        str(pcap),
    )
    assert ex.network_status == 0
    dissect = subprocess.run(
        [
            tshark,
            "-r",
            str(pcap),
            "-T",
            "fields",
            "-E",
            "separator=|",
            "-e",
            "frame.protocols",
            "-e",
            "lapd.direction",
            "-e",
            "_ws.malformed",
            "-e",
            "_ws.expert.severity",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = [line.split("|") for line in dissect.stdout.splitlines()]
    assert len(rows) == len(ex.dut_frames()) + sum(
        1 for x in ex.lines if x.startswith(("NET ", "INJ ", "RAW "))
    )
    ours = [r for r in rows if r[1] == "0"]  # user to network: the frames we sent
    assert len(ours) == len(ex.dut_frames())
    for frame, (protocols, _, malformed, severity) in zip(ex.dut_frames(), ours, strict=True):
        assert "lapd" in protocols.split(":")
        if not frame[2] & 1:  # an I frame carries Q.931
            assert protocols.endswith("q931")
        assert malformed == "" and severity == ""
