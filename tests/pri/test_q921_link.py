"""The Q.921 data link machine, byte by byte and state by state, times passed in."""

from __future__ import annotations

import pytest
from pri_support import events, frames

from firmware.signaling.q921 import (
    ConfigError,
    DataLink,
    Frame,
    FrameKind,
    LinkConfig,
    LinkState,
    LocalProtocolError,
    RemoteProtocolError,
    Side,
    decode,
    encode,
)
from firmware.signaling.q921.events import (
    DataIndication,
    ErrorIndication,
    EstablishConfirm,
    EstablishIndication,
    ReleaseIndication,
    TransmitFrame,
)

# Frames as the network sends them to our user side (C/R = 1 for commands).
NT_SABME = bytes.fromhex("02017f")
NT_UA = bytes.fromhex("000173")
NT_DISC = bytes.fromhex("020153")


def nt_i(ns: int, nr: int, info: bytes = b"\x08\x02\x00\x01\x05", p: bool = False) -> bytes:
    return bytes((0x02, 0x01, ns << 1, (nr << 1) | int(p))) + info


def nt_rr(nr: int, *, command: bool = False, pf: bool = False) -> bytes:
    return bytes((0x02 if command else 0x00, 0x01, 0x01, (nr << 1) | int(pf)))


def established(now: float = 0.0) -> DataLink:
    link = DataLink(Side.USER)
    link.establish(now)
    link.receive(NT_UA, now)
    assert link.state is LinkState.MULTIPLE_FRAME_ESTABLISHED
    return link


def test_frames_encode_to_the_octets_of_q921_table_5() -> None:
    assert encode(Frame(FrameKind.SABME, cr=0, pf=True)) == bytes.fromhex("00017f")
    assert encode(Frame(FrameKind.UA, cr=1, pf=True)) == bytes.fromhex("020173")
    assert encode(Frame(FrameKind.RR, cr=1, pf=True, nr=5)) == bytes.fromhex("0201010b")
    assert encode(Frame(FrameKind.I, ns=3, nr=4, info=b"\x08")) == bytes.fromhex("0001060808")
    assert decode(bytes.fromhex("0201090b")) == Frame(FrameKind.REJ, cr=1, pf=True, nr=5)


@pytest.mark.parametrize(
    "data",
    ["", "00", "0001", "000100", "000101", "01017f", "00007f"],
    ids=["empty", "1 octet", "2 octets", "I of 3", "S of 3", "1-octet address", "long address"],
)
def test_decoder_rejects_the_invalid_frames_of_5_8_4(data: str) -> None:
    with pytest.raises(RemoteProtocolError):
        decode(bytes.fromhex(data))


@pytest.mark.parametrize(
    "data",
    ["00", "0001", "000100", "01017f", "06017f", "02037f", "fc0103"],
    ids=["1 octet", "2 octets", "I of 3", "1-octet address", "SAPI 1", "TEI 1", "SAPI 63"],
)
def test_invalid_frames_are_discarded_silently_on_an_established_link(data: str) -> None:
    link = established()
    before = repr(link)
    assert link.receive(bytes.fromhex(data), 1.0) == []
    assert repr(link) == before


def test_user_establishes_with_sabme_and_ua_confirms() -> None:
    link = DataLink(Side.USER)
    assert frames(link.establish(0.0)) == [bytes.fromhex("00017f")]
    assert link.state is LinkState.AWAITING_ESTABLISHMENT
    assert link.next_deadline() == 1.0
    assert events(link.receive(NT_UA, 0.2)) == [EstablishConfirm()]
    assert link.state is LinkState.MULTIPLE_FRAME_ESTABLISHED
    assert link.next_deadline() == pytest.approx(10.2)


def test_sabme_from_the_network_is_answered_with_ua_and_indicated() -> None:
    link = DataLink(Side.USER)
    out = link.receive(NT_SABME, 0.0)
    assert frames(out) == [bytes.fromhex("020173")]
    assert events(out) == [EstablishIndication()]


def test_unanswered_sabme_is_repeated_n200_times_then_the_link_is_released() -> None:
    link = DataLink(Side.USER)
    link.establish(0.0)
    sent = []
    for t in (1.0, 2.0, 3.0):
        sent += frames(link.handle_timer(t))
    assert sent == [bytes.fromhex("00017f")] * 3
    out = link.handle_timer(4.0)
    assert ReleaseIndication() in out and any(isinstance(e, ErrorIndication) for e in out)
    assert link.state is LinkState.TEI_ASSIGNED


def test_sabme_collision_answers_ua_and_completes_on_the_peers_ua() -> None:
    link = DataLink(Side.USER)
    link.establish(0.0)
    assert frames(link.receive(NT_SABME, 0.1)) == [bytes.fromhex("020173")]
    assert link.state is LinkState.AWAITING_ESTABLISHMENT
    assert events(link.receive(NT_UA, 0.2)) == [EstablishConfirm()]
    assert link.state is LinkState.MULTIPLE_FRAME_ESTABLISHED


def test_in_sequence_i_frame_is_delivered_and_acknowledged_with_rr() -> None:
    link = established()
    out = link.receive(nt_i(0, 0), 1.0)
    assert events(out) == [DataIndication(b"\x08\x02\x00\x01\x05")]
    assert frames(out) == [bytes.fromhex("02010102")]  # RR response, N(R)=1


def test_deferred_acknowledgement_rides_on_the_answer() -> None:
    link = DataLink(Side.USER, defer_ack=True)
    link.establish(0.0)
    link.receive(NT_UA, 0.0)
    assert frames(link.receive(nt_i(0, 0), 1.0)) == []
    assert frames(link.send(b"\x08\x02\x80\x01\x07", 1.0)) == [
        bytes.fromhex("00010002") + b"\x08\x02\x80\x01\x07"
    ]
    assert frames(link.flush_acknowledgement(1.0)) == []


def test_out_of_sequence_i_frame_is_rejected_once() -> None:
    link = established()
    assert frames(link.receive(nt_i(1, 0), 1.0)) == [bytes.fromhex("02010900")]  # REJ N(R)=0
    assert frames(link.receive(nt_i(2, 0), 1.1)) == []
    out = link.receive(nt_i(0, 0), 1.2)
    assert events(out) == [DataIndication(b"\x08\x02\x00\x01\x05")]


def test_poll_is_answered_with_final_rr() -> None:
    link = established()
    assert frames(link.receive(nt_rr(0, command=True, pf=True), 5.0)) == [bytes.fromhex("02010101")]


def test_window_of_k_7_holds_the_eighth_frame_until_an_acknowledgement() -> None:
    link = established()
    sent = []
    for n in range(8):
        sent += frames(link.send(bytes((0x08, n)), 1.0))
    assert [f[2] >> 1 for f in sent] == list(range(7))
    assert [f[2] >> 1 for f in frames(link.receive(nt_rr(3), 1.1))] == [7]


def test_t200_expiry_polls_and_the_final_response_triggers_retransmission() -> None:
    link = established()
    link.send(b"\x08\x01", 1.0)
    link.send(b"\x08\x02", 1.0)
    out = link.handle_timer(2.0)
    assert frames(out) == [bytes.fromhex("00010101")]  # RR command, P=1
    assert link.state is LinkState.TIMER_RECOVERY
    out = link.receive(nt_rr(1, pf=True), 2.1)  # the peer got the first frame only
    assert frames(out) == [bytes.fromhex("00010200") + b"\x08\x02"]
    assert link.state is LinkState.MULTIPLE_FRAME_ESTABLISHED


def test_reject_from_the_peer_retransmits_from_its_n_r() -> None:
    link = established()
    for n in range(3):
        link.send(bytes((0x08, n)), 1.0)
    out = link.receive(bytes((0x00, 0x01, 0x09, 1 << 1)), 1.1)  # REJ N(R)=1
    assert [f[2] >> 1 for f in frames(out)] == [1, 2]


def test_idle_link_is_polled_after_t203_and_kept_when_answered() -> None:
    link = established()
    assert frames(link.handle_timer(10.0)) == [bytes.fromhex("00010101")]
    assert link.state is LinkState.TIMER_RECOVERY
    link.receive(nt_rr(0, pf=True), 10.1)
    assert link.state is LinkState.MULTIPLE_FRAME_ESTABLISHED
    assert link.next_deadline() == pytest.approx(20.1)


def test_unanswered_polls_lead_to_re_establishment() -> None:
    link = established()
    link.handle_timer(10.0)
    for t in (11.0, 12.0, 13.0):
        assert frames(link.handle_timer(t)) == [bytes.fromhex("00010101")]
    out = link.handle_timer(14.0)
    assert frames(out) == [bytes.fromhex("00017f")]
    assert ErrorIndication("I", "status enquiry unanswered N200 times") in out
    assert link.state is LinkState.AWAITING_ESTABLISHMENT


def test_disc_releases_the_link_with_ua() -> None:
    link = established()
    out = link.receive(NT_DISC, 1.0)
    assert frames(out) == [bytes.fromhex("020173")] and ReleaseIndication() in out
    assert link.state is LinkState.TEI_ASSIGNED and link.next_deadline() is None


def test_sabme_while_established_resets_the_link() -> None:
    link = established()
    link.receive(nt_i(0, 0), 1.0)
    out = link.receive(NT_SABME, 2.0)
    assert frames(out) == [bytes.fromhex("020173")]
    assert "V(R)=0" in repr(link)


def test_invalid_n_r_re_establishes_the_link() -> None:
    link = established()
    out = link.receive(nt_rr(5), 1.0)
    assert frames(out) == [bytes.fromhex("00017f")]
    assert ErrorIndication("J", "N(R) sequence error") in out


def test_undefined_control_field_re_establishes_the_link() -> None:
    link = established()
    out = link.receive(bytes.fromhex("00010d00"), 1.0)
    assert frames(out) == [bytes.fromhex("00017f")]
    assert any(isinstance(e, ErrorIndication) and e.code == "L" for e in out)


def test_dm_without_final_bit_asks_for_establishment() -> None:
    link = established()
    assert frames(link.receive(bytes.fromhex("00010f"), 1.0)) == [bytes.fromhex("00017f")]


def test_data_requested_while_down_goes_out_once_the_link_is_up() -> None:
    link = DataLink(Side.USER)
    assert frames(link.send(b"\x08\x02\x00\x01\x05", 0.0)) == [bytes.fromhex("00017f")]
    out = link.receive(NT_UA, 0.1)
    assert frames(out) == [bytes.fromhex("00010000") + b"\x08\x02\x00\x01\x05"]


def test_network_side_uses_the_network_c_r_bits() -> None:
    link = DataLink(Side.NETWORK)
    assert frames(link.establish(0.0)) == [bytes.fromhex("02017f")]
    assert events(link.receive(bytes.fromhex("020173"), 0.1)) == [EstablishConfirm()]


def test_oversize_message_is_refused_and_changes_nothing() -> None:
    link = established()
    with pytest.raises(LocalProtocolError):
        link.send(bytes(261), 1.0)
    assert link.next_deadline() == pytest.approx(10.0)


def test_release_while_establishing_is_refused() -> None:
    link = DataLink(Side.USER)
    link.establish(0.0)
    with pytest.raises(LocalProtocolError):
        link.release(0.1)


def test_link_config_refuses_impossible_timers() -> None:
    with pytest.raises(ConfigError):
        LinkConfig(t200=10.0, t203=1.0)


def test_release_request_sends_disc_and_ua_confirms() -> None:
    link = established()
    assert frames(link.release(1.0)) == [bytes.fromhex("000153")]
    out = link.receive(bytes.fromhex("000173"), 1.1)
    assert link.state is LinkState.TEI_ASSIGNED and len(events(out)) == 1
    assert not any(isinstance(o, TransmitFrame) for o in out)
