"""Which sound device the box uses, from the daemon's ``[audio]`` settings.

``device = "default"`` (the daemon's default) uses ALSA's default device when
the board has one; ``"none"`` switches audio off; ``"sim"`` is the in-memory
twin (the demo, tests); any other text is an ALSA PCM name (``plughw:1,0``).
Audio is optional: a board without a sound card, or a system without
pyalsaaudio, starts without music from the line-in and without paging, and says
so in one log line.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from hal.audio.interface import AudioDevice, AudioError
from hal.clock import Clock

log = logging.getLogger(__name__)

NONE = "none"
SIM = "sim"
DEFAULT = "default"
# ALSA PCM names: "default", "plughw:1,0", "hw:CARD=Device,DEV=0", "dmix", "sysdefault:CARD=x".
_PCM_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?::[A-Za-z0-9_=,.-]+)?")


@dataclass(frozen=True)
class AudioSettings:
    """The sound device to open: "none", "sim", or an ALSA PCM name."""

    device: str = NONE

    def __post_init__(self) -> None:
        if not isinstance(self.device, str) or not _PCM_NAME.fullmatch(self.device):
            raise AudioError(
                f"audio.device: {self.device!r} is not 'none', 'sim' or an ALSA PCM name "
                "such as 'default' or 'plughw:1,0'"
            )


def open_audio(settings: AudioSettings, clock: Clock) -> AudioDevice | None:
    """The sound device the settings name, or None (logged) when there is none to use."""
    if settings.device == NONE:
        log.info("audio: switched off in the settings; no music from the line-in, no paging")
        return None
    if settings.device == SIM:
        from hal.audio.sim import SimAudio

        return SimAudio(clock)
    from hal.audio.alsa import AlsaAudio

    try:
        device = AlsaAudio(settings.device)
        device.probe()
    except AudioError as exc:
        log.warning("audio: no sound device (%s); the box runs without line-in music "
                    "and without paging", exc)
        return None
    sides = [s for s, ok in (("line-in", device.has_line_in), ("line-out", device.has_line_out))
             if ok]
    log.info("audio: ALSA device %r with %s", device.name, " and ".join(sides))
    return device
