"""The Q.931 endpoint, call state by call state, with the §5.8 error cases and timers."""

from __future__ import annotations

import pytest

from firmware.signaling.q921 import Side
from firmware.signaling.q931 import (
    CallRef,
    CallState,
    LocalProtocolError,
    Q931Endpoint,
    SetupRequest,
)
from firmware.signaling.q931.events import (
    CallActive,
    CallAlerting,
    CallConnected,
    CallDisconnecting,
    CallProceeding,
    CallReleased,
    ChannelsRestarted,
    IncomingCall,
    MoreDigits,
    RestartAcknowledged,
    RestartFailed,
    SendMessage,
    StatusReceived,
)
from firmware.signaling.q931.ies import (
    BearerCapability,
    Cause,
    ChannelId,
    Location,
    PartyNumber,
    ProgressIndicator,
    RestartClass,
    TransferCapability,
)
from firmware.signaling.q931.messages import Fields, Message, MessageType, decode_message
from firmware.signaling.q931.messages import encode_message as enc

M = MessageType
SPEECH = BearerCapability()


def sent(outputs: list) -> list[Message]:
    return [decode_message(o.data) for o in outputs if isinstance(o, SendMessage)]


def evs(outputs: list) -> list:
    return [o for o in outputs if not isinstance(o, SendMessage)]


def only(outputs: list) -> Message:
    messages = sent(outputs)
    assert len(messages) == 1, messages
    return messages[0]


def cause_of(msg: Message) -> int | None:
    return msg.fields.cause.value if msg.fields.cause else None


def setup_from_network(cr: int = 7, channel: int = 3, complete: bool = True, **extra) -> bytes:
    fields = Fields(
        bearer=SPEECH,
        channel=ChannelId((channel,)),
        called=PartyNumber("100"),
        calling=PartyNumber("5551234"),
        sending_complete=complete,
        **extra,
    )
    return enc(M.SETUP, cr, False, fields)


def incoming(te: Q931Endpoint, cr: int = 7, channel: int = 3) -> CallRef:
    [event] = evs(te.receive(setup_from_network(cr, channel), 0.0))
    assert isinstance(event, IncomingCall)
    return event.ref


def answered(te: Q931Endpoint, cr: int = 7) -> CallRef:
    ref = incoming(te, cr)
    te.connect(ref, 0.1)
    te.receive(enc(M.CONNECT_ACKNOWLEDGE, cr, False, Fields()), 0.2)
    assert te.calls[ref].state is CallState.U10
    return ref


def outgoing(te: Q931Endpoint) -> CallRef:
    ref, _ = te.setup(SetupRequest(PartyNumber("4321")), 0.0)
    return ref


def reply(ref: CallRef, mtype: MessageType, **fields) -> bytes:
    return enc(mtype, ref.value, ref.ours, Fields(**fields))


# --- incoming calls, user side ------------------------------------------------------------


def test_incoming_setup_reserves_the_offered_channel_and_reports_the_call() -> None:
    te = Q931Endpoint(Side.USER)
    [event] = evs(te.receive(setup_from_network(channel=17), 0.0))
    assert isinstance(event, IncomingCall)
    assert event.channel == 17 and event.called == PartyNumber("100") and event.complete
    assert te.calls[event.ref].state is CallState.U6
    assert 17 not in te.free_channels()


def test_connect_names_the_channel_and_waits_for_connect_acknowledge() -> None:
    te = Q931Endpoint(Side.USER)
    ref = incoming(te, channel=3)
    msg = only(te.connect(ref, 1.0))
    assert msg.known_type is M.CONNECT and msg.flag is True
    assert msg.fields.channel == ChannelId((3,), exclusive=True)
    assert te.calls[ref].state is CallState.U8 and te.next_deadline() == 5.0  # T313
    assert evs(te.receive(reply(ref, M.CONNECT_ACKNOWLEDGE), 1.1)) == [CallActive(ref)]
    assert te.calls[ref].state is CallState.U10 and te.next_deadline() is None


def test_t313_expiry_clears_an_unacknowledged_answer() -> None:
    te = Q931Endpoint(Side.USER)
    ref = incoming(te)
    te.connect(ref, 0.0)
    msg = only(te.handle_timer(4.0))
    assert msg.known_type is M.DISCONNECT and cause_of(msg) == 102
    assert te.calls[ref].state is CallState.U11


def test_first_response_alone_carries_the_channel() -> None:
    te = Q931Endpoint(Side.USER)
    ref = incoming(te)
    assert only(te.proceeding(ref, 0.1)).fields.channel is not None
    assert only(te.alerting(ref, 0.2)).fields.channel is None
    assert te.calls[ref].state is CallState.U7


def test_network_disconnect_then_release_then_release_complete() -> None:
    te = Q931Endpoint(Side.USER)
    ref = answered(te)
    out = te.receive(reply(ref, M.DISCONNECT, cause=Cause(16, Location.PUBLIC_LOCAL)), 5.0)
    assert evs(out) == [CallDisconnecting(ref, 16)]
    assert te.calls[ref].state is CallState.U12
    assert only(te.release(ref, 5.1)).known_type is M.RELEASE
    assert te.calls[ref].state is CallState.U19
    assert evs(te.receive(reply(ref, M.RELEASE_COMPLETE), 5.2)) == [CallReleased(ref, 16)]
    assert ref not in te.calls and 3 in te.free_channels()


def test_disconnect_of_an_unanswered_call_is_a_release_complete() -> None:
    te = Q931Endpoint(Side.USER)
    ref = incoming(te)
    msg = only(te.disconnect(ref, 0.1, 21))
    assert msg.known_type is M.RELEASE_COMPLETE and cause_of(msg) == 21
    assert ref not in te.calls


def test_overlap_receiving_collects_digits_and_t302_ends_them() -> None:
    te = Q931Endpoint(Side.USER)
    [call] = evs(te.receive(setup_from_network(complete=False), 0.0))
    assert not call.complete
    assert only(te.setup_acknowledge(call.ref, 0.1)).known_type is M.SETUP_ACKNOWLEDGE
    info = enc(M.INFORMATION, 7, False, Fields(called=PartyNumber("5")))
    assert evs(te.receive(info, 1.0)) == [MoreDigits(call.ref, "5", False)]
    assert evs(te.handle_timer(16.0)) == [MoreDigits(call.ref, "", True)]
    assert te.calls[call.ref].state is CallState.U25


# --- outgoing calls, user side ------------------------------------------------------------


def test_setup_without_channel_lets_the_network_choose() -> None:
    te = Q931Endpoint(Side.USER)
    ref, out = te.setup(SetupRequest(PartyNumber("4321")), 0.0)
    msg = only(out)
    assert msg.known_type is M.SETUP and msg.fields.channel is None and not msg.flag
    assert msg.fields.bearer == SPEECH and msg.fields.sending_complete
    assert te.calls[ref].state is CallState.U1 and te.next_deadline() == 4.0
    out = te.receive(reply(ref, M.CALL_PROCEEDING, channel=ChannelId((9,))), 0.5)
    assert evs(out) == [CallProceeding(ref, 9)]
    assert te.calls[ref].state is CallState.U3 and te.next_deadline() == 30.5  # T310


def test_alerting_then_connect_is_acknowledged() -> None:
    te = Q931Endpoint(Side.USER)
    ref = outgoing(te)
    assert evs(te.receive(reply(ref, M.ALERTING, channel=ChannelId((2,))), 0.5)) == [
        CallAlerting(ref, 2)
    ]
    assert te.next_deadline() == 180.5  # T301
    out = te.receive(reply(ref, M.CONNECT), 3.0)
    assert only(out).known_type is M.CONNECT_ACKNOWLEDGE
    assert evs(out) == [CallConnected(ref, 2, None)]
    assert te.calls[ref].state is CallState.U10


def test_t303_retransmits_setup_once_then_gives_up() -> None:
    te = Q931Endpoint(Side.USER)
    ref, out = te.setup(SetupRequest(PartyNumber("4321")), 0.0)
    first = only(out)
    assert only(te.handle_timer(4.0)) == first
    out = te.handle_timer(8.0)
    assert only(out).known_type is M.RELEASE_COMPLETE
    assert evs(out) == [CallReleased(ref, 102)]


def test_t310_expiry_disconnects_with_cause_102() -> None:
    te = Q931Endpoint(Side.USER)
    ref = outgoing(te)
    te.receive(reply(ref, M.CALL_PROCEEDING, channel=ChannelId((1,))), 0.0)
    msg = only(te.handle_timer(30.0))
    assert msg.known_type is M.DISCONNECT and cause_of(msg) == 102


def test_our_disconnect_t305_then_release_and_t308_twice() -> None:
    te = Q931Endpoint(Side.USER)
    ref = outgoing(te)
    te.receive(reply(ref, M.CONNECT, channel=ChannelId((1,))), 0.1)
    assert cause_of(only(te.disconnect(ref, 1.0))) == 16
    assert te.calls[ref].state is CallState.U11
    msg = only(te.handle_timer(31.0))
    assert msg.known_type is M.RELEASE and cause_of(msg) == 16
    assert only(te.handle_timer(35.0)).known_type is M.RELEASE
    assert evs(te.handle_timer(39.0)) == [CallReleased(ref, 102)]


def test_disconnect_collision_goes_on_with_release() -> None:
    te = Q931Endpoint(Side.USER)
    ref = answered(te)
    te.disconnect(ref, 1.0)
    msg = only(te.receive(reply(ref, M.DISCONNECT, cause=Cause(16)), 1.1))
    assert msg.known_type is M.RELEASE and te.calls[ref].state is CallState.U19


def test_release_collision_ends_without_release_complete() -> None:
    te = Q931Endpoint(Side.USER)
    ref = answered(te)
    te.receive(reply(ref, M.DISCONNECT, cause=Cause(16)), 1.0)
    te.release(ref, 1.1)
    out = te.receive(reply(ref, M.RELEASE, cause=Cause(16)), 1.2)
    assert sent(out) == [] and evs(out) == [CallReleased(ref, 16)]


def test_overlap_sending_after_setup_acknowledge() -> None:
    te = Q931Endpoint(Side.USER)
    ref, _ = te.setup(SetupRequest(PartyNumber("4"), sending_complete=False), 0.0)
    te.receive(reply(ref, M.SETUP_ACKNOWLEDGE, channel=ChannelId((4,))), 0.1)
    assert te.calls[ref].state is CallState.U2
    msg = only(te.information(ref, 0.2, "32", sending_complete=True))
    assert msg.known_type is M.INFORMATION and msg.fields.called.digits == "32"


def test_illegal_request_raises_and_changes_nothing() -> None:
    te = Q931Endpoint(Side.USER)
    ref = outgoing(te)
    with pytest.raises(LocalProtocolError):
        te.connect(ref, 0.1)
    with pytest.raises(LocalProtocolError):
        te.release(CallRef(99, True), 0.1)
    assert te.calls[ref].state is CallState.U1


# --- Q.931 §5.8 error handling ------------------------------------------------------------


def test_unknown_call_reference_gets_release_complete_81() -> None:
    te = Q931Endpoint(Side.USER)
    msg = only(te.receive(enc(M.DISCONNECT, 33, False, Fields(cause=Cause(16))), 0.0))
    assert msg.known_type is M.RELEASE_COMPLETE and cause_of(msg) == 81
    assert msg.call_ref == 33 and msg.flag


def test_release_complete_for_an_unknown_call_is_ignored() -> None:
    te = Q931Endpoint(Side.USER)
    assert te.receive(enc(M.RELEASE_COMPLETE, 33, False, Fields()), 0.0) == []


def test_status_enquiry_for_an_unknown_call_reports_the_null_state() -> None:
    te = Q931Endpoint(Side.USER)
    msg = only(te.receive(enc(M.STATUS_ENQUIRY, 34, False, Fields()), 0.0))
    assert msg.known_type is M.STATUS and cause_of(msg) == 30 and msg.fields.call_state == 0


def test_message_on_the_global_call_reference_gets_status_81() -> None:
    te = Q931Endpoint(Side.USER)
    msg = only(te.receive(bytes.fromhex("0802000001"), 0.0))
    assert msg.known_type is M.STATUS and msg.is_global and cause_of(msg) == 81


def test_unknown_message_type_on_a_call_gets_status_97() -> None:
    te = Q931Endpoint(Side.USER)
    ref = answered(te)
    msg = only(te.receive(bytes.fromhex("080200077f"), 1.0))
    assert msg.known_type is M.STATUS and cause_of(msg) == 97
    assert msg.fields.call_state == 10 and msg.fields.cause.diagnostic == b"\x7f"
    assert te.calls[ref].state is CallState.U10


def test_message_not_expected_in_the_state_gets_status_101() -> None:
    te = Q931Endpoint(Side.USER)
    answered(te)
    msg = only(te.receive(enc(M.ALERTING, 7, False, Fields()), 1.0))
    assert cause_of(msg) == 101 and msg.fields.call_state == 10


def test_missing_mandatory_element_gets_status_96_and_no_action() -> None:
    te = Q931Endpoint(Side.USER)
    ref = outgoing(te)
    te.receive(reply(ref, M.CALL_PROCEEDING, channel=ChannelId((1,))), 0.1)
    msg = only(te.receive(reply(ref, M.PROGRESS), 0.2))
    assert cause_of(msg) == 96 and msg.fields.cause.diagnostic == b"\x1e"
    assert te.calls[ref].state is CallState.U3


def test_setup_without_bearer_capability_is_refused_with_96() -> None:
    te = Q931Endpoint(Side.USER)
    data = enc(M.SETUP, 8, False, Fields(channel=ChannelId((1,)), called=PartyNumber("1")))
    msg = only(te.receive(data, 0.0))
    assert msg.known_type is M.RELEASE_COMPLETE and cause_of(msg) == 96
    assert msg.fields.cause.diagnostic == b"\x04" and te.calls == {}


def test_setup_with_unknown_comprehension_required_element_is_refused() -> None:
    te = Q931Endpoint(Side.USER)
    data = setup_from_network(cr=9)[:5] + bytes.fromhex("0101ff") + setup_from_network(cr=9)[5:]
    msg = only(te.receive(data, 0.0))
    assert cause_of(msg) == 96 and msg.fields.cause.diagnostic == b"\x01"


def test_setup_on_time_slot_16_is_refused_with_82() -> None:
    te = Q931Endpoint(Side.USER)
    msg = only(te.receive(setup_from_network(cr=10, channel=16), 0.0))
    assert msg.known_type is M.RELEASE_COMPLETE and cause_of(msg) == 82


def test_setup_with_badly_coded_channel_is_refused_with_100() -> None:
    te = Q931Endpoint(Side.USER)
    data = bytes.fromhex("0802000b0504038090a3180189")
    assert cause_of(only(te.receive(data, 0.0))) == 100


def test_setup_on_a_busy_exclusive_channel_is_refused_with_44() -> None:
    te = Q931Endpoint(Side.USER)
    incoming(te, cr=1, channel=5)
    assert cause_of(only(te.receive(setup_from_network(cr=2, channel=5), 0.0))) == 44


def test_speech_only_box_refuses_a_data_call() -> None:
    te = Q931Endpoint(Side.USER)
    data = enc(
        M.SETUP,
        12,
        False,
        Fields(
            bearer=BearerCapability(TransferCapability.UNRESTRICTED_DIGITAL, None),
            channel=ChannelId((1,)),
        ),
    )
    assert cause_of(only(te.receive(data, 0.0))) == 65


def test_setup_for_a_call_reference_in_use_is_ignored() -> None:
    te = Q931Endpoint(Side.USER)
    incoming(te, cr=7, channel=3)
    assert te.receive(setup_from_network(cr=7, channel=4), 0.1) == []


def test_disconnect_without_cause_is_released_with_cause_96() -> None:
    te = Q931Endpoint(Side.USER)
    ref = answered(te)
    assert evs(te.receive(reply(ref, M.DISCONNECT), 1.0)) == [CallDisconnecting(ref, 31)]
    assert cause_of(only(te.release(ref, 1.1))) == 96


def test_unrecognized_optional_element_is_skipped_and_reported_with_99() -> None:
    te = Q931Endpoint(Side.USER)
    ref = outgoing(te)
    data = reply(ref, M.CALL_PROCEEDING, channel=ChannelId((1,))) + bytes.fromhex("7b0100")
    out = te.receive(data, 0.1)
    assert evs(out) == [CallProceeding(ref, 1)]
    assert cause_of(only(out)) == 99


def test_status_with_null_state_releases_the_call() -> None:
    te = Q931Endpoint(Side.USER)
    ref = answered(te)
    out = te.receive(reply(ref, M.STATUS, cause=Cause(101), call_state=0), 1.0)
    assert evs(out) == [CallReleased(ref, 101)] and sent(out) == []


def test_status_with_another_state_is_reported() -> None:
    te = Q931Endpoint(Side.USER)
    ref = answered(te)
    out = te.receive(reply(ref, M.STATUS, cause=Cause(30), call_state=10), 1.0)
    assert evs(out) == [StatusReceived(ref, 30, 10)]


def test_status_enquiry_on_a_call_reports_its_state() -> None:
    te = Q931Endpoint(Side.USER)
    ref = answered(te)
    msg = only(te.receive(reply(ref, M.STATUS_ENQUIRY), 1.0))
    assert cause_of(msg) == 30 and msg.fields.call_state == 10


# --- restart (§5.5) -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "restart_class", [RestartClass.ALL_INTERFACES, RestartClass.SINGLE_INTERFACE]
)
def test_restart_of_the_interface_releases_every_call_and_is_acknowledged(
    restart_class: RestartClass,
) -> None:
    te = Q931Endpoint(Side.USER)
    ref = answered(te)
    out = te.receive(enc(M.RESTART, 0, False, Fields(restart=restart_class)), 1.0)
    ack = only(out)
    assert ack.known_type is M.RESTART_ACKNOWLEDGE and ack.is_global and ack.flag
    assert ack.fields.restart is restart_class
    assert evs(out) == [CallReleased(ref, 41), ChannelsRestarted(restart_class, ())]
    assert te.calls == {}


def test_restart_of_indicated_channels_spares_other_calls() -> None:
    te = Q931Endpoint(Side.USER)
    first = incoming(te, cr=1, channel=1)
    second = incoming(te, cr=2, channel=2)
    data = enc(M.RESTART, 0, False, Fields(channel=ChannelId((2,)), restart=RestartClass(0)))
    out = te.receive(data, 1.0)
    assert only(out).fields.channel == ChannelId((2,))
    assert CallReleased(second, 41) in out and first in te.calls


def test_restart_of_indicated_channels_without_channel_gets_status_96() -> None:
    te = Q931Endpoint(Side.USER)
    msg = only(te.receive(enc(M.RESTART, 0, False, Fields(restart=RestartClass(0))), 0.0))
    assert msg.known_type is M.STATUS and cause_of(msg) == 96


def test_our_restart_waits_for_its_acknowledgement_with_t316() -> None:
    te = Q931Endpoint(Side.USER)
    msg = only(te.restart(0.0, RestartClass.INDICATED_CHANNELS, (4,)))
    assert msg.known_type is M.RESTART and not msg.flag
    ack = enc(
        M.RESTART_ACKNOWLEDGE, 0, True, Fields(channel=ChannelId((4,)), restart=RestartClass(0))
    )
    assert evs(te.receive(ack, 1.0)) == [RestartAcknowledged(RestartClass(0), (4,))]
    assert te.next_deadline() is None


def test_unanswered_restart_is_repeated_then_reported() -> None:
    te = Q931Endpoint(Side.USER)
    te.restart(0.0)
    assert only(te.handle_timer(120.0)).known_type is M.RESTART
    assert evs(te.handle_timer(240.0)) == [RestartFailed(RestartClass.ALL_INTERFACES, ())]


# --- data link events (§5.8.8, §5.8.9) ------------------------------------------------------


def test_link_failure_clears_calls_not_active_and_t309_the_others() -> None:
    te = Q931Endpoint(Side.USER)
    active = answered(te, cr=1)
    ringing = incoming(te, cr=2, channel=9)
    assert evs(te.link_released(10.0)) == [CallReleased(ringing, 41)]
    assert active in te.calls and te.next_deadline() == 100.0
    assert evs(te.handle_timer(100.0)) == [CallReleased(active, 27)]


def test_link_back_in_time_stops_t309_and_enquires_about_active_calls() -> None:
    te = Q931Endpoint(Side.USER)
    answered(te, cr=1)
    te.link_released(10.0)
    assert only(te.link_established(12.0)).known_type is M.STATUS_ENQUIRY
    assert te.next_deadline() is None


# --- network side -------------------------------------------------------------------------


def test_network_picks_a_free_channel_for_a_user_setup_without_one() -> None:
    nt = Q931Endpoint(Side.NETWORK)
    data = enc(M.SETUP, 3, False, Fields(bearer=SPEECH, called=PartyNumber("200")))
    [call] = evs(nt.receive(data, 0.0))
    assert call.channel == 1 and nt.calls[call.ref].state is CallState.N1
    msg = only(nt.proceeding(call.ref, 0.1))
    assert msg.fields.channel == ChannelId((1,)) and nt.calls[call.ref].state is CallState.N3


def test_network_answer_goes_straight_to_active() -> None:
    nt = Q931Endpoint(Side.NETWORK)
    data = enc(M.SETUP, 3, False, Fields(bearer=SPEECH, channel=ChannelId((6,), exclusive=False)))
    [call] = evs(nt.receive(data, 0.0))
    nt.connect(call.ref, 0.1)
    assert nt.calls[call.ref].state is CallState.N10


def test_network_setup_is_exclusive_and_t301_means_no_answer() -> None:
    nt = Q931Endpoint(Side.NETWORK)
    ref, out = nt.setup(SetupRequest(PartyNumber("100")), 0.0)
    assert only(out).fields.channel == ChannelId((1,), exclusive=True)
    nt.receive(reply(ref, M.ALERTING), 0.5)
    assert nt.calls[ref].state is CallState.N7
    msg = only(nt.handle_timer(180.5))
    assert msg.known_type is M.DISCONNECT and cause_of(msg) == 19
    assert nt.calls[ref].state is CallState.N12


def test_network_user_disconnect_then_release() -> None:
    nt = Q931Endpoint(Side.NETWORK)
    ref, _ = nt.setup(SetupRequest(PartyNumber("100")), 0.0)
    nt.receive(reply(ref, M.CONNECT), 0.5)
    out = nt.receive(reply(ref, M.DISCONNECT, cause=Cause(16)), 1.0)
    assert evs(out) == [CallDisconnecting(ref, 16)] and nt.calls[ref].state is CallState.N11
    nt.release(ref, 1.1)
    assert nt.calls[ref].state is CallState.N19


def test_progress_indicator_reaches_the_calls_layer() -> None:
    te = Q931Endpoint(Side.USER)
    ref = outgoing(te)
    te.receive(reply(ref, M.CALL_PROCEEDING, channel=ChannelId((1,))), 0.1)
    out = te.receive(reply(ref, M.PROGRESS, progress=(ProgressIndicator(8),)), 0.2)
    assert [e.description for e in evs(out)] == [8]
    assert te.next_deadline() is None  # PROGRESS stopped T310
