"""Prompt loading: any PCM WAV to 8 kHz mono int16, and clear errors for bad files."""

from __future__ import annotations

import struct
import wave

import numpy as np
import pytest

from firmware.media.prompts import PromptError, load_prompt, save_wav


def write_wav(path, frames: np.ndarray, rate: int, width: int) -> None:
    """Write (n, channels) integer samples as PCM of ``width`` bytes."""
    n, channels = frames.shape
    if width == 3:
        value = frames.astype(np.int32).reshape(-1) & 0xFFFFFF
        raw = np.stack([value & 0xFF, (value >> 8) & 0xFF, value >> 16], axis=1)
        data = raw.astype(np.uint8).tobytes()
    elif width == 1:
        data = (frames + 128).astype(np.uint8).tobytes()
    else:
        data = frames.astype({2: "<i2", 4: "<i4"}[width]).tobytes()
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(data)


def level_at(samples: np.ndarray, freq: float, rate: int = 8000) -> float:
    """Amplitude of the component at ``freq`` (a single-bin DFT)."""
    t = np.arange(samples.size) / rate
    return 2 * abs(np.sum(samples * np.exp(-2j * np.pi * freq * t))) / samples.size


def test_24bit_stereo_16khz_becomes_8khz_mono_without_aliasing(tmp_path):
    t = np.arange(16000) / 16000  # one second
    left = 4_000_000 * np.sin(2 * np.pi * 1000 * t) + 2_000_000 * np.sin(2 * np.pi * 6000 * t)
    right = 2_000_000 * np.sin(2 * np.pi * 1000 * t) + 2_000_000 * np.sin(2 * np.pi * 6000 * t)
    path = tmp_path / "greeting.wav"
    write_wav(path, np.rint(np.stack([left, right], axis=1)).astype(np.int32), 16000, 3)

    samples = load_prompt(path)

    assert samples.dtype == np.int16 and samples.shape == (8000,)
    middle = samples[400:-400].astype(np.float64)
    # 24-bit full scale maps to 16-bit full scale: (4e6 + 2e6) / 2 / 256 = 11719.
    assert level_at(middle, 1000) == pytest.approx(11719, rel=0.02)
    # 6 kHz would fold to 2 kHz without the anti-aliasing filter.
    assert level_at(middle, 2000) < 50


def test_8bit_and_16bit_mono_at_8khz_load_unchanged_in_shape(tmp_path):
    ramp = np.arange(-100, 100, dtype=np.int32)
    write_wav(tmp_path / "a.wav", ramp[:, None], 8000, 1)
    assert np.array_equal(load_prompt(tmp_path / "a.wav"), (ramp * 256).astype(np.int16))
    write_wav(tmp_path / "b.wav", (ramp * 100)[:, None], 8000, 2)
    assert np.array_equal(load_prompt(tmp_path / "b.wav"), (ramp * 100).astype(np.int16))


def test_44100hz_prompt_is_resampled_to_the_right_length(tmp_path):
    frames = np.zeros((44100 * 2, 1), dtype=np.int32)
    write_wav(tmp_path / "long.wav", frames, 44100, 2)
    assert load_prompt(tmp_path / "long.wav").shape == (16000,)


def test_save_wav_round_trips(tmp_path):
    samples = (np.arange(1000) * 37 % 20000 - 10000).astype(np.int16)
    save_wav(tmp_path / "rec.wav", samples)
    assert np.array_equal(load_prompt(tmp_path / "rec.wav"), samples)
    with wave.open(str(tmp_path / "rec.wav")) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)


def test_save_wav_refuses_multichannel_arrays(tmp_path):
    with pytest.raises(PromptError, match="mono"):
        save_wav(tmp_path / "x.wav", np.zeros((10, 2), dtype=np.int16))


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(PromptError, match="does not exist"):
        load_prompt(tmp_path / "nothing.wav")


def test_a_file_that_is_not_wav_is_a_clear_error(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("this is a text file, not audio\n" * 10)
    with pytest.raises(PromptError, match="not a usable WAV"):
        load_prompt(path)


def test_a_truncated_wav_is_a_clear_error(tmp_path):
    path = tmp_path / "cut.wav"
    write_wav(path, np.ones((8000, 1), dtype=np.int32), 8000, 2)
    path.write_bytes(path.read_bytes()[:5000])
    with pytest.raises(PromptError, match="truncated"):
        load_prompt(path)


def test_an_empty_wav_is_a_clear_error(tmp_path):
    path = tmp_path / "empty.wav"
    write_wav(path, np.zeros((0, 1), dtype=np.int32), 8000, 2)
    with pytest.raises(PromptError, match="no audio"):
        load_prompt(path)


def test_32bit_pcm_is_refused_as_unsupported(tmp_path):
    path = tmp_path / "wide.wav"
    write_wav(path, np.zeros((100, 1), dtype=np.int32), 8000, 4)
    with pytest.raises(PromptError, match="32-bit"):
        load_prompt(path)


def test_float_wav_is_refused_as_unsupported(tmp_path):
    path = tmp_path / "float.wav"
    write_wav(path, np.zeros((100, 1), dtype=np.int32), 8000, 2)
    data = bytearray(path.read_bytes())
    data[20:22] = (3).to_bytes(2, "little")  # format tag 3: IEEE float
    path.write_bytes(bytes(data))
    with pytest.raises(PromptError, match="not a usable WAV"):
        load_prompt(path)


def write_extensible(path, frames: np.ndarray, rate: int, bits: int, subformat: int = 1) -> None:
    """Write (n, channels) samples as WAVE_FORMAT_EXTENSIBLE, as audio editors do."""
    n, channels = frames.shape
    width = bits // 8
    if width == 3:
        value = frames.astype(np.int32).reshape(-1) & 0xFFFFFF
        data = np.stack([value & 0xFF, (value >> 8) & 0xFF, value >> 16], axis=1)
        data = data.astype(np.uint8).tobytes()
    else:
        data = frames.astype("<i2").tobytes()
    guid = subformat.to_bytes(2, "little") + bytes.fromhex("000000001000800000aa00389b71")
    fmt = struct.pack(
        "<HHIIHHHHI", 0xFFFE, channels, rate, rate * channels * width, channels * width,
        bits, 22, bits, 3 if channels == 2 else 4,
    ) + guid
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(data)) + data
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)


def test_24bit_stereo_extensible_wav_from_an_editor_loads(tmp_path):
    t = np.arange(48000) / 48000
    left = 4_000_000 * np.sin(2 * np.pi * 1000 * t)
    right = 2_000_000 * np.sin(2 * np.pi * 1000 * t) + 3_000_000 * np.sin(2 * np.pi * 9500 * t)
    path = tmp_path / "editor.wav"
    write_extensible(path, np.rint(np.stack([left, right], axis=1)), 48000, 24)
    samples = load_prompt(path)
    assert samples.shape == (8000,)
    middle = samples[400:-400].astype(np.float64)
    assert level_at(middle, 1000) == pytest.approx(11719, rel=0.02)
    assert level_at(middle, 1500) < 50  # 9.5 kHz would fold to 1.5 kHz without the filter


def test_16bit_mono_extensible_wav_loads_sample_for_sample(tmp_path):
    ramp = (np.arange(-200, 200) * 80)[:, None]
    write_extensible(tmp_path / "m.wav", ramp, 8000, 16)
    assert np.array_equal(load_prompt(tmp_path / "m.wav"), ramp[:, 0].astype(np.int16))


def test_float_extensible_wav_is_refused_as_not_pcm(tmp_path):
    write_extensible(tmp_path / "f.wav", np.zeros((100, 1)), 8000, 16, subformat=3)
    with pytest.raises(PromptError, match="not PCM"):
        load_prompt(tmp_path / "f.wav")


def test_truncated_extensible_wav_is_a_clear_error(tmp_path):
    path = tmp_path / "cut.wav"
    write_extensible(path, np.ones((8000, 2)), 8000, 16)
    path.write_bytes(path.read_bytes()[:5000])
    with pytest.raises(PromptError, match="truncated"):
        load_prompt(path)


@pytest.mark.parametrize("rate", [1000, 768000])
def test_sample_rates_no_prompt_can_have_are_refused(tmp_path, rate):
    path = tmp_path / "odd.wav"
    write_wav(path, np.zeros((100, 1), dtype=np.int32), rate, 2)
    with pytest.raises(PromptError, match=f"sampled at {rate} Hz"):
        load_prompt(path)
