"""The FXO loop-start machine, driven state by state with the times passed in."""

from __future__ import annotations

import pytest

from firmware.signaling.loopstart import (
    ConfigError,
    FxoConfig,
    FxoLine,
    FxoState,
    LocalProtocolError,
)
from firmware.signaling.loopstart.events import (
    Answered,
    Connected,
    EnableCallerId,
    FarEndDisconnected,
    HookFlash,
    IncomingCall,
    Released,
    RingingStopped,
    SendDigits,
    SetHook,
)

CFG = FxoConfig()
NO_POLARITY = FxoConfig(answer_by_polarity=False, no_polarity_answer_delay=2.0)


def offered(at: float = 0.0) -> FxoLine:
    line = FxoLine()
    line.ring_started(at)
    line.ring_stopped(at + 1.0)
    line.caller_id("0215551234", "ACME", "01021230", at + 1.8)
    assert line.state is FxoState.OFFERED
    return line


def inbound_call(at: float = 0.0) -> FxoLine:
    line = offered(at)
    line.answer(at + 2.0)
    return line


def outbound_call(config: FxoConfig = CFG) -> FxoLine:
    line = FxoLine(config)
    line.dial("123", 0.0)
    line.handle_timer(config.dialtone_delay)
    line.digits_sent(3.0)
    if config.answer_by_polarity:
        line.polarity_reversed(6.0)
    else:
        line.handle_timer(3.0 + config.no_polarity_answer_delay)
    assert line.state is FxoState.CONNECTED
    return line


def test_first_ring_enables_the_caller_id_receiver() -> None:
    line = FxoLine()
    assert line.ring_started(0.0) == [EnableCallerId(True)]
    assert line.state is FxoState.ALERTING


def test_caller_id_after_the_first_ring_reports_the_call_with_the_number() -> None:
    line = FxoLine()
    line.ring_started(0.0)
    assert line.ring_stopped(1.0) == []
    out = line.caller_id("0215551234", "ACME", "01021230", 1.8)
    assert out == [EnableCallerId(False), IncomingCall("0215551234", "ACME", "01021230")]
    assert line.state is FxoState.OFFERED


def test_no_caller_id_reports_the_call_at_the_second_ring() -> None:
    line = FxoLine()
    line.ring_started(0.0)
    line.ring_stopped(0.4)
    assert line.ring_started(0.6) == [EnableCallerId(False), IncomingCall(None, None, None)]
    assert line.state is FxoState.OFFERED


def test_no_caller_id_and_a_long_silence_reports_the_call_after_cid_wait() -> None:
    line = FxoLine()
    line.ring_started(0.0)
    line.ring_stopped(1.0)
    assert line.next_deadline() == pytest.approx(1.0 + CFG.cid_wait)
    out = line.handle_timer(1.0 + CFG.cid_wait)
    assert out == [EnableCallerId(False), IncomingCall(None, None, None)]


def test_caller_id_after_the_call_was_reported_is_ignored() -> None:
    line = FxoLine()
    line.ring_started(0.0)
    line.ring_stopped(0.4)
    line.ring_started(0.6)
    assert line.caller_id("123", None, None, 1.5) == []


def test_caller_id_before_the_first_ring_is_reported_when_it_rings() -> None:
    line = FxoLine()
    assert line.polarity_reversed(0.0) == [EnableCallerId(True)]
    assert line.state is FxoState.PRE_RING
    assert line.caller_id("07700900123", None, None, 0.5) == []
    out = line.ring_started(1.2)
    assert out == [EnableCallerId(False), IncomingCall("07700900123", None, None)]
    assert line.state is FxoState.OFFERED


def test_polarity_reversal_with_no_ring_after_it_returns_to_idle() -> None:
    line = FxoLine()
    line.polarity_reversed(0.0)
    assert line.handle_timer(CFG.cid_wait) == [EnableCallerId(False)]
    assert line.state is FxoState.IDLE


def test_rings_that_stop_before_answer_report_ringing_stopped() -> None:
    line = offered(0.0)
    line.ring_started(5.0)
    line.ring_stopped(6.0)
    assert line.handle_timer(6.0 + CFG.ring_gone_timeout - 0.01) == []
    assert line.handle_timer(6.0 + CFG.ring_gone_timeout) == [RingingStopped()]
    assert line.state is FxoState.IDLE
    assert line.next_deadline() is None


def test_a_single_ring_with_nothing_after_it_is_reported_then_abandoned() -> None:
    line = FxoLine()
    line.ring_started(0.0)
    line.ring_stopped(1.0)
    out = line.handle_timer(1.0 + CFG.ring_gone_timeout)
    assert out == [EnableCallerId(False), IncomingCall(None, None, None), RingingStopped()]
    assert line.state is FxoState.IDLE


def test_answer_seizes_the_line_and_reports_connected() -> None:
    line = offered(0.0)
    assert line.answer(2.0) == [SetHook(True), Connected()]
    assert line.state is FxoState.CONNECTED
    assert line.next_deadline() is None


def test_rings_after_answer_do_not_offer_another_call() -> None:
    line = inbound_call(0.0)
    assert line.ring_started(5.0) == []
    assert line.state is FxoState.CONNECTED


def test_answer_without_an_offered_call_is_a_local_protocol_error() -> None:
    line = FxoLine()
    with pytest.raises(LocalProtocolError, match="idle"):
        line.answer(0.0)
    assert line.state is FxoState.IDLE


def test_declined_call_is_released_when_the_ringing_stops() -> None:
    line = offered(0.0)
    assert line.hangup(2.0) == []
    assert line.state is FxoState.DECLINED
    assert line.ring_started(5.0) == []
    line.ring_stopped(6.0)
    assert line.handle_timer(6.0 + CFG.ring_gone_timeout) == [Released()]
    assert line.state is FxoState.IDLE


def test_outbound_call_seizes_waits_for_dial_tone_and_sends_digits() -> None:
    line = FxoLine()
    assert line.dial("0215551234", 10.0) == [SetHook(True)]
    assert line.state is FxoState.SEIZED
    assert line.next_deadline() == pytest.approx(10.0 + CFG.dialtone_delay)
    assert line.handle_timer(10.0 + CFG.dialtone_delay) == [SendDigits("0215551234")]
    assert line.state is FxoState.DIALLING
    assert line.digits_sent(14.0) == []
    assert line.state is FxoState.PROCEEDING


def test_outbound_call_is_answered_by_polarity_reversal() -> None:
    line = FxoLine()
    line.dial("123", 0.0)
    line.handle_timer(CFG.dialtone_delay)
    line.digits_sent(3.0)
    assert line.polarity_reversed(8.0) == [Answered()]
    assert line.state is FxoState.CONNECTED


def test_polarity_reversal_just_before_digits_sent_still_answers() -> None:
    line = FxoLine()
    line.dial("123", 0.0)
    line.handle_timer(CFG.dialtone_delay)
    assert line.polarity_reversed(2.9) == []
    assert line.digits_sent(3.0) == [Answered()]


def test_without_polarity_the_call_is_answered_after_the_configured_delay() -> None:
    line = FxoLine(NO_POLARITY)
    line.dial("123", 0.0)
    line.handle_timer(NO_POLARITY.dialtone_delay)
    assert line.digits_sent(3.0) == []
    assert line.polarity_reversed(4.0) == []
    assert line.handle_timer(5.0) == [Answered()]


def test_without_polarity_and_no_delay_the_call_is_answered_when_digits_are_sent() -> None:
    line = FxoLine(FxoConfig(answer_by_polarity=False))
    line.dial("123", 0.0)
    line.handle_timer(1.5)
    assert line.digits_sent(3.0) == [Answered()]


def test_loop_current_drop_disconnects_a_call() -> None:
    line = inbound_call(0.0)
    assert line.loop_current_drop(30.0) == [FarEndDisconnected("loop-current")]
    assert line.state is FxoState.FAR_END_GONE
    assert line.hangup(30.1) == [SetHook(False), Released()]
    assert line.state is FxoState.IDLE


def test_polarity_reversal_in_a_call_disconnects_when_the_line_signals_by_polarity() -> None:
    line = outbound_call()
    assert line.polarity_reversed(40.0) == [FarEndDisconnected("polarity")]
    assert line.state is FxoState.FAR_END_GONE


def test_polarity_reversal_in_a_call_is_ignored_on_a_line_without_polarity_signals() -> None:
    line = outbound_call(NO_POLARITY)
    assert line.polarity_reversed(40.0) == []
    assert line.state is FxoState.CONNECTED


def test_busy_tone_clears_fxo_call() -> None:
    line = outbound_call()
    assert line.disconnect_tone(40.0) == [FarEndDisconnected("tone")]
    assert line.hangup(41.0) == [SetHook(False), Released()]


def test_busy_tone_while_proceeding_means_the_called_party_is_busy() -> None:
    line = FxoLine()
    line.dial("123", 0.0)
    line.handle_timer(CFG.dialtone_delay)
    line.digits_sent(3.0)
    assert line.disconnect_tone(4.0) == [FarEndDisconnected("tone")]


def test_hangup_ends_a_connected_call() -> None:
    line = inbound_call(0.0)
    assert line.hangup(20.0) == [SetHook(False), Released()]
    assert line.state is FxoState.IDLE


def test_hangup_while_waiting_for_dial_tone_cancels_the_call() -> None:
    line = FxoLine()
    line.dial("123", 0.0)
    assert line.hangup(0.5) == [SetHook(False), Released()]
    assert line.next_deadline() is None
    assert line.handle_timer(5.0) == []


def test_hangup_on_an_idle_line_is_harmless() -> None:
    line = FxoLine()
    assert line.hangup(0.0) == []


def test_flash_in_a_call_flashes_the_hook() -> None:
    line = inbound_call(0.0)
    assert line.flash(10.0) == [HookFlash(CFG.flash_time)]
    assert line.state is FxoState.CONNECTED


def test_the_loop_break_of_our_own_flash_is_not_a_disconnect() -> None:
    line = inbound_call(0.0)
    line.flash(10.0)
    assert line.loop_current_drop(10.05) == []
    assert line.loop_current_drop(12.0) == [FarEndDisconnected("loop-current")]


def test_flash_outside_a_call_is_a_local_protocol_error() -> None:
    with pytest.raises(LocalProtocolError):
        FxoLine().flash(0.0)


def test_dial_while_an_incoming_call_rings_is_refused() -> None:
    line = FxoLine()
    line.ring_started(0.0)
    with pytest.raises(LocalProtocolError, match="alerting"):
        line.dial("123", 0.5)
    assert line.state is FxoState.ALERTING
    assert not line.is_idle


def test_dial_after_a_lone_polarity_reversal_seizes_the_line() -> None:
    line = FxoLine()
    line.polarity_reversed(0.0)
    assert line.is_idle
    assert line.dial("123", 1.0) == [EnableCallerId(False), SetHook(True)]


def test_dial_of_a_number_that_is_not_dtmf_is_refused_and_changes_nothing() -> None:
    line = FxoLine()
    with pytest.raises(LocalProtocolError, match="not DTMF"):
        line.dial("12-34", 0.0)
    with pytest.raises(LocalProtocolError, match="1 to 32"):
        line.dial("", 0.0)
    assert line.state is FxoState.IDLE


def test_dial_on_a_busy_line_is_a_local_protocol_error() -> None:
    line = inbound_call(0.0)
    with pytest.raises(LocalProtocolError, match="connected"):
        line.dial("123", 5.0)


def test_line_events_out_of_place_are_ignored() -> None:
    line = FxoLine()
    assert line.ring_stopped(0.0) == []
    assert line.loop_current_drop(0.1) == []
    assert line.disconnect_tone(0.2) == []
    assert line.digits_sent(0.3) == []
    assert line.state is FxoState.IDLE


def test_negative_timing_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="dialtone_delay"):
        FxoConfig(dialtone_delay=-1.0)
