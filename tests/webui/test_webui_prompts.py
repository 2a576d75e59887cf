"""Prompt uploads: any WAV in, telephone-quality WAV stored; bad files change nothing."""

import wave
from pathlib import Path

import numpy as np

from firmware.media.prompts import load_prompt


def write_wav(path: Path, samples: np.ndarray, rate: int, width: int, channels: int) -> bytes:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        if width == 3:
            ints = (samples * 8_000_000).astype(np.int32)
            raw = b"".join(int(v).to_bytes(4, "little", signed=True)[:3] for v in ints.ravel())
        else:
            raw = (samples * 20000).astype(np.int16).tobytes()
        w.writeframes(raw)
    return path.read_bytes()


def logged_in(client, auth):
    auth.setup()
    return client


def upload(client, name, data, filename="greeting.wav"):
    import io

    return client.post(
        "/prompts", data={"name": name, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def test_stereo_16khz_upload_is_stored_as_8khz_mono(client, auth, app, tmp_path):
    logged_in(client, auth)
    t = np.arange(16000) / 16000
    stereo = np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 440 * t)], axis=1)
    data = write_wav(tmp_path / "in.wav", stereo, 16000, 2, 2)
    response = upload(client, "welcome", data)
    assert response.status_code == 302
    stored = Path(app.config["DATABASE"]).parent / "prompts" / "welcome.wav"
    with wave.open(str(stored)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        assert w.getnframes() == 8000
    page = client.get("/prompts").get_data(as_text=True)
    assert "uploaded (replaces the shipped one)" in page
    assert client.get("/prompts/welcome.wav").data == stored.read_bytes()


def test_24bit_upload_is_converted(client, auth, app, tmp_path):
    logged_in(client, auth)
    t = np.arange(4410) / 44100
    data = write_wav(tmp_path / "in.wav", np.sin(2 * np.pi * 300 * t), 44100, 3, 1)
    assert upload(client, "closed", data).status_code == 302
    stored = Path(app.config["DATABASE"]).parent / "prompts" / "closed.wav"
    assert load_prompt(stored).size == 800


def test_a_file_that_is_not_wav_is_refused_and_nothing_is_stored(client, auth, app):
    logged_in(client, auth)
    response = upload(client, "welcome", b"this is not audio at all")
    assert response.status_code == 400
    assert "cannot be used" in response.get_data(as_text=True)
    folder = Path(app.config["DATABASE"]).parent / "prompts"
    assert not (folder / "welcome.wav").exists()
    assert not folder.exists() or list(folder.iterdir()) == []


def test_bad_name_is_refused(client, auth, tmp_path):
    logged_in(client, auth)
    data = write_wav(tmp_path / "in.wav", np.zeros(800), 8000, 2, 1)
    response = upload(client, "../../etc/passwd", data)
    assert response.status_code == 400
    assert "letters, digits" in response.get_data(as_text=True)


def test_deleting_an_upload_brings_back_the_shipped_prompt(client, auth, app, tmp_path):
    logged_in(client, auth)
    data = write_wav(tmp_path / "in.wav", np.zeros(800), 8000, 2, 1)
    upload(client, "goodbye", data)
    assert client.post("/prompts/goodbye/delete").status_code == 302
    page = client.get("/prompts").get_data(as_text=True)
    assert "goodbye" in page and "replaces the shipped one" not in page
    assert client.post("/prompts/goodbye/delete").status_code == 404


def test_prompts_need_a_login(client, auth):
    auth.setup()
    auth.logout()
    assert client.get("/prompts").status_code == 302
    assert client.get("/prompts/welcome.wav").status_code == 302
