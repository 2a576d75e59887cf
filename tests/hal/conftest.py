"""Fixtures for the sim backend's tests: a card on a ManualClock, a stand-in for the
daemon's tick loop, and a few independent measurements of line audio."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import hilbert

from hal import g711
from hal.clock import ManualClock
from hal.interface import FRAME_SAMPLES, SAMPLE_RATE, HalEvent
from hal.sim.card import SimCard


class TickLoop:
    """Drives a card the way the daemon does, recording every received sample.

    Sample ``i`` of :meth:`rx` was sent by the line at ``card.world.t0 + i / 8000``.
    """

    def __init__(self, card: SimCard) -> None:
        self.card = card
        self.events: list[HalEvent] = []
        self._rx: list[np.ndarray] = []
        self._tx: dict[int, np.ndarray] = {}

    def send(self, port: str, samples: np.ndarray) -> None:
        """Queue linear audio for the box to send on ``port`` from the next tick."""
        index = self.card.port_by_name(port).index
        queued = self._tx.get(index, np.zeros(0, dtype=np.int16))
        self._tx[index] = np.concatenate([queued, np.asarray(samples, dtype=np.int16)])

    def run(self, seconds: float) -> None:
        silence = g711.SILENCE[self.card.law]
        for _ in range(round(seconds * SAMPLE_RATE / FRAME_SAMPLES)):
            self.card.wait_tick()
            self._rx.append(g711.decode(self.card.read_frames(), self.card.law))
            self.events.extend(self.card.poll_events())
            tx = np.full((len(self.card.ports), FRAME_SAMPLES), silence, dtype=np.uint8)
            for index, queued in list(self._tx.items()):
                chunk = np.zeros(FRAME_SAMPLES, dtype=np.int16)
                chunk[: len(queued[:FRAME_SAMPLES])] = queued[:FRAME_SAMPLES]
                tx[index] = g711.encode(chunk, self.card.law)
                self._tx[index] = queued[FRAME_SAMPLES:]
            self.card.write_frames(tx)

    def rx(self, port: str, start: float = 0.0, end: float | None = None) -> np.ndarray:
        """What ``port`` received between sim times ``start`` and ``end`` (seconds)."""
        index = self.card.port_by_name(port).index
        audio = np.concatenate([frame[index] for frame in self._rx])
        lo = round((start - self.card.world.t0) * SAMPLE_RATE)
        hi = None if end is None else round((end - self.card.world.t0) * SAMPLE_RATE)
        return audio[lo:hi]

    def of(self, kind: type) -> list[HalEvent]:
        return [e for e in self.events if isinstance(e, kind)]


class Meter:
    """Measurements written apart from the sim's generators."""

    @staticmethod
    def level(x: np.ndarray, freq: float) -> float:
        """Amplitude of the ``freq`` component of ``x``."""
        n = np.arange(len(x))
        return float(2 * abs(np.dot(x, np.exp(-2j * np.pi * freq * n / SAMPLE_RATE))) / len(x))

    @staticmethod
    def peaks(x: np.ndarray, count: int) -> list[float]:
        """The ``count`` strongest frequencies of ``x`` (1 Hz resolution), ascending."""
        spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)), n=SAMPLE_RATE))
        found: list[float] = []
        for _ in range(count):
            k = int(np.argmax(spectrum))
            found.append(float(k))
            spectrum[max(0, k - 10) : k + 10] = 0
        return sorted(found)

    @staticmethod
    def frame_rms(x: np.ndarray) -> np.ndarray:
        """RMS of each 20 ms frame of ``x``."""
        frames = x[: len(x) // FRAME_SAMPLES * FRAME_SAMPLES].reshape(-1, FRAME_SAMPLES)
        return np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1))

    @staticmethod
    def fsk_bits(x: np.ndarray, start: int, n_bits: int) -> np.ndarray:
        """V.23 bits by an instantaneous-frequency discriminator (mark 1300, space 2100)."""
        phase = np.unwrap(np.angle(hilbert(x.astype(np.float64))))
        freq = np.diff(phase) * SAMPLE_RATE / (2 * np.pi)
        centres = start + (np.arange(n_bits) + 0.5) * SAMPLE_RATE / 1200
        windows = np.round(centres)[:, None].astype(int) + np.arange(-1, 2)
        return (freq[windows].mean(axis=1) < 1700).astype(np.uint8)

    @staticmethod
    def tone(freqs: tuple[float, ...], seconds: float, peak: float = 6000.0) -> np.ndarray:
        t = np.arange(round(seconds * SAMPLE_RATE)) / SAMPLE_RATE
        return np.rint(sum(peak * np.sin(2 * np.pi * f * t) for f in freqs)).astype(np.int16)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def card(clock: ManualClock) -> SimCard:
    return SimCard(clock, fxs=2, fxo=2)


@pytest.fixture
def box(card: SimCard) -> TickLoop:
    return TickLoop(card)


@pytest.fixture
def meter() -> Meter:
    return Meter()
