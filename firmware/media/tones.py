"""Call-progress tones and ringing cadences per country.

Frequencies and cadences follow ITU-T E.180 Supplement 2 ("Various tones used in
national networks") for each country; the UK rows follow BT SIN 350, which E.180
Suppl. 2 refers to. The special information tone (SIT) is the E.180 §7 / Q.35
sequence 950, 1400, 1800 Hz of 330 ms each, then a second of silence. Levels are
the usual sending levels per frequency: -10 dBm0 for European single-frequency
tones, the North American precise tone plan levels for the US.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from firmware.media.levels import dbm0_to_peak

TONE_NAMES = ("dial", "ringback", "busy", "congestion", "call_waiting", "sit")


@dataclass(frozen=True)
class ToneSpec:
    """One call-progress tone: frequencies summed, level per frequency, cadence.

    ``cadence`` is on, off, on, off… in seconds and repeats; empty means continuous.
    ``on_freqs``, when given, names the frequencies of each on-period in turn (the
    SIT steps through three), and ``freqs`` lists every frequency used.
    """

    freqs: tuple[float, ...]
    level_dbm0: float
    cadence: tuple[float, ...] = ()
    on_freqs: tuple[tuple[float, ...], ...] = ()

    def __post_init__(self) -> None:
        if not self.freqs or any(f <= 0 for f in self.freqs):
            raise ValueError(f"a tone needs positive frequencies, got {self.freqs}")
        if len(self.cadence) % 2 or any(t < 0 for t in self.cadence):
            raise ValueError(f"a cadence is on/off pairs of seconds >= 0, got {self.cadence}")
        if self.cadence and sum(self.cadence) <= 0:
            raise ValueError("a cadence must last longer than zero seconds")


_SIT_FREQS = ((950.0,), (1400.0,), (1800.0,))
_SIT_CADENCE = (0.33, 0.03, 0.33, 0.03, 0.33, 1.0)  # Q.35: gaps of up to 30 ms allowed


def _sit(level_dbm0: float) -> ToneSpec:
    return ToneSpec((950.0, 1400.0, 1800.0), level_dbm0, _SIT_CADENCE, _SIT_FREQS)


def _european(
    freq: float,
    busy: tuple[float, ...],
    ringback: tuple[float, ...],
    congestion: tuple[float, ...],
    call_waiting: tuple[float, ...],
    dial: tuple[float, ...] = (),
) -> dict[str, ToneSpec]:
    level = -10.0
    return {
        "dial": ToneSpec((freq,), level, dial),
        "ringback": ToneSpec((freq,), level, ringback),
        "busy": ToneSpec((freq,), level, busy),
        "congestion": ToneSpec((freq,), level, congestion),
        "call_waiting": ToneSpec((freq,), level, call_waiting),
        "sit": _sit(level),
    }


_TABLES: dict[str, dict[str, ToneSpec]] = {
    "PL": _european(
        425.0,
        busy=(0.5, 0.5),
        ringback=(1.0, 4.0),
        congestion=(0.5, 0.5),
        call_waiting=(0.15, 0.15, 0.15, 4.0),
    ),
    "DE": _european(
        425.0,
        busy=(0.48, 0.48),
        ringback=(1.0, 4.0),
        congestion=(0.24, 0.24),
        call_waiting=(0.2, 0.2, 0.2, 5.0),
    ),
    "FR": _european(
        440.0,
        busy=(0.5, 0.5),
        ringback=(1.5, 3.5),
        congestion=(0.25, 0.25),
        call_waiting=(0.3, 10.0),
    ),
    "IT": _european(
        425.0,
        busy=(0.5, 0.5),
        ringback=(1.0, 4.0),
        congestion=(0.2, 0.2),
        call_waiting=(0.4, 0.1, 0.25, 0.1, 0.15, 14.0),
        dial=(0.2, 0.2, 0.6, 1.0),
    ),
    "ES": _european(
        425.0,
        busy=(0.2, 0.2),
        ringback=(1.5, 3.0),
        congestion=(0.2, 0.2, 0.2, 0.2, 0.2, 0.6),
        call_waiting=(0.175, 0.175, 0.175, 3.5),
    ),
    "NL": _european(
        425.0,
        busy=(0.5, 0.5),
        ringback=(1.0, 4.0),
        congestion=(0.25, 0.25),
        call_waiting=(0.5, 9.5),
    ),
    "UK": {  # BT SIN 350
        "dial": ToneSpec((350.0, 440.0), -19.0),
        "ringback": ToneSpec((400.0, 450.0), -19.0, (0.4, 0.2, 0.4, 2.0)),
        "busy": ToneSpec((400.0,), -19.0, (0.375, 0.375)),
        "congestion": ToneSpec((400.0,), -19.0, (0.4, 0.35, 0.225, 0.525)),
        "call_waiting": ToneSpec((400.0,), -19.0, (0.1, 4.0)),
        "sit": _sit(-19.0),
    },
    "US": {  # precise tone plan levels per frequency
        "dial": ToneSpec((350.0, 440.0), -13.0),
        "ringback": ToneSpec((440.0, 480.0), -19.0, (2.0, 4.0)),
        "busy": ToneSpec((480.0, 620.0), -24.0, (0.5, 0.5)),
        "congestion": ToneSpec((480.0, 620.0), -24.0, (0.25, 0.25)),
        "call_waiting": ToneSpec((440.0,), -13.0, (0.3, 9.7)),
        "sit": _sit(-24.0),
    },
}

COUNTRIES: tuple[str, ...] = ("PL", "DE", "FR", "UK", "IT", "ES", "NL", "US")
DEFAULT_COUNTRY = "PL"

# FXS ringing cadences (on, off… seconds), from the same sources.
RING_CADENCES: dict[str, tuple[float, ...]] = {
    "PL": (1.0, 4.0),
    "DE": (1.0, 4.0),
    "FR": (1.5, 3.5),
    "UK": (0.4, 0.2, 0.4, 2.0),
    "IT": (1.0, 4.0),
    "ES": (1.5, 3.0),
    "NL": (1.0, 4.0),
    "US": (2.0, 4.0),
}


def tone_spec(country: str, name: str) -> ToneSpec:
    """The tone ``name`` of ``country`` (ISO code, any case); KeyError says what exists."""
    table = _TABLES.get(country.upper())
    if table is None:
        raise KeyError(f"no tone table for country {country!r}; known: {', '.join(COUNTRIES)}")
    spec = table.get(name)
    if spec is None:
        raise KeyError(
            f"no tone {name!r} in the {country.upper()} table; known: {', '.join(table)}"
        )
    return spec


def render_tone(spec: ToneSpec, rate: int = 8000) -> np.ndarray:
    """One seamless loop of ``spec`` as int16 samples, for playout by index.

    A cadenced tone renders one whole cadence period; a continuous one renders one
    second, which holds a whole number of cycles of any integer frequency, so the
    loop joins without a click.
    """
    period = sum(spec.cadence) if spec.cadence else 1.0
    n = max(1, round(period * rate))
    t = np.arange(n) / rate
    if not spec.cadence:
        gate = np.ones(n, dtype=bool)
        segment_on = np.zeros(n, dtype=np.int64)
    else:
        edges = np.cumsum(np.asarray(spec.cadence)) * rate
        segment = np.searchsorted(edges, np.arange(n), side="right")
        gate = segment % 2 == 0
        segment_on = segment // 2  # which on-period a sample belongs to
    sets = spec.on_freqs or (spec.freqs,)
    amplitude = dbm0_to_peak(spec.level_dbm0)
    out = np.zeros(n, dtype=np.float64)
    for k, freqs in enumerate(sets):
        mask = gate & (segment_on % len(sets) == k)
        wave = np.zeros(n, dtype=np.float64)
        for f in freqs:
            wave += np.sin(2 * np.pi * f * t)
        out += np.where(mask, amplitude * wave, 0.0)
    return np.clip(np.rint(out), -32768, 32767).astype(np.int16)
