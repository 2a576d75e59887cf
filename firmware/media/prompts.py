"""Voice prompts: WAV files in, 8 kHz mono int16 out; and WAV files written back.

Technicians upload prompts recorded on whatever they have, so any PCM WAV is
accepted (8, 16 or 24 bit, any channel count, any rate): channels are averaged and
the rate converted with a polyphase filter (anti-aliased) to the 8 kHz of the lines.
Everything is read with the standard ``wave`` module.
"""

from __future__ import annotations

import math
import wave
from pathlib import Path

import numpy as np
from scipy import signal

RATE = 8000


class PromptError(Exception):
    """A prompt file that cannot be used, with the reason in plain words."""


def _to_float(raw: bytes, width: int) -> np.ndarray:
    """PCM bytes to float samples scaled to the 16-bit range."""
    if width == 1:  # 8-bit WAV is unsigned, centred on 128
        return (np.frombuffer(raw, dtype=np.uint8).astype(np.float64) - 128.0) * 256.0
    if width == 2:
        return np.frombuffer(raw, dtype="<i2").astype(np.float64)
    if width == 3:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        value = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        value = np.where(value >= 1 << 23, value - (1 << 24), value)
        return value.astype(np.float64) / 256.0
    raise PromptError(f"{width * 8}-bit samples are not supported; use 8, 16 or 24-bit PCM")


def load_prompt(path: str | Path) -> np.ndarray:
    """Read a PCM WAV file as 8 kHz mono int16 samples; :class:`PromptError` if unusable."""
    path = Path(path)
    if not path.is_file():
        raise PromptError(f"prompt file {path} does not exist")
    try:
        with wave.open(str(path), "rb") as wav:
            channels = wav.getnchannels()
            width = wav.getsampwidth()
            rate = wav.getframerate()
            frames = wav.getnframes()
            raw = wav.readframes(frames)
    except (wave.Error, EOFError, ValueError) as exc:
        raise PromptError(f"{path} is not a usable WAV file: {exc}") from None
    except OSError as exc:
        raise PromptError(f"cannot read {path}: {exc.strerror or exc}") from None
    if channels < 1 or rate < 1:
        raise PromptError(f"{path} has a broken header ({channels} channels, {rate} Hz)")
    if width not in (1, 2, 3):
        raise PromptError(f"{path} has {width * 8}-bit samples; use 8, 16 or 24-bit PCM")
    if frames == 0:
        raise PromptError(f"{path} holds no audio")
    if len(raw) < frames * channels * width:
        raise PromptError(
            f"{path} is truncated: the header promises {frames} frames, "
            f"the file holds {len(raw) // (channels * width)}"
        )
    samples = _to_float(raw, width).reshape(-1, channels).mean(axis=1)
    if rate != RATE:
        g = math.gcd(RATE, rate)
        samples = signal.resample_poly(samples, RATE // g, rate // g)
    return np.clip(np.rint(samples), -32768, 32767).astype(np.int16)


def save_wav(path: str | Path, samples: np.ndarray, rate: int = RATE) -> None:
    """Write mono 16-bit PCM; floats are rounded and clipped to the 16-bit range."""
    arr = np.asarray(samples)
    if arr.ndim != 1:
        raise PromptError(f"save_wav writes mono audio: expected 1-D samples, got {arr.shape}")
    if rate < 1:
        raise PromptError(f"sample rate must be positive, not {rate}")
    if arr.dtype != np.int16:
        arr = np.clip(np.rint(arr.astype(np.float64)), -32768, 32767).astype(np.int16)
    try:
        with wave.open(str(path), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(rate)
            wav.writeframes(arr.astype("<i2").tobytes())
    except OSError as exc:
        raise PromptError(f"cannot write {path}: {exc.strerror or exc}") from None
