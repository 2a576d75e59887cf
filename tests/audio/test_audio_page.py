"""The Audio page: music-on-hold source and playlist, paging extension, stored as settings."""

from __future__ import annotations

from firmware.store import audio as audio_store
from firmware.store import sync
from tests.webui.webui_support import PASSWORD, make_app


def _client(tmp_path):
    app = make_app(tmp_path)
    client = app.test_client()
    client.post("/setup", data={"password": PASSWORD, "confirm": PASSWORD})
    return app, client


def _stored(app) -> audio_store.AudioConfig:
    conn = sync.connect(app.config["DATABASE"])
    try:
        return audio_store.get_audio(conn)
    finally:
        conn.close()


def test_audio_page_stores_the_playlist_and_paging_extension(tmp_path):
    app, client = _client(tmp_path)
    page = client.get("/audio")
    assert page.status_code == 200
    assert "daemon is not running" in page.get_data(as_text=True)
    response = client.post("/audio", data={
        "moh_source": "files", "moh_playlist": "please-hold\nwelcome", "paging_extension": "8#",
    })
    assert response.status_code == 400  # "#" ends dialling: it cannot be in a number
    assert _stored(app) == audio_store.AudioConfig()  # nothing changed
    response = client.post("/audio", data={
        "moh_source": "files", "moh_playlist": "please-hold\nwelcome", "paging_extension": "*77",
    })
    assert response.status_code == 302
    assert _stored(app) == audio_store.AudioConfig("files", ("please-hold", "welcome"), "*77")


def test_audio_page_refuses_an_unknown_prompt_and_an_empty_file_playlist(tmp_path):
    app, client = _client(tmp_path)
    response = client.post("/audio", data={
        "moh_source": "files", "moh_playlist": "no-such-tune", "paging_extension": "",
    })
    assert response.status_code == 400
    assert "no prompt named" in response.get_data(as_text=True)
    response = client.post("/audio", data={
        "moh_source": "files", "moh_playlist": "", "paging_extension": "",
    })
    assert response.status_code == 400
    response = client.post("/audio", data={"moh_source": "radio", "moh_playlist": "welcome"})
    assert response.status_code == 400
    assert _stored(app) == audio_store.AudioConfig()
    response = client.post("/audio", data={
        "moh_source": "line-in", "moh_playlist": "", "paging_extension": "",
    })
    assert response.status_code == 302
    assert _stored(app).moh_source == "line-in"
    assert _stored(app).paging_extension == ""
