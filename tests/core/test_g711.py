"""G.711 against the reference coder in CPython's audioop, over every input."""

import warnings

import numpy as np
import pytest

from hal import g711
from hal.interface import Law

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    audioop = pytest.importorskip("audioop", reason="audioop left CPython in 3.13")

ALL_SAMPLES = np.arange(-32768, 32768, dtype=np.int16)
ALL_CODES = np.arange(256, dtype=np.uint8)


@pytest.mark.parametrize(
    ("law", "encode", "decode"),
    [
        (Law.ALAW, "lin2alaw", "alaw2lin"),
        (Law.ULAW, "lin2ulaw", "ulaw2lin"),
    ],
)
def test_codec_matches_reference_bit_for_bit(law, encode, decode):
    ref_codes = np.frombuffer(getattr(audioop, encode)(ALL_SAMPLES.tobytes(), 2), np.uint8)
    assert np.array_equal(g711.encode(ALL_SAMPLES, law), ref_codes)
    ref_pcm = np.frombuffer(getattr(audioop, decode)(ALL_CODES.tobytes(), 2), np.int16)
    assert np.array_equal(g711.decode(ALL_CODES, law), ref_pcm)


def test_encode_clips_floats_instead_of_wrapping():
    loud = np.array([40000.0, -40000.0])
    codes = g711.encode(loud, Law.ALAW)
    assert list(g711.decode(codes, Law.ALAW)) == [32256, -32256]


def test_silence_code_decodes_to_near_zero():
    for law in Law:
        assert abs(int(g711.decode(np.array([g711.SILENCE[law]]), law)[0])) <= 8


def test_shape_is_kept_for_a_batch_of_channels():
    frames = np.zeros((30, 160), dtype=np.int16)
    assert g711.encode(frames, Law.ULAW).shape == (30, 160)
