"""A stepped box on the sim card with one queue set up for the in-queue tests, and audio checks.

Every line goes straight to the "support" queue; the test says how the queue
behaves (announcements, callback key, recording) and which agents serve it.
Audio is checked by what the far parties actually heard: a prompt was heard
when its samples are found in the received audio by normalised correlation
(so G.711 coding and line levels do not matter), a tone by its share of the
audio's energy.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from scipy import signal

from firmware.box import Box
from firmware.ivr.prompts import PromptLibrary
from firmware.settings import CardSettings, DaemonSettings
from firmware.store import sync
from hal.clock import ManualClock
from hal.sim.card import SimCard

QUEUE = "support"


def make_box(
    tmp_path: Path, *, fxs: int = 2, fxo: int = 2, members: tuple[str, ...] = ("Agent 1",),
    **queue: Any,
) -> tuple[Box, SimCard]:
    """A box whose lines all ring the support queue, configured with ``queue`` fields."""
    clock = ManualClock()
    settings = DaemonSettings(data_dir=tmp_path, card=CardSettings(fxs=fxs, fxo=fxo))
    card = SimCard(clock, fxs=fxs, fxo=fxo, law=settings.card.law)
    conn = sync.connect(str(settings.database))
    try:
        sync.seed_defaults(
            conn, [p.name for p in card.ports if p.kind.value == "fxs"],
            [p.name for p in card.ports if p.kind.value == "fxo"],
        )
        [support] = [q for q in sync.list_queues(conn) if q.name == QUEUE]
        data = {"name": QUEUE, "strategy": "longest-idle", "members": list(members),
                "ring_timeout": 30, **queue}
        sync.save_queue(conn, data, support.id)
        for route in sync.list_routes(conn):
            sync.save_route(conn, {"port": route.port, "destination": f"queue:{QUEUE}"},
                            route.id)
    finally:
        conn.close()
    return Box(settings, clock, card), card


async def run_until(box: Box, condition: Callable[[], bool], limit: float) -> float:
    """Run box time until ``condition`` holds; returns how long it took."""
    waited = 0.0
    while not condition():
        if waited >= limit:
            raise AssertionError(f"condition not met within {limit} s of box time")
        await box.run_for(0.1)
        waited += 0.1
    return waited


def prompt_audio(name: str) -> np.ndarray:
    return PromptLibrary().get(name)


def find_prompt(heard: np.ndarray, prompt: np.ndarray) -> tuple[float, int]:
    """Best normalised correlation of ``prompt`` inside ``heard`` (1.0: exactly there), and where.

    The heard audio is padded, so a prompt whose first or last milliseconds fell
    outside the capture (it began as the line connected) still scores close to 1.
    """
    p = prompt.astype(np.float64)
    x = np.concatenate([np.zeros(len(p)), heard.astype(np.float64), np.zeros(len(p))])
    p = p - p.mean()
    dot = signal.fftconvolve(x, p[::-1], mode="valid")
    window = np.ones(len(p))
    energy = signal.fftconvolve(x * x, window, mode="valid")
    mean = signal.fftconvolve(x, window, mode="valid") / len(p)
    spread = np.sqrt(np.maximum(energy - len(p) * mean * mean, 0.0))
    # Windows of (near) silence match nothing; dividing by their spread would only amplify noise.
    audible = spread > np.sqrt(len(p))
    score = np.where(audible, dot / np.where(audible, spread, 1.0) / np.linalg.norm(p), 0.0)
    at = int(np.argmax(score))
    return float(score[at]), at - len(p)


def tone(freq: float, seconds: float, level: float = 6000.0) -> np.ndarray:
    t = np.arange(int(seconds * 8000)) / 8000
    return (level * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def tone_share(samples: np.ndarray, freq: float) -> float:
    """Share of the audio's energy within 30 Hz of ``freq``."""
    x = samples.astype(np.float64)
    if len(x) == 0 or not np.any(x):
        return 0.0
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / 8000)
    return float(spectrum[np.abs(freqs - freq) <= 30].sum() / spectrum.sum())


def queue_log(tmp_path: Path) -> list[Any]:
    conn = sync.connect(str(tmp_path / "centrala.db"))
    try:
        return list(reversed(sync.list_queue_log(conn, limit=1000)))
    finally:
        conn.close()


def cdrs(tmp_path: Path) -> list[Any]:
    conn = sync.connect(str(tmp_path / "centrala.db"))
    try:
        return sync.list_cdr(conn)
    finally:
        conn.close()
