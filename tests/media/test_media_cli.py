"""The ``centrala dsp dtmf`` and ``centrala dsp cid`` contracts on WAV files."""

from __future__ import annotations

import json

import numpy as np

from firmware.media.cli import cid_command, dtmf_command
from firmware.media.dtmf import generate_dtmf
from firmware.media.fsk import CallerId, encode_caller_id
from firmware.media.prompts import save_wav


def test_dtmf_command_prints_start_ms_and_digit_per_line(tmp_path, capsys):
    audio = np.concatenate([np.zeros(4000, dtype=np.int16), generate_dtmf("2580*#")])
    save_wav(tmp_path / "keys.wav", audio)
    assert dtmf_command(str(tmp_path / "keys.wav")) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in lines] == list("2580*#")
    starts = [int(line.split()[0]) for line in lines]
    assert all(abs(s - (500 + 160 * k)) <= 6 for k, s in enumerate(starts))


def test_dtmf_command_converts_other_wav_formats(tmp_path, capsys):
    audio = generate_dtmf("7", rate=16000)
    save_wav(tmp_path / "wide.wav", audio, rate=16000)
    assert dtmf_command(str(tmp_path / "wide.wav")) == 0
    assert capsys.readouterr().out.split()[1:] == ["7"]


def test_unreadable_files_print_a_reason_and_return_2(tmp_path, capsys):
    (tmp_path / "junk.wav").write_bytes(b"RIFF1234WAVEjunk")
    assert dtmf_command(str(tmp_path / "junk.wav")) == 2
    assert "not a usable WAV" in capsys.readouterr().err
    assert cid_command(str(tmp_path / "absent.wav")) == 2
    assert "does not exist" in capsys.readouterr().err


def test_cid_command_prints_one_json_object_per_message(tmp_path, capsys):
    first = encode_caller_id(CallerId(number="221234567", name="Biuro", datetime="06011230"))
    second = encode_caller_id(CallerId(absence_reason="private"), standard="bell")
    gap = np.zeros(4000, dtype=np.int16)
    save_wav(tmp_path / "cid.wav", np.concatenate([gap, first, gap, second, gap]))
    assert cid_command(str(tmp_path / "cid.wav")) == 0
    messages = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert messages == [
        {"number": "221234567", "name": "Biuro", "datetime": "06011230"},
        {"number": None, "name": None, "datetime": None},
    ]
