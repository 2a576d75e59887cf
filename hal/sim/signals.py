"""What a real telephone line carries, as numpy sample arrays (8 kHz, linear 16-bit).

The simulated card builds its line audio from here: call-progress tones with their
cadences, DTMF digits, and ETSI on-hook caller ID in V.23 FSK. It is written apart
from the box's own DSP on purpose, so tests can check one against the other. It also
holds the exchange's small DTMF decoder, which learns what number the box dialled.

Every generator indexes samples from an absolute position, so a tone rendered one
20 ms frame at a time is phase-continuous across frames.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from hal.interface import FRAME_SAMPLES, SAMPLE_RATE

# G.711: a sine at +3.14 dBm0 (A-law) just reaches full scale, so 0 dBm0 peaks here.
DBM0_PEAK = 32768.0 * 10.0 ** (-3.14 / 20.0)


class SignalError(ValueError):
    """A signal was asked for with parameters no line could carry."""


def amplitude(level_dbm0: float) -> float:
    """Peak amplitude, in 16-bit linear units, of a sine at ``level_dbm0``."""
    return DBM0_PEAK * 10.0 ** (level_dbm0 / 20.0)


def pcm16(samples: np.ndarray) -> np.ndarray:
    """Round and clip float samples to int16, as a line's codec would."""
    return np.clip(np.rint(samples), -32768, 32767).astype(np.int16)


def _seconds_to_samples(seconds: float) -> int:
    return int(round(seconds * SAMPLE_RATE))


def check_cadence(cadence: tuple[float, ...], what: str) -> None:
    """Raise :class:`SignalError` unless ``cadence`` is on/off pairs with every 'on' > 0."""
    if len(cadence) % 2 != 0:
        raise SignalError(f"{what} cadence needs on/off pairs, got {len(cadence)} values")
    if any(not math.isfinite(v) or v < 0 for v in cadence):
        raise SignalError(f"{what} cadence values must be finite seconds >= 0: {cadence}")
    if cadence and (sum(cadence) <= 0 or any(v <= 0 for v in cadence[0::2])):
        raise SignalError(f"{what} cadence needs every 'on' time > 0: {cadence}")


@dataclass(frozen=True)
class ToneSpec:
    """A call-progress tone: its frequencies summed, switched by an on/off cadence.

    An empty cadence is a continuous tone (dial tone). ``level_dbm0`` is the level
    of each frequency component.
    """

    freqs: tuple[float, ...]
    cadence: tuple[float, ...] = ()
    level_dbm0: float = -10.0

    def __post_init__(self) -> None:
        if not self.freqs or any(not 0 < f < SAMPLE_RATE / 2 for f in self.freqs):
            raise SignalError(f"tone frequencies must lie in (0, 4000) Hz: {self.freqs}")
        check_cadence(self.cadence, "tone")

    def render(self, start: int, n: int) -> np.ndarray:
        """Samples ``start`` .. ``start + n`` of the tone (sample 0 is where it began).

        Float64, so a caller can mix before converting with :func:`pcm16`.
        """
        idx = np.arange(start, start + n, dtype=np.int64)
        t = idx / SAMPLE_RATE
        out = np.zeros(n, dtype=np.float64)
        peak = amplitude(self.level_dbm0)
        for f in self.freqs:
            out += peak * np.sin(2.0 * np.pi * f * t)
        if self.cadence:
            edges = np.cumsum([_seconds_to_samples(v) for v in self.cadence])
            segment = np.searchsorted(edges, idx % edges[-1], side="right")
            out[segment % 2 == 1] = 0.0  # odd segments are the "off" times
        return out

    def samples(self, seconds: float) -> np.ndarray:
        """``seconds`` of the tone from its start, as int16."""
        return pcm16(self.render(0, _seconds_to_samples(seconds)))


@dataclass(frozen=True)
class CountryTones:
    """The tones and ring cadence of one country's exchanges."""

    country: str
    dial: ToneSpec
    ringback: ToneSpec
    busy: ToneSpec
    congestion: ToneSpec
    ring_cadence: tuple[float, ...] = field(default=(1.0, 4.0))


# ITU-T E.180 Supplement 2, Poland: 425 Hz; ringing 1 s on, 4 s off.
_PL = CountryTones(
    country="PL",
    dial=ToneSpec((425.0,)),
    ringback=ToneSpec((425.0,), (1.0, 4.0)),
    busy=ToneSpec((425.0,), (0.5, 0.5)),
    congestion=ToneSpec((425.0,), (0.25, 0.25)),
    ring_cadence=(1.0, 4.0),
)

# ANSI T1.401 "precise tone plan" frequencies and levels.
_US = CountryTones(
    country="US",
    dial=ToneSpec((350.0, 440.0), level_dbm0=-13.0),
    ringback=ToneSpec((440.0, 480.0), (2.0, 4.0), level_dbm0=-19.0),
    busy=ToneSpec((480.0, 620.0), (0.5, 0.5), level_dbm0=-24.0),
    congestion=ToneSpec((480.0, 620.0), (0.25, 0.25), level_dbm0=-24.0),
    ring_cadence=(2.0, 4.0),
)

COUNTRIES: dict[str, CountryTones] = {"PL": _PL, "US": _US}


def country_tones(country: str) -> CountryTones:
    """The tone plan of ``country`` (ISO 3166 code, e.g. "PL")."""
    try:
        return COUNTRIES[country.upper()]
    except KeyError:
        known = ", ".join(sorted(COUNTRIES))
        raise SignalError(f"no tone plan for country {country!r}; known: {known}") from None


# ITU-T Q.23: row (low group) and column (high group) frequencies of each key.
DTMF_LOW = (697.0, 770.0, 852.0, 941.0)
DTMF_HIGH = (1209.0, 1336.0, 1477.0, 1633.0)
DTMF_KEYS = ("123A", "456B", "789C", "*0#D")
DTMF_FREQS: dict[str, tuple[float, float]] = {
    key: (DTMF_LOW[row], DTMF_HIGH[col])
    for row, keys in enumerate(DTMF_KEYS)
    for col, key in enumerate(keys)
}


def dtmf(
    digits: str,
    on: float = 0.08,
    off: float = 0.08,
    *,
    low_dbm0: float = -9.0,
    high_dbm0: float = -7.0,
) -> np.ndarray:
    """DTMF tones for ``digits`` (0-9 * # A-D), each ``on`` seconds then ``off`` silent.

    Default levels follow ETSI ES 201 235-2: the high group 2 dB above the low.
    """
    keys = digits.upper()
    bad = sorted({d for d in keys if d not in DTMF_FREQS})
    if bad:
        raise SignalError(f"not DTMF digits: {''.join(bad)!r} (use 0-9, *, #, A-D)")
    if not (math.isfinite(on) and on > 0 and math.isfinite(off) and off >= 0):
        raise SignalError(f"DTMF needs on > 0 and off >= 0 seconds, got on={on}, off={off}")
    n_on = _seconds_to_samples(on)
    n_off = _seconds_to_samples(off)
    if not keys:
        return np.zeros(0, dtype=np.int16)
    t = np.arange(n_on) / SAMPLE_RATE
    low = np.array([DTMF_FREQS[k][0] for k in keys])[:, None]
    high = np.array([DTMF_FREQS[k][1] for k in keys])[:, None]
    tones = amplitude(low_dbm0) * np.sin(2 * np.pi * low * t) + amplitude(high_dbm0) * np.sin(
        2 * np.pi * high * t
    )
    block = np.zeros((len(keys), n_on + n_off), dtype=np.float64)
    block[:, :n_on] = tones
    return pcm16(block.reshape(-1))


# ETSI EN 300 659-3 §5.2/§5.3: message type and parameter types of on-hook MDMF.
MDMF_CALL_SETUP = 0x80
PARAM_DATETIME = 0x01
PARAM_NUMBER = 0x02
PARAM_NUMBER_ABSENT = 0x04
PARAM_NAME = 0x07
ABSENCE_REASONS = {"O": "unavailable", "P": "private"}


@dataclass(frozen=True)
class CallerId:
    """One on-hook caller ID message (ETSI EN 300 659-3 MDMF "call set-up").

    With no ``number`` the message carries the reason for its absence instead
    ("O" unavailable, "P" private), as an exchange does.
    """

    number: str | None
    name: str | None = None
    when: datetime | None = None
    absence: str = "O"

    def __post_init__(self) -> None:
        if self.number is not None and (
            not 0 < len(self.number) <= 20 or not all(c in "0123456789*#+" for c in self.number)
        ):
            raise SignalError(f"caller number {self.number!r} must be 1-20 characters of 0-9 * # +")
        if self.name is not None and (
            not 0 < len(self.name) <= 50 or not all(0x20 <= ord(c) < 0x7F for c in self.name)
        ):
            # EN 300 659-3 §5.3.6: IA5 (ITU-T T.50) characters, at most 50.
            raise SignalError(f"caller name {self.name!r} must be 1-50 printable ASCII characters")
        if self.absence not in ABSENCE_REASONS:
            raise SignalError(f"absence reason must be 'O' or 'P', got {self.absence!r}")

    def message(self) -> bytes:
        """The MDMF bytes: type, length, parameters, two's-complement checksum."""
        params = bytearray()
        if self.when is not None:
            stamp = self.when.strftime("%m%d%H%M").encode("ascii")
            params += bytes([PARAM_DATETIME, len(stamp)]) + stamp
        if self.number is not None:
            number = self.number.encode("ascii")
            params += bytes([PARAM_NUMBER, len(number)]) + number
        else:
            params += bytes([PARAM_NUMBER_ABSENT, 1]) + self.absence.encode("ascii")
        if self.name is not None:
            name = self.name.encode("ascii")
            params += bytes([PARAM_NAME, len(name)]) + name
        body = bytes([MDMF_CALL_SETUP, len(params)]) + bytes(params)
        # EN 300 659-3 §5.4: the checksum makes the sum of all bytes 0 modulo 256.
        return body + bytes([(-sum(body)) & 0xFF])


# ETSI EN 300 659-1 §6 / ITU-T V.23: 1200 baud, mark (1) 1300 Hz, space (0) 2100 Hz.
FSK_BAUD = 1200
FSK_MARK_HZ = 1300.0
FSK_SPACE_HZ = 2100.0


def fsk_bits(message: bytes, *, seizure_bits: int = 300, mark_bits: int = 180) -> np.ndarray:
    """The bit stream of an FSK caller ID transmission, as uint8 0/1.

    EN 300 659-1 §6.1: channel seizure of alternating 0/1 (starting with 0), a mark
    signal of 1s, then each byte as start bit 0, 8 data bits LSB first, stop bit 1.
    """
    if seizure_bits < 0 or mark_bits < 0:
        raise SignalError("seizure and mark bit counts must be >= 0")
    seizure = (np.arange(seizure_bits) % 2).astype(np.uint8)
    marks = np.ones(mark_bits, dtype=np.uint8)
    data = np.frombuffer(message, dtype=np.uint8)
    bits = np.unpackbits(data[:, None], axis=1, bitorder="little")
    framed = np.hstack(
        [np.zeros((len(data), 1), np.uint8), bits, np.ones((len(data), 1), np.uint8)]
    )
    return np.concatenate([seizure, marks, framed.reshape(-1)])


def v23_fsk(bits: np.ndarray, *, level_dbm0: float = -13.0) -> np.ndarray:
    """Phase-continuous V.23 FSK audio (int16) for a 0/1 bit stream."""
    n_bits = len(bits)
    n = math.ceil(n_bits * SAMPLE_RATE / FSK_BAUD)
    bit_of_sample = np.minimum(np.arange(n) * FSK_BAUD // SAMPLE_RATE, n_bits - 1)
    freq = np.where(np.asarray(bits)[bit_of_sample] != 0, FSK_MARK_HZ, FSK_SPACE_HZ)
    # Phase is the running sum of frequency, so it never jumps at a bit edge.
    phase = 2.0 * np.pi * (np.cumsum(freq) - freq) / SAMPLE_RATE
    return pcm16(amplitude(level_dbm0) * np.sin(phase))


def caller_id_fsk(cid: CallerId, *, level_dbm0: float = -13.0) -> np.ndarray:
    """The audio of an on-hook caller ID transmission for ``cid``."""
    return v23_fsk(fsk_bits(cid.message()), level_dbm0=level_dbm0)


class DtmfDecoder:
    """A streaming DTMF detector, the simulated exchange's digit receiver.

    Feed it audio in any chunk sizes; it analyses 20 ms windows every 10 ms by FFT
    and reports a digit once two windows in a row agree, so tones of 40 ms and
    more, with pauses of 40 ms and more, are received. A digit is reported once
    however long it lasts; a repeat needs a pause between.
    """

    WINDOW = FRAME_SAMPLES
    HOP = FRAME_SAMPLES // 2

    def __init__(self, min_level_dbm0: float = -30.0) -> None:
        self._buffer = np.zeros(0, dtype=np.float64)
        self._min_power = amplitude(min_level_dbm0) ** 2 / 2
        self._candidate: str | None = None
        self._count = 0
        self._current: str | None = None
        self._low_bins = np.array(DTMF_LOW, dtype=np.int64)
        self._high_bins = np.array(DTMF_HIGH, dtype=np.int64)

    def reset(self) -> None:
        """Forget any partial digit and buffered audio."""
        self._buffer = np.zeros(0, dtype=np.float64)
        self._candidate = None
        self._count = 0
        self._current = None

    def feed(self, samples: np.ndarray) -> list[str]:
        """Digits that began in ``samples`` (and audio fed earlier), in order."""
        audio = np.asarray(samples, dtype=np.float64).reshape(-1)
        self._buffer = np.concatenate([self._buffer, audio])
        if len(self._buffer) < self.WINDOW:
            return []
        windows = np.lib.stride_tricks.sliding_window_view(self._buffer, self.WINDOW)[:: self.HOP]
        self._buffer = self._buffer[len(windows) * self.HOP :]
        digits: list[str] = []
        for key in self._classify(windows):
            if key == self._candidate:
                self._count += 1
            else:
                self._candidate, self._count = key, 1
            if key is None:
                self._current = None
            elif self._count >= 2 and key != self._current:
                self._current = key
                digits.append(key)
        return digits

    def _classify(self, windows: np.ndarray) -> list[str | None]:
        # An 8000-point FFT of a 160-sample window puts every DTMF frequency on a bin.
        spectrum = np.abs(np.fft.rfft(windows, n=SAMPLE_RATE, axis=1))
        tone_power = (2.0 * spectrum / self.WINDOW) ** 2 / 2  # mean power of each tone
        low = tone_power[:, self._low_bins]
        high = tone_power[:, self._high_bins]
        row = np.argmax(low, axis=1)
        col = np.argmax(high, axis=1)
        best_low = low[np.arange(len(row)), row]
        best_high = high[np.arange(len(col)), col]
        total = np.mean(windows**2, axis=1)
        ok = (
            (best_low >= self._min_power)
            & (best_high >= self._min_power)
            & (best_low + best_high >= 0.7 * total)  # the two tones are nearly all of it
            & (best_high <= 6.3 * best_low)  # twist within +-8 dB
            & (best_low <= 6.3 * best_high)
        )
        return [
            DTMF_KEYS[r][c] if good else None
            for r, c, good in zip(row.tolist(), col.tolist(), ok.tolist(), strict=True)
        ]
