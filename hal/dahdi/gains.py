"""DAHDI gain tables: one G.711 code in, the code of the same sample made louder or softer out.

DAHDI applies gain in the driver by looking each received or sent code up in a
256-entry table (DAHDI_SETGAINS), so a gain costs the box nothing per sample. The
table is built as chan_dahdi builds it: decode every code, scale, clip, encode.
"""

from __future__ import annotations

import math

import numpy as np

from hal import g711
from hal.interface import Law

# A gain beyond this only clips: a line or phone this far off needs a hardware fix.
MAX_GAIN_DB = 24.0


class GainError(ValueError):
    """A gain outside what the box accepts."""


def gain_table(gain_db: float, law: Law) -> bytes:
    """The 256-byte table applying ``gain_db`` to every code of ``law``.

    0 dB is the identity, code for code, so a port with no gain set passes its
    audio through bit-exact (re-encoding would fold µ-law's two zeros into one).
    """
    if not (isinstance(gain_db, int | float) and math.isfinite(gain_db)):
        raise GainError(f"a gain is a number of dB, got {gain_db!r}")
    if abs(gain_db) > MAX_GAIN_DB:
        raise GainError(f"a gain must be within ±{MAX_GAIN_DB:g} dB, got {gain_db:g} dB")
    codes = np.arange(256, dtype=np.uint8)
    if gain_db == 0:
        return codes.tobytes()
    linear = g711.decode(codes, law).astype(np.float64) * 10.0 ** (gain_db / 20.0)
    return g711.encode(linear, law).astype(np.uint8).tobytes()
