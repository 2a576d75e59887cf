"""The box's sound device: line-in for music on hold, line-out for overhead paging.

Open it with :func:`open_audio` (ALSA through pyalsaaudio, or the sim twin);
None means the box has no sound and runs without both features.
"""

from hal.audio.interface import AudioDevice, AudioError
from hal.audio.opening import AudioSettings, open_audio
from hal.audio.sim import SimAudio

__all__ = ["AudioDevice", "AudioError", "AudioSettings", "SimAudio", "open_audio"]
