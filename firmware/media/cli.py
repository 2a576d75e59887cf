"""``centrala dsp dtmf FILE.wav`` and ``centrala dsp cid FILE.wav``: the detectors on a file.

These are the contracts outside tools rely on (see the design guide): one line
``<start_ms> <digit>`` per DTMF digit, and one JSON object per caller ID message
with the keys ``number``, ``name`` and ``datetime`` (null when not sent). Both
return 0 on success and 2, with a sentence on stderr, for a file they cannot read.
"""

from __future__ import annotations

import json
import sys

import numpy as np

from firmware.media.cid_dtmf import find_dtmf_caller_id
from firmware.media.dtmf import DtmfDetector
from firmware.media.fsk import find_messages
from firmware.media.prompts import PromptError, load_prompt
from hal.interface import FRAME_SAMPLES, SAMPLE_RATE

_FLUSH_SECONDS = 0.2  # silence after the file so a digit at the very end is confirmed


def _read(path: str) -> np.ndarray | None:
    try:
        return load_prompt(path)
    except PromptError as exc:
        print(f"centrala dsp: {exc}", file=sys.stderr)
        return None


def dtmf_command(path: str) -> int:
    """Print ``<start_ms> <digit>`` for every DTMF digit in the WAV file at ``path``."""
    samples = _read(path)
    if samples is None:
        return 2
    tail = (-samples.size) % FRAME_SAMPLES + round(_FLUSH_SECONDS * SAMPLE_RATE)
    audio = np.concatenate([samples, np.zeros(tail, dtype=np.int16)])
    blocks = audio.reshape(-1, FRAME_SAMPLES)
    detector = DtmfDetector(1, SAMPLE_RATE)
    for k, block in enumerate(blocks):
        now = (k + 1) * FRAME_SAMPLES / SAMPLE_RATE
        for _, digit, start in detector.process(block[None, :], now):
            print(f"{max(0, round(start * 1000))} {digit}")
    return 0


def cid_command(path: str) -> int:
    """Print one JSON object per caller ID message (FSK or DTMF) in the WAV file, in order."""
    samples = _read(path)
    if samples is None:
        return 2
    found = [(m.start / SAMPLE_RATE, m.caller_id) for m in find_messages(samples, SAMPLE_RATE)]
    found += find_dtmf_caller_id(samples, SAMPLE_RATE)
    for _, cid in sorted(found, key=lambda item: item[0]):
        print(json.dumps({"number": cid.number, "name": cid.name, "datetime": cid.datetime}))
    return 0
