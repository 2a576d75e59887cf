"""Voice prompts: WAV files in, 8 kHz mono int16 out; and WAV files written back.

Technicians upload prompts recorded on whatever they have, so any PCM WAV is
accepted (8, 16 or 24 bit, any channel count, any rate): channels are averaged and
the rate converted with a polyphase filter (anti-aliased) to the 8 kHz of the lines.
Plain PCM files are read with the standard ``wave`` module. Editors write 24-bit and
multichannel audio as WAVE_FORMAT_EXTENSIBLE, which ``wave`` reads only from Python
3.12 on, so that header is parsed here (PCM sub-format only; float is refused).
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

import numpy as np
from scipy import signal

RATE = 8000
MIN_RATE = 2000  # below this a file holds no telephone speech worth converting
MAX_RATE = 384000
_EXTENSIBLE = 0xFFFE
# KSDATAFORMAT_SUBTYPE_PCM: the GUID whose first two bytes are the PCM format tag 1.
_PCM_SUBFORMAT = bytes.fromhex("0100000000001000800000aa00389b71")


class PromptError(Exception):
    """A prompt file that cannot be used, with the reason in plain words."""


def _chunks(data: bytes) -> dict[bytes, tuple[int, bytes]]:
    """The top-level chunks of a RIFF/WAVE file (the first of each id): declared size, body.

    The body is shorter than the declared size when the file was cut short.
    """
    found: dict[bytes, tuple[int, bytes]] = {}
    pos = 12
    while pos + 8 <= len(data):
        cid, size = data[pos : pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        found.setdefault(cid, (size, data[pos + 8 : pos + 8 + size]))
        pos += 8 + size + (size & 1)  # chunks are padded to an even length
    return found


def _read_extensible(data: bytes, path: Path) -> tuple[int, int, int, int, bytes] | None:
    """(channels, width, rate, frames, raw) of a WAVE_FORMAT_EXTENSIBLE file, else None."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    chunks = _chunks(data)
    fmt = chunks.get(b"fmt ", (0, b""))[1]
    if len(fmt) < 2 or struct.unpack_from("<H", fmt)[0] != _EXTENSIBLE:
        return None
    if len(fmt) < 40:
        raise PromptError(f"{path} has a broken WAVE_FORMAT_EXTENSIBLE header")
    channels, rate, _, block, bits = struct.unpack_from("<HIIHH", fmt, 2)
    if fmt[24:40] != _PCM_SUBFORMAT:
        raise PromptError(f"{path} is not PCM audio (float or compressed); use 8, 16 or 24-bit PCM")
    if b"data" not in chunks:
        raise PromptError(f"{path} is not a usable WAV file: it has no data chunk")
    width = (bits + 7) // 8
    if channels < 1 or block != channels * width:
        raise PromptError(f"{path} has a broken header ({channels} channels, {bits}-bit)")
    size, raw = chunks[b"data"]
    return channels, width, rate, size // block, raw


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
        with path.open("rb") as file:
            extensible = _read_extensible(file.read(), path)
        if extensible is not None:
            channels, width, rate, frames, raw = extensible
        else:
            with wave.open(str(path), "rb") as wav:
                channels = wav.getnchannels()
                width = wav.getsampwidth()
                rate = wav.getframerate()
                frames = wav.getnframes()
                raw = wav.readframes(frames)
    except (wave.Error, EOFError, ValueError, struct.error) as exc:
        raise PromptError(f"{path} is not a usable WAV file: {exc}") from None
    except OSError as exc:
        raise PromptError(f"cannot read {path}: {exc.strerror or exc}") from None
    if channels < 1 or rate < 1:
        raise PromptError(f"{path} has a broken header ({channels} channels, {rate} Hz)")
    if not MIN_RATE <= rate <= MAX_RATE:
        raise PromptError(
            f"{path} is sampled at {rate} Hz; prompts must be {MIN_RATE} to {MAX_RATE} Hz"
        )
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
