"""Learning mode: measure an unknown line's disconnect tone and keep it as a profile.

Many lines, PBX extensions above all, send a disconnect tone that is in no national
table: a different frequency, a private cadence, a continuous tone. A technician
puts the line in learning mode, lets the far end hang up, and the box records a
few seconds of what follows. :func:`measure_tone` turns that recording into a
:class:`LineToneProfile` (frequencies, level of each, cadence), which the store
keeps per line and the call-progress detector then recognises as that line's
disconnect tone.

How the recording is measured, all in numpy batches over the whole recording:

* the power envelope (20 ms moving mean of the squared samples) splits the audio
  into on and off runs at half the on-level, which puts every edge where the tone
  really starts and stops, to within a millisecond or two;
* the spectrum of the on-runs alone (edges trimmed, so the gating adds no
  sidebands of its own) gives the strongest frequency, with parabolic
  interpolation between bins; further frequencies are kept only if a least-squares
  fit over the on-runs explains clearly more of the energy with them than without;
* the same fit gives each frequency's amplitude, hence its level in dBm0;
* the run lengths give the cadence: the shortest on/off pattern that repeats.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from firmware.media.levels import DBM0_PEAK, dbm0_to_power
from firmware.media.tones import ToneSpec

RATE = 8000
MIN_SECONDS = 1.0  # shorter recordings cannot show a cadence
DEFAULT_SECONDS = 10.0  # enough for three periods of any cadence in the tables
MIN_LEVEL_DBM0 = -45.0  # a recording quieter than this holds no usable tone
MIN_ON_TO_OFF_DB = 10.0  # on-level over the level between bursts
MIN_TONE_SHARE = 0.7  # share of the on-runs' energy the fitted frequencies must hold
MIN_FREQ_HZ = 100.0
MAX_FREQ_HZ = 3500.0
MAX_FREQS = 3
PEAK_EXCLUSION_HZ = 25.0  # a second frequency lies further than this from the first
MIN_EXTRA_SHARE = 0.03  # energy share a further frequency must add to be kept
MAX_EXTRA_DROP_DB = 20.0  # and the level it may have below the strongest one
ENVELOPE = 160  # samples in the moving mean of the power envelope (20 ms)
FIT_SAMPLES = 16000  # on-samples (2 s) the least-squares fit uses: plenty for 0.1 dB
TRIM = 160  # samples dropped at each edge of an on-run before the spectrum and the fit
MIN_RUN_SECONDS = 0.03  # shorter on or off runs are clicks or drop-outs, not cadence
REPEAT_TOLERANCE = 0.05  # relative, plus REPEAT_TOLERANCE_S, between repeats of a run
REPEAT_TOLERANCE_S = 0.03


class ToneLearningError(ValueError):
    """A recording (or a stored profile) from which no disconnect tone can be taken."""


def _rounded(values: tuple[float, ...], digits: int) -> tuple[float, ...]:
    return tuple(round(float(v), digits) for v in values)


@dataclass(frozen=True)
class LineToneProfile:
    """One line's disconnect tone as measured: kept in the store, used by the detector.

    ``levels_dbm0`` holds the level of each frequency in ``freqs``; ``cadence`` is
    on, off, on, off… in seconds, starting with the burst after the longest gap
    (empty for a continuous tone), the same convention as :class:`ToneSpec`.
    """

    freqs: tuple[float, ...]
    levels_dbm0: tuple[float, ...]
    cadence: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if not self.freqs or len(self.freqs) > MAX_FREQS:
            raise ToneLearningError(
                f"a tone profile has 1 to {MAX_FREQS} frequencies, got {len(self.freqs)}"
            )
        if not all(math.isfinite(f) and MIN_FREQ_HZ <= f <= MAX_FREQ_HZ for f in self.freqs):
            raise ToneLearningError(
                f"tone frequencies must lie in {MIN_FREQ_HZ:.0f}..{MAX_FREQ_HZ:.0f} Hz, "
                f"got {self.freqs}"
            )
        if len(self.levels_dbm0) != len(self.freqs):
            raise ToneLearningError(
                f"a tone profile needs one level per frequency: {len(self.freqs)} "
                f"frequencies, {len(self.levels_dbm0)} levels"
            )
        if not all(math.isfinite(v) and -90.0 <= v <= 3.2 for v in self.levels_dbm0):
            raise ToneLearningError(
                f"tone levels must lie in -90..+3.2 dBm0, got {self.levels_dbm0}"
            )
        if len(self.cadence) % 2 or not all(
            math.isfinite(t) and 0.0 < t <= 30.0 for t in self.cadence
        ):
            raise ToneLearningError(
                f"a cadence is on/off pairs of 0..30 seconds, got {self.cadence}"
            )

    def to_dict(self) -> dict[str, list[float]]:
        """Plain lists of numbers, for the store's JSON column."""
        return {
            "freqs": list(self.freqs),
            "levels_dbm0": list(self.levels_dbm0),
            "cadence": list(self.cadence),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LineToneProfile:
        """Rebuild a profile from :meth:`to_dict`'s output; ToneLearningError names the fault."""
        if not isinstance(data, Mapping):
            raise ToneLearningError(f"a tone profile is a mapping, not {type(data).__name__}")
        unknown = sorted(set(data) - {"freqs", "levels_dbm0", "cadence"})
        if unknown:
            raise ToneLearningError(f"unknown fields in a tone profile: {', '.join(unknown)}")
        values: dict[str, tuple[float, ...]] = {}
        for field in ("freqs", "levels_dbm0", "cadence"):
            raw = data.get(field, [] if field == "cadence" else None)
            if not isinstance(raw, list | tuple) or not all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in raw
            ):
                raise ToneLearningError(f"tone profile field {field!r} must be a list of numbers")
            values[field] = tuple(float(v) for v in raw)
        return cls(values["freqs"], values["levels_dbm0"], values["cadence"])

    def to_tone_spec(self) -> ToneSpec:
        """The profile as a table row, e.g. to play it back to a technician."""
        return ToneSpec(self.freqs, float(np.mean(self.levels_dbm0)), self.cadence)


def _moving_mean(values: np.ndarray, width: int) -> np.ndarray:
    """Centred moving mean of ``values`` over ``width`` samples (shorter at the ends)."""
    csum = np.concatenate([[0.0], np.cumsum(values)])
    index = np.arange(values.size)
    lo = np.clip(index - width // 2, 0, values.size)
    hi = np.clip(index + (width - width // 2), 0, values.size)
    return (csum[hi] - csum[lo]) / (hi - lo)


def _runs(on: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start index and value of every run of equal values in the boolean ``on``."""
    starts = np.concatenate([[0], np.flatnonzero(np.diff(on.astype(np.int8))) + 1])
    return starts, on[starts]


def _clean(on: np.ndarray, min_len: int) -> np.ndarray:
    """Drop runs shorter than ``min_len`` samples: a click is no burst, a drop-out no gap.

    Off-runs are merged first (a tone with a drop-out is one burst), then on-runs.
    """
    out = on.copy()
    for value in (False, True):
        starts, vals = _runs(out)
        ends = np.append(starts[1:], out.size)
        short = (vals == value) & (ends - starts < min_len)
        short[0] = short[-1] = False  # runs cut by the recording's ends are not judged
        for s, e in zip(starts[short], ends[short], strict=True):
            out[s:e] = not value
    return out


def _fit(x: np.ndarray, index: np.ndarray, freqs: list[float]) -> tuple[np.ndarray, float]:
    """Least-squares amplitudes of ``freqs`` over the samples ``index``, and the share explained."""
    t = index[:, None] / RATE
    w = 2 * np.pi * np.asarray(freqs)[None, :] * t
    basis = np.concatenate([np.cos(w), np.sin(w)], axis=1)
    y = x[index]
    coef, *_ = np.linalg.lstsq(basis, y, rcond=None)
    k = len(freqs)
    amplitude = np.hypot(coef[:k], coef[k:])
    residual = y - basis @ coef
    share = 1.0 - float(residual @ residual) / max(float(y @ y), 1e-12)
    return amplitude, share


def _peak(spectrum: np.ndarray, bin_hz: float, lo: int, hi: int) -> tuple[float, float]:
    """Frequency (parabolic interpolation on the log magnitude) and power of the peak in lo..hi."""
    k = lo + int(np.argmax(spectrum[lo:hi]))
    a, b, c = np.log(spectrum[k - 1 : k + 2] + 1e-30)
    denom = a - 2 * b + c
    delta = 0.5 * (a - c) / denom if denom < 0 else 0.0
    return (k + delta) * bin_hz, float(spectrum[k])


def _frequencies(x: np.ndarray, keep: np.ndarray) -> tuple[list[float], np.ndarray, float]:
    """The tone's frequencies, their amplitudes, and the energy share they explain."""
    index = np.flatnonzero(keep)[:FIT_SAMPLES]
    gated = np.where(keep, x, 0.0) * np.hanning(x.size)
    nfft = 1 << int(math.ceil(math.log2(x.size * 2)))
    spectrum = np.abs(np.fft.rfft(gated, nfft)) ** 2
    bin_hz = RATE / nfft
    lo, hi = int(MIN_FREQ_HZ / bin_hz), int(MAX_FREQ_HZ / bin_hz)
    f0, _ = _peak(spectrum, bin_hz, lo, hi)
    freqs = [f0]
    amplitude, share = _fit(x, index, freqs)
    masked = spectrum.copy()
    while len(freqs) < MAX_FREQS:
        for f in freqs:
            a = max(lo, int((f - PEAK_EXCLUSION_HZ) / bin_hz))
            b = min(hi, int((f + PEAK_EXCLUSION_HZ) / bin_hz) + 1)
            masked[a:b] = 0.0
        if not masked[lo:hi].any():
            break
        f_next, _ = _peak(masked, bin_hz, lo, hi)
        amp_next, share_next = _fit(x, index, [*freqs, f_next])
        drop_db = 20 * math.log10(amp_next.max() / max(amp_next[-1], 1e-12))
        if share_next - share < MIN_EXTRA_SHARE or drop_db > MAX_EXTRA_DROP_DB:
            break
        freqs.append(f_next)
        amplitude, share = amp_next, share_next
    return freqs, amplitude, share


def _cadence(durations: list[float]) -> tuple[float, ...]:
    """The shortest on/off pattern that ``durations`` (starting with an on-run) repeat.

    The pattern is averaged over its repeats and rotated to end with its longest gap.
    """
    d = np.asarray(durations)
    for pairs in range(1, len(d) // 2 + 1):
        period = 2 * pairs
        if len(d) < 2 * period - 1:  # the pattern must be seen once and nearly once more
            break
        a, b = d[:-period], d[period:]
        if np.all(np.abs(a - b) <= REPEAT_TOLERANCE * np.maximum(a, b) + REPEAT_TOLERANCE_S):
            pattern = np.array([d[j::period].mean() for j in range(period)])
            longest_gap = 1 + 2 * int(np.argmax(pattern[1::2]))
            pattern = np.roll(pattern, period - 1 - longest_gap)
            return _rounded(tuple(pattern), 3)
    raise ToneLearningError(
        f"the tone's on/off pattern did not repeat within the {len(d)} bursts and gaps "
        "recorded; record for longer"
    )


def measure_tone(samples: np.ndarray) -> LineToneProfile:
    """Measure the tone in ``samples`` (8 kHz, linear, int16 or float scaled like int16).

    The recording should start after the far end hung up and hold a few periods of
    the tone; a leading stretch of silence does no harm. Raises
    :class:`ToneLearningError` with the reason when no steady tone is found.
    """
    x = np.asarray(samples)
    if x.ndim != 1:
        raise ToneLearningError(f"a recording is 1-D samples, got shape {x.shape}")
    if not (np.issubdtype(x.dtype, np.integer) or np.issubdtype(x.dtype, np.floating)):
        raise ToneLearningError(f"a recording holds numbers, not {x.dtype}")
    x = x.astype(np.float64)
    if not np.all(np.isfinite(x)):
        raise ToneLearningError("the recording holds NaN or infinite samples")
    if x.size < MIN_SECONDS * RATE:
        raise ToneLearningError(
            f"a recording of {x.size / RATE:.2f} s is too short; learning needs at least "
            f"{MIN_SECONDS:.0f} s"
        )
    power = _moving_mean(x * x, ENVELOPE)
    top = float(np.percentile(power, 99.5))
    if top < dbm0_to_power(MIN_LEVEL_DBM0):
        raise ToneLearningError(f"no tone: the recording stays below {MIN_LEVEL_DBM0:.0f} dBm0")
    on_level = float(np.median(power[power >= 0.25 * top]))
    on = _clean(power >= 0.5 * on_level, round(MIN_RUN_SECONDS * RATE))
    floor = 0.0 if on.all() else float(np.median(power[~on]))
    if floor > 0 and 10 * math.log10(on_level / floor) < MIN_ON_TO_OFF_DB:
        raise ToneLearningError(
            "no clear tone: the level between bursts is within "
            f"{MIN_ON_TO_OFF_DB:.0f} dB of the bursts (noise or speech?)"
        )

    starts, values = _runs(on)
    ends = np.append(starts[1:], on.size)
    # Trim every on-run at both ends so the spectrum and the fit see the steady tone only.
    keep = np.zeros(on.size, dtype=bool)
    for s, e in zip(starts[values], ends[values], strict=True):
        if e - s > 2 * TRIM:
            keep[s + TRIM : e - TRIM] = True
    if keep.sum() < 0.1 * RATE:
        raise ToneLearningError("the tone's bursts are too short to measure its frequency")
    freqs, amplitude, share = _frequencies(x, keep)
    if share < MIN_TONE_SHARE:
        raise ToneLearningError(
            f"no steady tone: its strongest frequencies hold {share:.0%} of the energy "
            f"while bursts are on (a tone holds over {MIN_TONE_SHARE:.0%})"
        )
    order = np.argsort(freqs)
    freqs_sorted = tuple(float(freqs[i]) for i in order)
    levels = tuple(20 * math.log10(max(float(amplitude[i]), 1e-9) / DBM0_PEAK) for i in order)

    # Whole runs only: the first and last are cut by the recording's ends.
    inner = list(zip(starts[1:-1], ends[1:-1], values[1:-1], strict=True))
    if not any(v for _, _, v in inner):
        cadence: tuple[float, ...] = ()  # one burst that never stops: a continuous tone
        if not (on[-1] and (ends[-1] - starts[-1]) >= MIN_SECONDS * RATE):
            raise ToneLearningError(
                "the tone neither repeats nor lasts: record while it is still sounding"
            )
    else:
        first_on = next(i for i, (_, _, v) in enumerate(inner) if v)
        durations = [(e - s) / RATE for s, e, _ in inner[first_on:]]
        try:
            cadence = _cadence(durations)
        except ToneLearningError:
            # The first burst after a quiet stretch may have been caught part-way.
            if len(durations) < 6:
                raise
            cadence = _cadence(durations[2:])
    return LineToneProfile(_rounded(freqs_sorted, 1), _rounded(levels, 2), cadence)


@dataclass(frozen=True)
class ToneLearned:
    """Learning on ``channel`` finished with ``profile``, to be stored for the line."""

    channel: int
    profile: LineToneProfile
    at: float


@dataclass(frozen=True)
class ToneLearningFailed:
    """Learning on ``channel`` found no usable tone; ``reason`` says why in plain words."""

    channel: int
    reason: str
    at: float


LearningEvent = ToneLearned | ToneLearningFailed


class DisconnectToneLearner:
    """Records the channels in learning mode, one engine-wide object like the detectors.

    Learning is rare and short, so each learning channel gets its own buffer when it
    starts rather than every channel holding one all the time; ``process`` copies
    one row per learning channel per tick and measures the recording once it is full.
    """

    def __init__(self, n_channels: int) -> None:
        if n_channels < 1:
            raise ToneLearningError(f"a learner needs at least one channel, not {n_channels}")
        self.n_channels = n_channels
        self._buffers: dict[int, np.ndarray] = {}
        self._filled: dict[int, int] = {}

    def start(self, channel: int, seconds: float = DEFAULT_SECONDS) -> None:
        """Record ``seconds`` of ``channel`` from the next tick on, then measure them."""
        self._check(channel)
        if not (math.isfinite(seconds) and MIN_SECONDS <= seconds <= 60.0):
            raise ToneLearningError(
                f"learning records {MIN_SECONDS:.0f} to 60 seconds, not {seconds}"
            )
        self._buffers[channel] = np.zeros(round(seconds * RATE), dtype=np.float64)
        self._filled[channel] = 0

    def reset(self, channel: int) -> None:
        """Stop learning on ``channel`` without a result (the call went away)."""
        self._check(channel)
        self._buffers.pop(channel, None)
        self._filled.pop(channel, None)

    @property
    def learning(self) -> tuple[int, ...]:
        """The channels recording now."""
        return tuple(self._buffers)

    def process(
        self, block: np.ndarray, now: float, active: np.ndarray | None = None
    ) -> list[LearningEvent]:
        """Take one tick, (n_channels, L) linear samples; return finished learnings."""
        if not self._buffers:
            return []
        arr = np.asarray(block)
        if arr.ndim != 2 or arr.shape[0] != self.n_channels:
            raise ToneLearningError(
                f"expected a block of shape ({self.n_channels}, L), got {arr.shape}"
            )
        events: list[LearningEvent] = []
        for ch in list(self._buffers):
            if active is not None and not active[ch]:
                continue
            buf = self._buffers[ch]
            start = self._filled[ch]
            count = min(arr.shape[1], buf.size - start)
            buf[start : start + count] = arr[ch, :count]
            self._filled[ch] = start + count
            if self._filled[ch] < buf.size:
                continue
            del self._buffers[ch], self._filled[ch]
            try:
                events.append(ToneLearned(ch, measure_tone(buf), now))
            except ToneLearningError as exc:
                events.append(ToneLearningFailed(ch, str(exc), now))
        return events

    def _check(self, channel: int) -> None:
        if not 0 <= channel < self.n_channels:
            raise ToneLearningError(
                f"no channel {channel}; the learner has channels 0..{self.n_channels - 1}"
            )
