"""The sound device: the sim twin, the ALSA backend around a mocked pyalsaaudio, opening."""

from __future__ import annotations

import logging
import sys
import types

import numpy as np
import pytest

from firmware.settings import SettingsError, parse_settings
from hal.audio import AudioError, AudioSettings, SimAudio, open_audio
from hal.audio.alsa import PERIODS, AlsaAudio
from hal.clock import ManualClock


def _ramp(n: int) -> np.ndarray:
    return (np.arange(n) % 2000 - 1000).astype(np.int16)


# -- the sim twin -------------------------------------------------------------------------


def test_sim_capture_delivers_one_frame_per_20_ms_of_clock_time():
    clock = ManualClock()
    audio = SimAudio(clock, _ramp(8000), buffer_frames=8)
    audio.start_capture()
    assert audio.read_frames().shape == (0, 160)
    clock.advance(0.06)
    block = audio.read_frames()
    assert block.shape == (3, 160)
    assert np.array_equal(block.reshape(-1), _ramp(8000)[:480])
    clock.advance(0.02)
    assert np.array_equal(audio.read_frames()[0], _ramp(8000)[480:640])


def test_sim_capture_left_unread_overruns_and_keeps_the_newest_audio():
    clock = ManualClock()
    audio = SimAudio(clock, _ramp(8000), buffer_frames=4)
    audio.start_capture()
    clock.advance(0.2)  # ten frames, room for four
    block = audio.read_frames()
    assert block.shape == (4, 160)
    assert np.array_equal(block.reshape(-1), _ramp(8000)[960:1600])
    assert audio.overruns == 1


def test_sim_line_out_refuses_a_full_buffer_and_drains_with_the_clock():
    clock = ManualClock()
    audio = SimAudio(clock, buffer_frames=2)
    audio.start_playback()
    frame = np.full(160, 7, dtype=np.int16)
    assert audio.write_frame(frame) and audio.write_frame(frame)
    assert not audio.write_frame(frame)
    clock.advance(0.02)
    assert audio.write_frame(frame)
    assert audio.line_out().size == 3 * 160


def test_sim_line_out_rejects_a_frame_of_the_wrong_shape():
    audio = SimAudio(ManualClock())
    audio.start_playback()
    with pytest.raises(AudioError, match="160 int16"):
        audio.write_frame(np.zeros(80, dtype=np.int16))
    assert audio.played == []


# -- ALSA, with pyalsaaudio mocked ----------------------------------------------------------


class FakeAlsaError(Exception):
    pass


def _fake_alsaaudio(mocker, pcm, info=None):
    module = types.SimpleNamespace(
        PCM_CAPTURE=1, PCM_PLAYBACK=0, PCM_NONBLOCK=2, PCM_NORMAL=0,
        PCM_FORMAT_S16_LE=2, ALSAAudioError=FakeAlsaError,
        PCM=mocker.Mock(return_value=pcm),
    )
    pcm.info.return_value = info or {"rate": 8000, "channels": 1, "period_size": 160}
    return module


def test_alsa_capture_opens_the_telephone_format_non_blocking(mocker):
    pcm = mocker.Mock()
    alsa = _fake_alsaaudio(mocker, pcm)
    frames = [_ramp(160), _ramp(320)[160:]]
    pcm.read.side_effect = [(160, f.astype("<i2").tobytes()) for f in frames] + [(0, b"")]
    device = AlsaAudio("plughw:1,0", alsaaudio=alsa)
    device.start_capture()
    alsa.PCM.assert_called_once_with(
        type=alsa.PCM_CAPTURE, mode=alsa.PCM_NONBLOCK, device="plughw:1,0", rate=8000,
        channels=1, format=alsa.PCM_FORMAT_S16_LE, periodsize=160, periods=PERIODS,
    )
    block = device.read_frames()
    assert np.array_equal(block, np.stack(frames))
    assert pcm.read.call_count == 3  # until the device had nothing more


def test_alsa_playback_writes_little_endian_frames_and_reports_a_full_buffer(mocker):
    pcm = mocker.Mock()
    alsa = _fake_alsaaudio(mocker, pcm)
    pcm.write.side_effect = [160, 0]
    device = AlsaAudio("default", alsaaudio=alsa)
    device.start_playback()
    alsa.PCM.assert_called_once_with(
        type=alsa.PCM_PLAYBACK, mode=alsa.PCM_NONBLOCK, device="default", rate=8000,
        channels=1, format=alsa.PCM_FORMAT_S16_LE, periodsize=160, periods=PERIODS,
    )
    frame = _ramp(160)
    assert device.write_frame(frame) is True
    pcm.write.assert_called_with(frame.astype("<i2").tobytes())
    assert device.write_frame(frame) is False
    assert device.refused_writes == 1


def test_alsa_overrun_is_counted_and_the_capture_goes_on(mocker):
    pcm = mocker.Mock()
    alsa = _fake_alsaaudio(mocker, pcm)
    pcm.read.side_effect = [(-32, b""), (160, _ramp(160).tobytes()), (0, b"")]
    device = AlsaAudio("default", alsaaudio=alsa)
    device.start_capture()
    assert device.read_frames().shape == (1, 160)
    assert device.overruns == 1


def test_alsa_device_that_will_not_do_8_khz_is_refused_with_a_hint(mocker):
    pcm = mocker.Mock()
    alsa = _fake_alsaaudio(mocker, pcm, {"rate": 48000, "channels": 1, "period_size": 960})
    device = AlsaAudio("hw:0,0", alsaaudio=alsa)
    with pytest.raises(AudioError, match="48000 Hz.*plughw"):
        device.start_capture()
    pcm.close.assert_called_once()
    assert not device.capturing


def test_alsa_unplugged_during_capture_raises_audio_error_and_closes(mocker):
    pcm = mocker.Mock()
    alsa = _fake_alsaaudio(mocker, pcm)
    pcm.read.side_effect = FakeAlsaError("No such device")
    device = AlsaAudio("default", alsaaudio=alsa)
    device.start_capture()
    with pytest.raises(AudioError, match="No such device"):
        device.read_frames()
    assert not device.capturing


# -- opening -----------------------------------------------------------------------------


def test_no_pyalsaaudio_gives_no_device_and_a_log_line(mocker, caplog):
    mocker.patch.dict(sys.modules, {"alsaaudio": None})  # import fails
    with caplog.at_level(logging.INFO):
        device = open_audio(AudioSettings("default"), ManualClock())
    assert device is None
    assert "pyalsaaudio is not installed" in caplog.text


def test_no_sound_card_gives_no_device(mocker, caplog):
    pcm = mocker.Mock()
    alsa = _fake_alsaaudio(mocker, pcm)
    alsa.PCM.side_effect = FakeAlsaError("No such file or directory")
    mocker.patch.dict(sys.modules, {"alsaaudio": alsa})
    with caplog.at_level(logging.INFO):
        assert open_audio(AudioSettings("default"), ManualClock()) is None
    assert "no sound device" in caplog.text


def test_play_only_dongle_opens_with_a_line_out_and_no_line_in(mocker):
    pcm = mocker.Mock()
    alsa = _fake_alsaaudio(mocker, pcm)

    def open_pcm(**kw):
        if kw["type"] == alsa.PCM_CAPTURE:
            raise FakeAlsaError("no capture stream")
        return pcm

    alsa.PCM.side_effect = open_pcm
    mocker.patch.dict(sys.modules, {"alsaaudio": alsa})
    device = open_audio(AudioSettings("default"), ManualClock())
    assert device is not None
    assert device.has_line_out and not device.has_line_in


def test_audio_none_and_sim_settings(tmp_path):
    assert open_audio(AudioSettings("none"), ManualClock()) is None
    assert isinstance(open_audio(AudioSettings("sim"), ManualClock()), SimAudio)
    parsed = parse_settings({"audio": {"device": "plughw:1,0"}}, tmp_path)
    assert parsed.audio.device == "plughw:1,0"
    assert parse_settings({}, tmp_path).audio.device == "default"
    with pytest.raises(SettingsError, match="audio.device"):
        parse_settings({"audio": {"device": "a b"}}, tmp_path)
    with pytest.raises(SettingsError, match="audio.volume"):
        parse_settings({"audio": {"volume": 3}}, tmp_path)
