"""The loop-start machines' analog features, driven with the times passed in."""

from __future__ import annotations

import pytest

from firmware.signaling.loopstart import (
    AnswerDetection,
    ConfigError,
    FxoConfig,
    FxoLine,
    FxoState,
    FxsConfig,
    FxsLine,
    FxsState,
    LocalProtocolError,
)
from firmware.signaling.loopstart.events import (
    Answered,
    CallerInfo,
    Digits,
    EnableCallerId,
    FarEndDisconnected,
    Flash,
    IncomingCall,
    LineFreed,
    PlayTone,
    Released,
    SendCallerId,
    SendDigits,
    SetHook,
    StartRing,
    StopRing,
    StopTone,
)

CALLER = CallerInfo("600100200", "Jan Kowalski")


# --- FXS: caller ID on ringing -----------------------------------------------------------


def test_caller_id_after_the_first_ring_follows_its_end_by_the_cid_delay() -> None:
    line = FxsLine(FxsConfig(caller_id_standard="etsi", ring_cadence=(1.0, 4.0)))
    assert line.ring(0.0, caller=CALLER) == [StartRing((1.0, 4.0))]
    assert line.next_deadline() == pytest.approx(1.5)
    assert line.handle_timer(1.5) == [SendCallerId(CALLER, "etsi", before_ring=False)]
    assert line.ring(3.0, caller=CALLER) == [StartRing((1.0, 4.0))]  # sent once only


def test_caller_id_before_the_first_ring_delays_the_ring_until_it_is_sent() -> None:
    line = FxsLine(FxsConfig(caller_id_standard="etsi", caller_id_before_ring=True))
    assert line.ring(0.0, caller=CALLER) == [SendCallerId(CALLER, "etsi", before_ring=True)]
    assert line.caller_id_sent(0.9) == [StartRing((1.0, 4.0))]
    assert line.next_deadline() is None


def test_caller_id_before_the_ring_rings_anyway_if_the_media_layer_never_reports() -> None:
    line = FxsLine(FxsConfig(caller_id_standard="dtmf", caller_id_before_ring=True))
    line.ring(0.0, caller=CALLER)
    assert line.handle_timer(3.0) == [StartRing((1.0, 4.0))]


def test_answering_while_caller_id_plays_stops_it() -> None:
    line = FxsLine(FxsConfig(caller_id_standard="etsi"))
    line.ring(0.0, caller=CALLER)
    line.handle_timer(1.5)
    assert line.hook(True, 1.7) == [StopRing(), StopTone(), Answered()]


def test_without_a_caller_id_standard_the_phone_just_rings() -> None:
    line = FxsLine(FxsConfig())
    assert line.ring(0.0, caller=CALLER) == [StartRing((1.0, 4.0))]
    assert line.next_deadline() is None


def test_bell_caller_id_before_the_ring_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="Bell"):
        FxsConfig(caller_id_standard="bell", caller_id_before_ring=True)


# --- FXS: dialling, tones, flash ---------------------------------------------------------


def test_dial_plan_predicate_ends_dialling_without_waiting() -> None:
    line = FxsLine(number_complete=lambda digits: digits == "102")
    line.hook(True, 0.0)
    line.digit("1", 1.0)
    line.digit("0", 1.2)
    assert line.digit("2", 1.4) == [Digits("102")]
    assert line.state is FxsState.PROCEEDING


def test_message_waiting_gives_stutter_dial_tone() -> None:
    line = FxsLine()
    line.message_waiting = True
    assert PlayTone("stutter") in line.hook(True, 0.0)


def test_a_phone_left_off_hook_hears_the_howler_after_busy() -> None:
    line = FxsLine(FxsConfig(howler_after=30.0))
    line.hook(True, 0.0)
    line.digit("5", 1.0)
    line.handle_timer(5.0)
    assert line.release(5.0) == [PlayTone("busy")]
    assert line.handle_timer(35.0) == [PlayTone("howler")]
    assert line.state is FxsState.RELEASED


def test_recall_after_a_flash_collects_a_transfer_number_and_a_flash_asks_back() -> None:
    line = FxsLine()
    line.ring(0.0)
    line.hook(True, 1.0)
    line.hook(False, 5.0)
    assert line.hook(True, 5.2) == [Flash()]
    assert line.recall(5.2) == [PlayTone("dial")]
    assert line.recalled and line.state is FxsState.DIALTONE
    line.hook(False, 6.0)
    assert line.hook(True, 6.2) == [Flash()]  # at the dial tone: take the caller back
    assert line.connect(6.2) == [StopTone()]
    assert not line.recalled


def test_a_flash_at_dial_tone_without_a_held_call_does_nothing() -> None:
    line = FxsLine()
    line.hook(True, 0.0)
    line.hook(False, 1.0)
    assert line.hook(True, 1.2) == []


def test_flash_window_is_configurable() -> None:
    line = FxsLine(FxsConfig(flash_min=0.2, flash_max=1.0))
    line.ring(0.0)
    line.hook(True, 1.0)
    line.hook(False, 2.0)
    assert line.hook(True, 2.1) == []  # shorter than flash_min: a bounce
    line.hook(False, 3.0)
    assert line.hook(True, 3.8) == [Flash()]  # inside the wider window


def test_recall_outside_a_call_is_a_local_protocol_error() -> None:
    with pytest.raises(LocalProtocolError):
        FxsLine().recall(0.0)


# --- FXO: answer detection, early dialling, supervision, guard ---------------------------


def _proceeding(config: FxoConfig) -> FxoLine:
    line = FxoLine(config)
    line.dial("226001122", 0.0)
    line.handle_timer(config.dialtone_delay)
    line.digits_sent(2.5)
    assert line.state is FxoState.PROCEEDING
    return line


def test_dial_tone_heard_sends_the_digits_before_the_fixed_delay() -> None:
    line = FxoLine()
    line.dial("123", 0.0)
    assert line.heard("dial", 0.6) == [SendDigits("123")]


def test_progress_answer_needs_voice_after_ringback() -> None:
    line = _proceeding(FxoConfig(answer_detection=AnswerDetection.PROGRESS))
    assert line.heard("voice", 3.0) == []  # an announcement, not the called party
    line.heard("ringback", 8.0)
    assert line.heard("voice", 20.0) == [Answered()]
    assert line.state is FxoState.CONNECTED


def test_answer_detection_is_one_setting_with_the_old_flag_as_its_short_form() -> None:
    assert FxoConfig(answer_by_polarity=False).answer_detection is AnswerDetection.DELAY
    progress = FxoConfig(answer_detection="progress")  # type: ignore[arg-type]
    assert progress.answer_detection is AnswerDetection.PROGRESS
    assert not progress.answer_by_polarity
    with pytest.raises(ConfigError, match="answer_detection"):
        FxoConfig(answer_detection="magic")  # type: ignore[arg-type]


def test_silence_clock_runs_from_the_first_silence_report_and_voice_stops_it() -> None:
    line = _proceeding(FxoConfig(silence_disconnect=10.0))
    line.polarity_reversed(5.0)
    line.heard("silence", 6.0)
    line.heard("silence", 9.0)  # a repeat does not restart the clock
    line.heard("voice", 12.0)
    line.heard("silence", 13.0)
    assert line.handle_timer(22.9) == []
    assert line.handle_timer(23.0) == [FarEndDisconnected("silence")]


def test_guard_frees_a_line_whose_call_outlives_the_limit() -> None:
    line = _proceeding(FxoConfig(max_call_duration=60.0))
    line.polarity_reversed(5.0)
    assert line.handle_timer(60.0) == [LineFreed("max-duration", 60.0), SetHook(False),
                                       Released()]
    assert line.state is FxoState.IDLE


def test_guard_frees_a_line_the_layer_above_forgot_after_the_far_end_left() -> None:
    line = _proceeding(FxoConfig(max_call_duration=60.0))
    line.polarity_reversed(5.0)
    line.loop_current_drop(20.0)
    assert line.state is FxoState.FAR_END_GONE
    assert LineFreed("max-duration", 60.0) in line.handle_timer(60.0)


def test_guard_frees_a_line_silent_for_too_long_even_with_silence_disconnect_off() -> None:
    config = FxoConfig(max_silence=30.0, disconnect_by=frozenset({"loop-current"}))
    line = _proceeding(config)
    line.heard("silence", 4.0)
    assert line.handle_timer(34.0)[0] == LineFreed("max-silence", 30.0)


def test_unknown_disconnect_method_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown disconnect methods"):
        FxoConfig(disconnect_by=frozenset({"psychic"}))  # type: ignore[arg-type]


def test_loop_drop_is_ignored_on_a_line_that_does_not_signal_by_it() -> None:
    line = _proceeding(FxoConfig(disconnect_by=frozenset({"polarity"})))
    line.polarity_reversed(5.0)
    assert line.loop_current_drop(9.0) == []
    assert line.polarity_reversed(10.0) == [FarEndDisconnected("polarity")]


def test_an_unknown_progress_report_is_ignored() -> None:
    line = _proceeding(FxoConfig())
    assert line.heard("birdsong", 3.0) == []


def test_a_ring_burst_too_short_for_the_cadence_is_not_a_call() -> None:
    line = FxoLine()
    line.ring_started(0.0)
    line.ring_stopped(0.05)  # a splash on the line
    assert line.state is FxoState.PRE_RING
    assert line.handle_timer(10.0) == [EnableCallerId(False)]
    assert line.state is FxoState.IDLE


def test_a_ring_pulse_alert_then_caller_id_then_the_first_ring_offers_the_call() -> None:
    line = FxoLine()
    line.ring_started(0.0)
    line.ring_stopped(0.1)  # EN 300 659-1 RP-AS
    line.caller_id("600100200", None, None, 0.9)
    out = line.ring_started(1.5)
    assert IncomingCall("600100200", None, None) in out


def test_ringing_voltage_that_never_pauses_is_never_offered() -> None:
    line = FxoLine()
    line.ring_started(0.0)
    assert line.handle_timer(7.0) == [EnableCallerId(False)]
    assert line.state is FxoState.IDLE
