"""Caller ID made by spandsp's ADSI transmitter, decoded by ours.

The audio comes from a tiny C program (spandsp_adsi.c beside this file) built with
gcc against libspandsp-dev into pytest's temporary directory. Without gcc or the
library the tests are skipped, with the reason.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from firmware.media.cid_dtmf import decode_dtmf_caller_id
from firmware.media.cli import cid_command
from firmware.media.fsk import CallerId, decode_caller_id
from firmware.media.prompts import save_wav
from hal import g711
from hal.interface import Law

SOURCE = Path(__file__).with_name("spandsp_adsi.c")


@pytest.fixture(scope="module")
def spandsp_adsi(tmp_path_factory: pytest.TempPathFactory) -> Path:
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is not installed, so the spandsp test program cannot be built")
    program = tmp_path_factory.mktemp("spandsp") / "spandsp_adsi"
    build = subprocess.run(
        [gcc, "-O1", "-o", str(program), str(SOURCE), "-lspandsp", "-lm"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if build.returncode != 0:
        pytest.skip(f"spandsp (libspandsp-dev) is not usable: {build.stderr.strip()[:300]}")
    return program


def made_by_spandsp(program: Path, tmp_path: Path, *args: str) -> np.ndarray:
    out = tmp_path / "signal.raw"
    subprocess.run([str(program), args[0], str(out), *args[1:]], check=True, timeout=30)
    audio = np.fromfile(out, dtype=np.int16)
    assert audio.size > 1000
    return audio


def through_codec(audio: np.ndarray, law: Law) -> np.ndarray:
    padded = np.concatenate([np.zeros(1200), audio, np.zeros(1200)])
    return g711.decode(g711.encode(padded, law), law)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # ETSI V.23 (spandsp CLIP) MDMF, with and without spandsp's dual-tone alert first.
        (
            ["clip", "80", "01=03141530", "02=0123456789", "07=Jan Kowalski"],
            CallerId(number="0123456789", name="Jan Kowalski", datetime="03141530"),
        ),
        (
            ["clip", "--alert", "80", "01=12312359", "04=P"],
            CallerId(datetime="12312359", absence_reason="private"),
        ),
        # Bell 202 (spandsp CLASS), SDMF and MDMF; spandsp sends only 80 mark bits.
        (
            ["class", "04", "00=111518455551234567"],
            CallerId(number="5551234567", datetime="11151845"),
        ),
        (
            ["class", "80", "01=11151845", "02=5551234567", "07=ACME"],
            CallerId(number="5551234567", name="ACME", datetime="11151845"),
        ),
    ],
)
@pytest.mark.parametrize("law", [Law.ALAW, Law.ULAW])
def test_spandsp_fsk_caller_id_decodes(spandsp_adsi, tmp_path, args, expected, law):
    audio = made_by_spandsp(spandsp_adsi, tmp_path, *args)
    assert decode_caller_id(through_codec(audio, law)) == [expected]


@pytest.mark.parametrize(
    ("digits", "expected"),
    [
        ("A0612345678C", CallerId(number="0612345678")),
        ("D1#", CallerId(absence_reason="private")),
        ("B00C", CallerId(absence_reason="unavailable")),
    ],
)
def test_spandsp_dtmf_caller_id_decodes(spandsp_adsi, tmp_path, digits, expected):
    audio = made_by_spandsp(spandsp_adsi, tmp_path, "clip-dtmf", digits)
    assert decode_dtmf_caller_id(through_codec(audio, Law.ALAW)) == [expected]


def test_cid_command_reads_spandsp_audio(spandsp_adsi, tmp_path, capsys):
    fsk = made_by_spandsp(spandsp_adsi, tmp_path, "clip", "80", "02=221234567", "07=Biuro")
    dtmf = made_by_spandsp(spandsp_adsi, tmp_path, "clip-dtmf", "A48221234567C")
    gap = np.zeros(4000, dtype=np.int16)
    save_wav(tmp_path / "cid.wav", np.concatenate([gap, fsk, gap, dtmf, gap]))
    assert cid_command(str(tmp_path / "cid.wav")) == 0
    assert [json.loads(line) for line in capsys.readouterr().out.splitlines()] == [
        {"number": "221234567", "name": "Biuro", "datetime": None},
        {"number": "48221234567", "name": None, "datetime": None},
    ]
