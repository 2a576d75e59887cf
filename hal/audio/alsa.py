"""The sound device through ALSA, with pyalsaaudio (the ``alsa`` extra).

pyalsaaudio is imported when a device is opened, not when this module is, so a
box without it (or without any sound card) starts and simply has no audio.
Both streams are opened non-blocking (``PCM_NONBLOCK``): a read with no new
period gives nothing and a write to a full buffer is refused, so the media
thread never waits on the sound card. Each stream is set to the telephone
format, 8000 Hz, one channel, S16_LE, a period of 160 frames (one 20 ms tick),
and the format the driver really granted is checked: a ``hw:`` device that
cannot do 8 kHz is refused with a hint to use ``plughw:`` or ``default``, which
convert in ALSA's plug layer.
"""

from __future__ import annotations

import importlib
import logging
from types import ModuleType
from typing import Any

import numpy as np

from hal.audio.interface import (
    FRAME_BYTES,
    FRAME_SAMPLES,
    SAMPLE_RATE,
    AudioDevice,
    AudioError,
    check_frame,
    no_frames,
)

log = logging.getLogger(__name__)

# Four periods of buffer (80 ms): enough to ride out a late tick, short enough
# that a page or the music does not lag behind.
PERIODS = 4
# A capture that fell this many periods behind is drained in one call, no more:
# the bound keeps one call short even if the card misbehaves.
_MAX_READS = 4 * PERIODS
_EPIPE = 32  # ALSA reports an overrun as -EPIPE


def load_alsaaudio() -> ModuleType:
    """The pyalsaaudio module; AudioError with the install hint when it is missing."""
    try:
        return importlib.import_module("alsaaudio")
    except ImportError:
        raise AudioError(
            "pyalsaaudio is not installed (pip install 'centrala[alsa]', "
            "which needs libasound2-dev to build)"
        ) from None


class AlsaAudio(AudioDevice):
    """One ALSA PCM name (``default``, ``plughw:1,0``…) used for both line-in and line-out."""

    def __init__(self, device: str = "default", *, alsaaudio: ModuleType | None = None) -> None:
        if not isinstance(device, str) or not device.strip():
            raise AudioError(f"an ALSA device is a PCM name such as 'default', not {device!r}")
        self.name = device
        self._alsa = alsaaudio if alsaaudio is not None else load_alsaaudio()
        self._capture: Any = None
        self._playback: Any = None
        self._has_in = True
        self._has_out = True
        self.overruns = 0
        self.refused_writes = 0

    def probe(self) -> None:
        """Open and close each side once, so a missing device is known at start-up.

        AudioError when neither side opens; a side that does not open is remembered
        as absent (a play-only dongle still pages).
        """
        reasons = []
        for kind, attr in (("capture", "_has_in"), ("playback", "_has_out")):
            try:
                self._open(kind).close()
            except AudioError as exc:
                setattr(self, attr, False)
                reasons.append(str(exc))
        if not (self._has_in or self._has_out):
            raise AudioError("; ".join(reasons))

    @property
    def has_line_in(self) -> bool:
        return self._has_in

    @property
    def has_line_out(self) -> bool:
        return self._has_out

    @property
    def capturing(self) -> bool:
        return self._capture is not None

    @property
    def playing(self) -> bool:
        return self._playback is not None

    def _open(self, kind: str) -> Any:
        alsa = self._alsa
        pcm_type = alsa.PCM_CAPTURE if kind == "capture" else alsa.PCM_PLAYBACK
        try:
            pcm = alsa.PCM(
                type=pcm_type,
                mode=alsa.PCM_NONBLOCK,
                device=self.name,
                rate=SAMPLE_RATE,
                channels=1,
                format=alsa.PCM_FORMAT_S16_LE,
                periodsize=FRAME_SAMPLES,
                periods=PERIODS,
            )
        except alsa.ALSAAudioError as exc:
            raise AudioError(f"cannot open ALSA {kind} device {self.name!r}: {exc}") from None
        try:
            info = pcm.info()
        except alsa.ALSAAudioError as exc:
            pcm.close()
            raise AudioError(
                f"ALSA {kind} device {self.name!r} gives no parameters: {exc}"
            ) from None
        granted = (info.get("rate"), info.get("channels"), info.get("period_size"))
        if granted != (SAMPLE_RATE, 1, FRAME_SAMPLES):
            pcm.close()
            raise AudioError(
                f"ALSA {kind} device {self.name!r} runs at {granted[0]} Hz, {granted[1]} "
                f"channel(s), {granted[2]}-frame periods, not {SAMPLE_RATE} Hz mono "
                f"{FRAME_SAMPLES}-frame periods; use a 'plughw:' or 'default' device, "
                "which converts"
            )
        return pcm

    def start_capture(self) -> None:
        if self._capture is None:
            self._capture = self._open("capture")

    def stop_capture(self) -> None:
        pcm, self._capture = self._capture, None
        if pcm is not None:
            self._close(pcm)

    def read_frames(self) -> np.ndarray:
        pcm = self._capture
        if pcm is None:
            return no_frames()
        chunks: list[bytes] = []
        for _ in range(_MAX_READS):
            try:
                count, data = pcm.read()
            except self._alsa.ALSAAudioError as exc:
                # Unplugged or broken: close it, so the next start reopens or fails clearly.
                self.stop_capture()
                raise AudioError(f"ALSA capture on {self.name!r} failed: {exc}") from None
            if count == -_EPIPE:
                self.overruns += 1  # audio was lost; the next read restarts the stream
                continue
            if count <= 0:
                break
            chunks.append(data)
        raw = b"".join(chunks)
        whole = len(raw) - len(raw) % FRAME_BYTES
        if not whole:
            return no_frames()
        return np.frombuffer(raw[:whole], dtype="<i2").astype(np.int16).reshape(-1, FRAME_SAMPLES)

    def start_playback(self) -> None:
        if self._playback is None:
            self._playback = self._open("playback")

    def stop_playback(self) -> None:
        pcm, self._playback = self._playback, None
        if pcm is not None:
            self._close(pcm)

    def write_frame(self, frame: np.ndarray) -> bool:
        data = check_frame(frame).astype("<i2").tobytes()
        pcm = self._playback
        if pcm is None:
            raise AudioError(f"the line-out of {self.name!r} is not open")
        try:
            written = pcm.write(data)
        except self._alsa.ALSAAudioError as exc:
            self.stop_playback()
            raise AudioError(f"ALSA playback on {self.name!r} failed: {exc}") from None
        if written <= 0:
            self.refused_writes += 1
            return False
        return True

    def close(self) -> None:
        self.stop_capture()
        self.stop_playback()

    def _close(self, pcm: Any) -> None:
        try:
            pcm.close()
        except self._alsa.ALSAAudioError as exc:
            log.warning("closing ALSA device %r: %s", self.name, exc)
