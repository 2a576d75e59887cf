"""The FXS loop-start machine, driven state by state with the times passed in."""

from __future__ import annotations

import pytest

from firmware.signaling.loopstart import (
    ConfigError,
    FxsConfig,
    FxsLine,
    FxsState,
    LocalProtocolError,
)
from firmware.signaling.loopstart.events import (
    Answered,
    DialTimeout,
    Digits,
    Flash,
    HungUp,
    OffHook,
    PlayTone,
    StartRing,
    StopRing,
    StopTone,
)

CFG = FxsConfig()


def lifted(at: float = 0.0) -> FxsLine:
    line = FxsLine()
    line.hook(True, at)
    return line


def in_call(at: float = 0.0) -> FxsLine:
    line = FxsLine()
    line.ring(at)
    line.hook(True, at + 1.0)
    assert line.state is FxsState.CONNECTED
    return line


def test_offhook_from_idle_gives_dial_tone_and_reports_origination() -> None:
    line = FxsLine()
    assert line.hook(True, 5.0) == [PlayTone("dial"), OffHook()]
    assert line.state is FxsState.DIALTONE
    assert line.tone == "dial"


def test_first_digit_stops_dial_tone() -> None:
    line = lifted()
    assert line.digit("1", 1.0) == [StopTone()]
    assert line.state is FxsState.DIALLING


def test_hash_ends_dialling_without_being_part_of_the_number() -> None:
    line = lifted()
    line.digit("2", 1.0)
    line.digit("0", 1.5)
    line.digit("1", 2.0)
    assert line.digit("#", 2.5) == [Digits("201")]
    assert line.state is FxsState.PROCEEDING
    assert line.next_deadline() is None


def test_interdigit_timeout_ends_dialling() -> None:
    line = lifted()
    line.digit("*", 1.0)
    line.digit("7", 2.0)
    assert line.next_deadline() == pytest.approx(2.0 + CFG.interdigit_timeout)
    assert line.handle_timer(2.0 + CFG.interdigit_timeout - 0.01) == []
    assert line.handle_timer(2.0 + CFG.interdigit_timeout) == [Digits("*7")]
    assert line.state is FxsState.PROCEEDING


def test_each_digit_restarts_the_interdigit_timeout() -> None:
    line = lifted()
    line.digit("1", 1.0)
    line.digit("2", 4.0)
    assert line.handle_timer(5.5) == []
    assert line.state is FxsState.DIALLING


def test_a_digit_after_the_timeout_is_not_added_to_the_number() -> None:
    line = lifted()
    line.digit("5", 1.0)
    # No handle_timer call in between: the input fires the due timer first.
    assert line.digit("6", 1.0 + CFG.interdigit_timeout + 1.0) == [Digits("5")]
    assert line.state is FxsState.PROCEEDING


def test_hash_alone_on_dial_tone_is_ignored() -> None:
    line = lifted()
    assert line.digit("#", 1.0) == []
    assert line.state is FxsState.DIALTONE
    assert line.tone == "dial"


def test_dialling_ends_at_max_digits() -> None:
    line = FxsLine(FxsConfig(max_digits=3))
    line.hook(True, 0.0)
    line.digit("1", 1.0)
    line.digit("2", 1.1)
    assert line.digit("3", 1.2) == [Digits("123")]


def test_no_digit_within_first_digit_timeout_gives_congestion() -> None:
    line = lifted(0.0)
    assert line.next_deadline() == pytest.approx(CFG.first_digit_timeout)
    assert line.handle_timer(CFG.first_digit_timeout) == [PlayTone("congestion"), DialTimeout()]
    assert line.state is FxsState.RELEASED
    assert line.digit("1", 11.0) == []


def test_onhook_longer_than_flash_max_is_a_hang_up_reported_at_flash_max() -> None:
    line = lifted(0.0)
    line.digit("1", 1.0)
    assert line.hook(False, 2.0) == []
    assert line.state is FxsState.DIALLING
    assert line.next_deadline() == pytest.approx(2.0 + CFG.flash_max)
    assert line.handle_timer(2.0 + CFG.flash_max - 0.001) == []
    assert line.handle_timer(2.0 + CFG.flash_max) == [HungUp()]
    assert line.state is FxsState.IDLE
    assert line.next_deadline() is None


def test_hang_up_during_dial_tone_stops_the_tone() -> None:
    line = lifted(0.0)
    line.hook(False, 1.0)
    assert line.handle_timer(1.0 + CFG.flash_max) == [StopTone(), HungUp()]


def test_onhook_between_flash_min_and_flash_max_is_a_flash_in_a_call() -> None:
    line = in_call(0.0)
    line.hook(False, 10.0)
    assert line.hook(True, 10.0 + CFG.flash_min) == [Flash()]
    assert line.state is FxsState.CONNECTED
    assert line.next_deadline() is None


def test_onhook_just_under_flash_max_is_still_a_flash() -> None:
    line = in_call(0.0)
    line.hook(False, 10.0)
    assert line.hook(True, 10.0 + CFG.flash_max - 0.001) == [Flash()]


def test_onhook_of_exactly_flash_max_is_a_hang_up_even_without_a_timer_call() -> None:
    line = in_call(0.0)
    line.hook(False, 10.0)
    out = line.hook(True, 10.0 + CFG.flash_max)
    assert out == [HungUp(), PlayTone("dial"), OffHook()]
    assert line.state is FxsState.DIALTONE


def test_onhook_shorter_than_flash_min_is_a_glitch() -> None:
    line = in_call(0.0)
    line.hook(False, 10.0)
    assert line.hook(True, 10.0 + CFG.flash_min - 0.001) == []
    assert line.state is FxsState.CONNECTED
    assert line.next_deadline() is None


def test_glitch_while_dialling_keeps_the_digits() -> None:
    line = lifted(0.0)
    line.digit("4", 1.0)
    line.hook(False, 1.5)
    line.hook(True, 1.52)
    assert line.digit("#", 2.0) == [Digits("4")]


def test_flash_while_dialling_restarts_the_number_with_dial_tone() -> None:
    line = lifted(0.0)
    line.digit("9", 1.0)
    line.hook(False, 2.0)
    assert line.hook(True, 2.3) == [PlayTone("dial")]
    assert line.state is FxsState.DIALTONE
    assert line.digit("3", 3.0) == [StopTone()]
    assert line.digit("#", 3.5) == [Digits("3")]


def test_digits_heard_while_the_phone_is_on_its_hook_are_ignored() -> None:
    line = lifted(0.0)
    line.digit("1", 1.0)
    line.hook(False, 2.0)
    assert line.digit("2", 2.02) == []
    line.hook(True, 2.05)
    assert line.digit("#", 2.5) == [Digits("1")]


def test_ring_alerts_the_phone_with_the_configured_cadence() -> None:
    line = FxsLine()
    assert line.ring(0.0) == [StartRing(CFG.ring_cadence)]
    assert line.state is FxsState.RINGING


def test_ring_with_a_given_cadence() -> None:
    line = FxsLine()
    assert line.ring(0.0, cadence=(0.4, 0.2, 0.4, 2.0)) == [StartRing((0.4, 0.2, 0.4, 2.0))]


def test_ring_with_a_bad_cadence_is_refused_and_changes_nothing() -> None:
    line = FxsLine()
    with pytest.raises(LocalProtocolError, match="cadence"):
        line.ring(0.0, cadence=(1.0, 0.0))
    assert line.state is FxsState.IDLE


def test_offhook_while_ringing_answers_and_stops_the_ring() -> None:
    line = FxsLine()
    line.ring(0.0)
    assert line.hook(True, 3.0) == [StopRing(), Answered()]
    assert line.state is FxsState.CONNECTED


def test_stop_ring_returns_to_idle() -> None:
    line = FxsLine()
    line.ring(0.0)
    assert line.stop_ring(5.0) == [StopRing()]
    assert line.state is FxsState.IDLE


def test_stop_ring_after_the_phone_answered_is_harmless() -> None:
    line = in_call(0.0)
    assert line.stop_ring(2.0) == []
    assert line.state is FxsState.CONNECTED


def test_release_while_ringing_stops_the_ring() -> None:
    line = FxsLine()
    line.ring(0.0)
    assert line.release(2.0) == [StopRing()]
    assert line.state is FxsState.IDLE


def test_release_in_a_call_gives_busy_tone_until_hang_up() -> None:
    line = in_call(0.0)
    assert line.release(5.0) == [PlayTone("busy")]
    assert line.state is FxsState.RELEASED
    line.hook(False, 7.0)
    assert line.handle_timer(7.0 + CFG.flash_max) == [StopTone(), HungUp()]
    assert line.state is FxsState.IDLE


def test_release_after_dialling_gives_busy_tone() -> None:
    line = lifted(0.0)
    line.digit("1", 1.0)
    line.digit("#", 1.2)
    assert line.release(2.0) == [PlayTone("busy")]


def test_flash_after_release_is_ignored() -> None:
    line = in_call(0.0)
    line.release(5.0)
    line.hook(False, 6.0)
    assert line.hook(True, 6.2) == []
    assert line.state is FxsState.RELEASED


def test_connect_after_dialling_stops_nothing_when_no_tone_plays() -> None:
    line = lifted(0.0)
    line.digit("1", 1.0)
    line.digit("#", 1.2)
    assert line.connect(2.0) == []
    assert line.state is FxsState.CONNECTED


def test_connect_on_dial_tone_stops_the_tone() -> None:
    line = lifted(0.0)
    assert line.connect(0.5) == [StopTone()]
    assert line.state is FxsState.CONNECTED
    assert line.next_deadline() is None


def test_ring_on_a_lifted_phone_is_a_local_protocol_error() -> None:
    line = lifted(0.0)
    with pytest.raises(LocalProtocolError, match="dialtone"):
        line.ring(1.0)
    assert line.state is FxsState.DIALTONE


def test_connect_on_an_idle_phone_is_a_local_protocol_error() -> None:
    with pytest.raises(LocalProtocolError):
        FxsLine().connect(0.0)


def test_connect_on_a_ringing_phone_is_a_local_protocol_error() -> None:
    line = FxsLine()
    line.ring(0.0)
    with pytest.raises(LocalProtocolError):
        line.connect(1.0)
    assert line.state is FxsState.RINGING


def test_a_digit_that_is_not_dtmf_is_refused() -> None:
    line = lifted(0.0)
    with pytest.raises(LocalProtocolError, match="not a DTMF digit"):
        line.digit("x", 1.0)
    assert line.state is FxsState.DIALTONE


def test_repeated_hook_edges_from_the_line_are_ignored() -> None:
    line = FxsLine()
    assert line.hook(False, 0.0) == []
    line.hook(True, 1.0)
    assert line.hook(True, 1.5) == []
    assert line.state is FxsState.DIALTONE


def test_handle_timer_before_any_deadline_does_nothing() -> None:
    line = lifted(0.0)
    assert line.handle_timer(1.0) == []
    assert line.handle_timer(1.0) == []
    assert line.state is FxsState.DIALTONE


def test_crossed_flash_limits_are_a_config_error() -> None:
    with pytest.raises(ConfigError, match="flash_min"):
        FxsConfig(flash_min=0.7, flash_max=0.6)
