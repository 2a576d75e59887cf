"""The level reference that ties dBm0 to 16-bit linear samples.

G.711 (Table 1a/1b and §4) puts the theoretical maximum load of the A-law coder at
+3.14 dBm0 and of the µ-law coder at +3.17 dBm0: a sine whose peak just reaches
the largest decision value. With the codes decoded to 16-bit linear (A-law's
13-bit range scaled by 8), that peak is full scale, 32768, so 0 dBm0 is a sine
3.14 dB below full scale. The 0.03 dB between the laws is far below any
tolerance we apply, so the whole media engine uses the A-law figure.
"""

from __future__ import annotations

import math

FULL_SCALE = 32768.0
TMAX_DBM0 = 3.14  # G.711 §4: A-law theoretical maximum load, in dBm0

# Peak and RMS of a 0 dBm0 sine in 16-bit linear samples (about 22827 and 16141).
DBM0_PEAK = FULL_SCALE / 10.0 ** (TMAX_DBM0 / 20.0)
DBM0_RMS = DBM0_PEAK / math.sqrt(2.0)


def dbm0_to_peak(level_dbm0: float) -> float:
    """Peak amplitude of a sine at ``level_dbm0``, for tone generators."""
    return DBM0_PEAK * 10.0 ** (level_dbm0 / 20.0)


def dbm0_to_power(level_dbm0: float) -> float:
    """Mean square of a sine at ``level_dbm0``, for detector thresholds."""
    return DBM0_RMS**2 * 10.0 ** (level_dbm0 / 10.0)


def power_to_dbm0(power: float) -> float:
    """Level in dBm0 of a signal whose mean square is ``power`` (-inf for silence)."""
    if power <= 0.0:
        return -math.inf
    return 10.0 * math.log10(power / DBM0_RMS**2)
