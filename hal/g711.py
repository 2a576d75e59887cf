"""ITU-T G.711 A-law and µ-law, as lookup tables applied to whole numpy arrays.

The HAL's audio format is G.711, so both the line side (the sim, the DAHDI
backend) and the media engine convert with this one module. Tables are built
once from the G.711 segment rules; converting a tick of any number of channels
is then one fancy-indexing operation, no per-sample Python.
"""

from __future__ import annotations

import numpy as np

from hal.interface import Law


def _alaw_decode_table() -> np.ndarray:
    codes = np.arange(256, dtype=np.int32) ^ 0x55  # G.711 §2: even bits inverted
    sign = codes & 0x80
    exponent = (codes >> 4) & 0x07
    mantissa = codes & 0x0F
    magnitude = np.where(
        exponent == 0,
        (mantissa << 4) + 8,
        ((mantissa << 4) + 0x108) << np.maximum(exponent - 1, 0),
    )
    return np.where(sign != 0, magnitude, -magnitude).astype(np.int16)


def _ulaw_decode_table() -> np.ndarray:
    codes = ~np.arange(256, dtype=np.int32) & 0xFF
    sign = codes & 0x80
    exponent = (codes >> 4) & 0x07
    mantissa = codes & 0x0F
    magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return np.where(sign != 0, -magnitude, magnitude).astype(np.int16)


def _alaw_encode_table() -> np.ndarray:
    pcm = np.arange(-32768, 32768, dtype=np.int32)
    sign = np.where(pcm >= 0, 0x80, 0x00)
    magnitude = np.where(pcm >= 0, pcm, -pcm - 1) >> 3  # 13-bit magnitude
    magnitude = np.minimum(magnitude, 0xFFF)
    exponent = np.zeros_like(magnitude)
    for seg in range(1, 8):
        exponent = np.where(magnitude >= (0x20 << (seg - 1)), seg, exponent)
    mantissa = np.where(
        exponent == 0, magnitude >> 1, magnitude >> np.maximum(exponent, 1)
    ) & 0x0F
    code = (sign | (exponent << 4) | mantissa) ^ 0x55
    return _index_by_uint16(pcm, code)


def _ulaw_encode_table() -> np.ndarray:
    pcm = np.arange(-32768, 32768, dtype=np.int32)
    sign = np.where(pcm < 0, 0x80, 0x00)
    shifted = pcm >> 2  # 14-bit; negatives shift before taking the magnitude, as G.191 does
    magnitude = np.minimum(np.abs(shifted), 8158) + 33  # biased; the clip maps to the top code
    exponent = np.zeros_like(magnitude)
    for seg in range(1, 8):
        exponent = np.where(magnitude >= (0x40 << (seg - 1)), seg, exponent)
    mantissa = (magnitude >> (exponent + 1)) & 0x0F
    code = ~(sign | (exponent << 4) | mantissa) & 0xFF
    return _index_by_uint16(pcm, code)


def _index_by_uint16(pcm: np.ndarray, code: np.ndarray) -> np.ndarray:
    """Reorder a table built over -32768..32767 so int16 samples viewed as uint16 index it."""
    table = np.empty(65536, dtype=np.uint8)
    table[pcm.astype(np.int16).view(np.uint16)] = code.astype(np.uint8)
    return table


_DECODE = {Law.ALAW: _alaw_decode_table(), Law.ULAW: _ulaw_decode_table()}
_ENCODE = {Law.ALAW: _alaw_encode_table(), Law.ULAW: _ulaw_encode_table()}

# The code each law sends for silence (the smallest positive level).
SILENCE = {Law.ALAW: int(_ENCODE[Law.ALAW][0]), Law.ULAW: int(_ENCODE[Law.ULAW][0])}


def decode(codes: np.ndarray, law: Law) -> np.ndarray:
    """G.711 codes (uint8, any shape) to 16-bit linear samples of the same shape."""
    return _DECODE[law][np.asarray(codes, dtype=np.uint8)]


def encode(samples: np.ndarray, law: Law) -> np.ndarray:
    """16-bit linear samples (any shape) to G.711 codes of the same shape.

    Floats are clipped to the int16 range and rounded first, so DSP output can be
    passed in directly.
    """
    arr = np.asarray(samples)
    if arr.dtype != np.int16:
        arr = np.clip(np.rint(arr), -32768, 32767).astype(np.int16)
    return _ENCODE[law][arr.view(np.uint16)]
