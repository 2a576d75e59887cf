"""A whole box on the sim card for the analog tests, with call-progress detection.

The media engine does not run the call-progress detector yet; until it does,
:func:`make_box` runs the real detector on every tick's received audio, exactly
as the engine will, and hands its reports to the ports with the tick's events.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from firmware.box import Box
from firmware.media.dtmf import DtmfDetector
from firmware.settings import CardSettings, DaemonSettings
from firmware.store import analog as analog_store
from firmware.store import sync
from hal.clock import ManualClock
from hal.sim.card import SimCard


def make_box(
    tmp_path: Path, *, fxs: int = 2, fxo: int = 1, country: str = "PL"
) -> tuple[Box, SimCard]:
    """A box on a sim card; ``country`` is the exchange's tone plan and the box's own."""
    clock = ManualClock()
    settings = DaemonSettings(data_dir=tmp_path, card=CardSettings(fxs=fxs, fxo=fxo))
    card = SimCard(clock, fxs=fxs, fxo=fxo, law=settings.card.law, country=country)
    conn = sync.connect(str(settings.database))
    try:
        # Seed first, as the box would, so the country chosen here is not overwritten.
        sync.seed_defaults(
            conn, [p.name for p in card.ports if p.kind.value == "fxs"],
            [p.name for p in card.ports if p.kind.value == "fxo"],
        )
        sync.set_setting(conn, "country", country)
    finally:
        conn.close()
    return Box(settings, clock, card), card


def save_port_settings(tmp_path: Path, **values: Any) -> None:
    """Store one port's analog settings before the box starts (as the web UI would)."""
    conn = sync.connect(str(tmp_path / "centrala.db"))
    try:
        analog_store.save_analog_port(conn, analog_store.validate_analog_port(values))
    finally:
        conn.close()


async def run_until(box: Box, condition: Callable[[], bool], limit: float) -> float:
    """Run box time until ``condition`` holds; returns the box time it took."""
    waited = 0.0
    while not condition():
        if waited >= limit:
            raise AssertionError(f"condition not met within {limit} s of box time")
        await box.run_for(0.1)
        waited += 0.1
    return waited


def detected_digits(samples: np.ndarray) -> str:
    """Digits our receiver finds in a recording, fed in 20 ms frames like the engine."""
    detector = DtmfDetector(1)
    usable = len(samples) // 160 * 160
    found = []
    for i, frame in enumerate(samples[:usable].reshape(-1, 160)):
        found += [d for _, d, _ in detector.process(frame[None, :], (i + 1) * 0.02)]
    return "".join(found)


def cdrs(tmp_path: Path) -> list[Any]:
    conn = sync.connect(str(tmp_path / "centrala.db"))
    try:
        return sync.list_cdr(conn)
    finally:
        conn.close()


def voice_like(seconds: float, level: float = 3000.0) -> np.ndarray:
    """A vowel-like sound: a gliding pitch with many harmonics, shaped by two formants.

    Call-progress detection takes it for speech: neither a few pure tones nor flat hiss.
    """
    n = round(seconds * 8000)
    t = np.arange(n) / 8000
    f0 = 140.0 + 30.0 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / 8000
    k = np.arange(1, 26)[:, None]
    freqs = k * f0[None, :]
    weight = np.exp(-(((freqs - 700.0) / 250.0) ** 2))
    weight += 0.6 * np.exp(-(((freqs - 1200.0) / 300.0) ** 2))
    wave = np.sum(weight * np.sin(k * phase[None, :]), axis=0)
    envelope = 0.5 + 0.5 * np.abs(np.sin(2 * np.pi * 2.0 * t))
    out = wave * envelope
    return (level * out / np.max(np.abs(out))).astype(np.int16)
